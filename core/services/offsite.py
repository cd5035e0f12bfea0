"""Off-site filing of three institutions (SZ-MT Art. 9, 10; SZ-MD Art. 5).

File, cancel on return, change the institutions (a cancellation plus a new
filing in one transaction), and the read helpers the screens need. The rules
live in :mod:`core.rules.offsite`; eligibility reads the filings to decide
where treatment is paid (costs before ``filed_on`` are ordinary out-of-town
treatment).

One audit event per filing changed: the creation event's ``after`` carries
the filed institutions (codes in order), so a change of institutions writes
exactly two events (cancellation, new filing).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from sqlmodel import Session, col, func, select

from core import audit
from core.auth import Actor
from core.db import check_version
from core.errors import DomainError, NotFound
from core.i18n import N_
from core.models import Enrollee, FilingInstitution, FilingStatus, Institution, OffsiteFiling
from core.policy import Policy, stamp
from core.rules.decision import Decision
from core.rules.offsite import (
    ApplicantFacts,
    CandidateFacts,
    FilingForm,
    check_cancel,
    check_filing,
    filing_basis,
)
from core.services import numbering
from core.services.changes import dated, facts_on
from core.services.lookup import get_enrollee
from core.workflows import FILING, require_role, require_step
from core.workflows.definitions import FILING_CURRENT
from core.sync.ops import operation, register_input

__all__ = [
    "FilingForm",
    "active_filing",
    "cancel_filing",
    "cancel_on_return",
    "check_return",
    "candidate_institutions",
    "change_institutions",
    "file_filing",
    "filed_institutions",
    "filings_of",
    "form_of",
    "get_filing",
]

register_input(FilingForm)  # travels in an off-site filing operation (core.sync.ops)
VOUCHER_PREFIX = "OF"


# --------------------------------------------------------------------------- reads


def active_filing(session: Session, enrollee_id: uuid.UUID) -> OffsiteFiling | None:
    return session.exec(select(OffsiteFiling).where(OffsiteFiling.enrollee_id == enrollee_id,
                                                    col(OffsiteFiling.status).in_(sorted(FILING_CURRENT)))).first()


def filings_of(session: Session, enrollee_id: uuid.UUID) -> list[OffsiteFiling]:
    """All of an enrollee's filings, newest first."""
    return list(session.exec(select(OffsiteFiling).where(OffsiteFiling.enrollee_id == enrollee_id)
                             .order_by(col(OffsiteFiling.filed_on).desc(), col(OffsiteFiling.created_at).desc())))


def filed_institutions(session: Session, filing_id: uuid.UUID) -> list[Institution]:
    """The filing's institutions in the order chosen."""
    return list(session.exec(
        select(Institution).join(FilingInstitution, col(FilingInstitution.institution_id) == col(Institution.id))
        .where(FilingInstitution.filing_id == filing_id).order_by(col(FilingInstitution.position))
    ))


def get_filing(session: Session, ref: str | uuid.UUID) -> OffsiteFiling:
    """A filing by key or voucher number."""
    f: OffsiteFiling | None = None
    if isinstance(ref, uuid.UUID):
        f = session.get(OffsiteFiling, ref)
    else:
        try:
            f = session.get(OffsiteFiling, uuid.UUID(ref.strip()))
        except ValueError:
            f = session.exec(select(OffsiteFiling).where(OffsiteFiling.voucher_number == ref.strip())).first()
    if f is None:
        raise NotFound.one("", "filing", N_("No off-site filing with key or voucher {ref}."), ref=str(ref))
    return f


def candidate_institutions(session: Session, place_city: str, query: str = "", limit: int = 50, *,
                           policy: Policy) -> tuple[Institution, ...]:
    """Institutions that may be filed in ``place_city`` (SZ-MT Art. 10):
    active, public, designated medical institutions of the pack's minimum
    level or higher; ``query`` narrows by code or name. The rule decides:
    see :func:`core.queries.places.filing_candidates`."""
    from core.queries.places import filing_candidates

    return filing_candidates(session, place_city, query, limit, policy=policy)


def form_of(session: Session, filing: OffsiteFiling) -> FilingForm:
    """The form a filing was accepted on (for a change of institutions)."""
    codes = tuple(i.code for i in filed_institutions(session, filing.id))
    return FilingForm(
        place_city=filing.place_city, institution_codes=codes, stamped_codes=frozenset(codes),
        form_copies=filing.form_copies, local_ss_stamp=filing.local_ss_stamp, filed_by=filing.filed_by,
        place_province=filing.place_province, place_mainland=filing.place_mainland,
        local_ss_office=filing.local_ss_office, employer_name=filing.employer_name, agent_name=filing.agent_name,
        agent_id_number=filing.agent_id_number, agent_phone=filing.agent_phone,
        agent_relation=filing.agent_relation, basis=filing.basis,
    )


# --------------------------------------------------------------------------- helpers


