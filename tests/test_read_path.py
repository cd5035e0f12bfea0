"""One read path (issue 7, item 6): screens and commands get plain immutable
results from core; no ORM row leaves its session."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from core import gateway
from core.errors import DomainError
from core.models import Caseworker
from core.records import ensure_plain, frozen
from core.services import users


def _cli(tmp_path, db, *args):
    env = {**os.environ, "CASEDESK_CONFIG": str(tmp_path / "none.toml")}
    return subprocess.run([sys.executable, "-m", "cli", "--db", str(db), *args], capture_output=True, text=True,
                          env=env)


def test_user_list_after_the_session_closed(tmp_path):
    """`casedesk user list` crashed with DetachedInstanceError: the rows it
    printed had expired when the read session rolled back."""
    from core.auth import os_username

    me = os_username()  # the account running the tests becomes the first admin
    db = tmp_path / "u.db"
    r = _cli(tmp_path, db, "db", "init", "--name", "Alice")
    assert r.returncode == 0, r.stderr
    assert _cli(tmp_path, db, "user", "add", "zz.bob", "--role", "clerk").returncode == 0
    r = _cli(tmp_path, db, "user", "list")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "DetachedInstanceError" not in r.stderr
    assert [line.split()[0] for line in r.stdout.splitlines()] == sorted([me, "zz.bob"])
    r = _cli(tmp_path, db, "user", "list", "--json")
    assert r.returncode == 0, r.stderr
    assert {"username": me, "role": "admin", "branch": "", "name": "Alice", "active": True, "version": 1} in json.loads(r.stdout)


def test_gateway_refuses_an_orm_row(engine, admin):
    gateway.write(engine, lambda s: users.add_user(s, admin, username="dave", role="clerk", reason="new").username)
    with pytest.raises(TypeError, match="Caseworker ORM row"):
        gateway.read(engine, lambda s: [{"who": s.get(Caseworker, users.list_users(s)[0].id)}])
    with pytest.raises(TypeError, match="Caseworker ORM row"):
        gateway.write(engine, lambda s: users.set_role(s, admin, username="dave", role="reviewer", reason="x", expected_version=None))
    rows = gateway.read(engine, users.list_users)
    assert [(r.username, r.role) for r in rows if r.username == "dave"] == [("dave", "clerk")]  # rolled back
    with pytest.raises(ValidationError):
        rows[0].role = "admin"  # frozen


def test_ensure_plain_looks_inside_containers():
    row = Caseworker(username="x", role="clerk")
    for value in (row, [row], (1, {"k": row}), {"rows": (row,)}):
        with pytest.raises(TypeError):
            ensure_plain(value)
    assert ensure_plain(frozen(row)).username == "x"
    assert ensure_plain([frozen(row), None, 1, "a"])[1] is None


def test_gateway_write_rolls_back_on_refusal(engine, admin):
    def work(s):
        users.add_user(s, admin, username="erin", role="clerk", reason="new")
        raise DomainError.one("", "x", "refused after a write")

    with pytest.raises(DomainError):
        gateway.write(engine, work)
    assert not any(r.username == "erin" for r in gateway.read(engine, users.list_users))


def test_import_contracts_of_the_read_path_are_kept():
    """tui/cli import no sqlalchemy, sqlmodel or core.db (beyond the app
    factory, each exception commented in pyproject.toml); core.rules import
    no service, query, gateway, db or audit (issue 7, item 6)."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, "-c",
                        "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())"],
                       capture_output=True, text=True, cwd=root)
    out = " ".join(r.stdout.split())
    assert "tui and cli read and write only through core (no query, no session of their own)KEPT" in out \
        or "tui and cli read and write only through core (no query, no session of their own) KEPT" in out, r.stdout
    assert "core.rules are pure: no service, no database, no session KEPT" in out, r.stdout


async def test_a_screen_gets_plain_records_never_an_orm_row(engine, clerk, policy):
    """BaseScreen.run_service goes through the gateway: a work that returns a
    row is reported as a failure (nothing reaches the screen); a frozen copy
    arrives and stays readable after its session closed."""
    import asyncio
    from datetime import date

    from sqlmodel import select

    from tui.app import create_app

    app = create_app(engine, clerk, policy, today=date(2026, 3, 2))
    got: list = []
    async with app.run_test() as pilot:
        screen = app.screen
        screen.run_service(lambda s: s.exec(select(Caseworker)).first(), got.append, group="row")
        screen.run_service(lambda s: frozen(s.exec(select(Caseworker)).first()), got.append, group="plain")
        for _ in range(100):
            await pilot.pause(0.05)
            if app.failures and got:
                break
        await asyncio.sleep(0)
    assert [type(e) for e in app.failures] == [TypeError] and "ORM row" in str(app.failures[0])
    assert [g.username for g in got] == ["clerk1"]
