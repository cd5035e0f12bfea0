"""The bulk demo generator (issue 10 item 1, core.bulk) on a small data set:
valid ID numbers, the demo's mix, search rows the lookup finds, every numeric
SZ-MT Art. 13 trigger hit, and the scan's hit set equal to the hand-written
query of bench/scan_hand.sql (issue 10 item 3)."""

from __future__ import annotations

import calendar
import collections
import sqlite3
import uuid
from datetime import date

import pytest
from sqlmodel import Session

from core import bulk
from core.db import init_database
from core.ids import validate_id_number
from core.policy import load_pack

TODAY = date(2026, 12, 2)
SPEC = bulk.Spec(enrollees=1_500, expenses=16_000, seed=7, today=TODAY)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("bulk") / "bulk.db"
    engine, _ = init_database(str(path), demo=True)
    stages = collections.Counter()
    summary = bulk.build(engine, load_pack("shenzhen-2008"), SPEC,
                         progress=lambda stage, done, total: stages.update([stage]))
    yield engine, path, summary, stages
    engine.dispose()


def _rows(path, sql, *params):
    with sqlite3.connect(path) as c:
        return c.execute(sql, params).fetchall()


def test_sizes_as_asked_and_progress_reported(built):
    engine, path, summary, stages = built
    assert _rows(path, "SELECT count(*) FROM enrollee") == [(SPEC.enrollees,)]
    assert _rows(path, "SELECT count(*) FROM expense_record") == [(SPEC.expenses,)]
    assert summary["enrollees"] == SPEC.enrollees and summary["expenses"] == SPEC.expenses
    assert {"demo", "enrollees", "expenses", "indexes"} <= set(stages)


def test_id_numbers_valid_and_unique(built):
    _e, path, _s, _st = built
    numbers = [n for (n,) in _rows(path, "SELECT id_number FROM enrollee")]
    assert len(set(numbers)) == len(numbers)
    for n in numbers:
        info = validate_id_number(n, today=TODAY)  # check digit (GB 11643), birth date, region
        assert info is not None
    sexes = dict(_rows(path, "SELECT sex, count(*) FROM enrollee WHERE sex != '' GROUP BY sex"))
    for n, sex in _rows(path, "SELECT id_number, sex FROM enrollee WHERE sex != ''"):
        assert (int(n[16]) % 2 == 1) == (sex == "M")
    assert sexes.get("M") and sexes.get("F")


def test_the_demo_mix(built):
    _e, path, _s, _st = built
    schemes = dict(_rows(path, "SELECT scheme, count(*) FROM enrollee GROUP BY scheme"))
    assert schemes["comprehensive"] > schemes["inpatient"] > 0 and schemes["migrant"] > 0
    statuses = {s for (s,) in _rows(path, "SELECT DISTINCT status FROM certificate")}
    assert statuses >= {s for s, _w in bulk.CERTIFICATE_MIX}
    kinds = {k for (k,) in _rows(path, "SELECT DISTINCT visit_kind FROM expense_record")}
    assert kinds == {1, 2, 3, 4, 5}
    bulk_rows = "FROM expense_record WHERE created_at = ?"  # the workflow demo's rows carry the real time
    months = _rows(path, f"SELECT count(DISTINCT strftime('%Y-%m', occurred_at, 'unixepoch')) {bulk_rows}",
                   calendar.timegm(TODAY.timetuple()))
    assert months == [(12,)]
    # the bulk's confirmed certificates are signed, sealed and confirmed, valid as SZ-MD Art. 12 says
    from core.rules.certificates import last_valid_day

    policy = load_pack("shenzhen-2008")
    confirmed = _rows(path, "SELECT category, confirmed_on, valid_from, valid_until FROM certificate "
                            "WHERE status = 'confirmed' AND created_at = '2026-12-02 00:00:00.000000' "
                            "AND signer1_id IS NOT NULL AND signer2_id IS NOT NULL AND sealed_on IS NOT NULL")
    assert len(confirmed) == _rows(path, "SELECT count(*) FROM certificate WHERE status = 'confirmed' "
                                         "AND created_at = '2026-12-02 00:00:00.000000'")[0][0] > 100
    for category, on, start, until in confirmed:
        end = last_valid_day(date.fromisoformat(on), policy.validity_years(category))
        assert start == on and until == (end.isoformat() if end else None)


