"""expense_record partitioned by month on PostgreSQL (issue 10 item 3)

Revision ID: 0009_pg_partitions
Revises: 0010_sync_changes

PostgreSQL: ``expense_record`` becomes a declaratively partitioned table,
``PARTITION BY RANGE (occurred_at)`` (local clock time as BIGINT seconds,
core.models.storage.LocalEpoch), one partition per calendar month named
``expense_record_yYYYYmMM`` and a DEFAULT partition ``expense_record_default``
so that no row is ever refused. The primary key (enrollee_id, occurred_at,
id) contains the partition key, as PostgreSQL requires. The monitoring scan
(SZ-MT Art. 13) filters on occurred_at, so the planner reads only the months
of its windows.

Months are added as they arrive: ``expense_month_partition(t bigint)``
creates the partition of the month holding ``t`` unless it exists, moving
any rows of that month out of the default partition first (ATTACH takes
only a SHARE UPDATE EXCLUSIVE lock on the parent, so readers and writers
of other months go on). Expense writers call it in their own transaction
through core.partitions.ensure_expense_months; a SHARE UPDATE EXCLUSIVE
lock on the parent serialises two writers creating the same month.

The existing rows are copied into the months they belong to; the table's
own triggers (the sync change log of 0010_sync_changes, statement-level with
transition tables, which PostgreSQL allows on a partitioned table) are made
again on the new table after the copy, so the copy logs no change.
SQLite: no-op.
"""
import re
from typing import Sequence, Union

from alembic import op

revision: str = "0009_pg_partitions"
down_revision: Union[str, None] = "0010_sync_changes"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

#: the constraints PostgreSQL names after the table (0008 names them so too)
_CONSTRAINTS = {
    "expense_record_pkey": "PRIMARY KEY (enrollee_id, occurred_at, id)",
    "expense_record_enrollee_id_fkey": "FOREIGN KEY (enrollee_id) REFERENCES enrollee(id)",
    "expense_record_institution_id_fkey": "FOREIGN KEY (institution_id) REFERENCES institution(id)",
}

MONTH_PARTITION_FUNCTION = r"""
CREATE OR REPLACE FUNCTION expense_month_partition(t bigint) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    m    timestamp := date_trunc('month', to_timestamp(t) AT TIME ZONE 'UTC');
    lo   bigint    := extract(epoch FROM m)::bigint;
    hi   bigint    := extract(epoch FROM m + interval '1 month')::bigint;
    part text      := 'expense_record_' || to_char(m, '"y"YYYY"m"MM');
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN part;
    END IF;
    -- two writers bringing the same new month: the second waits here, then
    -- finds it (a relation lock, unlike an advisory one, makes this backend
    -- read the catalog changes committed meanwhile). SHARE UPDATE EXCLUSIVE
    -- is what ATTACH takes anyway: reads and inserts go on.
    LOCK TABLE ONLY expense_record IN SHARE UPDATE EXCLUSIVE MODE;
    IF to_regclass(part) IS NOT NULL THEN
        RETURN part;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE expense_record INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    -- rows of this month that arrived before it had a partition
    EXECUTE format('WITH moved AS (DELETE FROM expense_record_default WHERE occurred_at >= %s AND occurred_at < %s '
                   'RETURNING *) INSERT INTO %I SELECT * FROM moved', lo, hi, part);
    EXECUTE format('ALTER TABLE expense_record ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', part, lo, hi);
    RETURN part;
END
$fn$
"""


def _add_constraints(table: str) -> None:
    for name, definition in _CONSTRAINTS.items():
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def _rename_constraints(table: str, suffix: str) -> None:
    for name in _CONSTRAINTS:
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {name} TO {name}{suffix}")


def _triggers(table: str) -> list[str]:
    """CREATE TRIGGER statements of ``table``'s own (not internal) triggers."""
    rows = op.get_bind().exec_driver_sql(
        "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE t.tgrelid = %s::regclass AND NOT t.tgisinternal "
        "ORDER BY t.tgname", (table,)).scalars().all()
    return list(rows)


def _move_triggers(definitions: list[str], was: str, to: str) -> None:
    for sql in definitions:
        op.execute(re.sub(rf"\bON (public\.)?{was}\b", f"ON {to}", sql, count=1))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE expense_record RENAME TO expense_record_flat")
    _rename_constraints("expense_record_flat", "_flat")
    triggers = _triggers("expense_record_flat")
    op.execute("CREATE TABLE expense_record (LIKE expense_record_flat INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
               "PARTITION BY RANGE (occurred_at)")
    _add_constraints("expense_record")
    op.execute("CREATE TABLE expense_record_default PARTITION OF expense_record DEFAULT")
    op.execute(MONTH_PARTITION_FUNCTION)
    op.execute("SELECT expense_month_partition(min(occurred_at)) FROM expense_record_flat "
               "GROUP BY date_trunc('month', to_timestamp(occurred_at) AT TIME ZONE 'UTC')")
    op.execute("INSERT INTO expense_record SELECT * FROM expense_record_flat ORDER BY enrollee_id, occurred_at, id")
    _move_triggers(triggers, "expense_record_flat", "expense_record")
    op.execute("DROP TABLE expense_record_flat")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION expense_month_partition(bigint)")
    op.execute("ALTER TABLE expense_record RENAME TO expense_record_parted")
    _rename_constraints("expense_record_parted", "_parted")
    triggers = _triggers("expense_record_parted")
    op.execute("CREATE TABLE expense_record (LIKE expense_record_parted INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    op.execute("INSERT INTO expense_record SELECT * FROM expense_record_parted ORDER BY enrollee_id, occurred_at, id")
    op.execute("DROP TABLE expense_record_parted")  # and every partition with it
    _add_constraints("expense_record")
    _move_triggers(triggers, "expense_record_parted", "expense_record")
