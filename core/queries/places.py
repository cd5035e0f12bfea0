"""Institutions and physicians for the pickers, each asked of the rule the
step will apply: diagnostic hospitals and off-site issuers (SZ-MD Art. 4),
record-book issuers and replacement offices (SZ-MD Art. 5), institutions to
file off site (SZ-MT Art. 10), the drafting physician and the team.

SQL narrows (indexed, at most a few pages of ``limit`` rows); the rule's own
predicate then keeps what it accepts, so the list never holds a choice the
step refuses.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from core.models import (
    Institution,
    InstitutionKind,
    OffsiteFiling,
    Physician,
    TeamMembership,
)
from core.policy import Policy
from core.records import frozen
from core.rules import books as book_rules
from core.rules import certificates as cert_rules
from core.rules import offsite as offsite_rules
from core.rules import replacements as replacement_rules
from core.services.registry import team_for

#: pages of ``limit`` rows read at most while the rule filters
_PAGES = 4


def _narrowed(stmt, query: str, *columns):
    q = query.strip()
    if not q:
        return stmt
    cols = columns or (Institution.code, Institution.name, Institution.name_zh, Institution.city)
    return stmt.where(or_(*(col(c).icontains(q, autoescape=True) for c in cols)))


def _accepted(session: Session, stmt, accept: Callable[[Any], bool], limit: int) -> tuple:
    """Up to ``limit`` rows of ``stmt`` that ``accept`` keeps, as frozen records."""
    if limit <= 0:
        return ()
    out: list = []
    for page in range(_PAGES):
        rows = list(session.exec(stmt.offset(page * limit).limit(limit)))
        out += [frozen(r) for r in rows if accept(r)]
        if len(out) >= limit or len(rows) < limit:
            break
    return tuple(out[:limit])


def institutions_by_id(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Institution]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {i.id: frozen(i) for i in session.exec(select(Institution).where(col(Institution.id).in_(wanted)))}


def diagnostic_hospitals(session: Session, query: str, limit: int, *, policy: Policy) -> tuple[Institution, ...]:
    """Hospitals that may issue a certificate in the city (SZ-MD Art. 4)."""
    stmt = select(Institution).where(col(Institution.active).is_(True), col(Institution.designated).is_(True),
                                     col(Institution.diagnostic_hospital).is_(True),
                                     Institution.city == policy.pack.city)
    return _accepted(session, _narrowed(stmt, query).order_by(col(Institution.code)),
                     lambda i: not cert_rules.hospital_reasons(i, policy), limit)


def active_filing(session: Session, enrollee_id: uuid.UUID, on: date) -> OffsiteFiling | None:
    """The enrollee's filing in force on ``on`` (the one a certificate drafted off site rests on)."""
    from core.services.certificates import _active_filing

    return frozen(_active_filing(session, enrollee_id, on))


def offsite_issuers(session: Session, query: str, limit: int, *, policy: Policy, enrollee_id: uuid.UUID,
                    on: date) -> tuple[Institution, ...]:
    """Institutions that may issue the enrollee's certificate off site on
    ``on``: in the filed place, of the level, on record (SZ-MD Art. 4(2))."""
    filing = active_filing(session, enrollee_id, on)
    if filing is None:
        return ()
    stmt = select(Institution).where(col(Institution.active).is_(True),
                                     col(Institution.offsite_on_record).is_(True),
                                     Institution.city == filing.place_city,
                                     col(Institution.level) >= policy.certificates.offsite_min_level)
    return _accepted(session, _narrowed(stmt, query).order_by(col(Institution.code)),
                     lambda i: not cert_rules.offsite_issuer_reasons(i, filing, policy), limit)


def book_issuers(session: Session, query: str, limit: int, *, policy: Policy) -> tuple[Institution, ...]:
    """Hospitals that may issue or renew a record book (SZ-MD Art. 5); the
    agency itself (no institution) always may."""
    stmt = select(Institution).where(col(Institution.active).is_(True),
                                     col(Institution.diagnostic_hospital).is_(True),
                                     Institution.city == policy.pack.city)
    return _accepted(session, _narrowed(stmt, query).order_by(col(Institution.code)),
                     lambda i: not book_rules.issuer_reasons(i, policy), limit)


