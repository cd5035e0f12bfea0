"""`casedesk branch init`, `casedesk sync`, `casedesk sync status` as real
processes on real SQLite branch files against the shared PostgreSQL 15 centre
(issue 11 items 1, 2, 6, 8): a pull SIGKILLed in the middle resumes and ends
equal to the centre; a branch with the link down still looks up and works."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from core import audit
from core.db import make_engine, read_session
from tests.sync_world import World, assert_equal_to_centre, rows

pytestmark = pytest.mark.postgres


@pytest.fixture
def branch(tmp_path):
    """``branch(*args)`` runs ``python -m cli --db BRANCH.db --lang en ARGS``
    as the account running the tests (its first admin after `db init`)."""
    db = tmp_path / "branch.db"
    env = {**os.environ, "CASEDESK_CONFIG": str(tmp_path / "none.toml"), "LANG": "C.UTF-8",
           "CASEDESK_LOG_DIR": str(tmp_path / "logs"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("CASEDESK_DB", None)

    def cmd(*args: str) -> list[str]:
        return [sys.executable, "-m", "cli", "--db", str(db), "--lang", "en", *args]

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        r = subprocess.run(cmd(*args), capture_output=True, text=True, env=env, input=stdin, timeout=300)
        assert "Traceback" not in r.stderr, r.stderr
        return r

    run.cmd, run.env, run.db = cmd, env, db
    assert run("db", "init").returncode == 0
    return run


def ok(r: subprocess.CompletedProcess) -> dict:
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    data = json.loads(r.stdout)
    assert data["ok"] is True
    return data


def passfile(tmp_path: Path) -> Path:
    p = tmp_path / "central.pgpass"
    p.write_text("*:*:*:casedesk:not-needed-under-trust\n")
    p.chmod(0o600)
    return p


def cursor(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT pulled_txid, pulled_seq FROM sync_branch").fetchone()


def test_a_pull_killed_in_the_middle_resumes_and_ends_equal_to_the_centre(tmp_path, branch, pg_url):
    centre = make_engine(pg_url)
    world = World(centre)
    first = world.enrollee("futian", 800)
    init = ok(branch("branch", "init", "--central", pg_url, "--branch", "FT01",
                     "--passfile", str(passfile(tmp_path)), "--json"))
    assert init["branch"] == "FT01" and init["pull"]["changes"] > 0
    assert "password" not in json.dumps(init)

    people = [world.enrollee("futian" if i % 3 else "luohu", 801 + i) for i in range(90)]
    for p in people[::2]:
        world.file(p.id)
    world.expense(first.id, 5)
    start = cursor(branch.db)

    proc = subprocess.Popen(branch.cmd("sync", "--batch", "3", "--json"), env=branch.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while cursor(branch.db) == start and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)  # somewhere in the middle of a batch, or between two
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    stopped = cursor(branch.db)
    assert stopped != start  # some batches were committed …

    branch_engine = make_engine(f"sqlite:///{branch.db}")
    assert len(rows(branch_engine, "enrollee")) < len(rows(centre, "enrollee"))  # … but not all
    resumed = ok(branch("sync", "--json"))
    assert resumed["pull"]["changes"] > 0
    assert_equal_to_centre(branch_engine, centre)
    assert ok(branch("sync", "--json"))["pull"]["changes"] == 0

    r = branch("audit", "verify")  # the branch's own chain, with its pulls, holds
    assert r.returncode == 0, r.stdout + r.stderr
    r = branch("db", "check")  # storage integrity, foreign keys, triggers
    assert r.returncode == 0, r.stdout + r.stderr
    with read_session(centre) as s:  # and the centre's (it has no caseworker for this account to run the CLI)
        assert audit.verify(s).ok
    branch_engine.dispose()
    centre.dispose()


def test_a_branch_with_the_link_down_looks_up_works_and_says_so(tmp_path, branch, pg_url, pg_cluster):
    centre = make_engine(pg_url)
    world = World(centre)
    person = world.enrollee("futian", 900)
    # the branch reaches the centre through a socket of its own: removing it takes the link down
    link_dir = tmp_path / "link"
    link_dir.mkdir()
    sock = link_dir / f".s.PGSQL.{pg_cluster.port}"
    sock.symlink_to(pg_cluster.sock / f".s.PGSQL.{pg_cluster.port}")
    url = f"postgresql+psycopg://casedesk@/{make_url(pg_url).database}?host={link_dir}&port={pg_cluster.port}"
    ok(branch("branch", "init", "--central", url, "--branch", "FT01", "--passfile", str(passfile(tmp_path)), "--json"))

    up = ok(branch("sync", "status", "--json"))
    assert up["link"] == "up" and up["branch"] == "FT01" and up["is_branch"] is True
    assert {"central", "area", "last_pull_at", "last_pull_changes", "last_push_at", "last_push_ops", "waiting",
            "conflicts", "cursor"} <= up.keys()
    assert up["last_pull_at"] and up["last_push_at"] is None and up["area"] == []

    sock.unlink()  # the link goes down
    down = ok(branch("sync", "status", "--json"))
    assert down["link"] == "down" and down["last_pull_at"] == up["last_pull_at"]
    text = branch("sync", "status")
    assert text.returncode == 0 and "link down" in text.stdout

    found = json.loads(branch("lookup", "风900", "--json").stdout)  # the search index rows came with the pull
    assert [r["name"] for r in found["rows"]] == [person.name]
    codes = [i.code for i in world.insts]
    filed = branch("offsite", "file", person.id_number, "--place", "Wuhan", *(a for c in codes for a in ("--institution", c)),
                   "--all-stamped", "--copies", "3", "--local-stamp", "--filed-by", "self", "--on", "2026-03-10",
                   "--json")
    assert ok(filed)["voucher"]  # a workflow with the link down

    failed = branch("sync", "--json")
    assert failed.returncode == 2, (failed.stdout, failed.stderr)
    assert json.loads(failed.stdout)["ok"] is False
    assert "centre" in failed.stderr and "Traceback" not in failed.stderr
    centre.dispose()


def test_sync_status_on_a_database_that_is_not_a_branch(branch):
    st = ok(branch("sync", "status", "--json"))
    assert st["is_branch"] is False and st["branch"] == ""
    r = branch("sync", "--json")
    assert r.returncode == 2 and "branch init" in r.stderr
