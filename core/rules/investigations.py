"""Investigation and suspension of bookkeeping (SZ-MT Art. 14, 15; RULES.md §11).

Pure rules: deadlines on the working-day calendar, and which step a case
may take on a date. The service loads the case (a plain row here) and passes
the calendar and the business date.

The steps::

    notice_sent ──explanation judged sufficient──▶ closed_explained
        │ no-show after the deadline, or explanation judged insufficient
        ▼
    suspended (case opened, bookkeeping suspended from that day)
        │ verification (no_violation | violation | crime)
        ▼
    verified ──decision delivered──▶ decided (no violation, not yet resumed)
        │                         ├─▶ violation (account stays suspended)
        │                         └─▶ referred (suspected crime)
        └─ resume (no violation only; before or after the decision) ─▶ resumed
           (before the decision the case stays verified, with ``resumed_on``
           set; the decision then closes it as resumed)

Readings taken:

* The notice deadline is the ``notice_working_days``-th working day after
  the notice date; a no-show can be recorded from the next day on.
* "Within 90 days" of the suspension is calendar days
  (``verification_calendar_days``); the decision and the resumption are
  counted in working days from the verification date.
* A case stays open until it is closed as explained, concluded as a
  violation or a referral, or both resumed and its decision delivered.
* The account is suspended while any of the enrollee's cases is opened and
  not resumed; resuming one case leaves the account suspended if another
  case still holds it.
"""

from __future__ import annotations

from datetime import date

from core.calendar import Deadline, WorkingCalendar
from core.errors import Reason
from core.i18n import N_, Code
from core.models import AccountState, CaseStatus, InvestigationCase, Settlement
from core.policy import Policy
from core.rules.decision import Decision, refuse
from core.workflows import CASE
from core.workflows.definitions import CASE_OPEN


OUTCOME_NO_VIOLATION = "no_violation"
OUTCOME_VIOLATION = "violation"
OUTCOME_CRIME = "crime"
OUTCOMES = (OUTCOME_NO_VIOLATION, OUTCOME_VIOLATION, OUTCOME_CRIME)

OPEN_NO_SHOW = "no_show"
OPEN_INSUFFICIENT = "insufficient"

CASE_PREFIX = "INV"  # case numbers: INV-2026-7K3M9-Q2XWR (core.services.numbering)


# --------------------------------------------------------------------------- deadlines


def notice_deadline(on: date, policy: Policy, cal: WorkingCalendar) -> Deadline:
    """Come and explain within ``notice_working_days`` working days (Art. 14)."""
    return cal.add_working_days(on, policy.deadlines.notice_working_days)


def verification_deadline(opened_on: date, policy: Policy, cal: WorkingCalendar) -> Deadline:
    """Finish verification within ``verification_calendar_days`` of the suspension."""
    return cal.add_calendar_days(opened_on, policy.deadlines.verification_calendar_days)


def decision_deadline(verified_on: date, policy: Policy, cal: WorkingCalendar) -> Deadline:
    """Deliver the result within ``decision_working_days`` working days."""
    return cal.add_working_days(verified_on, policy.deadlines.decision_working_days)


def resumption_deadline(verified_on: date, policy: Policy, cal: WorkingCalendar) -> Deadline:
    """No violation: resume bookkeeping within ``resumption_working_days`` (Art. 15)."""
    return cal.add_working_days(verified_on, policy.deadlines.resumption_working_days)


# --------------------------------------------------------------------------- case state


def is_open(case: InvestigationCase) -> bool:
    return case.status in CASE_OPEN


def holds_suspension(case: InvestigationCase) -> bool:
    """The case keeps the enrollee's bookkeeping suspended."""
    return case.opened_on is not None and case.resumed_on is None


def settlement_for(account_state: str) -> Settlement:
    """A suspended account keeps its benefits but settles in cash (Art. 14)."""
    return Settlement.CASH if account_state == AccountState.SUSPENDED else Settlement.BOOKKEEPING


def _not_before(on: date, since: date | None, article: str) -> list[Reason]:
    if since is not None and on < since:
        return [refuse(article, "on", N_("{on} is before {since}, the date of the step before."),
                       on=on.isoformat(), since=since.isoformat())]
    return []


def _status(case: InvestigationCase, event: str, article: str) -> list[Reason]:
    """The case machine's answer: may ``event`` fire from the case's state?"""
    if not CASE.can_fire(event, case.status):
        wanted = sorted(CASE.sources(event))
        return [refuse(article, "status", N_("Case {number} is {status}; this step needs a case that is {wanted}."),
                       number=case.number, status=Code("case_status", case.status),
                       wanted=Code("case_status", wanted[0]) if len(wanted) == 1 else " / ".join(wanted))]
    return []


