"""The shell commands against a real SQLite file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


@pytest.fixture
def dbfile(tmp_path, monkeypatch):
    path = tmp_path / "cli.db"
    monkeypatch.setenv("CASEDESK_DB", str(path))
    monkeypatch.setenv("CASEDESK_CONFIG", str(tmp_path / "none.toml"))
    r = runner.invoke(app, ["db", "init"])  # whoever runs this test is the first admin
    assert r.exit_code == 0, r.output
    return path


def test_help_lists_commands():
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0
    for cmd in ("demo", "import", "lookup", "user", "db"):
        assert cmd in r.output


def test_demo_then_lookup_finds_enrollees(dbfile):
    r = runner.invoke(app, ["demo", "--enrollees", "40"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["lookup", "王", "--json"])
    # the demo's names are random but seeded; some start with 王 only by chance, so search by a real one
    from sqlalchemy import create_engine, text

    eng = create_engine(f"sqlite:///{dbfile}")
    with eng.connect() as c:
        name, idn, card = c.execute(text("SELECT name, id_number, card_number FROM enrollee LIMIT 1")).one()
    for q in (name[:1], idn, card):
        r = runner.invoke(app, ["lookup", q, "--json"])
        assert r.exit_code == 0, r.output
        rows = json.loads(r.output)["rows"]
        assert any(row["name"] == name for row in rows)
        assert all("*" in row["id_masked"] for row in rows)


def test_demo_refuses_a_database_with_records(dbfile):
    assert runner.invoke(app, ["demo", "--enrollees", "20"]).exit_code == 0
    r = runner.invoke(app, ["demo", "--enrollees", "20"])
    assert r.exit_code == 2
    assert "already holds demo data" in r.output


def test_demo_is_deterministic(tmp_path, monkeypatch):
    from datetime import date

    from sqlalchemy import text

    from core.db import init_database
    from core.demo import fill_demo
    from core.policy import load_pack

    names = []
    for i in range(2):
        eng, _ = init_database(str(tmp_path / f"d{i}.db"), demo=True)
        fill_demo(eng, load_pack(), seed=7, enrollees=30, today=date(2026, 11, 22))
        with eng.connect() as c:
            names.append(c.execute(text("SELECT name, id_number FROM enrollee ORDER BY id_number")).all())
    assert names[0] == names[1]


def test_lookup_bad_input_exit_2(dbfile):
    r = runner.invoke(app, ["lookup", "   "])
    assert r.exit_code == 2
    assert "query" in r.output


def test_as_refused_on_real_database(dbfile):
    # user add needs an actor, so --as is checked (user list does not act)
    r = runner.invoke(app, ["--as", "someone", "user", "add", "bob"])
    assert r.exit_code == 2
    assert "demo database" in r.output


def test_db_check_and_upgrade(dbfile):
    r = runner.invoke(app, ["db", "upgrade"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["db", "check"])
    assert r.exit_code == 0 and "ok" in r.output


def test_import_reports_line_numbers(dbfile, tmp_path):
    csvf = tmp_path / "i.csv"
    csvf.write_text("code,name,kind,city\nH1,Hospital,hospital,Shenzhen\nH2,,spaceship,Shenzhen\n", encoding="utf-8")
    r = runner.invoke(app, ["import", "institutions", str(csvf)])
    assert r.exit_code == 2
    assert ":3:" in r.output and "nothing written" in r.output


def test_bad_database_gives_a_message_not_a_traceback(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "not-a-db.db"
    bad.write_text("this is not an SQLite file")
    for args in (["lookup", "x"], ["db", "check"], ["user", "list"]):
        r = subprocess.run([sys.executable, "-m", "cli", "--db", str(bad), *args], capture_output=True, text=True,
                           env={**__import__("os").environ, "CASEDESK_CONFIG": str(tmp_path / "none.toml")})
        assert r.returncode == 2, (args, r.stderr)
        assert "Traceback" not in r.stderr
        assert "database: The database file is damaged or is not a casedesk database" in r.stderr
        assert f"casedesk {' '.join(a for a in args if a != 'x')}" in r.stderr  # what was being done


def test_demo_lookup_on_a_fresh_machine_fills_the_demo_first(tmp_path):
    """`casedesk --demo lookup` used to create an empty demo database (issue 8)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "CASEDESK_LOG_DIR": str(tmp_path / "logs")}
    env.pop("CASEDESK_DB", None)
    env.pop("CASEDESK_CONFIG", None)
    r = subprocess.run([sys.executable, "-m", "cli", "--demo", "lookup", "王", "--json"], capture_output=True,
                       text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "Filling the demo database" in r.stderr
    compact = r.stdout.replace(" ", "").replace("\n", "")
    assert '"rows":[]' not in compact and '"name":"王' in compact  # the demo has people named 王
