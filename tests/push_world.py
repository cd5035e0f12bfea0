"""Arrangement for the push tests: a central PostgreSQL database with master
data and enrollees, and branch SQLite files that hold the same rows (as a
first pull leaves them) and are marked as branches."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import inspect, insert, select, text

from core.auth import Actor
from core.db import make_engine, write_session
from core.models import Caseworker
from core.sync import ops

TEAM_SINCE = date(2020, 1, 1)
#: what a first pull brings (core.sync.tables lists them for the real pull)
RECORD_TABLES = ("institution", "physician", "diagnostic_team", "team_membership", "enrollee", "monthly_batch",
                 "certificate", "record_book", "book_entry", "replacement", "offsite_filing", "filing_institution",
                 "health_centre_selection", "hospitalisation", "monitoring_flag", "investigation_case")


def caseworkers(engine, *people: Actor) -> None:
    with write_session(engine) as s:
        for a in people:
            s.add(Caseworker(username=a.username, role=a.role, branch=a.branch, display_name=a.username))


def mark_branch(engine, code: str) -> None:
    """What `casedesk branch init` leaves: the branch row (sync-pull's table)."""
    with write_session(engine) as s:
        if not inspect(s.connection()).has_table("sync_branch"):  # until sync-pull's 0010 is on main
            s.execute(text("CREATE TABLE sync_branch (id INTEGER PRIMARY KEY, code VARCHAR(16) NOT NULL)"))
            s.execute(text("INSERT INTO sync_branch (id, code) VALUES (1, :c)"), {"c": code})
        else:
            from core.models.sync import SyncBranch  # sync-pull's model

            s.add(SyncBranch(id=1, code=code, central_url="postgresql+psycopg://branch@/casedesk"))
    ops.forget_branch_tables()


def copy_rows(src, dst, tables=RECORD_TABLES) -> None:
    """The centre's rows into a branch file, as they are (ids, versions)."""
    from sqlmodel import SQLModel

    meta = SQLModel.metadata
    with src.connect() as a, write_session(dst) as b:
        conn = b.connection()
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        for name in tables:
            t = meta.tables[name]
            rows = [dict(r._mapping) for r in a.execute(select(t))]
            if rows:
                conn.execute(t.delete().where(t.c.id.in_([r["id"] for r in rows])))
                conn.execute(insert(t), rows)


@dataclass
class Centre:
    url: str
    engine: object
    branches: dict = field(default_factory=dict)


def branch_file(template, tmp_path, name: str):
    path = tmp_path / f"{name}.db"
    shutil.copy(template, path)
    return make_engine(f"sqlite:///{path}"), path


def rows_of(engine, tables=RECORD_TABLES, skip: set | None = None) -> dict:
    """Every row of ``tables`` as comparable tuples (timestamps as stored aside)."""
    from sqlmodel import SQLModel

    meta = SQLModel.metadata
    out = {}
    with engine.connect() as c:
        for name in tables:
            t = meta.tables[name]
            cols = [col for col in t.columns if col.name not in ("created_at", "updated_at")]
            for r in c.execute(select(*cols)):
                key = (name, str(r[0]))
                if skip and (name, r[0]) in skip:
                    continue
                out[key] = tuple(str(v) for v in r)
    return out


def count(engine, table: str, where: str = "") -> int:
    with engine.connect() as c:
        return c.execute(text(f"SELECT count(*) FROM {table} {where}")).scalar_one()
