"""The lookup screen as the counter uses it: a number searches at once (no
debounce), a void record book number says since when and what replaced it
(SZ-MD Art. 5) in full at 80×24, and the prompt says what can be searched."""

from __future__ import annotations

from datetime import date

import pytest
from textual.geometry import Region
from textual.widgets import DataTable, Input, Label

import tui.screens.lookup as lookup_screen
from certificate_world import make_world
from core.auth import Actor
from core.db import write_session
from core.services import books, replacements
from tui.app import create_app
from tui_support import wait_until

SIZE = (80, 24)
ON, LOST = date(2026, 3, 10), date(2026, 6, 1)


def make_app(engine, policy, lang: str = "en", today: date = LOST):
    return create_app(engine, Actor("clerk1", "clerk", "futian"), policy, lang, today=today)


def shown(widget) -> str:
    """What ``widget`` draws on the terminal, line by line, as plain text."""
    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join(strip.text.rstrip() for strip in strips)


@pytest.fixture
def void_book(engine, build, policy, clerk, reviewer):
    w = make_world(engine, build, policy, clerk, reviewer)
    cert = w.recognise(ON)
    with write_session(engine) as s:
        book = books.issue_book(s, clerk, policy=policy, certificate_number=cert.number, card_presented=True,
                                id_card_presented=True, on=ON, issued_at_id=None)
    with write_session(engine) as s:
        repl = replacements.replace_book(s, clerk, policy=w.policy, book_number=book.number, place="agency", card_presented=True,
                                         id_card_presented=True, on=LOST, institution_id=None)
    return w, book.number, repl.new_number


@pytest.mark.parametrize("lang, words", [("en", "void since"), ("zh_CN", "作废")])
async def test_void_book_number_says_since_when_and_its_replacement(engine, policy, void_book, lang, words):
    w, old, new = void_book
    app = make_app(engine, policy, lang)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.press(*old.replace("-", " "))  # as read off the cover, spaces for dashes
        await wait_until(pilot, lambda: screen.page is not None and screen.page.hits)
        await pilot.pause()
        label = screen.query_one("#status", Label)
        assert label.region.right <= SIZE[0]  # drawn inside the terminal, wrapped, not cut
        status = shown(label)
        flat = status.replace("\n", "")
        assert words in flat and old in flat and new in flat and LOST.isoformat() in flat, status
        assert screen.query_one("#results", DataTable).row_count == 1
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "overview", None) is not None)
        assert app.screen.enrollee_id == str(w.enrollee.id)
    assert app.failures == []


async def test_a_number_searches_at_once_a_name_waits_for_the_debounce(engine, policy, build, monkeypatch):
    person = build.enrollee(name="李风良")
    monkeypatch.setattr(lookup_screen, "DEBOUNCE_SECONDS", 3600)
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        idn = person.id_number
        spaced = f"{idn[:6]} {idn[6:10]} {idn[10:14]} {idn[14:]}"
        await pilot.press(*spaced.translate(str.maketrans("0123456789", "０１２３４５６７８９")))
        await wait_until(pilot, lambda: screen.page is not None and screen.page.rows, timeout=5)
        assert [r.name for r in screen.page.rows] == ["李风良"]
        screen.query_one("#search", Input).value = "风良"
        await pilot.pause(0.3)
        assert screen.pending == "风良"  # a name is still waiting for more keys
    assert app.failures == []


@pytest.mark.parametrize("lang, words", [("en", ("pinyin", "voucher")), ("zh_CN", ("拼音", "回执"))])
async def test_prompt_says_what_can_be_searched(engine, policy, lang, words):
    app = make_app(engine, policy, lang)
    async with app.run_test(size=SIZE):
        placeholder = app.screen.query_one("#search", Input).placeholder
        assert all(w in placeholder for w in words), placeholder
    assert app.failures == []