def _applicant(session: Session, e: Enrollee, on: date) -> ApplicantFacts:
    """Who the enrollee was on ``on`` (issue 13: household, posting, retirement that day)."""
    then = facts_on(session, e.id, on)
    return ApplicantFacts(city_household=then.city_household, stationed_elsewhere=then.stationed_elsewhere,
                          employment=then.employment, employer=then.employer)


def _institutions(session: Session, codes: tuple[str, ...]) -> dict[str, Institution]:
    if not codes:
        return {}
    rows = session.exec(select(Institution).where(col(Institution.code).in_(list(codes))))
    return {i.code: i for i in rows}


def _candidate(i: Institution) -> CandidateFacts:
    return CandidateFacts(code=i.code, name=i.name, kind=i.kind, public=i.public, level=i.level, city=i.city,
                          designated=i.designated, active=i.active)


def _voucher(session: Session, on: date, wanted: str | None, article: str) -> str:
    numbering.lock_counter(session, "offsite voucher")  # PostgreSQL: no two concurrent filings take one number
    if wanted is not None:
        v = wanted.strip()
        taken = session.exec(select(OffsiteFiling.id).where(OffsiteFiling.voucher_number == v)).first()
        if not v or taken is not None:
            raise DomainError.one(article, "voucher_number",
                                  N_("Voucher number {voucher} is empty or already issued."), voucher=v)
        return v
    offline = numbering.offline_voucher(session, OffsiteFiling, OffsiteFiling.voucher_number, VOUCHER_PREFIX, on)
    if offline is not None:
        return offline
    prefix = f"{VOUCHER_PREFIX}{on.year}-"
    n = session.exec(select(func.count()).select_from(OffsiteFiling)
                     .where(col(OffsiteFiling.voucher_number).startswith(prefix))).one() + 1
    while session.exec(select(OffsiteFiling.id).where(OffsiteFiling.voucher_number == f"{prefix}{n:06d}")).first():
        n += 1
    return f"{prefix}{n:06d}"


def _normalise(form: FilingForm) -> FilingForm:
    return replace(form, place_city=form.place_city.strip(),
                   institution_codes=tuple(c.strip() for c in form.institution_codes),
                   stamped_codes=frozenset(c.strip() for c in form.stamped_codes),
                   filed_by=form.filed_by.strip())


def _decide(session: Session, e: Enrollee, form: FilingForm, *, replacing: OffsiteFiling | None,
            policy: Policy, on: date) -> tuple[Decision, dict[str, Institution]]:
    insts = _institutions(session, form.institution_codes)
    current = active_filing(session, e.id)
    busy = current is not None and (replacing is None or current.id != replacing.id)
    insts_then = dict(zip(insts, dated(session, insts.values(), on)))  # designation and level on the day
    decision = check_filing(_applicant(session, e, on), form, {c: _candidate(i) for c, i in insts_then.items()},
                            active_voucher=(current.voucher_number or "") if busy and current else None,
                            policy=policy, on=on)
    return decision, insts


def _create(session: Session, actor: Actor, e: Enrollee, form: FilingForm, insts: dict[str, Institution], *,
            on: date, reason: str, voucher: str, policy: Policy) -> OffsiteFiling:
    filing = OffsiteFiling(
        enrollee_id=e.id, basis=form.basis or filing_basis(_applicant(session, e, on)) or "", place_city=form.place_city,
        place_province=form.place_province.strip(), place_mainland=form.place_mainland, form_copies=form.form_copies,
        local_ss_stamp=form.local_ss_stamp, local_ss_office=form.local_ss_office.strip(), filed_by=form.filed_by,
        employer_name=(form.employer_name.strip() or e.employer) if form.filed_by == "employer" else "",
        agent_name=form.agent_name.strip() if form.filed_by == "agent" else "",
        agent_id_number=form.agent_id_number.strip().upper() if form.filed_by == "agent" else "",
        agent_phone=form.agent_phone.strip() if form.filed_by == "agent" else "",
        agent_relation=form.agent_relation.strip() if form.filed_by == "agent" else "",
        filed_on=on, voucher_number=voucher, status=FilingStatus.ACTIVE, recorded_by=actor.username,
    )
    stamp(filing, policy)
    session.add(filing)
    session.flush()
    for pos, code in enumerate(form.institution_codes, start=1):
        session.add(FilingInstitution(filing_id=filing.id, position=pos, institution_id=insts[code].id,
                                      stamped=code in form.stamped_codes))
    audit.record(session, actor, "offsite.file", entity=OffsiteFiling.__tablename__, entity_id=filing.id,
                 before={}, after={**audit.snapshot(filing), "institutions": list(form.institution_codes)},
                 reason=reason, article=policy.offsite.article_form, enrollee_id=e.id)
    return filing


def _cancel(session: Session, actor: Actor, filing: OffsiteFiling, *, on: date, reason: str, article: str,
            action: str = "offsite.cancel") -> None:
    before = audit.snapshot(filing)
    filing.status = FilingStatus.CANCELLED
    filing.cancelled_on = on
    filing.cancel_reason = reason.strip()
    filing.cancelled_by = actor.username
    audit.changed(session, actor, filing, before, action, reason=reason.strip(), article=article)


