"""Conflicts (issue 11 item 4): the operations made at this branch that the
centre refused, with the centre's reasons (article, field, message), from
:func:`core.sync.outbox.conflicts`. Reached from the worklist (Ctrl+K, or
Enter on a refused operation's row). ``t`` takes the centre's state (the
local effect is dropped, :func:`core.sync.resolve.take_central`, which needs
the link), ``r`` sends the operation again to be judged on the centre's
current state (:func:`core.sync.resolve.retry`). Nothing is ever dropped:
a resolved operation stays in the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Label

from core.errors import DomainError
from core.sync.outbox import Conflict, conflicts
from tui.i18n import N_, _
from tui.screens.base import BaseScreen
from tui.widgets.reasons import ReasonsList
from tui.widgets.table import FitTable


class ConflictsScreen(BaseScreen):
    TITLE_MSGID = N_("Refused by the centre")
    HELP_MSGID = N_("Operations made here that the centre refused, with its reasons. Their effect here is "
                    "provisional until resolved: t takes the centre's state, r sends the operation again.")
    NAV_LEVEL = 2
    HOLDS_FORMS = False

    BINDINGS = [
        Binding("t", "take_central", N_("Take centre's"), id="conflicts.take_central",
                tooltip=N_("Drop the local effect of the highlighted operation: the centre's state")),
        Binding("r", "retry", N_("Send again"), id="conflicts.retry",
                tooltip=N_("Send the highlighted operation again, judged on the centre's current state")),
        Binding("ctrl+r", "reload", N_("Reload"), id="conflicts.reload", tooltip=N_("Load the conflicts again")),
    ]

    def __init__(self, op_id: str = "") -> None:
        super().__init__()
        self.wanted = op_id
        self.rows: dict[str, Conflict] = {}
        self.result: tuple[Conflict, ...] | None = None

    def same_place(self, other) -> bool:
        return isinstance(other, ConflictsScreen)

    def compose_body(self) -> Iterable[Widget]:
        yield Label(_("Loading..."), classes="conflicts-status")
        yield FitTable(flex=("operation",), classes="conflicts-table")
        yield ReasonsList(classes="conflicts-reasons")

    def on_mount(self) -> None:
        table = self.query_one(FitTable)
        table.add_column(_("Operation"), key="op")
        table.add_column(_("Made"), key="made")
        table.add_column(_("By"), key="by")
        table.add_column(_("What"), key="operation")
        table.focus()
        self.load()

    def load(self) -> None:
        self.run_service(lambda s: conflicts(s), self.show, group="conflicts")

    def show(self, result: tuple[Conflict, ...]) -> None:
        self.result = result
        self.rows = {c.op_id: c for c in result}
        table = self.query_one(FitTable)
        table.clear()
        for c in result:
            table.add_row(Text(c.op_id[:8]), Text(c.local_at[:16].replace("T", " ")), Text(c.actor),
                          Text(c.service),
                          key=c.op_id)
        if self.wanted in self.rows:
            table.move_cursor(row=list(self.rows).index(self.wanted))
        status = self.query_one(".conflicts-status", Label)
        status.update(_("{count} operations refused by the centre", count=len(result)) if result
                      else _("Nothing refused: every operation made here reached the centre or waits to be sent."))
        self._detail(self._current())

    def _current(self) -> Conflict | None:
        table = self.query_one(FitTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return list(self.rows.values())[table.cursor_row]

    def _detail(self, c: Conflict | None) -> None:
        box = self.query_one(ReasonsList)
        if c is None:
            box.clear()
            return
        box.show_reasons(c.reasons, title=_("The centre's reasons"))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value if event.row_key is not None else None  # None while the table is cleared
        self._detail(self.rows.get(key or ""))

    def action_reload(self) -> None:
        self.load()

    def action_retry(self) -> None:
        c = self._current()
        if c is None:
            return
        from core.sync.resolve import retry_op

        actor = self.actor
        self.run_service(lambda s: retry_op(s, actor, c.op_id), self._resolved, write=True)

    def action_take_central(self) -> None:
        c = self._current()
        if c is None:
            return
        engine, actor = self.engine, self.actor

        def job() -> None:
            from core.sync.resolve import take_central

            try:
                done = take_central(engine, actor, c.op_id)
            except DomainError as exc:
                self.app.call_from_thread(self.show_refusal, exc)
                return
            self.app.call_from_thread(self._resolved, done)

        self.run_worker(job, thread=True, group="resolve")

    def _resolved(self, done: Conflict) -> None:
        how = _("the centre's state taken") if done.resolution == "take_central" else _("queued again for the centre")
        self.notify(_("Operation {op} resolved: {how}", op=done.op_id[:8], how=how))
        self.load()
