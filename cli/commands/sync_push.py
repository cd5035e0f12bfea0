"""The push half of ``casedesk sync`` (issue 11 items 3, 4): the conflict
queue and its resolution at a branch, the central applier at the centre.

    casedesk sync conflicts [--all] [--json]
    casedesk sync resolve OP --take-central | --retry [--json]
    casedesk --db postgresql+psycopg://… sync apply [--once] [--idle S] [--json]   (at the centre)
    casedesk --db postgresql+psycopg://… sync grant ROLE                           (at the centre, admin)
"""

from __future__ import annotations

import typer

from cli.commands.sync import _bar, _t, sync_app
from cli.main import actor, cli_errors, echo, emit_json, engine, fail, read, state
from core.i18n import N_


def push_step(eng, who, as_json: bool, wait: float = 5.0, batch: int = 200):
    """Push the outbox (oldest first) with a progress bar; the centre's answers
    are read back for up to ``wait`` seconds."""
    from core.sync.push import push

    with _bar(as_json) as bar:
        task = bar.add_task(_t(N_("pushing the work made here")), total=None) if bar else None

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar.update(task, completed=done, total=total or 1)

        return push(eng, who, wait=wait, progress=progress, batch=batch)


def pushed_text(result) -> str:
    return _t(N_("pushed {submitted} operations: {applied} applied at the centre, {conflicts} refused "
                 "(see `casedesk sync conflicts`), {waiting} waiting for the centre"), **result.as_dict())


def _reason_lines(c) -> list[str]:
    return [f"    {r.line(state.lang)}" for r in c.reasons]


@sync_app.command("conflicts")
def sync_conflicts(
    include_resolved: bool = typer.Option(False, "--all", help="Resolved ones too."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Operations made here that the centre refused, with its reasons (article, field, message)."""
    from core.sync.outbox import conflicts

    with cli_errors(as_json):
        rows = read(lambda s: conflicts(s, include_resolved=include_resolved))
    if as_json:
        emit_json({"ok": True, "conflicts": [c.as_dict(state.lang) for c in rows]})
        return
    for c in rows:
        echo(f"{c.op_id}  #{c.seq}  {c.service}  {c.actor}  {c.local_at[:19]}"
             + (f"  [{c.resolution}]" if c.resolution else ""))
        for line in _reason_lines(c):
            echo(line)
    echo(_t(N_("{count} refused operations"), count=len(rows)))


@sync_app.command("resolve")
def sync_resolve(
    op: str = typer.Argument(..., help="The operation id (or its first 8+ characters)."),
    take_central: bool = typer.Option(False, "--take-central", help="Drop the local effect: the centre's state."),
    retry: bool = typer.Option(False, "--retry", help="Send it again, judged on the centre's current state."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Resolve an operation the centre refused."""
    from core.sync import resolve

    with cli_errors(as_json):
        if take_central == retry:
            fail(_t(N_("Say how to resolve it: --take-central or --retry (one of them).")), 2)
        eng = engine()
        who = read(actor)
        done = resolve.take_central(eng, who, op) if take_central else resolve.retry(eng, who, op)
    if as_json:
        emit_json({"ok": True, "resolved": done.as_dict(state.lang)})
    else:
        echo(_t(N_("operation {op} resolved: {how}"), op=done.op_id,
                how=_t(N_("the centre's state taken")) if take_central else _t(N_("queued again for the centre"))))


@sync_app.command("apply")
def sync_apply(
    once: bool = typer.Option(False, "--once", help="Apply what is waiting, then stop."),
    idle: float = typer.Option(5.0, "--idle", min=0.1, max=3600, help="Seconds between looks when nothing arrives."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """At the centre: apply the operations the branches submitted, oldest first, each exactly once."""
    from core.sync import applier

    with cli_errors(as_json):
        eng = engine()
        read(lambda s: actor(s).require("record"))
        if eng.dialect.name != "postgresql":
            fail(_t(N_("The applier runs at the centre, on its PostgreSQL database (--db postgresql+psycopg://…).")), 2)
        if not once:
            applier.run_forever(eng, idle=idle)
            return
        result = applier.apply_pending(eng)
    if as_json:
        emit_json({"ok": True, **result.as_dict()})
    else:
        echo(_t(N_("{applied} operations applied, {conflicts} refused"), **result.as_dict()))


@sync_app.command("grant")
def sync_grant(role: str = typer.Argument(..., help="The branch's PostgreSQL role (it must exist).")) -> None:
    """At the centre (admin): let a branch's database role submit operations — and nothing more."""
    from core.sync import applier

    with cli_errors():
        eng = engine()
        read(lambda s: actor(s).require("admin"))
        applier.grant_branch_role(eng, role)
    echo(_t(N_("{role} may submit operations"), role=role))
