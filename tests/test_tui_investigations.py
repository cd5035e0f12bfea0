"""Investigation and suspension screen (SZ-MT Art. 13-15), driven with keys only.

One app per actor and business date: the clerk sends the notice; the
reviewer, after the notice deadline, records the no-show (bookkeeping
suspended), the verification, the decision and the resumption. The account
state is checked in the database at each stage. Deadlines for 2026 are
worked out by hand from RULES.md §11 (2026-05-12 + 10 working days =
2026-05-26; verification on 2026-06-15: decision by 2026-06-30 and
resumption by 2026-06-23, 06-19 being a holiday).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from conftest import db_fingerprint
from core.db import read_session
from core.models import Enrollee, InvestigationCase, MonitoringFlag
from tui.app import create_app
from tui_open_workflow import choose, open_workflow, settle, tab_to, type_into
from tui_support import add_expenses, text_of, wait_until

NOTICE_DAY = date(2026, 5, 12)
AFTER_DEADLINE = date(2026, 5, 27)
VERIFIED_DAY = date(2026, 6, 15)
CARD = "SZ55700001"


@pytest.fixture
def person(build):
    return build.enrollee(card_number=CARD, name="Sun Li", scheme="comprehensive", branch="futian")


def shown(app, widget_id: str) -> str:
    return text_of(app.screen.query_one(f"#{widget_id}"))


def state(engine, enrollee_id) -> tuple[str, list[InvestigationCase]]:
    with read_session(engine) as s:
        e = s.get(Enrollee, enrollee_id)
        cases = list(s.exec(select(InvestigationCase).where(InvestigationCase.enrollee_id == enrollee_id)))
        s.expunge_all()
        return e.account_state, cases


async def confirm(pilot) -> None:
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "ConfirmScreen")
    await pilot.press("enter")
    await settle(pilot)


async def step(pilot, key: str, status: str) -> None:
    """Press a step key, confirm, wait for the case to reach ``status``."""
    await pilot.press(key)
    await confirm(pilot)
    await wait_until(pilot, lambda: f"is now {status}" in shown(pilot.app, "result"))


async def refused_first(pilot, key: str) -> None:
    """Press a step key the machine refuses: the reasons, never a confirmation dialog."""
    await pilot.press(key)
    await settle(pilot)
    await wait_until(pilot, lambda: "nothing was written" in shown(pilot.app, "result"))
    assert type(pilot.app.screen).__name__ != "ConfirmScreen"


async def set_date(pilot, value: date) -> None:
    await tab_to(pilot, "on")
    await pilot.press("ctrl+u", *value.isoformat())


async def test_sz_mt_art_14_15_notice_no_show_suspension_verification_decision_resumption(
        engine, clerk, reviewer, policy, person):
    # --- the clerk sends the notice for a manual trigger
    app = create_app(engine, clerk, policy, today=NOTICE_DAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "i", "InvestigationsScreen")
        assert "No investigation cases" in shown(app, "case-title")
        await choose(pilot, "trigger", "manual:T12-reported-violation")
        await tab_to(pilot, "detail")
        await type_into(pilot, "detail", "Reported by a pharmacy")
        await pilot.press("ctrl+o")
        await confirm(pilot)
        await wait_until(pilot, lambda: "is now notice sent" in shown(app, "result"))
        assert "come by 2026-05-26" in shown(app, "steps")
        account, [case] = state(engine, person.id)
        assert account == "normal" and case.status == "notice_sent"
        assert case.notice_on == NOTICE_DAY and case.notice_due == date(2026, 5, 26)
        assert case.trigger == "T12-reported-violation" and case.trigger_month == "2026-04"

        # a clerk may not record the no-show: core refuses with the role and the article
        before = db_fingerprint(engine)
        await tab_to(pilot, "cases")
        await refused_first(pilot, "f8")
        reasons = shown(app, "reasons")
        assert "[SZ-MT Art. 14]" in reasons and "reviewer" in reasons and "role" in reasons
        assert db_fingerprint(engine) == before
        assert app.failures == []

    # --- the reviewer: a verification dated after the business date is refused (one date rule) ...
    app = create_app(engine, reviewer, policy, today=AFTER_DEADLINE)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "i", "InvestigationsScreen")
        assert "(passed)" in shown(app, "steps")
        await step(pilot, "f8", "suspended")  # the day after the deadline
        await set_date(pilot, VERIFIED_DAY)
        await refused_first(pilot, "f9")
        assert "after the business date" in shown(app, "reasons")
        assert app.failures == []

    # --- ... and taken on its day
    app = create_app(engine, reviewer, policy, today=VERIFIED_DAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "i", "InvestigationsScreen")
        assert app.focused.id == "cases"
        account, [case] = state(engine, person.id)
        assert account == "suspended" and case.status == "suspended" and case.opened_on == AFTER_DEADLINE
        assert case.open_reason == "no_show" and case.verification_due == date(2026, 8, 25)
        assert "ACCOUNT SUSPENDED" in shown(app, "account") and "cash" in shown(app, "account")
        assert app.screen.query_one("#account").has_class("banner-suspended")
        assert "verify by 2026-08-25" in shown(app, "steps")

        await set_date(pilot, VERIFIED_DAY)
        assert str(app.screen.query_one("#outcome").value) == "no_violation"
        await tab_to(pilot, "note")
        await type_into(pilot, "note", "Receipts match the pharmacy records")
        await step(pilot, "f9", "verified")
        account, [case] = state(engine, person.id)
        assert account == "suspended" and case.outcome == "no_violation" and case.verified_on == VERIFIED_DAY
        assert case.decision_due == date(2026, 6, 30) and case.resumption_due == date(2026, 6, 23)
        steps = shown(app, "steps")
        assert "deliver by 2026-06-30" in steps and "resume by 2026-06-23" in steps

        await step(pilot, "ctrl+t", "decided")
        account, [case] = state(engine, person.id)
        assert account == "suspended" and case.decided_on == VERIFIED_DAY and case.decided_by == "rev1"

        await step(pilot, "ctrl+r", "resumed")
        account, [case] = state(engine, person.id)
        assert account == "normal" and case.resumed_on == VERIFIED_DAY and case.closed_on == VERIFIED_DAY
        assert "ACCOUNT SUSPENDED" not in shown(app, "account")
        assert not app.screen.query_one("#account").has_class("banner-suspended")
        assert app.failures == []


async def test_sz_mt_art_14_no_show_before_deadline_refused_explanation_sufficient_closes(
        engine, clerk, reviewer, policy, person):
    app = create_app(engine, clerk, policy, today=NOTICE_DAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "i", "InvestigationsScreen")
        await choose(pilot, "trigger", "manual:T10-card-lending")
        await tab_to(pilot, "detail")
        await type_into(pilot, "detail", "Card used by a relative")
        await pilot.press("ctrl+o")
        await confirm(pilot)
        await wait_until(pilot, lambda: "is now notice sent" in shown(app, "result"))
        # the explanation needs a note (SZ-MT Art. 14): said before any dialog
        await tab_to(pilot, "cases")
        await refused_first(pilot, "f6")
        assert "[SZ-MT Art. 14]" in shown(app, "reasons") and "note" in shown(app, "reasons")
        await tab_to(pilot, "note")
        await type_into(pilot, "note", "Came with card and receipts; the card was never lent")
        await pilot.press("f6")
        await confirm(pilot)
        await wait_until(pilot, lambda: "Came with card" in shown(app, "steps"))
        assert app.failures == []

    app = create_app(engine, reviewer, policy, today=date(2026, 5, 20))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "i", "InvestigationsScreen")
        before = db_fingerprint(engine)
        await refused_first(pilot, "f8")  # a no-show before the deadline: refused before any dialog
        assert "[SZ-MT Art. 14]" in shown(app, "reasons") and "2026-05-26" in shown(app, "reasons")
        assert db_fingerprint(engine) == before
        await tab_to(pilot, "sufficient")
        await pilot.press("space")
        await step(pilot, "f7", "closed, explained")
        account, [case] = state(engine, person.id)
        assert account == "normal" and case.status == "closed_explained" and case.explanation_sufficient
        assert case.closed_on == date(2026, 5, 20)
        assert app.failures == []


async def test_sz_mt_art_13_case_from_monitoring_hit(engine, clerk, policy, person):
    add_expenses(engine, person, "2026-04", yuan_each=7000, count=1)
    app = create_app(engine, clerk, policy, today=NOTICE_DAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "i", "InvestigationsScreen")
        options = [v for _prompt, v in app.screen.query_one("#trigger")._options]
        assert options.index("hit:T03-cost-month") < options.index("manual:T09-false-enrolment")
        await choose(pilot, "trigger", "hit:T03-cost-month")
        await pilot.press("ctrl+o")
        await confirm(pilot)
        await wait_until(pilot, lambda: "is now notice sent" in shown(app, "result"))
        assert app.failures == []
    account, [case] = state(engine, person.id)
    assert account == "normal" and case.trigger == "T03-cost-month" and case.trigger_month == "2026-04"
    with read_session(engine) as s:
        flag = s.exec(select(MonitoringFlag).where(MonitoringFlag.case_id == case.id)).one()
        assert flag.source == "scan"


async def test_sz_mt_art_14_deadline_into_a_year_without_calendar_is_provisional(engine, clerk, policy, person):
    app = create_app(engine, clerk, policy, today=date(2026, 12, 28))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "i", "InvestigationsScreen")
        await choose(pilot, "trigger", "manual:T13-other-violation")
        await tab_to(pilot, "detail")
        await type_into(pilot, "detail", "Card found at a pharmacy counter")
        await pilot.press("enter")  # Enter in the detail sends the notice too
        await confirm(pilot)
        await wait_until(pilot, lambda: "is now notice sent" in shown(app, "result"))
        _account, [case] = state(engine, person.id)
        assert case.notice_due_provisional
        assert f"come by {case.notice_due.isoformat()} (provisional)" in shown(app, "steps")
        assert app.failures == []
