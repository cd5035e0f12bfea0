"""Investigation and suspension of bookkeeping (SZ-MT Art. 13-15) for one enrollee.

The account state (a red banner while bookkeeping is suspended: benefits
kept, cash settlement), the enrollee's cases with their status, and the
steps of the highlighted case, each with its date and its computed deadline
(marked provisional where the calendar says so):

notice (come by ...) -> explanation, judged sufficient (closed) or not ->
or a no-show after the deadline -> case opened, bookkeeping suspended
(verify by ...) -> verification (no violation / violation / suspected crime;
decision by ..., resume by ...) -> decision delivered -> bookkeeping resumed.

Ctrl+O opens a case from a trigger: one of the pack's manual triggers
(recorded with :func:`core.services.monitoring.record_manual_trigger`, then
:func:`core.services.investigations.send_notice_for_flag`) or a monitoring
hit of the month (:func:`core.services.monitoring.hits_for`,
:func:`core.services.investigations.send_notice_for_hit`). F6-F9, Ctrl+T and
Ctrl+R take the steps on the highlighted case, on the date typed. Core
decides: clerks send notices and record explanations, reviewers decide; a
refusal shows each reason with its article.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Select, Static

from core.errors import DomainError
from core.gateway import Session
from core.ids import mask_id_number
from core.models import AccountState, InvestigationCase
from core.policy import Policy
from core.rules.investigations import OUTCOMES
from core.records import frozen, frozen_all
from core.rules.monitoring import Month, manual_triggers
from core.services import investigations, monitoring
from core.services.lookup import get_enrollee
from core.services.monitoring import Hit
from core.workflows import CASE
from core.workflows.definitions import CASE_OPEN
from tui.i18n import N_, _
from tui.labels import day, due, label
from tui.screens.base import PRINT_BINDING, WorkflowScreen
from tui.widgets.confirm import ConfirmScreen
from tui.widgets.date_field import DateInput
from tui.widgets.fields import AsciiCheckbox, AsciiSelect
from tui.widgets.reasons import ReasonsList
from tui.widgets.table import FitTable

DEBOUNCE_SECONDS = 0.25

OUTCOME_LABELS: dict[str, str] = {
    "no_violation": N_("no violation"),
    "violation": N_("violation"),
    "crime": N_("suspected crime"),
}
OPEN_REASONS: dict[str, str] = {
    "no_show": N_("did not come by the deadline"),
    "insufficient": N_("explanation not sufficient"),
}
SETTLEMENT: dict[str, str] = {
    "bookkeeping": N_("bookkeeping at designated institutions"),
    "cash": N_("cash settlement and cash reimbursement"),
}


def _label(table: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    msgid = table.get(code)
    return _(msgid) if msgid else code


# --------------------------------------------------------------------------- what the screen loads


@dataclass(frozen=True)
class Subject:
    id: str
    name: str
    id_masked: str
    account_state: str
    account_state_since: date | None
    settlement: str
    cases: list[InvestigationCase] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    month: str = ""

    @property
    def suspended(self) -> bool:
        return self.account_state == AccountState.SUSPENDED

    def case(self, key: str | None) -> InvestigationCase | None:
        return next((c for c in self.cases if str(c.id) == key), None)


def load_subject(session: Session, ref: str, policy: Policy, month: str) -> Subject:
    e = get_enrollee(session, ref)
    try:
        hits = monitoring.hits_for(session, policy, e.id, month)
    except DomainError:
        hits = []  # the month is still being typed; the trigger list then offers the manual triggers
    return Subject(id=str(e.id), name=e.name, id_masked=mask_id_number(e.id_number), account_state=e.account_state,
                   account_state_since=e.account_state_since,
                   settlement=investigations.settlement_of(session, e.id),
                   cases=list(frozen_all(investigations.cases_of(session, e.id))),
                   hits=hits, month=month)


# --------------------------------------------------------------------------- rendering


def account_text(s: Subject) -> Text:
    if s.suspended:
        return Text(_("ACCOUNT SUSPENDED since {since}: no bookkeeping; the enrollee keeps benefits, pays cash "
                      "and claims cash reimbursement (SZ-MT Art. 14).", since=day(s.account_state_since)))
    return Text.assemble((_("Account") + " ", "dim"), label("account_state", s.account_state), "  ",
                         (_("Settlement") + " ", "dim"), _label(SETTLEMENT, s.settlement))


def _deadline(when: date | None, provisional: bool, done: date | None, today: date, msgid: str) -> Text:
    if when is None:
        return Text("")
    out = Text(_(msgid, due=due(when, provisional)))
    if done is None and when < today:
        out.append(" " + _("(passed)"), style="bold red")
    return out


def steps_table(c: InvestigationCase, policy: Policy, today: date, lang: str) -> Table:
    """One row per step: what, when it was done, its deadline, the note."""
    # step, date and deadline are never cut (each at least as wide as its
    # widest cell); the note wraps in what is left
    t = Table.grid(padding=(0, 1))
    t.add_column(no_wrap=True, style="bold")
    t.add_column(no_wrap=True)
    t.add_column(no_wrap=True)
    t.add_column(ratio=1, overflow="fold")
    trigger = policy.trigger(c.trigger)
    what = f"{trigger.number}. {trigger.name(lang)}" if trigger else c.trigger
    judged = ""
    if c.explanation_sufficient is not None:
        judged = _("sufficient") if c.explanation_sufficient else _("not sufficient")
    outcome = _label(OUTCOME_LABELS, c.outcome)
    t.add_row(_("Notice"), day(c.notice_on),
              _deadline(c.notice_due, c.notice_due_provisional, c.explanation_on or c.opened_on, today,
                        N_("come by {due}")),
              f"{what} ({c.trigger_month})")
    t.add_row(_("Explanation"), day(c.explanation_on), "", "; ".join(x for x in (judged, c.explanation_note) if x))
    t.add_row(_("Suspended"), day(c.opened_on), "", _label(OPEN_REASONS, c.open_reason))
    t.add_row(_("Verification"), day(c.verified_on),
              _deadline(c.verification_due, False, c.verified_on, today, N_("verify by {due}")),
              "; ".join(x for x in (outcome, c.outcome_note) if x))
    t.add_row(_("Decision"), day(c.decided_on),
              _deadline(c.decision_due, c.decision_due_provisional, c.decided_on, today, N_("deliver by {due}")),
              (c.decided_by or "") if c.decided_on else "")
    t.add_row(_("Resumption"), day(c.resumed_on),
              _deadline(c.resumption_due, c.resumption_due_provisional, c.resumed_on, today, N_("resume by {due}")),
              "")
    for column in t.columns[:3]:
        column.min_width = max((cell_len(c.plain if isinstance(c, Text) else str(c)) for c in column.cells),
                               default=0)
    return t


def case_header(c: InvestigationCase) -> Text:
    out = Text.assemble((c.number, "bold"), "  ", label("case_status", c.status))
    if c.closed_on is not None:
        out.append("  " + _("closed {on}", on=day(c.closed_on)), style="dim")
    return out


# --------------------------------------------------------------------------- the screen


class InvestigationsScreen(WorkflowScreen):
    TITLE_MSGID = N_("Investigations")
    HELP_MSGID = N_("Investigation and suspension of bookkeeping (SZ-MT Art. 13-15). Ctrl+O sends a notice for "
                    "the trigger picked below; the other keys take the next step of the highlighted case on the "
                    "date typed: F6 explanation, F7 judge it, F8 no-show, F9 verification, Ctrl+T decision "
                    "delivered, Ctrl+R bookkeeping resumed. Reviewers decide.")
    CSS_PATH = "investigations.tcss"

    BINDINGS = [
        Binding("ctrl+o", "notice", N_("Notice"), id="investigations.notice",
                tooltip=N_("Open a case for the picked trigger and send the notice (SZ-MT Art. 14)")),
        Binding("f6", "explain", N_("Explain"), id="investigations.explain",
                tooltip=N_("Record the enrollee's explanation (the note) for the highlighted case")),
        Binding("f7", "judge", N_("Judge"), id="investigations.judge",
                tooltip=N_("Judge the explanation: sufficient closes the case, otherwise bookkeeping is suspended")),
        Binding("f8", "no_show", N_("No-show"), id="investigations.no_show",
                tooltip=N_("The enrollee did not come by the deadline: open the case, suspend bookkeeping")),
        Binding("f9", "verify", N_("Verify"), id="investigations.verify",
                tooltip=N_("Record the verification outcome (SZ-MT Art. 15)")),
        Binding("ctrl+t", "decide", N_("Decide"), id="investigations.decide",
                tooltip=N_("The decision was delivered to the enrollee in writing")),
        Binding("ctrl+r", "resume", N_("Resume"), id="investigations.resume",
                tooltip=N_("Bookkeeping resumes after a verification that found no violation")),
        PRINT_BINDING,
    ]

    def __init__(self, enrollee_id: str | uuid.UUID | None = None, **kwargs) -> None:
        super().__init__(enrollee_id, **kwargs)
        self.subject: Subject | None = None
        self.current_key: str | None = None
        self._timer: Timer | None = None

    # ------------------------------------------------------------------ layout
    def compose_body(self) -> Iterable[Widget]:
        outcomes = [(_(OUTCOME_LABELS[o]), o) for o in OUTCOMES]
        with VerticalScroll(id="form"):
            yield Static(_("Loading..."), id="subject")
            yield Static("", id="account")
            yield FitTable(id="cases", flex=("trigger",))
            yield Static("", id="case-title")
            yield Static("", id="steps")
            with Horizontal(classes="field-row"):
                yield Label(_("Step date"))
                yield DateInput(self.today, id="on")
                yield AsciiCheckbox(_("Sufficient"), id="sufficient", compact=True)
                yield Label(_("Outcome"), classes="inline")
                yield AsciiSelect(outcomes, value=OUTCOMES[0], allow_blank=False, id="outcome", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("Note"))
                yield Input(placeholder=_("what the enrollee explained, or the verification note"), id="note",
                            compact=True)
            yield ReasonsList(id="reasons")
            yield Static("", id="result")
            yield Label(_("New case from a trigger"), classes="section-title")
            with Horizontal(classes="field-row"):
                yield Label(_("Trigger"))
                yield AsciiSelect([], prompt=_("Pick a trigger"), id="trigger", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("Month"))
                yield Input(Month.of(self.today).shift(-1).label, placeholder="YYYY-MM", id="month", max_length=7,
                            compact=True)
                yield Label(_("Detail"), classes="inline")
                yield Input(placeholder=_("what was observed or reported"), id="detail", compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#cases", DataTable)
        table.add_column(_("Case"), key="number")
        table.add_column(_("Trigger"), key="trigger")
        table.add_column(_("Status"), key="status")
        table.add_column(_("Notice"), key="notice")
        table.add_column(_("Suspended"), key="opened")
        if self.enrollee_id:
            self.load()
        else:
            self.query_one("#subject", Static).update(_("Open this screen from an enrollee."))

    def load(self, focus_case: str | None = None) -> None:
        ref, policy = self.enrollee_id or "", self.policy
        month = self.query_one("#month", Input).value.strip()
        self.run_service(lambda s: load_subject(s, ref, policy, month),
                         lambda subj: self._loaded(subj, focus_case), group="subject")

    def _loaded(self, subject: Subject, focus_case: str | None) -> None:
        first = self.subject is None
        self.subject = subject
        self.set_screen_title(_("Investigations: {name}", name=subject.name))
        self.query_one("#subject", Static).update(
            Text.assemble((subject.name, "bold"), "  ", (subject.id_masked, "dim")))
        account = self.query_one("#account", Static)
        account.update(account_text(subject))
        account.set_class(subject.suspended, "banner-suspended")
        self._fill_triggers(subject)
        self._fill_cases(subject, focus_case or self.current_key)
        if first:
            if subject.cases:
                self.query_one("#cases", DataTable).focus()
            else:
                self.query_one("#trigger", Select).focus()

    def _fill_triggers(self, subject: Subject) -> None:
        select_ = self.query_one("#trigger", Select)
        keep = select_.value
        options = [(f"{h.number}. {h.message(self.lang)}", f"hit:{h.trigger}") for h in subject.hits]
        options += [(f"{t.number}. {t.name(self.lang)}", f"manual:{t.code}") for t in manual_triggers(self.policy)]
        select_.set_options(options)
        if isinstance(keep, str) and any(v == keep for _t, v in options):
            select_.value = keep

    def _fill_cases(self, subject: Subject, key: str | None) -> None:
        table = self.query_one("#cases", DataTable)
        table.clear()
        for c in subject.cases:
            trigger = self.policy.trigger(c.trigger)
            table.add_row(c.number, f"{trigger.number} ({c.trigger_month})" if trigger else c.trigger,
                          label("case_status", c.status), day(c.notice_on), day(c.opened_on), key=str(c.id))
        if not subject.cases:
            self.current_key = None
            self.query_one("#case-title", Static).update(Text(_("No investigation cases."), style="dim"))
            self.query_one("#steps", Static).update("")
            return
        keys = [str(c.id) for c in subject.cases]
        # the next key acts on the highlighted case: the open one, not the oldest closed one
        open_rows = [i for i, c in enumerate(subject.cases) if c.status in CASE_OPEN]
        row = keys.index(key) if key in keys else (open_rows or [0])[0]
        table.move_cursor(row=row)
        self._show_case(keys[row])

    @on(DataTable.RowHighlighted, "#cases")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_case(event.row_key.value)

    def _show_case(self, key: str | None) -> None:
        c = self.subject.case(key) if self.subject else None
        if c is None:
            return
        self.current_key = key
        self.query_one("#case-title", Static).update(case_header(c))
        self.query_one("#steps", Static).update(steps_table(c, self.policy, self.today, self.lang))

    @on(Input.Changed, "#month")
    def _month_typed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self._reload_hits)

    def _reload_hits(self) -> None:
        self._timer = None
        if self.subject is not None:
            self.load()

    @on(Input.Submitted, "#detail")
    def _detail_submitted(self) -> None:
        self.action_notice()

    # ------------------------------------------------------------------ helpers
    def printable(self) -> list[tuple[str, str]]:
        from core.documents import case_documents

        c = self.subject.case(self.current_key) if self.subject else None
        return [(kind, c.number) for kind in case_documents(c)] if c is not None else []

    def _case(self) -> InvestigationCase | None:
        c = self.subject.case(self.current_key) if self.subject else None
        if c is None:
            self.notify(_("No case is highlighted."), severity="warning")
        return c

    def _date(self, article: str) -> date | None:
        try:
            return self.query_one("#on", DateInput).day("on", article)
        except DomainError as exc:
            self._refused(exc)
            return None

    def _note(self) -> str:
        """The note field: the explanation, the verification note, or the reason of a decision."""
        return self.query_one("#note", Input).value.strip()

    def _refused(self, error: DomainError) -> None:
        self.query_one("#result", Static).update(Text(_("Not done; nothing was written."), style="bold red"))
        self.show_refusal(error)
        self.call_after_refresh(self.query_one("#reasons", ReasonsList).scroll_visible, animate=False)

    def _done(self, case: InvestigationCase) -> None:
        self.query_one("#reasons", ReasonsList).clear()
        self.query_one("#result", Static).update(
            Text(_("Case {number} is now {status}.", number=case.number, status=label("case_status", case.status)),
                 style="bold green"))
        self.load(focus_case=str(case.id))

    def _confirm_then(self, question: str, work: Callable[[Session], InvestigationCase]) -> None:
        def go(yes: bool | None) -> None:
            if yes:
                self.run_service(lambda s: frozen(work(s)), self._done, write=True, on_refused=self._refused,
                                 group="write")

        self.app.push_screen(ConfirmScreen(question), go)

    def _step(self, event: str, article: str, question: str,
              call: Callable[[Session, uuid.UUID, int, date], InvestigationCase],
              inputs: dict | None = None) -> None:
        """Ask, then run ``call(session, case_id, version_read, on)`` on the
        highlighted case; a step the case machine or its rules would refuse
        (a no-show before the deadline, a date after today …) shows its
        reasons instead of the question."""
        c = self._case()
        when = self._date(article) if c else None
        if c is None or when is None:
            return
        if self.refuse_before_asking(c, event, CASE, on=when, inputs=inputs, on_refused=self._refused):
            return
        case_id, version = c.id, c.version
        self._confirm_then(_(question, number=c.number, on=day(when)),
                           lambda session: call(session, case_id, version, when))

    # ------------------------------------------------------------------ notice
    def action_notice(self) -> None:
        if self.subject is None:
            return
        value = self.query_one("#trigger", Select).value
        if not isinstance(value, str):
            self.query_one("#result", Static).update(Text(_("Pick a trigger first."), style="bold"))
            self.query_one("#trigger", Select).focus()
            return
        when = self._date(self.policy.deadlines.article_notice)
        if when is None:
            return
        kind, _sep, code = value.partition(":")
        actor, policy, enrollee_id, today = self.actor, self.policy, uuid.UUID(self.subject.id), self.today
        month, detail = self.query_one("#month", Input).value.strip(), self.query_one("#detail", Input).value

        def work(session: Session) -> InvestigationCase:
            if kind == "hit":
                return investigations.send_notice_for_hit(session, actor, policy, enrollee_id=enrollee_id,
                                                          trigger=code, month=month, on=when, reason=detail,
                                                          today=today)
            flag = monitoring.record_manual_trigger(session, actor, policy, enrollee_id=enrollee_id, trigger=code,
                                                    detail=detail, on=when, month=month)
            return investigations.send_notice_for_flag(session, actor, policy, flag_id=flag.id, on=when,
                                                       today=today)

        if self.refuse_before_asking(None, "notice", CASE, on=when, facts={"open_cases": self.subject.cases},
                                     inputs={"trigger": code}, on_refused=self._refused):
            return  # a second open case for the trigger, a date after today: said before any dialog
        trigger = self.policy.trigger(code)
        name = f"{trigger.number}. {trigger.name(self.lang)}" if trigger else code
        self._confirm_then(_("Send {name} an investigation notice for trigger {trigger} ({month}) on {on}?",
                             name=self.subject.name, trigger=name, month=month, on=day(when)), work)

    # ------------------------------------------------------------------ steps
    def action_explain(self) -> None:
        actor, policy, note = self.actor, self.policy, self._note()
        self._step("explain", self.policy.deadlines.article_notice, N_("Record the explanation for case {number} on {on}?"),
                   lambda s, key, version, on_: investigations.record_explanation(
                       s, actor, policy, case_id=key, note=note, on=on_, expected_version=version, today=self.today),
                   inputs={"note": note})

    def action_judge(self) -> None:
        actor, policy, reason = self.actor, self.policy, self._note()
        sufficient = self.query_one("#sufficient", AsciiCheckbox).value
        question = (N_("Judge the explanation for case {number} sufficient on {on}? The case closes.") if sufficient
                    else N_("Judge the explanation for case {number} not sufficient on {on}? The case opens and "
                            "bookkeeping is suspended from that day."))
        self._step("judge", self.policy.deadlines.article_notice, question, lambda s, key, version, on_: investigations.judge_explanation(
            s, actor, policy, case_id=key, sufficient=sufficient, on=on_, expected_version=version, reason=reason,
            today=self.today))

    def action_no_show(self) -> None:
        actor, policy, reason = self.actor, self.policy, self._note()
        self._step("no_show", self.policy.deadlines.article_notice, N_("Record that the enrollee did not come for case {number}? The case "
                                             "opens and bookkeeping is suspended from {on}."),
                   lambda s, key, version, on_: investigations.record_no_show(
                       s, actor, policy, case_id=key, on=on_, expected_version=version, reason=reason,
                       today=self.today))

    def action_verify(self) -> None:
        actor, policy, note = self.actor, self.policy, self._note()
        outcome = str(self.query_one("#outcome", Select).value)
        self._step("verify", self.policy.deadlines.article_resumption, N_("Record the verification of case {number} on {on}?"),
                   lambda s, key, version, on_: investigations.record_verification(
                       s, actor, policy, case_id=key, outcome=outcome, on=on_, note=note, expected_version=version,
                       today=self.today), inputs={"outcome": outcome})

    def action_decide(self) -> None:
        actor, policy, reason = self.actor, self.policy, self._note()
        self._step("decide", self.policy.deadlines.article_notice, N_("Record that the decision on case {number} was delivered on {on}?"),
                   lambda s, key, version, on_: investigations.deliver_decision(
                       s, actor, policy, case_id=key, on=on_, expected_version=version, reason=reason,
                       today=self.today))

    def action_resume(self) -> None:
        actor, policy, reason = self.actor, self.policy, self._note()
        self._step("resume", self.policy.deadlines.article_resumption, N_("Resume bookkeeping for case {number} on {on}?"),
                   lambda s, key, version, on_: investigations.resume(
                       s, actor, policy, case_id=key, on=on_, expected_version=version, reason=reason,
                       today=self.today))