def replacement_offices(session: Session, query: str, limit: int, *, place: str,
                        original_id: uuid.UUID | None, policy: Policy) -> tuple[Institution, ...]:
    """Where a lost document may be replaced (SZ-MD Art. 5): for ``agency``
    its offices; for ``hospital`` the hospital that issued the lost document
    (``original_id``; none when the agency issued it)."""
    if place == "agency":
        stmt = select(Institution).where(col(Institution.active).is_(True),
                                         Institution.kind == InstitutionKind.SOCIAL_SECURITY)
    elif original_id is not None:
        stmt = select(Institution).where(Institution.id == original_id)
    else:
        return ()
    return _accepted(session, _narrowed(stmt, query).order_by(col(Institution.code)),
                     lambda i: not replacement_rules.place_reasons(place, i, original_id, policy), limit)


def filing_candidates(session: Session, place_city: str, query: str = "", limit: int = 50, *,
                      policy: Policy) -> tuple[Institution, ...]:
    """Institutions that may be filed in ``place_city`` (SZ-MT Art. 9, 10)."""
    from core.services.offsite import _candidate

    stmt = select(Institution).where(
        func.lower(Institution.city) == place_city.strip().lower(),
        col(Institution.kind).in_([str(k) for k in offsite_rules.MEDICAL_KINDS]),
        col(Institution.public).is_(True),
        col(Institution.designated).is_(True),
        col(Institution.active).is_(True),
        col(Institution.level) >= policy.offsite.min_level,
    )
    stmt = _narrowed(stmt, query, Institution.code, Institution.name, Institution.name_zh)
    return _accepted(session, stmt.order_by(col(Institution.level).desc(), col(Institution.name)),
                     lambda i: not offsite_rules.institution_reasons(1, i.code, _candidate(i), place_city,
                                                                     policy), limit)


def physicians(session: Session, query: str, limit: int, *, institution_id: uuid.UUID,
               specialty: str, policy: Policy) -> tuple[Physician, ...]:
    """Active physicians of the hospital in the disease's specialty with the
    title to draft a certificate (SZ-MD Art. 4)."""
    stmt = select(Physician).where(Physician.institution_id == institution_id, Physician.specialty == specialty,
                                   col(Physician.active).is_(True))
    stmt = _narrowed(stmt, query, Physician.code, Physician.name)
    return _accepted(session, stmt.order_by(col(Physician.code)),
                     lambda p: not cert_rules.drafter_title_reasons(p, policy), limit)


def team_members(session: Session, query: str, limit: int, *, institution_id: uuid.UUID,
                 specialty: str) -> tuple[tuple[TeamMembership, Physician], ...]:
    """The hospital's diagnostic team for the specialty, head first: each
    physician once (a member who later became head is listed as head), with
    the membership's dates (SZ-MD Art. 4)."""
    team = team_for(session, institution_id, specialty)
    if team is None:
        return ()
    stmt = (select(TeamMembership, Physician)
            .where(TeamMembership.team_id == team.id)
            .where(TeamMembership.physician_id == Physician.id))
    stmt = _narrowed(stmt, query, Physician.code, Physician.name)
    out: list[tuple[TeamMembership, Physician]] = []
    seen: set[uuid.UUID] = set()
    for m, p in session.exec(stmt.order_by(col(TeamMembership.is_head).desc(), col(Physician.code)).limit(limit)):
        if p.id not in seen:
            seen.add(p.id)
            out.append((frozen(m), frozen(p)))
    return tuple(out)


def signers(session: Session, query: str, limit: int, *, institution_id: uuid.UUID, specialty: str,
            policy: Policy, on: date) -> tuple[tuple[TeamMembership | None, Physician], ...]:
    """Who may sign under the pack's rule on ``on`` (the rule decides:
    :func:`core.rules.certificates.signer_reasons`): the team where the pack
    keeps a team list, else every physician the rule accepts (ZZ §3:
    associate-senior title or the department director)."""
    from core.services.certificates import signer_candidates

    q = query.strip().casefold()
    out = [(frozen(m) if m is not None else None, frozen(p))
           for p, m in signer_candidates(session, institution_id, specialty, policy, on)
           if not q or q in p.code.casefold() or q in p.name.casefold()]
    return tuple(out[:limit])



def filed_institutions(session: Session, filing_id: uuid.UUID) -> tuple[tuple[Institution, bool], ...]:
    """A filing's institutions in order, each with whether it stamped the form (SZ-MT Art. 10)."""
    from core.models import FilingInstitution
    from core.services.offsite import filed_institutions as in_order

    stamps = {fi.institution_id: fi.stamped
              for fi in session.exec(select(FilingInstitution).where(FilingInstitution.filing_id == filing_id))}
    return tuple((frozen(i), stamps.get(i.id, False)) for i in in_order(session, filing_id))