# --------------------------------------------------------------------------- writes


@operation("offsite.file_filing")
def file_filing(session: Session, actor: Actor, enrollee: str | uuid.UUID, form: FilingForm, *, on: date,
                policy: Policy, reason: str = "", voucher_number: str | None = None,
                today: date | None = None) -> OffsiteFiling:
    """Accept a filing and issue its voucher (SZ-MT Art. 10(4)). Every
    unmet condition is reported at once; nothing is written then."""
    art = policy.offsite.article_form
    require_step(FILING, "file", None, actor, on, today=today, policy=policy)
    e = get_enrollee(session, enrollee)
    form = _normalise(form)
    decision, insts = _decide(session, e, form, replacing=None, policy=policy, on=on)
    decision.raise_if_refused()
    voucher = _voucher(session, on, voucher_number, art)
    return _create(session, actor, e, form, insts, on=on, reason=reason or "off-site filing", voucher=voucher,
                   policy=policy)


@operation("offsite.cancel_filing")
def cancel_filing(session: Session, actor: Actor, filing: str | uuid.UUID, *, on: date, reason: str,
                  policy: Policy, expected_version: int | None = None, today: date | None = None) -> OffsiteFiling:
    """Cancel on return to the city (SZ-MT Art. 9(3)); reason and date required."""
    art = policy.offsite.article_who
    require_role(FILING, "cancel", actor, policy)
    f = get_filing(session, filing)
    check_version(f, expected_version)
    require_step(FILING, "cancel", f, actor, on, today=today, policy=policy, guard=True, inputs={"reason": reason})
    check_cancel(status=f.status, filed_on=f.filed_on, reason=reason, on=on, policy=policy).raise_if_refused()
    _cancel(session, actor, f, on=on, reason=reason, article=art)
    return f


def check_return(session: Session, actor: Actor, filing: OffsiteFiling, *, on: date, reason: str, policy: Policy,
                 today: date | None = None) -> None:
    """May ``filing`` be cancelled because the enrollee returned to the city
    on ``on`` (SZ-MT Art. 9(3))? Raises with every reason."""
    require_step(FILING, "return", filing, actor, on, today=today, policy=policy, guard=True, inputs={"reason": reason})
    check_cancel(status=filing.status, filed_on=filing.filed_on, reason=reason, on=on, policy=policy).raise_if_refused()


def cancel_on_return(session: Session, actor: Actor, filing: OffsiteFiling, *, on: date, reason: str, policy: Policy,
                     today: date | None = None) -> OffsiteFiling:
    """The filing cancelled with the enrollee's return to the city (SZ-MT
    Art. 9(3)): the off-site machine's ``return`` event, the reason recorded.
    Called by :func:`core.services.changes.return_home` in its transaction."""
    check_return(session, actor, filing, on=on, reason=reason, policy=policy, today=today)
    _cancel(session, actor, filing, on=on, reason=reason, article=policy.offsite.article_who, action="offsite.return")
    return filing


@operation("offsite.change_institutions")
def change_institutions(session: Session, actor: Actor, filing: str | uuid.UUID, *, institutions: list[str] | tuple[str, ...],
                        stamped: list[str] | tuple[str, ...] | frozenset[str], local_ss_stamp: bool, form_copies: int,
                        on: date, reason: str, policy: Policy, local_ss_office: str | None = None,
                        expected_version: int | None = None, voucher_number: str | None = None,
                        today: date | None = None) -> OffsiteFiling:
    """A change of institutions: the old filing is cancelled and a new one
    filed with the same place and filer, in one transaction (two audit
    events). Returns the new filing."""
    art = policy.offsite.article_form
    require_role(FILING, "change", actor, policy)
    old = get_filing(session, filing)
    check_version(old, expected_version)
    require_step(FILING, "change", old, actor, on, today=today, policy=policy, guard=True, inputs={"reason": reason})
    e = session.get(Enrollee, old.enrollee_id)
    if e is None:
        raise NotFound.one("", "enrollee", N_("No enrollee with ID number, card number or key {ref}."), ref=str(old.enrollee_id))
    form = _normalise(replace(
        form_of(session, old), institution_codes=tuple(institutions), stamped_codes=frozenset(stamped),
        local_ss_stamp=local_ss_stamp, form_copies=form_copies,
        local_ss_office=old.local_ss_office if local_ss_office is None else local_ss_office,
    ))
    cancel = check_cancel(status=old.status, filed_on=old.filed_on, reason=reason, on=on, policy=policy)
    new, insts = _decide(session, e, form, replacing=old, policy=policy, on=on)
    Decision.of(list(cancel.reasons) + list(new.reasons)).raise_if_refused()
    voucher = _voucher(session, on, voucher_number, art)
    _cancel(session, actor, old, on=on, reason=reason, article=policy.offsite.article_who)
    session.flush()
    return _create(session, actor, e, form, insts, on=on, reason=reason.strip(), voucher=voucher, policy=policy)
