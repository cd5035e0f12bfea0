"""Community health centre selection (SZ-MT Art. 4).

Shows the enrollee's scheme and employment, the current selection and the
history. The caseworker searches the city's community health centres
(:func:`core.services.health_centre.candidate_centres`, a short list),
Enter picks the highlighted one, and chooses who applies: the employer, the
village or joint-stock company, or the enrollee by residence (preset from
:func:`core.rules.health_centre.employer_applies`), with the applicant's
name. Ctrl+S records it with :func:`core.services.health_centre.select_health_centre`;
a refusal lists each reason with its article and keeps the form.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from core.errors import DomainError
from core.gateway import Session
from core.i18n import Bilingual
from core.ids import mask_id_number
from core.models import Institution
from core.queries.places import institutions_by_id
from core.rules.health_centre import APPLICANTS, SelectorFacts, employer_applies
from core.services import health_centre
from core.services.lookup import get_enrollee
from tui.i18n import N_, _
from tui.labels import day, label
from tui.screens.base import WorkflowScreen
from tui.widgets.fields import AsciiSelect
from tui.widgets.reasons import ReasonsList

DEBOUNCE_SECONDS = 0.25
CANDIDATE_LIMIT = 30


@dataclass(frozen=True)
class Centre:
    code: str
    name: str
    name_zh: str

    def label(self, lang: str) -> str:
        return Bilingual(self.name, self.name_zh).text(lang)

    @classmethod
    def of(cls, i: Institution) -> "Centre":
        return cls(code=i.code, name=i.name, name_zh=i.name_zh)


@dataclass(frozen=True)
class SelectionRow:
    centre: Centre
    applicant: str
    applicant_name: str
    selected_on: date
    ended_on: date | None
    recorded_by: str


@dataclass(frozen=True)
class Subject:
    id: str
    version: int
    name: str
    id_masked: str
    scheme: str
    employment: str
    employer: str
    employer_applies: bool
    selections: list[SelectionRow] = field(default_factory=list)

    @property
    def current(self) -> SelectionRow | None:
        return next((s for s in self.selections if s.ended_on is None), None)


def load_subject(session: Session, ref: str) -> Subject:
    e = get_enrollee(session, ref)
    rows = []
    selections = health_centre.selections_of(session, e.id)
    centres = institutions_by_id(session, {sel.institution_id for sel in selections})
    for sel in selections:
        inst = centres.get(sel.institution_id)
        centre = Centre.of(inst) if inst else Centre(code="?", name="?", name_zh="")
        rows.append(SelectionRow(centre=centre, applicant=sel.applicant, applicant_name=sel.applicant_name,
                                 selected_on=sel.selected_on, ended_on=sel.ended_on, recorded_by=sel.recorded_by))
    facts = SelectorFacts(scheme=e.scheme, employment=e.employment, employer=e.employer)
    return Subject(id=str(e.id), version=e.version, name=e.name, id_masked=mask_id_number(e.id_number),
                   scheme=e.scheme, employment=e.employment, employer=e.employer,
                   employer_applies=employer_applies(facts), selections=rows)


def subject_text(s: Subject) -> Text:
    out = Text.assemble((s.name, "bold"), "  ", (s.id_masked, "dim"), "  ",
                        (_("Scheme") + " ", "dim"), label("scheme", s.scheme), "  ",
                        (_("Employment") + " ", "dim"), label("employment", s.employment))
    if s.employer:
        out.append_text(Text.assemble("  ", (_("Employer") + " ", "dim"), s.employer))
    return out


def _selection_line(row: SelectionRow, lang: str) -> str:
    who = label("applicant", row.applicant)
    if row.applicant_name:
        who = f"{who} ({row.applicant_name})"
    return _("{name} ({code}), selected {on}, applied by {who}", name=row.centre.label(lang), code=row.centre.code,
             on=day(row.selected_on), who=who)


def current_text(s: Subject, lang: str) -> Text:
    cur = s.current
    body = _selection_line(cur, lang) if cur else _("none selected")
    return Text.assemble((_("Current centre") + ": ", "bold"), body)


def history_text(s: Subject, lang: str) -> RenderableType:
    if not s.selections:
        return Text.assemble((_("History") + ": ", "bold"), _("none"))
    lines: list[RenderableType] = [Text(_("History") + ":", style="bold")]
    for row in s.selections:
        until = _("until {on}", on=day(row.ended_on)) if row.ended_on else _("current")
        lines.append(Text(f"  {_selection_line(row, lang)}; {until}; {row.recorded_by}"))
    return Group(*lines)


class HealthCentreScreen(WorkflowScreen):
    TITLE_MSGID = N_("Health centre")
    HELP_MSGID = N_("Select the community health centre of an inpatient or migrant-scheme enrollee (SZ-MT Art. 4). "
                    "Search, Enter picks the highlighted centre, choose who applies and name them; Ctrl+S records "
                    "the selection.")
    CSS_PATH = "health_centre.tcss"

    BINDINGS = [
        Binding("ctrl+s", "record", N_("Record"), id="health_centre.record",
                tooltip=N_("Record the picked centre as the enrollee's community health centre")),
    ]

    def __init__(self, enrollee_id: str | uuid.UUID | None = None, **kwargs) -> None:
        super().__init__(enrollee_id, **kwargs)
        self.subject: Subject | None = None
        self.candidates: list[Centre] = []
        self.picked: Centre | None = None
        self._timer: Timer | None = None

    def compose_body(self) -> Iterable[Widget]:
        applicants = [(label("applicant", a), a) for a in APPLICANTS]
        with VerticalScroll(id="form"):
            yield Static(_("Loading..."), id="subject")
            yield Static("", id="current")
            with Horizontal(classes="field-row"):
                yield Label(_("Find"))
                yield Input(placeholder=_("centre code or name; Enter goes to the list"), id="search", compact=True)
            yield Label(_("Centres"), id="candidates-status", classes="box-title")
            yield OptionList(id="candidates", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("Centre"))
                yield Label(_("none picked: Enter on a centre picks it"), id="picked")
            with Horizontal(classes="field-row"):
                yield Label(_("Applicant"))
                yield AsciiSelect(applicants, value="self", allow_blank=False, id="applicant", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("Name"))
                yield Input(placeholder=_("employer, village or company that applies"), id="applicant-name",
                            compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("Reason"))
                yield Input(placeholder=_("optional, e.g. moved office"), id="reason", compact=True)
            yield ReasonsList(id="reasons")
            yield Static("", id="result")
            yield Static("", id="history")

    def on_mount(self) -> None:
        if self.enrollee_id:
            self.load()
        else:
            self.query_one("#subject", Static).update(_("Open this screen from an enrollee."))
        self.query_one("#search", Input).focus()
        self.search()

    def load(self) -> None:
        ref = self.enrollee_id or ""
        self.run_service(lambda s: load_subject(s, ref), self._loaded, group="subject")

    def _loaded(self, subject: Subject) -> None:
        first = self.subject is None
        self.subject = subject
        self.set_screen_title(_("Health centre: {name}", name=subject.name))
        self.query_one("#subject", Static).update(subject_text(subject))
        self.query_one("#current", Static).update(current_text(subject, self.lang))
        self.query_one("#history", Static).update(history_text(subject, self.lang))
        if first:
            self.query_one("#applicant", Select).value = "employer" if subject.employer_applies else "self"
            if subject.employer_applies:
                self.query_one("#applicant-name", Input).value = subject.employer

    # ------------------------------------------------------------------ centres
    @on(Input.Changed, "#search")
    def _typed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self.search)

    def search(self) -> None:
        self._timer = None
        query, policy = self.query_one("#search", Input).value.strip(), self.policy
        self.run_service(lambda s: [Centre.of(i) for i in health_centre.candidate_centres(
            s, policy=policy, query=query, limit=CANDIDATE_LIMIT)], self._found, group="candidates")

    def _found(self, centres: list[Centre]) -> None:
        self.candidates = centres
        ol = self.query_one("#candidates", OptionList)
        ol.clear_options()
        ol.add_options([Option(Text.assemble((c.code, "bold"), " ", c.label(self.lang), no_wrap=True,
                                             overflow="ellipsis"), id=c.code) for c in centres])
        if centres:
            ol.highlighted = 0
        status = self.query_one("#candidates-status", Label)
        if not centres:
            status.update(_("Centres: none match"))
        elif len(centres) >= CANDIDATE_LIMIT:
            status.update(_("Centres: first {n}; type to narrow", n=len(centres)))
        else:
            status.update(_("Centres: {n}", n=len(centres)))

    @on(Input.Submitted, "#search")
    def _to_list(self) -> None:
        self.query_one("#candidates", OptionList).focus()

    @on(OptionList.OptionSelected, "#candidates")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.picked = next((c for c in self.candidates if c.code == event.option.id), None)
        if self.picked is not None:
            self.query_one("#picked", Label).update(Text(f"{self.picked.code} {self.picked.label(self.lang)}"))
            self.query_one("#applicant", Select).focus()

    @on(Input.Submitted, "#applicant-name, #reason")
    def _submitted(self) -> None:
        self.action_record()

    # ------------------------------------------------------------------ record
    def action_record(self) -> None:
        if self.subject is None:
            return
        if self.picked is None:
            self.query_one("#result", Static).update(Text(_("Pick a centre first: Enter on the list."), style="bold"))
            self.query_one("#candidates", OptionList).focus()
            return
        actor, policy, on_ = self.actor, self.policy, self.today
        ref, version, code = self.subject.id, self.subject.version, self.picked.code
        applicant = str(self.query_one("#applicant", Select).value)
        name = self.query_one("#applicant-name", Input).value
        reason = self.query_one("#reason", Input).value

        def work(session: Session) -> date:
            sel = health_centre.select_health_centre(session, actor, ref, code, applicant=applicant, on=on_,
                                                     policy=policy, applicant_name=name, reason=reason,
                                                     expected_version=version)
            return sel.selected_on

        self.run_service(work, lambda when: self._recorded(code, when), write=True, on_refused=self._refused,
                         group="write")

    def _refused(self, error: DomainError) -> None:
        self.query_one("#result", Static).update(Text(_("Not recorded; nothing was written."), style="bold red"))
        self.show_refusal(error)
        self.call_after_refresh(self.query_one("#reasons", ReasonsList).scroll_visible, animate=False)

    def _recorded(self, code: str, when: date) -> None:
        self.query_one("#reasons", ReasonsList).clear()
        self.query_one("#result", Static).update(
            Text(_("Centre {code} recorded as selected on {on}.", code=code, on=day(when)), style="bold green"))
        self.load()
