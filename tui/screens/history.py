"""Audit history of an enrollee or of any record: who, when, what, why, article.

Reads :func:`core.audit.history` in a thread worker. Opened from the
enrollee view (``y``) with that enrollee, or from the palette with nothing:
type an ID number, a card number or a record key (UUID) and press Enter.
Enter on an event shows what changed (before and after).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from rich.table import Table
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Static

from core import audit_text
from core.audit import history
from core.errors import NotFound
from core.gateway import Session
from core.models import AuditEvent
from core.records import frozen_all
from core.services.lookup import get_enrollee
from tui.i18n import N_, _, n_
from tui.labels import label
from tui.screens.base import WorkflowScreen
from tui.widgets.reasons import ReasonsList
from tui.widgets.table import FitTable

HISTORY_LIMIT = 200


@dataclass(frozen=True)
class HistoryResult:
    subject: str  # what the events are about, for the title
    events: list[AuditEvent]
    names: dict[str, str] = field(default_factory=dict)  # username -> caseworker's name
    numbers: dict[str, str] = field(default_factory=dict)  # record key -> its number


def load_history(session: Session, ref: str, limit: int = HISTORY_LIMIT) -> HistoryResult:
    """Events of the enrollee ``ref`` names (UUID, ID or card number), else of
    the record whose key is ``ref``."""
    try:
        e = get_enrollee(session, ref)
    except NotFound:
        try:
            key = uuid.UUID(ref.strip())
        except ValueError:
            raise NotFound.one("", "record", N_("No enrollee or record with key {ref}."), ref=ref) from None
        events = list(frozen_all(history(session, entity_id=key, limit=limit)))
        if not events:
            raise NotFound.one("", "record", N_("No enrollee or record with key {ref}."), ref=ref) from None
        numbers = audit_text.record_numbers(session, events)
        return HistoryResult(subject=audit_text.record_number(events[0], numbers) or ref.strip(), events=events,
                             names=audit_text.actor_names(session, {ev.actor for ev in events}), numbers=numbers)
    events = list(frozen_all(history(session, enrollee_id=e.id, limit=limit)))
    return HistoryResult(subject=e.name, events=events,
                         names=audit_text.actor_names(session, {ev.actor for ev in events}),
                         numbers=audit_text.record_numbers(session, events))


def local_time(at: datetime) -> str:
    """A stored UTC moment in the machine's local time."""
    aware = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return aware.astimezone().strftime("%Y-%m-%d %H:%M")


def change_table(ev: AuditEvent, lang: str, numbers: dict[str, str]) -> Table:
    """Field, before, after of one event (labels, no record keys)."""
    t = Table(expand=True, show_edge=False, pad_edge=False, box=None, header_style="dim",
              title=audit_text.what(ev, lang, numbers), title_justify="left", title_style="bold")
    t.add_column(_("Field"), no_wrap=True)
    t.add_column(_("Before"), ratio=1, overflow="fold")
    t.add_column(_("After"), ratio=1, overflow="fold")
    for name, before, after in audit_text.changed_fields(ev, lang):
        t.add_row(name, before, after)
    return t


class HistoryScreen(WorkflowScreen):
    TITLE_MSGID = N_("History")
    HELP_MSGID = N_("Audit events, newest first. Type an ID number, card number or record key and press Enter; "
                    "Enter on an event shows what changed.")
    CSS_PATH = "history.tcss"
    HOLDS_FORMS = False

    BINDINGS = [
        Binding("ctrl+f", "focus_ref", N_("Find"), id="history.find",
                tooltip=N_("Type another enrollee or record key")),
        Binding("ctrl+e", "focus_events", N_("Events"), id="history.events",
                tooltip=N_("Move to the list of events")),
    ]

    def __init__(self, enrollee_id: str | uuid.UUID | None = None, **kwargs) -> None:
        super().__init__(enrollee_id, **kwargs)
        self.result: HistoryResult | None = None

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(classes="field-row"):
            yield Label(_("Find"))
            yield Input(placeholder=_("ID number, card number or record key; Enter"), id="ref", compact=True)
        yield ReasonsList(id="reasons")
        yield FitTable(id="events", flex=("why", "who", "what"))
        yield Static("", id="detail")

    def on_mount(self) -> None:
        table = self.query_one("#events", DataTable)
        table.add_column(_("When"), key="when")
        table.add_column(_("Who"), key="who")
        table.add_column(_("What"), key="what")
        table.add_column(_("Why"), key="why")
        if self.enrollee_id:
            self.load(self.enrollee_id)
            table.focus()
        else:
            self.query_one("#ref", Input).focus()

    def load(self, ref: str) -> None:
        self.query_one("#reasons", ReasonsList).clear()
        self.run_service(lambda s: load_history(s, ref), self.show, group="history")

    def show(self, result: HistoryResult) -> None:
        self.result = result
        self.set_screen_title(_("History: {subject}", subject=result.subject))
        table = self.query_one("#events", DataTable)
        table.clear()
        for i, ev in enumerate(result.events):
            who = Text.assemble(result.names.get(ev.actor, ev.actor), (f" ({label('role', ev.actor_role)})", "dim"))
            table.add_row(local_time(ev.at), who, audit_text.what(ev, self.lang, result.numbers),
                          audit_text.why(ev, self.lang) or "-", key=str(i))
        detail = self.query_one("#detail", Static)
        if not result.events:
            detail.update(_("No audit events."))
        else:
            detail.update(n_("{n} event. Enter shows what changed.",
                             "{n} events (newest first). Enter shows what changed.", len(result.events)))

    @on(Input.Submitted, "#ref")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.load(event.value.strip())

    @on(DataTable.RowHighlighted, "#events")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The whole sentence of the highlighted event (the table may cut it at 80 columns)."""
        if self.result is None or event.row_key.value is None:
            return
        ev = self.result.events[int(event.row_key.value)]
        who = f"{self.result.names.get(ev.actor, ev.actor)} ({label('role', ev.actor_role)})"
        self.query_one("#detail", Static).update(Text.assemble(
            (f"{local_time(ev.at)} {who} ", "bold"), audit_text.what(ev, self.lang, self.result.numbers),
            ("  " + audit_text.why(ev, self.lang), "dim")))

    @on(DataTable.RowSelected, "#events")
    def _selected(self, event: DataTable.RowSelected) -> None:
        if self.result is None or event.row_key.value is None:
            return
        ev = self.result.events[int(event.row_key.value)]
        self.query_one("#detail", Static).update(change_table(ev, self.lang, self.result.numbers))

    def action_focus_ref(self) -> None:
        self.query_one("#ref", Input).focus()

    def action_focus_events(self) -> None:
        self.query_one("#events", DataTable).focus()
