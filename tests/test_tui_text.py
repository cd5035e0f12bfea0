"""User text is text (issue 8, build item 2), and a crash tells nothing
personal (item 1).

Names, reasons and details that hold markup brackets, ANSI colour codes,
OSC sequences and bidi marks are shown literally: never parsed as markup
(``Evil[/x]`` crashed the lookup, ``[reverse blink]`` rendered styled) and no
control character reaches the terminal. Names with brackets are legal and
are registered through the service; control characters are refused in new
text, so the enrollees that carry them stand for rows an older import left in
the database.
"""

from __future__ import annotations

import os
import re
import stat
from datetime import date, datetime, timezone

import pytest
from textual.widgets import DataTable

from conftest import make_id_number
from core.audit import record
from core.auth import Actor
from core.db import write_session
from core.services import registry
from tui.app import create_app
from tui.crash import write_crash_log
from tui.text import UNSAFE
from tui_support import TODAY, settle, wait_until

SIZE = (80, 24)
BRACKETS = ["Evil[/x]", "[b]Bold[/b]", "[reverse blink]Blink[/]"]
CONTROLS = ["Red\x1b[31mX", "Osc\x1b]0;pwned\x07Y", "Rtl\u202eabc\u200f", "Bell\x07\x08Z", "Csi\x9b2J"]
#: what casedesk itself writes: SGR colours and cursor moves
OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\d+;\d+H|\x1b\[\?\d+[hl]|\r?\n")


def shown_as(text: str) -> str:
    """What the terminal shows of ``text``: every character but the controls."""
    return UNSAFE.sub("", text)


def terminal_output(app) -> str:
    """What the app would write to the terminal for the whole screen now."""
    update = app.screen._compositor.render_full_update()
    return update.render_segments(app.console)


def screen_plain(app) -> str:
    return OWN_SEQUENCES.sub("\n", terminal_output(app))


def assert_safe(app) -> None:
    leftover = OWN_SEQUENCES.sub("", terminal_output(app))
    bad = UNSAFE.findall(leftover)
    assert not bad, f"control characters reached the terminal: {sorted(set(map(repr, bad)))}"


@pytest.fixture
def people(engine, build, clerk):
    """One enrollee per tricky name: brackets through the service, controls as old rows."""
    actor = Actor("clerk1", "clerk", "futian")
    ids = {}
    with write_session(engine) as s:
        for i, name in enumerate(BRACKETS):
            e = registry.add_enrollee(s, actor, id_number=make_id_number(date(1970, 1, 1 + i), seq=500 + i),
                                      card_number=f"SZ7{i:07d}", name=name, scheme="comprehensive",
                                      today=TODAY)
            ids[name] = e.id
    # rows written before the free-text rule (core.text) refused controls: the
    # ORM would refuse them now, so the old names are put in with plain SQL
    from sqlalchemy import text as sql

    for i, name in enumerate(CONTROLS):
        e = build.enrollee(name=f"Old Row {i}", card_number=f"SZ8{i:07d}")
        with engine.begin() as c:
            c.execute(sql("UPDATE enrollee SET name = :n WHERE id = :id"), {"n": name, "id": e.id.hex})
        ids[name] = e.id
    return ids


def make_app(engine, policy, lang="en"):
    return create_app(engine, Actor("clerk1", "clerk", "futian"), policy, lang, today=TODAY)


async def look_up(pilot, query: str) -> None:
    await pilot.press(*query)
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "page", None) is not None
                     and pilot.app.screen.page.query == query)
    await settle(pilot)


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
async def test_names_with_markup_and_controls_are_shown_literally(engine, policy, people, lang):
    app = make_app(engine, policy, lang)
    async with app.run_test(size=SIZE) as pilot:
        for i, name in enumerate(BRACKETS + CONTROLS):
            await pilot.press("f3", "escape")
            card = next(f"SZ{p}{j:07d}" for p, group in ((7, BRACKETS), (8, CONTROLS))
                        for j, n in enumerate(group) if n == name)
            await look_up(pilot, card)
            table = app.screen.query_one("#results", DataTable)
            assert table.row_count == 1
            assert shown_as(name)[:8] in screen_plain(app)  # the Name column may cut it
            assert_safe(app)
            await pilot.press("enter")
            await wait_until(pilot, lambda: getattr(app.screen, "overview", None) is not None)
            await pilot.pause()
            shown = screen_plain(app)
            assert shown_as(name) in shown, (name, shown)  # the title and the identity line, literally
            assert_safe(app)
    assert app.failures == []


