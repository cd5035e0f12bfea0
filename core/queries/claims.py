"""Cash reimbursement claims as plain results for the screens and the
commands: a claim with its receipts, items and each receipt's decision
(reasons with their article, in the language asked)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from core.models import Enrollee, Institution, ReimbursementClaim
from core.policy import Policy
from core.rules.formulas import money
from core.services import claims as svc
from core.services.lookup import get_enrollee

__all__ = ["ClaimView", "ItemView", "ReceiptView", "claim_view", "claims_of_enrollee"]


@dataclass(frozen=True)
class ItemView:
    description: str
    amount_fen: int
    large_equipment: bool
    supplementary: bool


@dataclass(frozen=True)
class ReceiptView:
    position: int
    receipt_number: str
    institution_code: str
    institution_name: str
    institution_name_zh: str
    treated_on: date
    emergency: bool
    peritoneal_dialysis: bool
    amount_fen: int
    pays: bool | None
    counted_fen: int
    basic_fen: int
    supplementary_fen: int
    paid_fen: int
    reasons_json: str
    items: tuple[ItemView, ...]

    def reasons(self, lang: str = "en") -> list[dict[str, Any]]:
        """Each stored reason: ok, article, field, and the message in ``lang``."""
        return svc.decode_reasons(self.reasons_json, lang)

    def institution(self, lang: str = "en") -> str:
        return (self.institution_name_zh or self.institution_name) if lang.startswith("zh") else self.institution_name

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "receipt": self.receipt_number, "institution": self.institution_code, "treated_on": self.treated_on.isoformat(),
            "emergency": self.emergency, "peritoneal_dialysis": self.peritoneal_dialysis,
            "amount": money(self.amount_fen), "pays": self.pays, "counted": money(self.counted_fen),
            "basic_pooling": money(self.basic_fen), "supplementary_pooling": money(self.supplementary_fen),
            "paid": money(self.paid_fen),
            "items": [{"description": i.description, "amount": money(i.amount_fen), "large_equipment": i.large_equipment,
                       "supplementary": i.supplementary} for i in self.items],
            "reasons": self.reasons(lang),
        }


@dataclass(frozen=True)
class ClaimView:
    id: uuid.UUID
    version: int
    number: str
    enrollee_id: uuid.UUID
    enrollee_name: str
    id_number: str
    disease_code: str
    status: str
    registered_on: date
    registered_by: str
    decided_on: date | None
    decided_by: str | None
    approved_on: date | None
    approved_by: str | None
    withdrawn_on: date | None
    end_reason: str
    claimed_fen: int
    basic_fen: int
    supplementary_fen: int
    paid_fen: int
    receipts: tuple[ReceiptView, ...]

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        def day(d: date | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "id": str(self.id), "number": self.number, "status": self.status, "enrollee": self.id_number,
            "name": self.enrollee_name, "disease": self.disease_code,
            "registered_on": day(self.registered_on), "registered_by": self.registered_by,
            "decided_on": day(self.decided_on), "decided_by": self.decided_by,
            "approved_on": day(self.approved_on), "approved_by": self.approved_by,
            "withdrawn_on": day(self.withdrawn_on), "end_reason": self.end_reason,
            "claimed": money(self.claimed_fen), "basic_pooling": money(self.basic_fen),
            "supplementary_pooling": money(self.supplementary_fen), "paid": money(self.paid_fen),
            "receipts": [r.as_dict(lang) for r in self.receipts],
        }


def _view(session: Session, c: ReimbursementClaim) -> ClaimView:
    e = session.get(Enrollee, c.enrollee_id)
    rows = svc.receipts_of(session, c.id)
    insts = {i.id: i for i in session.exec(select(Institution).where(
        Institution.id.in_([r.institution_id for r, _ in rows])))} if rows else {}  # type: ignore[attr-defined]
    receipts = tuple(
        ReceiptView(r.position, r.receipt_number, insts[r.institution_id].code, insts[r.institution_id].name,
                    insts[r.institution_id].name_zh, r.treated_on, r.emergency, r.peritoneal_dialysis, r.amount_fen,
                    r.pays, r.counted_fen, r.basic_fen, r.supplementary_fen, r.paid_fen, r.reasons,
                    tuple(ItemView(i.description, i.amount_fen, i.large_equipment, i.supplementary) for i in items))
        for r, items in rows)
    return ClaimView(c.id, c.version, c.number, c.enrollee_id, e.name if e else "", e.id_number if e else "",
                     c.disease_code, c.status, c.registered_on, c.registered_by, c.decided_on, c.decided_by,
                     c.approved_on, c.approved_by, c.withdrawn_on, c.end_reason, c.claimed_fen, c.basic_fen,
                     c.supplementary_fen, c.paid_fen, receipts)


def claim_view(session: Session, ref: str | uuid.UUID, policy: Policy | None = None) -> ClaimView:
    """A claim by number or key, with its receipts and their decisions."""
    return _view(session, svc.get_claim(session, ref, policy))


def claims_of_enrollee(session: Session, enrollee: str | uuid.UUID) -> tuple[ClaimView, ...]:
    """An enrollee's claims (ID number, card number or key), newest first."""
    person = get_enrollee(session, enrollee)
    return tuple(_view(session, c) for c in svc.claims_of(session, person.id))
