"""Facts that change from a date (issue 13), and hospital stays (ZZ §4).

:class:`FactsScreen` (key ``f`` on the enrollee view): the facts the rules
read on the business date, the recorded changes, and one form: the fact,
its new value, the first day it holds and the reason. Ctrl+S records the
change (:func:`core.services.changes.change_enrollee`), Ctrl+T records a
retirement with a city pension, Ctrl+O a return to the city, which cancels
the active off-site filing in the same transaction (SZ-MT Art. 9(3)).

:class:`StaysScreen` (key ``s``): the enrollee's hospital stays; Ctrl+S
records an admission (or a whole stay when the discharge date is given),
Ctrl+G the discharge of the open stay (:mod:`core.services.stays`).

A refusal lists each reason with its article and keeps the form.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from core.errors import DomainError
from core.gateway import Session
from core.ids import mask_id_number
from core.rules import facts as fact_rules
from core.services import changes, stays
from core.services.lookup import get_enrollee
from tui.i18n import N_, _
from tui.labels import day, label, yes_no
from tui.screens.base import WorkflowScreen
from tui.widgets.date_field import DateInput
from tui.widgets.fields import AsciiSelect
from tui.widgets.reasons import ReasonsList


@dataclass(frozen=True)
class ChangeRow:
    field: str
    value: Any
    previous: Any
    effective_from: date
    reason: str
    recorded_by: str


@dataclass(frozen=True)
class Subject:
    id: str
    name: str
    id_masked: str
    facts: changes.EnrolleeOn
    changes: tuple[ChangeRow, ...]


def shown(field: str, value: Any) -> str:
    """A fact's value as a person reads it: labels for codes, yes/no, '-' for none."""
    spec = fact_rules.ENROLLEE_FIELDS[field]
    if value is None or value == "":
        return "-"
    if spec.kind == "bool":
        return yes_no(bool(value))
    if spec.label_kind:
        return label(spec.label_kind, str(value))
    if field in ("residence_city", "stationed_city"):
        return label("city", str(value))
    if field == "residence_province":
        return label("province", str(value))
    return str(value)


def change_text(c: Any) -> str:
    """``scheme comprehensive -> inpatient from 2026-03-01`` from a change's stored texts."""
    spec = fact_rules.ENROLLEE_FIELDS.get(c.field)
    if spec is None:
        return c.field
    return _("{field} {before} -> {after} from {on}", field=field_label(c.field),
             before=shown(c.field, fact_rules.decode(spec, c.previous)),
             after=shown(c.field, fact_rules.decode(spec, c.value)), on=day(c.effective_from))


def load_subject(session: Session, ref: str, on: date) -> Subject:
    e = get_enrollee(session, ref)
    rows = []
    for c in changes.changes_of(session, "enrollee", e.id):
        spec = fact_rules.ENROLLEE_FIELDS.get(c.field)
        if spec is None:
            continue
        rows.append(ChangeRow(c.field, fact_rules.decode(spec, c.value), fact_rules.decode(spec, c.previous),
                              c.effective_from, c.reason, c.recorded_by))
    return Subject(id=str(e.id), name=e.name, id_masked=mask_id_number(e.id_number),
                   facts=changes.facts_on(session, e.id, on), changes=tuple(rows))


def field_label(field: str) -> str:
    return label("field", field)


def facts_table(s: Subject) -> RenderableType:
    t = Table(title=_("Facts on {on}", on=day(s.facts.on)), title_justify="left", title_style="bold",
              show_header=False, box=None, pad_edge=False)
    t.add_column(no_wrap=True, style="dim")
    t.add_column(overflow="fold")
    t.add_column(no_wrap=True, style="dim")
    t.add_column(overflow="fold")
    names = list(fact_rules.ENROLLEE_FIELDS)
    half = (len(names) + 1) // 2
    for left, right in zip(names[:half], names[half:] + [""]):
        t.add_row(field_label(left), shown(left, getattr(s.facts, left)),
                  field_label(right) if right else "", shown(right, getattr(s.facts, right)) if right else "")
    return t


