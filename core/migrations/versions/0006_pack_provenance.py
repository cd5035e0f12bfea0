"""pack provenance: which policy pack decided each record

Revision ID: 0006_pack_provenance
Revises: 0003_workflow_states

Every record a policy decides (certificate, record book, off-site filing,
health-centre selection, investigation case, monitoring flag) keeps the id
of the pack and the sha256 of the pack file's content (issue 9, item 8);
``core.policy.stamp`` fills them. Records made before this revision keep ''
(unknown). ``certificate`` already had ``policy_pack``.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006_pack_provenance"
down_revision: Union[str, Sequence[str], None] = "0003_workflow_states"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("record_book", "offsite_filing", "health_centre_selection", "investigation_case", "monitoring_flag")


def upgrade() -> None:
    # plain ADD COLUMN on both dialects: no table copy, so the tables' triggers stay
    for table in TABLES:
        op.add_column(table, sa.Column("policy_pack", sa.String(length=64), nullable=False, server_default=""))
    for table in (*TABLES, "certificate"):
        op.add_column(table, sa.Column("policy_hash", sa.String(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    for table in (*TABLES, "certificate"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("policy_hash")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("policy_pack")
