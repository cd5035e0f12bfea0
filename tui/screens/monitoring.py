"""Monitoring (F5): scan a month for SZ-MT Art. 13 triggers and open cases.

Type the month (YYYY-MM; the previous month is filled in), Ctrl+R or Enter
runs :func:`core.services.monitoring.scan` in a thread worker. Hits (numeric
triggers) and manual flags of the month are listed a page at a time. Ctrl+O
opens a case on the highlighted row (after a yes/no question) with
:func:`core.services.investigations.send_notice_for_hit` or
``send_notice_for_flag``; Enter opens the enrollee.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Static

from core.gateway import Session
from core.models import InvestigationCase
from core.records import frozen
from core.rules.monitoring import Month
from core.services import investigations
from core.services.monitoring import FlagRow, Hit, ScanResult, scan
from tui.i18n import N_, _, n_
from tui.labels import due
from tui.screens.base import BaseScreen
from tui.widgets.confirm import ConfirmScreen
from tui.widgets.paged import PagedTable, Row
from tui.widgets.reasons import ReasonsList


@dataclass(frozen=True)
class Item:
    """One row: a numeric hit or a manual flag."""

    key: str
    enrollee_id: uuid.UUID
    enrollee_name: str
    trigger: str
    number: int
    hit: Hit | None = None
    flag: FlagRow | None = None


def items_of(result: ScanResult) -> list[Item]:
    out = [Item(f"hit:{i}", h.enrollee_id, h.enrollee_name, h.trigger, h.number, hit=h)
           for i, h in enumerate(result.hits)]
    out += [Item(f"flag:{f.id}", f.enrollee_id, f.enrollee_name, f.trigger, f.number, flag=f)
            for f in result.manual]
    return out


class MonitoringScreen(BaseScreen):
    TITLE_MSGID = N_("Monitoring")
    HELP_MSGID = N_("Scan a month for the investigation triggers of SZ-MT Art. 13. Ctrl+O sends the "
                    "notice and opens a case for the highlighted row; Enter opens the enrollee.")
    CSS_PATH = "monitoring.tcss"
    NAV_LEVEL = 1
    HOLDS_FORMS = False

    BINDINGS = [
        Binding("ctrl+r", "scan", N_("Scan"), id="monitoring.scan", tooltip=N_("Scan the month")),
        Binding("ctrl+o", "open_case", N_("Open case"), id="monitoring.open_case",
                tooltip=N_("Send the notice and open an investigation case for the highlighted row")),
        Binding("enter", "open_enrollee", N_("Enrollee"), id="monitoring.enrollee", key_display="Enter",
                priority=True,
                tooltip=N_("Open the enrollee of the highlighted row")),
        Binding("pagedown", "next_page", N_("Next page"), id="monitoring.next_page", priority=True,
                key_display="PgDn", tooltip=N_("Show the next page of hits")),
        Binding("pageup", "previous_page", N_("Prev page"), id="monitoring.previous_page", priority=True,
                key_display="PgUp", tooltip=N_("Show the previous page of hits")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.result: ScanResult | None = None
        self.items: dict[str, Item] = {}
        self.opened: dict[str, str] = {}  # item key -> case number

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(classes="field-row"):
            yield Label(_("Month"))
            yield Input(Month.of(self.today).shift(-1).label, placeholder="YYYY-MM", id="month", compact=True)
        yield Label(_("Ctrl+R scans the month."), id="status")
        yield ReasonsList(id="reasons")
        yield PagedTable(id="hits", flex=("trigger", "finding"))
        yield Static("", id="detail")

    def on_mount(self) -> None:
        table = self.query_one("#hits", PagedTable)
        table.add_column(_("Enrollee"), key="enrollee")
        table.add_column(_("Trigger"), key="trigger")
        table.add_column(_("Article"), key="article")
        table.add_column(_("Case"), key="case")
        # last: the long text gives up its width first (whole text in #detail)
        table.add_column(_("Finding"), key="finding")
        self.query_one("#month", Input).focus()

    # ------------------------------------------------------------------ scan
    def action_scan(self) -> None:
        month, policy = self.query_one("#month", Input).value.strip(), self.policy
        self.query_one("#reasons", ReasonsList).clear()
        self.query_one("#status", Label).update(_("Scanning {month}...", month=month))
        self.run_service(lambda s: scan(s, policy, month), self.show, group="scan")

    def show(self, result: ScanResult) -> None:
        self.result = result
        items = items_of(result)
        self.items = {i.key: i for i in items}
        table = self.query_one("#hits", PagedTable)
        table.set_rows([self._row(i) for i in items])
        if items:
            table.focus()
        self._status()

    def _row(self, item: Item) -> Row:
        if item.hit is not None:
            finding = item.hit.message(self.lang)
            article = item.hit.article
        else:
            assert item.flag is not None
            finding = Text.assemble((_("manual") + ": ", "dim"), item.flag.detail or "-")
            article = "SZ-MT Art. 13"
        case = self.opened.get(item.key, "")
        if not case and item.flag is not None and item.flag.case_id is not None:
            case = _("open")
        trigger = self.policy.trigger(item.trigger)
        trigger_text = f"{item.number} {trigger.name(self.lang)}" if trigger else item.trigger
        return item.key, (item.enrollee_name, trigger_text, article, case, finding)

    def _status(self) -> None:
        if self.result is None:
            return
        table = self.query_one("#hits", PagedTable)
        n = len(self.items)
        if not n:
            text = _("{month}: no enrollee trips a trigger.", month=self.result.month)
        else:
            text = _("{month}: {findings}, {people}. {page}", month=self.result.month,
                     findings=n_("{n} finding", "{n} findings", n),
                     people=n_("{n} enrollee", "{n} enrollees", len(self.result.enrollee_ids)),
                     page=table.page_text())
        self.query_one("#status", Label).update(text)

    # ------------------------------------------------------------------ rows
    @on(PagedTable.Refilled, "#hits")
    def _refilled(self) -> None:
        self._status()

    @on(DataTable.RowHighlighted, "#hits")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        item = self.items.get(event.row_key.value or "")
        self.query_one("#detail", Static).update(self._detail(item) if item is not None else "")

    def _detail(self, item: Item) -> Text:
        """The whole row, the finding too (the table may cut it at 80 columns)."""
        _key, (name, trigger, article, case, finding) = self._row(item)
        return Text.assemble((f"{name}  {trigger}  [{article}]  ", "bold"), case and f"{case}  ", finding)
    def _current(self) -> Item | None:
        key = self.query_one("#hits", PagedTable).current_key()
        return self.items.get(key) if key else None

    def action_next_page(self) -> None:
        if self.query_one("#hits", PagedTable).next_page():
            self._status()

    def action_previous_page(self) -> None:
        if self.query_one("#hits", PagedTable).previous_page():
            self._status()

    def action_open_enrollee(self) -> None:
        if self.focused is self.query_one("#month", Input):
            self.action_scan()
            return
        item = self._current()
        if item is not None:
            self.casedesk.open_enrollee(item.enrollee_id)

    def action_open_case(self) -> None:
        item = self._current()
        if item is None:
            return
        question = _("Send an investigation notice to {name} for trigger {number} and open a case?",
                     name=item.enrollee_name, number=item.number)
        self.app.push_screen(ConfirmScreen(question), lambda yes: self._send_notice(item) if yes else None)

    def _send_notice(self, item: Item) -> None:
        actor, policy, on = self.actor, self.policy, self.today
        month = self.result.month if self.result else ""

        def work(session: Session) -> InvestigationCase:
            if item.flag is not None:
                return frozen(investigations.send_notice_for_flag(session, actor, policy, flag_id=item.flag.id,
                                                                  on=on))
            return frozen(investigations.send_notice_for_hit(session, actor, policy, enrollee_id=item.enrollee_id,
                                                             trigger=item.trigger, month=month, on=on))

        self.run_service(work, lambda case: self._case_opened(item, case), write=True, group="open_case")

    def _case_opened(self, item: Item, case: InvestigationCase) -> None:
        self.opened[item.key] = case.number
        table = self.query_one("#hits", PagedTable)
        if item.key in table.rows:
            table.update_cell(item.key, "case", case.number)
        self.notify(_("Case {number} opened for {name}; the enrollee is to come by {due}.",
                      number=case.number, name=item.enrollee_name,
                      due=due(case.notice_due, case.notice_due_provisional)),
                    title=case.number)
