"""The monthly settlement summary (SZ-MD Art. 11) and institution compliance
(ZZ §7): the booked fund shares per institution equal a recount of what the
test booked, shares add up to what was booked, the compliance rate and the
annual payment (computed cost x rate) by hand."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest

from certificate_world import refused
from core.db import read_session, write_session
from core.rules import settlement as rules
from core.services import registry
from core.services import settlement as svc

THRESHOLD_FEN = 166200_00 * 5 // 100  # SZ-MD Art. 6: 5 % of the pack's (demo) 2025 average wage


def _book(engine, actor, policy, enrollee, inst, when, fen, *, disease="MD-I-01", large=False):
    with write_session(engine) as s:
        registry.add_expense(s, actor, enrollee_id=enrollee.id, occurred_at=when, amount_fen=fen,
                             visit_kind="major_disease_outpatient", institution_id=inst.id, disease_code=disease,
                             large_equipment=large, policy=policy)


def test_sz_md_art_11_monthly_summary_sums_equal_a_recount(engine, build, policy, clerk):
    a, b = build.institution(), build.institution()
    p = build.enrollee(individual_account_fen=0, supplementary=False)
    q = build.enrollee(individual_account_fen=0, supplementary=False)
    booked = [  # (who, where, when, fen, large equipment)
        (p, a, datetime(2026, 9, 20, 9), THRESHOLD_FEN - 31_000, False),  # September: counts toward the threshold only
        (p, a, datetime(2026, 10, 3, 9), 100_000, False),
        (p, b, datetime(2026, 10, 9, 9), 50_000, False),
        (p, b, datetime(2026, 10, 10, 9), 80_000, True),  # SZ-MD Art. 6: booked, no fund share
        (q, a, datetime(2026, 10, 12, 9), 20_000, False),
        (q, b, datetime(2026, 11, 1, 0), 9_999_00, False),  # November: not this month
    ]
    for who, where, when, fen, large in booked:
        _book(engine, clerk, policy, who, where, when, fen, large=large)
    with read_session(engine) as s:
        report = svc.monthly_settlement(s, "2026-10", policy=policy)
    rows = {r.institution_code: r for r in report.rows}
    for inst in (a, b):
        mine = [x for x in booked if x[1] is inst and x[2].month == 10]
        assert rows[inst.code].visits == len(mine)
        assert rows[inst.code].booked_fen == sum(x[3] for x in mine)
        assert rows[inst.code].large_equipment_fen == sum(x[3] for x in mine if x[4])
    for r in report.rows:  # every fen booked is someone's
        assert r.account_fen + r.basic_fen + r.supplementary_fen + r.enrollee_fen + r.large_equipment_fen == r.booked_fen
    # p crosses the threshold in October at a: 1,000 - 310 = 690 yuan above it, 70 % = 483; then 500 at b: 350
    assert rows[a.code].basic_fen == 48_300 and rows[b.code].basic_fen == 35_000
    assert report.article == "SZ-MD Art. 11"
    table = list(csv.DictReader(io.StringIO(svc.settlement_csv(report))))
    assert sum(Decimal(t["booked"]) for t in table) == Decimal(report.total("booked_fen")) / 100


def test_zz_7_compliance_rate_arithmetic():
    assert rules.compliance_rate([]) is None
    assert rules.compliance_rate([(10, 9), (30, 27)]) == Decimal("0.9")
    assert rules.payable(100_001, Decimal("0.9")) == 90_001  # 90,000.9 fen, half up
    assert rules.payable(5, Decimal("0.5")) == 3
    assert rules.payable(7, None) is None


def test_zz_7_annual_settlement_multiplies_the_computed_cost_by_the_rate(engine, build, zz_policy, clerk):
    hosp = build.institution(city="Zezhou", kind="hospital")
    none = build.institution(city="Zezhou", kind="hospital")
    p = build.enrollee()
    # ZZ §4: 60 % at a hospital, ZZ-01's cap 300 yuan a month
    _book(engine, clerk, zz_policy, p, hosp, datetime(2026, 3, 2, 9), 40_000, disease="ZZ-01")  # 240
    _book(engine, clerk, zz_policy, p, hosp, datetime(2026, 3, 9, 9), 60_000, disease="ZZ-01")  # +60: the cap
    _book(engine, clerk, zz_policy, p, hosp, datetime(2026, 4, 2, 9), 10_000, disease="ZZ-01")  # 60: a new month
    _book(engine, clerk, zz_policy, p, none, datetime(2026, 4, 3, 9), 10_000, disease="ZZ-02")  # 60, no review
    for reviewed, compliant in ((6, 5), (4, 4)):
        with write_session(engine) as s:
            svc.record_review(s, clerk, hosp.code, year=2026, reviewed_files=reviewed, compliant_files=compliant,
                              on=date(2026, 11, 30), policy=zz_policy)
    with read_session(engine) as s:
        rows = {r.institution_code: r for r in svc.annual_settlement(s, 2026, policy=zz_policy)}
    h = rows[hosp.code]
    assert (h.computed_fen, h.reviewed_files, h.compliant_files, h.rate) == (36_000, 10, 9, Decimal("0.9"))
    assert h.payable_fen == 32_400
    assert rows[none.code].rate is None and rows[none.code].payable_fen is None


def test_zz_7_review_results_checked_and_nothing_written(engine, build, zz_policy, policy, clerk):
    hosp = build.institution(city="Zezhou")
    refused(engine, lambda s: svc.record_review(s, clerk, hosp.code, year=2026, reviewed_files=3, compliant_files=4,
                                                on=date(2026, 11, 30), policy=zz_policy),
            article="ZZ §7", field="compliant_files")
    refused(engine, lambda s: svc.record_review(s, clerk, hosp.code, year=2027, reviewed_files=0, compliant_files=0,
                                                on=date(2026, 11, 30), policy=zz_policy),
            article="ZZ §7", field="reviewed_files")
    with pytest.raises(Exception) as info:
        with write_session(engine) as s:
            svc.record_review(s, clerk, hosp.code, year=2026, reviewed_files=3, compliant_files=1,
                              on=date(2026, 11, 30), policy=policy)
    assert "compliance" in str(info.value)
