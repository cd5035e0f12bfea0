"""The ``casedesk`` command line (Typer).

Shell commands stay fast: the TUI (and Textual) is imported only inside the
command that opens it. Every command reports bad input as a one-line message
naming the field and the rule, exits 2, and changes nothing.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any, Optional

import typer

from core.errors import DomainError, SchemaError

app = typer.Typer(
    name="casedesk",
    help="Outpatient major-disease casework at the counter. Run without a command to open the app.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema: upgrade, check, current revision.", no_args_is_help=True)
user_app = typer.Typer(help="Caseworkers and their roles (admins only).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")


class State:
    db: Optional[str] = None
    db_from_option: bool = False
    lang: str = "en"
    as_user: Optional[str] = None
    policy: Optional[str] = None
    demo: bool = False


state = State()


def echo(message: object = "", *, err: bool = False) -> None:
    """The one printer of the CLI: every line goes through
    :func:`core.safe_text.neutralise`, so stored or typed text never sends
    an escape sequence to the terminal (issue 9, item 5)."""
    from core.safe_text import neutralise

    typer.echo(neutralise(message), err=err)


def fail(message: str, code: int = 2) -> None:
    echo(message, err=True)
    raise typer.Exit(code)


def show_error(exc: DomainError) -> None:
    for line in exc.messages(state.lang):
        echo(line, err=True)


def current_action() -> str:
    """What the caseworker asked for, for messages: ``casedesk user add``."""
    try:  # Typer ≥ 0.24 carries its own copy of Click
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover
        from click import get_current_context

    ctx = get_current_context(silent=True)
    names = []
    while ctx is not None and ctx.parent is not None:  # the root's name is how it was started
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["casedesk", *reversed(names)])


def exit_code(exc: DomainError) -> int:
    """The exit code of a refusal, as ``check`` uses them: 2 for bad input (a
    value that cannot be read, a record that does not exist, a reason with no
    article), 1 for a step a rule or a role refuses."""
    from core.errors import BadInput

    if isinstance(exc, BadInput) or not any(r.article for r in exc.reasons):
        return 2
    return 1


@contextmanager
def cli_errors(as_json: bool = False):
    """Turn domain/schema/policy/database errors into clean messages and exit
    codes (:func:`exit_code`); with ``as_json`` a refusal is also printed as
    ``{"ok": false, "exit": N, "reasons": [...]}`` on stdout."""
    from sqlalchemy.exc import DBAPIError

    from core.db import database_fault
    from core.policy import PolicyError

    try:
        yield
    except DomainError as exc:
        code = exit_code(exc)
        show_error(exc)
        if as_json:
            emit_json({"ok": False, "exit": code, "reasons": [r.as_dict(state.lang) for r in exc.reasons]})
        raise typer.Exit(code) from None
    except (SchemaError, PolicyError) as exc:
        fail(str(exc), 2)
    except OSError as exc:  # a path that cannot be used: too long, no such directory, not allowed …
        name = str(exc.filename or "file")
        shown = name if len(name) <= 80 else name[:77] + "…"
        fail(f"file: {shown}: {exc.strerror or type(exc).__name__} (nothing was changed)", 2)
    except DBAPIError as exc:
        # cannot connect, not a database, locked beyond the busy timeout …
        fault = database_fault(exc, current_action())
        if fault is None:
            raise
        show_error(fault)
        raise typer.Exit(2) from None


def engine():
    """The database, opened only for a known, active caseworker (reads
    included, issue 9): every command that touches data goes through here."""
    from core import gateway

    eng = open_db()
    gateway.read(eng, lambda s: actor(s).username)
    return eng


def open_db():
    """The configured database, schema checked, never created on the side."""
    from core.db import open_engine

    return open_engine(state.db)


def maintainer(eng, permission: str = "admin", action: str = ""):
    """For database upkeep (check, verify, backup): the caseworker, who needs
    ``permission``; or None when the service account that owns the files runs
    it itself (it could read them with sqlite3 anyway)."""
    from core import gateway
    from core.auth import login

    if login().data_owner and not state.as_user:
        return None
    who = gateway.read(eng, actor)
    who.require(permission, action=action or permission)
    return who


def policy():
    from core.config import load_config
    from core.policy import load_pack

    cfg = load_config()
    # a pack file of one's own only on the demo database (issue 9, item 8)
    return load_pack(state.policy or cfg.policy, policy_dir=cfg.policy_dir, allow_path=state.demo)


def actor(session):
    """The acting caseworker, resolved in the command's own session."""
    from core.auth import acting_as

    return acting_as(session, state.as_user)