def test_lookup_finds_generated_people(built):
    from core.services.lookup import search

    engine, path, _s, _st = built
    assert _rows(path, "SELECT count(*) FROM enrollee_search_key") == [(SPEC.enrollees,)]
    (key, name, pinyin, card), = _rows(path, "SELECT id, name, name_pinyin, card_number FROM enrollee "
                                             "WHERE card_number LIKE 'SZ1%' ORDER BY card_number DESC LIMIT 1")

    def found(rows):
        return {uuid.UUID(r.id).hex for r in rows}

    with Session(engine) as s:
        assert key in found(search(s, name, limit=200).rows)
        assert key in found(search(s, pinyin.split()[0], limit=200).rows)
        assert found(search(s, card).rows) == {key}
        assert search(s, name[:1], limit=5).rows  # one character: the gram table


def test_bulk_search_rows_are_the_triggers_rows(built):
    """The grams written in bulk are exactly those 0004_search's trigger
    statement gives for the same people."""
    import importlib

    search = importlib.import_module("core.migrations.versions.0004_search")
    _e, path, _s, _st = built
    want = _rows(path, "SELECT DISTINCT " + search._SQLITE_GRAMS.format(n="e").replace(
        "SELECT ", "", 1).replace("FROM ", "FROM enrollee e, ", 1) + " ORDER BY 1, 2, 3")
    got = _rows(path, "SELECT gram, name, rid FROM enrollee_search_gram ORDER BY 1, 2, 3")
    assert got == want
    assert _rows(path, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'enrollee'") == [(3,)]


def test_every_numeric_trigger_is_hit(built):
    from core.services.monitoring import scan

    engine, _p, _s, _st = built
    policy = load_pack("shenzhen-2008")
    with Session(engine) as s:
        result = scan(s, policy, bulk.scan_month(TODAY))
    hit = {h.trigger for h in result.hits}
    numeric = {t.code for t in policy.monitoring.triggers if t.kind != "manual"}
    assert hit == numeric
    # an enrollee exactly on a threshold ("more than") is no hit
    assert all(h.figure > h.threshold for h in result.hits)


def test_scan_hit_set_equals_the_hand_query(built):
    from bench.scan import casedesk_hits, hand_hits

    engine, path, _s, _st = built
    month = bulk.scan_month(TODAY)
    ours = casedesk_hits(engine, load_pack("shenzhen-2008"), month)
    assert ours and ours == hand_hits(path, month)
    # and for the month before, whose windows differ
    before = "2026-10"
    assert casedesk_hits(engine, load_pack("shenzhen-2008"), before) == hand_hits(path, before)


def test_an_expense_row_takes_at_most_200_bytes(built):
    _e, path, _s, _st = built
    (size, rows), = _rows(path, "SELECT (SELECT sum(pgsize) FROM dbstat WHERE name = 'expense_record'), "
                                "(SELECT count(*) FROM expense_record)")
    assert size / rows <= 200  # issue 10 item 2 (about 110 at 1M rows)


def test_batches_are_deterministic():
    policy = load_pack("shenzhen-2008")
    refs = bulk.Refs(city_institutions=[uuid.UUID(int=1), uuid.UUID(int=2)],
                     teams={(uuid.UUID(int=1), d.specialty): (uuid.UUID(int=3), uuid.UUID(int=4), uuid.UUID(int=5))
                            for d in policy.diseases})
    spec = bulk.Spec(enrollees=200, expenses=3_000, seed=3, today=TODAY)

    def digest():
        return [(t, len(r), hash(tuple(r[:50]))) for t, _c, r in bulk.batches(spec, refs, policy, "postgresql")]

    first = digest()
    assert first == digest()
    assert sum(n for t, n, _h in first if t == "expense_record") == 3_000


def test_bulk_demo_on_postgresql(pg_url):
    """The same generator into PostgreSQL (Core executemany unless a faster
    loader is registered in core.bulk.LOADERS): every numeric trigger hit."""
    from core.auth import Actor
    from core.db import make_engine
    from core.services.monitoring import scan

    engine = make_engine(pg_url)
    policy = load_pack("shenzhen-2008")
    spec = bulk.Spec(enrollees=420, expenses=6_000, seed=11, today=TODAY)
    try:
        bulk.build(engine, policy, spec, by=Actor("pg.admin", "admin", "futian", "PG Admin"))
        with Session(engine) as s:
            result = scan(s, policy, bulk.scan_month(TODAY))
            from sqlalchemy import text

            assert s.execute(text("SELECT count(*) FROM expense_record")).scalar_one() == spec.expenses
            assert s.execute(text("SELECT count(*) FROM enrollee")).scalar_one() == spec.enrollees
        assert {h.trigger for h in result.hits} == {t.code for t in policy.monitoring.triggers if t.kind != "manual"}
    finally:
        engine.dispose()
