"""Legible at 80x24: every screen, in both languages, shows every number,
status, date and due date whole (issue 8; columns by priority, see
tui/widgets/table.py); only a table's flexible text column may be cut, and
its whole text is shown beside the table."""

from __future__ import annotations

import pytest
from textual.app import App

from core.auth import Actor
from tui.app import create_app
from tui.widgets.table import FitTable
from tui_screens import SCREENS, cut_cells, screen_lines
from tui_support import TODAY, build_scene


@pytest.fixture
def scene(engine, build, clerk, policy):
    build_scene(build, engine)
    return engine, policy


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("name", list(SCREENS))
async def test_priority_columns_are_never_cut_at_80x24(scene, name, lang):
    engine, policy = scene
    app = create_app(engine, Actor("clerk1", "clerk", "futian"), policy, lang, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await SCREENS[name](pilot)
        assert cut_cells(app) == []
        assert len(screen_lines(app)) == 24
    assert app.failures == []


class _Narrow(App[None]):
    """A table drawn too narrow for its number column, and one that fits."""

    def compose(self):
        yield FitTable(id="fit", flex=("what",))

    def on_mount(self) -> None:
        table = self.query_one(FitTable)
        table.add_column("Number", key="number")
        table.add_column("What", key="what")
        table.add_row("C-2026-114X6-450Q", "a long message " * 8)


async def test_the_cut_check_fails_on_a_cut_number():
    app = _Narrow()
    async with app.run_test(size=(40, 6)) as pilot:
        await pilot.pause()
        await pilot.pause()
        table = app.query_one(FitTable)
        assert table.is_cut("what") and not table.is_cut("number")
        assert cut_cells(app) == []  # the message gives up its width, the number stays whole
        table.flex = ()
        table.columns["number"].auto_width = False  # type: ignore[index]
        table.columns["number"].width = 6  # type: ignore[index]
        table._redraw()
        await pilot.pause()
        assert any("'number'" in p for p in cut_cells(app))
