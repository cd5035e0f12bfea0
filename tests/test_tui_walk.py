"""No key crashes casedesk (issue 8, build item 1).

On the demo database, at 80x24, in English and in Chinese:

* the walk: from every screen, press every key bound there (the screen's,
  the focused field's, the F-keys) and run every command of the palette;
* the random keys: seeded streams of a thousand keys per language (bound keys,
  letters, digits, Tab, arrows, Enter, Escape) across the screens.

Either fails on any exception (Pilot re-raises what the app did not catch),
on any unexpected worker error (``app.failures``) and when the navigation
stack grows beyond its five levels plus the help and a question.
"""

from __future__ import annotations

import asyncio
import random
import shutil
from datetime import date

import pytest
from sqlalchemy import text

from core.auth import Actor
from core.db import init_database, make_engine
from core.demo import fill_demo
from core.policy import load_pack
from tui.app import create_app
from tui.screens.enrollee import WORKFLOW_KEYS
from textual.worker import WorkerCancelled, WorkerState

from tui_support import wait_until

TODAY = date(2026, 11, 22)
SIZE = (80, 24)
LANGS = ("en", "zh_CN")
#: keys never pressed: they leave the app (tested on their own) or suspend the process
NOT_PRESSED = {"ctrl+q", "ctrl+c", "ctrl+z"}
#: palette commands never run: Quit (tested on its own)
NOT_RUN = {"Quit", "退出"}
#: five navigation levels, the help, a yes/no question and the palette
MAX_DEPTH = 8
#: every screen the walk visits: name -> how to open it from home
SCREENS = ["lookup", "enrollee", "worklist", "monitoring", "eligibility", "batches",
           *[name for _key, name, _text, _tip in WORKFLOW_KEYS]]


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):
    """The demo (seed 2026) filled once; each test works on a copy."""
    path = tmp_path_factory.mktemp("walk") / "demo.db"
    eng, _created = init_database(f"sqlite:///{path}", demo=True)
    fill_demo(eng, load_pack(), seed=2026, enrollees=120, today=TODAY)
    with eng.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()
    return path


@pytest.fixture
def demo(demo_template, tmp_path, monkeypatch):
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    monkeypatch.setenv("CASEDESK_LOG_DIR", str(tmp_path / "logs"))
    # no downloads folder: the screenshot command saves under the data directory
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    eng = make_engine(f"sqlite:///{path}")
    with eng.connect() as c:
        # a suspended enrollee with a record book: most of the view is filled
        enrollee = c.execute(text(
            "SELECT e.id, e.card_number FROM enrollee e JOIN record_book b ON b.enrollee_id = e.id "
            "ORDER BY e.account_state = 'suspended' DESC, e.card_number LIMIT 1")).one()
    yield eng, str(enrollee[0]), enrollee[1]
    eng.dispose()


def make_app(eng, lang: str):
    return create_app(eng, Actor("li.review", "reviewer", "futian", "Li Ming"), load_pack(), lang, today=TODAY)


async def workers_done(app) -> None:
    """Every worker finished; an exclusive worker cancelled by a newer one
    (a picker reloaded, a search superseded) is expected, not a failure."""
    outcomes = await asyncio.gather(*(w.wait() for w in list(app.workers) if w.state != WorkerState.PENDING),
                                    return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, WorkerCancelled):
            raise outcome


async def settle(pilot) -> None:
    await workers_done(pilot.app)
    await pilot.pause()


def healthy(app, where: str) -> None:
    assert app._exception is None, f"{where}: {app._exception!r}"
    assert app.failures == [], f"{where}: {app.failures!r}"
    assert len(app.screen_stack) <= MAX_DEPTH, f"{where}: {[type(s).__name__ for s in app.screen_stack]}"


async def reach(pilot, name: str, enrollee_id: str):
    """Open screen ``name`` the way navigation does (switching back to what
    is still open on the path); the screen."""
    app = pilot.app
    for screen in app.screen_stack:
        if hasattr(screen, "mark_clean"):
            screen.mark_clean()
    while type(app.screen).__name__ in ("CommandPalette", "ConfirmScreen", "HelpScreen"):
        app.pop_screen()
    if name == "lookup":
        app.action_home()
    elif name == "enrollee":
        app.open_enrollee(enrollee_id)
    elif name == "worklist":
        app.action_worklist()
    elif name == "monitoring":
        app.action_monitoring()
    elif name == "batches":
        app.open_workflow("batches")
    else:  # a workflow of the enrollee (over the enrollee view when it is still open)
        app.open_workflow(name, enrollee_id)
    await settle(pilot)
    return app.screen


