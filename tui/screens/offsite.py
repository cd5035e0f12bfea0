"""Off-site filing of three institutions (SZ-MT Art. 9, 10; SZ-MD Art. 5).

The screen shows the basis the enrollee files on (stationed / retired, read
from the enrollee's facts with :func:`core.rules.offsite.filing_basis`), the
active filing and the history. The form: the place (city, province,
mainland), a search box over :func:`core.services.offsite.candidate_institutions`
for that place (a short list, never the whole table), the chosen
institutions in order, each with its stamp checkbox (F6 adds the highlighted
candidate, F7 removes, F8 / F9 move up / down), the form copies, the local
social-security institution's stamp and office, and who files it (employer,
the enrollee, or an agent with name, ID number, phone and relation).

Ctrl+S files it (:func:`core.services.offsite.file_filing`; the voucher
number is shown on acceptance). With a reason and a date, Ctrl+T cancels the
active filing and Ctrl+G changes its institutions (a cancellation and a new
filing in one transaction). Every condition is checked by core; a refusal
lists each reason with its article and keeps the form as typed.
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
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from core.errors import DomainError
from core.gateway import Session
from core.i18n import Bilingual
from core.ids import mask_id_number
from core.models import Institution, OffsiteFiling
from core.queries.places import filed_institutions
from core.workflows import FILING
from core.workflows.definitions import FILING_CURRENT
from core.rules.offsite import ApplicantFacts, filing_basis
from core.services import offsite
from core.services.lookup import get_enrollee
from core.services.offsite import FilingForm
from tui.i18n import N_, _
from tui.labels import day, label
from tui.screens.base import PRINT_BINDING, WorkflowScreen
from tui.widgets.confirm import ConfirmScreen
from tui.widgets.date_field import DateInput
from tui.widgets.fields import AsciiCheckbox, AsciiSelect
from tui.widgets.reasons import ReasonsList

DEBOUNCE_SECONDS = 0.25
#: candidates fetched per search; the caseworker narrows by typing
CANDIDATE_LIMIT = 30


FILED_BY: dict[str, str] = {
    "employer": N_("employer"),
    "self": N_("the enrollee"),
    "agent": N_("an agent"),
}


# --------------------------------------------------------------------------- what the screen loads


@dataclass(frozen=True)
class Pick:
    """An institution as listed and chosen."""

    code: str
    name: str
    name_zh: str
    city: str
    level: int

    def label(self, lang: str) -> str:
        return Bilingual(self.name, self.name_zh).text(lang)

    @classmethod
    def of(cls, i: Institution) -> "Pick":
        return cls(code=i.code, name=i.name, name_zh=i.name_zh, city=i.city, level=i.level)


@dataclass(frozen=True)
class FilingRow:
    id: str
    version: int
    basis: str
    place_city: str
    place_province: str
    status: str
    filed_on: date
    voucher: str
    filed_by: str
    local_ss_office: str
    cancelled_on: date | None
    cancel_reason: str
    institutions: list[tuple[Pick, bool]]  # in order, with the stamp

    @property
    def place(self) -> str:
        city = label("city", self.place_city)
        return city + (f", {label('province', self.place_province)}" if self.place_province else "")


@dataclass(frozen=True)
class Subject:
    id: str
    name: str
    id_masked: str
    basis: str | None
    employer: str
    residence_city: str
    residence_province: str
    residence_mainland: bool
    filings: list[FilingRow] = field(default_factory=list)

    @property
    def active(self) -> FilingRow | None:
        return next((f for f in self.filings if f.status in FILING_CURRENT), None)


def _filing_row(session: Session, f: OffsiteFiling) -> FilingRow:
    insts = [(Pick.of(i), stamped) for i, stamped in filed_institutions(session, f.id)]
    return FilingRow(id=str(f.id), version=f.version, basis=f.basis, place_city=f.place_city,
                     place_province=f.place_province, status=f.status, filed_on=f.filed_on,
                     voucher=f.voucher_number or "", filed_by=f.filed_by, local_ss_office=f.local_ss_office,
                     cancelled_on=f.cancelled_on, cancel_reason=f.cancel_reason, institutions=insts)


def load_subject(session: Session, ref: str) -> Subject:
    e = get_enrollee(session, ref)
    basis = filing_basis(ApplicantFacts(city_household=e.city_household, stationed_elsewhere=e.stationed_elsewhere,
                                        employment=e.employment, employer=e.employer))
    return Subject(id=str(e.id), name=e.name, id_masked=mask_id_number(e.id_number), basis=basis,
                   employer=e.employer, residence_city=e.residence_city, residence_province=e.residence_province,
                   residence_mainland=e.residence_mainland,
                   filings=[_filing_row(session, f) for f in offsite.filings_of(session, e.id)])


# --------------------------------------------------------------------------- rendering


def basis_text(subject: Subject) -> Text:
    out = Text.assemble((subject.name, "bold"), "  ", (subject.id_masked, "dim"), "  ", (_("Basis") + ": ", "dim"))
    if subject.basis is None:
        out.append(_("none: neither stationed in another city with a city household, nor retired on a city "
                     "pension (SZ-MT Art. 9)"), style="yellow")
    else:
        out.append(_("{basis} (from the enrollee's facts)", basis=label("filing_basis", subject.basis)))
    return out


def _institution_lines(f: FilingRow, lang: str) -> list[Text]:
    return [Text(_("  {n}. {code} {name} (level {level}), {stamp}", n=n, code=p.code, name=p.label(lang),
                   level=p.level, stamp=_("stamped") if stamped else _("not stamped")))
            for n, (p, stamped) in enumerate(f.institutions, start=1)]


def current_text(subject: Subject, lang: str) -> RenderableType:
    f = subject.active
    if f is None:
        return Text.assemble((_("Active filing") + ": ", "bold"), _("none"))
    head = Text.assemble((_("Active filing") + ": ", "bold"),
                         _("voucher {voucher}, {place}, filed {filed} by {who}",
                           voucher=f.voucher or "-", place=f.place, filed=day(f.filed_on),
                           who=_(FILED_BY.get(f.filed_by, f.filed_by))))
    return Group(head, *_institution_lines(f, lang))


def history_text(subject: Subject) -> RenderableType:
    if not subject.filings:
        return Text.assemble((_("Filings") + ": ", "bold"), _("none"))
    lines: list[RenderableType] = [Text(_("Filings") + ":", style="bold")]
    for f in subject.filings:
        line = Text(_("  {filed} {status} {place}, voucher {voucher}", filed=day(f.filed_on),
                      status=label("filing_status", f.status), place=f.place, voucher=f.voucher or "-"))
        if f.cancelled_on is not None:
            line.append(_(", cancelled {on}: {reason}", on=day(f.cancelled_on), reason=f.cancel_reason or "-"))
        lines.append(line)
    return Group(*lines)


# --------------------------------------------------------------------------- the screen


class OffsiteScreen(WorkflowScreen):
    TITLE_MSGID = N_("Off-site filing")
    HELP_MSGID = N_("File three local institutions for an enrollee living or stationed in another mainland city "
                    "(SZ-MT Art. 9, 10). Type the place and search; Enter or F6 adds the highlighted "
                    "institution, F7 removes, F8 / F9 reorder; tick each stamp. Ctrl+S files the form; with a "
                    "reason and a date Ctrl+T cancels the active filing and Ctrl+G changes its institutions.")
    CSS_PATH = "offsite.tcss"

    BINDINGS = [
        Binding("ctrl+s", "file", N_("File"), id="offsite.file",
                tooltip=N_("File the form; core checks every condition and issues the record voucher")),
        Binding("f6", "add", N_("Add"), id="offsite.add",
                tooltip=N_("Add the highlighted candidate to the chosen institutions")),
        Binding("f7", "remove", N_("Remove"), id="offsite.remove",
                tooltip=N_("Remove the focused chosen institution (or the last one)")),
        Binding("f8", "move(-1)", N_("Up"), id="offsite.up",
                tooltip=N_("Move the focused chosen institution up")),
        Binding("f9", "move(1)", N_("Down"), id="offsite.down",
                tooltip=N_("Move the focused chosen institution down")),
        Binding("ctrl+t", "cancel_filing", N_("Cancel filing"), id="offsite.cancel",
                tooltip=N_("Cancel the active filing on return to the city (reason and date required)")),
        Binding("ctrl+g", "change", N_("Change"), id="offsite.change",
                tooltip=N_("Change the institutions: cancel the active filing and file the chosen ones, "
                           "in one step")),
        PRINT_BINDING,
    ]

    def __init__(self, enrollee_id: str | uuid.UUID | None = None, **kwargs) -> None:
        super().__init__(enrollee_id, **kwargs)
        self.subject: Subject | None = None
        self.candidates: list[Pick] = []
        self.chosen: list[Pick] = []
        self.stamps: dict[str, bool] = {}
        self._timer: Timer | None = None

    # ------------------------------------------------------------------ layout
    def compose_body(self) -> Iterable[Widget]:
        copies_hint = _("copies presented ({n} required)", n=self.policy.offsite.form_copies)
        filers = [(_(text), code) for code, text in FILED_BY.items()]
        with VerticalScroll(id="form"):
            yield Static(_("Loading..."), id="subject")
            yield Static("", id="current")
            with Horizontal(classes="field-row"):
                yield Label(_("City"))
                yield Input(placeholder=_("city of residence or work"), id="city", compact=True)
                yield Label(_("Province"), classes="inline")
                yield Input(id="province", compact=True)
                yield AsciiCheckbox(_("Mainland"), value=True, id="mainland", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("Find"))
                yield Input(placeholder=_("code or name; Enter goes to the list"), id="search", compact=True)
            with Horizontal(id="picker"):
                with Vertical(id="candidates-box"):
                    yield Label(_("Candidates"), id="candidates-status", classes="box-title")
                    yield OptionList(id="candidates", compact=True)
                with Vertical(id="chosen-box"):
                    yield Label(Text(_("Chosen, in order ([X] stamped)")), id="chosen-title", classes="box-title")
                    yield Vertical(id="chosen")
            with Horizontal(classes="field-row"):
                yield Label(_("Form copies"))
                yield Input(placeholder=copies_hint, id="copies", restrict=r"\d{0,2}", compact=True)
                yield AsciiCheckbox(_("Local SS stamp"), id="local-stamp", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("SS office"))
                yield Input(placeholder=_("local social-security institution that stamped"), id="office",
                            compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("Filed by"))
                yield AsciiSelect(filers, value="self", allow_blank=False, id="filed-by", compact=True)
            with Horizontal(classes="field-row", id="employer-row"):
                yield Label(_("Employer"))
                yield Input(id="employer", compact=True)
            with Vertical(id="agent-rows"):
                with Horizontal(classes="field-row"):
                    yield Label(_("Agent name"))
                    yield Input(id="agent-name", compact=True)
                    yield Label(_("Relation"), classes="inline")
                    yield Input(placeholder=_("e.g. son"), id="agent-relation", compact=True)
                with Horizontal(classes="field-row"):
                    yield Label(_("Agent ID"))
                    yield Input(placeholder=_("18-character ID number"), id="agent-id", compact=True)
                    yield Label(_("Phone"), classes="inline")
                    yield Input(id="agent-phone", compact=True)
            yield ReasonsList(id="reasons")
            yield Static("", id="result")
            yield Label(_("Cancel or change the active filing"), classes="section-title")
            with Horizontal(classes="field-row"):
                yield Label(_("Reason"))
                yield Input(placeholder=_("e.g. returned to work in the city"), id="reason", compact=True)
                yield Label(_("Date"), classes="inline")
                yield DateInput(self.today, id="on")
            yield Static("", id="history")

    async def on_mount(self) -> None:
        self._show_filer("self")
        await self._render_chosen()
        if self.enrollee_id:
            self.load()
        else:
            self.query_one("#subject", Static).update(_("Open this screen from an enrollee."))

    def load(self) -> None:
        ref, lang = self.enrollee_id or "", self.lang
        self.run_service(lambda s: load_subject(s, ref), lambda subj: self._loaded(subj, lang), group="subject")

    def _loaded(self, subject: Subject, lang: str) -> None:
        first = self.subject is None
        self.subject = subject
        self.set_screen_title(_("Off-site filing: {name}", name=subject.name))
        self.query_one("#subject", Static).update(basis_text(subject))
        self.query_one("#current", Static).update(current_text(subject, lang))
        self.query_one("#history", Static).update(history_text(subject))
        if first:
            self._prefill(subject)

    def _prefill(self, subject: Subject) -> None:
        """Place from the active filing or the residence; its institutions as the starting choice."""
        active = subject.active
        city = self.query_one("#city", Input)
        if active is not None:
            city.value = active.place_city
            self.query_one("#province", Input).value = active.place_province
            self.query_one("#office", Input).value = active.local_ss_office
            self.query_one("#filed-by", Select).value = active.filed_by
            self.chosen = [p for p, _stamped in active.institutions]
            self.stamps = {}
            self.call_later(self._render_chosen)
        elif subject.residence_city:
            city.value = subject.residence_city
            self.query_one("#province", Input).value = subject.residence_province
            self.query_one("#mainland", AsciiCheckbox).value = subject.residence_mainland
        self.query_one("#employer", Input).value = subject.employer
        (self.query_one("#search", Input) if city.value else city).focus()
        self.search()

    # ------------------------------------------------------------------ candidates
    @on(Input.Changed, "#city")
    @on(Input.Changed, "#search")
    def _typed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self.search)

    def search(self) -> None:
        self._timer = None
        city = self.query_one("#city", Input).value.strip()
        query = self.query_one("#search", Input).value.strip()
        status = self.query_one("#candidates-status", Label)
        if not city:
            self.candidates = []
            self._render_candidates()
            status.update(_("Candidates: type the city first"))
            return
        policy = self.policy
        status.update(_("Searching..."))
        self.run_service(lambda s: [Pick.of(i) for i in offsite.candidate_institutions(
            s, city, query, CANDIDATE_LIMIT, policy=policy)], self._candidates_found, group="candidates")

    def _candidates_found(self, picks: list[Pick]) -> None:
        self.candidates = picks
        self._render_candidates()

    def _render_candidates(self) -> None:
        chosen = {p.code for p in self.chosen}
        options = [Option(Text.assemble((p.code, "bold"), " ", p.label(self.lang), " ",
                                        (_("level {n}", n=p.level), "dim"), no_wrap=True, overflow="ellipsis"),
                          id=p.code)
                   for p in self.candidates if p.code not in chosen]
        ol = self.query_one("#candidates", OptionList)
        keep = ol.highlighted
        ol.clear_options()
        ol.add_options(options)
        if options:
            ol.highlighted = min(keep or 0, len(options) - 1)
        status = self.query_one("#candidates-status", Label)
        if not self.candidates:
            status.update(_("Candidates: none in this place"))
        elif len(self.candidates) >= CANDIDATE_LIMIT:
            status.update(_("Candidates: first {n}; type to narrow", n=len(options)))
        else:
            status.update(_("Candidates: {n}", n=len(options)))

    @on(Input.Submitted, "#search")
    def _to_list(self) -> None:
        self.query_one("#candidates", OptionList).focus()

    @on(Input.Submitted, "#city")
    @on(Input.Submitted, "#province")
    def _to_search(self) -> None:
        self.query_one("#search", Input).focus()

    @on(Input.Submitted, "#copies, #office, #employer, #agent-name, #agent-relation, #agent-id, #agent-phone")
    def _submit_form(self) -> None:
        self.action_file()

    @on(OptionList.OptionSelected, "#candidates")
    async def _candidate_selected(self, event: OptionList.OptionSelected) -> None:
        await self._add(event.option.id)

    # ------------------------------------------------------------------ chosen institutions
    async def action_add(self) -> None:
        ol = self.query_one("#candidates", OptionList)
        option = ol.highlighted_option
        if option is not None:
            await self._add(option.id)

    async def _add(self, code: str | None) -> None:
        pick = next((p for p in self.candidates if p.code == code), None)
        if pick is None or any(p.code == pick.code for p in self.chosen):
            return
        self.chosen.append(pick)
        self._render_candidates()
        await self._render_chosen()

    def _focused_index(self) -> int | None:
        focused = self.focused
        if isinstance(focused, AsciiCheckbox) and focused.has_class("stamp"):
            return int(focused.name or "0")
        return None

    async def action_remove(self) -> None:
        if not self.chosen:
            return
        index = self._focused_index()
        at = len(self.chosen) - 1 if index is None else index
        removed = self.chosen.pop(at)
        self.stamps.pop(removed.code, None)
        self._render_candidates()
        await self._render_chosen(focus=min(at, len(self.chosen) - 1) if index is not None and self.chosen else None)

    async def action_move(self, step: int) -> None:
        index = self._focused_index()
        if index is None:
            return
        target = index + step
        if not 0 <= target < len(self.chosen):
            return
        self.chosen[index], self.chosen[target] = self.chosen[target], self.chosen[index]
        await self._render_chosen(focus=target)

    async def _render_chosen(self, focus: int | None = None) -> None:
        box = self.query_one("#chosen", Vertical)
        await box.remove_children()
        if not self.chosen:
            await box.mount(Label(_("none yet: Enter on a candidate adds it"), classes="muted"))
        else:
            boxes = [AsciiCheckbox(f"{n}. {p.code} {p.label(self.lang)}", value=self.stamps.get(p.code, False),
                                   name=str(n - 1), id=f"stamp-{n}", classes="stamp", compact=True)
                     for n, p in enumerate(self.chosen, start=1)]
            await box.mount_all(boxes)
            if focus is not None:
                boxes[focus].focus()
        self.query_one("#chosen-title", Label).update(
            Text(_("Chosen {n} of {need}, in order ([X] stamped)", n=len(self.chosen),
                   need=self.policy.offsite.institutions)))

    @on(Checkbox.Changed, ".stamp")
    def _stamped(self, event: Checkbox.Changed) -> None:
        index = int(event.checkbox.name or "0")
        if index < len(self.chosen):
            self.stamps[self.chosen[index].code] = event.value

    # ------------------------------------------------------------------ filer
    @on(Select.Changed, "#filed-by")
    def _filer_changed(self, event: Select.Changed) -> None:
        self._show_filer(str(event.value))

    def _show_filer(self, who: str) -> None:
        self.query_one("#employer-row").display = who == "employer"
        self.query_one("#agent-rows").display = who == "agent"

    # ------------------------------------------------------------------ the form
    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def _codes(self) -> tuple[tuple[str, ...], frozenset[str]]:
        codes = tuple(p.code for p in self.chosen)
        return codes, frozenset(c for c in codes if self.stamps.get(c, False))

    def _copies(self) -> int:
        text = self._value("#copies").strip()
        return int(text) if text.isdigit() else 0

    def form(self) -> FilingForm:
        codes, stamped = self._codes()
        filer = self.query_one("#filed-by", Select).value
        return FilingForm(
            place_city=self._value("#city"), institution_codes=codes, stamped_codes=stamped,
            form_copies=self._copies(), local_ss_stamp=self.query_one("#local-stamp", AsciiCheckbox).value,
            filed_by=str(filer), place_province=self._value("#province"),
            place_mainland=self.query_one("#mainland", AsciiCheckbox).value,
            local_ss_office=self._value("#office"), employer_name=self._value("#employer"),
            agent_name=self._value("#agent-name"), agent_id_number=self._value("#agent-id"),
            agent_phone=self._value("#agent-phone"), agent_relation=self._value("#agent-relation"),
        )

    def _refused(self, error: DomainError) -> None:
        self.query_one("#result", Static).update(Text(_("Not accepted; nothing was written."), style="bold red"))
        self.show_refusal(error)
        self.call_after_refresh(self.query_one("#reasons", ReasonsList).scroll_visible, animate=False)

    def _accepted(self, text: str) -> None:
        self.query_one("#reasons", ReasonsList).clear()
        self.query_one("#result", Static).update(Text(text, style="bold green"))
        self.load()

    # ------------------------------------------------------------------ actions
    def printable(self) -> list[tuple[str, str]]:
        from core.documents import filing_documents

        f = self.subject.active if self.subject else None
        return [(kind, f.voucher) for kind in filing_documents(f.voucher)] if f is not None else []

    def action_file(self) -> None:
        if self.subject is None:
            return
        actor, policy, on_, ref, form = self.actor, self.policy, self.today, self.subject.id, self.form()

        def work(session: Session) -> tuple[str, date]:
            f = offsite.file_filing(session, actor, ref, form, on=on_, policy=policy)
            return f.voucher_number or "", f.filed_on

        self.run_service(work, lambda r: self._accepted(_("Filed on {on}. Record voucher {voucher} issued.",
                                                             on=day(r[1]), voucher=r[0])),
                         write=True, on_refused=self._refused, group="write")

    def _step_date(self) -> date | None:
        try:
            return self.query_one("#on", DateInput).day("on", self.policy.offsite.article_who)
        except DomainError as exc:
            self._refused(exc)
            return None

    def _active_or_say(self) -> FilingRow | None:
        active = self.subject.active if self.subject else None
        if active is None:
            self.notify(_("The enrollee has no active off-site filing."), severity="warning")
        return active

    def action_cancel_filing(self) -> None:
        active = self._active_or_say()
        when = self._step_date() if active else None
        if active is None or when is None:
            return
        reason = self._value("#reason")
        if self.refuse_before_asking(active, "cancel", FILING, on=when, inputs={"reason": reason},
                                     on_refused=self._refused):
            return  # no reason, a date before the filing or after today: said before any dialog
        question = _("Cancel off-site filing {voucher} as of {on}?", voucher=active.voucher or "-", on=day(when))
        self.app.push_screen(ConfirmScreen(question),
                             lambda yes: self._cancel(active, when, reason) if yes else None)

    def _cancel(self, active: FilingRow, when: date, reason: str) -> None:
        actor, key, version, today, policy = self.actor, active.id, active.version, self.today, self.policy

        def work(session: Session) -> str:
            f = offsite.cancel_filing(session, actor, key, on=when, reason=reason, policy=policy,
                                      expected_version=version, today=today)
            return f.voucher_number or ""

        self.run_service(work, lambda v: self._accepted(_("Filing {voucher} cancelled on {on}.", voucher=v,
                                                            on=day(when))),
                         write=True, on_refused=self._refused, group="write")

    def action_change(self) -> None:
        active = self._active_or_say()
        when = self._step_date() if active else None
        if active is None or when is None:
            return
        if self.refuse_before_asking(active, "change", FILING, on=when, inputs={"reason": self._value("#reason")},
                                     on_refused=self._refused):
            return
        question = _("Cancel filing {voucher} and file the {n} chosen institutions as of {on}?",
                     voucher=active.voucher or "-", n=len(self.chosen), on=day(when))
        self.app.push_screen(ConfirmScreen(question), lambda yes: self._change(active, when) if yes else None)

    def _change(self, active: FilingRow, when: date) -> None:
        actor, policy, key, version, today = self.actor, self.policy, active.id, active.version, self.today
        codes, stamped = self._codes()
        copies, stamp = self._copies(), self.query_one("#local-stamp", AsciiCheckbox).value
        office, reason = self._value("#office"), self._value("#reason")

        def work(session: Session) -> str:
            f = offsite.change_institutions(session, actor, key, institutions=codes, stamped=stamped,
                                            local_ss_stamp=stamp, form_copies=copies, on=when, reason=reason,
                                            policy=policy, local_ss_office=office, expected_version=version,
                                            today=today)
            return f.voucher_number or ""

        self.run_service(work, lambda v: self._accepted(_("Institutions changed on {on}. Record voucher {voucher} "
                                                            "issued.", on=day(when), voucher=v)),
                         write=True, on_refused=self._refused, group="write")
