"""``casedesk db …`` (create, upgrade, check, back up, restore) and
``casedesk audit …`` (verify, head, show): issue 9."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cli.main import actor, app, cli_errors, db_app, echo, emit_json, engine, fail, maintainer, open_db, state
from core.errors import SchemaError
from core.i18n import N_

audit_app = typer.Typer(help="The audit trail: verify the hash chain, print its head, tell a record's history.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _t(msgid: str, **params) -> str:
    from core.i18n import translate

    return translate(msgid, state.lang, **params)


def _where(eng) -> str:
    return eng.url.render_as_string(hide_password=True)


@db_app.command("init")
def db_init(
    demo: bool = typer.Option(False, "--demo", help="Create a demo database (anyone may fill it with `casedesk demo`)."),
    name: str = typer.Option("", "--name", help="Your display name as the first admin."),
) -> None:
    """Create the database (0600) and make whoever runs this its first admin."""
    from core import gateway
    from core.auth import login
    from core.db import init_database
    from core.services import users

    with cli_errors():
        eng, created = init_database(state.db, demo=demo)
        if demo:
            echo(f"demo database ready at {_where(eng)}; fill it with `casedesk demo`")
            return
        me = login().username
        first = gateway.write(eng, lambda s: None if users.list_users(s) else
                              users.add_first_admin(s, username=me, display_name=name or me).username)
    if first:
        echo(f"{'created' if created else 'initialised'} {_where(eng)}; {first} is its first admin")
    else:
        fail(f"{_where(eng)} already exists and has caseworkers; nothing was changed.", 2)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to this casedesk's version (SQLite: after a backup beside the file)."""
    from core.backup import backup, stamp
    from core.db import check_schema, current_revision, head_revision, make_engine, sqlite_path, upgrade

    with cli_errors():
        path = sqlite_path(state.db)
        if path is not None and not path.exists():
            raise SchemaError(f"There is no casedesk database at {path}; create one with `casedesk db init`.")
        eng = make_engine(state.db)
        check_schema(eng, upgrading=True)
        before = current_revision(eng)
        if before == head_revision():
            echo(f"schema: already at {before}")
            return
        kept = None
        if path is not None:
            kept = backup(eng, None, path.with_name(f"{path.name}.pre-upgrade-{before}-{stamp()}"), check_chain=False)
            echo(f"backup: {kept}")
        else:
            echo("PostgreSQL: take a pg_dump first (docs/DEPLOY.md); casedesk does not.", err=True)
        upgrade(eng)
        echo(f"schema: {before} -> {head_revision()}")


@db_app.command("check")
def db_check(
    against: Optional[str] = typer.Option(None, "--against", help="A head kept earlier (`casedesk audit head`)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Storage integrity, schema, append-only triggers, the audit chain and caseworkers against their events.
    Exit 0 when all pass, 1 on any failure."""
    from core.audit import Head
    from core.checks import check_database

    with cli_errors(as_json):
        kept = Head.parse(against) if against else None
        eng = open_db()
        maintainer(eng, "lookup")
        report = check_database(eng, against=kept)
    _report(report.ok, [_t(p) for p in report.passed], [p.line(state.lang) for p in report.problems],
            report.head, _where(eng), as_json)


def _report(ok: bool, passed: list[str], problems: list[str], head, where: str, as_json: bool) -> None:
    if as_json:
        emit_json({"ok": ok, "database": where, "passed": passed, "problems": problems,
                   "head": str(head) if head else None})
    else:
        for p in passed:
            echo(f"ok: {p}")
        for p in problems:
            echo(f"FAILED: {p}", err=True)
        if ok:
            echo(f"ok: {where}" + (f" (audit head {head})" if head else ""))
    if not ok:
        raise typer.Exit(1)


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision and this casedesk's."""
    from core.db import current_revision, head_revision, make_engine

    with cli_errors():
        eng = make_engine(state.db)
        echo(f"database: {current_revision(eng) or '(none)'}\ncasedesk: {head_revision()}")


@db_app.command("backup")
def db_backup(path: Path = typer.Argument(..., help="The new backup file (must not exist).")) -> None:
    """A consistent copy of the SQLite database while others work (0600; admin). PostgreSQL: pg_dump."""
    from core.backup import backup

    with cli_errors():
        eng = open_db()
        who = maintainer(eng, "admin", N_("back up the database"))
        out = backup(eng, who, path)
    echo(f"backup written: {out}")


@db_app.command("restore")
def db_restore(
    path: Path = typer.Argument(..., help="A backup made by `casedesk db backup`."),
    reason: str = typer.Option(..., "--reason", help="Why the database is being restored."),
) -> None:
    """Replace the database with a backup, after checking its integrity and audit chain (admin)."""
    from core import gateway
    from core.backup import restore

    with cli_errors():
        eng = open_db()
        who = gateway.read(eng, actor)
        kept = restore(eng, who, path, reason=reason)
    echo(f"restored from {path}; the database as it was is kept at {kept}")


# --------------------------------------------------------------------------- audit


@audit_app.command("verify")
def audit_verify(
    against: Optional[str] = typer.Option(None, "--against", help="A head kept earlier (`casedesk audit head`)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Walk the hash chain; name the first event that does not fit. Exit 1 if one does not."""
    from core import audit, gateway

    with cli_errors(as_json):
        kept = audit.Head.parse(against) if against else None
        eng = open_db()
        maintainer(eng, "lookup")
        v = gateway.read(eng, lambda s: audit.verify(s, against=kept))
    passed = [_t("{n} audit events form an unbroken chain.", n=v.events)] if v.ok else []
    _report(v.ok, passed, [p.line(state.lang) for p in v.problems], v.head, _where(eng), as_json)


@audit_app.command("head")
def audit_head() -> None:
    """Print the chain head as SEQUENCE:HASH, to keep outside the database."""
    from core import audit, gateway

    with cli_errors():
        eng = open_db()
        maintainer(eng, "lookup")
        echo(str(gateway.read(eng, audit.head)))


@audit_app.command("show")
def audit_show(
    number: str = typer.Argument(..., help="ID or card number, certificate/book/case/voucher number, or record key"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A record's history as sentences, oldest first."""
    from core import gateway
    from core.services.history import record_history

    with cli_errors(as_json):
        h = gateway.read(engine(), lambda s: record_history(s, number))
    if as_json:
        emit_json({"subject": h.subject, "events": [{"seq": x.seq, "at": x.at.isoformat(), "actor": x.actor,
                                                      "role": x.role, "action": x.action, "reason": x.reason,
                                                      "article": x.article, "text": x.text(state.lang)}
                                                     for x in h.sentences]})
        return
    echo(h.subject)
    for x in h.sentences:
        echo(f"{x.seq:>8}  {x.text(state.lang)}")
