"""Backups (issue 9, item 9): `casedesk db backup` takes a consistent 0600
copy while others write, `db restore` checks a backup before it replaces
anything, `db upgrade` backs up first; `audit verify`/`head`/`show` and
`db check` from the command line."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from core.auth import os_username

ME = os_username()


def cli(tmp_path, db, *args):
    env = {**os.environ, "CASEDESK_CONFIG": str(tmp_path / "none.toml")}
    return subprocess.run([sys.executable, "-m", "cli", "--lang", "en", "--db", str(db), *args],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "live" / "casedesk.db"
    r = cli(tmp_path, path, "db", "init")
    assert r.returncode == 0, r.stderr
    assert cli(tmp_path, path, "user", "add", "clerk.a", "--role", "clerk").returncode == 0
    return path


def _count(path, table="caseworker"):
    con = sqlite3.connect(path)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


def test_backup_is_private_and_checks_out_while_others_write(tmp_path, db):
    stop = threading.Event()
    written = []

    def writer():
        from core.auth import Actor
        from core.db import make_engine, write_session
        from core.services import users

        eng = make_engine(f"sqlite:///{db}")
        i = 0
        while not stop.is_set():
            with write_session(eng) as s:
                users.add_user(s, Actor(ME, "admin"), username=f"w{i}", role="clerk", reason="load")
            written.append(i)
            i += 1
        eng.dispose()

    t = threading.Thread(target=writer)
    t.start()
    try:
        r = cli(tmp_path, db, "db", "backup", str(tmp_path / "b1.db"))
    finally:
        stop.set()
        t.join()
    assert r.returncode == 0, r.stderr
    b1 = tmp_path / "b1.db"
    assert b1.stat().st_mode & 0o777 == 0o600
    assert cli(tmp_path, b1, "db", "check").returncode == 0  # integrity, triggers, chain of the copy
    assert written, "the writer never got in while the backup ran"
    # a backup never overwrites
    r = cli(tmp_path, db, "db", "backup", str(b1))
    assert r.returncode == 2 and "already exists" in r.stderr


def test_backup_and_restore_need_an_admin(tmp_path, db):
    from core.auth import Actor
    from core.db import make_engine, write_session
    from core.services import users

    eng = make_engine(f"sqlite:///{db}")
    with write_session(eng) as s:
        users.add_user(s, Actor(ME, "admin"), username="other.admin", role="admin", reason="second admin")
    with write_session(eng) as s:
        users.set_role(s, Actor("other.admin", "admin"), username=ME, role="clerk", reason="step down", expected_version=None)
    eng.dispose()
    r = cli(tmp_path, db, "db", "backup", str(tmp_path / "b.db"))
    assert r.returncode == 2 and "may not back up the database" in r.stderr, r.stderr
    assert not (tmp_path / "b.db").exists()


def test_restore_replaces_only_after_the_backup_checks_out(tmp_path, db):
    backup = tmp_path / "good.db"
    assert cli(tmp_path, db, "db", "backup", str(backup)).returncode == 0
    assert cli(tmp_path, db, "user", "add", "later.clerk", "--role", "clerk").returncode == 0
    assert _count(db) == 3

    # a tampered backup is refused and nothing is replaced
    bad = tmp_path / "bad.db"
    bad.write_bytes(backup.read_bytes())
    con = sqlite3.connect(bad)
    con.execute("DROP TRIGGER audit_event_no_update")
    con.execute("UPDATE audit_event SET actor = 'nobody' WHERE seq = 1")
    con.commit()
    con.close()
    r = cli(tmp_path, db, "db", "restore", str(bad), "--reason", "test")
    assert r.returncode == 2 and "does not check out" in r.stderr, r.stderr
    assert _count(db) == 3
    # so is a file that is not a database
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    r = cli(tmp_path, db, "db", "restore", str(junk), "--reason", "test")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert _count(db) == 3

    r = cli(tmp_path, db, "db", "restore", str(backup), "--reason", "disk replaced")
    assert r.returncode == 0, r.stderr
    assert _count(db) == 2  # later.clerk came after the backup
    kept = [p for p in db.parent.iterdir() if ".before-restore-" in p.name]
    assert len(kept) == 1 and _count(kept[0]) == 3 and kept[0].stat().st_mode & 0o777 == 0o600
    r = cli(tmp_path, db, "db", "check")
    assert r.returncode == 0, r.stderr + r.stdout
    r = cli(tmp_path, db, "audit", "show", "casedesk.db")
    assert "restored the database from a backup" in r.stdout and "disk replaced" in r.stdout, r.stdout + r.stderr


def test_upgrade_backs_up_first(tmp_path, db):
    from alembic import command

    from core.db import alembic_config, current_revision, make_engine

    eng = make_engine(f"sqlite:///{db}")
    command.downgrade(alembic_config(eng), "0004_search")  # one step back: the chain columns go
    assert current_revision(eng) == "0004_search"
    eng.dispose()
    r = cli(tmp_path, db, "lookup", "x")
    assert r.returncode == 2 and "casedesk db upgrade" in r.stderr
    r = cli(tmp_path, db, "db", "upgrade")
    assert r.returncode == 0, r.stderr
    baks = [p for p in db.parent.iterdir() if ".pre-upgrade-0004_search-" in p.name]
    assert len(baks) == 1 and baks[0].stat().st_mode & 0o777 == 0o600
    assert "backup:" in r.stdout
    assert cli(tmp_path, db, "db", "check").returncode == 0  # backfilled chain verifies


def test_newer_schema_and_foreign_tables_exit_2_with_what_to_do(tmp_path, db):
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    con.commit()
    con.close()
    for args in (["db", "upgrade"], ["lookup", "x"], ["db", "check"]):
        r = cli(tmp_path, db, *args)
        assert r.returncode in (1, 2) and "newer than this casedesk" in r.stderr + r.stdout, (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert cli(tmp_path, db, "db", "upgrade").returncode == 2
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE something (x)")
    con.commit()
    con.close()
    r = cli(tmp_path, other, "db", "upgrade")
    assert r.returncode == 2 and "not a casedesk database" in r.stderr and "db init" in r.stderr


def test_a_mistyped_db_creates_nothing(tmp_path):
    typo = tmp_path / "typo" / "casedesk.db"
    for args in (["lookup", "x"], ["user", "list"], ["db", "check"], ["db", "upgrade"]):
        r = cli(tmp_path, typo, *args)
        assert r.returncode == 2 and "db init" in r.stderr, (args, r.stderr)
    assert not (tmp_path / "typo").exists()


def test_audit_verify_head_and_against_from_the_command_line(tmp_path, db):
    r = cli(tmp_path, db, "audit", "head")
    assert r.returncode == 0
    head = r.stdout.strip()
    assert head.startswith("2:") and len(head) == 2 + 64
    assert cli(tmp_path, db, "audit", "verify", "--against", head).returncode == 0
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER audit_event_no_delete")
    con.execute("DELETE FROM audit_event WHERE seq = 2")
    con.commit()
    con.close()
    r = cli(tmp_path, db, "audit", "verify")
    assert r.returncode == 0  # the shortened chain is consistent on its own
    r = cli(tmp_path, db, "audit", "verify", "--against", head)
    assert r.returncode == 1 and "ends at event 1" in r.stderr
    r = cli(tmp_path, db, "db", "check", "--against", head)
    assert r.returncode == 1 and "audit_event_no_delete" in r.stderr and "ends at event 1" in r.stderr
    r = cli(tmp_path, db, "audit", "verify", "--against", "nonsense")
    assert r.returncode == 2 and "SEQUENCE:HASH" in r.stderr


def test_audit_show_tells_a_caseworkers_history_in_sentences(tmp_path, db):
    assert cli(tmp_path, db, "user", "set-role", "clerk.a", "reviewer", "--reason", "covers the review desk").returncode == 0
    con = sqlite3.connect(db)
    key = con.execute("SELECT id FROM caseworker WHERE username = 'clerk.a'").fetchone()[0]
    con.close()
    import uuid

    r = cli(tmp_path, db, "audit", "show", str(uuid.UUID(key)))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()[1:]
    assert f"{ME} (admin) added the caseworker." in lines[0]
    assert "changed the caseworker's role. Reason: covers the review desk." in lines[1]
    r = cli(tmp_path, db, "--lang", "zh_CN", "audit", "show", str(uuid.UUID(key)))
    assert "添加了经办人" in r.stdout
