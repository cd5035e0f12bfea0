"""branch sync, the pull side: the central change log, the branch's link and
high-water mark, the centre's audit events at a branch (issue 11)

Revision ID: 0010_sync_changes
Revises: 0008_compact_expense

PostgreSQL: statement-level change-log triggers on every pulled table
(``core.sync.changes``), and one ``I`` change per row already there. SQLite:
the tables only (``sync_change`` stays empty on a branch).
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_sync_changes"
down_revision: Union[str, None] = "0008_compact_expense"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

#: the pulled tables as of this revision (a later table gets its triggers in its own migration)
TABLES = ("institution", "physician", "diagnostic_team", "team_membership", "monthly_batch", "enrollee",
          "certificate", "record_book", "book_entry", "replacement", "offsite_filing", "filing_institution",
          "health_centre_selection", "hospitalisation", "expense_record", "investigation_case", "monitoring_flag",
          "audit_event")

_S = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "sync_change",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("tbl", _S(length=64), nullable=False),
        sa.Column("row_id", _S(length=64), nullable=False),
        sa.Column("enrollee_id", sa.Uuid(), nullable=True),
        sa.Column("op", _S(length=1), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_sync_change_cursor", "sync_change", ["txid", "seq"], unique=False)
    op.create_table(
        "sync_branch",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("code", _S(length=16), nullable=False),
        sa.Column("central_url", _S(length=500), nullable=False),
        sa.Column("passfile", _S(length=500), nullable=False),
        sa.Column("area", _S(length=500), nullable=False),
        sa.Column("pulled_txid", sa.BigInteger(), nullable=False),
        sa.Column("pulled_seq", sa.BigInteger(), nullable=False),
        sa.Column("central_policy", _S(length=64), nullable=False),
        sa.Column("initialised_at", sa.DateTime(), nullable=False),
        sa.Column("initialised_by", _S(length=64), nullable=False),
        sa.Column("last_pull_at", sa.DateTime(), nullable=True),
        sa.Column("last_pull_changes", sa.Integer(), nullable=False),
        sa.Column("last_push_at", sa.DateTime(), nullable=True),
        sa.Column("last_push_ops", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_sync_branch_one_row"),
    )
    op.create_table(
        "central_audit_event",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", _S(length=64), nullable=False),
        sa.Column("actor_role", _S(length=16), nullable=False),
        sa.Column("action", _S(length=64), nullable=False),
        sa.Column("entity", _S(length=64), nullable=False),
        sa.Column("entity_id", _S(length=64), nullable=False),
        sa.Column("enrollee_id", sa.Uuid(), nullable=True),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("article", _S(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", _S(length=64), nullable=False),
    )
    op.create_index("ix_central_audit_entity", "central_audit_event", ["entity", "entity_id"], unique=False)
    op.create_index(op.f("ix_central_audit_event_enrollee_id"), "central_audit_event", ["enrollee_id"], unique=False)
    op.create_index(op.f("ix_central_audit_event_seq"), "central_audit_event", ["seq"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        from core.sync.changes import install
        from core.sync.tables import SYNCED

        install(op.execute, tuple(t for t in SYNCED if t.name in TABLES))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from core.sync.changes import drop_statements
        from core.sync.tables import SYNCED

        for t in SYNCED:
            if t.name in TABLES:
                for sql in drop_statements(t):
                    op.execute(sql)
    op.drop_index(op.f("ix_central_audit_event_seq"), table_name="central_audit_event")
    op.drop_index(op.f("ix_central_audit_event_enrollee_id"), table_name="central_audit_event")
    op.drop_index("ix_central_audit_entity", table_name="central_audit_event")
    op.drop_table("central_audit_event")
    op.drop_table("sync_branch")
    op.drop_index("ix_sync_change_cursor", table_name="sync_change")
    op.drop_table("sync_change")
