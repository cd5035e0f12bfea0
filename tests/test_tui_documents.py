"""Printing from the counter (SZ-MT Art. 14): on the investigation screen, F10
saves the highlighted case's latest paper as PDF and records the print; the
command palette offers each of the case's papers. Reached the way a person
does: lookup -> enrollee -> i (investigation) -> F10."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from core.auth import actor_for
from core.db import init_database, read_session
from core.demo import fill_demo
from core.policy import load_pack
from tui.app import create_app
from tui_open_workflow import open_workflow, settle
from tui_support import wait_until

from test_documents import needs_font

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    eng, _ = init_database(str(tmp_path_factory.mktemp("tuidocs") / "demo.db"), demo=True)
    fill_demo(eng, load_pack(), seed=2026, enrollees=80, today=TODAY)
    yield eng
    eng.dispose()


@needs_font
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
async def test_f10_prints_the_cases_latest_paper(demo, tmp_path, monkeypatch, lang):
    monkeypatch.setenv("CASEDESK_PRINT_DIR", str(tmp_path / "printed"))
    with demo.connect() as c:
        number, card = c.execute(text(
            "SELECT c.number, e.card_number FROM investigation_case c JOIN enrollee e ON e.id = c.enrollee_id "
            "WHERE c.outcome = 'no_violation' ORDER BY c.number")).first()
    with read_session(demo) as s:
        who = actor_for(s, "li.review")
    app = create_app(demo, who, load_pack(), lang, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, card, "i", "InvestigationsScreen")
        await wait_until(pilot, lambda: bool(app.screen.printable()))
        kinds = [k for k, _n in app.screen.printable()]
        assert kinds == ["notice", "suspension", "decision"]
        await pilot.press("f10")
        pdf = tmp_path / "printed" / f"decision-{number}-{lang}.pdf"
        await settle(pilot)
        assert pdf.exists(), [n.message for n in app._notifications]
        await settle(pilot)
        assert app.failures == []
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert any(number in str(p) for p in commands)
    with demo.connect() as c:
        ev = c.execute(text("SELECT actor, article FROM audit_event WHERE action = 'document.print' "
                            "ORDER BY at DESC LIMIT 1")).one()
    assert ev.actor == "li.review" and ev.article == "SZ-MT Art. 15"


CASES = {
    # workflow key, screen, SQL giving (card, expected kind, expected number)
    "offsite": ("o", "OffsiteScreen",
                "SELECT e.card_number, 'voucher', f.voucher_number FROM offsite_filing f JOIN enrollee e "
                "ON e.id = f.enrollee_id WHERE f.status = 'active' ORDER BY f.voucher_number"),
    "books": ("b", "BooksScreen",
              "SELECT e.card_number, 'book-receipt', b.number FROM record_book b JOIN enrollee e "
              "ON e.id = b.enrollee_id WHERE b.status = 'active' ORDER BY b.number"),
    "replacements": ("r", "ReplacementsScreen",
                     "SELECT e.card_number, 'book-receipt', r.new_number FROM replacement r JOIN enrollee e "
                     "ON e.id = r.enrollee_id WHERE r.item_kind = 'book' AND NOT EXISTS (SELECT 1 FROM "
                     "replacement r2 WHERE r2.enrollee_id = r.enrollee_id AND r2.id <> r.id) ORDER BY r.new_number"),
}


@needs_font
@pytest.mark.parametrize("workflow", sorted(CASES))
async def test_f10_prints_from_each_workflow_screen(demo, tmp_path, monkeypatch, workflow):
    key, screen, sql = CASES[workflow]
    monkeypatch.setenv("CASEDESK_PRINT_DIR", str(tmp_path / "printed"))
    with demo.connect() as c:
        card, kind, number = c.execute(text(sql)).first()
    with read_session(demo) as s:
        who = actor_for(s, "wang.clerk")
    app = create_app(demo, who, load_pack(), "zh_CN", today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, card, key, screen)
        await wait_until(pilot, lambda: bool(app.screen.printable()))
        assert app.screen.printable()[-1] == (kind, number)
        await pilot.press("f10")
        await settle(pilot)
        assert (tmp_path / "printed" / f"{kind}-{number}-zh_CN.pdf").exists(), \
            [n.message for n in app._notifications]
        assert app.failures == []


@needs_font
async def test_f10_on_the_certificates_screen_prints_the_highlighted_certificate(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("CASEDESK_PRINT_DIR", str(tmp_path / "printed"))
    with demo.connect() as c:
        card = c.execute(text("SELECT e.card_number FROM certificate c JOIN enrollee e ON e.id = c.enrollee_id "
                              "WHERE c.status = 'confirmed' ORDER BY c.number")).scalar()
    with read_session(demo) as s:
        who = actor_for(s, "wang.clerk")
    app = create_app(demo, who, load_pack(), "en", today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, card, "c", "CertificatesScreen")
        await wait_until(pilot, lambda: bool(app.screen.printable()))
        kind, number = app.screen.printable()[-1]
        assert kind == "certificate" and number == app.screen.highlighted().cert.number
        await pilot.press("f10")
        await settle(pilot)
        assert (tmp_path / "printed" / f"certificate-{number}-en.pdf").exists()
