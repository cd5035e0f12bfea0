"""Snapshots of the lookup, the enrollee view and the quick check, in English
and Chinese, at 80x24 (pytest-textual-snapshot; refresh with
``pytest tests/test_tui_snapshots.py --snapshot-update`` and look at them).

The data is fixed (tests/tui_support.py), the business date too; headless
apps draw no blinking cursor and no animation."""

from __future__ import annotations

import pytest

from core.auth import Actor
from tui.app import create_app
from tui_support import TODAY, build_scene, settle, wait_until

LANGS = ["en", "zh_CN"]


@pytest.fixture
def make(engine, build, clerk, policy):
    build_scene(build, engine)

    def _make(lang: str):
        app = create_app(engine, Actor("clerk1", "clerk", "futian"), policy, lang, today=TODAY)
        app.animation_level = "none"
        return app

    return _make


async def _lookup(pilot) -> None:
    await pilot.press(*"SZ202600")
    # the page of the whole query: a partial query may finish first on a slow machine
    await wait_until(pilot, lambda: pilot.app.screen.page is not None and pilot.app.screen.page.query == "SZ202600")
    await settle(pilot)


async def _enrollee(pilot) -> None:
    await _lookup(pilot)
    await pilot.press("enter")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "overview", None) is not None)
    await settle(pilot)


async def _quick_check(pilot) -> None:
    await _enrollee(pilot)
    await pilot.press("f2")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "result", None) is not None)
    await settle(pilot)


@pytest.mark.parametrize("lang", LANGS)
def test_snapshot_lookup(snap_compare, make, lang):
    assert snap_compare(make(lang), terminal_size=(80, 24), run_before=_lookup)


@pytest.mark.parametrize("lang", LANGS)
def test_snapshot_enrollee(snap_compare, make, lang):
    assert snap_compare(make(lang), terminal_size=(80, 24), run_before=_enrollee)


@pytest.mark.parametrize("lang", LANGS)
def test_snapshot_quick_check(snap_compare, make, lang):
    assert snap_compare(make(lang), terminal_size=(80, 24), run_before=_quick_check)
