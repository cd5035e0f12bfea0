"""``casedesk branch init`` and ``casedesk sync [status]`` (issue 11): a branch
terminal's link to the centre, the pull of the centre's changes, and what is
waiting. The push half registers on :data:`sync_app` (cli/commands/sync_push.py)."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Optional

import typer

from cli.main import actor, app, cli_errors, echo, emit_json, engine, fail, read, state, write

branch_app = typer.Typer(help="This terminal as a branch office of the centre.", no_args_is_help=True)
sync_app = typer.Typer(help="Exchange with the centre: push the work made here, then pull the centre's changes. "
                            "Without a subcommand: both.", invoke_without_command=True)
app.add_typer(branch_app, name="branch")
app.add_typer(sync_app, name="sync")


def _t(msgid: str, **params) -> str:
    from core.i18n import translate

    return translate(msgid, state.lang, **params)


def _bar(as_json: bool):
    """A progress bar on stderr (rich, which Textual already brings); none with --json."""
    if as_json:
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=Console(stderr=True), transient=True)


def _pull(eng, who, as_json: bool, batch: int):
    from core.sync.pull import PULLING, pull

    with _bar(as_json) as bar:
        task = bar.add_task(_t(PULLING), total=None) if bar else None

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar.update(task, completed=done, total=total or 1)

        return pull(eng, who, batch=batch, progress=progress)


@branch_app.command("init")
def branch_init(
    central: str = typer.Option(..., "--central", help="The centre's PostgreSQL URL, postgresql+psycopg://ROLE@HOST/DB "
                                "(no password: it goes in the passfile)."),
    branch: str = typer.Option(..., "--branch", help="This branch's code (2-8 capital letters or digits)."),
    area: str = typer.Option("", "--area", help="Pull only the enrollees of these branches (comma-separated; "
                             "default: the whole city)."),
    passfile: Optional[Path] = typer.Option(None, "--passfile", help="A libpq passfile (0600) holding the link's "
                                            "password; without it you are asked and one is written."),
    batch: int = typer.Option(500, "--batch", min=1, max=100_000, hidden=True),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Set this terminal up as a branch of the centre (admin), then make the first pull.
    The branch's own SQLite database comes first: `casedesk --db FILE db init`."""
    from core.sync import link as links

    with cli_errors(as_json):
        eng = engine()
        if eng.dialect.name != "sqlite":
            fail(_t(links.NOT_SQLITE), 2)
        url, code = links.central_url(central), links.branch_code(branch)
        links.area_codes(area)
        existing = read(links.get_link)
        if existing is not None:
            fail(_t(links.ALREADY, code=existing.code), 2)
        read(lambda s: actor(s).require("admin"))
        if passfile is not None:
            kept = links.check_passfile(passfile.expanduser())
        else:
            kept = links.default_passfile(code)
            if kept.exists():
                links.check_passfile(kept)
            else:
                password = typer.prompt(_t(links.PASSWORD_PROMPT, role=url.username or "?"),
                                        default="", hide_input=True, show_default=False, err=True)
                kept = links.write_passfile(kept, url, password) if password else None
        link = write(lambda s, who: links.init_branch(s, who, code=code, central=central, area=area,
                                                      passfile=str(kept) if kept else ""))
        if not as_json:
            echo(link.described(state.lang))
        result = _pull(eng, read(actor), as_json, batch)
    if as_json:
        emit_json({"ok": True, "branch": link.code, "central": link.shown_url, "area": list(link.area),
                   "passfile": str(kept) if kept else "", "pull": result.as_dict()})
    else:
        echo(result.summary(state.lang))


@sync_app.callback()
def sync(
    ctx: typer.Context,
    batch: int = typer.Option(500, "--batch", min=1, max=100_000, help="Changes per local transaction."),
    wait: float = typer.Option(5.0, "--wait", min=0, max=3600, help="Seconds to wait for the centre's answers."),
    push_batch: int = typer.Option(200, "--push-batch", min=1, max=10_000, hidden=True),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Push the work made here (oldest first), then pull the centre's changes."""
    if ctx.invoked_subcommand is not None:
        return
    from cli.commands.sync_push import push_step, pushed_text  # the push half (sync-push)

    with cli_errors(as_json):
        eng = engine()
        who = read(actor)
        pushed = push_step(eng, who, as_json, wait=wait, batch=push_batch)
        result = _pull(eng, who, as_json, batch)
    if as_json:
        emit_json({"ok": True, "push": pushed.as_dict(), "pull": result.as_dict()})
    else:
        echo(pushed_text(pushed))
        echo(result.summary(state.lang))


@sync_app.command("status")
def sync_status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Link up or down, the last pull and push, operations waiting, conflicts."""
    from core.sync.status import status

    with cli_errors(as_json):
        st = status(engine())
    if as_json:
        emit_json({"ok": True, "is_branch": st.is_branch, **st.as_dict()})
        return
    for line in st.lines(state.lang):
        echo(line)
