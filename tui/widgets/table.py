"""A DataTable whose columns fit the screen by priority, and that never
draws stale column widths.

Every table of casedesk is a :class:`FitTable`. Two things differ from
Textual's ``DataTable``:

* **Columns by priority.** Numbers, statuses, dates and due dates are never
  cut. The columns named in ``flex`` (long text: a finding, a message, a
  disease name) give up their width, in order, when the row is wider than
  the table; they are cut with an ellipsis and the screen shows the whole
  text of the highlighted row beside the table. The other columns keep their
  natural width; if even they do not fit, the table scrolls sideways
  (Left / Right).
* **No stale widths.** ``DataTable`` measures new rows when it is idle
  (``_update_dimensions``) but keeps the rows it drew before that in its
  render caches, keyed by an update counter the measurement does not bump:
  on a loaded machine a frame drawn between ``add_row`` and the idle
  measurement stays on screen with every column as narrow as its header
  (the cause of the flaky lookup snapshot). :meth:`_update_dimensions`
  here bumps the counter, clears the caches and repaints whenever a width
  changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual import events
from textual.widgets import DataTable

#: a flexible column never shrinks below this many cells
MIN_FLEX = 8


class FitTable(DataTable):
    """``DataTable`` with priority columns (see the module docstring)."""

    def __init__(self, *, flex: Sequence[str] = (), id: str | None = None, classes: str | None = None,
                 **kwargs) -> None:
        kwargs.setdefault("cursor_type", "row")
        kwargs.setdefault("zebra_stripes", True)
        super().__init__(id=id, classes=classes, **kwargs)
        #: keys of the columns that may be cut, the first given up first
        self.flex = tuple(flex)

    # ------------------------------------------------------------------ widths
    def _room(self) -> int:
        """Cells available to the columns (the table's width less its scrollbar)."""
        return self.scrollable_content_region.width

    def _fit(self) -> bool:
        """Give the flexible columns what the priority columns leave; True if a width changed."""
        room = self._room()
        if room <= 0:
            return False
        pad = 2 * self.cell_padding
        natural = {key: col.content_width for key, col in self.columns.items()}
        total = sum(natural[k] + pad for k in natural) + self._row_label_column_width
        excess = max(0, total - room)
        changed = False
        for key in self.flex:
            col = self.columns.get(key)  # type: ignore[call-overload]
            if col is None:
                continue
            want = natural[key]
            cut = min(excess, max(0, want - MIN_FLEX))
            excess -= cut
            width = want - cut
            auto = cut == 0
            if col.auto_width != auto or (not auto and col.width != width):
                col.auto_width = auto
                col.width = width
                changed = True
        return changed

    def _update_dimensions(self, new_rows: Iterable) -> None:
        before = [(c.content_width, c.width, c.auto_width) for c in self.ordered_columns]
        super()._update_dimensions(new_rows)
        self._fit()
        if [(c.content_width, c.width, c.auto_width) for c in self.ordered_columns] != before:
            self._redraw()

    def _redraw(self) -> None:
        """Drop every cached row drawn with the old widths and repaint."""
        self._update_count += 1
        self._clear_caches()
        data_width = sum(c.get_render_width(self) for c in self.columns.values())
        self.virtual_size = self.virtual_size.with_width(data_width + self._row_label_column_width)
        self.refresh(layout=True)

    def _on_resize(self, event: events.Resize) -> None:
        super()._on_resize(event)
        if self._fit():
            self._redraw()

    # ------------------------------------------------------------------ reading
    def is_cut(self, key: str) -> bool:
        """True when the column ``key`` is drawn narrower than its widest cell."""
        col = self.columns.get(key)  # type: ignore[call-overload]
        return col is not None and not col.auto_width and col.width < col.content_width
