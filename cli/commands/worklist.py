"""``casedesk worklist``: everything due, by due date."""

from __future__ import annotations

from datetime import date
from typing import Optional

import typer

from cli.main import app, cli_errors, echo, emit_json, policy, read, state


@app.command("worklist")
def worklist_command(
    due_before: Optional[str] = typer.Option(None, "--due-before", help="Only items due on or before DATE (YYYY-MM-DD)."),
    branch: Optional[str] = typer.Option(None, "--branch", help="Only this branch's items."),
    caseworker: Optional[str] = typer.Option(None, "--caseworker", help="Only cases assigned to this caseworker."),
    on: Optional[str] = typer.Option(None, "--on", help="Business date (default: today), YYYY-MM-DD."),
    limit: int = typer.Option(200, "--limit", min=1, max=5000, help="Show at most this many items."),
    as_json: bool = typer.Option(False, "--json", help="Print the items as JSON."),
) -> None:
    """Notices past their deadline, verifications, decisions and resumptions
    due, certificates to renew and monthly batches not received."""
    from core.rules.worklist import parse_date
    from core.services.worklist import worklist

    with cli_errors():
        day = parse_date(on, "on") or date.today()
        horizon = parse_date(due_before, "due_before")
        pol = policy()
        result = read(lambda s: worklist(s, pol, on=day, due_before=horizon, branch=branch,
                                         caseworker=caseworker, limit=limit))
    if as_json:
        emit_json(result.as_dict(state.lang))
        return
    for item in result.items:
        flags = ("!" if item.overdue else " ") + ("~" if item.provisional else " ")
        echo(f"{item.due.isoformat()}{flags} {item.kind:<20} {item.record:<18} {item.enrollee_name:<14} "
                   f"[{item.article}] {item.message(state.lang)}")
    if result.total is None:  # more than --limit of one kind: not counted (the list stays O(log n + limit))
        echo(f"{len(result.items)} of many item(s) due; more not listed (raise --limit or narrow the list)"
             "  (! overdue, ~ provisional date)")
        return
    echo(f"{len(result.items)} of {result.total} item(s) due"
               + (f"; {result.more} more (raise --limit or narrow the list)" if result.more else "")
               + "  (! overdue, ~ provisional date)")