def read(work):
    """``work(session)`` through :func:`core.gateway.read`: a plain result."""
    from core import gateway

    return gateway.read(engine(), work, action=current_action())


def read_as(work):
    """``work(session, actor)`` in a read session (a ``show``: which steps
    are allowed depends on who asks)."""
    from core import gateway

    return gateway.read(engine(), lambda s: work(s, actor(s)), action=current_action())


def write(work):
    """``work(session, actor)`` in one transaction through
    :func:`core.gateway.write`; returns (a plain result) after the commit, so
    success is printed only once it is true."""
    from core import gateway

    return gateway.write(engine(), lambda s: work(s, actor(s)), action=current_action())


def emit_json(data: Any) -> None:
    from core.safe_text import dumps_json

    echo(dumps_json(data, indent=2, default=str))


def plain_dict(record: Any) -> dict[str, Any]:
    """A frozen record (or a dataclass) as a JSON-ready dict."""
    import dataclasses
    import json

    if hasattr(record, "model_dump"):
        return record.model_dump(mode="json")
    return json.loads(json.dumps(dataclasses.asdict(record), default=str))


def done(as_json: bool, text: str, record: Any = None, **extra: Any) -> None:
    """Report a step that was committed: ``text``, or with ``--json``
    ``{"ok": true, ..., "record": {...}}``."""
    if as_json:
        emit_json({"ok": True, **extra, **({"record": plain_dict(record)} if record is not None else {})})
    else:
        echo(text)


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", help="Database URL or SQLite file (default: CASEDESK_DB, then the user data directory)."),
    lang: Optional[str] = typer.Option(None, "--lang", help="Language: en or zh_CN (default: LANG)."),
    demo: bool = typer.Option(False, "--demo", help="Open the app on the demo database (created and filled on first use)."),
    as_user: Optional[str] = typer.Option(None, "--as", help="Act as another caseworker (demo databases only)."),
    policy_pack: Optional[str] = typer.Option(None, "--policy", help="Policy pack id (default from config: shenzhen-2008)."),
) -> None:
    from core.config import load_config
    from core.i18n import lang_from_env, normalise_lang

    cfg = load_config()
    state.db = db or cfg.db
    state.db_from_option = db is not None
    if db is not None:
        from core.auth import login

        with cli_errors():
            if login().via_service_account:
                fail("--db: casedesk started for a caseworker through the service account uses the configured "
                     "database only (docs/DEPLOY.md).", 2)
    state.lang = normalise_lang(lang) if lang else (normalise_lang(cfg.lang) if cfg.lang else lang_from_env())
    state.as_user = as_user
    state.policy = policy_pack
    state.demo = demo
    if demo:
        from core.demo import demo_db_path

        state.db = state.db if db else str(demo_db_path())
    if demo and ctx.invoked_subcommand != "demo":
        # the demo database is created *and filled* on first use, whatever the
        # command (`casedesk --demo lookup …` on a fresh machine finds people)
        _ensure_demo()
    if ctx.invoked_subcommand is None:
        _open_tui()


def _ensure_demo() -> None:
    from core import gateway
    from core.db import init_database
    from core.demo import created_as_demo, fill_demo

    with cli_errors():
        eng, _created = init_database(state.db, demo=True)  # the demo file is made as a demo on first use
        if gateway.read(eng, created_as_demo):
            echo("Filling the demo database (first run)…", err=True)
            fill_demo(eng, policy(), seed=2026)


