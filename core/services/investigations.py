"""Investigation cases and suspension of bookkeeping (SZ-MT Art. 14, 15).

Clerks send notices (a case from a scan hit or a manual flag) and record
explanations; reviewers decide: judge an explanation, record a no-show
(both open the case and suspend bookkeeping), record the verification,
deliver the decision and resume bookkeeping. Every deadline is computed on
the working-day calendar and stored with its provisional flag. See
:mod:`core.rules.investigations` for the steps and the readings taken.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Session, col, select

from core import audit
from core.auth import Actor
from core.calendar import WorkingCalendar, default_calendar
from core.db import check_version
from core.errors import DomainError, NotFound
from core.i18n import N_
from core.models import (
    AccountState,
    CaseStatus,
    Enrollee,
    InvestigationCase,
    MonitoringFlag,
    Settlement,
    new_id,
)
from core.policy import Policy, stamp
from core.rules import investigations as rules
from core.rules import monitoring as mrules
from core.rules.monitoring import Month
from core.services import monitoring, numbering
from core.workflows import CASE, require_role, require_step
from core.workflows.definitions import CASE_CLOSED
from core.sync.ops import operation

# --------------------------------------------------------------------------- look-ups


def get_case(session: Session, ref: str | uuid.UUID, policy: Policy | None = None) -> InvestigationCase:
    """A case by key or case number."""
    case: InvestigationCase | None = None
    if isinstance(ref, uuid.UUID):
        case = session.get(InvestigationCase, ref)
    else:
        text = ref.strip()
        try:
            case = session.get(InvestigationCase, uuid.UUID(text))
        except ValueError:
            number = numbering.normalise_number(text)
            case = session.exec(select(InvestigationCase).where(InvestigationCase.number == number)).first()
    if case is None:
        raise NotFound.one(policy.deadlines.article_notice if policy else "", "case", N_("No investigation case {ref}."), ref=str(ref))
    return case


def cases_of(session: Session, enrollee_id: uuid.UUID) -> list[InvestigationCase]:
    """An enrollee's cases, newest first."""
    stmt = select(InvestigationCase).where(InvestigationCase.enrollee_id == enrollee_id)
    return list(session.exec(stmt.order_by(col(InvestigationCase.notice_on).desc(),
                                           col(InvestigationCase.number).desc())))


def settlement_of(session: Session, enrollee_id: uuid.UUID) -> Settlement:
    """How the enrollee's treatment is settled now: cash while suspended."""
    return rules.settlement_for(_enrollee(session, enrollee_id).account_state)


def _enrollee(session: Session, enrollee_id: uuid.UUID) -> Enrollee:
    e = session.get(Enrollee, enrollee_id)
    if e is None:
        raise NotFound.one("", "enrollee", N_("No enrollee with key {ref}."), ref=str(enrollee_id))
    return e


def _load(session: Session, case_id: uuid.UUID | str, expected_version: int | None,
          policy: Policy) -> InvestigationCase:
    case = get_case(session, case_id, policy)
    check_version(case, expected_version)
    return case


# --------------------------------------------------------------------------- notices


def _open_cases(session: Session, enrollee_id: uuid.UUID) -> list[InvestigationCase]:
    stmt = select(InvestigationCase).where(InvestigationCase.enrollee_id == enrollee_id,
                                           col(InvestigationCase.closed_on).is_(None))
    return list(session.exec(stmt))


