"""Tamper evidence (issue 9): the audit trail is a gap-free hash chain and
``casedesk db check`` / ``audit verify`` report any rewrite of history."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlmodel import select

from core import audit
from core.auth import Actor
from core.checks import check_database
from core.db import read_session, write_session
from core.models import AuditEvent
from core.services import users

BOOT = Actor("boot.admin", "admin")


@pytest.fixture
def trail(engine):
    """Three caseworkers added and one role changed, all through the services."""
    with write_session(engine) as s:
        users.add_user(s, BOOT, username="boot.admin", role="admin", reason="first admin")
        users.add_user(s, BOOT, username="clerk.a", role="clerk", reason="new clerk")
    with write_session(engine) as s:
        users.add_user(s, BOOT, username="clerk.b", role="clerk", reason="new clerk")
        users.set_role(s, BOOT, username="clerk.b", role="reviewer", reason="promoted", expected_version=None)
    return engine


def _raw(db_path):
    return sqlite3.connect(db_path, isolation_level=None)


def _problems(engine, **kw):
    return [p.message_en for p in check_database(engine, **kw).problems]


def test_events_carry_a_gap_free_sequence_and_chained_hashes(trail):
    with read_session(trail) as s:
        evs = list(s.exec(select(AuditEvent).order_by(AuditEvent.seq)))
        assert [e.seq for e in evs] == [1, 2, 3, 4]
        prev = audit.GENESIS
        for e in evs:
            assert e.hash == audit.link_hash(prev, e)
            prev = e.hash
        s.expunge_all()
        assert audit.verify(s).ok
        assert audit.head(s) == audit.Head(4, prev)
    assert check_database(trail).ok


def test_a_rolled_back_transaction_leaves_no_gap(trail):
    with pytest.raises(RuntimeError):
        with write_session(trail) as s:
            users.add_user(s, BOOT, username="ghost", role="clerk", reason="x")
            s.flush()
            raise RuntimeError("boom")
    with write_session(trail) as s:
        users.add_user(s, BOOT, username="clerk.c", role="clerk", reason="new clerk")
    with read_session(trail) as s:
        assert audit.head(s).seq == 5
        assert audit.verify(s).ok


def test_concurrent_writers_never_collide_or_leave_gaps(trail):
    errors = []

    def work(i):
        try:
            for k in range(5):
                with write_session(trail) as s:
                    users.add_user(s, BOOT, username=f"t{i}.{k}", role="clerk", reason="load")
        except BaseException as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with read_session(trail) as s:
        v = audit.verify(s)
    assert v.ok and v.head.seq == 4 + 30


def test_dropping_an_append_only_trigger_is_detected(trail, db_path):
    _raw(db_path).execute("DROP TRIGGER audit_event_no_update")
    problems = _problems(trail)
    assert any("audit_event_no_update" in p for p in problems)


def test_rewriting_an_event_is_detected_and_named(trail, db_path):
    con = _raw(db_path)
    con.execute("DROP TRIGGER audit_event_no_update")
    con.execute("UPDATE audit_event SET actor = 'someone.else' WHERE seq = 2")
    with read_session(trail) as s:
        v = audit.verify(s)
    assert not v.ok
    assert "Audit event 2 " in v.problems[0].message_en
    assert any("Audit event 2 " in p for p in _problems(trail))


def test_deleting_an_event_is_detected(trail, db_path):
    con = _raw(db_path)
    con.execute("DROP TRIGGER audit_event_no_delete")
    con.execute("DELETE FROM audit_event WHERE seq = 3")
    with read_session(trail) as s:
        v = audit.verify(s)
    assert not v.ok and "Audit event 3 is missing" in v.problems[0].message_en


def test_truncating_the_tail_is_detected_against_a_kept_head(trail, db_path):
    with read_session(trail) as s:
        kept = audit.head(s)
    con = _raw(db_path)
    con.execute("DROP TRIGGER audit_event_no_delete")
    con.execute("DELETE FROM audit_event WHERE seq >= 3")
    con.execute("CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END")
    with read_session(trail) as s:
        assert audit.verify(s).ok  # the shortened chain is consistent on its own …
        v = audit.verify(s, against=kept)  # … but not with the head kept outside
    assert not v.ok and "ends at event 2" in v.problems[0].message_en


def test_recomputing_the_chain_after_a_rewrite_is_caught_against_a_kept_head(trail, db_path):
    with read_session(trail) as s:
        kept = audit.head(s)
    con = _raw(db_path)
    con.execute("DROP TRIGGER audit_event_no_update")
    con.execute("UPDATE audit_event SET reason = 'rewritten' WHERE seq = 2")
    # the forger re-hashes every later event with the public algorithm
    with read_session(trail) as s:
        evs = list(s.exec(select(AuditEvent).order_by(AuditEvent.seq)))
        prev = audit.GENESIS
        fixed = []
        for e in evs:
            prev = audit.link_hash(prev, e)
            fixed.append((prev, e.seq))
    con.executemany("UPDATE audit_event SET hash = ? WHERE seq = ?", fixed)
    with read_session(trail) as s:
        assert audit.verify(s).ok
        v = audit.verify(s, against=kept)
    assert not v.ok and "differs from the kept head" in v.problems[0].message_en


def test_granting_a_role_with_sqlite_is_detected(trail, db_path):
    _raw(db_path).execute("UPDATE caseworker SET role = 'admin' WHERE username = 'clerk.a'")
    problems = _problems(trail)
    assert any("clerk.a" in p and "role is admin" in p for p in problems), problems


def test_a_caseworker_inserted_with_sqlite_is_detected(trail, db_path):
    _raw(db_path).execute(
        "INSERT INTO caseworker (id, version, created_at, updated_at, username, display_name, role, branch, active) "
        "VALUES ('0123456789abcdef0123456789abcdef', 1, '2026-01-01', '2026-01-01', 'evil', 'evil', 'admin', '', 1)")
    assert any("evil has no audit event" in p for p in _problems(trail))


def test_a_damaged_page_fails_the_storage_check(trail, db_path):
    trail.dispose()
    con = _raw(db_path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ix_caseworker_username'").fetchone()[0]
    con.close()
    data = bytearray(db_path.read_bytes())
    start = (root - 1) * page
    data[start + 8:start + 64] = b"\xff" * 56  # scribble over the index page's cell pointers
    db_path.write_bytes(bytes(data))
    problems = _problems(trail)
    assert problems
