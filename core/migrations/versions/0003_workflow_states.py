"""workflow states: a status column holds only its machine's states

Revision ID: 0003_workflow_states
Revises: 0004_search, 0005_audit_chain (joins the two heads both made from 0002)

The states are those of the machines in core.workflows.definitions (issue 7),
written out here as they stood at this revision, so a later change to a
machine needs its own migration (tests/test_workflows.py checks that the
database refuses every string that is not a state and accepts every state).

PostgreSQL gets a named CHECK constraint per column (the models declare the
same). SQLite cannot add a CHECK to an existing table without copying it,
which would drop the tables' triggers and fight the foreign keys of live
data, so there a BEFORE INSERT and a BEFORE UPDATE OF status trigger per
table refuse a stray value with the same name in the message.
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0003_workflow_states"
down_revision: Union[str, Sequence[str], None] = ("0004_search", "0005_audit_chain")
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STATES = {
    "certificate": ("confirmed", "draft", "invalidated", "sealed", "signed", "superseded", "void", "withdrawn"),
    "investigation_case": ("closed_explained", "decided", "notice_sent", "referred", "resumed", "suspended",
                           "verified", "violation"),
    "offsite_filing": ("active", "cancelled"),
    "record_book": ("active", "used_up", "void"),
}


def _in(values: tuple[str, ...], column: str = "status") -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, values in STATES.items():
        name = f"ck_{table}_status"
        if dialect == "sqlite":
            for verb, when in (("insert", "INSERT"), ("update", "UPDATE OF status")):
                op.execute(
                    f"CREATE TRIGGER {name}_{verb} BEFORE {when} ON {table} "
                    f"WHEN NOT ({_in(values, 'NEW.status')}) "
                    f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
                )
        else:
            op.create_check_constraint(name, table, _in(values))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in STATES:
        name = f"ck_{table}_status"
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {name}_insert")
            op.execute(f"DROP TRIGGER IF EXISTS {name}_update")
        else:
            op.drop_constraint(name, table, type_="check")