def _new_case(session: Session, actor: Actor, policy: Policy, enrollee: Enrollee, *, trigger: str, month: str,
              detail: str, on: date, reason: str, cal: WorkingCalendar, today: date | None) -> InvestigationCase:
    require_step(CASE, "notice", None, actor, on, today=today, policy=policy)
    rules.check_duplicate(_open_cases(session, enrollee.id), trigger, policy).raise_if_refused()
    due = rules.notice_deadline(on, policy, cal)
    case_id = new_id()
    case = InvestigationCase(
        id=case_id,
        number=numbering.new_number(session, InvestigationCase, rules.CASE_PREFIX, on, case_id),
        enrollee_id=enrollee.id,
        trigger=trigger,
        trigger_month=month,
        trigger_detail=detail,
        status=CaseStatus.NOTICE_SENT,
        branch=enrollee.branch or actor.branch,
        assigned_to=actor.username,
        notice_on=on,
        notice_due=due.due,
        notice_due_provisional=due.provisional,
    )
    stamp(case, policy)
    audit.created(session, actor, case, "investigation.notice", reason=reason or detail,
                  article=policy.deadlines.article_notice)
    return case


@operation("investigations.send_notice_for_hit")
def send_notice_for_hit(session: Session, actor: Actor, policy: Policy, *, enrollee_id: uuid.UUID, trigger: str,
                        month: Month | str, on: date, reason: str = "",
                        calendar: WorkingCalendar | None = None, today: date | None = None) -> InvestigationCase:
    """Open a case from a scan hit and send the notice (SZ-MT Art. 13, 14).

    The hit is re-checked against the expense records for that enrollee and
    month; the hit is kept as a ``scan`` monitoring flag linked to the case."""
    require_role(CASE, "notice", actor, policy)
    m = mrules.parse_month(month, article=policy.monitoring.article) if isinstance(month, str) else month
    enrollee = _enrollee(session, enrollee_id)
    hit = next((h for h in monitoring.hits_for(session, policy, enrollee.id, m) if h.trigger == trigger), None)
    if hit is None:
        raise DomainError.one(policy.monitoring.article, "trigger",
                              N_("{name} does not trip trigger {trigger} in {month}."),
                              name=enrollee.name, trigger=trigger, month=m.label)
    detail = hit.message("en")
    case = _new_case(session, actor, policy, enrollee, trigger=trigger, month=m.label, detail=detail, on=on,
                     reason=reason, cal=calendar or default_calendar(), today=today)
    flag = MonitoringFlag(enrollee_id=enrollee.id, trigger=trigger, month=m.label, detail=detail, source="scan",
                          recorded_by=actor.username, case_id=case.id)
    stamp(flag, policy)
    audit.created(session, actor, flag, "monitoring.scan_hit", reason=reason or detail, article=hit.article)
    return case


@operation("investigations.send_notice_for_flag")
def send_notice_for_flag(session: Session, actor: Actor, policy: Policy, *, flag_id: uuid.UUID, on: date,
                         reason: str = "", calendar: WorkingCalendar | None = None,
                         today: date | None = None) -> InvestigationCase:
    """Open a case from a manual trigger and send the notice (SZ-MT Art. 13, 14)."""
    require_role(CASE, "notice", actor, policy)
    flag = session.get(MonitoringFlag, flag_id)
    if flag is None:
        raise NotFound.one(policy.monitoring.article, "flag", N_("No monitoring flag {ref}."), ref=str(flag_id))
    if flag.case_id is not None:
        raise DomainError.one(policy.monitoring.article, "flag", N_("This flag already led to a case."))
    enrollee = _enrollee(session, flag.enrollee_id)
    case = _new_case(session, actor, policy, enrollee, trigger=flag.trigger, month=flag.month, detail=flag.detail,
                     on=on, reason=reason, cal=calendar or default_calendar(), today=today)
    before = audit.snapshot(flag)
    flag.case_id = case.id
    audit.changed(session, actor, flag, before, "monitoring.flag_case", reason=reason or case.number,
                  article=policy.deadlines.article_notice)
    return case


# --------------------------------------------------------------------------- explanation / no-show


