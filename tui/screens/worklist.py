"""Worklist (F4): everything due, by due date, from :func:`core.services.worklist.worklist`.

Scope: the caseworker's branch (or everything, for a caseworker with no
branch); Ctrl+T cycles branch / my cases / all. Overdue items are marked,
provisional deadlines say so. Enter opens the item's enrollee.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Label, Static

from core.rules.worklist import SYNC_CONFLICT
from core.services.worklist import WorkItem, Worklist, worklist
from tui.i18n import N_, _
from tui.labels import due, label
from tui.screens.base import BaseScreen
from tui.widgets.paged import PagedTable, Row

SCOPES = ("branch", "mine", "all")
SCOPE_LABELS = {
    "branch": N_("branch {branch}"),
    "mine": N_("my cases"),
    "all": N_("all branches"),
}


class WorklistScreen(BaseScreen):
    TITLE_MSGID = N_("Worklist")
    HELP_MSGID = N_("Everything due, earliest first: case deadlines, certificate renewals, monthly batches, "
                    "operations the centre refused. Enter opens the enrollee (or the refused operation); "
                    "Ctrl+T changes whose items are listed; Ctrl+K lists the refused operations.")
    CSS_PATH = "worklist.tcss"
    NAV_LEVEL = 1
    HOLDS_FORMS = False

    BINDINGS = [
        Binding("enter", "open", N_("Open"), id="worklist.open", key_display="Enter", priority=True,
                tooltip=N_("Open the enrollee of the highlighted item")),
        Binding("ctrl+k", "conflicts", N_("Conflicts"), id="worklist.conflicts",
                tooltip=N_("Operations made here that the centre refused")),
        Binding("ctrl+t", "scope", N_("Scope"), id="worklist.scope",
                tooltip=N_("Cycle: my branch, my cases, all branches")),
        Binding("ctrl+r", "reload", N_("Reload"), id="worklist.reload", tooltip=N_("Load the worklist again")),
        Binding("pagedown", "next_page", N_("Next page"), id="worklist.next_page", priority=True,
                key_display="PgDn", tooltip=N_("Show the next page of items")),
        Binding("pageup", "previous_page", N_("Prev page"), id="worklist.previous_page", priority=True,
                key_display="PgUp", tooltip=N_("Show the previous page of items")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.scope = "all"
        self.result: Worklist | None = None
        self.items: dict[str, WorkItem] = {}

    def compose_body(self) -> Iterable[Widget]:
        yield Label(_("Loading..."), id="status")
        yield PagedTable(id="items", flex=("what", "enrollee"))
        yield Static("", id="detail")

    def on_mount(self) -> None:
        table = self.query_one("#items", PagedTable)
        table.add_column(_("Due"), key="due")
        table.add_column(_("Enrollee"), key="enrollee")
        table.add_column(_("Record"), key="record")
        table.add_column(_("Article"), key="article")
        table.add_column(_("What"), key="what")
        table.focus()
        self.scope = "branch" if self.actor.branch else "all"
        self.load()

    def load(self) -> None:
        policy, on, scope = self.policy, self.today, self.scope
        branch = self.actor.branch if scope == "branch" else None
        caseworker = self.actor.username if scope == "mine" else None
        self.query_one("#status", Label).update(_("Loading..."))
        self.run_service(lambda s: worklist(s, policy, on=on, branch=branch, caseworker=caseworker),
                         self.show, group="worklist")

    def show(self, result: Worklist) -> None:
        self.result = result
        self.items = {f"{i}": item for i, item in enumerate(result.items)}
        self.query_one("#items", PagedTable).set_rows([self._row(k, it) for k, it in self.items.items()])
        self._status()

    def _row(self, key: str, item: WorkItem) -> Row:
        when = Text(due(item.due, item.provisional))
        if item.overdue:
            when = Text.assemble((_("OVERDUE") + " ", "bold red"), when)
        return key, (when, item.enrollee_name or "-", item.record, item.article, item.message(self.lang))

    def _status(self) -> None:
        if self.result is None:
            return
        scope = _(SCOPE_LABELS[self.scope], branch=label("branch", self.actor.branch) or "-")
        table = self.query_one("#items", PagedTable)
        if not self.result.items:
            text = _("Nothing due ({scope}).", scope=scope)
        else:
            text = _("{scope}: {page}", scope=scope, page=table.page_text())
            if self.result.more is None:  # more than fit, not counted (core.services.worklist)
                text += _(" (more not listed)")
            elif self.result.more:
                text += _(" ({more} more not listed)", more=self.result.more)
        self.query_one("#status", Label).update(text)

    @on(PagedTable.Refilled, "#items")
    def _refilled(self) -> None:
        self._status()

    @on(DataTable.RowHighlighted, "#items")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        item = self.items.get(event.row_key.value or "")
        detail = self.query_one("#detail", Static)
        if item is None:
            detail.update("")
            return
        detail.update(Text.assemble((f"[{item.article}] ", "bold"), item.message(self.lang)))

    def action_open(self) -> None:
        key = self.query_one("#items", PagedTable).current_key()
        item = self.items.get(key) if key else None
        if item is not None and item.kind == SYNC_CONFLICT:
            self.action_conflicts(item.record_id)
        elif item is not None and item.enrollee_id is not None:
            self.casedesk.open_enrollee(item.enrollee_id)

    def action_conflicts(self, op_id: str = "") -> None:
        from tui.screens.conflicts import ConflictsScreen

        self.casedesk.go(ConflictsScreen(op_id))

    def action_scope(self) -> None:
        self.scope = SCOPES[(SCOPES.index(self.scope) + 1) % len(SCOPES)]
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_next_page(self) -> None:
        if self.query_one("#items", PagedTable).next_page():
            self._status()

    def action_previous_page(self) -> None:
        if self.query_one("#items", PagedTable).previous_page():
            self._status()
