"""Read helpers of the certificate, record book, replacement and batch screens.

Plain reads for the pickers (catalogue diseases and organs, hospitals,
physicians, team members, issuing offices) and for the enrollee shown at the
top of each screen. Each loader runs in a screen's thread worker, asks the
database for at most ``limit`` rows, and returns :class:`Choice` rows with
their labels already in the screen's language. Nothing here decides what is
allowed: the pickers only narrow the list; the core services check.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from core.i18n import Bilingual, N_, translate
from core.ids import mask_id_number
from core.models import Institution, InstitutionKind, Physician, TeamMembership
from core.policy import Disease, Policy
from core.services.lookup import get_enrollee
from core.services.registry import team_for
from tui.widgets.filter_picker import Choice

TITLE_LABELS = {
    "resident": N_("resident"),
    "attending": N_("attending"),
    "deputy_chief": N_("deputy chief"),
    "chief": N_("chief"),
}

#: picker key of "the municipal agency itself" (no institution row)
AGENCY_KEY = "agency"


def title_label(title: str, lang: str) -> str:
    msgid = TITLE_LABELS.get(title)
    return translate(msgid, lang) if msgid else title


def place_name(inst: Institution, lang: str) -> str:
    return Bilingual(inst.name, inst.name_zh).text(lang)


def place_label(inst: Institution, lang: str) -> str:
    """``CODE  name (city, level n)``."""
    return translate(N_("{code}  {name} ({city}, level {level})"), lang, code=inst.code,
                     name=place_name(inst, lang), city=inst.city, level=inst.level)


# --------------------------------------------------------------------------- the enrollee


@dataclass(frozen=True)
class Subject:
    """The enrollee a workflow screen is about, as shown at its top."""

    id: uuid.UUID
    name: str
    id_masked: str
    scheme: str
    supplementary: bool

    def line(self, lang: str) -> str:
        return translate(N_("{name}, {id}"), lang, name=self.name, id=self.id_masked)


def load_subject(session: Session, ref: str) -> Subject:
    e = get_enrollee(session, ref)
    return Subject(id=e.id, name=e.name, id_masked=mask_id_number(e.id_number), scheme=e.scheme,
                   supplementary=e.supplementary)


def institutions_by_id(session: Session, ids: set[uuid.UUID | None]) -> dict[uuid.UUID, Institution]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {i.id: i for i in session.exec(select(Institution).where(col(Institution.id).in_(wanted)))}


def short_place(inst: Institution | None, lang: str) -> str:
    """``CODE name``, or the agency when there is no institution."""
    if inst is None:
        return translate(N_("the municipal agency"), lang)
    return f"{inst.code} {place_name(inst, lang)}"


# --------------------------------------------------------------------------- catalogue


def disease_choices(policy: Policy, lang: str) -> list[Choice]:
    """The pack's catalogue: ``MD-I-01  name (Cat. 1, cardiology)``."""
    return [Choice(d.code, translate(N_("{code}  {name} (Cat. {category}, {specialty})"), lang, code=d.code,
                                     name=d.name(lang), category=d.category, specialty=d.specialty))
            for d in policy.diseases]


def organ_choices(disease: Disease | None, lang: str) -> list[Choice]:
    if disease is None:
        return []
    out = []
    for o in disease.organs:
        name = o.name_zh if lang.startswith("zh") else o.name_en
        note = translate(N_(" (supplementary insurance only)"), lang) if o.requires_supplementary else ""
        out.append(Choice(o.code, f"{o.code}  {name}{note}"))
    return out


# --------------------------------------------------------------------------- institutions


def _narrowed(stmt, query: str):
    q = query.strip()
    if not q:
        return stmt
    return stmt.where(or_(col(Institution.code).icontains(q, autoescape=True),
                          col(Institution.name).icontains(q, autoescape=True),
                          col(Institution.name_zh).contains(q, autoescape=True),
                          col(Institution.city).icontains(q, autoescape=True)))


def _institutions(session: Session, stmt, query: str, limit: int, lang: str) -> list[Choice]:
    rows = session.exec(_narrowed(stmt, query).order_by(col(Institution.code)).limit(limit))
    return [Choice(str(i.id), place_label(i, lang)) for i in rows]


