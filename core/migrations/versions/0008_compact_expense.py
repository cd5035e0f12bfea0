"""expense_record stored compactly, clustered on (enrollee, time) (issue 10 item 2)

Revision ID: 0008_compact_expense
Revises: 0007_packs

Before: a UUID key and two UUIDs as 32-character text, times as text, kinds
as words, two secondary indexes: about 395 bytes per row on SQLite. After:
primary key (enrollee_id, occurred_at, id) with a 63-bit integer ``id``
(WITHOUT ROWID on SQLite: the table is that one B-tree, the rows of an
enrollee lie together in time order, no secondary index), times as integer
seconds (core.models.storage.LocalEpoch / UTCEpoch), visit_kind and
settlement as small integer codes. The rows are copied in SQL, in key order;
the old ids are replaced by the old table's row numbers (nothing refers to
an expense's id).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from core.models.storage import SETTLEMENT_CODES, VISIT_KIND_CODES, Code

revision: str = "0008_compact_expense"
down_revision: Union[str, None] = "0007_packs"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_KIND = Code(VISIT_KIND_CODES)
_SETTLEMENT = Code(SETTLEMENT_CODES)
_COLS = ("enrollee_id, occurred_at, id, institution_id, visit_kind, disease_code, amount_fen, settlement, "
         "large_equipment, source, created_at")


def _new_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("enrollee_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("institution_id", sa.Uuid(), nullable=True),
        sa.Column("visit_kind", sa.SmallInteger(), nullable=False),
        sa.Column("disease_code", sa.String(length=32), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("settlement", sa.SmallInteger(), nullable=False),
        sa.Column("large_equipment", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["enrollee_id"], ["enrollee.id"]),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"]),
        sa.PrimaryKeyConstraint("enrollee_id", "occurred_at", "id"),
        sqlite_with_rowid=False,
    )


def _old_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enrollee_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=True),
        sa.Column("visit_kind", sa.String(length=32), nullable=False),
        sa.Column("disease_code", sa.String(length=32), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("settlement", sa.String(length=16), nullable=False),
        sa.Column("large_equipment", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["enrollee_id"], ["enrollee.id"]),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def _rename_constraints(was: str) -> None:
    """PostgreSQL names constraints after the table they were made on."""
    for suffix in ("pkey", "enrollee_id_fkey", "institution_id_fkey"):
        op.execute(f"ALTER TABLE expense_record RENAME CONSTRAINT {was}_{suffix} TO expense_record_{suffix}")


def upgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    _new_table("expense_record_new")
    if sqlite:
        occurred = "CAST(strftime('%s', occurred_at) AS INTEGER)"
        created = "CAST(strftime('%s', created_at) AS INTEGER)"
        number = "rowid"
    else:
        occurred = "CAST(FLOOR(EXTRACT(EPOCH FROM occurred_at)) AS BIGINT)"
        created = "CAST(FLOOR(EXTRACT(EPOCH FROM created_at)) AS BIGINT)"
        number = "row_number() OVER ()"
    op.execute(
        f"INSERT INTO expense_record_new ({_COLS}) "
        f"SELECT enrollee_id, {occurred}, {number}, institution_id, {_KIND.sql_case('visit_kind')}, disease_code, "
        f"amount_fen, {_SETTLEMENT.sql_case('settlement')}, large_equipment, source, {created} "
        "FROM expense_record ORDER BY 1, 2"
    )
    op.drop_index("ix_expense_enrollee_time", table_name="expense_record")
    op.drop_index("ix_expense_time", table_name="expense_record")
    op.drop_table("expense_record")
    op.rename_table("expense_record_new", "expense_record")
    if not sqlite:
        _rename_constraints("expense_record_new")


def downgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    _old_table("expense_record_old")
    if sqlite:
        new_id = "lower(hex(randomblob(16)))"
        occurred = "strftime('%Y-%m-%d %H:%M:%S.000000', occurred_at, 'unixepoch')"
        created = "strftime('%Y-%m-%d %H:%M:%S.000000', created_at, 'unixepoch')"
    else:
        new_id = "gen_random_uuid()"
        occurred = "to_timestamp(occurred_at) AT TIME ZONE 'UTC'"
        created = "to_timestamp(created_at)"
    op.execute(
        "INSERT INTO expense_record_old (id, enrollee_id, occurred_at, institution_id, visit_kind, disease_code, "
        "amount_fen, settlement, large_equipment, source, created_at) "
        f"SELECT {new_id}, enrollee_id, {occurred}, institution_id, {_KIND.sql_uncase('visit_kind')}, disease_code, "
        f"amount_fen, {_SETTLEMENT.sql_uncase('settlement')}, large_equipment, source, {created} FROM expense_record"
    )
    op.drop_table("expense_record")
    op.rename_table("expense_record_old", "expense_record")
    if not sqlite:
        _rename_constraints("expense_record_old")
    with op.batch_alter_table("expense_record", schema=None) as batch_op:
        batch_op.create_index("ix_expense_enrollee_time",
                              ["enrollee_id", "occurred_at", "visit_kind", "amount_fen", "disease_code"], unique=False)
        batch_op.create_index("ix_expense_time", ["occurred_at"], unique=False)