def changes_table(s: Subject) -> RenderableType:
    if not s.changes:
        return Text.assemble((_("Changes") + ": ", "bold"), _("none recorded"))
    t = Table(title=_("Changes"), title_justify="left", title_style="bold", box=None, pad_edge=False,
              header_style="dim", expand=True)
    for h in (_("From"), _("Fact")):
        t.add_column(h, no_wrap=True)
    t.add_column(_("Change"), ratio=1, overflow="fold")
    t.add_column(_("Reason"), ratio=1, overflow="fold")
    for c in s.changes:
        t.add_row(day(c.effective_from), field_label(c.field),
                  f"{shown(c.field, c.previous)} -> {shown(c.field, c.value)}", c.reason)
    return t


class _FormScreen(WorkflowScreen):
    """The common part: a subject, a form, a reasons list, a result line.
    Each screen defines ``load`` (its own subject), which ``_done`` calls to
    show what was just recorded."""

    load: Callable[[], None]

    def _refused(self, error: DomainError) -> None:
        self.query_one("#result", Static).update(Text(_("Not recorded; nothing was written."), style="bold red"))
        self.show_refusal(error)
        self.call_after_refresh(self.query_one("#reasons", ReasonsList).scroll_visible, animate=False)

    def _done(self, message: str) -> None:
        self.query_one("#reasons", ReasonsList).clear()
        self.query_one("#result", Static).update(Text(message, style="bold green"))
        self.mark_clean()
        self.load()

    def _date(self, selector: str, field: str, article: str) -> date | None:
        try:
            return self.query_one(selector, DateInput).day(field, article)
        except DomainError as exc:
            self._refused(exc)
            return None

    def _write(self, work: Callable[[Session], Any], message: Callable[[Any], str]) -> None:
        self.run_service(work, lambda out: self._done(message(out)), write=True, on_refused=self._refused,
                         group="write")



