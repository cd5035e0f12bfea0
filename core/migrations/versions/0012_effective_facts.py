"""Effective-dated facts (issue 13): fact_change (enrollee, physician and
institution facts with a from-date and a reason), where a stationed enrollee
works (enrollee.stationed_city), and who recorded a hospital stay.

Revision ID: 0012_effective_facts
Revises: 0009_pg_partitions, 0010_sync_changes
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012_effective_facts"
down_revision: Union[str, Sequence[str], None] = ("0009_pg_partitions", "0010_sync_changes")  # joins the two heads
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "fact_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("enrollee_id", sa.Uuid(), nullable=True),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("previous", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("article", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["enrollee_id"], ["enrollee.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entity", "entity_id", "field", "effective_from"),
    )
    with op.batch_alter_table("fact_change", schema=None) as batch_op:
        batch_op.create_index("ix_fact_change_entity", ["entity", "entity_id", "effective_from"], unique=False)
        batch_op.create_index(batch_op.f("ix_fact_change_enrollee_id"), ["enrollee_id"], unique=False)
    with op.batch_alter_table("enrollee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stationed_city", sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=False, server_default=""))
    with op.batch_alter_table("hospitalisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default="counter"))
        batch_op.add_column(sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("discharged_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # branches pull the facts too: the sync change log's triggers (core.sync.changes, issue 11)
        from core.sync.changes import install
        from core.sync.tables import BY_NAME

        install(op.execute, (BY_NAME["fact_change"],))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from core.sync.changes import drop_statements
        from core.sync.tables import BY_NAME

        for sql in drop_statements(BY_NAME["fact_change"]):
            op.execute(sql)
    with op.batch_alter_table("hospitalisation", schema=None) as batch_op:
        batch_op.drop_column("discharged_by")
        batch_op.drop_column("recorded_by")
        batch_op.drop_column("source")
    with op.batch_alter_table("enrollee", schema=None) as batch_op:
        batch_op.drop_column("stationed_city")
    with op.batch_alter_table("fact_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fact_change_enrollee_id"))
        batch_op.drop_index("ix_fact_change_entity")
    op.drop_table("fact_change")
