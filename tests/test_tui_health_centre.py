"""Community health centre screen (SZ-MT Art. 4), driven with keys only."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from conftest import db_fingerprint
from core.db import read_session
from core.models import Enrollee, HealthCentreSelection
from tui.app import create_app
from tui_open_workflow import choose, open_workflow, settle, tab_to, type_into
from tui_support import text_of, wait_until

TODAY = date(2026, 5, 12)
CARD = "SZ55600001"


@pytest.fixture
def migrant(build):
    return build.enrollee(card_number=CARD, name="Chen Jun", scheme="migrant", employment="employed",
                          employer="Bao'an Electronics Ltd", city_household=False)


@pytest.fixture
def centres(build):
    return [build.institution(code=code, name=name, kind="community_health_centre", level=1,
                              diagnostic_hospital=False)
            for code, name in (("CHC-FT-01", "Futian Lianhua CHC"), ("CHC-BA-02", "Bao'an Xixiang CHC"),
                               ("CHC-NS-03", "Nanshan Shekou CHC"))]


def shown(app, widget_id: str) -> str:
    return text_of(app.screen.query_one(f"#{widget_id}"))


def selections(engine, enrollee_id) -> list[HealthCentreSelection]:
    with read_session(engine) as s:
        rows = list(s.exec(select(HealthCentreSelection).where(HealthCentreSelection.enrollee_id == enrollee_id)))
        s.expunge_all()
        return rows


async def test_sz_mt_art_4_select_centre_for_migrant_enrollee(engine, clerk, policy, migrant, centres):
    app = create_app(engine, clerk, policy, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "h", "HealthCentreScreen")
        assert "none selected" in shown(app, "current")
        assert "migrant workers" in shown(app, "subject")
        ol = app.screen.query_one("#candidates")
        await wait_until(pilot, lambda: ol.option_count == 3)

        # the employer applies for a migrant worker (SZ-MT Art. 4(1)): "self" is refused with the article
        assert app.screen.query_one("#applicant").value == "employer"
        await choose(pilot, "applicant", "self")
        await tab_to(pilot, "search")
        await type_into(pilot, "search", "xixiang")
        await wait_until(pilot, lambda: ol.option_count == 1)
        await pilot.press("enter", "enter")  # to the list, pick
        await wait_until(pilot, lambda: "CHC-BA-02" in shown(app, "picked"))
        before = db_fingerprint(engine)
        await pilot.press("ctrl+s")
        await settle(pilot)
        reasons = shown(app, "reasons")
        assert "[SZ-MT Art. 4]" in reasons and "the employer applies" in reasons
        assert db_fingerprint(engine) == before

        await choose(pilot, "applicant", "employer")
        await tab_to(pilot, "applicant-name")
        assert app.focused.value == "Bao'an Electronics Ltd"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await wait_until(pilot, lambda: "recorded" in shown(app, "result"))
        await wait_until(pilot, lambda: "Bao'an Xixiang CHC" in shown(app, "current"))
        assert app.failures == []

    [sel] = selections(engine, migrant.id)
    assert sel.applicant == "employer" and sel.applicant_name == "Bao'an Electronics Ltd"
    assert sel.selected_on == TODAY and sel.ended_on is None and sel.recorded_by == "clerk1"
    with read_session(engine) as s:
        assert s.get(Enrollee, migrant.id).health_centre_id == centres[1].id


async def test_sz_mt_art_4_new_selection_ends_current_and_shows_history(engine, clerk, policy, migrant, centres):
    app = create_app(engine, clerk, policy, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "h", "HealthCentreScreen")
        ol = app.screen.query_one("#candidates")
        await wait_until(pilot, lambda: ol.option_count == 3)
        await pilot.press("enter", "enter")  # first centre (Bao'an, by name)
        await wait_until(pilot, lambda: app.screen.picked is not None)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await wait_until(pilot, lambda: "recorded" in shown(app, "result"))
        # the same centre again is refused
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "already the selected centre" in shown(app, "reasons")
        # a second one: the first ends
        await tab_to(pilot, "candidates")
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: app.screen.picked is not None and app.screen.picked.code == "CHC-FT-01")
        await tab_to(pilot, "reason")
        await type_into(pilot, "reason", "moved office")
        await pilot.press("enter")
        await settle(pilot)
        await wait_until(pilot, lambda: "CHC-FT-01" in shown(app, "current"))
        history = shown(app, "history")
        assert "until 2026-05-12" in history and "Bao'an Xixiang CHC" in history
        assert app.failures == []
    rows = selections(engine, migrant.id)
    assert len(rows) == 2 and sorted(r.ended_on is None for r in rows) == [False, True]
