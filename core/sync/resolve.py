"""Resolving an operation the centre refused (issue 11 item 4).

``--take-central``: the branch gives up its local effect — the rows the
operation touched are fetched again from the centre (``core.sync.pull.refetch``:
upserted, or deleted when the centre has no such row) and the operation is
marked ``resolved``. ``--retry``: the operation is queued again as a new
operation (new id, the same seed so the same row ids, the same numbers), sent
without the versions it read, so the centre runs the service on its current
state and the rules alone decide. Either way the refused operation stays in
the outbox with its reasons, and the branch's audit trail records who
resolved it (a local ``sync.*`` event).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Engine

from core import audit
from core.auth import Actor
from core.db import read_session, write_session
from core.errors import DomainError
from core.i18n import N_
from core.models import OutboxOp, utcnow
from core.sync.outbox import CONFLICT, PENDING, RESOLVED, Conflict, _conflict, _rows, find_op

TAKE_CENTRAL, RETRY = "take_central", "retry"


def _refused(session, op_id: str) -> OutboxOp:
    op = find_op(session, op_id)
    if op.state != CONFLICT:
        raise DomainError.one("", "op", N_("Operation {op} is not waiting to be resolved (it is {state})."),
                              op=str(op.op_id), state=op.state)
    return op


def take_central(engine: Engine, actor: Actor, op_id: str, *, central: Engine | None = None) -> Conflict:
    """Drop the branch's local effect of refused operation ``op_id``: its rows as the centre has them."""
    from core.sync.pull import refetch

    actor.require("record")
    with read_session(engine) as s:
        op = _refused(s, op_id)
        rows = sorted(_rows(op))
    refetch(engine, actor, rows, central=central)
    with write_session(engine, action="resolving a refused operation") as s:
        op = _refused(s, op_id)
        op.state, op.resolution, op.resolved_by, op.outcome_at = RESOLVED, TAKE_CENTRAL, actor.username, utcnow()
        s.add(op)
        audit.record(s, actor, "sync.take_central", entity="sync_outbox", entity_id=op.op_id,
                     before={"state": CONFLICT}, after={"state": RESOLVED, "resolution": TAKE_CENTRAL,
                                                        "rows": [f"{t}:{i}" for t, i in rows]})
        return _conflict(op)


def retry_op(session, actor: Actor, op_id: str) -> Conflict:
    """Queue refused operation ``op_id`` again (in the caller's transaction), to be judged on the centre's
    current state: a new operation with the same seed (row ids) and numbers, without the versions it read."""
    actor.require("record")
    op = _refused(session, op_id)
    again = OutboxOp(op_id=uuid.uuid4(), seed=op.seed, service=op.service, inputs=op.inputs,
                     actor=actor.username, actor_role=str(actor.role), branch=op.branch, local_at=op.local_at,
                     reads="{}", touched=op.touched, numbers=op.numbers, state=PENDING, retry_of=op.op_id)
    op.state, op.resolution, op.resolved_by, op.outcome_at = RESOLVED, RETRY, actor.username, utcnow()
    session.add(op)
    session.add(again)
    audit.record(session, actor, "sync.retry", entity="sync_outbox", entity_id=op.op_id,
                 before={"state": CONFLICT}, after={"state": RESOLVED, "resolution": RETRY, "retry": str(again.op_id)})
    return _conflict(op)


def retry(engine: Engine, actor: Actor, op_id: str) -> Conflict:
    """:func:`retry_op` in its own transaction."""
    with write_session(engine, action="resolving a refused operation") as s:
        return retry_op(s, actor, op_id)


__all__ = ["RETRY", "TAKE_CENTRAL", "retry", "retry_op", "take_central"]
