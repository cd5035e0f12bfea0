"""Monitoring scan and manual triggers (SZ-MT Art. 13; RULES.md §11).

Thresholds are written here from RULES.md §11, not read back from the pack.
Every "more than" boundary is tested on both sides.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from core.db import read_session, write_session
from core.errors import DomainError, PermissionDenied
from core.models import Certificate, ExpenseRecord, MonitoringFlag
from core.rules import monitoring as rules
from core.rules.monitoring import Month, parse_month
from core.services import monitoring
from tests.conftest import db_fingerprint

OCT = Month(2026, 10)


def fen(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


def spend(engine, enrollee, at: datetime, amount_fen: int = 5000, kind: str = "general_outpatient",
          disease: str | None = None) -> None:
    with write_session(engine) as s:
        s.add(ExpenseRecord(enrollee_id=enrollee.id, occurred_at=at, visit_kind=kind, disease_code=disease,
                            amount_fen=amount_fen))


def visits(engine, enrollee, times: list[datetime], amount_fen: int = 100) -> None:
    with write_session(engine) as s:
        for at in times:
            s.add(ExpenseRecord(enrollee_id=enrollee.id, occurred_at=at, visit_kind="general_outpatient",
                                amount_fen=amount_fen))


def daily(first: date, n: int, hour: int = 9) -> list[datetime]:
    return [datetime(first.year, first.month, first.day, hour) + timedelta(days=i) for i in range(n)]


def run_scan(engine, policy, month: Month | str = OCT, **kw):
    with read_session(engine) as s:
        return monitoring.scan(s, policy, month, **kw)


def hits_of(result, enrollee) -> dict[int, int]:
    """trigger number -> figure for one enrollee."""
    return {h.number: h.figure for h in result.hits if h.enrollee_id == enrollee.id}


def certificate(engine, build, enrollee, disease: str, organ: str | None = None) -> Certificate:
    hosp = build.institution()
    doc = build.physician(hosp, specialty="transplant")
    cert = Certificate(number=f"C-T-{enrollee.card_number}-{organ}", enrollee_id=enrollee.id, disease_code=disease,
                       organ=organ, category=2, policy_pack="shenzhen-2008", status="confirmed",
                       institution_id=hosp.id, physician_id=doc.id, drafted_on=date(2026, 1, 5),
                       drafted_by="clerk1", confirmed_on=date(2026, 1, 20), valid_from=date(2026, 1, 20))
    with write_session(engine) as s:
        s.add(cert)
    return cert


# --------------------------------------------------------------------------- months


def test_sz_mt_art_13_month_parsing_names_the_field():
    assert parse_month("2026-10") == Month(2026, 10)
    for bad in ("2026-13", "2026-1", "26-10", "October", "", "2026-00"):
        with pytest.raises(DomainError) as exc:
            parse_month(bad, article="SZ-MT Art. 13")
        assert exc.value.field == "month"
        assert exc.value.article == "SZ-MT Art. 13"


def test_sz_mt_art_13_windows(policy):
    w = rules.scan_windows(Month(2026, 2), policy)
    assert w.start == datetime(2026, 2, 1) and w.end == datetime(2026, 3, 1)
    assert w.visits_start == datetime(2025, 12, 1)  # the month scanned and the two before
    assert w.year_start == datetime(2026, 1, 1)  # calendar year by default
    assert rules.benefit_year_start(Month(2026, 2), 7) == Month(2025, 7)
    assert rules.benefit_year_start(Month(2026, 7), 7) == Month(2026, 7)


# --------------------------------------------------------------------------- trigger 1: visits in a month


def test_sz_mt_art_13_trigger_1_fifteen_visits_do_not_trip(engine, build, policy):
    p = build.enrollee()
    visits(engine, p, daily(date(2026, 10, 1), 15))
    assert hits_of(run_scan(engine, policy), p) == {}


def test_sz_mt_art_13_trigger_1_sixteen_visits_trip(engine, build, policy):
    p = build.enrollee()
    visits(engine, p, daily(date(2026, 10, 1), 16))
    result = run_scan(engine, policy)
    assert hits_of(result, p) == {1: 16}
    hit = result.hits[0]
    assert hit.threshold == 15 and hit.unit == "visits" and hit.trigger == "T01-visits-month"
    assert hit.article == "SZ-MT Art. 13"
    assert "16 visits" in hit.message()


def test_sz_mt_art_13_trigger_1_only_general_outpatient_visits_count(engine, build, policy):
    p = build.enrollee()
    visits(engine, p, daily(date(2026, 10, 1), 15))
    spend(engine, p, datetime(2026, 10, 20, 9), kind="major_disease_outpatient", amount_fen=100)
    spend(engine, p, datetime(2026, 10, 21, 9), kind="emergency", amount_fen=100)
    assert hits_of(run_scan(engine, policy), p) == {}


def _sixteenth_visit_after(engine, p, gap: timedelta) -> None:
    """15 separate visits on 15 days, plus one more ``gap`` after the last."""
    times = daily(date(2026, 10, 1), 15)
    visits(engine, p, times + [times[-1] + gap])


def test_sz_mt_art_13_visits_3h59m_apart_count_once(engine, build, policy):
    p = build.enrollee()
    _sixteenth_visit_after(engine, p, timedelta(hours=3, minutes=59))
    assert hits_of(run_scan(engine, policy), p) == {}  # still 15


def test_sz_mt_art_13_visits_4h01m_apart_count_twice(engine, build, policy):
    p = build.enrollee()
    _sixteenth_visit_after(engine, p, timedelta(hours=4, minutes=1))
    assert hits_of(run_scan(engine, policy), p) == {1: 16}


def test_sz_mt_art_13_visits_exactly_4h00m_apart_count_once(engine, build, policy):
    """Reading: a visit counts only if it starts MORE than 4 hours after the
    last counted visit; exactly 4h00m00s is still within the 4-hour period."""
    p = build.enrollee()
    _sixteenth_visit_after(engine, p, timedelta(hours=4))
    assert hits_of(run_scan(engine, policy), p) == {}
    q = build.enrollee()
    _sixteenth_visit_after(engine, q, timedelta(hours=4, seconds=1))
    assert hits_of(run_scan(engine, policy), q) == {1: 16}


def test_sz_mt_art_13_greedy_periods_start_at_the_last_counted_visit(engine, build, policy):
    """08:00, 11:00, 12:30, 16:00 on one day: 08:00 counts; 11:00 and 12:30 are
    within 4h of it; 12:30 is 4h30 after 08:00 so it counts; 16:00 is 3h30
    after 12:30, so it does not. Two counted visits (a chain of gaps under 4h
    is not one visit, and the periods are not fixed 4-hour blocks)."""
    p = build.enrollee()
    day = [datetime(2026, 10, 31, h, m) for h, m in ((8, 0), (11, 0), (12, 30), (16, 0))]
    visits(engine, p, daily(date(2026, 10, 1), 14) + day)
    assert hits_of(run_scan(engine, policy), p) == {1: 16}
    q = build.enrollee()
    visits(engine, q, daily(date(2026, 10, 1), 13) + day)
    assert hits_of(run_scan(engine, policy), q) == {}  # 13 + 2 = 15


def test_sz_mt_art_13_long_chain_of_visits(engine, build, policy):
    """Visits every 3 hours for a day and a half: 13 visits, greedy counts
    every second one (0h, 6h, 12h, ...): 7."""
    p = build.enrollee()
    chain = [datetime(2026, 10, 20, 0) + timedelta(hours=3 * i) for i in range(13)]
    visits(engine, p, daily(date(2026, 10, 1), 9) + chain)  # 9 + 7 = 16
    assert hits_of(run_scan(engine, policy), p) == {1: 16}


def test_sz_mt_art_13_simultaneous_visits_count_once(engine, build, policy):
    p = build.enrollee()
    times = daily(date(2026, 10, 1), 16)
    visits(engine, p, times + [times[0], times[0], times[3]])
    assert hits_of(run_scan(engine, policy), p) == {1: 16}


def test_sz_mt_art_13_visit_just_after_month_start_merges_with_last_night(engine, build, policy):
    """Periods run across midnight and the month boundary inside the window:
    a 01:00 visit on Oct 1 after a 22:00 visit on Sep 30 does not count in October."""
    p = build.enrollee()
    visits(engine, p, [datetime(2026, 9, 30, 22)] + [datetime(2026, 10, 1, 1)] + daily(date(2026, 10, 2), 15))
    assert hits_of(run_scan(engine, policy), p) == {}
    visits(engine, p, [datetime(2026, 10, 31, 20)])
    assert hits_of(run_scan(engine, policy), p) == {1: 16}


# --------------------------------------------------------------------------- trigger 2: three months


def test_sz_mt_art_13_trigger_2_thirty_visits_in_three_months_do_not_trip(engine, build, policy):
    p = build.enrollee()
    visits(engine, p, daily(date(2026, 8, 1), 10) + daily(date(2026, 9, 1), 10) + daily(date(2026, 10, 1), 10))
    assert hits_of(run_scan(engine, policy), p) == {}


def test_sz_mt_art_13_trigger_2_thirty_one_visits_in_three_months_trip(engine, build, policy):
    p = build.enrollee()
    visits(engine, p, daily(date(2026, 8, 1), 10) + daily(date(2026, 9, 1), 10) + daily(date(2026, 10, 1), 11))
    result = run_scan(engine, policy)
    assert hits_of(result, p) == {2: 31}


def test_sz_mt_art_13_trigger_2_window_is_the_month_and_the_two_before(engine, build, policy):
    p = build.enrollee()
    # July is outside the October window
    visits(engine, p, daily(date(2026, 7, 1), 15) + daily(date(2026, 8, 1), 10) + daily(date(2026, 9, 1), 10)
           + daily(date(2026, 10, 1), 10) + [datetime(2026, 11, 1, 9)])
    assert hits_of(run_scan(engine, policy), p) == {}
    # the same visits seen from September: July..September = 35
    assert hits_of(run_scan(engine, policy, Month(2026, 9)), p) == {2: 35}


# --------------------------------------------------------------------------- cost triggers


def test_sz_mt_art_13_trigger_3_cost_month_boundary(engine, build, policy):
    p, q = build.enrollee(), build.enrollee()
    spend(engine, p, datetime(2026, 10, 3, 9), fen("4000.00"))
    spend(engine, p, datetime(2026, 10, 9, 9), fen("2000.00"), kind="major_disease_outpatient", disease="MD-I-09")
    spend(engine, q, datetime(2026, 10, 3, 9), fen("4000.00"))
    spend(engine, q, datetime(2026, 10, 31, 23, 59), fen("2000.01"), kind="emergency")
    result = run_scan(engine, policy)
    assert hits_of(result, p) == {}
    assert hits_of(result, q) == {3: fen("6000.01")}
    hit = [h for h in result.hits if h.enrollee_id == q.id][0]
    assert hit.unit == "fen" and hit.threshold == fen("6000")
    assert hit.as_dict()["figure_yuan"] == "6000.01"


def test_sz_mt_art_13_trigger_3_inpatient_and_pharmacy_are_not_outpatient(engine, build, policy):
    p = build.enrollee()
    spend(engine, p, datetime(2026, 10, 3, 9), fen("5000"))
    spend(engine, p, datetime(2026, 10, 4, 9), fen("9000"), kind="inpatient")
    spend(engine, p, datetime(2026, 10, 5, 9), fen("1500"), kind="pharmacy")
    assert hits_of(run_scan(engine, policy), p) == {}


def test_sz_mt_art_13_trigger_4_general_cost_year_boundary(engine, build, policy):
    p, q = build.enrollee(), build.enrollee()
    for who, last in ((p, "5000.00"), (q, "5000.01")):
        for month in (7, 8, 9):
            spend(engine, who, datetime(2026, month, 15, 9), fen("5000"))
        spend(engine, who, datetime(2026, 10, 15, 9), fen(last))
        # last year's costs and major-disease costs do not count
        spend(engine, who, datetime(2025, 12, 31, 9), fen("5000"))
        spend(engine, who, datetime(2026, 6, 1, 9), fen("3000"), kind="major_disease_outpatient", disease="MD-I-01")
    result = run_scan(engine, policy)
    assert hits_of(result, p) == {}
    assert hits_of(result, q) == {4: fen("20000.01")}


def test_sz_mt_art_13_trigger_4_benefit_year_start_month_from_pack(engine, build, policy):
    p = build.enrollee()
    spend(engine, p, datetime(2025, 12, 15, 9), fen("5000"))
    for month in (7, 8, 9):
        spend(engine, p, datetime(2026, month, 15, 9), fen("5000"))
    spend(engine, p, datetime(2026, 10, 15, 9), fen("0.01"))
    assert hits_of(run_scan(engine, policy), p) == {}
    december_year = policy.model_copy(
        update={"benefits": policy.benefits.model_copy(update={"benefit_year_start_month": 12})})
    assert hits_of(run_scan(engine, december_year), p) == {4: fen("20000.01")}


def test_sz_mt_art_13_trigger_5_inpatient_scheme_cost_year_boundary(engine, build, policy):
    p = build.enrollee(scheme="inpatient")
    q = build.enrollee(scheme="inpatient")
    r = build.enrollee(scheme="comprehensive")
    spend(engine, p, datetime(2026, 3, 1, 9), fen("500"))
    spend(engine, p, datetime(2026, 10, 1, 9), fen("300.00"), kind="major_disease_outpatient", disease="MD-II-01")
    spend(engine, q, datetime(2026, 3, 1, 9), fen("500"))
    spend(engine, q, datetime(2026, 10, 1, 9), fen("300.01"), kind="emergency")
    spend(engine, r, datetime(2026, 10, 1, 9), fen("800.01"))
    result = run_scan(engine, policy)
    assert hits_of(result, p) == {}
    assert hits_of(result, q) == {5: fen("800.01")}
    assert hits_of(result, r) == {}


@pytest.mark.parametrize(
    ("number", "disease", "organ", "limit"),
    [
        (6, "MD-II-03", None, "10000"),
        (7, "MD-II-01", None, "15000"),
        (8, "MD-II-02", "kidney", "15000"),
    ],
)
def test_sz_mt_art_13_therapy_triggers_both_sides(engine, build, policy, number, disease, organ, limit):
    below = build.enrollee(scheme="migrant")
    above = build.enrollee(scheme="migrant")
    for who, extra in ((below, "0"), (above, "0.01")):
        if organ:
            certificate(engine, build, who, disease, organ)
        spend(engine, who, datetime(2026, 10, 2, 9), fen(limit) - fen("1000"),
              kind="major_disease_outpatient", disease=disease)
        spend(engine, who, datetime(2026, 10, 20, 9), fen("1000") + fen(extra),
              kind="major_disease_outpatient", disease=disease)
        # September therapy costs are not October's
        spend(engine, who, datetime(2026, 9, 30, 23), fen("5000"), kind="major_disease_outpatient", disease=disease)
    result = run_scan(engine, policy)
    assert number not in hits_of(result, below)
    assert hits_of(result, above)[number] == fen(limit) + fen("0.01")
    assert hits_of(result, above)[3] == fen(limit) + fen("0.01")  # also over 6,000 yuan a month


def test_sz_mt_art_13_trigger_8_needs_the_kidney_organ(engine, build, policy):
    """The transplant disease is one code with organs; only the kidney organ
    carries the kidney-transplant therapy."""
    cornea = build.enrollee()
    certificate(engine, build, cornea, "MD-II-02", "cornea")
    spend(engine, cornea, datetime(2026, 10, 2, 9), fen("16000"), kind="major_disease_outpatient", disease="MD-II-02")
    kidney_no_cert = build.enrollee()
    spend(engine, kidney_no_cert, datetime(2026, 10, 2, 9), fen("16000"), kind="major_disease_outpatient",
          disease="MD-II-02")
    result = run_scan(engine, policy)
    assert hits_of(result, cornea) == {3: fen("16000")}
    assert hits_of(result, kidney_no_cert) == {3: fen("16000")}


def test_sz_mt_art_13_therapy_map_from_pack(policy):
    tmap = rules.therapy_map(policy)
    assert tmap.disease_codes["tumour"] == ("MD-II-03",)
    assert tmap.disease_codes["dialysis"] == ("MD-II-01",)
    assert [(o.disease_code, o.organs, o.therapy) for o in tmap.organ_rules] == [
        ("MD-II-02", ("kidney",), "kidney_transplant")]


def test_sz_mt_art_13_scan_returns_only_hits_and_can_be_limited(engine, build, policy):
    quiet = build.enrollee()
    busy = build.enrollee()
    spend(engine, quiet, datetime(2026, 10, 2, 9), fen("100"))
    spend(engine, busy, datetime(2026, 10, 2, 9), fen("7000"))
    visits(engine, busy, daily(date(2026, 10, 3), 16))
    result = run_scan(engine, policy)
    assert result.enrollee_ids == {busy.id}
    assert sorted(h.number for h in result.hits) == [1, 3]
    assert run_scan(engine, policy, enrollee_id=quiet.id).hits == []
    assert len(run_scan(engine, policy, enrollee_id=busy.id).hits) == 2


def test_sz_mt_art_13_zezhou_pack_runs_the_same_scan(engine, build, zz_policy):
    p = build.enrollee()
    visits(engine, p, daily(date(2026, 10, 1), 16))
    assert 1 in hits_of(run_scan(engine, zz_policy), p)


# --------------------------------------------------------------------------- manual triggers


def test_sz_mt_art_13_manual_trigger_recorded_by_clerk(engine, build, policy, clerk):
    p = build.enrollee()
    with write_session(engine) as s:
        flag = monitoring.record_manual_trigger(s, clerk, policy, enrollee_id=p.id, trigger="T10-card-lending",
                                                detail="Card used by a relative at a pharmacy", on=date(2026, 10, 9))
    assert flag.month == "2026-10" and flag.source == "manual" and flag.recorded_by == "clerk1"
    result = run_scan(engine, policy)
    assert [(f.enrollee_id, f.number) for f in result.manual] == [(p.id, 10)]
    with read_session(engine) as s:
        from core.audit import history

        events = [(e.action, e.article) for e in history(s, entity="monitoring_flag", entity_id=flag.id)]
    assert events == [("monitoring.flag", "SZ-MT Art. 13")]


@pytest.mark.parametrize(
    ("trigger", "month", "detail", "field"),
    [
        ("T01-visits-month", "2026-10", "seen", "trigger"),
        ("T99-nothing", "2026-10", "seen", "trigger"),
        ("T12-reported-violation", "2026-11", "seen", "month"),
        ("T12-reported-violation", "2026-10", "  ", "detail"),
    ],
)
def test_sz_mt_art_13_manual_trigger_refusals_change_nothing(engine, build, policy, clerk, trigger, month,
                                                             detail, field):
    p = build.enrollee()
    before = db_fingerprint(engine)
    with pytest.raises(DomainError) as exc, write_session(engine) as s:
        monitoring.record_manual_trigger(s, clerk, policy, enrollee_id=p.id, trigger=trigger, detail=detail,
                                         month=month, on=date(2026, 10, 9))
    assert exc.value.field == field
    assert db_fingerprint(engine) == before


def test_sz_mt_art_13_manual_trigger_needs_record_role(engine, build, policy):
    from core.auth import Actor

    p = build.enrollee()
    before = db_fingerprint(engine)
    with pytest.raises(PermissionDenied), write_session(engine) as s:
        monitoring.record_manual_trigger(s, Actor("ghost", "nobody"), policy, enrollee_id=p.id,
                                         trigger="T09-false-enrolment", detail="x", on=date(2026, 10, 9))
    assert db_fingerprint(engine) == before
    with read_session(engine) as s:
        assert s.exec(select(MonitoringFlag)).all() == []


# --------------------------------------------------------------------------- CLI


def test_sz_mt_art_13_cli_monitor(engine, build, db_path, monkeypatch, tmp_path, me):
    from cli.main import app

    monkeypatch.setenv("CASEDESK_CONFIG", str(tmp_path / "none.toml"))
    p = build.enrollee(name="Busy Person")
    visits(engine, p, daily(date(2026, 10, 1), 16))
    runner = CliRunner()
    res = runner.invoke(app, ["--db", str(db_path), "monitor", "2026-10", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["month"] == "2026-10" and data["hits"][0]["number"] == 1 and data["hits"][0]["figure"] == 16
    res = runner.invoke(app, ["--db", str(db_path), "monitor", "2026-10"])
    assert res.exit_code == 0 and "Busy Person" in res.stdout
    res = runner.invoke(app, ["--db", str(db_path), "monitor", "2026-13"])
    assert res.exit_code == 2
    assert "month" in res.stderr and "SZ-MT Art. 13" in res.stderr


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_engine(pg_url):
    """A fresh migrated database on this process's throwaway PostgreSQL cluster
    (tests/conftest.py; skipped where no PostgreSQL server binaries are installed)."""
    from core.db import make_engine

    eng = make_engine(pg_url)
    yield eng
    eng.dispose()


def _portable_scenario(engine, build) -> dict[str, dict[int, int]]:
    people = {k: build.enrollee(scheme=s) for k, s in
              (("visits", "comprehensive"), ("greedy", "comprehensive"), ("inpatient", "inpatient"),
               ("kidney", "migrant"), ("three", "comprehensive"))}
    day = [datetime(2026, 10, 31, h, m) for h, m in ((8, 0), (11, 0), (12, 30), (16, 0))]
    visits(engine, people["visits"], daily(date(2026, 10, 1), 15) + [datetime(2026, 10, 15, 13, 0, 1)])
    visits(engine, people["greedy"], daily(date(2026, 10, 1), 14) + day)
    visits(engine, people["three"], daily(date(2026, 8, 1), 11) + daily(date(2026, 9, 1), 10)
           + daily(date(2026, 10, 1), 10))
    spend(engine, people["inpatient"], datetime(2026, 2, 1, 9), fen("800.01"), kind="emergency")
    spend(engine, people["inpatient"], datetime(2026, 10, 1, 9), fen("0"), kind="emergency")
    certificate(engine, build, people["kidney"], "MD-II-02", "kidney")
    spend(engine, people["kidney"], datetime(2026, 10, 9, 9), fen("15000.01"), kind="major_disease_outpatient",
          disease="MD-II-02")
    result = run_scan(engine, load_pack_sz())
    return {k: hits_of(result, p) for k, p in people.items()}


def load_pack_sz():
    from core.policy import load_pack

    return load_pack("shenzhen-2008")


EXPECTED_PORTABLE = {
    "visits": {1: 16},
    "greedy": {1: 16},
    "inpatient": {5: fen("800.01")},
    "kidney": {3: fen("15000.01"), 8: fen("15000.01")},
    "three": {2: 31},
}


def test_sz_mt_art_13_scan_sql_sqlite(engine, build):
    assert _portable_scenario(engine, build) == EXPECTED_PORTABLE


@pytest.mark.postgres
def test_sz_mt_art_13_scan_sql_postgresql(pg_engine):
    from tests.conftest import Build

    assert _portable_scenario(pg_engine, Build(pg_engine)) == EXPECTED_PORTABLE


# --------------------------------------------------------------------------- SQL against a reference


def _reference_counts(times: list[datetime], month: Month, merge: timedelta) -> tuple[int, int]:
    """The documented definition, in plain Python: greedy from the window start."""
    start = datetime.combine(month.shift(-2).first, time())
    end = datetime.combine(month.shift(1).first, time())
    first_of_month = datetime.combine(month.first, time())
    last = None
    in_month = in_window = 0
    for t in sorted(x for x in times if start <= x < end):
        if last is None or t - last > merge:
            last = t
            in_window += 1
            in_month += t >= first_of_month
    return in_month, in_window


def test_sz_mt_art_13_visit_counting_matches_the_definition(engine, build, policy):
    """Random clustered visits for 30 enrollees; thresholds lowered to 0 so
    every figure comes back, and each must equal the reference count."""
    import random

    rng = random.Random(13)
    zero = policy.model_copy(update={"monitoring": policy.monitoring.model_copy(update={"triggers": [
        t.model_copy(update={"threshold": Decimal(0)}) for t in policy.monitoring.triggers
        if t.kind in ("visits_month", "visits_3months")]})})
    expected = {}
    for _ in range(30):
        p = build.enrollee()
        times: list[datetime] = []
        for _ in range(rng.randint(1, 12)):  # bursts of visits minutes to hours apart
            t = datetime(2026, 7, 25) + timedelta(minutes=rng.randint(0, 60 * 24 * 100))
            for _ in range(rng.randint(1, 6)):
                times.append(t)
                t += timedelta(minutes=rng.choice([0, 30, 90, 179, 239, 240, 241, 300, 600]))
        visits(engine, p, times)
        expected[p.id] = _reference_counts(times, OCT, timedelta(hours=4))
    result = run_scan(engine, zero)
    got: dict = {}
    for h in result.hits:
        got.setdefault(h.enrollee_id, [0, 0])[0 if h.kind == "visits_month" else 1] = h.figure
    for pid, (month_count, window_count) in expected.items():
        assert tuple(got.get(pid, [0, 0])) == (month_count, window_count), pid


def test_sz_mt_art_13_cli_flag(engine, build, db_path, monkeypatch, tmp_path, me):
    from cli.main import app

    monkeypatch.setenv("CASEDESK_CONFIG", str(tmp_path / "none.toml"))
    p = build.enrollee()
    runner = CliRunner()
    res = runner.invoke(app, ["--db", str(db_path), "flag", p.card_number, "T11-card-left",
                              "--detail", "Card found at a pharmacy", "--month", "2026-10"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["--db", str(db_path), "flag", p.card_number, "T03-cost-month", "--detail", "x"])
    assert res.exit_code == 1 and "trigger" in res.stderr  # refused by SZ-MT Art. 13 (exit 1)
    with read_session(engine) as s:
        assert [f.trigger for f in s.exec(select(MonitoringFlag))] == ["T11-card-left"]
