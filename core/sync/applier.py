"""The central applier: runs the branches' operations through the services
(issue 11 items 3, 4).

Design (chosen over letting a branch write the central tables): a branch's
database role may only INSERT into ``sync_submission`` and read what it pulls
and ``sync_applied`` (:func:`grant_branch_role`); it cannot write a single
record, so it cannot go round the rules. ``casedesk sync apply`` runs at the
centre as the service account that owns the data and, for each submitted
operation in arrival order, in ONE PostgreSQL transaction:

1. takes the applier's advisory lock (one applier at a time, so operations
   are applied in the order they arrived; a second applier waits);
2. skips the operation if ``sync_applied`` already has it (exactly once —
   the primary key on ``sync_applied.op_id`` makes a second insert fail, so
   even two appliers racing cannot both apply it);
3. runs the SAME core service with the operation's inputs, as the caseworker
   it names (their role as the centre's caseworker table says), creating the
   operation's ids and numbers (:func:`core.sync.ops.replay`) — audit events
   say who, the branch and the operation id;
4. writes ``sync_applied(op_id, outcome)`` — in that same transaction.

A refusal (the centre moved on: another branch issued the book, the enrollee
was suspended, a row read is stale, a number is taken) rolls the service back
to a savepoint and writes ``sync_applied(outcome='conflict', reasons)``
instead: the operation is answered, never dropped, and the branch's conflict
queue gets the reasons. A crash anywhere rolls the whole transaction back,
and the operation is applied on the next run.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, exists, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from core.db import write_session
from core.errors import DomainError, Reason
from core.i18n import N_
from core.models import SyncApplied, SyncSubmission
from core.policy import Policy, load_pack
from core.sync import ops

log = logging.getLogger("casedesk.sync")
_APPLIER_LOCK = 0x73796E63_6170706C  # any constant: "syncappl"
NOTIFY_CHANNEL = "casedesk_sync_submitted"


@dataclass(frozen=True)
class ApplyResult:
    applied: int
    conflicts: int

    def as_dict(self) -> dict:
        return {"applied": self.applied, "conflicts": self.conflicts}


def default_policy_for(pack_id: str, sha256: str) -> Policy:
    """The centre's copy of pack ``pack_id``; refused when it is not the file the branch decided by."""
    policy = load_pack(pack_id)
    if sha256 and policy.content_hash and policy.content_hash != sha256:
        raise DomainError.one("", "policy", N_("The branch decided by another version of pack {pack} than the "
                                               "centre holds."), pack=pack_id)
    return policy


def _lock(session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _APPLIER_LOCK})


def apply_one(central: Engine, *, policy_for: Callable[[str, str], Any] = default_policy_for) -> str | None:
    """Apply the oldest unanswered operation; its outcome, or None when none is left."""
    with write_session(central, action="applying a branch's operation") as s:
        _lock(s)
        sub = s.exec(select(SyncSubmission)
                     .where(~exists().where(SyncApplied.op_id == SyncSubmission.op_id))
                     .order_by(SyncSubmission.id).limit(1)).first()
        if sub is None:
            return None
        reasons: list[Reason] = []
        try:
            op = json.loads(sub.payload)
            if op.get("op_id") != str(sub.op_id) or op.get("branch") != sub.branch:
                raise DomainError.one("", "op", N_("The operation's contents do not match its submission."))
            with s.begin_nested():
                ops.replay(s, op, policy_for=policy_for)
        except DomainError as exc:
            reasons = list(exc.reasons)
        except IntegrityError as exc:  # a unique number or row the centre already holds
            log.info("operation %s refused by a constraint: %s", sub.op_id, type(exc.orig).__name__)
            reasons = [Reason("", "number", N_("The centre already holds a record with this operation's number "
                                               "or key."))]
        outcome = "conflict" if reasons else "applied"
        s.add(SyncApplied(op_id=sub.op_id, branch=sub.branch, outcome=outcome,
                          reasons=ops.dumps(ops.encode_reasons(reasons))))
    return outcome


def apply_pending(central: Engine, *, limit: int | None = None,
                  policy_for: Callable[[str, str], Any] = default_policy_for,
                  progress: Callable[[int], None] | None = None) -> ApplyResult:
    """Apply every unanswered operation (at most ``limit``), oldest first."""
    applied = refused = 0
    while limit is None or applied + refused < limit:
        outcome = apply_one(central, policy_for=policy_for)
        if outcome is None:
            break
        applied += outcome == "applied"
        refused += outcome == "conflict"
        if progress:
            progress(applied + refused)
    return ApplyResult(applied, refused)


def run_forever(central: Engine, *, idle: float = 5.0, stop: Callable[[], bool] = lambda: False,
                policy_for: Callable[[str, str], Any] = default_policy_for) -> None:
    """``casedesk sync apply``: apply, then sleep until a branch submits
    (PostgreSQL LISTEN on the submission trigger's channel, or ``idle`` s).
    It listens before it looks, so a submission between the two is not missed."""
    if central.dialect.name != "postgresql":
        while not stop():
            apply_pending(central, policy_for=policy_for)
            time.sleep(idle)
        return
    raw = central.raw_connection()
    conn = raw.driver_connection
    raw.detach()  # autocommit for LISTEN: this connection never goes back to the pool
    try:
        conn.autocommit = True
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        while not stop():
            apply_pending(central, policy_for=policy_for)
            for _ in conn.notifies(timeout=idle, stop_after=1):
                break
    finally:
        conn.close()


def grant_branch_role(central: Engine, role: str) -> None:
    """What a branch's database role may do at the centre: read, and submit
    operations — nothing else (run by the centre's admin; ``role`` must exist)."""
    with central.begin() as conn:
        ident = conn.dialect.identifier_preparer.quote(role)
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {ident}"))
        conn.execute(text(f"GRANT INSERT ON sync_submission TO {ident}"))
        # ON CONFLICT (op_id) reads the arbiter column: the operation ids, never the payloads
        conn.execute(text(f"GRANT SELECT (op_id) ON sync_submission TO {ident}"))
        conn.execute(text(f"GRANT USAGE ON SEQUENCE sync_submission_id_seq TO {ident}"))
        conn.execute(text(f"GRANT SELECT ON sync_applied TO {ident}"))
        from core.sync.changes import pull_grants  # and read what it pulls (sync-pull)

        for sql in pull_grants(ident):
            conn.execute(text(sql))


__all__ = ["ApplyResult", "apply_one", "apply_pending", "grant_branch_role", "run_forever"]
