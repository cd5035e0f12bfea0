"""The schema check's fast path (issue 10 item 4): ``core.db.HEAD_REVISION``
is Alembic's head, and opening a database at head never imports Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import HEAD_REVISION, check_schema, current_revision, head_revision, write_session
from core.errors import SchemaError

ROOT = Path(__file__).resolve().parents[1]


def test_head_revision_constant_is_alembics_head():
    # a migration added without updating core.db.HEAD_REVISION fails here
    assert HEAD_REVISION == head_revision(), (
        f"core.db.HEAD_REVISION is {HEAD_REVISION!r} but the newest migration is {head_revision()!r}: "
        "set HEAD_REVISION to the new revision id")


def test_current_revision_read_without_alembic(engine):
    assert current_revision(engine) == HEAD_REVISION


def test_opening_a_database_at_head_imports_no_alembic(db_path):
    code = ("import sys; from core.db import open_engine; e = open_engine(sys.argv[1]); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako', 'pygments')))")
    out = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout.strip()
    assert out == "[]"


def test_an_older_revision_still_goes_to_alembic_and_is_refused(engine):
    with write_session(engine) as s:
        s.execute(text("UPDATE alembic_version SET version_num = '0007_packs'"))
    assert current_revision(engine) == "0007_packs"
    with pytest.raises(SchemaError, match="casedesk db upgrade"):
        check_schema(engine)


def test_a_newer_revision_is_refused(engine):
    with write_session(engine) as s:
        s.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(SchemaError, match="newer"):
        check_schema(engine)
