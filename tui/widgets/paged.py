"""A DataTable that shows a long in-memory list one page at a time.

The rows are kept as plain tuples; only the current page is put into the
table (as many rows as fit), so a scan with thousands of hits stays fast.
PageDown / PageUp on the screen call :meth:`next_page` / :meth:`previous_page`.
When the table's height changes (the screen is laid out, resized, or the
detail line below it grows) the page is filled again to the rows that fit,
so a page never shows a few rows above blank lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import events
from textual.message import Message

from tui.i18n import _
from tui.widgets.table import FitTable

Row = tuple[str, Sequence[Any]]  # key, cells

DEFAULT_PAGE = 20


class PagedTable(FitTable):
    def __init__(self, *, flex: Sequence[str] = (), id: str | None = None, classes: str | None = None) -> None:
        super().__init__(flex=flex, id=id, classes=classes)
        self.all_rows: list[Row] = []
        self.page_offset = 0
        self.page_limit = DEFAULT_PAGE

    def fit(self) -> int:
        height = self.scrollable_content_region.height - 1
        return max(1, height) if height > 0 else DEFAULT_PAGE

    def set_rows(self, rows: list[Row]) -> None:
        self.all_rows = rows
        self.page_offset = 0
        self._fill()

    def _fill(self) -> None:
        self.page_limit = self.fit()
        row = self.cursor_row
        self.clear()
        for key, cells in self.all_rows[self.page_offset:self.page_offset + self.page_limit]:
            self.add_row(*cells, key=key)
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))

    def _on_resize(self, event: events.Resize) -> None:
        super()._on_resize(event)
        if self.all_rows and self.fit() != self.page_limit:
            self._fill()
            self.post_message(self.Refilled(self))

    class Refilled(Message):
        """The page was filled again to a new height (screens update their "1-20 of 45")."""

        def __init__(self, table: "PagedTable") -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> "PagedTable":
            return self.table

    @property
    def has_more(self) -> bool:
        return self.page_offset + self.page_limit < len(self.all_rows)

    def next_page(self) -> bool:
        if not self.has_more:
            return False
        self.page_offset += self.page_limit
        self._fill()
        return True

    def previous_page(self) -> bool:
        if self.page_offset == 0:
            return False
        self.page_offset = max(0, self.page_offset - self.page_limit)
        self._fill()
        return True

    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def page_text(self) -> str:
        total = len(self.all_rows)
        if not total:
            return ""
        last = min(total, self.page_offset + self.page_limit)
        text = _("{first}-{last} of {total}", first=self.page_offset + 1, last=last, total=total)
        return text + (_("; PgDn for more") if self.has_more else "")
