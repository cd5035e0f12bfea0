"""Quick check (F2 from anywhere): is the enrollee entitled for a disease?

Enrollee + disease (from the pack's catalogue) + optional institution and
spend; :func:`core.services.eligibility.check` answers in a thread worker
with every reason and its article, and a benefit estimate when a spend is
given. Opened from the enrollee view, the enrollee is filled in and the
disease of their first live certificate is picked, so F2 alone shows the
answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from core.errors import DomainError
from core.gateway import Session
from core.ids import mask_id_number
from core.queries.documents import certificates_of
from core.rules.eligibility import EligibilityResult, Estimate
from core.services.eligibility import check, parse_amount_fen
from core.services.lookup import get_enrollee
from core.services.overview import LIVE_CERTIFICATE
from core.workflows.definitions import CERT_GIVES_BENEFITS
from tui.i18n import N_, _
from tui.labels import amount, category
from tui.screens.base import WorkflowScreen
from tui.widgets.date_field import DateInput
from tui.widgets.fields import AsciiCheckbox, AsciiSelect
from tui.widgets.reasons import ReasonsList, reasons_table


@dataclass(frozen=True)
class Subject:
    """The enrollee the check is about, as shown above the form."""

    id: str
    name: str
    id_masked: str
    disease_codes: list[str]


def load_subject(session: Session, ref: str) -> Subject:
    e = get_enrollee(session, ref)
    certs = certificates_of(session, e.id)
    # benefit-giving certificates first (F2 preselects the first), then those in process
    live = sorted((c for c in certs if c.status in LIVE_CERTIFICATE), key=lambda c: c.status not in CERT_GIVES_BENEFITS)
    codes = list(dict.fromkeys(c.disease_code for c in live))
    return Subject(id=str(e.id), name=e.name, id_masked=mask_id_number(e.id_number), disease_codes=codes)


class QuickCheckScreen(WorkflowScreen):
    TITLE_MSGID = N_("Quick check")
    HELP_MSGID = N_("Pick the enrollee and the disease; an institution and the spend so far are optional. "
                    "Enter in any field, or Ctrl+R, runs the check.")
    CSS_PATH = "eligibility.tcss"

    BINDINGS = [
        Binding("ctrl+r", "run_check", N_("Run check"), id="eligibility.run",
                tooltip=N_("Check entitlement and estimate the benefit")),
        Binding("ctrl+l", "clear", N_("Clear"), id="eligibility.clear",
                tooltip=N_("Clear the form and the result")),
    ]

    def __init__(self, enrollee_id: str | uuid.UUID | None = None, **kwargs) -> None:
        super().__init__(enrollee_id, **kwargs)
        self.subject: Subject | None = None
        self.result: EligibilityResult | None = None

    def compose_body(self) -> Iterable[Widget]:
        diseases = [(f"{d.code}  {d.name(self.lang)}", d.code) for d in self.policy.diseases]
        with Horizontal(classes="field-row"):
            yield Label(_("Enrollee"))
            yield Input(placeholder=_("ID number, card number"), id="enrollee", compact=True)
        yield Label("", id="subject")
        with Horizontal(classes="field-row"):
            yield Label(_("Disease"))
            yield AsciiSelect(diseases, prompt=_("Pick a disease"), id="disease", compact=True)
        with Horizontal(classes="field-row"):
            yield Label(_("On"))
            yield DateInput(self.today, id="on")
        with Horizontal(classes="field-row"):
            yield Label(_("Institution"))
            yield Input(placeholder=_("institution code (optional)"), id="institution", compact=True)
        with Horizontal(classes="field-row"):
            yield Label(_("What if (yuan)"))
            yield Input(placeholder=_("basic cost so far (optional)"), id="spent", compact=True)
            yield Label(_("Suppl."), classes="inline")
            yield Input(placeholder=_("optional"), id="spent-supplementary", compact=True)
        with Horizontal(classes="field-row"):
            yield Label("")
            yield AsciiCheckbox(_("Emergency rescue"), id="emergency", compact=True)
            yield AsciiCheckbox(_("Peritoneal dialysis"), id="peritoneal", compact=True)
        with VerticalScroll(id="result"):
            yield Static(_("Fill in the form and press Enter."), id="verdict")
            yield ReasonsList(id="reasons")
            yield Static("", id="estimate")

    def on_mount(self) -> None:
        if self.enrollee_id:
            ref = self.enrollee_id
            self.run_service(lambda s: load_subject(s, ref), self._subject_loaded, group="subject")
            self.query_one("#disease", Select).focus()
        else:
            self.query_one("#enrollee", Input).focus()

    def _subject_loaded(self, subject: Subject) -> None:
        self.subject = subject
        self.query_one("#subject", Label).update(
            _("{name}, {id}", name=subject.name, id=subject.id_masked))
        select_ = self.query_one("#disease", Select)
        if subject.disease_codes and select_.value is Select.NULL:
            select_.value = subject.disease_codes[0]  # Select.Changed runs the check

    # ------------------------------------------------------------------ the check
    def _form(self) -> tuple[str | None, str | None, str, str, str, bool, bool]:
        typed = self.query_one("#enrollee", Input).value.strip()
        ref = typed or self.enrollee_id
        value = self.query_one("#disease", Select).value
        disease = value if isinstance(value, str) else None
        return (ref, disease,
                self.query_one("#institution", Input).value.strip(),
                self.query_one("#spent", Input).value.strip(),
                self.query_one("#spent-supplementary", Input).value.strip(),
                self.query_one("#emergency", AsciiCheckbox).value,
                self.query_one("#peritoneal", AsciiCheckbox).value)

    def action_run_check(self) -> None:
        ref, disease, institution, spent, spent_supp, emergency, peritoneal = self._form()
        if not ref:
            self.query_one("#verdict", Static).update(Text(_("Type the enrollee's ID or card number."), style="bold"))
            self.query_one("#enrollee", Input).focus()
            return
        if not disease:
            self.query_one("#verdict", Static).update(Text(_("Pick a disease."), style="bold"))
            self.query_one("#disease", Select).focus()
            return
        try:  # the day the check is for (the CLI's --on)
            on = self.query_one("#on", DateInput).day("on", "SZ-MD Art. 3")
        except DomainError as exc:
            self._refused(exc)
            return
        policy = self.policy

        def work(session: Session) -> EligibilityResult:
            spent_fen = parse_amount_fen(spent, "spent") if spent else None
            supp_fen = parse_amount_fen(spent_supp, "spent_supplementary") if spent_supp else 0
            return check(session, ref, disease, on=on, policy=policy, institution_code=institution or None,
                         spent_fen=spent_fen, spent_supplementary_fen=supp_fen, emergency=emergency,
                         peritoneal_dialysis=peritoneal)

        self.query_one("#verdict", Static).update(_("Checking..."))
        self.run_service(work, self.show_result, on_refused=self._refused, group="check")

    def _refused(self, error) -> None:
        self.result = None
        self.query_one("#verdict", Static).update(Text(_("Cannot check:"), style="bold red"))
        self.query_one("#reasons", ReasonsList).show_error(error)
        self.query_one("#estimate", Static).update("")

    def show_result(self, result: EligibilityResult) -> None:
        self.result = result
        self.mark_clean()  # the answer is on the screen: nothing typed is lost by leaving
        self.query_one("#verdict", Static).update(verdict(result, self.lang))
        self.query_one("#reasons", ReasonsList).show_reasons(result.reasons)
        parts = [estimate(result.estimate, self.lang)] if result.estimate else []
        if result.what_if is not None:
            parts.append(estimate(result.what_if, self.lang, what_if=True))
        self.query_one("#estimate", Static).update(Group(*parts) if parts else "")

    def action_clear(self) -> None:
        for field in self.query(Input):
            field.value = ""
        self.query_one("#on", DateInput).value = self.today.isoformat()
        self.query_one("#disease", Select).clear()
        self.query_one("#emergency", AsciiCheckbox).value = False
        self.query_one("#peritoneal", AsciiCheckbox).value = False
        self.query_one("#verdict", Static).update(_("Fill in the form and press Enter."))
        self.query_one("#reasons", ReasonsList).clear()
        self.query_one("#estimate", Static).update("")
        self.result = None
        self.mark_clean()
        self.query_one("#enrollee", Input).focus()  # start again at the first field

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_run_check()

    @on(Select.Changed, "#disease")
    def _disease_picked(self) -> None:
        if self.result is not None or self.enrollee_id or self.query_one("#enrollee", Input).value.strip():
            self.action_run_check()


def verdict(result: EligibilityResult, lang: str) -> Text:
    name = f"{result.disease_code} {result.disease_name(lang)} ({category(result.category)})"
    if result.entitled:
        out = Text.assemble((_("ENTITLED"), "bold green"), "  ", name)
    else:
        out = Text.assemble((_("NOT ENTITLED"), "bold red"), "  ", name)
    out.append("\n")
    if result.entitled and result.settlement:
        out.append(_("Settlement: {settlement}", settlement=_settlement(result.settlement)), style="bold")
        out.append("  ")
    out.append(_("Checked for {date}", date=result.on.isoformat()), style="dim")
    return out


def _settlement(code: str) -> str:
    labels = {"bookkeeping": N_("bookkeeping"), "cash": N_("cash reimbursement")}
    msgid = labels.get(code)
    return _(msgid) if msgid else code


def _yuan(fen: int | None) -> str:
    return "-" if fen is None else amount(fen)


def estimate(est: Estimate, lang: str, *, what_if: bool = False) -> RenderableType:
    """An estimate: of what was recorded for the period, or (``what_if``) of a typed spend."""
    period = est.period
    span = f"{period.start.isoformat() if period.start else '-'} - {period.end.isoformat() if period.end else '-'}"
    head = Text(_("What if: the spend typed, {period}", period=span) if what_if
                else _("Benefit estimate for {period}, from what was recorded", period=span), style="bold")
    t = Table(box=None, show_edge=False, pad_edge=False, header_style="dim")
    t.add_column(_("Part"), no_wrap=True)
    t.add_column(_("Yuan"), justify="right", no_wrap=True)
    t.add_column(_("Rate"), justify="right", no_wrap=True)
    t.add_column(_("Article"), no_wrap=True)
    t.add_row(_("spent"), _yuan(est.spent_fen + est.spent_supplementary_fen), "", "")
    if est.threshold_fen is not None:
        t.add_row(_("threshold"), _yuan(est.threshold_fen), "", "")
    for s in est.shares:
        t.add_row(s.label(lang), _yuan(s.fen), f"{s.pct}%" if s.pct is not None else "", s.article)
    if est.allowed_fen is not None:
        t.add_row(_("cap"), _yuan(est.allowed_fen), "", "")
        t.add_row(_("cap left"), _yuan(est.remaining_fen), "", "")
    parts: list[RenderableType] = [head, t]
    if est.reasons:
        parts.append(reasons_table(est.reasons, lang))
    if not est.complete:
        parts.append(Text(_("The estimate is incomplete: see the reasons above."), style="yellow"))
    return Group(*parts)
