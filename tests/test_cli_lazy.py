"""A command on the counter's path loads only its own command module
(cli.commands.HOT); every other invocation loads them all (issue 10 item 4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli.commands import HOT, command_of

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
sys.argv = [{main!r}] + {argv!r}
import cli.main
from typer.main import get_command
names = sorted(get_command(cli.main.app).commands)
print(json.dumps({{"modules": sorted(m for m in sys.modules if m.startswith("cli.commands.")),
                   "commands": names, "textual": "textual" in sys.modules, "fpdf": "fpdf" in sys.modules,
                   "alembic": "alembic" in sys.modules}}))
"""


def probe(argv: list[str]) -> dict:
    code = PROBE.format(main=str(ROOT / "cli" / "__main__.py"), argv=argv)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("argv, command", [
    (["lookup", "x"], "lookup"), (["--db", "a.db", "--lang", "en", "check", "1", "2"], "check"),
    (["--demo", "worklist"], "worklist"), (["--db=a.db", "lookup"], "lookup"), (["--help"], None), ([], None),
])
def test_the_command_is_found_after_the_global_options(argv, command):
    assert command_of(argv) == command


@pytest.mark.parametrize("command", sorted(HOT))
def test_a_hot_command_loads_only_its_module_and_is_registered(command):
    got = probe([command, "x"])
    assert got["modules"] == sorted(f"cli.commands.{m}" for m in HOT[command])
    assert command in got["commands"]
    assert not (got["textual"] or got["fpdf"] or got["alembic"])


def test_anything_else_loads_every_command():
    got = probe(["--help"])
    assert {"lookup", "check", "worklist", "book", "certificate", "case", "db", "demo"} <= set(got["commands"])
    assert len(got["modules"]) > 10


@pytest.mark.parametrize("module", ["cli", "cli.main"])
def test_every_way_of_starting_the_command_loads_the_commands_once(module, tmp_path):
    """`python -m cli.main` runs the module as __main__ and imports cli.main
    again: the commands are loaded once, by the module the app lives in (a
    second load from __main__ was a circular import)."""
    out = subprocess.run([sys.executable, "-m", module, "--db", str(tmp_path / "x.db"), "db", "--help"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr and "init" in out.stdout
