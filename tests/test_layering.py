"""core never imports Textual, tui or cli; the CLI imports the TUI lazily."""

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_import_core_leaves_textual_out():
    mods = _modules_after(
        "import core, core.models, core.db, core.policy, core.calendar, core.ids, core.audit, core.auth\n"
        "import pkgutil, importlib, core.services, core.rules\n"
        "for pkg in (core.services, core.rules):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__): importlib.import_module(pkg.__name__ + '.' + m.name)"
    )
    assert "textual" not in mods
    assert not any(m == "tui" or m.startswith("tui.") for m in mods)


def test_cli_does_not_import_tui_for_shell_commands():
    mods = _modules_after("import cli.main")
    assert "textual" not in mods
    assert not any(m == "tui" or m.startswith("tui.") for m in mods)


def test_no_textual_import_statement_in_core():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1] / "core"
    pat = re.compile(r"^\s*(from|import)\s+(textual|tui|cli)\b", re.M)
    offenders = [str(p) for p in root.rglob("*.py") if pat.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_import_linter_contract():
    """Run import-linter from this interpreter (never from PATH: the README's
    test command runs with the venv not activated)."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1]
    r = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())"],
        capture_output=True, text=True, cwd=root,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout, r.stdout
