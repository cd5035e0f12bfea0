"""The bulk demo's PostgreSQL loader: ``COPY`` (issue 10 item 1, PostgreSQL path).

:func:`load` takes the ``(table, columns, rows)`` batches of
:func:`core.bulk.batches` (values already in storage form) and streams each
into the server with psycopg's ``cursor.copy`` — one ``COPY … FROM STDIN``
per table for as long as its months have partitions, so the server stores
rows while Python generates the next batch (the two cores work at once). In one
transaction, for the loaded tables only:

* their foreign keys and secondary indexes (the lookup's GIN indexes, the
  unique ID and card numbers) are dropped before the load and made again
  after it, from their own definitions (``pg_get_constraintdef`` /
  ``pg_indexes``): one sort or one join each instead of a probe per row;
  primary keys stay (the rows arrive in key order, so the B-trees grow at
  their right edge);
* the months of the expense rows get their partitions first
  (:func:`core.partitions.ensure_expense_months`), so every row goes
  straight to its month;
* triggers stay: the sync change log (0010) records every loaded row, as
  it would for any writer.

Then ``ANALYZE`` of the loaded tables, so the planner knows their sizes.
A failed load rolls back whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Callable

from sqlalchemy import Engine

from core.partitions import ensure_expense_months

Batches = Iterator[tuple[str, list[str], list[tuple]]]
Progress = Callable[[str, int, int], None]
TABLES = ("enrollee", "certificate", "expense_record")


def _saved_definitions(cur, tables: tuple[str, ...]) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """(foreign keys and unique constraints as (table, name, definition),
    plain indexes as (name, CREATE INDEX …)) of ``tables``."""
    cur.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u') AND c.conparentid = 0 "
        "ORDER BY c.contype, c.conname", (list(tables),))
    constraints = [tuple(r) for r in cur.fetchall()]
    cur.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
        "ORDER BY 1", (list(tables),))
    indexes = [tuple(r) for r in cur.fetchall()]
    return constraints, indexes  # type: ignore[return-value]


def _months(rows: list[tuple], at: int) -> set[int]:
    """The month starts spanned by a batch's occurred_at column (a few months at most)."""
    from core.models.storage import from_local_epoch
    from core.partitions import month_start
    from core.rules.monitoring import Month

    lo = min(r[at] for r in rows)
    hi = max(r[at] for r in rows)
    m, last = Month.of(from_local_epoch(lo)), Month.of(from_local_epoch(hi))
    out = set()
    while m <= last:
        out.add(month_start(m.first))
        m = m.shift(1)
    return out


def load(engine: Engine, stream: Batches, progress: Progress) -> None:
    tables = TABLES
    with engine.connect() as conn:
        with conn.begin():
            cur = conn.connection.dbapi_connection.cursor()
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cur.execute("SET LOCAL synchronous_commit = off")
            constraints, indexes = _saved_definitions(cur, tables)
            for table, name, _ in constraints:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cur.execute(f"DROP INDEX {name}")
            months: set[int] = set()
            copy_cm = copy = None
            current = None
            try:
                for table, cols, rows in stream:
                    if not rows:
                        continue
                    new = _months(rows, cols.index("occurred_at")) - months if table == "expense_record" else set()
                    if copy is not None and (new or current != (table, cols)):
                        copy_cm.__exit__(None, None, None)
                        copy_cm = copy = None
                    if new:
                        ensure_expense_months(conn, sorted(new))
                        months |= new
                    if copy is None:
                        # one COPY for as long as the table (and its months) last: the server
                        # stores rows while Python makes the next batch
                        current = (table, cols)
                        copy_cm = cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN")
                        copy = copy_cm.__enter__()
                    for row in rows:
                        copy.write_row(row)
                if copy is not None:
                    copy_cm.__exit__(None, None, None)
                    copy_cm = copy = None
            except BaseException as exc:
                if copy_cm is not None:
                    copy_cm.__exit__(type(exc), exc, exc.__traceback__)
                raise
            todo = [sql for _, sql in indexes] + [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}'
                                                  for t, n, d in reversed(constraints)]
            for k, sql in enumerate(todo):
                progress("indexes", k, len(todo))
                cur.execute(sql)
            progress("indexes", len(todo), len(todo))
        progress("analyze", 0, 1)
        conn.exec_driver_sql(f"ANALYZE {', '.join(tables)}")
        conn.commit()
        progress("analyze", 1, 1)
