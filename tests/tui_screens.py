"""Keys-only ways to every screen of the app, on the scene of tests/tui_support.py.

``SCREENS`` maps a screen's name to a coroutine that drives a fresh app
(showing the lookup) to that screen with its data loaded and drawn, so the
snapshot, width and language tests visit every screen the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tui_support import settle, wait_until

CARD = "SZ20260001"  # Wang Fang: suspended, two certificates, book, filing, open case


def _on(pilot, name: str) -> bool:
    return type(pilot.app.screen).__name__ == name


async def lookup(pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.focused is not None and pilot.app.focused.id == "search")
    await pilot.press(*"SZ202600")
    # the page of the whole query: a partial query may finish first on a slow machine
    await wait_until(pilot, lambda: pilot.app.screen.page is not None and pilot.app.screen.page.query == "SZ202600")
    await settle(pilot)


async def enrollee(pilot) -> None:
    await wait_until(pilot, lambda: pilot.app.focused is not None and pilot.app.focused.id == "search")
    await pilot.press(*CARD)
    await wait_until(pilot, lambda: pilot.app.screen.page is not None and pilot.app.screen.page.query == CARD)
    await pilot.press("enter")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "overview", None) is not None)
    await settle(pilot)


def _go(key: str, screen: str, ready: Callable[[object], bool] | None = None, start=None):
    """From ``start`` (default: the lookup), press ``key``; wait for ``screen`` and ``ready``."""
    async def go(pilot) -> None:
        if start is not None:
            await start(pilot)
        else:
            await wait_until(pilot, lambda: pilot.app.focused is not None)
        await pilot.press(key)
        await wait_until(pilot, lambda: _on(pilot, screen))
        if ready is not None:
            await wait_until(pilot, lambda: ready(pilot.app.screen))
        await settle(pilot)

    return go


def _from_enrollee(key: str, screen: str, ready: Callable[[object], bool] | None = None):
    return _go(key, screen, ready, start=enrollee)


async def monitoring(pilot) -> None:
    await _go("f5", "MonitoringScreen")(pilot)
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: pilot.app.screen.result is not None)
    await settle(pilot)


async def settlement(pilot) -> None:
    """From the palette: its translated title typed, Enter."""
    from tui.i18n import _

    await wait_until(pilot, lambda: pilot.app.focused is not None)
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: _on(pilot, "CommandPalette"))
    await pilot.press(*_("Settlement"))
    await settle(pilot)
    await pilot.press("enter")
    await wait_until(pilot, lambda: _on(pilot, "SettlementScreen") and pilot.app.screen.report is not None)
    await settle(pilot)


SCREENS: dict[str, Callable[[object], Awaitable[None]]] = {
    "lookup": lookup,
    "enrollee": enrollee,
    "quick_check": _go("f2", "QuickCheckScreen", lambda s: s.result is not None, start=enrollee),
    "help": _go("f1", "HelpScreen", start=enrollee),
    "worklist": _go("f4", "WorklistScreen", lambda s: s.result is not None),
    "conflicts": _go("ctrl+k", "ConflictsScreen", lambda s: s.result is not None,
                     start=_go("f4", "WorklistScreen", lambda s: s.result is not None)),
    "monitoring": monitoring,
    "history": _from_enrollee("y", "HistoryScreen", lambda s: s.result is not None),
    "certificates": _from_enrollee("c", "CertificatesScreen"),
    "books": _from_enrollee("b", "BooksScreen"),
    "replacements": _from_enrollee("r", "ReplacementsScreen"),
    "offsite": _from_enrollee("o", "OffsiteScreen"),
    "health_centre": _from_enrollee("h", "HealthCentreScreen"),
    "investigations": _from_enrollee("i", "InvestigationsScreen", lambda s: s.subject is not None),
    "facts": _from_enrollee("f", "FactsScreen", lambda s: s.subject is not None),
    "stays": _from_enrollee("s", "StaysScreen", lambda s: s.subject is not None),
    "claims": _from_enrollee("m", "ClaimsScreen", lambda s: s.subject is not None),
    "settlement": settlement,
}


def screen_lines(app) -> list[str]:
    """What the terminal shows, as plain text lines (the whole screen)."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, color_system=None,
                      record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False).splitlines()


def _plain(value) -> str:
    from rich.text import Text

    return value.plain if isinstance(value, Text) else str(value)


def cut_cells(app) -> list[str]:
    """Every priority cell that the screen does not show whole.

    For each table on the screen (``DataTable``; a ``FitTable`` names its
    flexible columns, the only ones allowed to be cut), each visible row's
    line on screen must hold the whole text of every other cell. And no
    ellipsis may appear on screen outside a table's flexible column."""
    from textual.widgets import DataTable

    lines = screen_lines(app)
    problems: list[str] = []
    allowed_rows: set[int] = set()
    for table in app.screen.query(DataTable):
        if not table.display or table.region.height == 0:
            continue
        flex = set(getattr(table, "flex", ()))
        top = table.region.y + (table.header_height if table.show_header else 0) - int(table.scroll_y)
        for index in range(table.row_count):
            y = top + index
            if not table.region.y <= y < table.region.bottom:
                continue
            allowed_rows.add(y)
            row_key = table._row_locations.get_key(index)
            for column, value in zip(table.ordered_columns, table.get_row(row_key)):
                text = _plain(value).strip()
                if column.key.value in flex or not text:
                    continue
                if text not in lines[y]:
                    problems.append(f"#{table.id} row {index} column {column.key.value!r}: {text!r} "
                                    f"not whole on screen: {lines[y]!r}")
    for y, line in enumerate(lines):
        if "\u2026" in line and y not in allowed_rows:
            problems.append(f"line {y} is cut: {line!r}")
    return problems