def check_duplicate(open_cases: list[InvestigationCase], trigger: str, policy: Policy) -> Decision:
    """One open case per enrollee per trigger at a time."""
    art_notice = policy.deadlines.article_notice
    same = [c for c in open_cases if c.trigger == trigger and is_open(c)]
    if same:
        return Decision.of([refuse(art_notice, "trigger",
                                   N_("Case {number} for trigger {trigger} is still open for this enrollee."),
                                   number=same[0].number, trigger=trigger)])
    return Decision(ok=True)


def check_explanation(case: InvestigationCase, on: date, note: str, policy: Policy) -> Decision:
    """The enrollee came and explained (clerk records it)."""
    art_notice = policy.deadlines.article_notice
    reasons = _status(case, "explain", art_notice)
    if case.explanation_on is not None:
        reasons.append(refuse(art_notice, "explanation_on",
                              N_("An explanation was already recorded on {date}."),
                              date=case.explanation_on.isoformat()))
    reasons += _not_before(on, case.notice_on, art_notice)
    if not note.strip():
        reasons.append(refuse(art_notice, "note", N_("Write down what the enrollee explained.")))
    return Decision.of(reasons)


def check_judgement(case: InvestigationCase, on: date, policy: Policy) -> Decision:
    """A reviewer judges a recorded explanation."""
    art_notice = policy.deadlines.article_notice
    reasons = _status(case, "judge", art_notice)
    if not reasons and case.explanation_on is None:
        reasons.append(refuse(art_notice, "explanation_on", N_("No explanation has been recorded for case {number}."),
                              number=case.number))
    reasons += _not_before(on, case.explanation_on, art_notice)
    return Decision.of(reasons)


def check_no_show(case: InvestigationCase, on: date, policy: Policy) -> Decision:
    """The enrollee did not come: only once the notice deadline has passed."""
    art_notice = policy.deadlines.article_notice
    reasons = _status(case, "no_show", art_notice)
    if case.explanation_on is not None:
        reasons.append(refuse(art_notice, "explanation_on",
                              N_("The enrollee explained on {date}; judge the explanation instead."),
                              date=case.explanation_on.isoformat()))
    if on <= case.notice_due:
        reasons.append(refuse(art_notice, "on",
                              N_("The notice deadline is {due}; a no-show can be recorded from the day after."),
                              due=case.notice_due.isoformat()))
    return Decision.of(reasons)


def check_verification(case: InvestigationCase, outcome: str, on: date, policy: Policy) -> Decision:
    art_notice, art_outcome = policy.deadlines.article_notice, policy.deadlines.article_resumption
    reasons = _status(case, "verify", art_notice)
    if outcome not in OUTCOMES:
        reasons.append(refuse(art_outcome, "outcome", N_("Outcome {outcome} is not one of {choices}."),
                              outcome=outcome, choices=", ".join(OUTCOMES)))
    reasons += _not_before(on, case.opened_on, art_notice)
    return Decision.of(reasons)


def check_decision(case: InvestigationCase, on: date, policy: Policy) -> Decision:
    art_notice = policy.deadlines.article_notice
    reasons: list[Reason] = []
    if case.verified_on is not None and case.decided_on is None:
        reasons += _status(case, "decide", art_notice)
    if case.verified_on is None:
        reasons.append(refuse(art_notice, "verified_on",
                              N_("Case {number} has no verification result to deliver."), number=case.number))
    if case.decided_on is not None:
        reasons.append(refuse(art_notice, "decided_on", N_("The decision was already delivered on {date}."),
                              date=case.decided_on.isoformat()))
    reasons += _not_before(on, case.verified_on, art_notice)
    return Decision.of(reasons)


def check_resume(case: InvestigationCase, on: date, policy: Policy) -> Decision:
    """Bookkeeping resumes only after a verification that found no violation."""
    art_outcome = policy.deadlines.article_resumption
    reasons: list[Reason] = []
    if case.verified_on is None:
        reasons.append(refuse(art_outcome, "verified_on",
                              N_("Case {number} has not been verified; bookkeeping resumes only after a "
                                 "verification that finds no violation."), number=case.number))
    elif case.outcome != OUTCOME_NO_VIOLATION:
        reasons.append(refuse(art_outcome, "outcome",
                              N_("The verification of case {number} found {outcome}; bookkeeping stays suspended."),
                              number=case.number, outcome=case.outcome))
    if case.resumed_on is not None:
        reasons.append(refuse(art_outcome, "resumed_on", N_("Bookkeeping was already resumed on {date}."),
                              date=case.resumed_on.isoformat()))
    reasons += _not_before(on, case.verified_on, art_outcome)
    return Decision.of(reasons)


def status_after_decision(case: InvestigationCase) -> str:
    if case.outcome == OUTCOME_VIOLATION:
        return CaseStatus.VIOLATION
    if case.outcome == OUTCOME_CRIME:
        return CaseStatus.REFERRED
    return CaseStatus.RESUMED if case.resumed_on is not None else CaseStatus.DECIDED
