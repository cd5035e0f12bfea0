"""Read helpers of the certificate, record book, replacement and batch screens.

Labels for the pickers (catalogue diseases and organs, hospitals,
physicians, team members, issuing offices) and for the enrollee shown at the
top of each screen. Each loader runs in a screen's thread worker, asks a
:mod:`core.queries.places` function for at most ``limit`` rows — which keeps
only what the step's rule accepts — and returns :class:`Choice` rows with
their labels already in the screen's language.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from datetime import date

from core.gateway import Session
from core.i18n import N_, Bilingual, Code, translate
from core.ids import mask_id_number
from core.models import Institution
from core.policy import Disease, Policy
from core.queries import places
from core.services.lookup import get_enrollee
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
                     name=place_name(inst, lang), city=Code("city", inst.city), level=inst.level)


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
    return places.institutions_by_id(session, ids)


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


def _choices(rows, lang: str) -> list[Choice]:
    return [Choice(str(i.id), place_label(i, lang)) for i in rows]


def diagnostic_hospitals(session: Session, query: str, limit: int, *, policy: Policy, lang: str) -> list[Choice]:
    """Active designated diagnostic hospitals of the pack's city (SZ-MD Art. 4)."""
    return _choices(places.diagnostic_hospitals(session, query, limit, policy=policy), lang)


def offsite_institutions(session: Session, query: str, limit: int, *, policy: Policy, enrollee_id: uuid.UUID,
                         on: date, lang: str) -> list[Choice]:
    """Institutions that may issue the enrollee's certificate off site (SZ-MD Art. 4(2))."""
    return _choices(places.offsite_issuers(session, query, limit, policy=policy, enrollee_id=enrollee_id, on=on),
                    lang)


def _agency_first(query: str, lang: str) -> list[Choice]:
    agency = Choice(AGENCY_KEY, translate(N_("The municipal agency"), lang))
    needle = query.strip().lower()
    return [agency] if not needle or needle in agency.label.lower() or needle in AGENCY_KEY else []


def issuing_offices(session: Session, query: str, limit: int, *, policy: Policy, lang: str) -> list[Choice]:
    """The agency first, then the hospitals that may issue a book (SZ-MD Art. 5)."""
    head = _agency_first(query, lang)
    return head + _choices(places.book_issuers(session, query, limit - len(head), policy=policy), lang)


def replacement_offices(session: Session, query: str, limit: int, *, place: str,
                        original_id: uuid.UUID | None = None, policy: Policy, lang: str) -> list[Choice]:
    """Where a lost document is replaced: the hospital that issued it for
    ``hospital``; the agency itself and its offices for ``agency`` (SZ-MD Art. 5)."""
    head = _agency_first(query, lang) if place == AGENCY_KEY else []
    return head + _choices(places.replacement_offices(session, query, limit - len(head), place=place,
                                                      original_id=original_id, policy=policy), lang)


# --------------------------------------------------------------------------- physicians and teams


def physicians(session: Session, query: str, limit: int, *, institution_id: uuid.UUID, specialty: str,
               lang: str, policy: Policy) -> list[Choice]:
    """Active physicians of the hospital in the disease's specialty who may draft."""
    return [Choice(str(p.id), f"{p.code}  {p.name}, {title_label(p.title, lang)}")
            for p in places.physicians(session, query, limit, institution_id=institution_id, specialty=specialty,
                                       policy=policy)]


def team_members(session: Session, query: str, limit: int, *, institution_id: uuid.UUID, specialty: str,
                 lang: str, policy: Policy | None = None, on: date | None = None) -> list[Choice]:
    """The hospital's diagnostic team for the specialty, head first, with
    each membership's dates (SZ-MD Art. 4); where the pack keeps no team
    list (ZZ §3), the physicians its signature rule accepts."""
    out: list[Choice] = []
    if policy is not None and on is not None and not policy.certificates.signatures.team_list_required:
        for _m, p in places.signers(session, query, limit, institution_id=institution_id, specialty=specialty,
                                    policy=policy, on=on):
            role = translate(N_("director"), lang) if p.department_director else ""
            out.append(Choice(str(p.id), f"{role:<6} {p.code}  {p.name}, {title_label(p.title, lang)}"))
        return out
    for m, p in places.team_members(session, query, limit, institution_id=institution_id, specialty=specialty):
        role = translate(N_("HEAD"), lang) if m.is_head else translate(N_("member"), lang)
        span = m.since.isoformat() + ".." + (m.until.isoformat() if m.until else "")
        out.append(Choice(str(p.id), f"{role:<6} {p.code}  {p.name}, {title_label(p.title, lang)}  {span}"))
    return out
