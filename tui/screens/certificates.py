"""Diagnosis certificates of one enrollee, registered step by step (SZ-MD Art. 4, 12, 13).

The screen opens on the enrollee's certificates with the step timeline of
the highlighted one (who did each step, when). Enter continues an
in-progress certificate at its next step; each step is one pane, submitted
with Ctrl+S (or Enter in a field) to its core service, and only a step the
rules accept moves on:

1. draft (Ctrl+N, or Ctrl+R to re-apply for a certificate in its renewal
   window): disease from the pack's catalogue with its admission criteria
   shown and acknowledged, organ for the transplant disease, hospital
   (designated diagnostic hospitals, or on-record institutions for off-site
   issue), attending physician of the hospital and specialty, continuation
   with its four-item evidence checklist;
2. team signatures: members of the hospital's team for the specialty, the
   head marked, with signing dates;
3. insurance-office seal reference;
4. agency confirmation by a reviewer, showing the validity that results.

Ctrl+W withdraws an unconfirmed certificate and Ctrl+X invalidates one for
a false claim, each with a reason; Ctrl+B opens the monthly batch of the
highlighted certificate's hospital. A refusal is shown in the pane with its
article tags and the form keeps what was typed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import ContentSwitcher, DataTable, Input, Label, Static

from core.errors import DomainError
from core.gateway import Session
from core.models import Certificate
from core.policy import Disease
from core.records import frozen, frozen_all
from core.rules.certificates import renewal_window, validity_on_confirm
from core.services import certificates as svc
from core.services.certificates import TimelineStep
from core.workflows import CERTIFICATE
from core.workflows.definitions import CERT_RENEWABLE
from tui.i18n import N_, _, current_lang, n_
from tui.labels import category, day, label
from tui.screens.base import PRINT_BINDING, WorkflowScreen
from tui.screens.certificate_data import (
    Subject,
    diagnostic_hospitals,
    disease_choices,
    institutions_by_id,
    load_subject,
    offsite_institutions,
    organ_choices,
    physicians,
    short_place,
    team_members,
    title_label,
)
from tui.widgets.confirm import ConfirmScreen
from tui.widgets.fields import AsciiCheckbox
from tui.widgets.filter_picker import FilterPicker
from tui.widgets.reasons import ReasonsList, refusal_text
from tui.widgets.table import FitTable

#: the pane that continues a certificate in each status: the machine's forward steps
NEXT_PANE = {s: e.name for e in CERTIFICATE.events if e.forward for s in e.sources}
NEXT_STEP_LABELS = {
    "sign": N_("team signatures"),
    "seal": N_("insurance-office seal"),
    "confirm": N_("agency confirmation"),
}
CHECKLIST = (
    ("cont_recent_record", N_("Recent outpatient record brought")),
    ("cont_original_papers", N_("Original diagnosis papers brought")),
    ("cont_originals_seen", N_("Originals checked")),
    ("cont_copies_kept", N_("Copies kept on file")),
)
LIST_ACTIONS = frozenset({"continue", "new", "reapply", "withdraw", "invalidate", "batches"})


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class CertRow:
    """One certificate with what the screen shows about it."""

    cert: Certificate
    previous: Certificate | None
    institution: str  # code and name
    institution_code: str
    steps: list[TimelineStep]

    @property
    def key(self) -> str:
        return str(self.cert.id)


@dataclass(frozen=True)
class CertificateFile:
    subject: Subject
    rows: list[CertRow]  # newest first


def load_file(session: Session, ref: str, policy, lang: str) -> CertificateFile:
    subject = load_subject(session, ref)
    certs = frozen_all(svc.enrollee_certificates(session, subject.id))
    places = institutions_by_id(session, {c.institution_id for c in certs})
    by_id = {c.id: c for c in certs}
    rows = [CertRow(cert=c, previous=by_id.get(c.previous_id) if c.previous_id else None,
                    institution=short_place(places.get(c.institution_id), lang),
                    institution_code=places[c.institution_id].code if c.institution_id in places else "",
                    steps=svc.certificate_timeline(session, c, policy))
            for c in reversed(certs)]
    return CertificateFile(subject=subject, rows=rows)


def parse_day(text: str, field: str) -> date:
    """A date typed as YYYY-MM-DD (a form problem, not a rule: no article)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError.one("", field, N_("{value} is not a date (YYYY-MM-DD)."), value=text) from None


