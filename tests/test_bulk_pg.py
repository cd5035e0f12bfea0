"""The bulk demo's PostgreSQL path (core.bulk_pg: COPY of core.bulk's
batches) and the bench's hand-written scan (bench/scan_pg.py), on a small
generated data set in the real PostgreSQL 15 test cluster: every row
arrives in its month's partition, the constraints and indexes dropped for
the load are all back, a failed load leaves nothing, and casedesk's SZ-MT
Art. 13 scan finds exactly the hits of the hand SQL (every numeric
trigger among them)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from core import bulk
from core.bulk_pg import TABLES, _saved_definitions, load
from core.db import make_engine
from core.policy import load_pack
from core.rules import monitoring as rules
from core.rules.monitoring import Month
from tests.conftest import Build, table_counts

pytestmark = pytest.mark.postgres
TODAY = date(2026, 12, 2)


@pytest.fixture
def pg(pg_url):
    eng = make_engine(pg_url)
    yield eng
    eng.dispose()


def master_data(eng, policy) -> bulk.Refs:
    """Institutions and a diagnostic team per specialty, as the small demo has."""
    b = Build(eng)
    insts = [b.institution() for _ in range(3)]
    for sp in sorted({d.specialty for d in policy.diseases}):
        docs = [b.physician(insts[0], specialty=sp, title="chief") for _ in range(2)]
        b.team(insts[0], sp, docs[0], docs[1:])
    return bulk.refs_of(eng, policy)


def definitions(eng) -> tuple[set, set]:
    with eng.connect() as c:
        cons, idx = _saved_definitions(c.connection.dbapi_connection.cursor(), TABLES)
    return set(cons), set(idx)


def test_copy_load_puts_rows_in_their_months_and_restores_every_constraint(pg):
    policy = load_pack()
    refs = master_data(pg, policy)
    before = definitions(pg)
    spec = bulk.Spec(enrollees=600, expenses=6000, today=TODAY)
    made: dict[str, int] = {}
    for table, _cols, rows in bulk.batches(spec, refs, policy, "postgresql"):
        made[table] = made.get(table, 0) + len(rows)
    load(pg, bulk.batches(spec, refs, policy, "postgresql"), lambda *a: None)
    counts = table_counts(pg)
    assert {t: counts[t] for t in made} == made
    assert counts["expense_record_default"] == 0
    months = {f"expense_record_y{m.year:04d}m{m.month:02d}" for m in
              (spec.first_month.shift(k) for k in range(12))}
    assert {t for t, n in counts.items() if t.startswith("expense_record_y") and n} == months
    assert definitions(pg) == before and before[0] and before[1]
    with pg.connect() as c:  # the change log (0010) saw the load like any other write
        logged = c.execute(text("SELECT tbl, count(*) FROM sync_change WHERE tbl IN ('enrollee', 'expense_record') "
                                "GROUP BY tbl")).all()
    assert dict(logged) == {"enrollee": made["enrollee"], "expense_record": made["expense_record"]}


def test_a_failed_load_leaves_nothing(pg):
    policy = load_pack()
    refs = master_data(pg, policy)
    before, counts = definitions(pg), table_counts(pg)

    def breaks():
        for n, batch in enumerate(bulk.batches(bulk.Spec(enrollees=300, expenses=3000, today=TODAY), refs, policy,
                                               "postgresql")):
            if batch[0] == "expense_record":
                raise RuntimeError("generator failed")
            yield batch

    with pytest.raises(RuntimeError, match="generator failed"):
        load(pg, breaks(), lambda *a: None)
    assert table_counts(pg) == counts
    assert definitions(pg) == before


def test_sz_mt_art_13_scan_finds_the_hand_queries_hits(pg):
    from bench.scan_pg import casedesk_scan, hand_scan

    policy = load_pack()
    refs = master_data(pg, policy)
    load(pg, bulk.batches(bulk.Spec(enrollees=1500, expenses=20000, today=TODAY), refs, policy, "postgresql"),
         lambda *a: None)
    month = Month.of(TODAY).shift(-1)
    ours = casedesk_scan(pg, policy, month)
    url = pg.url
    conninfo = f"host={url.query['host']} port={url.query['port']} user={url.username} dbname={url.database}"
    assert ours == hand_scan(conninfo, policy, month)
    assert {code for _, code, _ in ours} == {t.code for t in rules.numeric_triggers(policy)}
