"""``casedesk db backup`` / ``db restore`` for SQLite (PostgreSQL: pg_dump, docs/DEPLOY.md).

- A backup is taken with SQLite's online backup API in one step: it copies a
  consistent snapshot (one read transaction; in WAL mode writers go on
  meanwhile) into a new 0600 file beside the target, checks the copy
  (``PRAGMA integrity_check``; the audit chain when the schema is current),
  and only then renames it into place.
- A restore checks the backup first (integrity, this casedesk's schema, the
  append-only triggers, the audit chain, caseworkers against their events),
  keeps a copy of the current database, then copies the backup into the live
  database with the same API (one write transaction, so other processes see
  the old or the new database, never a mix) and records ``db.restore``.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine

from core.auth import Actor
from core.db import create_private_file, head_revision, sqlite_path, write_session
from core.errors import DomainError, SchemaError
from core.i18n import N_


def _require_sqlite(engine: Engine) -> Path:
    path = sqlite_path(engine)
    if path is None:
        raise DomainError.one("", "db", N_("casedesk backs up SQLite databases; for PostgreSQL use pg_dump "
                                           "(see docs/DEPLOY.md)."))
    return path


def _copy(src: sqlite3.Connection, dest: Path) -> None:
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)  # pages=-1: the whole database in one step, one snapshot
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()


def _integrity(path: Path) -> list[str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        rows = [str(exc)]
    finally:
        con.close()
    return [] if rows == ["ok"] else rows


def stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def backup(engine: Engine, actor: Actor | None, dest: Path, *, check_chain: bool = True) -> Path:
    """Copy the database to ``dest`` (a new file). ``actor`` must be an admin
    (None: the data owner or ``db upgrade``, which checked already)."""
    if actor is not None:
        actor.require("admin", action=N_("back up the database"))
    _require_sqlite(engine)
    dest = dest.expanduser().absolute()
    if dest.exists():
        raise DomainError.one("", "path", N_("{path} already exists; a backup never overwrites a file."), path=str(dest))
    if not dest.parent.is_dir():
        raise DomainError.one("", "path", N_("The directory {path} does not exist."), path=str(dest.parent))
    partial = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    create_private_file(partial)
    try:
        raw = engine.raw_connection()
        try:
            _copy(raw.driver_connection, partial)
        finally:
            raw.close()
        problems = _integrity(partial)
        if not problems and check_chain:
            problems = [p.message_en for p in _check_copy(partial, schema=False)]
        if problems:
            raise DomainError.one("", "db", N_("The copy does not check out ({detail}); no backup was written."),
                                  detail=problems[0])
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest


def _check_copy(path: Path, *, schema: bool = True):
    """Problems of the database at ``path`` (read in place)."""
    from core.checks import check_database

    from sqlalchemy import create_engine

    # read-only and without casedesk's pragmas: checking a file never changes it
    eng = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        from core.db import current_revision

        if not schema and current_revision(eng) != head_revision():
            return []  # an older schema (before db upgrade): integrity only
        return check_database(eng).problems
    finally:
        eng.dispose()


def restore(engine: Engine, actor: Actor, source: Path, *, reason: str) -> Path:
    """Replace the live database's content with the backup ``source`` after
    checking it. Returns the copy kept of the database as it was."""
    actor.require("admin", action=N_("restore a backup"))
    if not reason.strip():
        raise DomainError.one("", "reason", N_("Say why the database is being restored."))
    live = _require_sqlite(engine)
    source = source.expanduser().absolute()
    if not source.is_file():
        raise DomainError.one("", "path", N_("There is no backup at {path}."), path=str(source))
    problems = _integrity(source)
    if not problems:
        try:
            problems = [p.message_en for p in _check_copy(source)]
        except (SchemaError, sqlite3.DatabaseError) as exc:
            problems = [str(exc)]
    if problems:
        raise DomainError.one("", "path", N_("The backup {path} does not check out, nothing was replaced: {detail}"),
                              path=str(source), detail=problems[0])
    kept = backup(engine, None, live.with_name(f"{live.name}.before-restore-{stamp()}"), check_chain=False)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        raw = engine.raw_connection()
        try:
            src.backup(raw.driver_connection)
        finally:
            raw.close()
    finally:
        src.close()
    engine.dispose()  # connections opened before hold the old schema cache
    from core import audit

    with write_session(engine) as s:
        audit.record(s, actor, "db.restore", entity="database", entity_id=live.name,
                     after={"from": str(source), "kept": str(kept)}, reason=reason)
    return kept