def _open_tui() -> None:
    with cli_errors():
        eng = engine()
        pol = policy()
        who = read(actor)
    from tui.app import run_app  # lazy: keeps shell commands fast

    run_app(engine=eng, actor=who, policy=pol, lang=state.lang)


@app.command()
def tui() -> None:
    """Open the caseworker app."""
    _open_tui()


# --------------------------------------------------------------------------- users


@user_app.command("add")
def user_add(
    username: str,
    role: str = typer.Option("clerk", "--role", help="clerk, reviewer or admin"),
    branch: str = typer.Option("", "--branch"),
    name: str = typer.Option("", "--name", help="Display name"),
    reason: str = typer.Option("new caseworker", "--reason"),
) -> None:
    """Add a caseworker (admin only; `casedesk db init` records the first admin)."""
    from core.records import frozen
    from core.services import users

    with cli_errors():
        cw = write(lambda s, who: frozen(users.add_user(s, who, username=username, role=role, branch=branch,
                                                        display_name=name, reason=reason)))
    echo(f"added {cw.username} ({cw.role})")


@user_app.command("set-role")
def user_set_role(username: str, role: str, reason: str = typer.Option(..., "--reason"),
                  version: Optional[int] = typer.Option(None, "--version", min=1, max=2**31,
                                                        help="The version `user list` showed: refuse if changed since.")) -> None:
    """Change a caseworker's role (admin only)."""
    from core.records import frozen
    from core.services import users

    with cli_errors():
        cw = write(lambda s, who: frozen(users.set_role(s, who, username=username, role=role, reason=reason,
                                                      expected_version=version)))
    echo(f"{cw.username} is now {cw.role}")


@user_app.command("deactivate")
def user_deactivate(username: str, reason: str = typer.Option(..., "--reason"),
                    version: Optional[int] = typer.Option(None, "--version", min=1, max=2**31,
                                                          help="The version `user list` showed: refuse if changed since.")) -> None:
    """Deactivate a caseworker (admin only). Nothing is deleted."""
    from core.services import users

    with cli_errors():
        write(lambda s, who: users.deactivate(s, who, username=username, reason=reason, expected_version=version).username)
    echo(f"{username} deactivated")


@user_app.command("list")
def user_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List caseworkers."""
    from core.services import users

    with cli_errors(as_json):
        rows = read(lambda s: [{"username": r.username, "role": r.role, "branch": r.branch, "name": r.display_name,
                                "active": r.active, "version": r.version} for r in users.list_users(s)])
    if as_json:
        emit_json(rows)  # "version": what set-role / deactivate --version take
        return
    for r in rows:
        echo(f"{r['username']:<20} {r['role']:<9} {r['branch']:<12} {'active' if r['active'] else 'inactive':<8} "
             f"v{r['version']:<4} {r['name']}")


# --------------------------------------------------------------------------- lookup


@app.command()
def lookup(
    query: str = typer.Argument(..., help="Any number from a card or a form (ID, social-security card, certificate, "
                                "record book, case, voucher; spaces, dashes and full-width digits are fine), part "
                                "of a name, or its pinyin or initials"),
    page: int = typer.Option(1, "--page", min=1, max=1_000_000, help="Page number (reads every row before it)."),
    after: Optional[str] = typer.Option(None, "--after", help="The marker the page before printed: the next page "
                                        "starts after its last row (as fast as the first page)."),
    size: int = typer.Option(20, "--size", min=1, max=500),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Find enrollees by any number, part of a name or pinyin (IDs are masked in the list).
    A certificate, book, case or voucher number also says what became of it: void since …, replaced by …"""
    from core.services.lookup import search

    with cli_errors(as_json):
        pol = policy()
        result = read(lambda s: search(s, query, offset=0 if after else (page - 1) * size, limit=size, after=after,
                                       policy=pol))
    if as_json:
        emit_json(result.as_dict(state.lang))
        return
    for hit in result.hits:  # what the number is, or what became of it (void since …, replaced by …)
        note = hit.note.message(state.lang)
        echo(f"[{hit.note.article}] {note}" if hit.note.article else note)
    if not result.rows:
        echo(f"no enrollee matches {query!r}")
        raise typer.Exit(1)
    for r in result.rows:
        echo(f"{r.name:<12}\t{r.id_masked}\t{r.card_masked}\t{r.scheme:<13}\t{r.account_state}")
    if result.has_more:
        echo(f"… more: --after {result.next_after}")