def bound_keys(screen) -> list[str]:
    keys = {key for key, active in screen.active_bindings.items() if active.enabled}
    keys |= {"f1", "f2", "f3", "f4", "f5", "escape", "enter", "tab"}
    return sorted(keys - NOT_PRESSED)


async def back_to(pilot, screen, name: str, enrollee_id: str):
    """``screen`` on top again: close what opened over it (as Escape would),
    or open it anew when the key left it."""
    app = pilot.app
    if app.screen is screen:
        return screen
    if screen in app.screen_stack:
        for s in app.screen_stack:
            if hasattr(s, "mark_clean"):
                s.mark_clean()
        while app.screen is not screen:
            app.pop_screen()
        await settle(pilot)
        return screen
    return await reach(pilot, name, enrollee_id)


# one test per screen and language, so the walk spreads over every core
@pytest.mark.parametrize("name", SCREENS)
@pytest.mark.parametrize("lang", LANGS)
async def test_every_key_and_command_on_every_screen(demo, lang, name):
    eng, enrollee_id, _card = demo
    app = make_app(eng, lang)
    pressed = commands = 0
    async with app.run_test(size=SIZE) as pilot:
        screen = await reach(pilot, name, enrollee_id)
        for key in bound_keys(screen):
            screen = await back_to(pilot, screen, name, enrollee_id)
            await pilot.press(key)  # waits until the screen has handled it
            await workers_done(app)
            pressed += 1
            healthy(app, f"{lang} {name} {key}")
        # the palette: Textual's and casedesk's own commands in both
        # languages; the commands that run a key of the screen in English
        # (the same action as the key pressed above, through the palette)
        screen = await back_to(pilot, screen, name, enrollee_id)
        own = {c.title for c in app.get_system_commands(screen)} - {c.title for c in app.binding_commands(screen)}
        titles = [c.title for c in app.get_system_commands(screen)
                  if c.title not in NOT_RUN and (lang == "en" or c.title in own)]
        for title in titles:
            screen = await back_to(pilot, screen, name, enrollee_id)
            command = next((c for c in app.get_system_commands(screen) if c.title == title), None)
            if command is None:  # not offered in this state (e.g. Minimize)
                continue
            result = command.callback()
            if hasattr(result, "__await__"):
                await result
            await settle(pilot)
            if title in ("Screenshot", "截图"):
                await pilot.pause(0.15)  # the command waits 0.1 s
            commands += 1
            healthy(app, f"{lang} {name} palette {title!r}")
        await pilot.press("ctrl+q")
    assert app._exception is None
    # more than the eight global keys every screen gets, and the palette ran
    assert pressed > 8 and commands >= 4, (pressed, commands)


#: what a person's hands hit: bound keys, letters, digits, moving and leaving
ALPHABET = (list("abcdefghijklmnopqrstuvwxyz0123456789 -") +
            ["tab", "shift+tab", "enter", "escape", "up", "down", "left", "right", "pageup", "pagedown",
             "backspace", "home", "end", "f1", "f2", "f3", "f4", "f5", "ctrl+p",
             "ctrl+r", "ctrl+s", "ctrl+n", "ctrl+o", "ctrl+t", "ctrl+l", "ctrl+b", "ctrl+e", "ctrl+f",
             "ctrl+g", "ctrl+w", "ctrl+x", "ctrl+d", "ctrl+k", "ctrl+u"])
#: keys per run; two seeded runs per language (1,000 keys each language),
#: apart so they spread over the cores
RANDOM_KEYS = 500


@pytest.mark.parametrize("run", (1, 2))
@pytest.mark.parametrize("lang", LANGS)
async def test_random_keys_never_crash(demo, lang, run):
    eng, enrollee_id, card = demo
    rng = random.Random(f"casedesk-{lang}" if run == 1 else f"casedesk-{lang}-{run}")
    app = make_app(eng, lang)
    async with app.run_test(size=SIZE) as pilot:
        pilot.app.open_enrollee(enrollee_id)
        for i in range(RANDOM_KEYS):
            if type(app.screen).__name__ == "LookupScreen" and rng.random() < 0.05:
                await pilot.press(*card, "enter")  # back into an enrollee now and then
            key = rng.choice(ALPHABET)
            await pilot.press(key)
            if i % 25 == 0:
                await settle(pilot)
            healthy(app, f"{lang} key {i} {key!r} on {type(app.screen).__name__}")
        await settle(pilot)
        healthy(app, f"{lang} end")
    assert app._exception is None
