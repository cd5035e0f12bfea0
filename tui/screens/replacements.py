"""Replacement of a lost certificate or record book (SZ-MD Art. 5).

The enrollee's confirmed certificates and active record book are listed;
highlight the lost one, say where it is replaced (the medical insurance
office of the hospital that issued it, or the municipal agency), tick the
cards presented and press Ctrl+S. The core voids the lost number from today
and issues a new one; the screen shows both. The replacement records are
listed below; Ctrl+G sends the highlighted one to the agency's archive.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Select, Static

from core.errors import DomainError
from core.gateway import Session
from core.i18n import translate
from core.models import Certificate, Replacement
from core.policy import Policy
from core.queries import documents
from core.records import frozen
from core.services import replacements as svc
from tui.i18n import N_, _
from tui.labels import day, yes_no
from tui.screens.base import PRINT_BINDING, WorkflowScreen
from tui.screens.certificate_data import (
    AGENCY_KEY,
    Subject,
    institutions_by_id,
    load_subject,
    replacement_offices,
)
from tui.widgets.confirm import ConfirmScreen
from tui.widgets.fields import AsciiCheckbox, AsciiSelect
from tui.widgets.filter_picker import FilterPicker
from tui.widgets.reasons import ReasonsList, refusal_text
from tui.widgets.table import FitTable

PLACES = (("hospital", N_("Hospital that issued it")), (AGENCY_KEY, N_("Municipal agency")))
KIND_LABELS = {"certificate": N_("certificate"), "book": N_("record book")}
PLACE_LABELS = {"hospital": N_("hospital"), AGENCY_KEY: N_("agency")}


@dataclass(frozen=True)
class LostItem:
    """A document that can be reported lost."""

    kind: str  # certificate | book
    number: str
    what: str  # disease(s)
    until: str  # last valid day, for a certificate
    issued_at_id: uuid.UUID | None
    issued_at_code: str  # "" for the agency
    version: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.number}"


@dataclass(frozen=True)
class ReplacementFile:
    subject: Subject
    items: list[LostItem]
    records: list[Replacement]  # newest first


def load_replacements(session: Session, ref: str, lang: str, on: date, policy: Policy) -> ReplacementFile:
    subject = load_subject(session, ref)
    certs = documents.replaceable_certificates(session, subject.id, on, policy)
    books = documents.replaceable_books(session, subject.id, policy)
    issuers: set[uuid.UUID | None] = {c.institution_id for c in certs}
    places = institutions_by_id(session, issuers | {b.issued_at_id for b in books})
    items = [_cert_item(c, places, lang) for c in certs]
    for b in books:
        place = places.get(b.issued_at_id) if b.issued_at_id else None
        diseases = ", ".join(e.disease_code for e in documents.entries_of(session, b.id)) or "-"
        items.append(LostItem("book", b.number, diseases, "", b.issued_at_id, place.code if place else "",
                              b.version))
    records = list(documents.replacements_of(session, subject.id))
    return ReplacementFile(subject=subject, items=items, records=records)


def _cert_item(c: Certificate, places: dict, lang: str) -> LostItem:
    place = places.get(c.institution_id)
    what = c.disease_code + (f" ({c.organ})" if c.organ else "")
    until = day(c.valid_until) if c.valid_until else translate(N_("no end"), lang)
    return LostItem("certificate", c.number, what, until, c.institution_id, place.code if place else "",
                    c.version)


class ReplacementsScreen(WorkflowScreen):
    TITLE_MSGID = N_("Replacement")
    HELP_MSGID = N_("Highlight the lost certificate or record book, pick where it is replaced, tick the cards "
                    "presented and press Ctrl+S: the lost number is void from today and a new number is issued "
                    "(SZ-MD Art. 5). Ctrl+G archives the highlighted replacement record.")
    CSS_PATH = "replacements.tcss"

    BINDINGS = [
        Binding("ctrl+s", "replace", N_("Replace"), id="replacements.replace",
                tooltip=N_("Void the highlighted lost document and issue its replacement")),
        Binding("ctrl+g", "archive", N_("Archive"), id="replacements.archive",
                tooltip=N_("Send the highlighted replacement record to the agency's archive")),
        PRINT_BINDING,
    ]

    def __init__(self, enrollee_id: str | uuid.UUID | None = None, **kwargs) -> None:
        super().__init__(enrollee_id, **kwargs)
        self.file: ReplacementFile | None = None
        self.items: dict[str, LostItem] = {}

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(classes="field-row", id="enrollee-row"):
            yield Label(_("Enrollee"))
            yield Input(placeholder=_("ID number, card number"), id="enrollee", compact=True)
        yield Label("", id="subject")
        with VerticalScroll(id="body"):
            yield Label(_("Lost document"), classes="section-title")
            yield FitTable(id="items", flex=("what", "issued"))
            with Horizontal(classes="field-row"):
                yield Label(_("Replaced at"))
                yield AsciiSelect([(_(text), code) for code, text in PLACES], value="hospital", allow_blank=False,
                                  id="place", compact=True)
            yield FilterPicker(_("Institution"), id="office", placeholder=_("code or name"))
            with Horizontal(classes="field-row"):
                yield Label(_("Presented"))
                yield AsciiCheckbox(_("Social security card"), id="card", compact=True)
                yield AsciiCheckbox(_("ID card"), id="id-card", compact=True)
            yield Static("", id="result")
            yield ReasonsList(id="reasons")
            yield Label(_("Replacement records"), classes="section-title")
            yield FitTable(id="records", flex=("place",))

    def on_mount(self) -> None:
        items = self.query_one("#items", DataTable)
        for key, text in (("kind", N_("Kind")), ("number", N_("Number")), ("what", N_("Disease")),
                          ("until", N_("Valid until")), ("issued", N_("Issued at"))):
            items.add_column(_(text), key=key)
        records = self.query_one("#records", DataTable)
        for key, text in (("reported", N_("Reported")), ("old", N_("Lost (void)")), ("new", N_("New number")),
                          ("place", N_("Place")), ("archived", N_("Archived"))):
            records.add_column(_(text), key=key)
        self.query_one("#result").display = False
        self._office_source()
        if self.enrollee_id:
            self.query_one("#enrollee-row").display = False
            items.focus()
            self.load()
        else:
            self.query_one("#enrollee", Input).focus()

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        ref, lang, on, policy = self.enrollee_id, self.lang, self.today, self.policy
        if ref:
            self.run_service(lambda s: load_replacements(s, ref, lang, on, policy), self._loaded,
                             on_refused=self._show_refusal, group="load")

    def _loaded(self, file: ReplacementFile) -> None:
        self.file = file
        self.enrollee_id = str(file.subject.id)
        self.items = {i.key: i for i in file.items}
        self.query_one("#subject", Label).update(Text(file.subject.line(self.lang), style="bold"))
        table = self.query_one("#items", DataTable)
        table.clear()
        for i in file.items:
            table.add_row(Text(_(KIND_LABELS[i.kind])), Text(i.number), Text(i.what), Text(i.until or "-"),
                          Text(i.issued_at_code or _("agency")), key=i.key)
        if not file.items:
            table.add_row(Text(_("Nothing to replace.")), Text(""), Text(""), Text(""), Text(""), key="none")
        records = self.query_one("#records", DataTable)
        records.clear()
        for r in file.records:
            records.add_row(Text(day(r.reported_on)), Text(r.old_number), Text(r.new_number),
                            Text(_(PLACE_LABELS[r.place]) if r.place in PLACE_LABELS else r.place),
                            Text(yes_no(r.archived)), key=str(r.id))
        self._item_highlighted()

    def highlighted(self) -> LostItem | None:
        table = self.query_one("#items", DataTable)
        if not table.row_count:
            return None
        return self.items.get(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or "")

    @on(DataTable.RowHighlighted, "#items")
    def _item_highlighted(self) -> None:
        """Default the place to where the highlighted document was issued."""
        item = self.highlighted()
        if item is None:
            return
        self._office_source()  # a hospital replaces only what it issued
        place = self.query_one("#place", Select)
        wanted = "hospital" if item.issued_at_id else AGENCY_KEY
        if place.value != wanted:
            place.value = wanted  # Select.Changed presets the institution
        else:
            self._preset_office(item)

    @on(Select.Changed, "#place")
    def _place_changed(self) -> None:
        self._office_source()
        item = self.highlighted()
        if item is not None:
            self._preset_office(item)

    def _place(self) -> str:
        value = self.query_one("#place", Select).value
        return value if isinstance(value, str) else "hospital"

    def _office_source(self) -> None:
        item = self.highlighted()
        self.query_one("#office", FilterPicker).set_loader(
            partial(replacement_offices, place=self._place(), original_id=item.issued_at_id if item else None,
                    policy=self.policy, lang=self.lang))

    def _preset_office(self, item: LostItem) -> None:
        office = self.query_one("#office", FilterPicker)
        if self._place() == AGENCY_KEY:
            office.preset(AGENCY_KEY, "")
        elif item.issued_at_id is not None:
            office.preset(str(item.issued_at_id), item.issued_at_code)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "enrollee":
            self.enrollee_id = event.value.strip() or None
            self.load()
            return
        self.action_replace()

    def _show_refusal(self, error: DomainError) -> None:
        self.query_one("#reasons", ReasonsList).show_error(error)
        self.notify(refusal_text(error, self.lang), title=_("Refused"), severity="error", timeout=8)

    # ------------------------------------------------------------------ actions
    def action_replace(self) -> None:
        item = self.highlighted()
        if item is None:
            self._show_refusal(DomainError.one("", "number", N_("Highlight the lost document first.")))
            return
        place = self._place()
        office = self.query_one("#office", FilterPicker).value
        institution_id = uuid.UUID(office) if office and office != AGENCY_KEY else None
        card = self.query_one("#card", AsciiCheckbox).value
        id_card = self.query_one("#id-card", AsciiCheckbox).value
        actor, on, policy = self.actor, self.today, self.policy

        def work(session: Session) -> Replacement:
            if item.kind == "certificate":
                return svc.replace_certificate(session, actor, policy=policy, number=item.number, place=place,
                                               card_presented=card, id_card_presented=id_card, on=on,
                                               institution_id=institution_id, expected_version=item.version)
            return svc.replace_book(session, actor, policy=policy, book_number=item.number, place=place, card_presented=card,
                                    id_card_presented=id_card, on=on, institution_id=institution_id,
                                    expected_version=item.version)

        question = _("Report {kind} {number} lost? It is void from {day} and a new number is issued.",
                     kind=_(KIND_LABELS[item.kind]), number=item.number, day=on.isoformat())
        self.app.push_screen(ConfirmScreen(question), lambda yes: self._run(work, self._replaced) if yes else None)

    def _run(self, work: Callable[[Session], Replacement], done: Callable[[Replacement], None]) -> None:
        self.query_one("#reasons", ReasonsList).clear()
        self.run_service(lambda s: frozen(work(s)), done, write=True, on_refused=self._show_refusal, group="write")

    def _replaced(self, repl: Replacement) -> None:
        kind = _(KIND_LABELS.get(repl.item_kind, repl.item_kind))
        text = Text.assemble(
            (_("{kind} {old} is VOID from {day}.", kind=kind, old=repl.old_number, day=day(repl.reported_on)),
             "bold red"), "\n",
            (_("New number: {new}", new=repl.new_number), "bold green"), "\n",
            (_("The replacement record waits for the agency's archive (Ctrl+G)."), "dim"))
        result = self.query_one("#result", Static)
        result.update(text)
        result.display = True
        for box in ("#card", "#id-card"):  # the next report needs its own cards
            self.query_one(box, AsciiCheckbox).value = False
        self.notify(_("{kind} {old} replaced by {new}.", kind=kind, old=repl.old_number, new=repl.new_number),
                    title=repl.new_number)
        self.load()

    def printable(self) -> list[tuple[str, str]]:
        """The receipt of the latest replacement (SZ-MD Art. 5)."""
        latest = self.file.records[0] if self.file and self.file.records else None
        if latest is None:
            return []
        return [("book-receipt" if latest.item_kind == "book" else "certificate", latest.new_number)]

    def action_archive(self) -> None:
        records = self.query_one("#records", DataTable)
        if self.file is None or not records.row_count:
            self._show_refusal(DomainError.one("", "replacement_id", N_("There is no replacement record.")))
            return
        key = records.coordinate_to_cell_key(records.cursor_coordinate).row_key.value
        repl = next((r for r in self.file.records if str(r.id) == key), None)
        if repl is None:
            return
        actor, on, policy = self.actor, self.today, self.policy
        self._run(lambda s: svc.archive_replacement(s, actor, policy=policy, replacement_id=repl.id, on=on,
                                                    expected_version=repl.version),
                  lambda r: self._archived(r))

    def _archived(self, repl: Replacement) -> None:
        self.notify(_("Replacement record {old} -> {new} archived.", old=repl.old_number, new=repl.new_number))
        self.load()
