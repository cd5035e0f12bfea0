"""The branch's outbox, read: what is waiting, what the centre refused, which
rows are provisional (issue 11 items 3, 4, 6).

An operation moves ``pending`` (made here) → ``submitted`` (in the centre's
``sync_submission``) → ``applied`` or ``conflict`` (the centre's outcome, with
its reasons) → ``resolved`` (a caseworker took the centre's state or retried
it as a new operation). Rows are never deleted (a trigger refuses it).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from core.errors import NotFound, Reason
from core.i18n import N_
from core.models import OutboxOp
from core.sync.ops import decode_reasons

PENDING, SUBMITTED, APPLIED, CONFLICT, RESOLVED = "pending", "submitted", "applied", "conflict", "resolved"
WAITING = (PENDING, SUBMITTED)
#: operations whose local effect is not (yet) the centre's: shown as provisional
HOLDING = (PENDING, SUBMITTED, CONFLICT)


@dataclass(frozen=True)
class Conflict:
    """An operation the centre refused, with its reasons."""

    op_id: str
    seq: int
    service: str
    actor: str
    branch: str
    local_at: str
    state: str
    reasons: tuple[Reason, ...]
    touched: tuple[str, ...]
    resolution: str = ""

    def as_dict(self, lang: str = "en") -> dict:
        return {"op_id": self.op_id, "seq": self.seq, "service": self.service, "actor": self.actor,
                "branch": self.branch, "local_at": self.local_at, "state": self.state,
                "resolution": self.resolution, "touched": list(self.touched),
                "reasons": [r.as_dict(lang) for r in self.reasons]}


def waiting_count(session: Session) -> int:
    """Operations made here that the centre has not answered yet."""
    return session.exec(select(func.count()).select_from(OutboxOp).where(col(OutboxOp.state).in_(WAITING))).one()


def conflict_count(session: Session) -> int:
    """Operations the centre refused that nobody has resolved yet."""
    return session.exec(select(func.count()).select_from(OutboxOp).where(OutboxOp.state == CONFLICT)).one()


def _rows(op: OutboxOp) -> set[tuple[str, uuid.UUID]]:
    out = set()
    for key in json.loads(op.touched or "[]"):
        table, _, row_id = key.partition(":")
        out.add((table, uuid.UUID(row_id)))
    return out


def held_rows(session: Session) -> set[tuple[str, uuid.UUID]]:
    """(table, id) of rows changed here by an operation the centre has not
    taken (waiting or refused): provisional; the pull leaves them alone."""
    out: set[tuple[str, uuid.UUID]] = set()
    for op in session.exec(select(OutboxOp).where(col(OutboxOp.state).in_(HOLDING))):
        out |= _rows(op)
    return out


def settled_rows(session: Session, since) -> set[tuple[str, uuid.UUID]]:
    """(table, id) of rows touched by operations the centre answered (taken
    or refused, then resolved) since ``since`` (None: ever): the pull fetches
    them again, since it left them alone while they were held (sync-pull)."""
    q = select(OutboxOp).where(col(OutboxOp.state).notin_(HOLDING))
    if since is not None:
        q = q.where(OutboxOp.outcome_at >= since)
    out: set[tuple[str, uuid.UUID]] = set()
    for op in session.exec(q):
        out |= _rows(op)
    return out


def is_provisional(session: Session, table: str, row_id: uuid.UUID) -> bool:
    """True while the row's latest local change waits for the centre or was refused."""
    return (table, row_id) in held_rows(session)


def _conflict(op: OutboxOp) -> Conflict:
    return Conflict(op_id=str(op.op_id), seq=op.seq or 0, service=op.service, actor=op.actor, branch=op.branch,
                    local_at=op.local_at, state=op.state, reasons=tuple(decode_reasons(json.loads(op.reasons))),
                    touched=tuple(json.loads(op.touched or "[]")), resolution=op.resolution)


def conflicts(session: Session, *, include_resolved: bool = False) -> tuple[Conflict, ...]:
    """The conflict queue, oldest first."""
    states = [CONFLICT, RESOLVED] if include_resolved else [CONFLICT]
    q = select(OutboxOp).where(col(OutboxOp.state).in_(states))
    if include_resolved:
        q = q.where((OutboxOp.state == CONFLICT) | (OutboxOp.reasons != "[]"))
    return tuple(_conflict(op) for op in session.exec(q.order_by(OutboxOp.seq)))


def find_op(session: Session, op_id: str) -> OutboxOp:
    """The outbox row of operation ``op_id`` (a unique prefix of at least 8 characters will do)."""
    text_ = (op_id or "").strip().lower()
    try:
        row = session.exec(select(OutboxOp).where(OutboxOp.op_id == uuid.UUID(text_))).first()
    except ValueError:
        row = None
        if len(text_) >= 8:
            found = [op for op in session.exec(select(OutboxOp).where(OutboxOp.state == CONFLICT))
                     if str(op.op_id).startswith(text_)]
            row = found[0] if len(found) == 1 else None
    if row is None:
        raise NotFound.one("", "op", N_("No operation {op} in this branch's outbox."), op=op_id)
    return row


@dataclass(frozen=True)
class ProvisionalRow:
    """A record of one enrollee whose local change the centre has not taken (yet)."""

    table: str
    row_id: str
    number: str  # the record's number, "" when it has none
    state: str  # pending | submitted | conflict


def provisional_for(session: Session, enrollee_id: uuid.UUID) -> tuple[ProvisionalRow, ...]:
    """The enrollee's records changed here by operations still waiting for the
    centre or refused by it: their local state is provisional (shown so)."""
    from core.sync.ops import _models

    state_of: dict[tuple[str, uuid.UUID], str] = {}
    for op in session.exec(select(OutboxOp).where(col(OutboxOp.state).in_(HOLDING)).order_by(OutboxOp.seq)):
        for key in _rows(op):
            if state_of.get(key) != CONFLICT:
                state_of[key] = op.state
    by_table: dict[str, list[uuid.UUID]] = {}
    for table, row_id in state_of:
        by_table.setdefault(table, []).append(row_id)
    models = _models()
    out = []
    for table, ids in sorted(by_table.items()):
        model = models.get(table)
        if model is None or not (table == "enrollee" or hasattr(model, "enrollee_id")):
            continue
        owner = model.id if table == "enrollee" else model.enrollee_id
        for row in session.exec(select(model).where(col(model.id).in_(ids), owner == enrollee_id)):
            out.append(ProvisionalRow(table, str(row.id), str(getattr(row, "number", "") or ""),
                                      state_of[(table, row.id)]))
    return tuple(out)
