"""Compact expense storage (issue 10 item 2, migration 0008_compact_expense):
a database made by the old chain keeps every expense through the upgrade
(and back), and the stored row is small."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from sqlalchemy import text
from sqlmodel import Session, select

from core.db import make_engine, upgrade
from core.models import ExpenseRecord

E1, E2, I1 = (uuid.UUID(int=n).hex for n in (1, 2, 3))
OLD_ROWS = [
    # id, enrollee, occurred_at, institution, kind, disease, amount, settlement, large, source, created_at
    ("a" * 32, E1, "2026-10-01 09:30:00.000000", I1, "general_outpatient", None, 2990,
     "bookkeeping", 0, "hosp-feed", "2026-10-02 01:00:00.000000"),
    ("b" * 32, E1, "2026-10-01 09:30:00.000000", None, "major_disease_outpatient", "MT03", 123456,
     "cash", 1, "", "2026-10-02 01:00:05.000000"),
    ("c" * 32, E2, "2025-12-31 23:59:59.000000", I1, "pharmacy", "MT01", 0,
     "bookkeeping", 0, "x", "2026-01-01 00:00:00.000000"),
    ("d" * 32, E2, "2026-03-05 14:00:00.000000", None, "emergency", None, 77, "cash", 0, "", 
     "2026-03-05 15:00:00.000000"),
    ("e" * 32, E2, "2026-03-06 08:00:00.000000", None, "inpatient", None, 5, "bookkeeping", 0, "",
     "2026-03-06 08:00:00.000000"),
]


def _insert_as_then(conn, table: str, **values) -> None:
    """A row with the given values and a plain value in every other required column of the table as it is."""
    import sqlalchemy as sa

    t = sa.Table(table, sa.MetaData(), autoload_with=conn)
    row = {k: v.hex if isinstance(v, uuid.UUID) and conn.dialect.name == "sqlite" else v for k, v in values.items()}
    for col in t.columns:
        if col.name in row or col.nullable:
            continue
        py = col.type.python_type
        row[col.name] = {str: "", int: 0, bool: False, date: date(2000, 1, 1),
                         datetime: datetime(2000, 1, 1, tzinfo=timezone.utc)}.get(py, None)
    conn.execute(t.insert().values(**row))


def _old_database(tmp_path=None, url=None):
    eng = make_engine(url or f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(eng, "0007_packs")
    with eng.begin() as c:  # the other tables as they were at 0007 (later migrations add columns)
        _insert_as_then(c, "institution", id=uuid.UUID(I1), code="H1", name="H", kind="hospital", city="Shenzhen")
        for e, n in ((E1, "1"), (E2, "2")):
            _insert_as_then(c, "enrollee", id=uuid.UUID(e), id_number=n, card_number=n, name=n, scheme="comprehensive")
    param = "?" if eng.dialect.name == "sqlite" else "%s"
    with eng.begin() as c:
        c.exec_driver_sql(
            "INSERT INTO expense_record (id, enrollee_id, occurred_at, institution_id, visit_kind, disease_code, "
            "amount_fen, settlement, large_equipment, source, created_at) VALUES (%s)" % ", ".join([param] * 11),
            [tuple(bool(v) if i == 8 else v for i, v in enumerate(r)) for r in OLD_ROWS])
    return eng


def _sorted(rows):
    return sorted(rows, key=repr)


def _as_read(rows):
    return _sorted((r.enrollee_id.hex, r.occurred_at, r.institution_id.hex if r.institution_id else None, r.visit_kind,
                   r.disease_code, r.amount_fen, r.settlement, r.large_equipment, r.source, r.created_at)
                  for r in rows)


def _upgraded_keeps_rows(eng):
    upgrade(eng)
    with Session(eng) as s:
        got = _as_read(s.exec(select(ExpenseRecord)).all())
    want = _sorted((r[1], datetime.fromisoformat(r[2]), r[3], r[4], r[5], r[6], r[7], bool(r[8]), r[9],
                   datetime.fromisoformat(r[10]).replace(tzinfo=timezone.utc)) for r in OLD_ROWS)
    assert got == want


def test_migration_0008_keeps_every_expense_on_postgresql(pg_empty_url):
    from sqlalchemy import inspect

    eng = _old_database(url=pg_empty_url)
    _upgraded_keeps_rows(eng)
    insp = inspect(eng)
    assert insp.get_pk_constraint("expense_record")["constrained_columns"] == ["enrollee_id", "occurred_at", "id"]
    assert insp.get_indexes("expense_record") == []
    eng.dispose()


def test_migration_0008_keeps_every_expense(tmp_path):
    eng = _old_database(tmp_path)
    _upgraded_keeps_rows(eng)
    with eng.connect() as c:
        ddl = c.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'expense_record'").scalar_one()
        assert "WITHOUT ROWID" in ddl
        assert c.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE tbl_name = 'expense_record' "
                                 "AND type = 'index' AND sql IS NOT NULL").scalar_one() == 0
        # stored as integers: seconds and codes
        assert c.exec_driver_sql("SELECT typeof(occurred_at), typeof(visit_kind), typeof(created_at) "
                                 "FROM expense_record LIMIT 1").one() == ("integer", "integer", "integer")
        assert len({r[0] for r in c.exec_driver_sql("SELECT id FROM expense_record")}) == len(OLD_ROWS)


def test_migration_0008_downgrades_with_the_data(tmp_path):
    eng = _old_database(tmp_path)
    upgrade(eng, "0008_compact_expense")
    from alembic import command

    from core.db import alembic_config

    command.downgrade(alembic_config(eng), "0007_packs")
    with eng.connect() as c:
        rows = c.exec_driver_sql(
            "SELECT enrollee_id, occurred_at, institution_id, visit_kind, disease_code, amount_fen, settlement, "
            "large_equipment, source, created_at FROM expense_record").all()
    assert _sorted(tuple(r) for r in rows) == _sorted(r[1:] for r in OLD_ROWS)
    upgrade(eng)  # and up again
