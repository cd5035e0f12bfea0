"""Record book screen, driven by keys only (SZ-MD Art. 5): issue against the
cards and a confirmed certificate, a second disease into the same book,
renewal of a used-up book."""

from __future__ import annotations

from datetime import date

import pytest

from certificate_world import make_world
from conftest import db_fingerprint
from core.models import BookEntry, RecordBook
from tui.app import create_app
from tui_document_steps import open_by_keys, rows, settled, shown, wait_until

D = date(2026, 5, 12)


@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)


async def _highlight(pilot, number: str) -> None:
    """Move the certificate table's cursor to ``number`` with the arrow keys."""
    table = pilot.app.screen.query_one("#certs")
    target = [c.number for c in pilot.app.screen.file.certificates].index(number)  # the table's order
    table.focus()
    while table.cursor_row != target:
        await pilot.press("down" if table.cursor_row < target else "up")


async def _cards(pilot) -> None:
    """From the table: tick the social security card and the ID card."""
    await pilot.press("tab", "space", "tab", "space")


async def test_sz_md_art_5_book_needs_both_cards_refused_on_screen(w, engine, policy, clerk):
    cert = w.recognise(D)
    app = create_app(engine, clerk, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "b", "BooksScreen")
        assert cert.number in shown(app) and "No record book issued yet." in shown(app)
        await settled(pilot, "issuer", "agency")
        before = db_fingerprint(engine)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: app.screen.query_one("#reasons").display)
        text = shown(app)
        assert "[SZ-MD Art. 5] card presented:" in text and "[SZ-MD Art. 5] ID card presented:" in text
        assert db_fingerprint(engine) == before
        await _cards(pilot)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: len(rows(engine, RecordBook)) == 1)
        book = rows(engine, RecordBook)[0]
        assert (book.status, book.issued_by, book.issued_on, book.issued_at_id) == ("active", "clerk1", D, None)
        assert [e.certificate_id for e in rows(engine, BookEntry)] == [cert.id]
        await wait_until(pilot, lambda: book.number in shown(app) and not app.screen.query_one("#reasons").display)
        assert not app.failures


async def test_sz_md_art_5_book_issued_at_city_diagnostic_hospital(w, engine, policy, clerk):
    w.recognise(D)
    app = create_app(engine, clerk, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "b", "BooksScreen")
        await _cards(pilot)
        await pilot.press("tab", *w.hospital.code)
        await settled(pilot, "issuer", w.hospital.id)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: len(rows(engine, RecordBook)) == 1)
        assert rows(engine, RecordBook)[0].issued_at_id == w.hospital.id
        await wait_until(pilot, lambda: w.hospital.code in shown(app))
        assert not app.failures


async def test_sz_md_art_5_second_disease_into_same_book_then_renewed(w, engine, policy, clerk):
    first = w.recognise(D)
    second = w.recognise(D, "MD-I-02")
    app = create_app(engine, clerk, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "b", "BooksScreen")
        await _highlight(pilot, first.number)
        await _cards(pilot)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: len(rows(engine, RecordBook)) == 1)
        book = rows(engine, RecordBook)[0]
        await wait_until(pilot, lambda: book.number in shown(app))

        # a second book is refused: the disease goes into the existing one
        await _highlight(pilot, second.number)
        before = db_fingerprint(engine)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: app.screen.query_one("#reasons").display)
        assert f"The enrollee already has record book {book.number}" in shown(app)
        assert "[SZ-MD Art. 5] enrollee:" in shown(app)
        assert db_fingerprint(engine) == before
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: len(rows(engine, BookEntry)) == 2)
        assert sorted(e.disease_code for e in rows(engine, BookEntry, book_id=book.id)) == ["MD-I-01", "MD-I-02"]
        assert len(rows(engine, RecordBook)) == 1

        # the used-up book is renewed against the old one
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(rows(engine, RecordBook)) == 2)
        old = rows(engine, RecordBook, id=book.id)[0]
        new = rows(engine, RecordBook, status="active")[0]
        assert (old.status, old.ended_on, new.previous_id) == ("used_up", D, book.id)
        assert sorted(e.disease_code for e in rows(engine, BookEntry, book_id=new.id)) == ["MD-I-01", "MD-I-02"]
        await wait_until(pilot, lambda: new.number in shown(app) and "used up" in shown(app))
        assert not app.failures


async def test_sz_md_art_5_book_for_unconfirmed_certificate_not_offered(w, engine, policy, clerk):
    draft = w.draft(D)
    before = db_fingerprint(engine)
    app = create_app(engine, clerk, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "b", "BooksScreen")
        assert draft.number not in shown(app) and "No confirmed certificate." in shown(app)
        await _cards(pilot)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: app.screen.query_one("#reasons").display)
        assert "Highlight a confirmed certificate first." in shown(app)
        assert not app.failures
    assert db_fingerprint(engine) == before
