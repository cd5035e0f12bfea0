"""branch sync, push side (issue 11 items 3-5): the branch's outbox and number
counters, the centre's submitted and applied operations. Nothing queued is
dropped: the database refuses DELETE on ``sync_outbox`` and UPDATE/DELETE on
``sync_applied`` (an operation's outcome is written once, by the applier).

Revision ID: 0011_sync_outbox
Revises: 0013_claims
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0011_sync_outbox'
down_revision: Union[str, None] = '0013_claims'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('branch_counter',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('sync_applied',
    sa.Column('op_id', sa.Uuid(), nullable=False),
    sa.Column('branch', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('applied_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('op_id')
    )
    with op.batch_alter_table('sync_applied', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_applied_branch'), ['branch'], unique=False)

    op.create_table('sync_outbox',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('op_id', sa.Uuid(), nullable=False),
    sa.Column('seed', sa.Uuid(), nullable=False),
    sa.Column('service', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('inputs', sa.Text(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('actor_role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('branch', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('local_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('reads', sa.Text(), nullable=False),
    sa.Column('touched', sa.Text(), nullable=False),
    sa.Column('numbers', sa.Text(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('retry_of', sa.Uuid(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('outcome_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_outbox_op_id'), ['op_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_sync_outbox_state'), ['state'], unique=False)

    op.create_table('sync_submission',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('op_id', sa.Uuid(), nullable=False),
    sa.Column('branch', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('op_id')
    )
    with op.batch_alter_table('sync_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_submission_branch'), ['branch'], unique=False)

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("op_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("branch", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_event_op_id"), ["op_id"], unique=False)
    with op.batch_alter_table("central_audit_event", schema=None) as batch_op:  # the branch's copy of the centre's
        batch_op.add_column(sa.Column("op_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("branch", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    _guards(create=True)


_GUARDS = (("sync_outbox", ("DELETE",), "outbox operations are never deleted"),
           ("sync_applied", ("UPDATE", "DELETE"), "applied operations are written once"))


def _guards(create: bool) -> None:
    dialect = op.get_bind().dialect.name
    for table, verbs, message in _GUARDS:
        if dialect == "sqlite":
            for verb in verbs:
                name = f"{table}_no_{verb.lower()}"
                op.execute(f"CREATE TRIGGER {name} BEFORE {verb} ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END"
                           if create else f"DROP TRIGGER IF EXISTS {name}")
        elif dialect == "postgresql":
            if create:
                op.execute(f"CREATE FUNCTION {table}_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
                           f"BEGIN RAISE EXCEPTION '{message}'; END $$")
                op.execute(f"CREATE TRIGGER {table}_guard BEFORE {' OR '.join(verbs)} ON {table} "
                           f"FOR EACH ROW EXECUTE FUNCTION {table}_guard()")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_guard ON {table}")
                op.execute(f"DROP FUNCTION IF EXISTS {table}_guard()")


    if dialect == "postgresql":  # wakes `casedesk sync apply` (LISTEN) when a branch submits
        if create:
            op.execute("CREATE FUNCTION sync_submission_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       "BEGIN PERFORM pg_notify('casedesk_sync_submitted', ''); RETURN NULL; END $$")
            op.execute("CREATE TRIGGER sync_submission_notify AFTER INSERT ON sync_submission "
                       "FOR EACH STATEMENT EXECUTE FUNCTION sync_submission_notify()")
        else:
            op.execute("DROP TRIGGER IF EXISTS sync_submission_notify ON sync_submission")
            op.execute("DROP FUNCTION IF EXISTS sync_submission_notify()")


def downgrade() -> None:
    _guards(create=False)
    with op.batch_alter_table("central_audit_event", schema=None) as batch_op:
        batch_op.drop_column("branch")
        batch_op.drop_column("op_id")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_op_id"))
        batch_op.drop_column("branch")
        batch_op.drop_column("op_id")
    with op.batch_alter_table('sync_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_submission_branch'))

    op.drop_table('sync_submission')
    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_outbox_state'))
        batch_op.drop_index(batch_op.f('ix_sync_outbox_op_id'))

    op.drop_table('sync_outbox')
    with op.batch_alter_table('sync_applied', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_applied_branch'))

    op.drop_table('sync_applied')
    op.drop_table('branch_counter')
