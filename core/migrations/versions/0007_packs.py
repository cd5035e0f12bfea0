"""physician.department_director: who may sign where the pack's signature rule
lets the department director sign (ZZ §3)

Revision ID: 0007_packs
Revises: 0006_pack_provenance
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007_packs"
down_revision: Union[str, None] = "0006_pack_provenance"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("physician", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_director", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("physician", schema=None) as batch_op:
        batch_op.drop_column("department_director")
