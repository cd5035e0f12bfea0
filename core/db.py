"""Engine, SQLite pragmas, sessions and the schema check.

- Default database: ``casedesk.db`` in the platform's user data directory;
  ``--db URL`` / ``CASEDESK_DB`` choose another SQLite file (a plain path is
  accepted) or a ``postgresql+psycopg://`` URL. Nothing is created
  implicitly: :func:`init_database` (``casedesk db init``) creates a database
  (0600 file in a 0700 directory), :func:`open_engine` refuses a missing one.
- SQLite: WAL, ``synchronous=FULL``, ``foreign_keys=ON``, a busy timeout, and
  write transactions opened with ``BEGIN IMMEDIATE`` (read transactions stay
  deferred so readers never queue behind writers). Python 3.11's sqlite3
  opens transactions itself, so we switch that off on connect and emit BEGIN
  from SQLAlchemy's ``begin`` event (the pattern in SQLAlchemy's docs).
- The schema is owned by Alembic (``core/migrations``). :func:`check_schema`
  refuses an unmigrated or newer database and says what to run. Its fast
  path reads ``alembic_version`` with one plain query and compares it with
  :data:`HEAD_REVISION`, so opening a database never imports Alembic (its
  runtime, every ``alembic.ddl`` dialect, mako and pygments cost 130-200 ms
  per command); Alembic is consulted only when the two differ.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session as _SASession
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from core.errors import DatabaseFault, Reason, SchemaError, StaleRecord
from core.i18n import N_

BUSY_TIMEOUT_MS = 10_000

#: The newest migration in ``core/migrations/versions``, known when casedesk is
#: built. Whoever adds a migration sets this to its revision id;
#: tests/test_db_head.py fails while it differs from Alembic's head.
HEAD_REVISION = "0011_sync_outbox"
WRITE_OPTION = "casedesk_write"


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("casedesk", appauthor=False)) / "casedesk.db"


def resolve_url(url: str | None = None) -> str:
    """``--db`` value, else ``CASEDESK_DB``, else the default file. A bare path
    is taken as an SQLite file."""
    url = url or os.environ.get("CASEDESK_DB") or ""
    if not url:
        return f"sqlite:///{default_db_path()}"
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def sqlite_path(engine_or_url) -> Path | None:
    """The file of an SQLite database (None for PostgreSQL or in-memory)."""
    from sqlalchemy.engine import make_url

    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(resolve_url(engine_or_url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _install_sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised via tests
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str | None = None, *, echo: bool = False) -> Engine:
    url = resolve_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        )
        _install_sqlite_events(engine)
    else:
        engine = create_engine(url, echo=echo, pool_pre_ping=True)
    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def read_session(engine: Engine, *, action: str = "reading") -> Iterator[Session]:
    """A session for reading; nothing it does is committed. A database fault
    (busy, damaged, unreachable …) surfaces as :class:`DatabaseFault`."""
    from sqlalchemy.exc import DBAPIError

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except DBAPIError as exc:
            fault = database_fault(exc, action)
            if fault is None:
                raise
            raise fault from exc
        finally:
            _quiet_rollback(session)


def plain_rows(session: _SASession, sql: str, params: dict) -> list[tuple]:
    """The rows of one read statement (``:name`` parameters), run in the
    session's own transaction. On SQLite it goes straight to the driver's
    cursor: no statement compiled or cached, no result objects, which is
    most of the time of an indexed lookup (core.services.lookup); a driver
    error still arrives as SQLAlchemy's, so :func:`database_fault` names it.
    Elsewhere it is an ordinary ``text()`` statement."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return [tuple(r) for r in conn.execute(text(sql), params)]
    import sqlite3

    try:
        return conn.connection.driver_connection.execute(sql, params).fetchall()
    except sqlite3.Error as exc:
        from sqlalchemy.exc import DBAPIError

        raise DBAPIError.instance(sql, params, exc, sqlite3.Error, dialect=conn.dialect) from exc


def _quiet_rollback(session: Session) -> None:
    """Roll back; after a full disk or an I/O error SQLite may already have
    rolled back, and the rollback itself may fail: the original error counts."""
    from sqlalchemy.exc import DBAPIError

    try:
        session.rollback()
    except DBAPIError:
        pass