def picked(value: str | None, field: str, msgid: str) -> uuid.UUID:
    """The UUID a picker holds, or a refusal asking for it."""
    if not value:
        raise DomainError.one("", field, msgid)
    return uuid.UUID(value)


# --------------------------------------------------------------------------- rendering


def disease_text(cert: Certificate, disease: Disease | None, lang: str) -> str:
    name = disease.name(lang) if disease else cert.disease_code
    organ = f" ({cert.organ})" if cert.organ else ""
    return f"{cert.disease_code} {name}{organ}"


def validity_text(cert: Certificate) -> str:
    if cert.valid_from is None:
        return "-"
    return f"{day(cert.valid_from)}..{cert.valid_until.isoformat() if cert.valid_until else ''}"


def timeline(steps: list[TimelineStep]) -> Table:
    """``[x] step  date  by  detail`` per step (ASCII marks)."""
    t = Table(box=None, show_edge=False, pad_edge=False, header_style="dim", expand=True)
    t.add_column("", no_wrap=True)
    t.add_column(_("Step"), no_wrap=True)
    t.add_column(_("Date"), no_wrap=True)
    t.add_column(_("By"), no_wrap=True)
    # the step, its date and who did it are never cut; the detail wraps
    t.add_column(_("Detail"), ratio=1, overflow="fold")
    for st in steps:
        mark = Text("[x]" if st.done else "[ ]", style="green" if st.done else "dim")
        detail = st.detail + (f", {title_label(st.title, current_lang())}" if st.title else "")
        t.add_row(mark, Text(_(st.label)), Text(day(st.on)), Text(st.by or "-"), Text(detail))
    return t


def cert_head(row: CertRow, disease: Disease | None, lang: str) -> RenderableType:
    c = row.cert
    title = Text.assemble((c.number, "bold"), "  ", (label("certificate_status", c.status), "bold"), "  ",
                          category(c.category), "  ", (_("valid {validity}", validity=validity_text(c)), "dim"))
    where = Text.assemble(disease_text(c, disease, lang), "  ",
                          (_("at {institution}", institution=row.institution), "dim"),
                          ("  " + _("off-site") if c.offsite else "", "dim"))
    return Group(title, where, timeline(row.steps))


# --------------------------------------------------------------------------- screen


