"""Snapshots of every screen (tests/tui_screens.py), in English and Chinese,
at 80x24 (pytest-textual-snapshot; refresh with
``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at them).

The data is fixed (tests/tui_support.py), the business date too; headless
apps draw no blinking cursor and no animation. Tables never keep a frame
drawn before their columns were measured (tui/widgets/table.py: the cause
of the flaky lookup snapshot on a loaded machine); docs/DEVELOPING.md has
the command that runs this suite ten times beside two busy cores.
"""

from __future__ import annotations

import pytest

from core.auth import Actor
from tui.app import create_app
from tui_screens import SCREENS
from tui_support import TODAY, build_scene

LANGS = ["en", "zh_CN"]


@pytest.fixture
def make(engine, build, clerk, policy):
    build_scene(build, engine)

    def _make(lang: str):
        app = create_app(engine, Actor("clerk1", "clerk", "futian"), policy, lang, today=TODAY)
        app.animation_level = "none"
        return app

    return _make


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_snapshot(snap_compare, make, screen, lang):
    app = make(lang)
    assert snap_compare(app, terminal_size=(80, 24), run_before=SCREENS[screen])
    assert app.failures == []
