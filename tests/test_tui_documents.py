"""Printing from the counter (SZ-MT Art. 14): on the investigation screen, F10
saves the highlighted case's latest paper as PDF and records the print; the
command palette offers each of the case's papers. Reached the way a person
does: lookup -> enrollee -> i (investigation) -> F10."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from core.auth import actor_for
from core.db import open_engine, read_session
from core.demo import fill_demo
from core.policy import load_pack
from tui.app import create_app
from tui_open_workflow import open_workflow, settle
from tui_support import wait_until

from test_documents import needs_font

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    eng = open_engine(str(tmp_path_factory.mktemp("tuidocs") / "demo.db"))
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
