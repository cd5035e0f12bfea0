"""Storage: pragmas in force, BEGIN IMMEDIATE for writes, optimistic locking,
migrations from empty, refusal of unmigrated or newer schemas."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.db import (
    check_schema,
    check_version,
    current_revision,
    head_revision,
    make_engine,
    read_session,
    upgrade,
    write_session,
)
from core.errors import SchemaError, StaleRecord
from core.models import Caseworker, Enrollee


def test_sqlite_pragmas_in_force(engine):
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_foreign_keys_enforced(engine):
    import uuid

    from sqlalchemy.exc import IntegrityError

    from core.models import Physician

    with pytest.raises(IntegrityError):
        with write_session(engine) as s:
            s.add(Physician(code="X1", name="x", institution_id=uuid.uuid4(), title="chief", specialty="c"))


def test_write_session_takes_the_write_lock_at_begin(db_path, engine):
    """BEGIN IMMEDIATE: a write transaction holds the RESERVED lock from its
    first statement, so a second writer cannot start (it would with DEFERRED)."""
    with write_session(engine) as s:
        s.execute(text("SELECT 1"))  # nothing written yet
        other = sqlite3.connect(db_path, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_read_session_does_not_block_writers(db_path, engine):
    with read_session(engine) as s:
        s.execute(text("SELECT count(*) FROM enrollee"))
        other = sqlite3.connect(db_path, timeout=0.05, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()


def test_write_session_rolls_back_everything_on_error(engine):
    with pytest.raises(RuntimeError):
        with write_session(engine) as s:
            s.add(Caseworker(username="a", role="clerk"))
            s.flush()
            raise RuntimeError("boom")
    with Session(engine) as s:
        assert s.exec(text("SELECT count(*) FROM caseworker")).scalar_one() == 0  # type: ignore[call-overload]


def test_stale_version_update_refused(engine, build):
    e = build.enrollee(name="Stale Test")
    assert e.version == 1
    # caseworker A read version 1; B updates first
    with write_session(engine) as s:
        b = s.get(Enrollee, e.id)
        b.phone = "111"
    with pytest.raises(StaleRecord) as err:
        with write_session(engine) as s:
            a = s.get(Enrollee, e.id)
            check_version(a, expected=1)
            a.phone = "222"
    assert "someone else" in err.value.reasons[0].message_en
    with Session(engine) as s:
        assert s.get(Enrollee, e.id).phone == "111"


def test_concurrent_update_raises_stale_record(engine, build):
    """Two sessions load the same row; the second flush finds the version moved."""
    e = build.enrollee()
    s1 = Session(engine)
    s2 = Session(engine)
    a = s1.get(Enrollee, e.id)
    b = s2.get(Enrollee, e.id)
    s2.close()
    s1.close()
    with write_session(engine) as w:
        w.merge(a).phone = "1"
    with pytest.raises(StaleRecord):
        with write_session(engine) as w:
            obj = w.merge(b, load=False)
            obj.phone = "2"


def test_version_increments_on_update(engine, build):
    e = build.enrollee()
    with write_session(engine) as s:
        s.get(Enrollee, e.id).phone = "9"
    with Session(engine) as s:
        assert s.get(Enrollee, e.id).version == 2


def test_migrations_up_from_empty(tmp_path):
    eng = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert current_revision(eng) is None
    upgrade(eng)
    assert current_revision(eng) == head_revision()
    check_schema(eng, auto_create=False)


def test_migrations_match_models(tmp_path):
    """The migration scripts create exactly what the models declare (no drift)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import core.models  # noqa: F401
    from core.db import include_name

    eng = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(eng)
    with eng.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"include_name": include_name}), SQLModel.metadata)
    assert diff == []


def test_a_missing_database_is_never_created_on_the_side(tmp_path):
    """A mistyped --db made directories and a fresh database (issue 9);
    only `casedesk db init` creates one (0600 in a 0700 directory)."""
    from core.db import init_database, open_engine

    typo = tmp_path / "no" / "such" / "dir" / "casedesk.db"
    with pytest.raises(SchemaError, match="db init"):
        open_engine(str(typo))
    assert not (tmp_path / "no").exists()
    eng, created = init_database(str(typo))
    assert created and current_revision(eng) == head_revision()
    assert typo.stat().st_mode & 0o777 == 0o600
    assert typo.parent.stat().st_mode & 0o777 == 0o700
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE t (x)")  # WAL and SHM exist now
    for f in (typo, typo.with_name(typo.name + "-wal"), typo.with_name(typo.name + "-shm")):
        assert f.stat().st_mode & 0o777 == 0o600, f
    assert init_database(str(typo))[1] is False  # a second init changes nothing


def test_unmigrated_database_refused(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE something (x)")
    con.commit()
    con.close()
    with pytest.raises(SchemaError, match="not a casedesk database") as err:
        check_schema(make_engine(f"sqlite:///{path}"))
    assert "db upgrade" not in str(err.value)  # an upgrade could not fix it
    with pytest.raises(SchemaError, match="not a casedesk database"):
        check_schema(make_engine(f"sqlite:///{path}"), upgrading=True)


def test_older_schema_refused_with_upgrade_hint(engine):
    with engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = 'base0'"))
    # an unknown older revision is reported as newer-than-us; a known older one asks for upgrade
    with pytest.raises(SchemaError):
        check_schema(engine)


def test_newer_schema_refused(engine):
    with engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
    with pytest.raises(SchemaError, match="newer than this casedesk"):
        check_schema(engine)


def test_uuid_primary_keys(build):
    import uuid

    e = build.enrollee()
    assert isinstance(e.id, uuid.UUID)


def test_write_sessions_in_threads_serialise(engine, build):
    """Eight threads each add a caseworker; BEGIN IMMEDIATE + busy timeout
    make them queue, none fails with 'database is locked'."""
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            with write_session(engine) as s:
                s.add(Caseworker(username=f"t{i}", role="clerk"))
        except BaseException as exc:  # pragma: no cover - failure path
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Session(engine) as s:
        assert s.exec(text("SELECT count(*) FROM caseworker")).scalar_one() == 8  # type: ignore[call-overload]


def test_audit_events_are_append_only(engine, clerk):
    from sqlalchemy.exc import DBAPIError

    from core import audit

    with write_session(engine) as s:
        audit.record(s, clerk, "test.event", entity="x", entity_id="1", reason="r")
    for stmt in ("UPDATE audit_event SET reason = 'changed'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as c:
                c.execute(text(stmt))
    with engine.connect() as c:
        assert c.execute(text("SELECT reason FROM audit_event")).scalar_one() == "r"