@operation("investigations.record_explanation")
def record_explanation(session: Session, actor: Actor, policy: Policy, *, case_id: uuid.UUID | str, note: str, on: date,
                       expected_version: int | None = None, reason: str = "",
                       today: date | None = None) -> InvestigationCase:
    """The enrollee came with card, ID, records and receipts and explained."""
    require_role(CASE, "explain", actor, policy)
    case = _load(session, case_id, expected_version, policy)
    require_step(CASE, "explain", case, actor, on, today=today, policy=policy, guard=True, inputs={"note": note})
    rules.check_explanation(case, on, note, policy).raise_if_refused()
    before = audit.snapshot(case)
    case.explanation_on = on
    case.explanation_note = note.strip()
    audit.changed(session, actor, case, before, "investigation.explanation", reason=reason or note.strip(),
                  article=policy.deadlines.article_notice)
    return case


def _suspend(session: Session, actor: Actor, case: InvestigationCase, policy: Policy, on: date, open_reason: str,
             reason: str, cal: WorkingCalendar) -> None:
    """Open the case and suspend bookkeeping from ``on`` (Art. 14)."""
    case.status = CaseStatus.SUSPENDED
    case.opened_on = on
    case.open_reason = open_reason
    case.verification_due = rules.verification_deadline(on, policy, cal).due
    enrollee = _enrollee(session, case.enrollee_id)
    if enrollee.account_state != AccountState.SUSPENDED:
        before = audit.snapshot(enrollee)
        enrollee.account_state = AccountState.SUSPENDED
        enrollee.account_state_since = on
        audit.changed(session, actor, enrollee, before, "enrollee.suspend", reason=reason or case.number,
                      article=policy.deadlines.article_notice)


@operation("investigations.judge_explanation")
def judge_explanation(session: Session, actor: Actor, policy: Policy, *, case_id: uuid.UUID | str,
                      sufficient: bool, on: date, expected_version: int | None = None, reason: str = "",
                      calendar: WorkingCalendar | None = None, today: date | None = None) -> InvestigationCase:
    """Sufficient: the case is closed as explained. Not sufficient: the case
    is opened and bookkeeping suspended from ``on``."""
    require_role(CASE, "judge", actor, policy)
    case = _load(session, case_id, expected_version, policy)
    require_step(CASE, "judge", case, actor, on, today=today, policy=policy, guard=True, inputs=None)
    rules.check_judgement(case, on, policy).raise_if_refused()
    before = audit.snapshot(case)
    stamp(case, policy)  # the pack that decides this step (issue 9, item 8)
    case.explanation_sufficient = sufficient
    if sufficient:
        case.status = CaseStatus.CLOSED_EXPLAINED
        case.closed_on = on
        audit.changed(session, actor, case, before, "investigation.closed_explained", reason=reason,
                      article=policy.deadlines.article_notice)
    else:
        _suspend(session, actor, case, policy, on, rules.OPEN_INSUFFICIENT, reason, calendar or default_calendar())
        audit.changed(session, actor, case, before, "investigation.open", reason=reason, article=policy.deadlines.article_notice)
    return case


@operation("investigations.record_no_show")
def record_no_show(session: Session, actor: Actor, policy: Policy, *, case_id: uuid.UUID | str, on: date,
                   expected_version: int | None = None, reason: str = "",
                   calendar: WorkingCalendar | None = None, today: date | None = None) -> InvestigationCase:
    """The enrollee did not come by the deadline: open the case and suspend."""
    require_role(CASE, "no_show", actor, policy)
    case = _load(session, case_id, expected_version, policy)
    require_step(CASE, "no_show", case, actor, on, today=today, policy=policy, guard=True, inputs=None)
    rules.check_no_show(case, on, policy).raise_if_refused()
    before = audit.snapshot(case)
    stamp(case, policy)  # the pack that decides this step (issue 9, item 8)
    _suspend(session, actor, case, policy, on, rules.OPEN_NO_SHOW, reason, calendar or default_calendar())
    audit.changed(session, actor, case, before, "investigation.open", reason=reason, article=policy.deadlines.article_notice)
    return case


# --------------------------------------------------------------------------- verification / decision / resumption