class CertificatesScreen(WorkflowScreen):
    TITLE_MSGID = N_("Certificates")
    HELP_MSGID = N_("The enrollee's diagnosis certificates and the steps of each. Enter continues the highlighted "
                    "certificate at its next step; Ctrl+N drafts a new one. Each step is checked by the rules "
                    "before the next; Ctrl+S (or Enter in a field) submits it.")
    CSS_PATH = "certificates.tcss"

    BINDINGS = [
        Binding("enter", "continue", N_("Continue"), id="certificates.continue", key_display="Enter",
                tooltip=N_("Continue the highlighted certificate at its next step")),
        Binding("ctrl+n", "new", N_("New"), id="certificates.new",
                tooltip=N_("Draft a new certificate (SZ-MD Art. 4)")),
        Binding("ctrl+r", "reapply", N_("Re-apply"), id="certificates.reapply",
                tooltip=N_("Draft the re-application of the highlighted certificate (SZ-MD Art. 12)")),
        Binding("ctrl+w", "withdraw", N_("Withdraw"), id="certificates.withdraw",
                tooltip=N_("Withdraw the highlighted unconfirmed certificate (SZ-MD Art. 4)")),
        Binding("ctrl+x", "invalidate", N_("Invalidate"), id="certificates.invalidate",
                tooltip=N_("Invalidate the highlighted certificate for a false claim (SZ-MD Art. 13)")),
        Binding("ctrl+b", "batches", N_("Batch"), id="certificates.batches",
                tooltip=N_("Monthly batch of originals of the highlighted certificate's hospital")),
        Binding("ctrl+s", "submit", N_("Submit step"), id="certificates.submit",
                tooltip=N_("Submit this step; the rules check it before the next")),
        PRINT_BINDING,
    ]

    def __init__(self, enrollee_id: str | uuid.UUID | None = None, **kwargs) -> None:
        super().__init__(enrollee_id, **kwargs)
        self.file: CertificateFile | None = None
        self.rows: dict[str, CertRow] = {}
        self.current: CertRow | None = None
        self.pane = "list"
        self.end_mode = "withdraw"
        #: the certificate Ctrl+R re-applies for, if the draft was started that way
        self.reapply_for: Certificate | None = None
        #: the certificate the draft's re-application box names
        self.renewal_number: str | None = None

    # ------------------------------------------------------------------ layout
    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(classes="field-row", id="enrollee-row"):
            yield Label(_("Enrollee"))
            yield Input(placeholder=_("ID number, card number"), id="enrollee", compact=True)
        yield Label("", id="subject")
        with ContentSwitcher(initial="pane-list", id="panes"):
            with Vertical(id="pane-list"):
                yield Label(_("Loading..."), id="status")
                yield FitTable(id="certs", flex=("disease",))
                with VerticalScroll(id="detail-box"):
                    yield Static("", id="detail")
            yield from self._draft_pane()
            with VerticalScroll(id="pane-sign", classes="pane"):
                yield Static("", classes="cert-head")
                yield Static("", id="sign-info", classes="info")
                yield FilterPicker(_("Signer 1"), id="signer1", placeholder=_("type to narrow the team"),
                                   empty_text=N_("The hospital reported no team for this specialty."))
                with Horizontal(classes="field-row"):
                    yield Label(_("Signed on"))
                    yield Input(id="signed1", compact=True, placeholder="YYYY-MM-DD")
                yield FilterPicker(_("Signer 2"), id="signer2", placeholder=_("type to narrow the team"),
                                   empty_text=N_("The hospital reported no team for this specialty."),
                                   prefer_index=1)
                with Horizontal(classes="field-row", id="signed2-row"):
                    yield Label(_("Signed on"))
                    yield Input(id="signed2", compact=True, placeholder="YYYY-MM-DD")
                yield ReasonsList(id="sign-reasons")
            with VerticalScroll(id="pane-seal", classes="pane"):
                yield Static("", classes="cert-head")
                with Horizontal(classes="field-row"):
                    yield Label(_("Seal ref."))
                    yield Input(id="seal-ref", compact=True, placeholder=_("reference of the insurance-office seal"))
                yield ReasonsList(id="seal-reasons")
            with VerticalScroll(id="pane-confirm", classes="pane"):
                yield Static("", classes="cert-head")
                yield Static("", id="confirm-info", classes="info")
                yield ReasonsList(id="confirm-reasons")
            with VerticalScroll(id="pane-end", classes="pane"):
                yield Static("", classes="cert-head")
                yield Static("", id="end-info", classes="info")
                with Horizontal(classes="field-row"):
                    yield Label(_("Reason"))
                    yield Input(id="end-reason", compact=True, placeholder=_("required"))
                yield ReasonsList(id="end-reasons")

    def _draft_pane(self) -> Iterable[Widget]:
        with VerticalScroll(id="pane-draft", classes="pane"):
            yield Static("", id="draft-intro", classes="info")
            yield FilterPicker(_("Disease"), id="disease", placeholder=_("code or name"),
                               choices=disease_choices(self.policy, self.lang))
            yield Static("", id="criteria")
            yield from _check_row("criteria-ack", _("The physician confirms the admission criteria are met"))
            yield FilterPicker(_("Organ"), id="organ", placeholder=_("transplanted organ"))
            yield from _check_row("offsite", _("Off-site issue (SZ-MD Art. 4(2))"))
            yield FilterPicker(_("Hospital"), id="hospital", placeholder=_("code, name or city"))
            yield FilterPicker(_("Physician"), id="physician", placeholder=_("attending physician"),
                               empty_text=N_("No physician of the disease's specialty at this hospital."))
            yield from _check_row("continuation", _("Continuation: diagnosed earlier, on medication this month"))
            with Vertical(id="checklist"):
                for field, text in CHECKLIST:
                    yield from _check_row(field, _(text))
            yield from _check_row("renewal", "")
            with Horizontal(classes="field-row"):
                yield Label(_("Note"))
                yield Input(id="note", compact=True, placeholder=_("diagnosis note (optional)"))
            yield ReasonsList(id="draft-reasons")

    def on_mount(self) -> None:
        table = self.query_one("#certs", DataTable)
        for key, text in (("number", N_("Number")), ("disease", N_("Disease")), ("status", N_("Status")),
                          ("until", N_("Valid until")), ("next", N_("Next"))):
            table.add_column(_(text), key=key)
        self.query_one("#organ").display = False
        self.query_one("#checklist").display = False
        self.query_one("#renewal-row").display = False
        if self.enrollee_id:
            self.query_one("#enrollee-row").display = False
            table.focus()
            self.load()
        else:
            self.query_one("#status", Label).update(_("Type the enrollee's ID or card number and press Enter."))
            self.query_one("#enrollee", Input).focus()

    # ------------------------------------------------------------------ loading
    def load(self, then: Callable[[], None] | None = None) -> None:
        ref, policy, lang = self.enrollee_id, self.policy, self.lang
        if not ref:
            return
        self.run_service(lambda s: load_file(s, ref, policy, lang), partial(self._loaded, then=then),
                         on_refused=self._load_refused, group="load")

    def _load_refused(self, error: DomainError) -> None:
        self.query_one("#status", Label).update(Text(refusal_text(error, self.lang), style="bold red"))

    def _loaded(self, file: CertificateFile, then: Callable[[], None] | None = None) -> None:
        first_load = self.file is None
        self.file = file
        self.enrollee_id = str(file.subject.id)
        self.rows = {r.key: r for r in file.rows}
        self.query_one("#subject", Label).update(Text(file.subject.line(self.lang), style="bold"))
        table = self.query_one("#certs", DataTable)
        cursor = table.cursor_row
        table.clear()
        for r in file.rows:
            c = r.cert
            until = day(c.valid_until) if c.valid_until else (_("no end") if c.valid_from else "-")
            table.add_row(Text(c.number), Text(c.disease_code), Text(label("certificate_status", c.status)),
                          Text(until), Text(self._next_text(c)), key=r.key)
        if not file.rows:
            self.query_one("#status", Label).update(_("No certificates yet. Ctrl+N drafts one."))
        else:
            self.query_one("#status", Label).update(
                n_("{n} certificate. Enter continues it.",
                   "{n} certificates. Enter continues the highlighted one.", len(file.rows)))
            in_progress = [i for i, r in enumerate(file.rows) if r.cert.status in NEXT_PANE]
            row = (in_progress or [0])[0] if first_load else min(cursor, len(file.rows) - 1)
            table.move_cursor(row=row)
        self._show_detail()
        self.refresh_bindings()
        if then is not None:
            then()

    def _next_text(self, c: Certificate) -> str:
        pane = NEXT_PANE.get(c.status)
        if pane:
            return _(NEXT_STEP_LABELS[pane])
        window = renewal_window(c, self.policy) if c.status in CERT_RENEWABLE else None
        if window is None:
            return "-"
        opens, closes = window
        if self.today < opens:
            return _("re-apply from {day}", day=opens.isoformat())
        if self.today <= closes:
            return _("re-apply by {day}", day=closes.isoformat())
        return _("expired")

    def highlighted(self) -> CertRow | None:
        table = self.query_one("#certs", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(key) if key else None

    def printable(self) -> list[tuple[str, str]]:
        row = self.highlighted() if self.file is not None else None
        return [("certificate", row.cert.number)] if row is not None else []

    def _show_detail(self) -> None:
        row = self.highlighted()
        detail = self.query_one("#detail", Static)
        if row is None:
            detail.update("")
            return
        detail.update(cert_head(row, self.policy.disease(row.cert.disease_code), self.lang))

    @on(DataTable.RowHighlighted, "#certs")
    def _row_highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#certs")
    def _row_selected(self) -> None:
        self.action_continue()

    # ------------------------------------------------------------------ panes
    def show_pane(self, pane: str) -> None:
        self.pane = pane
        self.query_one("#panes", ContentSwitcher).current = f"pane-{pane}"
        self.refresh_bindings()
        if pane == "list":
            self.query_one("#certs", DataTable).focus()
            return
        if self.current is not None:
            head = cert_head(self.current, self.policy.disease(self.current.cert.disease_code), self.lang)
            for widget in self.query_one(f"#pane-{pane}").query(".cert-head"):
                widget.update(head)  # type: ignore[attr-defined]
        for reasons in self.query(ReasonsList):
            reasons.clear()
        first = {"draft": "#disease-filter", "sign": "#signer1-filter", "seal": "#seal-ref",
                 "confirm": "#pane-confirm", "end": "#end-reason"}[pane]
        self.query_one(first).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("withdraw", "invalidate") and not self.role_allows(CERTIFICATE, action):
            return False  # the key is not offered to a role the machine refuses
        if action in LIST_ACTIONS:
            return self.pane == "list" and self.file is not None
        if action == "submit":
            return self.pane != "list"
        return super().check_action(action, parameters)

    def step_back(self) -> None:
        if self.pane != "list":
            self.mark_clean()
            self.show_pane("list")
            self.load()
            return
        super().step_back()

    def open_step(self, cert_id: uuid.UUID | str) -> None:
        """Continue the certificate at its next step, or show it in the list."""
        row = self.rows.get(str(cert_id))
        if row is None:
            return
        table = self.query_one("#certs", DataTable)
        table.move_cursor(row=table.get_row_index(row.key))
        pane = NEXT_PANE.get(row.cert.status)
        if pane is None:
            self.show_pane("list")
            return
        if pane == "confirm" and self.refuse_before_asking(row.cert, "confirm", CERTIFICATE):
            self.show_pane("list")  # a clerk, or the one who entered it: the reasons, not the pane
            return
        self.current = row
        getattr(self, f"_prepare_{pane}")(row)
        self.show_pane(pane)

    # ------------------------------------------------------------------ list actions
    def action_continue(self) -> None:
        if self.pane != "list":
            return
        row = self.highlighted()
        if row is None:
            return
        if row.cert.status not in NEXT_PANE:
            self.notify(_("Certificate {number} is {status}; it has no further step.", number=row.cert.number,
                          status=label("certificate_status", row.cert.status)))
            return
        self.open_step(row.key)

    def action_new(self) -> None:
        self._start_draft(None)

    def action_reapply(self) -> None:
        row = self.highlighted()
        if row is not None:
            self._start_draft(row)

    def action_withdraw(self) -> None:
        self._start_end("withdraw")

    def action_invalidate(self) -> None:
        self._start_end("invalidate")

    def action_batches(self) -> None:
        from tui.screens.batches import BatchesScreen  # it imports this module

        row = self.highlighted()
        if row is None:
            return
        month = (row.cert.confirmed_on or self.today).strftime("%Y-%m")
        self.casedesk.go(BatchesScreen(institution_id=str(row.cert.institution_id),
                                       institution_code=row.institution_code, month=month))

    def action_submit(self) -> None:
        handler = {"draft": self._submit_draft, "sign": self._submit_sign, "seal": self._submit_seal,
                   "confirm": self._submit_confirm, "end": self._submit_end}.get(self.pane)
        if handler is not None:
            handler()

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "enrollee":
            self.enrollee_id = event.value.strip() or None
            self.load()
            return
        self.action_submit()

    def _refused_in(self, pane: str) -> Callable[[DomainError], None]:
        def show(error: DomainError) -> None:
            self.query_one(f"#{pane}-reasons", ReasonsList).show_error(error)
            self.notify(refusal_text(error, self.lang), title=_("Refused"), severity="error", timeout=8)
        return show

    def _write(self, pane: str, work: Callable[[Session], Certificate], done_msgid: str) -> None:
        def done(cert: Certificate) -> None:
            self.notify(_(done_msgid, number=cert.number), title=cert.number)
            self.load(then=lambda: self.open_step(cert.id))
        self.query_one(f"#{pane}-reasons", ReasonsList).clear()
        self.run_service(lambda s: frozen(work(s)), done, write=True, on_refused=self._refused_in(pane),
                         group="write")

    # ------------------------------------------------------------------ 1. draft
    def _start_draft(self, renew: CertRow | None) -> None:
        self.current = None
        self.reapply_for = renew.cert if renew else None
        self.renewal_number = None
        for field in ("criteria-ack", "offsite", "continuation", *(f for f, _t in CHECKLIST)):
            self.query_one(f"#{field}", AsciiCheckbox).value = False
        for picker in ("disease", "organ", "hospital", "physician"):
            self.query_one(f"#{picker}-filter", Input).value = ""
        self.query_one("#note", Input).value = ""
        subject = self.file.subject.line(self.lang) if self.file else ""
        if renew is None:
            intro = _("New certificate for {subject}.", subject=subject)
        else:
            c = renew.cert
            intro = _("Re-application for {subject}, continuing {number}.", subject=subject, number=c.number)
            self.query_one("#offsite", AsciiCheckbox).value = c.offsite
            self.query_one("#disease", FilterPicker).preset(c.disease_code, c.disease_code)
            if c.organ:
                self.query_one("#organ", FilterPicker).select(c.organ)
            self.query_one("#hospital", FilterPicker).preset(str(c.institution_id), renew.institution_code)
        self.query_one("#draft-intro", Static).update(intro)
        self._hospital_source()
        self._disease_changed()  # the picker announces only a change of disease
        self.show_pane("draft")

    def _disease(self) -> Disease | None:
        code = self.query_one("#disease", FilterPicker).value
        return self.policy.disease(code) if code else None

    @on(FilterPicker.Changed, "#disease")
    def _disease_changed(self) -> None:
        disease = self._disease()
        criteria = self.query_one("#criteria", Static)
        if disease is None:
            criteria.update("")
        else:
            criteria.update(Text.assemble((_("Admission criteria ({article}):", article=self.policy.certificates.article) + " ",
                                           "bold"), disease.admission_criteria(self.lang)))
        organ = self.query_one("#organ", FilterPicker)
        organ.display = bool(disease and disease.organs)
        organ.set_choices(organ_choices(disease, self.lang))
        self._physician_source()
        self._renewal_hint(disease)

    def _renewal_hint(self, disease: Disease | None) -> None:
        """Offer re-application when a confirmed certificate for the disease is
        in its renewal window today (SZ-MD Art. 12)."""
        code = disease.code if disease else None
        candidate = self.reapply_for if self.reapply_for and self.reapply_for.disease_code == code else None
        for row in (self.file.rows if self.file and code and candidate is None else []):
            c = row.cert
            window = renewal_window(c, self.policy) if c.status in CERT_RENEWABLE else None
            if c.disease_code == code and window and window[0] <= self.today <= window[1]:
                candidate = c
        box = self.query_one("#renewal", AsciiCheckbox)
        self.query_one("#renewal-row").display = candidate is not None
        if candidate is None:
            box.value = False
            self.renewal_number = None
            return
        box.label = _("Re-application for {number}, valid until {until} ({article})", number=candidate.number,
                      until=day(candidate.valid_until), article=self.policy.validity.article)
        if candidate.number != self.renewal_number:
            box.value = True
        self.renewal_number = candidate.number

    @on(AsciiCheckbox.Changed, "#offsite")
    def _offsite_changed(self) -> None:
        self._hospital_source()

    @on(AsciiCheckbox.Changed, "#continuation")
    def _continuation_changed(self, event: AsciiCheckbox.Changed) -> None:
        self.query_one("#checklist").display = event.value

    def _hospital_source(self) -> None:
        policy, lang = self.policy, self.lang
        picker = self.query_one("#hospital", FilterPicker)
        if self.query_one("#offsite", AsciiCheckbox).value and self.file is not None:
            picker.set_loader(partial(offsite_institutions, policy=policy, enrollee_id=self.file.subject.id,
                                      on=self.today, lang=lang))
        else:
            picker.set_loader(partial(diagnostic_hospitals, policy=policy, lang=lang))

    @on(FilterPicker.Changed, "#hospital")
    def _hospital_changed(self) -> None:
        self._physician_source()

    def _physician_source(self) -> None:
        disease = self._disease()
        hospital = self.query_one("#hospital", FilterPicker).value
        picker = self.query_one("#physician", FilterPicker)
        if disease is None or hospital is None:
            picker.set_choices([])
            return
        picker.set_loader(partial(physicians, institution_id=uuid.UUID(hospital), specialty=disease.specialty,
                                  lang=self.lang, policy=self.policy))

    def _submit_draft(self) -> None:
        if self.file is None:
            return
        actor, policy, on = self.actor, self.policy, self.today
        enrollee_id = self.file.subject.id
        disease = self.query_one("#disease", FilterPicker).value
        organ_picker = self.query_one("#organ", FilterPicker)
        organ = organ_picker.value if organ_picker.display else None
        hospital = self.query_one("#hospital", FilterPicker).value
        physician = self.query_one("#physician", FilterPicker).value
        continuation = self.query_one("#continuation", AsciiCheckbox).value
        flags = {f: continuation and self.query_one(f"#{f}", AsciiCheckbox).value for f, _t in CHECKLIST}
        renewal = self.query_one("#renewal", AsciiCheckbox)
        renewal_of = self.renewal_number if renewal.value and self.query_one("#renewal-row").display else None
        offsite = self.query_one("#offsite", AsciiCheckbox).value
        acknowledged = self.query_one("#criteria-ack", AsciiCheckbox).value
        note = self.query_one("#note", Input).value.strip()

        def work(session: Session) -> Certificate:
            if not disease:
                raise DomainError.one("", "disease_code", N_("Pick a disease from the catalogue."))
            institution_id = picked(hospital, "institution_id", N_("Pick a hospital."))
            physician_id = picked(physician, "physician_id", N_("Pick the attending physician."))
            return svc.draft_certificate(
                session, actor, policy=policy, enrollee_id=enrollee_id, disease_code=disease,
                institution_id=institution_id, physician_id=physician_id, on=on, organ=organ, offsite=offsite,
                continuation=continuation, cont_recent_record=flags["cont_recent_record"],
                cont_original_papers=flags["cont_original_papers"], cont_originals_seen=flags["cont_originals_seen"],
                cont_copies_kept=flags["cont_copies_kept"], criteria_acknowledged=acknowledged,
                diagnosis_note=note, renewal_of=renewal_of)

        self._write("draft", work, N_("Certificate {number} drafted; next: team signatures."))

    # ------------------------------------------------------------------ 2. signatures
    def _prepare_sign(self, row: CertRow) -> None:
        disease = self.policy.disease(row.cert.disease_code)
        specialty = disease.specialty if disease else ""
        rule = self.policy.certificates.signatures
        need = rule.required
        head = _("yes") if rule.head_must_sign else _("no")
        if rule.team_list_required:
            info = _("Team signatures ({article}): {need} member(s) of the {specialty} team of {institution}; "
                     "head among them: {head}. HEAD marks the head.", article=rule.article,
                     need=need, specialty=specialty, institution=row.institution, head=head)
        elif rule.director_may_sign:
            info = _("Signatures ({article}): {need} physician(s) of {specialty} at {institution} with the "
                     "title {title} or above, or the department director.", article=rule.article, need=need,
                     specialty=specialty, institution=row.institution, title=title_label(rule.min_title, self.lang))
        else:
            info = _("Signatures ({article}): {need} physician(s) of {specialty} at {institution} with the "
                     "title {title} or above.", article=rule.article, need=need,
                     specialty=specialty, institution=row.institution, title=title_label(rule.min_title, self.lang))
        self.query_one("#sign-info", Static).update(info)
        loader = partial(team_members, institution_id=row.cert.institution_id, specialty=specialty, lang=self.lang,
                         policy=self.policy, on=self.today)
        for n in (1, 2):
            self.query_one(f"#signer{n}-filter", Input).value = ""
            self.query_one(f"#signed{n}", Input).value = self.today.isoformat()
        self.query_one("#signer1", FilterPicker).set_loader(loader)
        two = need > 1
        self.query_one("#signer2", FilterPicker).display = two
        self.query_one("#signed2-row").display = two
        self.query_one("#signer2", FilterPicker).set_loader(loader if two else None)

    def _submit_sign(self) -> None:
        row = self.current
        if row is None:
            return
        actor, policy, on = self.actor, self.policy, self.today
        count = 2 if self.query_one("#signer2", FilterPicker).display else 1
        typed = [(self.query_one(f"#signer{n}", FilterPicker).value, self.query_one(f"#signed{n}", Input).value)
                 for n in range(1, count + 1)]

        def work(session: Session) -> Certificate:
            signatures = [(picked(pid, "signatures", N_("Pick each signer from the team.")),
                           parse_day(text, "signed_on")) for pid, text in typed]
            return svc.sign_certificate(session, actor, policy=policy, number=row.cert.number,
                                        signatures=signatures, on=on, expected_version=row.cert.version)

        self._write("sign", work, N_("Certificate {number} signed; next: insurance-office seal."))

    # ------------------------------------------------------------------ 3. seal
    def _prepare_seal(self, row: CertRow) -> None:
        self.query_one("#seal-ref", Input).value = ""

    def _submit_seal(self) -> None:
        row = self.current
        if row is None:
            return
        actor, on, policy = self.actor, self.today, self.policy
        seal_ref = self.query_one("#seal-ref", Input).value
        self._write("seal", lambda s: svc.seal_certificate(s, actor, policy=policy, number=row.cert.number, seal_ref=seal_ref,
                                                           on=on, expected_version=row.cert.version),
                    N_("Certificate {number} sealed; next: agency confirmation."))

    # ------------------------------------------------------------------ 4. confirmation
    def _resulting_validity(self, row: CertRow) -> str:
        start, until = validity_on_confirm(row.cert, row.previous, self.policy, self.today)
        years = self.policy.validity_years(row.cert.category)
        article = self.policy.validity.article
        if until is None:
            return _("from {start}, no end date ({article})", start=start.isoformat(), article=article)
        return _("{start}..{until} ({years} years, {article})", start=start.isoformat(),
                 until=until.isoformat(), years=years, article=article)

    def _prepare_confirm(self, row: CertRow) -> None:
        self.query_one("#confirm-info", Static).update(Text.assemble(
            (_("Agency confirmation") + "\n", "bold"),
            _("Confirming as {user} ({role}); entered by {drafter}.", user=self.actor.username,
              role=label("role", self.actor.role), drafter=row.cert.drafted_by),
            "\n",
            _("Confirmed today it is valid {validity}.", validity=self._resulting_validity(row)),
            "\n",
            (_("Ctrl+S confirms."), "dim"),
        ))

    def _submit_confirm(self) -> None:
        row = self.current
        if row is None:
            return
        question = _("Confirm certificate {number} as {user}? It will be valid {validity}.",
                     number=row.cert.number, user=self.actor.username, validity=self._resulting_validity(row))
        actor, policy, on = self.actor, self.policy, self.today
        if self.refuse_before_asking(row.cert, "confirm", CERTIFICATE, on_refused=self._refused_in("confirm")):
            return

        def go(yes: bool | None) -> None:
            if yes:
                self._write("confirm", lambda s: svc.confirm_certificate(
                    s, actor, policy=policy, number=row.cert.number, on=on, expected_version=row.cert.version),
                    N_("Certificate {number} confirmed by the agency."))

        self.app.push_screen(ConfirmScreen(question), go)

    # ------------------------------------------------------------------ withdraw, invalidate
    def _start_end(self, mode: str) -> None:
        row = self.highlighted()
        if row is None or self.refuse_before_asking(row.cert, mode, CERTIFICATE):
            return
        self.current, self.end_mode = row, mode
        if mode == "withdraw":
            info = _("Withdraw certificate {number} before confirmation (SZ-MD Art. 4); a new one can then "
                     "be drafted.", number=row.cert.number)
        else:
            info = _("Invalidate certificate {number} for a false claim (SZ-MD Art. 13) as {user}; the "
                     "enrollee must apply again from the start.", number=row.cert.number, user=self.actor.username)
        self.query_one("#end-info", Static).update(Text(info, style="bold"))
        self.query_one("#end-reason", Input).value = ""
        self.show_pane("end")

    def _submit_end(self) -> None:
        row = self.current
        if row is None:
            return
        actor, on, mode, policy = self.actor, self.today, self.end_mode, self.policy
        reason = self.query_one("#end-reason", Input).value
        service = svc.withdraw_certificate if mode == "withdraw" else svc.invalidate_certificate
        done = (N_("Certificate {number} withdrawn.") if mode == "withdraw"
                else N_("Certificate {number} invalidated."))
        question = (_("Withdraw certificate {number}?", number=row.cert.number) if mode == "withdraw"
                    else _("Invalidate certificate {number}? This cannot be undone.", number=row.cert.number))
        if self.refuse_before_asking(row.cert, mode, CERTIFICATE, inputs={"reason": reason},
                                     on_refused=self._refused_in("end")):
            return

        def go(yes: bool | None) -> None:
            if yes:
                self._write("end", lambda s: service(s, actor, policy=policy, number=row.cert.number, on=on, reason=reason,
                                                     expected_version=row.cert.version), done)

        self.app.push_screen(ConfirmScreen(question), go)


def _check_row(field: str, text: str) -> Iterable[Widget]:
    with Horizontal(classes="field-row check-row", id=f"{field}-row"):
        yield Label("")
        yield AsciiCheckbox(text, id=field, compact=True)
