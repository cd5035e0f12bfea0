"""Enrollee lookup by ID number, social-security card number or name.

Built for a city of 16 million enrollees: every query is an indexed equality
or prefix range (``name >= q AND name < q || U+FFFF``), paged with LIMIT and
OFFSET, so it never scans the table or loads more than a page.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass
from datetime import date

from sqlmodel import Session, col, select

from core.errors import DomainError, NotFound
from core.i18n import N_
from core.ids import mask_card_number, mask_id_number
from core.models import Enrollee, Institution

PAGE_SIZE = 20
_ID_RE = re.compile(r"^\d{6,17}[\dXx]?$")
_CARD_RE = re.compile(r"^[A-Za-z]{0,3}\d{6,}$")
_HIGH = "\U0010ffff"


@dataclass(frozen=True)
class EnrolleeRow:
    id: str
    name: str
    id_masked: str
    card_masked: str
    scheme: str
    account_state: str
    birth_date: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LookupPage:
    query: str
    kind: str  # id_number | card | name
    rows: list[EnrolleeRow]
    offset: int
    limit: int
    has_more: bool

    def as_dict(self) -> dict:
        return {
            "query": self.query,
            "kind": self.kind,
            "offset": self.offset,
            "limit": self.limit,
            "has_more": self.has_more,
            "rows": [r.as_dict() for r in self.rows],
        }


def _row(e: Enrollee) -> EnrolleeRow:
    return EnrolleeRow(
        id=str(e.id),
        name=e.name,
        id_masked=mask_id_number(e.id_number),
        card_masked=mask_card_number(e.card_number),
        scheme=e.scheme,
        account_state=e.account_state,
        birth_date=e.birth_date.isoformat() if isinstance(e.birth_date, date) else "",
    )


def classify(query: str) -> str:
    q = query.strip()
    if _ID_RE.match(q) and len(q) >= 15:
        return "id_number"
    if _CARD_RE.match(q):
        return "card"
    return "name"


def search(session: Session, query: str, *, offset: int = 0, limit: int = PAGE_SIZE) -> LookupPage:
    q = query.strip()
    if not q:
        raise DomainError.one("", "query", N_("Type an ID number, a card number or part of a name."))
    if limit < 1 or offset < 0:
        raise DomainError.one("", "query", N_("Page size and offset must be positive."))
    kind = classify(q)
    stmt = select(Enrollee)
    if kind == "id_number":
        qn = q.upper()
        if len(qn) == 18:
            stmt = stmt.where(Enrollee.id_number == qn)
        else:
            stmt = stmt.where(col(Enrollee.id_number) >= qn, col(Enrollee.id_number) < qn + _HIGH)
        order = col(Enrollee.id_number)
    elif kind == "card":
        # a card number typed in full, or the start of one
        qn = q.upper()
        stmt = stmt.where(col(Enrollee.card_number) >= qn, col(Enrollee.card_number) < qn + _HIGH)
        order = col(Enrollee.card_number)
    else:
        stmt = stmt.where(col(Enrollee.name) >= q, col(Enrollee.name) < q + _HIGH)
        order = col(Enrollee.name)
    rows = list(session.exec(stmt.order_by(order, col(Enrollee.id)).offset(offset).limit(limit + 1)))
    return LookupPage(
        query=q,
        kind=kind,
        rows=[_row(e) for e in rows[:limit]],
        offset=offset,
        limit=limit,
        has_more=len(rows) > limit,
    )


def get_enrollee(session: Session, ref: str | uuid.UUID) -> Enrollee:
    """An enrollee by UUID, full ID number or card number (exact)."""
    e: Enrollee | None = None
    if isinstance(ref, uuid.UUID):
        e = session.get(Enrollee, ref)
    else:
        r = ref.strip()
        try:
            e = session.get(Enrollee, uuid.UUID(r))
        except ValueError:
            e = session.exec(select(Enrollee).where(Enrollee.id_number == r.upper())).first()
            if e is None:
                e = session.exec(select(Enrollee).where(Enrollee.card_number == r.upper())).first()
    if e is None:
        raise NotFound.one("", "enrollee", N_("No enrollee with ID number, card number or key {ref}."), ref=str(ref))
    return e


def institution_by_code(session: Session, code: str, *, field: str = "institution", article: str = "") -> Institution:
    """An institution by its code (exact, surrounding spaces ignored)."""
    inst = session.exec(select(Institution).where(Institution.code == code.strip())).first()
    if inst is None:
        raise NotFound.one(article, field, N_("No institution with code {code}."), code=code)
    return inst
