"""Push: the branch's outbox to the centre, exactly once (issue 11 item 3).

:func:`push` submits every waiting operation oldest first into the centre's
``sync_submission`` with ``INSERT … ON CONFLICT (op_id) DO NOTHING`` — the
only privilege a branch's database role has there — so submitting one twice,
or again after a crash before the branch noted it, adds nothing. The central
applier (:mod:`core.sync.applier`) runs each operation's service and writes
its outcome into ``sync_applied`` in the same transaction; :func:`collect`
reads those outcomes back and marks the outbox rows ``applied`` or
``conflict`` (with the centre's reasons), each batch in one local
transaction. A SIGKILL anywhere leaves every operation either still waiting
(submitted again next time, harmlessly) or answered.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from core.auth import Actor
from core.db import read_session, write_session
from core.models import OutboxOp, SyncApplied, SyncSubmission, utcnow
from core.sync import ops
from core.sync.outbox import APPLIED, CONFLICT, PENDING, SUBMITTED, WAITING

BATCH = 200

Progress = Callable[[int, int], None]  # (done, total), as the pull's


@dataclass(frozen=True)
class PushResult:
    submitted: int  # operations sent to the centre this time
    applied: int  # answered "applied" this time
    conflicts: int  # answered "conflict" this time
    waiting: int  # still without an answer (the applier has not reached them)

    def as_dict(self) -> dict:
        return {"submitted": self.submitted, "applied": self.applied, "conflicts": self.conflicts,
                "waiting": self.waiting}


def _insert(engine: Engine):
    return (pg_insert if engine.dialect.name == "postgresql" else sqlite_insert)(SyncSubmission.__table__)


def submit(local: Engine, central: Engine, *, batch: int = BATCH, progress: Progress | None = None,
           stop_after: int | None = None) -> int:
    """Send every waiting operation, oldest first; returns how many were sent.
    ``stop_after``: stop after that many (tests, to interrupt a push)."""
    with read_session(local, action="reading the outbox") as s:
        total = len(s.exec(select(OutboxOp.seq).where(col(OutboxOp.state).in_(WAITING))).all())
    sent, last = 0, 0
    while True:
        with read_session(local, action="reading the outbox") as s:
            rows = list(s.exec(select(OutboxOp).where(col(OutboxOp.state).in_(WAITING), col(OutboxOp.seq) > last)
                               .order_by(OutboxOp.seq).limit(batch)))
            values = [{"op_id": op.op_id, "branch": op.branch, "seq": op.seq, "payload": ops.dumps(ops.payload(op)),
                       "submitted_at": utcnow()} for op in rows]
        if not rows:
            return sent
        if stop_after is not None:
            values = values[: max(0, stop_after - sent)]
            if not values:
                return sent
        with central.begin() as conn:
            conn.execute(_insert(central).on_conflict_do_nothing(index_elements=["op_id"]), values)
        seqs = [v["seq"] for v in values]
        with write_session(local, action="noting the submitted operations") as s:
            for op in s.exec(select(OutboxOp).where(col(OutboxOp.seq).in_(seqs), OutboxOp.state == PENDING)):
                op.state, op.submitted_at = SUBMITTED, utcnow()
                s.add(op)
        sent += len(values)
        last = seqs[-1]
        if progress:
            progress(sent, total)


def collect(local: Engine, central: Engine, *, wait: float = 0.0, batch: int = 500,
            progress: Progress | None = None) -> tuple[int, int, int]:
    """Read the centre's answers for the submitted operations (waiting up to
    ``wait`` seconds for the applier); returns (applied, conflicts, still waiting)."""
    applied = refused = 0
    deadline = time.monotonic() + wait
    while True:
        with read_session(local, action="reading the outbox") as s:
            asked = [op_id for op_id in s.exec(select(OutboxOp.op_id).where(OutboxOp.state == SUBMITTED)
                                              .order_by(OutboxOp.seq))]
        answers: dict[uuid.UUID, tuple[str, str]] = {}
        with central.connect() as conn:
            t = SyncApplied.__table__
            for i in range(0, len(asked), batch):
                chunk = asked[i:i + batch]
                for op_id, outcome, reasons in conn.execute(
                        sa_select(t.c.op_id, t.c.outcome, t.c.reasons).where(t.c.op_id.in_(chunk))):
                    answers[op_id] = (outcome, reasons)
        if answers:
            keys = list(answers)
            for i in range(0, len(keys), batch):
                with write_session(local, action="noting the centre's answers") as s:
                    for op in s.exec(select(OutboxOp).where(col(OutboxOp.op_id).in_(keys[i:i + batch]),
                                                            OutboxOp.state == SUBMITTED)):
                        outcome, reasons = answers[op.op_id]
                        op.state = APPLIED if outcome == "applied" else CONFLICT
                        op.reasons, op.outcome_at = reasons if op.state == CONFLICT else "[]", utcnow()
                        applied += op.state == APPLIED
                        refused += op.state == CONFLICT
                        s.add(op)
        left = len(asked) - len(answers)
        if left == 0 or time.monotonic() >= deadline:
            return applied, refused, left
        time.sleep(0.2)


def push(local: Engine, actor: Actor, *, central: Engine | None = None, wait: float = 0.0,
         progress: Progress | None = None, batch: int = BATCH) -> PushResult:
    """Submit the outbox oldest first, then read back the centre's answers
    (waiting up to ``wait`` s for the applier). ``central``: the centre's
    engine (default: the branch link's, ``core.sync.link``)."""
    from core.models import SyncBranch
    from core.sync.link import central_engine, require_link

    actor.require("record")
    own = central is None
    if own:
        with read_session(local, action="pushing to the centre") as s:
            central = central_engine(require_link(s))
    try:
        sent = _faults(lambda: submit(local, central, batch=batch, progress=progress))
        applied, refused, left = _faults(lambda: collect(local, central, wait=wait))
    finally:
        if own:
            central.dispose()
    with write_session(local, action="noting the push") as s:
        pending = len(s.exec(select(OutboxOp.seq).where(OutboxOp.state == PENDING)).all())
        row = s.get(SyncBranch, 1)
        if row is not None:
            row.last_push_at, row.last_push_ops = utcnow(), sent
            s.add(row)
    return PushResult(submitted=sent, applied=applied, conflicts=refused, waiting=left + pending)


def _faults(work):
    """A centre that cannot be reached is a DatabaseFault naming the push, never a traceback."""
    from sqlalchemy.exc import DBAPIError

    from core.db import database_fault

    try:
        return work()
    except DBAPIError as exc:
        fault = database_fault(exc, "pushing to the centre")
        if fault is None:
            raise
        raise fault from exc


__all__ = ["PushResult", "collect", "push", "submit", "CONFLICT"]
