"""The benefit estimate from what was spent (issue 13 item 4; SZ-MD Art. 6, 8;
ZZ §4): the expenses recorded for the medical insurance year (the month for
the Zezhou caps), large-equipment examinations left out, the cash claims'
receipts counted once, and the typed spend kept as a "what if"."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from certificate_world import make_world
from core.db import read_session, write_session
from core.queries.expenses import spent
from core.rules.formulas import benefit_period
from core.services import claims, eligibility, registry
from core.services.claims import ItemInput, ReceiptInput

THRESHOLD_FEN = 166200_00 * 5 // 100  # SZ-MD Art. 6: 5 % of the pack's (demo) 2025 average wage
ON = date(2026, 4, 1)


@pytest.fixture
def world(engine, build, policy, clerk, reviewer):
    w = make_world(engine, build, policy, clerk, reviewer)
    w.recognise(date(2025, 11, 3), "MD-I-01")
    return w


def _expense(w, when: datetime, fen: int, *, disease="MD-I-01", large=False, settlement="bookkeeping"):
    with write_session(w.engine) as s:
        registry.add_expense(s, w.clerk, enrollee_id=w.enrollee.id, occurred_at=when, amount_fen=fen,
                             visit_kind="major_disease_outpatient", institution_id=w.hospital.id,
                             disease_code=disease, settlement=settlement, large_equipment=large, policy=w.policy)


def _check(w, **kw):
    with read_session(w.engine) as s:
        return eligibility.check(s, w.enrollee.id_number, "MD-I-01", on=ON, policy=w.policy, **kw)


def test_sz_md_art_6_estimate_from_the_years_recorded_expenses_without_large_equipment(world):
    _expense(world, datetime(2026, 2, 3, 9), THRESHOLD_FEN + 100_000)
    _expense(world, datetime(2026, 3, 4, 10), 300_000, large=True)  # SZ-MD Art. 6: does not count
    _expense(world, datetime(2025, 12, 30, 10), 500_000)  # the year before (SZ-MD Art. 8)
    _expense(world, datetime(2026, 3, 5, 10), 70_000, disease="MD-I-02")  # another disease
    _expense(world, datetime(2026, 4, 2, 10), 90_000)  # after the date checked
    r = _check(world)
    est = r.estimate
    assert r.entitled and est is not None and r.what_if is None
    assert est.spent_fen == THRESHOLD_FEN + 100_000
    assert est.period.start == date(2026, 1, 1)
    assert est.share("basic_pooling") == 70_000  # 70 % of the 1,000 yuan above the threshold
    left_out = [x for x in est.reasons if x.field == "large_equipment"]
    assert left_out and left_out[0].article == "SZ-MD Art. 6" and "3000.00" in left_out[0].message()


def test_the_typed_spend_is_a_what_if_beside_the_recorded_estimate(world):
    _expense(world, datetime(2026, 2, 3, 9), 10_000)
    r = _check(world, spent_fen=THRESHOLD_FEN + 200_000)
    assert r.estimate.spent_fen == 10_000 and r.estimate.share("basic_pooling") == 0
    assert r.what_if.spent_fen == THRESHOLD_FEN + 200_000 and r.what_if.share("basic_pooling") == 140_000
    d = r.as_dict("en")
    assert d["estimate"]["spent"] == "100.00" and d["what_if"]["spent"] == f"{(THRESHOLD_FEN + 200_000) / 100:.2f}"


def test_cash_expenses_count_through_their_claim_once(world, build):
    far = build.institution(city="Wuhan", level=3)
    _expense(world, datetime(2026, 2, 3, 9), 50_000, settlement="cash")  # the cash visit itself: its receipt counts
    receipt = ReceiptInput("W-1", far.code, date(2026, 2, 3), (ItemInput("drugs", 50_000),
                                                                 ItemInput("CT", 20_000, large_equipment=True)),
                           emergency=True)
    with write_session(world.engine) as s:
        c = claims.register_claim(s, world.clerk, world.enrollee.id, "MD-I-01", [receipt], on=date(2026, 2, 10),
                                  policy=world.policy)
    with write_session(world.engine) as s:
        claims.decide_claim(s, world.clerk, c.id, on=date(2026, 2, 10), policy=world.policy)
    r = _check(world)
    assert r.estimate.spent_fen == 50_000  # the receipt's counted 500 yuan, not the cash row again, no CT


def test_zz_4_the_month_is_the_period_of_a_monthly_cap(zz_policy, policy, world):
    assert benefit_period(zz_policy, date(2026, 2, 17)).start == date(2026, 2, 1)
    assert benefit_period(zz_policy, date(2026, 2, 17)).end == date(2026, 2, 28)
    assert benefit_period(policy, date(2026, 2, 17)).start == date(2026, 1, 1)
    _expense(world, datetime(2026, 1, 31, 23, 59), 1_000)
    _expense(world, datetime(2026, 2, 1, 0, 0), 2_000)
    _expense(world, datetime(2026, 2, 28, 23, 59), 4_000)
    _expense(world, datetime(2026, 3, 1, 0, 0), 8_000)
    with read_session(world.engine) as s:
        t = spent(s, world.enrollee.id, "MD-I-01", date(2026, 2, 1), date(2026, 2, 28), exclude_large_equipment=True)
    assert (t.booked_fen, t.visits) == (6_000, 2)
