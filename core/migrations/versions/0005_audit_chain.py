"""audit events form a hash chain: a gap-free sequence and sha256 links

Existing events are numbered in the order they were written (time, then key)
and chained (``core.audit.link_hash``). The append-only triggers are dropped
for the backfill and put back (SQLite recreates the table to make the columns
NOT NULL, which would drop them anyway).

Revision ID: 0005_audit_chain
Revises: 0004_search
"""
from typing import Sequence, Union
from types import SimpleNamespace

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_audit_chain"
down_revision: Union[str, None] = "0004_search"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ("id", "at", "actor", "actor_role", "action", "entity", "entity_id", "enrollee_id",
           "before", "after", "reason", "article")


def _drop_triggers(dialect: str) -> None:
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")


def _create_triggers(dialect: str) -> None:
    # the same triggers as revision 0002
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )


def _backfill() -> None:
    from core.audit import GENESIS, link_hash

    t = sa.table(
        "audit_event",
        sa.column("id", sa.Uuid()),
        sa.column("at", sqlmodel.sql.sqltypes.UTCDateTime()),
        sa.column("enrollee_id", sa.Uuid()),
        *(sa.column(c, sa.Text()) for c in COLUMNS if c not in {"id", "at", "enrollee_id"}),
        sa.column("seq", sa.Integer()),
        sa.column("hash", sa.String(64)),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(*(t.c[c] for c in COLUMNS)).order_by(t.c.at, t.c.id)).all()
    prev = GENESIS
    for seq, row in enumerate(rows, start=1):
        ev = SimpleNamespace(**dict(row._mapping), seq=seq)
        prev = link_hash(prev, ev)  # type: ignore[arg-type]
        bind.execute(t.update().where(t.c.id == row.id).values(seq=seq, hash=prev))


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect)
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    _backfill()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("hash", existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.create_index(batch_op.f("ix_audit_event_seq"), ["seq"], unique=True)
    _create_triggers(dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect)
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_seq"))
        batch_op.drop_column("hash")
        batch_op.drop_column("seq")
    _create_triggers(dialect)