@operation("investigations.record_verification")
def record_verification(session: Session, actor: Actor, policy: Policy, *, case_id: uuid.UUID | str, outcome: str,
                        on: date, note: str = "", expected_version: int | None = None, reason: str = "",
                        calendar: WorkingCalendar | None = None, today: date | None = None) -> InvestigationCase:
    """Record the verification result; sets the decision deadline and, for
    no violation, the resumption deadline."""
    require_role(CASE, "verify", actor, policy)
    case = _load(session, case_id, expected_version, policy)
    require_step(CASE, "verify", case, actor, on, today=today, policy=policy, guard=True, inputs={"outcome": outcome})
    rules.check_verification(case, outcome, on, policy).raise_if_refused()
    cal = calendar or default_calendar()
    before = audit.snapshot(case)
    stamp(case, policy)  # the pack that decides this step (issue 9, item 8)
    case.status = CaseStatus.VERIFIED
    case.verified_on = on
    case.outcome = outcome
    case.outcome_note = note.strip()
    decision = rules.decision_deadline(on, policy, cal)
    case.decision_due, case.decision_due_provisional = decision.due, decision.provisional
    if outcome == rules.OUTCOME_NO_VIOLATION:
        resumption = rules.resumption_deadline(on, policy, cal)
        case.resumption_due, case.resumption_due_provisional = resumption.due, resumption.provisional
    audit.changed(session, actor, case, before, "investigation.verify", reason=reason or note.strip(),
                  article=policy.deadlines.article_resumption)
    return case


@operation("investigations.deliver_decision")
def deliver_decision(session: Session, actor: Actor, policy: Policy, *, case_id: uuid.UUID | str, on: date,
                     expected_version: int | None = None, reason: str = "",
                     today: date | None = None) -> InvestigationCase:
    """The verification result is delivered to the enrollee in writing.
    Violation: dealt with under the Measures (account stays suspended);
    suspected crime: referred to the judicial authorities."""
    require_role(CASE, "decide", actor, policy)
    case = _load(session, case_id, expected_version, policy)
    require_step(CASE, "decide", case, actor, on, today=today, policy=policy, guard=True, inputs=None)
    rules.check_decision(case, on, policy).raise_if_refused()
    before = audit.snapshot(case)
    case.decided_on = on
    case.decided_by = actor.username
    case.status = rules.status_after_decision(case)
    if case.status in CASE_CLOSED:
        case.closed_on = on
    audit.changed(session, actor, case, before, "investigation.decide", reason=reason, article=policy.deadlines.article_resumption)
    return case


@operation("investigations.resume")
def resume(session: Session, actor: Actor, policy: Policy, *, case_id: uuid.UUID | str, on: date,
           expected_version: int | None = None, reason: str = "", today: date | None = None) -> InvestigationCase:
    """No violation found: bookkeeping resumes (Art. 15). The account returns
    to normal unless another of the enrollee's cases still holds it."""
    require_role(CASE, "resume", actor, policy)
    case = _load(session, case_id, expected_version, policy)
    require_step(CASE, "resume", case, actor, on, today=today, policy=policy, guard=True, inputs=None)
    rules.check_resume(case, on, policy).raise_if_refused()
    before = audit.snapshot(case)
    case.resumed_on = on
    if case.decided_on is not None:  # before the decision the case stays verified (resumed = closed)
        case.status = CaseStatus.RESUMED
        case.closed_on = on
    audit.changed(session, actor, case, before, "investigation.resume", reason=reason, article=policy.deadlines.article_resumption)
    others = [c for c in cases_of(session, case.enrollee_id) if c.id != case.id and rules.holds_suspension(c)]
    enrollee = _enrollee(session, case.enrollee_id)
    if not others and enrollee.account_state != AccountState.NORMAL:
        e_before = audit.snapshot(enrollee)
        enrollee.account_state = AccountState.NORMAL
        enrollee.account_state_since = on
        audit.changed(session, actor, enrollee, e_before, "enrollee.resume", reason=reason or case.number,
                      article=policy.deadlines.article_resumption)
    return case
