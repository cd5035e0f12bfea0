"""Replacement screen, driven by keys only (SZ-MD Art. 5): a lost record book
or certificate is voided and replaced with a new number, and the
replacement record is archived."""

from __future__ import annotations

from datetime import date

import pytest

from certificate_world import make_world
from conftest import db_fingerprint
from core.models import BookEntry, Certificate, RecordBook, Replacement
from core.services import books
from tui.app import create_app
from tui_document_steps import open_by_keys, rows, settled, shown, wait_until

D = date(2026, 3, 10)
LOST = date(2026, 5, 12)


@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)


def _issue_book(w, cert, issued_at=None):
    return w.run(lambda s: books.issue_book(s, w.clerk, policy=w.policy, certificate_number=cert.number,
                                            card_presented=True, id_card_presented=True, on=D,
                                            issued_at_id=issued_at.id if issued_at else None))


async def _highlight(pilot, number: str) -> None:
    table = pilot.app.screen.query_one("#items")
    target = [i.number for i in pilot.app.screen.file.items].index(number)  # the table's order
    table.focus()
    while table.cursor_row != target:
        await pilot.press("down" if table.cursor_row < target else "up")


async def _cards(pilot) -> None:
    """From the institution filter: tick the social security card and the ID card."""
    await pilot.press("tab", "space", "tab", "space")


async def test_sz_md_art_5_lost_book_replaced_at_agency_then_archived(w, engine, policy, clerk):
    cert = w.recognise(D)
    book = _issue_book(w, cert)
    app = create_app(engine, clerk, policy, today=LOST)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "r", "ReplacementsScreen")
        await _highlight(pilot, book.number)
        await wait_until(pilot, lambda: app.screen.query_one("#place").value == "agency")
        await settled(pilot, "office", "agency")
        app.screen.query_one("#office-filter").focus()
        await _cards(pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(rows(engine, Replacement)) == 1)
        repl = rows(engine, Replacement)[0]
        old = rows(engine, RecordBook, id=book.id)[0]
        new = rows(engine, RecordBook, status="active")[0]
        assert (old.status, old.ended_on) == ("void", LOST)
        assert (repl.item_kind, repl.old_number, repl.new_number, repl.place, repl.archived) == (
            "book", book.number, new.number, "agency", False)
        assert [e.disease_code for e in rows(engine, BookEntry, book_id=new.id)] == ["MD-I-01"]
        await wait_until(pilot, lambda: app.screen.query_one("#result").display)
        text = shown(app)
        assert f"record book {book.number} is VOID from 2026-05-12." in text
        assert f"New number: {new.number}" in text

        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: rows(engine, Replacement)[0].archived)
        assert rows(engine, Replacement)[0].archived_on == LOST
        before = db_fingerprint(engine)
        await wait_until(pilot, lambda: app.screen.file.records[0].archived)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: app.screen.query_one("#reasons").display)
        assert "[SZ-MD Art. 5] archived:" in shown(app)
        assert db_fingerprint(engine) == before
        assert not app.failures


async def test_sz_md_art_5_lost_certificate_replaced_at_issuing_hospital(w, engine, policy, clerk):
    cert = w.recognise(D)
    app = create_app(engine, clerk, policy, today=LOST)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "r", "ReplacementsScreen")
        await _highlight(pilot, cert.number)
        await settled(pilot, "office", w.hospital.id)  # the hospital that issued it, preset
        assert app.screen.query_one("#place").value == "hospital"
        app.screen.query_one("#office-filter").focus()
        await _cards(pilot)
        await pilot.press("ctrl+s", "enter")
        await wait_until(pilot, lambda: len(rows(engine, Replacement)) == 1)
        old = rows(engine, Certificate, id=cert.id)[0]
        new = rows(engine, Certificate, status="confirmed")[0]
        assert (old.status, old.replaced_by_id, new.valid_until) == ("void", new.id, cert.valid_until)
        assert rows(engine, Replacement)[0].institution_id == w.hospital.id
        await wait_until(pilot, lambda: f"New number: {new.number}" in shown(app))
        assert not app.failures


async def test_sz_md_art_5_replacement_without_cards_refused_on_screen(w, engine, policy, clerk):
    cert = w.recognise(D)
    _issue_book(w, cert)
    before = db_fingerprint(engine)
    app = create_app(engine, clerk, policy, today=LOST)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "r", "ReplacementsScreen")
        await _highlight(pilot, cert.number)
        await settled(pilot, "office", w.hospital.id)
        await pilot.press("ctrl+s", "enter")
        await wait_until(pilot, lambda: app.screen.query_one("#reasons").display)
        text = shown(app)
        assert "[SZ-MD Art. 5] card presented:" in text and "[SZ-MD Art. 5] ID card presented:" in text
        assert not app.screen.query_one("#result").display
        assert not app.failures
    assert db_fingerprint(engine) == before


async def test_sz_md_art_5_certificate_replaced_only_at_its_own_hospital(w, engine, policy, clerk, build):
    """The picker offers only the hospital that issued the certificate (the
    rule refuses any other, test_replacements): another cannot be picked."""
    cert = w.recognise(D)
    other = build.institution()
    before = db_fingerprint(engine)
    app = create_app(engine, clerk, policy, today=LOST)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "r", "ReplacementsScreen")
        await _highlight(pilot, cert.number)
        await settled(pilot, "office", w.hospital.id)
        assert set(app.screen.query_one("#office").shown) == {str(w.hospital.id)}
        app.screen.query_one("#office-filter").focus()
        await pilot.press("ctrl+u", *other.code)  # clear the filter, type the other hospital
        await settled(pilot, "office")
        assert str(other.id) not in app.screen.query_one("#office").shown
        assert not app.failures
    assert db_fingerprint(engine) == before
