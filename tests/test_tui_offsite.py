"""Off-site filing screen (SZ-MT Art. 9, 10), driven with keys only.

A retiree on a city pension lives in Wuhan; four public designated
institutions there. The caseworker files three in a chosen order, sees the
core's refusal of a fourth with its article, cancels the filing, changes
institutions, and files through an agent.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from conftest import db_fingerprint
from core.db import read_session, write_session
from core.models import AuditEvent, FilingInstitution, Institution, OffsiteFiling
from core.services import offsite
from core.services.offsite import FilingForm
from tui.app import create_app
from tui_open_workflow import choose, open_workflow, settle, tab_to, type_into
from tui_support import text_of, wait_until

TODAY = date(2026, 5, 12)
CARD = "SZ55500001"


@pytest.fixture
def retiree(build):
    return build.enrollee(card_number=CARD, name="Zhao Min", employment="retired_city_pension",
                          city_household=False, residence_city="Wuhan", residence_province="Hubei")


@pytest.fixture
def wuhan(build):
    """Listed level first, then by name: WH-002, WH-001, WH-003, WH-004."""
    rows = [(3, "Wuhan Union Hospital"), (3, "Wuhan Central Hospital"), (2, "Jianghan District Hospital"),
            (1, "Hongshan Township Health Centre")]
    return [build.institution(code=f"WH-00{n}", name=name, city="Wuhan", province="Hubei", level=level,
                              diagnostic_hospital=False)
            for n, (level, name) in enumerate(rows, start=1)]


def codes_of(engine, filing_id) -> list[tuple[int, str, bool]]:
    with read_session(engine) as s:
        rows = s.exec(select(FilingInstitution, Institution)
                      .join(Institution, Institution.id == FilingInstitution.institution_id)
                      .where(FilingInstitution.filing_id == filing_id).order_by(FilingInstitution.position))
        return [(fi.position, inst.code, fi.stamped) for fi, inst in rows]


def filings(engine, enrollee_id) -> list[OffsiteFiling]:
    with read_session(engine) as s:
        rows = list(s.exec(select(OffsiteFiling).where(OffsiteFiling.enrollee_id == enrollee_id)
                           .order_by(OffsiteFiling.created_at)))
        s.expunge_all()  # readable after the read session's rollback
        return rows


def shown(app, widget_id: str) -> str:
    return text_of(app.screen.query_one(f"#{widget_id}"))


async def candidates_loaded(pilot, n: int) -> None:
    ol = pilot.app.screen.query_one("#candidates")
    await wait_until(pilot, lambda: ol.option_count == n)


async def add_highlighted(pilot, times: int) -> None:
    """Enter on the candidate list, ``times`` times, each adding the highlighted one."""
    screen = pilot.app.screen
    for _ in range(times):
        n = len(screen.chosen)
        assert pilot.app.focused.id == "candidates"
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(screen.chosen) == n + 1)


async def stamp_all(pilot, n: int) -> None:
    for i in range(1, n + 1):
        await tab_to(pilot, f"stamp-{i}")
        await pilot.press("space")


async def fill_form_tail(pilot, office: str = "Wuhan Social Security Bureau") -> None:
    """Copies, the local stamp and its office."""
    await tab_to(pilot, "copies")
    await pilot.press("3")
    await pilot.press("tab")
    assert pilot.app.focused.id == "local-stamp"
    await pilot.press("space")
    await pilot.press("tab")
    await type_into(pilot, "office", office)


async def test_sz_mt_art_10_file_three_refuse_fourth_then_cancel(engine, clerk, policy, retiree, wuhan):
    app = create_app(engine, clerk, policy, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "o", "OffsiteScreen")
        assert "retired elsewhere" in shown(app, "subject")
        await candidates_loaded(pilot, 4)
        await type_into(pilot, "search", "")
        # Enter goes to the list; each Enter adds the highlighted candidate, a fourth too
        await pilot.press("enter")
        await add_highlighted(pilot, 4)
        assert [p.code for p in app.screen.chosen] == ["WH-002", "WH-001", "WH-003", "WH-004"]
        await stamp_all(pilot, 4)
        await fill_form_tail(pilot)

        before = db_fingerprint(engine)
        await pilot.press("ctrl+s")
        await settle(pilot)
        reasons = shown(app, "reasons")
        assert "[SZ-MT Art. 10]" in reasons and "Choose exactly 3 institutions; 4 given." in reasons
        assert "nothing was written" in shown(app, "result")
        assert db_fingerprint(engine) == before
        assert [p.code for p in app.screen.chosen] == ["WH-002", "WH-001", "WH-003", "WH-004"], "form kept"

        # remove the fourth, move the third up: WH-002, WH-003, WH-001
        await tab_to(pilot, "stamp-4")
        await pilot.press("f7")
        await wait_until(pilot, lambda: len(app.screen.chosen) == 3)
        await tab_to(pilot, "stamp-3")
        await pilot.press("f8")
        await wait_until(pilot, lambda: [p.code for p in app.screen.chosen] == ["WH-002", "WH-003", "WH-001"])
        assert app.focused.id == "stamp-2"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await wait_until(pilot, lambda: "voucher" in shown(app, "result"))

        [filing] = filings(engine, retiree.id)
        assert filing.status == "active" and filing.basis == "retired" and filing.place_city == "Wuhan"
        assert filing.voucher_number and filing.voucher_number in shown(app, "result")
        assert filing.form_copies == 3 and filing.local_ss_stamp and filing.filed_by == "self"
        assert filing.local_ss_office == "Wuhan Social Security Bureau"
        assert codes_of(engine, filing.id) == [(1, "WH-002", True), (2, "WH-003", True), (3, "WH-001", True)]
        await wait_until(pilot, lambda: filing.voucher_number in shown(app, "current"))

        # cancellation needs a reason (SZ-MT Art. 9): refused before any dialog, then done
        before = db_fingerprint(engine)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert type(app.screen).__name__ != "ConfirmScreen"
        assert "[SZ-MT Art. 9]" in shown(app, "reasons") and "reason" in shown(app, "reasons")
        assert db_fingerprint(engine) == before
        await tab_to(pilot, "reason")
        await type_into(pilot, "reason", "returned to settle in the city")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("enter")
        await settle(pilot)
        await wait_until(pilot, lambda: "cancelled" in shown(app, "result"))
        assert app.failures == []

    [filing] = filings(engine, retiree.id)
    assert filing.status == "cancelled" and filing.cancelled_on == TODAY
    assert filing.cancel_reason == "returned to settle in the city" and filing.cancelled_by == "clerk1"


async def test_sz_mt_art_10_change_institutions_in_one_step(engine, clerk, policy, retiree, wuhan):
    form = FilingForm(place_city="Wuhan", institution_codes=("WH-001", "WH-002", "WH-003"),
                      stamped_codes=frozenset({"WH-001", "WH-002", "WH-003"}), form_copies=3, local_ss_stamp=True,
                      filed_by="self", place_province="Hubei", local_ss_office="Wuhan SSB")
    with write_session(engine) as s:
        old_voucher = offsite.file_filing(s, clerk, retiree.id, form, on=date(2026, 3, 2), policy=policy).voucher_number
    app = create_app(engine, clerk, policy, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "o", "OffsiteScreen")
        assert old_voucher in shown(app, "current")
        # the active filing's institutions are the starting choice; its stamps are not carried over
        await wait_until(pilot, lambda: [p.code for p in app.screen.chosen] == ["WH-001", "WH-002", "WH-003"])
        await tab_to(pilot, "stamp-3")
        await pilot.press("f7")
        await wait_until(pilot, lambda: len(app.screen.chosen) == 2)
        await tab_to(pilot, "search")
        await type_into(pilot, "search", "Hongshan")
        await candidates_loaded(pilot, 1)
        await pilot.press("enter")
        await add_highlighted(pilot, 1)
        await stamp_all(pilot, 3)
        await fill_form_tail(pilot, office="")
        await tab_to(pilot, "reason")
        await type_into(pilot, "reason", "Jianghan hospital closed its outpatient unit")
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("enter")
        await settle(pilot)
        await wait_until(pilot, lambda: "Institutions changed" in shown(app, "result"))
        assert app.failures == []

    old, new = filings(engine, retiree.id)
    assert old.status == "cancelled" and old.cancel_reason == "Jianghan hospital closed its outpatient unit"
    assert new.status == "active" and new.voucher_number != old_voucher and new.filed_on == TODAY
    assert codes_of(engine, new.id) == [(1, "WH-001", True), (2, "WH-002", True), (3, "WH-004", True)]
    with read_session(engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.entity == "offsite_filing"))]
    assert actions.count("offsite.cancel") == 1 and actions.count("offsite.file") == 2


async def test_sz_mt_art_10_agent_fields_and_refused_agent_id(engine, clerk, policy, retiree, wuhan):
    app = create_app(engine, clerk, policy, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workflow(pilot, CARD, "o", "OffsiteScreen")
        await candidates_loaded(pilot, 4)
        assert not app.screen.query_one("#agent-rows").display
        await pilot.press("enter")
        await add_highlighted(pilot, 3)
        await stamp_all(pilot, 3)
        await fill_form_tail(pilot)
        await choose(pilot, "filed-by", "agent")
        await wait_until(pilot, lambda: app.screen.query_one("#agent-rows").display)
        await tab_to(pilot, "agent-name")
        await type_into(pilot, "agent-name", "Zhao Gang")
        await pilot.press("tab")
        await type_into(pilot, "agent-relation", "son")
        await pilot.press("tab")
        await type_into(pilot, "agent-id", "123")
        await pilot.press("tab")
        await type_into(pilot, "agent-phone", "13800138000")

        before = db_fingerprint(engine)
        await pilot.press("ctrl+s")
        await settle(pilot)
        reasons = shown(app, "reasons")
        assert "[SZ-MT Art. 10] agent's ID number:" in reasons
        assert db_fingerprint(engine) == before
        assert app.failures == []
