"""Master data: enrollees, institutions, physicians, diagnostic teams, expenses.

Used by ``casedesk import`` and the demo. Each ``add_*`` validates every field
first and raises one :class:`DomainError` listing every problem (field, rule,
message), so a bad record changes nothing.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from core import audit
from core.auth import Actor
from core.errors import DomainError, Reason
from core.i18n import N_
from core.ids import IdNumberError, validate_id_number
from core.name_keys import name_keys
from core.partitions import ensure_expense_months
from core.models import (
    DiagnosticTeam,
    Employment,
    Enrollee,
    ExpenseRecord,
    Institution,
    InstitutionKind,
    Physician,
    Scheme,
    Settlement,
    TeamMembership,
    Title,
    VisitKind,
)
from core.policy import Policy
from core.services.lookup import institution_by_code
from core.sync.ops import operation

CARD_RE = re.compile(r"^[A-Z0-9]{6,32}$")
PHONE_RE = re.compile(r"^[0-9+\- ]{0,32}$")
CODE_RE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


ID_PART_MESSAGES = {
    "length": N_("ID number {value}: an ID number has 18 characters."),
    "format": N_("ID number {value}: 17 digits then a digit or X."),
    "check_digit": N_("ID number {value}: the check digit (last character) does not match; check for a mistyped digit."),
    "birth_date": N_("ID number {value}: the birth date (characters 7-14) is not a real past date."),
    "region": N_("ID number {value}: the region code (first 6 digits) is unknown."),
}


class _Problems:
    def __init__(self) -> None:
        self.reasons: list[Reason] = []

    def add(self, field: str, msgid: str, article: str = "", **params: Any) -> None:
        self.reasons.append(Reason(article=article, field=field, msgid=msgid, params=params))

    def raise_any(self) -> None:
        if self.reasons:
            raise DomainError(self.reasons)


def _choice(p: _Problems, field: str, value: str, enum, article: str = "") -> str:
    allowed = [e.value for e in enum]
    if value not in allowed:
        p.add(field, N_("{value!r} is not one of: {allowed}."), article, value=value, allowed=", ".join(allowed))
    return value


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    v = str(value).strip().lower()
    if v in {"1", "true", "yes", "y", "是"}:
        return True
    if v in {"0", "false", "no", "n", "否", ""}:
        return False
    raise ValueError(value)


# A well-formed amount in yuan: ASCII digits, thousands groups of three
# (``12,345.67``) or none, at most two decimals, at most 12 integer digits.
# No exponent, no ``_``, no stray commas (``1,0,0``), no other digit scripts.
_YUAN = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3}){1,3}|[0-9]{1,12})(?:\.[0-9]{1,2})?")


def parse_yuan(value: Any, *, negative: bool = True) -> int:
    """Yuan (up to 2 decimals) to integer fen; never through float. Raises
    ValueError for anything but a well-formed amount."""
    text = str(value).strip()
    if not _YUAN.fullmatch(text) or (not negative and text.startswith("-")):
        raise ValueError(value)
    return int(Decimal(text.replace(",", "")) * 100)


# --------------------------------------------------------------------------- enrollees


# the articles master data rests on (audit events; issue 9), from the pack:
# who is insured (Shenzhen: SZ-MT Art. 2), where recognition and treatment
# happen (SZ-MD Art. 4, 5), the costs monitoring reads (SZ-MT Art. 13). ""
# when no pack is given: master data names no city's article by itself.


def enrollee_article(policy: Policy | None) -> str:
    return policy.enrolment.article_schemes if policy else ""


def expense_article(policy: Policy | None) -> str:
    return policy.monitoring.article if policy else ""


def institution_article(inst: Institution, policy: Policy | None = None) -> str:
    if policy is None:
        return ""
    return policy.certificates.article if inst.diagnostic_hospital else policy.treatment.article_place


@operation("registry.add_enrollee")
def add_enrollee(
    session: Session,
    actor: Actor,
    *,
    id_number: str,
    card_number: str,
    name: str,
    scheme: str,
    supplementary: bool = False,
    city_household: bool = False,
    employment: str = "employed",
    disabled_grade: int | None = None,
    employer: str = "",
    phone: str = "",
    address: str = "",
    residence_city: str = "",
    residence_province: str = "",
    residence_mainland: bool = True,
    stationed_elsewhere: bool = False,
    individual_account_fen: int = 0,
    branch: str = "",
    is_demo: bool = False,
    today: date | None = None,
    reason: str = "enrolment",
    policy: Policy | None = None,
) -> Enrollee:
    """A new enrollee; refusals cite the pack's enrolment articles when
    ``policy`` is given (master data is pack-neutral otherwise)."""
    actor.require("record", action=N_("register enrollees"))
    p = _Problems()
    info = None
    try:
        info = validate_id_number(id_number, today=today)
    except IdNumberError as exc:
        p.add("id_number", ID_PART_MESSAGES[exc.part], "", value=id_number)
    card = (card_number or "").strip().upper()
    if not CARD_RE.match(card):
        p.add("card_number", N_("A social security card number is 6-32 letters or digits."))
    name = (name or "").strip()
    if not name or len(name) > 64:
        p.add("name", N_("A name is 1-64 characters."))
    _choice(p, "scheme", scheme, Scheme, policy.enrolment.article_schemes if policy else "")
    _choice(p, "employment", employment, Employment)
    low, high = (policy.enrolment.disabled_grade_min, policy.enrolment.disabled_grade_max) if policy else (1, 6)
    if disabled_grade is not None and not low <= disabled_grade <= high:  # the pack's range (SZ-MT Art. 16)
        p.add("disabled_grade", N_("A disabled serviceman grade is {low} to {high}."),
              policy.enrolment.article_disabled if policy else "", low=low, high=high)
    if not PHONE_RE.match(phone or ""):
        p.add("phone", N_("A phone number has digits, spaces, + and - only."))
    if individual_account_fen < 0:
        p.add("individual_account", N_("The individual account balance cannot be negative."))
    if info is not None and session.exec(select(Enrollee.id).where(Enrollee.id_number == info.number)).first():
        p.add("id_number", N_("An enrollee with this ID number is already registered."))
    if card and session.exec(select(Enrollee.id).where(Enrollee.card_number == card)).first():
        p.add("card_number", N_("This social security card number is already registered."))
    p.raise_any()
    assert info is not None
    keys = name_keys(name)
    e = Enrollee(
        id_number=info.number,
        card_number=card,
        name=name,
        name_pinyin=keys.pinyin,
        name_initials=keys.initials,
        sex=info.sex,
        birth_date=info.birth_date,
        scheme=scheme,
        supplementary=supplementary,
        city_household=city_household,
        employment=employment,
        disabled_grade=disabled_grade,
        employer=employer,
        phone=phone,
        address=address,
        residence_city=residence_city,
        residence_province=residence_province,
        residence_mainland=residence_mainland,
        stationed_elsewhere=stationed_elsewhere,
        individual_account_fen=individual_account_fen,
        branch=branch or actor.branch,
        is_demo=is_demo,
    )
    audit.created(session, actor, e, "enrollee.add", reason=reason, article=enrollee_article(policy))
    return e


# --------------------------------------------------------------------------- institutions


@operation("registry.add_institution")
def add_institution(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    kind: str,
    city: str,
    name_zh: str = "",
    level: int = 0,
    public: bool = True,
    province: str = "",
    mainland: bool = True,
    designated: bool = False,
    diagnostic_hospital: bool = False,
    dialysis_centre: bool = False,
    offsite_on_record: bool = False,
    run_by_hospital_level: int = 0,
    reason: str = "institution on record",
    policy: Policy | None = None,
) -> Institution:
    actor.require("admin", action=N_("maintain institutions"))
    p = _Problems()
    if not CODE_RE.match(code or ""):
        p.add("code", N_("A code is 1-32 letters, digits, dots, dashes or underscores."))
    if not (name or "").strip():
        p.add("name", N_("A name is required."))
    if not (city or "").strip():
        p.add("city", N_("A city is required."))
    _choice(p, "kind", kind, InstitutionKind)
    if not 0 <= level <= 3:
        p.add("level", N_("An institution level is 0 (unrated) to 3."))
    if not 0 <= run_by_hospital_level <= 3:
        p.add("run_by_hospital_level", N_("An institution level is 0 (unrated) to 3."))
    if diagnostic_hospital and not designated:
        p.add("diagnostic_hospital", N_("A diagnostic hospital must be a designated institution."),
              policy.certificates.article if policy else "")
    if code and session.exec(select(Institution.id).where(Institution.code == code)).first():
        p.add("code", N_("Institution {code} already exists."), code=code)
    p.raise_any()
    inst = Institution(
        code=code, name=name.strip(), name_zh=name_zh, kind=kind, level=level, public=public,
        city=city.strip(), province=province, mainland=mainland, designated=designated,
        diagnostic_hospital=diagnostic_hospital, dialysis_centre=dialysis_centre,
        offsite_on_record=offsite_on_record, run_by_hospital_level=run_by_hospital_level,
    )
    audit.created(session, actor, inst, "institution.add", reason=reason, article=institution_article(inst, policy))
    return inst


# --------------------------------------------------------------------------- physicians & teams


@operation("registry.add_physician")
def add_physician(
    session: Session,
    actor: Actor,
    *,
    code: str,
    name: str,
    institution_code: str,
    title: str,
    specialty: str,
    department_director: bool = False,
    reason: str = "physician on record",
    policy: Policy | None = None,
) -> Physician:
    """A physician on record; ``department_director`` heads the department of
    ``specialty`` at the institution (a signer where the pack's signature rule
    lets the director sign)."""
    actor.require("admin", action=N_("maintain physicians"))
    art = policy.certificates.article if policy else ""
    p = _Problems()
    if not CODE_RE.match(code or ""):
        p.add("code", N_("A code is 1-32 letters, digits, dots, dashes or underscores."))
    if not (name or "").strip():
        p.add("name", N_("A name is required."))
    _choice(p, "title", title, Title, art)
    if not (specialty or "").strip():
        p.add("specialty", N_("A specialty is required."), art)
    inst = session.exec(select(Institution).where(Institution.code == institution_code)).first()
    if inst is None:
        p.add("institution", N_("No institution with code {code}."), code=institution_code)
    if code and session.exec(select(Physician.id).where(Physician.code == code)).first():
        p.add("code", N_("Physician {code} already exists."), code=code)
    p.raise_any()
    assert inst is not None
    doc = Physician(code=code, name=name.strip(), institution_id=inst.id, title=title, specialty=specialty.strip(),
                    department_director=bool(department_director))
    audit.created(session, actor, doc, "physician.add", reason=reason, article=art)
    return doc


def physician_by_code(session: Session, code: str) -> Physician:
    doc = session.exec(select(Physician).where(Physician.code == code)).first()
    if doc is None:
        raise DomainError.one("", "physician", N_("No physician with code {code}."), code=code)
    return doc


def team_for(session: Session, institution_id: uuid.UUID, specialty: str) -> DiagnosticTeam | None:
    return session.exec(
        select(DiagnosticTeam).where(
            DiagnosticTeam.institution_id == institution_id, DiagnosticTeam.specialty == specialty
        )
    ).first()


@operation("registry.add_team_member")
def add_team_member(
    session: Session,
    actor: Actor,
    *,
    institution_code: str,
    specialty: str,
    physician_code: str,
    is_head: bool,
    since: date,
    policy: Policy,
    reason: str = "team list reported by the hospital",
) -> TeamMembership:
    """Record a hospital's report of a team change (SZ-MD Art. 4): add a member
    or a head. A new head ends the previous head's headship the day before.
    Members hold the pack's signer title (``certificates.signatures.min_title``)."""
    actor.require("admin", action=N_("maintain diagnostic teams"))
    rule = policy.certificates.signatures
    art = rule.article
    inst = institution_by_code(session, institution_code)
    doc = physician_by_code(session, physician_code)
    p = _Problems()
    if not inst.diagnostic_hospital:
        p.add("institution", N_("{code} is not a designated diagnostic hospital."), art, code=inst.code)
    if doc.institution_id != inst.id:
        p.add("physician", N_("{code} does not work at {inst}."), art, code=doc.code, inst=inst.code)
    if doc.specialty != specialty:
        p.add("specialty", N_("{code} is not a physician of the {specialty} specialty."), art,
              code=doc.code, specialty=specialty)
    from core.models import TITLE_RANK

    if TITLE_RANK.get(Title(doc.title), 0) < TITLE_RANK[Title(rule.min_title)]:
        p.add("title", N_("Team members hold the title {needed} or above; {code} holds {title}."), art,
              needed=rule.min_title, code=doc.code, title=doc.title)
    p.raise_any()
    team = team_for(session, inst.id, specialty)
    if team is None:
        team = DiagnosticTeam(institution_id=inst.id, specialty=specialty, reported_on=since)
        audit.created(session, actor, team, "team.add", reason=reason, article=art)
    current = list(session.exec(select(TeamMembership).where(TeamMembership.team_id == team.id,
                                                           TeamMembership.until.is_(None))))  # type: ignore[union-attr]
    if any(m.physician_id == doc.id and m.is_head == is_head for m in current):
        raise DomainError.one(art, "physician", N_("{code} is already on this team in that role."), code=doc.code)
    from datetime import timedelta

    for m in current:
        if m.physician_id == doc.id or (is_head and m.is_head):
            before = audit.snapshot(m)
            m.until = since - timedelta(days=1)
            audit.changed(session, actor, m, before, "team.member_end", reason=reason, article=art)
    mem = TeamMembership(team_id=team.id, physician_id=doc.id, is_head=is_head, since=since)
    audit.created(session, actor, mem, "team.member_add", reason=reason, article=art)
    return mem


