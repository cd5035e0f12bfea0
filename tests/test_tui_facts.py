"""Facts and hospital-stay screens (issue 13), driven with keys only: a
scheme change from a date, a return home that cancels the off-site filing
(SZ-MT Art. 9(3)), an admission and a discharge (ZZ §4 reads them)."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from conftest import db_fingerprint
from core.db import read_session, write_session
from core.models import Hospitalisation, OffsiteFiling
from core.services import changes, offsite
from core.services.offsite import FilingForm
from tui.app import create_app
from tui_open_workflow import choose, open_workflow, settle, tab_to, type_into
from tui_support import text_of, wait_until

TODAY = date(2026, 5, 12)
CARD = "SZ77700001"


async def test_a_scheme_change_from_a_date_through_the_facts_screen(engine, build, clerk, policy):
    who = build.enrollee(card_number=CARD, scheme="comprehensive")
    app = create_app(engine, clerk, policy, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "f", "FactsScreen")
        await choose(pilot, "field", "scheme")
        await tab_to(pilot, "value")
        await type_into(pilot, "value", "inpatient")
        await tab_to(pilot, "from")
        await pilot.press(*(["backspace"] * 10), *"2026-03-01")
        before = db_fingerprint(engine)
        await pilot.press("ctrl+s")  # no reason: refused, nothing written
        await settle(pilot)
        await wait_until(pilot, lambda: "reason" in text_of(app.screen.query_one("#reasons")))
        assert db_fingerprint(engine) == before
        await tab_to(pilot, "reason")
        await type_into(pilot, "reason", "employer letter")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await wait_until(pilot, lambda: "changed from 2026-03-01" in text_of(app.screen.query_one("#result")))
        assert "inpatient" in text_of(app.screen.query_one("#changes")).lower()
    assert app.failures == []
    with read_session(engine) as s:
        assert changes.facts_on(s, who.id, date(2026, 2, 28)).scheme == "comprehensive"
        assert changes.facts_on(s, who.id, date(2026, 3, 1)).scheme == "inpatient"


async def test_sz_mt_art_9_3_return_home_from_the_facts_screen_cancels_the_filing(engine, build, clerk, policy):
    insts = [build.institution(city="Wuhan", level=lvl, public=True, designated=True, kind=kind)
             for lvl, kind in ((3, "hospital"), (2, "hospital"), (1, "community_health_centre"))]
    who = build.enrollee(card_number=CARD, city_household=True, stationed_elsewhere=True, stationed_city="Wuhan",
                         residence_city="Wuhan")
    codes = tuple(i.code for i in insts)
    with write_session(engine) as s:
        filing = offsite.file_filing(s, clerk, who.id, FilingForm(
            place_city="Wuhan", institution_codes=codes, stamped_codes=frozenset(codes), form_copies=3,
            local_ss_stamp=True, filed_by="self"), on=date(2026, 1, 5), policy=policy, today=TODAY)
    app = create_app(engine, clerk, policy, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "f", "FactsScreen")
        await tab_to(pilot, "reason")
        await type_into(pilot, "reason", "back at head office")
        await pilot.press("ctrl+o")
        await settle(pilot)
        await wait_until(pilot, lambda: "cancelled" in text_of(app.screen.query_one("#result")))
    assert app.failures == []
    with read_session(engine) as s:
        f = s.get(OffsiteFiling, filing.id)
        assert (f.status, f.cancelled_on, f.cancel_reason) == ("cancelled", TODAY, "back at head office")
        assert changes.facts_on(s, who.id, TODAY).residence_city == policy.pack.city


async def test_zz_4_admission_and_discharge_through_the_stays_screen(engine, build, clerk, zz_policy):
    who = build.enrollee(card_number=CARD)
    app = create_app(engine, clerk, zz_policy, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "s", "StaysScreen")
        await pilot.press(*(["backspace"] * 10), *"2026-05-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await wait_until(pilot, lambda: "since 2026-05-01" in text_of(app.screen.query_one("#stays")))
        await tab_to(pilot, "discharged")
        await type_into(pilot, "discharged", "2026-05-09")
        await pilot.press("ctrl+g")
        await settle(pilot)
        await wait_until(pilot, lambda: "2026-05-01 to 2026-05-09" in text_of(app.screen.query_one("#stays")))
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "EnrolleeScreen")
        await settle(pilot)
        assert "2026-05-01 to 2026-05-09" in text_of(app.screen.query_one("#stay"))
    assert app.failures == []
    with read_session(engine) as s:
        h = s.exec(select(Hospitalisation).where(Hospitalisation.enrollee_id == who.id)).one()
        assert (h.admitted_on, h.discharged_on, h.recorded_by) == (date(2026, 5, 1), date(2026, 5, 9), "clerk1")
