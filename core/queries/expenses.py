"""What was spent: the recorded expenses and the cash claims' receipts a
benefit rule counts (SZ-MD Art. 6, 8; ZZ §4), and the booked expenses of the
monthly settlement (SZ-MD Art. 11).

The one place that reads the expense table for benefits, so a change of its
storage touches this module only.

Reading: "what was spent" in a period is the booked expenses
(``settlement = bookkeeping``; the institution's feed) plus the counted
receipts of the cash claims that are live or approved (a cash visit reaches
the agency as a claim receipt): each visit once. Large-equipment
examinations do not count where the pack says so (SZ-MD Art. 6).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from core.models import ClaimReceipt, ExpenseRecord, ReimbursementClaim, Settlement
from core.workflows.definitions import CLAIM_HOLDS_RECEIPTS

__all__ = ["BookedExpense", "SpendTotals", "booked_expenses", "booked_before", "spent"]


def _start(d: date) -> datetime:
    return datetime.combine(d, time.min)


@dataclass(frozen=True)
class SpendTotals:
    """Fen spent in a period: ``booked`` from the expense records, ``claimed``
    from the cash claims' receipts, ``large_equipment`` booked but not counted."""

    booked_fen: int = 0
    claimed_fen: int = 0
    large_equipment_fen: int = 0
    visits: int = 0

    @property
    def total_fen(self) -> int:
        return self.booked_fen + self.claimed_fen


def spent(session: Session, enrollee_id: uuid.UUID, disease_code: str, start: date, end: date, *,
          exclude_large_equipment: bool, exclude_claim: uuid.UUID | None = None,
          claims_before: date | None = None) -> SpendTotals:
    """What counts for ``disease_code`` from ``start`` to ``end`` (inclusive).

    ``exclude_claim`` leaves one claim's receipts out (the one being
    decided); ``claims_before`` counts only receipts treated before that day."""
    x = ExpenseRecord
    where = [x.enrollee_id == enrollee_id, x.disease_code == disease_code,
             col(x.occurred_at) >= _start(start), col(x.occurred_at) < _start(end + timedelta(days=1)),
             x.settlement == Settlement.BOOKKEEPING]
    large = func.coalesce(func.sum(x.amount_fen).filter(col(x.large_equipment).is_(True)), 0)
    total = func.coalesce(func.sum(x.amount_fen), 0)
    booked, le, visits = session.exec(select(total, large, func.count()).where(*where)).one()
    r, c = ClaimReceipt, ReimbursementClaim
    rw = [c.enrollee_id == enrollee_id, c.disease_code == disease_code,
          col(c.status).in_(sorted(CLAIM_HOLDS_RECEIPTS)), col(r.treated_on) >= start, col(r.treated_on) <= end,
          col(r.pays).is_(True)]
    if exclude_claim is not None:
        rw.append(c.id != exclude_claim)
    if claims_before is not None:
        rw.append(col(r.treated_on) < claims_before)
    claimed = session.exec(select(func.coalesce(func.sum(r.counted_fen), 0))
                           .join(c, and_(col(c.id) == col(r.claim_id))).where(*rw)).one()
    booked, le = int(booked or 0), int(le or 0)
    counted_booked = booked - le if exclude_large_equipment else booked
    return SpendTotals(booked_fen=counted_booked, claimed_fen=int(claimed or 0),
                       large_equipment_fen=le if exclude_large_equipment else 0, visits=int(visits or 0))


@dataclass(frozen=True)
class BookedExpense:
    enrollee_id: uuid.UUID
    institution_id: uuid.UUID | None
    disease_code: str
    occurred_at: datetime
    amount_fen: int
    large_equipment: bool


def booked_expenses(session: Session, start: date, end: date) -> list[BookedExpense]:
    """Booked major-disease expenses from ``start`` to ``end`` (inclusive),
    in time order per enrollee (the monthly settlement, SZ-MD Art. 11)."""
    x = ExpenseRecord
    rows = session.exec(
        select(x.enrollee_id, x.institution_id, x.disease_code, x.occurred_at, x.amount_fen, x.large_equipment)
        .where(col(x.occurred_at) >= _start(start), col(x.occurred_at) < _start(end + timedelta(days=1)),
               x.settlement == Settlement.BOOKKEEPING, col(x.disease_code).is_not(None))
        .order_by(col(x.enrollee_id), col(x.occurred_at)))
    return [BookedExpense(*row) for row in rows]


def booked_before(session: Session, enrollee_ids: list[uuid.UUID], start: date, before: date,
                  *, large_equipment: bool) -> dict[tuple[uuid.UUID, str], int]:
    """Per (enrollee, disease) the booked fen from ``start`` up to the day
    before ``before``; large-equipment rows left out unless ``large_equipment``."""
    if not enrollee_ids or before <= start:
        return {}
    x = ExpenseRecord
    where = [col(x.occurred_at) >= _start(start), col(x.occurred_at) < _start(before),
             x.settlement == Settlement.BOOKKEEPING, col(x.disease_code).is_not(None)]
    if not large_equipment:
        where.append(col(x.large_equipment).is_(False))
    out: dict[tuple[uuid.UUID, str], int] = {}
    for i in range(0, len(enrollee_ids), 500):
        chunk = enrollee_ids[i:i + 500]
        rows = session.exec(select(x.enrollee_id, x.disease_code, func.sum(x.amount_fen))
                            .where(*where, col(x.enrollee_id).in_(chunk))
                            .group_by(col(x.enrollee_id), col(x.disease_code)))
        for eid, code, fen in rows:
            out[(eid, code)] = int(fen or 0)
    return out