class FactsScreen(_FormScreen):
    TITLE_MSGID = N_("Facts")
    HELP_MSGID = N_("The facts the rules read, as on today, and every change with its date and reason. "
                    "Pick the fact, type the new value, the first day it holds and the reason; Ctrl+S records it. "
                    "Ctrl+T: retired with a city pension; Ctrl+O: back in the city (cancels the off-site filing, "
                    "SZ-MT Art. 9(3)).")
    CSS_PATH = "facts.tcss"

    BINDINGS = [
        Binding("ctrl+s", "record", N_("Record"), id="facts.record",
                tooltip=N_("Record the change of the picked fact from the date given")),
        Binding("ctrl+t", "retire", N_("Retire"), id="facts.retire",
                tooltip=N_("Retired with a monthly pension from the city agency from the date given (SZ-MT Art. 9)")),
        Binding("ctrl+o", "return_home", N_("Return home"), id="facts.return_home",
                tooltip=N_("Back in the city to work or settle: cancels the off-site filing (SZ-MT Art. 9(3))")),
    ]

    def __init__(self, enrollee_id: str | uuid.UUID | None = None, **kwargs) -> None:
        super().__init__(enrollee_id, **kwargs)
        self.subject: Subject | None = None

    def compose_body(self) -> Iterable[Widget]:
        fields = [(field_label(f), f) for f in fact_rules.ENROLLEE_FIELDS]
        with VerticalScroll(id="form"):
            yield Static(_("Loading..."), id="subject")
            with Horizontal(classes="field-row"):
                yield Label(_("Fact"))
                yield AsciiSelect(fields, value="scheme", allow_blank=False, id="field", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("New value"))
                yield Input(placeholder=_("e.g. inpatient, yes, 3, Wuhan"), id="value", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("From"))
                yield DateInput(self.today, id="from")
            with Horizontal(classes="field-row"):
                yield Label(_("Reason"))
                yield Input(placeholder=_("the paper seen, e.g. employer's letter"), id="reason", compact=True)
            yield ReasonsList(id="reasons")
            yield Static("", id="result")
            yield Static("", id="facts")
            yield Static("", id="changes")

    def on_mount(self) -> None:
        if self.enrollee_id:
            self.load()
        else:
            self.query_one("#subject", Static).update(_("Open this screen from an enrollee."))
        self.query_one("#field", Select).focus()

    def load(self) -> None:
        ref, on = self.enrollee_id or "", self.today
        self.run_service(lambda s: load_subject(s, ref, on), self._loaded, group="subject")

    def _loaded(self, subject: Subject) -> None:
        self.subject = subject
        self.set_screen_title(_("Facts: {name}", name=subject.name))
        self.query_one("#subject", Static).update(Text.assemble((subject.name, "bold"), "  ",
                                                                (subject.id_masked, "dim")))
        self.query_one("#facts", Static).update(facts_table(subject))
        self.query_one("#changes", Static).update(changes_table(subject))

    def _inputs(self) -> tuple[date, str] | None:
        when = self._date("#from", "from", self.policy.enrolment.article_schemes)
        return None if when is None else (when, self.query_one("#reason", Input).value)

    def action_record(self) -> None:
        got = self._inputs()
        if self.subject is None or got is None:
            return
        when, reason = got
        field, value = str(self.query_one("#field", Select).value), self.query_one("#value", Input).value
        actor, policy, ref = self.actor, self.policy, self.subject.id
        self._write(lambda s: len(changes.change_enrollee(s, actor, ref, {field: value}, on=when, reason=reason,
                                                          policy=policy)),
                    lambda _n: _("{field} changed from {on}.", field=field_label(field), on=day(when)))

    def action_retire(self) -> None:
        got = self._inputs()
        if self.subject is None or got is None:
            return
        when, reason = got
        actor, policy, ref = self.actor, self.policy, self.subject.id
        self._write(lambda s: len(changes.retire(s, actor, ref, city_pension=True, on=when, reason=reason,
                                                 policy=policy)),
                    lambda _n: _("Retired with a city pension from {on}.", on=day(when)))

    def action_return_home(self) -> None:
        got = self._inputs()
        if self.subject is None or got is None:
            return
        when, reason = got
        actor, policy, ref = self.actor, self.policy, self.subject.id

        def work(s: Session) -> str:
            _rows, filing = changes.return_home(s, actor, ref, on=when, reason=reason, policy=policy)
            return filing.voucher_number or "" if filing is not None else ""

        def message(voucher: str) -> str:
            if voucher:
                return _("Back in the city from {on}; off-site filing {voucher} cancelled.", on=day(when),
                         voucher=voucher)
            return _("Back in the city from {on}.", on=day(when))

        self._write(work, message)


# --------------------------------------------------------------------------- stays


@dataclass(frozen=True)
class StayRow:
    admitted_on: date
    discharged_on: date | None
    institution: str
    source: str


@dataclass(frozen=True)
class StaySubject:
    id: str
    name: str
    id_masked: str
    stays: tuple[StayRow, ...]


def load_stays(session: Session, ref: str) -> StaySubject:
    from core.queries.places import institutions_by_id

    e = get_enrollee(session, ref)
    rows = stays.stays_of(session, e.id)
    insts = institutions_by_id(session, {h.institution_id for h in rows if h.institution_id})
    out = tuple(StayRow(h.admitted_on, h.discharged_on,
                        insts[h.institution_id].code if h.institution_id in insts else "", h.source) for h in rows)
    return StaySubject(id=str(e.id), name=e.name, id_masked=mask_id_number(e.id_number), stays=out)


def stay_text(h: Any) -> str:
    """A stay (a :class:`StayRow` or the overview's ``StayView``) as one phrase."""
    code = getattr(h, "institution", None) or getattr(h, "institution_code", "")
    where = f" ({code})" if code else ""
    if h.discharged_on is None:
        return _("in hospital since {admitted}", admitted=day(h.admitted_on)) + where
    return _("in hospital {admitted} to {discharged}", admitted=day(h.admitted_on),
             discharged=day(h.discharged_on)) + where