@contextmanager
def write_session(engine: Engine, *, action: str = "saving") -> Iterator[Session]:
    """One write transaction (``BEGIN IMMEDIATE`` on SQLite): commit on
    success, roll back everything on any exception. A concurrent update of
    the same record surfaces as :class:`StaleRecord`; a busy, full, read-only
    or failing database as :class:`DatabaseFault` naming the cause and
    ``action`` (what was being done). Print success only after the ``with``
    block: that is after the commit."""
    from sqlalchemy.exc import DBAPIError

    bound = engine.execution_options(**{WRITE_OPTION: True})
    session = Session(bound, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except StaleDataError as exc:
        _quiet_rollback(session)
        raise StaleRecord.one(
            "", "version", N_("This record was changed by someone else; reload it and try again.")
        ) from exc
    except DBAPIError as exc:
        _quiet_rollback(session)
        fault = database_fault(exc, action)
        if fault is None:
            raise
        raise fault from exc
    except BaseException:
        _quiet_rollback(session)
        raise
    finally:
        session.close()


def check_version(obj, expected: int | None) -> None:
    """Refuse an update made against a version the caller read earlier."""
    if expected is not None and obj.version != expected:
        raise StaleRecord.one(
            "",
            "version",
            N_("This record was changed by someone else (version {seen} → {now}); reload it and try again."),
            seen=expected,
            now=obj.version,
        )


# --------------------------------------------------------------------------- schema

#: Lookup's index objects that migration 0004 makes and no model declares (the
#: SQLite FTS5 table with its shadow tables, the gram table, the PostgreSQL
#: trigram and gram indexes): autogenerate and the drift test leave them alone.
SEARCH_OBJECT_PREFIXES = ("enrollee_search", "ix_enrollee_search")
#: PostgreSQL's monthly partitions of expense_record (migration 0009, core.partitions): made as months arrive
PARTITION_NAME = re.compile(r"^expense_record_(y\d{4}m\d{2}|default)(_|$)")


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic ``include_name`` hook: everything but the lookup's index
    objects and the expense table's partitions."""
    return not (name or "").startswith(SEARCH_OBJECT_PREFIXES) and not PARTITION_NAME.match(name or "")


def alembic_config(engine_or_url):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    if isinstance(engine_or_url, Engine):
        cfg.attributes["engine"] = engine_or_url
        cfg.set_main_option("sqlalchemy.url", engine_or_url.url.render_as_string(hide_password=False).replace("%", "%%"))
    else:
        cfg.set_main_option("sqlalchemy.url", str(engine_or_url).replace("%", "%%"))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    """The revision stored in ``alembic_version`` (None when there is no such
    table or no row), read with a plain query: no Alembic import. More than
    one row (unmerged branches) is left to Alembic, which names the problem."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            present = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").first()
        else:
            present = conn.execute(text("SELECT to_regclass('alembic_version')")).scalar()
        if not present:
            return None
        rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        if len(rows) <= 1:
            return rows[0][0] if rows else None
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


def is_empty(engine: Engine) -> bool:
    return not inspect(engine).get_table_names()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def check_schema(engine: Engine, *, auto_create: bool = False, upgrading: bool = False) -> None:
    """Make sure the schema is this casedesk's; anything out of step is
    refused with what to do. ``auto_create`` migrates a brand-new empty
    database (``db init``); ``upgrading``: only refuse what ``db upgrade``
    cannot fix (a newer schema, tables with no version)."""
    cur = current_revision(engine)
    if cur == HEAD_REVISION:  # the fast path: no Alembic import
        return
    head = head_revision()
    if cur == head:
        return
    if cur is None and is_empty(engine):
        if auto_create:
            upgrade(engine)
            return
        if upgrading:
            raise SchemaError(
                "This database is empty (no casedesk schema). Create it with `casedesk db init`."
            )
        raise SchemaError(
            "This database is empty (no casedesk schema). Create it with `casedesk db init`, or choose another with --db."
        )
    if cur is None:
        raise SchemaError(
            "The database has tables but no casedesk schema version, so it is not a casedesk database "
            "(or one too damaged to upgrade); casedesk will not change it. Choose the right one with --db, "
            "restore a backup with `casedesk db restore`, or create a new database with `casedesk db init`."
        )
    if cur not in known_revisions():
        raise SchemaError(
            f"The database schema ({cur}) is newer than this casedesk ({head}); it was upgraded by a newer "
            "casedesk. Install that version (or newer) to use it; do not downgrade the database."
        )
    if upgrading:
        return
    raise SchemaError(
        f"The database schema is at {cur}; this casedesk needs {head}. Run `casedesk db upgrade` "
        "(it takes a backup first)."
    )


def open_engine(url: str | None = None, *, auto_create: bool = False) -> Engine:
    """The engine the CLI and TUI use: resolved, schema checked. A missing
    SQLite file is refused (never created on the side)."""
    path = sqlite_path(url)
    if path is not None:
        try:
            exists = path.exists() and os.access(path, os.R_OK | os.W_OK)
        except PermissionError:
            exists = None
        if exists is None or (path.exists() and not exists):
            raise SchemaError(
                f"You may not open the database at {path} (permission denied). On a shared server casedesk is "
                "started through its service account; see docs/DEPLOY.md."
            )
    if path is not None and not auto_create and not path.exists():
        raise SchemaError(
            f"There is no casedesk database at {path}. Check --db / CASEDESK_DB / config.toml, "
            "or create one with `casedesk db init`."
        )
    engine = make_engine(url)
    check_schema(engine, auto_create=auto_create)
    return engine


def create_private_file(path: Path) -> None:
    """Make an empty 0600 file (and 0700 directories up to it) if there is none."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def init_database(url: str | None = None, *, demo: bool = False) -> tuple[Engine, bool]:
    """``casedesk db init``: create the database (SQLite: a 0600 file, whose
    WAL and SHM files SQLite creates with the same mode) and its schema, and
    note whether it was made as a demo (``casedesk demo`` may fill only
    those without an admin). An existing database is only schema-checked;
    returns ``(engine, created)``."""
    path = sqlite_path(url)
    if path is not None:
        create_private_file(path)
    engine = make_engine(url)
    if current_revision(engine) is not None or not is_empty(engine):
        check_schema(engine)
        return engine, False
    upgrade(engine)
    with write_session(engine) as s:
        set_meta(s, "created_as", "demo" if demo else "real")
        if demo:
            set_meta(s, "demo", "1")
    return engine, True


def get_meta(session: _SASession, key: str, default: str = "") -> str:
    row = session.execute(text("SELECT value FROM casedesk_meta WHERE key = :k"), {"k": key}).first()
    return row[0] if row else default


def set_meta(session: _SASession, key: str, value: str) -> None:
    from core.models import Meta

    obj = session.get(Meta, key)
    if obj is None:
        session.add(Meta(key=key, value=value))
    else:
        obj.value = value


# --------------------------------------------------------------------------- faults

_FAULT_MESSAGES = {
    "busy": N_("The database is busy — try again (while {action}; nothing was changed)."),
    "full": N_("The disk holding the database is full (while {action}); nothing was changed. Ask an admin to free space."),
    "io": N_("The disk reported an I/O error (while {action}); nothing was changed. Ask an admin to check the disk."),
    "readonly": N_("The database is read-only for you (while {action}); nothing was changed."),
    "corrupt": N_("The database file is damaged or is not a casedesk database (while {action}). "
                  "Ask an admin to run `casedesk db check`."),
    "unreachable": N_("The database cannot be opened (while {action}); check --db / CASEDESK_DB. Nothing was changed."),
    "other": N_("The database refused the request ({cause}) while {action}; nothing was changed."),
}
FAULT_KINDS = tuple(_FAULT_MESSAGES)

_SQLITE_KINDS = {
    "SQLITE_BUSY": "busy", "SQLITE_LOCKED": "busy", "SQLITE_FULL": "full", "SQLITE_IOERR": "io",
    "SQLITE_READONLY": "readonly", "SQLITE_CORRUPT": "corrupt", "SQLITE_NOTADB": "corrupt",
    "SQLITE_CANTOPEN": "unreachable", "SQLITE_PERM": "readonly", "SQLITE_AUTH": "readonly",
}
_TEXT_KINDS = (
    ("locked", "busy"), ("busy", "busy"), ("disk is full", "full"), ("no space left", "full"),
    ("i/o error", "io"), ("readonly", "readonly"), ("read-only", "readonly"), ("malformed", "corrupt"),
    ("not a database", "corrupt"), ("unable to open", "unreachable"), ("could not connect", "unreachable"),
    ("connection", "unreachable"),
)
# PostgreSQL SQLSTATE classes / codes
_PG_KINDS = {"53100": "full", "53": "full", "58030": "io", "40001": "busy", "40P01": "busy", "55P03": "busy",
             "57014": "busy", "25006": "readonly", "08": "unreachable", "XX001": "corrupt", "XX002": "corrupt"}


def fault_kind(exc: BaseException) -> str | None:
    """What a database error means for the caseworker, or None if ``exc`` is
    not a database error (a programming error stays unexpected)."""
    from sqlalchemy.exc import DBAPIError, IntegrityError, NotSupportedError, ProgrammingError

    if isinstance(exc, (IntegrityError, ProgrammingError, NotSupportedError)):
        return None  # a constraint or a statement the code got wrong: a bug, not the environment
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    name = getattr(orig, "sqlite_errorname", None)
    if name:
        base = name if name in _SQLITE_KINDS else "_".join(name.split("_")[:2])
        if base in _SQLITE_KINDS:
            return _SQLITE_KINDS[base]
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code:
        return _PG_KINDS.get(code) or _PG_KINDS.get(code[:2]) or "other"
    if not isinstance(exc, DBAPIError) and type(orig).__module__ not in ("sqlite3", "psycopg", "psycopg.errors"):
        return None
    text_ = str(orig).lower()
    for needle, kind in _TEXT_KINDS:
        if needle in text_:
            return kind
    return "other"


def database_fault(exc: BaseException, action: str) -> DatabaseFault | None:
    """``exc`` as a :class:`~core.errors.DatabaseFault` naming the cause and
    what was being done, or None when it is not a database error."""
    kind = fault_kind(exc)
    if kind is None:
        return None
    from sqlalchemy.exc import DBAPIError

    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    cause = getattr(orig, "sqlite_errorname", None) or type(orig).__name__
    return DatabaseFault(Reason("", "database", _FAULT_MESSAGES[kind], {"action": action, "cause": cause}), kind=kind)