@operation("registry.end_team_member")
def end_team_member(session: Session, actor: Actor, *, institution_code: str, specialty: str,
                    physician_code: str, last_day: date, reason: str, policy: Policy) -> TeamMembership:
    actor.require("admin", action=N_("maintain diagnostic teams"))
    art = policy.certificates.signatures.article
    inst = institution_by_code(session, institution_code)
    doc = physician_by_code(session, physician_code)
    team = team_for(session, inst.id, specialty)
    mem = None
    if team is not None:
        mem = session.exec(select(TeamMembership).where(
            TeamMembership.team_id == team.id, TeamMembership.physician_id == doc.id,
            TeamMembership.until.is_(None))).first()  # type: ignore[union-attr]
    if mem is None:
        raise DomainError.one(art, "physician", N_("{code} is not on this team."), code=doc.code)
    if last_day < mem.since:
        raise DomainError.one(art, "last_day", N_("The last day cannot be before the member joined ({since})."),
                              since=mem.since.isoformat())
    before = audit.snapshot(mem)
    mem.until = last_day
    audit.changed(session, actor, mem, before, "team.member_end", reason=reason, article=art)
    return mem


# --------------------------------------------------------------------------- expenses


def expense_values(
    actor: Actor,
    *,
    enrollee_id: uuid.UUID,
    occurred_at: datetime,
    amount_fen: int,
    visit_kind: str,
    institution_id: uuid.UUID | None = None,
    disease_code: str | None = None,
    settlement: str = "bookkeeping",
    large_equipment: bool = False,
    source: str = "",
) -> dict[str, Any]:
    """The checked column values of one expense record (no session: the
    bulk import validates every row before it takes the write lock)."""
    actor.require("record", action=N_("record expenses"))
    p = _Problems()
    _choice(p, "visit_kind", visit_kind, VisitKind)
    _choice(p, "settlement", settlement, Settlement)
    if amount_fen < 0:
        p.add("amount", N_("An amount cannot be negative."))
    p.raise_any()
    return dict(enrollee_id=enrollee_id, occurred_at=occurred_at, amount_fen=amount_fen, visit_kind=visit_kind,
                institution_id=institution_id, disease_code=disease_code or None, settlement=settlement,
                large_equipment=large_equipment, source=source)


@operation("registry.add_expense")
def add_expense(session: Session, actor: Actor, *, audit_it: bool = True, policy: Policy | None = None,
                **values: Any) -> ExpenseRecord:
    """One settled visit (see :func:`expense_values` for the fields).
    Expense records are facts reported by institutions; they are
    append-only. ``audit_it=False`` is for bulk loads, which record one
    audit event for the whole load instead."""
    rec = ExpenseRecord(**expense_values(actor, **values))
    ensure_expense_months(session, [rec.occurred_at])  # PostgreSQL: the month's partition (migration 0009)
    if audit_it:
        audit.created(session, actor, rec, "expense.add", reason=rec.source or "expense reported",
                      article=expense_article(policy))
    else:
        session.add(rec)
    return rec