def diagnostic_hospitals(session: Session, query: str, limit: int, *, policy: Policy, lang: str) -> list[Choice]:
    """Active designated diagnostic hospitals of the pack's city (SZ-MD Art. 4)."""
    stmt = select(Institution).where(col(Institution.active).is_(True), col(Institution.designated).is_(True),
                                     col(Institution.diagnostic_hospital).is_(True),
                                     Institution.city == policy.pack.city)
    return _institutions(session, stmt, query, limit, lang)


def offsite_institutions(session: Session, query: str, limit: int, *, lang: str) -> list[Choice]:
    """Active institutions on record with the agency for off-site issue (SZ-MD Art. 4(2))."""
    stmt = select(Institution).where(col(Institution.active).is_(True),
                                     col(Institution.offsite_on_record).is_(True))
    return _institutions(session, stmt, query, limit, lang)


def issuing_offices(session: Session, query: str, limit: int, *, policy: Policy, lang: str) -> list[Choice]:
    """The agency first, then the city's diagnostic hospitals (SZ-MD Art. 5)."""
    agency = Choice(AGENCY_KEY, translate(N_("The municipal agency"), lang))
    needle = query.strip().lower()
    head = [agency] if not needle or needle in agency.label.lower() or needle in AGENCY_KEY else []
    return head + diagnostic_hospitals(session, query, limit - len(head), policy=policy, lang=lang)


def replacement_offices(session: Session, query: str, limit: int, *, place: str, lang: str) -> list[Choice]:
    """Where a lost document is replaced: hospitals for ``hospital``; the
    agency itself and its offices for ``agency`` (SZ-MD Art. 5)."""
    if place == AGENCY_KEY:
        agency = Choice(AGENCY_KEY, translate(N_("The municipal agency"), lang))
        stmt = select(Institution).where(col(Institution.active).is_(True),
                                         Institution.kind == InstitutionKind.SOCIAL_SECURITY)
        return [agency] + _institutions(session, stmt, query, limit - 1, lang)
    stmt = select(Institution).where(Institution.kind == InstitutionKind.HOSPITAL)
    return _institutions(session, stmt, query, limit, lang)


# --------------------------------------------------------------------------- physicians and teams


def physicians(session: Session, query: str, limit: int, *, institution_id: uuid.UUID, specialty: str,
               lang: str) -> list[Choice]:
    """Active physicians of the hospital in the disease's specialty."""
    stmt = select(Physician).where(Physician.institution_id == institution_id, Physician.specialty == specialty,
                                   col(Physician.active).is_(True))
    q = query.strip()
    if q:
        stmt = stmt.where(or_(col(Physician.code).icontains(q, autoescape=True),
                              col(Physician.name).icontains(q, autoescape=True)))
    rows = session.exec(stmt.order_by(col(Physician.code)).limit(limit))
    return [Choice(str(p.id), f"{p.code}  {p.name}, {title_label(p.title, lang)}") for p in rows]


def team_members(session: Session, query: str, limit: int, *, institution_id: uuid.UUID, specialty: str,
                 lang: str) -> list[Choice]:
    """The hospital's diagnostic team for the specialty, head first, with
    each membership's dates (SZ-MD Art. 4)."""
    team = team_for(session, institution_id, specialty)
    if team is None:
        return []
    stmt = (select(TeamMembership, Physician)
            .where(TeamMembership.team_id == team.id)
            .where(TeamMembership.physician_id == Physician.id))
    q = query.strip()
    if q:
        stmt = stmt.where(or_(col(Physician.code).icontains(q, autoescape=True),
                              col(Physician.name).icontains(q, autoescape=True)))
    rows = session.exec(stmt.order_by(col(TeamMembership.is_head).desc(), col(Physician.code)).limit(limit))
    out: list[Choice] = []
    seen: set[uuid.UUID] = set()
    for m, p in rows:
        if p.id in seen:  # a member who later became head is listed once, as head
            continue
        seen.add(p.id)
        role = translate(N_("HEAD"), lang) if m.is_head else translate(N_("member"), lang)
        span = m.since.isoformat() + ".." + (m.until.isoformat() if m.until else "")
        out.append(Choice(str(p.id), f"{role:<6} {p.code}  {p.name}, {title_label(p.title, lang)}  {span}"))
    return out