def stays_text(s: StaySubject) -> RenderableType:
    if not s.stays:
        return Text.assemble((_("Hospital stays") + ": ", "bold"), _("none recorded"))
    return Group(Text(_("Hospital stays") + ":", style="bold"), *(Text("  " + stay_text(h)) for h in s.stays))


class StaysScreen(_FormScreen):
    TITLE_MSGID = N_("Hospital stays")
    HELP_MSGID = N_("Admissions and discharges. While in hospital the Zezhou pack pays no chronic outpatient "
                    "benefit. Ctrl+S records the admission (a whole stay when the discharge date is "
                    "given); Ctrl+G records the discharge of the open stay on the discharge date.")
    CSS_PATH = "facts.tcss"

    BINDINGS = [
        Binding("ctrl+s", "admit", N_("Admit"), id="stays.admit",
                tooltip=N_("Record the admission (and the discharge, when given)")),
        Binding("ctrl+g", "discharge", N_("Discharge"), id="stays.discharge",
                tooltip=N_("Record the discharge of the open stay on the discharge date")),
    ]

    def __init__(self, enrollee_id: str | uuid.UUID | None = None, **kwargs) -> None:
        super().__init__(enrollee_id, **kwargs)
        self.subject: StaySubject | None = None

    def compose_body(self) -> Iterable[Widget]:
        with VerticalScroll(id="form"):
            yield Static(_("Loading..."), id="subject")
            with Horizontal(classes="field-row"):
                yield Label(_("Admitted"))
                yield DateInput(self.today, id="admitted")
            with Horizontal(classes="field-row"):
                yield Label(_("Discharged"))
                yield DateInput(None, id="discharged")
            with Horizontal(classes="field-row"):
                yield Label(_("Hospital"))
                yield Input(placeholder=_("institution code (optional)"), id="institution", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("Reason"))
                yield Input(placeholder=_("optional, e.g. ward 3"), id="reason", compact=True)
            yield ReasonsList(id="reasons")
            yield Static("", id="result")
            yield Static("", id="stays")

    def on_mount(self) -> None:
        if self.enrollee_id:
            self.load()
        else:
            self.query_one("#subject", Static).update(_("Open this screen from an enrollee."))
        self.query_one("#admitted", DateInput).focus()

    def load(self) -> None:
        ref = self.enrollee_id or ""
        self.run_service(lambda s: load_stays(s, ref), self._loaded, group="subject")

    def _loaded(self, subject: StaySubject) -> None:
        self.subject = subject
        self.set_screen_title(_("Hospital stays: {name}", name=subject.name))
        self.query_one("#subject", Static).update(Text.assemble((subject.name, "bold"), "  ",
                                                                (subject.id_masked, "dim")))
        self.query_one("#stays", Static).update(stays_text(subject))

    def _article(self) -> str:
        from core.rules.stays import article

        return article(self.policy)

    def action_admit(self) -> None:
        if self.subject is None:
            return
        admitted = self._date("#admitted", "admitted_on", self._article())
        if admitted is None:
            return
        out = None
        if self.query_one("#discharged", DateInput).value.strip():
            out = self._date("#discharged", "discharged_on", self._article())
            if out is None:
                return
        code = self.query_one("#institution", Input).value.strip() or None
        reason = self.query_one("#reason", Input).value
        actor, policy, ref = self.actor, self.policy, self.subject.id
        self._write(lambda s: stays.record_stay(s, actor, ref, admitted_on=admitted, discharged_on=out,
                                                institution_code=code, policy=policy, reason=reason).admitted_on,
                    lambda _d: _("Stay recorded from {on}.", on=day(admitted)))

    def action_discharge(self) -> None:
        if self.subject is None:
            return
        out = self._date("#discharged", "discharged_on", self._article())
        if out is None:
            return
        reason = self.query_one("#reason", Input).value
        actor, policy, ref = self.actor, self.policy, self.subject.id
        self._write(lambda s: stays.discharge(s, actor, ref, on=out, policy=policy, reason=reason).discharged_on,
                    lambda _d: _("Discharged on {on}.", on=day(out)))