async def test_reasons_and_details_in_history_are_literal(engine, policy, people):
    # the audit trail refuses control characters since core.text (and its rows
    # are append-only), so reasons and details carry markup; names above carry controls
    evil = "[b]loud[/b] [reverse blink]red[/] [link=x]flip[/link]"
    target = people["Evil[/x]"]
    with write_session(engine) as s:
        ev = record(s, Actor("clerk1", "clerk", "futian"), "enrollee.update", entity="enrollee", entity_id=target,
                    before={"address": "[i]old[/i]"}, after={"address": evil}, reason=evil,
                    article="SZ-MT Art. 4", enrollee_id=target)
        ev.at = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        app.open_enrollee(target)
        await wait_until(pilot, lambda: getattr(app.screen, "overview", None) is not None)
        await pilot.press("y")
        await wait_until(pilot, lambda: getattr(app.screen, "result", None) is not None)
        await settle(pilot)
        assert_safe(app)
        # the reason, literally (the Why column may cut it; markup would eat the brackets)
        await wait_until(pilot, lambda: "[b]loud" in screen_plain(app))
        await pilot.press("down", "enter")  # the detail of the update (the second, older event)
        await settle(pilot)
        assert_safe(app)
        await wait_until(pilot, lambda: "[i]old[/i]" in screen_plain(app))
        assert_safe(app)
    assert app.failures == []


@pytest.mark.parametrize("size", [SIZE, (160, 50)])
async def test_a_toast_is_plain_and_at_most_three_lines(engine, policy, size):
    app = make_app(engine, policy)
    async with app.run_test(size=size, notifications=True) as pilot:
        app.notify("[b]Evil[/x] \x1b[31m " + "word " * 200, title="[i]t[/i]")
        await pilot.pause()
        note = list(app._notifications)[-1]
        assert note.markup is False
        assert "\x1b" not in note.message and note.message.startswith("[b]Evil[/x] ?[31m")
        assert note.message.endswith("...")
        await wait_until(pilot, lambda: bool(app.screen.query("Toast")))
        await pilot.pause()
        toast = app.screen.query("Toast").last()
        # title line + at most three lines of text
        assert toast.size.height <= 1 + 3, toast.size
        assert_safe(app)


async def test_a_crash_shows_one_line_and_logs_without_locals_or_id_numbers(engine, policy, tmp_path, monkeypatch,
                                                                            capsys):
    monkeypatch.setenv("CASEDESK_LOG_DIR", str(tmp_path / "logs"))
    secret_id = make_id_number(date(1960, 5, 17), seq=11)

    def explode() -> None:
        name_and_number = f"Wang Fang {secret_id}"  # a local a traceback with locals would print
        raise RuntimeError(f"broken for {secret_id}: {len(name_and_number)}")

    app = make_app(engine, policy)
    with pytest.raises(RuntimeError):
        async with app.run_test(size=SIZE) as pilot:
            app.call_later(explode)
            await pilot.pause()
            await pilot.pause()
    assert app.return_code == 1
    shown = capsys.readouterr().err  # what the terminal got
    assert "unexpected error" in shown and secret_id not in shown and "Wang Fang" not in shown
    logs = list((tmp_path / "logs").glob("casedesk.log"))
    assert len(logs) == 1
    assert stat.S_IMODE(os.stat(logs[0]).st_mode) == 0o600
    text = logs[0].read_text(encoding="utf-8")
    assert "RuntimeError" in text and "explode" in text
    assert secret_id not in text and secret_id[:4] + "**********" + secret_id[-4:] in text
    assert "Wang Fang" not in text  # no locals


def test_a_crash_log_that_cannot_be_written_is_said_so(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("CASEDESK_LOG_DIR", str(blocker / "sub"))
    assert write_crash_log(RuntimeError("x")) is None
