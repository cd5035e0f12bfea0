"""Home: find an enrollee by ID number, social-security card number or name.

Results come as the caseworker types (a number at once, a name after a short
debounce), from
:func:`core.services.lookup.search` in a thread worker (exclusive: a newer
key supersedes the search still running), one page at a time (a page is as
many rows as the table shows; PageDown / PageUp turn pages by keyset: the
next page starts after the last row shown, so page 50 comes as fast as
page 1; the markers of the pages before are kept for PageUp).
ID and card numbers are masked in the list. Enter opens the enrollee.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label

from core.services.lookup import PAGE_SIZE, LookupPage, is_number, search
from tui.i18n import N_, _
from tui.labels import label
from tui.screens.base import BaseScreen
from tui.widgets.table import FitTable

#: a name waits this long for the next key (a whole ID or card number searches at once):
#: long enough to skip the searches of a word typed at speed, short enough that the
#: results come within 150 ms of the last key (python -m bench measures it)
DEBOUNCE_SECONDS = 0.06
MAX_PAGE = 100


class LookupScreen(BaseScreen):
    TITLE_MSGID = N_("Enrollee lookup")
    HELP_MSGID = N_("Type any number from a card or a form (ID, social-security card, certificate, record book, "
                    "case or voucher; spaces, dashes and full-width digits are fine), or part of a name, or its "
                    "pinyin or initials; results appear as you type. Enter opens the highlighted enrollee.")
    CSS_PATH = "lookup.tcss"
    CAN_GO_BACK = False
    NAV_LEVEL = 0
    HOLDS_FORMS = False

    BINDINGS = [
        Binding("escape", "clear", N_("Clear"), id="lookup.clear", tooltip=N_("Clear the search box")),
        Binding("enter", "open", N_("Open"), id="lookup.open", priority=True, key_display="Enter",
                tooltip=N_("Open the highlighted enrollee")),
        Binding("pagedown", "next_page", N_("Next page"), id="lookup.next_page", priority=True,
                key_display="PgDn", tooltip=N_("Show the next page of results")),
        Binding("pageup", "previous_page", N_("Prev page"), id="lookup.previous_page", priority=True,
                key_display="PgUp", tooltip=N_("Show the previous page of results")),
        Binding("down", "cursor_down", N_("Next row"), id="lookup.cursor_down", show=False,
                tooltip=N_("Highlight the next result")),
        Binding("up", "cursor_up", N_("Previous row"), id="lookup.cursor_up", show=False,
                tooltip=N_("Highlight the previous result")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.page: LookupPage | None = None
        self.pending: str | None = None
        self._timer: Timer | None = None
        self._open_when_ready = False
        #: the ``after`` marker of each page shown so far for this query (None: the first page)
        self._markers: list[str | None] = [None]
        self.page_index = 0

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="search-row"):
            yield Label(_("Find:"), id="search-label")
            yield Input(placeholder=_("ID, card, certificate, book, case or voucher number; part of a name; pinyin"), id="search", compact=True)
        yield Label(_("Type to search. Nothing is loaded until you do."), id="status")
        yield FitTable(id="results", flex=("scheme", "name"))

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        table.add_column(_("Name"), key="name")
        table.add_column(_("ID number"), key="id")
        table.add_column(_("Card"), key="card")
        table.add_column(_("Scheme"), key="scheme")
        table.add_column(_("Account"), key="account")
        table.add_column(_("Born"), key="born")
        self.query_one("#search", Input).focus()

    # ------------------------------------------------------------------ searching
    @on(Input.Changed, "#search")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        query = event.value.strip()
        if not query:
            self.pending = None
            self.workers.cancel_group(self, "lookup")
            self._show_page(None)
            return
        self.pending = query
        self._markers = [None]
        if is_number(query):  # an indexed equality or prefix: no reason to wait for more keys
            self.search(query, 0)
            return
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self._debounced)

    def _debounced(self) -> None:
        self._timer = None
        if self.pending is not None:
            self.search(self.pending, 0)

    def page_size(self) -> int:
        height = self.query_one("#results", DataTable).scrollable_content_region.height - 1
        return max(1, min(MAX_PAGE, height)) if height > 0 else PAGE_SIZE

    def search(self, query: str, page_index: int) -> None:
        """Look up page ``page_index`` (from 0) of ``query`` in a thread worker,
        after the marker the page before it gave."""
        self.pending = query
        self.page_index = page_index
        self.query_one("#status", Label).update(_("Searching..."))
        limit = self.page_size()
        policy = self.policy
        after = self._markers[page_index] if page_index < len(self._markers) else None
        self.run_service(lambda s: search(s, query, after=after, limit=limit, policy=policy), self._show_page,
                         group="lookup")

    def _show_page(self, page: LookupPage | None) -> None:
        if self._timer is None:  # a newer query still waiting for its debounce stays pending
            self.pending = None
        self.page = page
        if page is not None and page.next_after:
            del self._markers[self.page_index + 1:]
            self._markers.append(page.next_after)
        table = self.query_one("#results", DataTable)
        table.clear()
        status = self.query_one("#status", Label)
        if page is None:
            status.update(_("Type to search. Nothing is loaded until you do."))
            return
        for r in page.rows:
            account = Text(label("account_state", r.account_state))
            if r.account_state == "suspended":
                account.stylize("bold red")
            table.add_row(r.name, r.id_masked, r.card_masked, label("scheme", r.scheme), account,
                          r.birth_date or "-", key=r.id)
        status.update(self._status_text(page))
        if page.hits:  # a document number: what it is, or what became of it and what replaced it
            status.update(Text("  ".join(h.note.message(self.lang) for h in page.hits)))
        if self._open_when_ready:
            self._open_when_ready = False
            self.action_open()

    def _status_text(self, page: LookupPage) -> str:
        index = self.page_index
        if not page.rows:
            return _("No enrollee matches {query}.", query=page.query) if index == 0 else _("No more results.")
        first = index * page.limit + 1
        last = first + len(page.rows) - 1
        page_no = index + 1
        if page.has_more:
            return _("Page {page}: results {first}-{last}; PgDn for more.", page=page_no, first=first, last=last)
        return _("Page {page}: results {first}-{last}.", page=page_no, first=first, last=last)

    # ------------------------------------------------------------------ actions
    def action_next_page(self) -> None:
        if self.page is not None and self.page.has_more:
            self.search(self.page.query, self.page_index + 1)

    def action_previous_page(self) -> None:
        if self.page is not None and self.page_index > 0:
            self.search(self.page.query, self.page_index - 1)

    def action_cursor_down(self) -> None:
        self.query_one("#results", DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one("#results", DataTable).action_cursor_up()

    def action_clear(self) -> None:
        self.query_one("#search", Input).value = ""
        self.query_one("#search", Input).focus()

    def action_open(self) -> None:
        """Open the highlighted enrollee; if a search is still on its way
        (typed, then Enter at once), open its first result when it comes."""
        if self.pending is not None:
            self._open_when_ready = True
            if self._timer is not None:
                self._timer.stop()
                self._debounced()
            return
        table = self.query_one("#results", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        if key.value:
            self.casedesk.open_enrollee(key.value)