class _SafeStream:
    """Wraps ``sys.stdout``/``sys.stderr`` of a CLI process so that nothing —
    not even Click's own usage errors, which quote what was typed — writes a
    raw control character. Textual draws on ``sys.__stderr__``, untouched."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        from core.safe_text import neutralise

        if not isinstance(text, str):  # a text stream refuses bytes (Click probes with b"")
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        return self._stream.write(neutralise(text))

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _argv_problem(argv: list[str]) -> str | None:
    """An argument the OS passed that is not UTF-8 text (Python keeps its
    bytes as lone surrogates), named by its option or position."""
    for i, arg in enumerate(argv):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            prev = argv[i - 1] if i else ""
            where = prev if prev.startswith("--") else (arg.split("=", 1)[0] if arg.startswith("--") else f"argument {i + 1}")
            return f"{where}: is not valid UTF-8 text; type it again in UTF-8 (nothing was changed)"
    return None


def main() -> None:
    """Entry point. A caseworker never sees a traceback: database problems get
    a one-line message; anything unexpected is logged (masked) for support."""
    from sqlalchemy.exc import DBAPIError

    from core.logs import log_crash, private_umask

    private_umask()  # database, WAL/SHM, logs: 0600 files in 0700 directories
    sys.stdout = _SafeStream(sys.stdout)  # type: ignore[assignment]
    sys.stderr = _SafeStream(sys.stderr)  # type: ignore[assignment]
    problem = _argv_problem(sys.argv[1:])
    if problem:
        sys.stderr.write(problem + "\n")
        raise SystemExit(2)
    try:
        app()
    except DBAPIError as exc:
        from core.db import database_fault

        fault = database_fault(exc, "casedesk")
        if fault is None:
            _crash(exc, log_crash)
        for line in fault.messages(state.lang):
            sys.stderr.write(line + "\n")
        raise SystemExit(2) from None
    except Exception as exc:  # noqa: BLE001 - last resort, logged in full
        _crash(exc, log_crash)


def _is_entry_point() -> bool:
    """This process is the ``casedesk`` command (python -m cli or the script), not a test importing it."""
    import os

    return os.path.basename(sys.argv[0]) in ("casedesk", "__main__.py", "-m") or sys.argv[0].endswith(
        ("cli/__main__.py", "bin/casedesk"))


def _crash(exc: BaseException, log_crash) -> None:
    from core.logs import describe_exception

    log = log_crash(exc, sys.argv[1:])
    sys.stderr.write(f"casedesk stopped on an unexpected error ({describe_exception(exc)}). "
                     f"Nothing further was changed. Details for support: {log}\n")
    raise SystemExit(3) from None


# the workflow commands register themselves on ``app``: only those this
# process runs when it is a command on the counter's path (cli.commands.load)
from cli import commands as cli_commands  # noqa: E402

if __name__ != "__main__":  # `python -m cli.main`: the block below imports cli.main, which loads them
    cli_commands.load(sys.argv[1:] if _is_entry_point() else None)


if __name__ == "__main__":  # pragma: no cover - use `python -m cli` or `casedesk`
    # the command modules register on ``cli.main.app``, not on ``__main__.app``
    from cli.main import main as _main

    _main()
