"""Cash claims screen (SZ-MD Art. 10; SZ-MT Art. 14), key ``m`` from the
enrollee view, driven with keys: a suspended enrollee's tumour-therapy
receipt is registered and decided on the spot; a second caseworker approves."""

from __future__ import annotations

from core.auth import Actor
from tui.app import create_app
from tui_open_workflow import choose, open_workflow, settle, tab_to, type_into
from tui_support import TODAY, build_scene, text_of, wait_until

CARD = "SZ20260001"  # Wang Fang: suspended, MD-II-03 confirmed


async def test_register_decide_and_approve_from_the_enrollee_view(engine, build, clerk, reviewer, policy):
    build_scene(build, engine)
    app = create_app(engine, Actor("clerk1", "clerk", "futian"), policy, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "m", "ClaimsScreen")
        await wait_until(pilot, lambda: app.screen.subject is not None)
        await choose(pilot, "disease", "MD-II-03")
        await tab_to(pilot, "institution")
        await type_into(pilot, "institution", "H-SZ-001")
        await tab_to(pilot, "receipt")
        await type_into(pilot, "receipt", "INV-501")
        await tab_to(pilot, "basic")
        await type_into(pilot, "basic", "1000")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "registered and decided" in text_of(app.screen.query_one("#result")))
        await settle(pilot)
        detail = text_of(app.screen.query_one("#detail"))
        assert "INV-501" in detail and "SZ-MD Art. 10" in detail and "900.00" in detail
        await pilot.press("ctrl+g")  # a clerk cannot approve
        await settle(pilot)
        assert "nothing was written" in text_of(app.screen.query_one("#result"))
    app = create_app(engine, reviewer, policy, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "m", "ClaimsScreen")
        await wait_until(pilot, lambda: app.screen.subject is not None and app.screen.subject.claims)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: "approved" in text_of(app.screen.query_one("#result")))
        await settle(pilot)
        assert app.screen.subject.claims[0].status == "approved"


async def test_settlement_summary_screen_shows_the_months_fund_shares(engine, build, clerk, policy):
    from datetime import datetime

    from core.db import write_session
    from core.services import registry
    from core.services.lookup import get_enrollee, institution_by_code
    from tui_screens import settlement

    build_scene(build, engine)
    with write_session(engine) as s:
        wang = get_enrollee(s, CARD)
        hosp = institution_by_code(s, "H-SZ-001")
        registry.add_expense(s, clerk, enrollee_id=wang.id, occurred_at=datetime(2026, 4, 8, 10), amount_fen=200_000,
                             visit_kind="major_disease_outpatient", institution_id=hosp.id, disease_code="MD-II-03",
                             policy=policy)
    app = create_app(engine, Actor("clerk1", "clerk", "futian"), policy, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await settlement(pilot)
        text = text_of(app.screen.query_one("#summary"))
    assert "H-SZ-001" in text and "2,000.00" in text and "1,800.00" in text and "SZ-MD Art. 11" in text
