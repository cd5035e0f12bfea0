"""The enrollee's special outpatient record book (SZ-MD Art. 5).

Shows the active book with the diseases written in it and the books before
it, and the enrollee's confirmed certificates. With a certificate
highlighted and the cards ticked as presented, Ctrl+N issues the first
book, Ctrl+T writes a further disease into the existing book, and Ctrl+R
renews a used-up book against the old one; the issuing office is the agency
or a city diagnostic hospital. Each action goes to its core service; a
refusal is shown with its article tags and the form is kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TypeVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Static

from core.errors import DomainError
from core.gateway import Session
from core.models import BookEntry, Certificate, RecordBook
from core.policy import Policy
from core.queries import documents
from core.records import frozen
from core.services import books as svc
from core.workflows.definitions import BOOK_CURRENT
from tui.i18n import N_, _
from tui.labels import day, label, yes_no
from tui.screens.base import PRINT_BINDING, WorkflowScreen
from tui.screens.certificate_data import (
    AGENCY_KEY,
    Subject,
    institutions_by_id,
    issuing_offices,
    load_subject,
    short_place,
)
from tui.widgets.confirm import ConfirmScreen
from tui.widgets.fields import AsciiCheckbox
from tui.widgets.filter_picker import FilterPicker
from tui.widgets.reasons import ReasonsList, refusal_text
from tui.widgets.table import FitTable


T = TypeVar("T")


@dataclass(frozen=True)
class BookRow:
    book: RecordBook
    entries: list[BookEntry]
    issued_at: str


@dataclass(frozen=True)
class BookFile:
    subject: Subject
    books: list[BookRow]  # newest first
    certificates: list[Certificate]  # those a book may take today, newest first

    @property
    def active(self) -> BookRow | None:
        return next((b for b in self.books if b.book.status in BOOK_CURRENT), None)


def load_books(session: Session, ref: str, lang: str, on: date, policy: Policy) -> BookFile:
    subject = load_subject(session, ref)
    books = documents.books_of(session, subject.id)
    places = institutions_by_id(session, {b.issued_at_id for b in books})
    rows = [BookRow(book=b, entries=list(documents.entries_of(session, b.id)),
                    issued_at=short_place(places.get(b.issued_at_id) if b.issued_at_id else None, lang))
            for b in books]
    certs = list(documents.book_certificates(session, subject.id, on, policy))
    return BookFile(subject=subject, books=rows, certificates=certs)


def book_text(file: BookFile) -> RenderableType:
    """The active book and its diseases, then the books before it."""
    if not file.books:
        return Text(_("No record book issued yet."), style="bold")
    lines: list[RenderableType] = []
    for row in file.books:
        b = row.book
        diseases = ", ".join(e.disease_code for e in row.entries) or "-"
        text = Text.assemble(
            (b.number, "bold"), "  ",
            (label("book_status", b.status), "bold" if b.status in BOOK_CURRENT else "dim"),
            "  ", _("issued {day} by {user} at {place}", day=day(b.issued_on), user=b.issued_by, place=row.issued_at),
            "  ", _("diseases: {diseases}", diseases=diseases))
        if b.ended_on:
            text.append("  " + _("ended {day}: {reason}", day=day(b.ended_on), reason=b.end_reason), style="dim")
        lines.append(text)
    return Group(*lines)


class BooksScreen(WorkflowScreen):
    TITLE_MSGID = N_("Record book")
    HELP_MSGID = N_("One record book per enrollee (SZ-MD Art. 5). Highlight a confirmed certificate, tick the "
                    "cards presented, pick where it is issued, then Ctrl+N issues the book, Ctrl+T adds the "
                    "disease to the existing book, Ctrl+R renews a used-up book.")
    CSS_PATH = "books.tcss"

    BINDINGS = [
        Binding("ctrl+n", "issue", N_("Issue book"), id="books.issue",
                tooltip=N_("Issue the first record book against the highlighted certificate and the cards")),
        Binding("ctrl+t", "add", N_("Add disease"), id="books.add",
                tooltip=N_("Write the highlighted certificate's disease into the existing book")),
        Binding("ctrl+r", "renew", N_("Renew book"), id="books.renew",
                tooltip=N_("Renew the used-up book against the old one")),
        PRINT_BINDING,
    ]

    def __init__(self, enrollee_id: str | uuid.UUID | None = None, **kwargs) -> None:
        super().__init__(enrollee_id, **kwargs)
        self.file: BookFile | None = None

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(classes="field-row", id="enrollee-row"):
            yield Label(_("Enrollee"))
            yield Input(placeholder=_("ID number, card number"), id="enrollee", compact=True)
        yield Label("", id="subject")
        with VerticalScroll(id="body"):
            yield Static(_("Loading..."), id="book")
            yield Label(_("Confirmed certificates"), classes="section-title")
            yield FitTable(id="certs", flex=("disease",))
            with Horizontal(classes="field-row"):
                yield Label(_("Presented"))
                yield AsciiCheckbox(_("Social security card"), id="card", compact=True)
                yield AsciiCheckbox(_("ID card"), id="id-card", compact=True)
            yield FilterPicker(_("Issued at"), id="issuer", placeholder=_("agency, or hospital code or name"))
            yield ReasonsList(id="reasons")

    def on_mount(self) -> None:
        table = self.query_one("#certs", DataTable)
        for key, text in (("number", N_("Number")), ("disease", N_("Disease")), ("until", N_("Valid until")),
                          ("book", N_("In book"))):
            table.add_column(_(text), key=key)
        self.query_one("#issuer", FilterPicker).set_loader(
            partial(issuing_offices, policy=self.policy, lang=self.lang))
        if self.enrollee_id:
            self.query_one("#enrollee-row").display = False
            table.focus()
            self.load()
        else:
            self.query_one("#book", Static).update(_("Type the enrollee's ID or card number and press Enter."))
            self.query_one("#enrollee", Input).focus()

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        ref, lang, on, policy = self.enrollee_id, self.lang, self.today, self.policy
        if ref:
            self.run_service(lambda s: load_books(s, ref, lang, on, policy), self._loaded, on_refused=self._load_refused,
                             group="load")

    def _load_refused(self, error: DomainError) -> None:
        self.query_one("#book", Static).update(Text(refusal_text(error, self.lang), style="bold red"))

    def _loaded(self, file: BookFile) -> None:
        self.file = file
        self.enrollee_id = str(file.subject.id)
        self.query_one("#subject", Label).update(Text(file.subject.line(self.lang), style="bold"))
        self.query_one("#book", Static).update(book_text(file))
        active = file.active
        in_book = {e.certificate_id for e in active.entries} if active else set()
        table = self.query_one("#certs", DataTable)
        table.clear()
        for c in file.certificates:
            until = day(c.valid_until) if c.valid_until else _("no end")
            table.add_row(Text(c.number), Text(c.disease_code + (f" ({c.organ})" if c.organ else "")), Text(until),
                          Text(yes_no(c.id in in_book)), key=str(c.id))
        if not file.certificates:
            table.add_row(Text(_("No confirmed certificate.")), Text(""), Text(""), Text(""), key="none")

    def highlighted(self) -> Certificate | None:
        table = self.query_one("#certs", DataTable)
        if self.file is None or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((c for c in self.file.certificates if str(c.id) == key), None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "enrollee":
            self.enrollee_id = event.value.strip() or None
            self.load()

    # ------------------------------------------------------------------ actions
    def _form(self) -> tuple[bool, bool, uuid.UUID | None]:
        issuer = self.query_one("#issuer", FilterPicker).value
        return (self.query_one("#card", AsciiCheckbox).value, self.query_one("#id-card", AsciiCheckbox).value,
                uuid.UUID(issuer) if issuer and issuer != AGENCY_KEY else None)

    def _certificate_number(self) -> str | None:
        cert = self.highlighted()
        if cert is None:
            self.query_one("#reasons", ReasonsList).show_error(DomainError.one(
                "", "certificate_number", N_("Highlight a confirmed certificate first.")))
            return None
        return cert.number

    def _write(self, work: Callable[[Session], T], done: Callable[[T], str]) -> None:
        def finished(result: T) -> None:
            self.query_one("#reasons", ReasonsList).clear()
            message = done(result)
            self.notify(message, title=_("Record book"))
            self.load()

        def refused(error: DomainError) -> None:
            self.query_one("#reasons", ReasonsList).show_error(error)
            self.notify(refusal_text(error, self.lang), title=_("Refused"), severity="error", timeout=8)

        self.run_service(lambda s: frozen(work(s)), finished, write=True, on_refused=refused, group="write")

    def action_issue(self) -> None:
        number = self._certificate_number()
        if number is None:
            return
        actor, policy, on = self.actor, self.policy, self.today
        card, id_card, issuer = self._form()
        self._write(lambda s: svc.issue_book(s, actor, policy=policy, certificate_number=number,
                                             card_presented=card, id_card_presented=id_card, on=on,
                                             issued_at_id=issuer),
                    lambda book: _("Record book {number} issued.", number=book.number))

    def printable(self) -> list[tuple[str, str]]:
        active = self.file.active if self.file else None
        return [("book-receipt", active.book.number)] if active is not None else []

    def action_add(self) -> None:
        number = self._certificate_number()
        active = self.file.active if self.file else None
        if number is None:
            return
        book_number = active.book.number if active else ""
        actor, on, policy = self.actor, self.today, self.policy
        card, id_card, _issuer = self._form()

        def work(session: Session) -> BookEntry:
            if not book_number:
                raise DomainError.one("", "book_number", N_("The enrollee has no active record book; issue one."))
            return svc.add_to_book(session, actor, policy=policy, book_number=book_number, certificate_number=number,
                                   card_presented=card, id_card_presented=id_card, on=on)

        self._write(work, lambda entry: _("{disease} written into record book {number}.",
                                          disease=entry.disease_code, number=book_number))

    def action_renew(self) -> None:
        active = self.file.active if self.file else None
        if active is None:
            self.query_one("#reasons", ReasonsList).show_error(DomainError.one(
                "", "book_number", N_("The enrollee has no active record book; issue one.")))
            return
        old = active.book
        actor, policy, on = self.actor, self.policy, self.today
        card, id_card, issuer = self._form()

        def go(yes: bool | None) -> None:
            if yes:
                self._write(lambda s: svc.renew_book(s, actor, policy=policy, book_number=old.number,
                                                     card_presented=card, id_card_presented=id_card, on=on,
                                                     issued_at_id=issuer, expected_version=old.version),
                            lambda book: _("Record book {old} is used up; {number} issued in its place.",
                                           old=old.number, number=book.number))

        self.app.push_screen(ConfirmScreen(_("Renew record book {number}? It is marked used up and a new book "
                                             "takes its diseases.", number=old.number)), go)
