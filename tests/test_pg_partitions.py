"""Expenses partitioned by month on PostgreSQL (issue 10 item 3; migration
0009_pg_partitions, core.partitions): the migration keeps every row in its
month, the expense import makes a new month's partition in its own
transaction (and a failed import leaves none), rows a writer did not
prepare for land in the default partition and move out when their month is
made, and the monitoring scan (SZ-MT Art. 13) reads only the months of its
windows. Real PostgreSQL 15 (tests/pg_cluster.py), small data."""

from __future__ import annotations

import io
import re
import threading
from datetime import date, datetime

import pytest
from sqlalchemy import event, insert, text

from core.auth import Actor
from core.db import make_engine, read_session, upgrade
from core.models import ExpenseRecord
from core.models.storage import local_epoch
from core.models.tables import new_expense_id
from core.policy import load_pack
from core.services import monitoring
from core.services.importer import ImportRefused, import_csv
from tests.conftest import Build

pytestmark = pytest.mark.postgres
CLERK = Actor("pgclerk", "clerk", "futian")
PREVIOUS = "0010_sync_changes"  # 0009_pg_partitions' down_revision


def partitions(eng) -> dict[str, int]:
    """Partition name -> rows in it."""
    with eng.connect() as c:
        names = c.execute(text("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                               "WHERE i.inhparent = 'expense_record'::regclass ORDER BY 1")).scalars().all()
        return {n: c.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}


def expenses_csv(rows: list[tuple[str, str, str, str]]) -> io.StringIO:
    lines = ["enrollee_id_number,occurred_at,amount_yuan,visit_kind"] + [",".join(r) for r in rows]
    return io.StringIO("\n".join(lines) + "\n")


@pytest.fixture
def pg(pg_url):
    eng = make_engine(pg_url)
    yield eng
    eng.dispose()


def test_migration_makes_a_partitioned_table_with_a_default(pg):
    with pg.connect() as c:
        strategy = c.execute(text("SELECT partstrat FROM pg_partitioned_table "
                                  "WHERE partrelid = 'expense_record'::regclass")).scalar_one()
        key = c.execute(text("SELECT pg_get_partkeydef('expense_record'::regclass)")).scalar_one()
        pk = c.execute(text("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                            "WHERE conrelid = 'expense_record'::regclass AND contype = 'p'")).scalar_one()
    assert (strategy, key) == ("r", "RANGE (occurred_at)")
    assert pk == "PRIMARY KEY (enrollee_id, occurred_at, id)"
    assert partitions(pg) == {"expense_record_default": 0}


def test_upgrade_moves_existing_rows_into_their_months_and_downgrade_keeps_them(pg_empty_url):
    """…and the table keeps its sync change-log triggers both ways (0010)."""
    from core.sync.changes import installed

    eng = make_engine(pg_empty_url)
    upgrade(eng)
    people = [Build(eng).enrollee() for _ in range(2)]
    upgrade_down(eng, PREVIOUS)
    # rows written by casedesk before partitions: plain SQL, as the table was at PREVIOUS
    rows = [dict(id=n, e=p.id, at=local_epoch(datetime(2026, m, 28, 23, 59, 59)), fen=100 * m)
            for n, (p, m) in enumerate((p, m) for p in people for m in (1, 2, 2, 11))]
    with eng.begin() as c:
        c.execute(text("INSERT INTO expense_record (enrollee_id, occurred_at, id, visit_kind, amount_fen, settlement, "
                       "large_equipment, source, created_at) VALUES (:e, :at, :id, 1, :fen, 0, false, 'old', 0)"), rows)
    upgrade(eng)
    assert partitions(eng) == {"expense_record_default": 0, "expense_record_y2026m01": 2,
                               "expense_record_y2026m02": 4, "expense_record_y2026m11": 2}
    with eng.connect() as c:
        assert c.execute(text("SELECT sum(amount_fen) FROM expense_record")).scalar_one() == 2 * 1600
        assert "expense_record" in installed(c)
    upgrade_down(eng, PREVIOUS)
    with eng.connect() as c:
        assert c.execute(text("SELECT count(*), sum(amount_fen) FROM expense_record")).one() == (8, 3200)
        assert c.execute(text("SELECT count(*) FROM pg_partitioned_table")).scalar_one() == 0
        assert "expense_record" in installed(c)
    upgrade(eng)
    assert sum(partitions(eng).values()) == 8
    eng.dispose()


def upgrade_down(eng, revision: str) -> None:
    from alembic import command

    from core.db import alembic_config

    command.downgrade(alembic_config(eng), revision)


def test_import_makes_the_new_months_partitions_in_its_transaction(pg):
    person = Build(pg).enrollee()
    rep = import_csv(pg, CLERK, "expenses", expenses_csv([
        (person.id_number, "2026-03-31T23:59:59", "10.00", "general_outpatient"),
        (person.id_number, "2026-04-01T00:00:00", "20.00", "general_outpatient"),
    ]))
    assert rep.written == 2
    assert partitions(pg) == {"expense_record_default": 0, "expense_record_y2026m03": 1, "expense_record_y2026m04": 1}


def test_a_refused_import_leaves_no_partition_behind(pg):
    person = Build(pg).enrollee()
    with pytest.raises(ImportRefused):
        import_csv(pg, CLERK, "expenses", expenses_csv([
            (person.id_number, "2026-05-02T09:00", "10.00", "general_outpatient"),
            ("440304196005179999", "2026-05-02T10:00", "10.00", "general_outpatient"),  # nobody
        ]))
    assert partitions(pg) == {"expense_record_default": 0}


def test_a_database_refusal_after_the_partition_rolls_it_back(pg):
    """The partition is made in the import's transaction: when the insert
    fails after it (here the enrollee vanished between check and write),
    neither the partition nor any row is kept, and the next import of the
    month makes it again."""
    person, gone = Build(pg).enrollee(), Build(pg).enrollee()
    csv = [(p.id_number, "2026-06-02T09:00", "10.00", "general_outpatient") for p in (person, gone)]

    def vanish(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().startswith("INSERT INTO expense_record"):
            cursor.execute("DELETE FROM enrollee WHERE id = %s", (gone.id,))

    event.listen(pg, "before_cursor_execute", vanish)
    try:
        with pytest.raises(ImportRefused) as refused:
            import_csv(pg, CLERK, "expenses", expenses_csv(csv))
    finally:
        event.remove(pg, "before_cursor_execute", vanish)
    assert "rejected by the database" in refused.value.report.bad[0][1]
    assert partitions(pg) == {"expense_record_default": 0}
    assert import_csv(pg, CLERK, "expenses", expenses_csv(csv[:1])).written == 1
    assert partitions(pg) == {"expense_record_default": 0, "expense_record_y2026m06": 1}


def test_rows_nobody_prepared_for_land_in_the_default_and_move_out_with_their_month(pg):
    person = Build(pg).enrollee()
    # a writer that does not call core.partitions (an older casedesk, a hand load): nothing is refused
    with pg.begin() as c:
        c.execute(insert(ExpenseRecord.__table__), [
            dict(id=new_expense_id(), enrollee_id=person.id, occurred_at=datetime(2026, 7, d, 9), amount_fen=500,
                 visit_kind="general_outpatient", settlement="bookkeeping", source="hand", created_at=datetime(2026, 8, 1))
            for d in (1, 2)])
    assert partitions(pg) == {"expense_record_default": 2}
    import_csv(pg, CLERK, "expenses", expenses_csv([(person.id_number, "2026-07-03T09:00", "5.00",
                                                     "general_outpatient")]))
    assert partitions(pg) == {"expense_record_default": 0, "expense_record_y2026m07": 3}


def test_two_imports_bringing_the_same_new_month_at_once_both_succeed(pg):
    people = [Build(pg).enrollee() for _ in range(4)]
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(p):
        start.wait()
        try:
            import_csv(pg, CLERK, "expenses", expenses_csv([(p.id_number, "2026-09-09T09:00", "1.00",
                                                             "general_outpatient")]))
        except BaseException as exc:  # noqa: BLE001 - the failure being tested for
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert partitions(pg) == {"expense_record_default": 0, "expense_record_y2026m09": 4}


def test_sz_mt_art_13_scan_reads_only_the_months_of_its_windows(pg):
    """Scanning 2026-11 (benefit year from January, SZ-MT Art. 13 triggers
    1-8) needs January to November 2026; December 2025 and 2026, January
    2027 and the default partition are pruned from every expense read,
    and the hits are still found."""
    policy = load_pack()
    person = Build(pg).enrollee()
    months = [(2025, 12)] + [(2026, m) for m in range(1, 13)] + [(2027, 1)]
    rows = [(person.id_number, f"{y}-{m:02d}-10T09:00", "100.00", "general_outpatient") for y, m in months]
    rows += [(person.id_number, f"2026-11-{d:02d}T09:00", "500.00", "general_outpatient") for d in range(1, 17)]
    import_csv(pg, CLERK, "expenses", expenses_csv(rows))
    assert len(partitions(pg)) == len(months) + 1

    plans: list[str] = []

    def explain(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "expense_record" in statement:
            cursor.execute("EXPLAIN " + statement, params)
            plans.append("\n".join(r[0] for r in cursor.fetchall()))

    event.listen(pg, "before_cursor_execute", explain)
    try:
        with read_session(pg) as s:
            result = monitoring.scan(s, policy, "2026-11")
    finally:
        event.remove(pg, "before_cursor_execute", explain)
    assert {h.trigger for h in result.hits} >= {"T01-visits-month", "T03-cost-month"}
    assert plans, "the scan read no expense"
    wanted = {f"expense_record_y2026m{m:02d}" for m in range(1, 12)}
    for plan in plans:
        touched = set(re.findall(r"expense_record_(?:y\d{4}m\d{2}|default)", plan))
        assert touched and touched <= wanted, plan
        assert not touched & {"expense_record_y2025m12", "expense_record_y2026m12", "expense_record_y2027m01",
                              "expense_record_default"}, plan
    # the visit triggers read only September to November (the 3-month window)
    assert any(set(re.findall(r"expense_record_y\d{4}m\d{2}", p)) ==
               {"expense_record_y2026m09", "expense_record_y2026m10", "expense_record_y2026m11"} for p in plans)


def test_sz_mt_art_13_scan_runs_without_jit(pg):
    """The scan's cost statement is priced in the millions, which makes
    PostgreSQL JIT-compile it with full optimisation (seconds of LLVM per
    scan, more than a 1M-row scan takes): the scan turns JIT off for its
    own transaction (core.services.monitoring._no_jit), and only there."""
    policy = load_pack()
    person = Build(pg).enrollee()
    import_csv(pg, CLERK, "expenses", expenses_csv([(person.id_number, "2026-11-02T09:00", "10.00",
                                                     "general_outpatient")]))
    seen: list[str] = []

    def jit(conn, cursor, statement, params, context, executemany):
        if "expense_record" in statement:
            cursor.execute("SHOW jit")
            seen.append(cursor.fetchone()[0])

    event.listen(pg, "before_cursor_execute", jit)
    try:
        with read_session(pg) as s:
            monitoring.scan(s, policy, "2026-11")
    finally:
        event.remove(pg, "before_cursor_execute", jit)
    assert seen and set(seen) == {"off"}
    with pg.connect() as c:
        assert c.execute(text("SHOW jit")).scalar_one() == "on"
