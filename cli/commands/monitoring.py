"""``casedesk monitor`` and ``casedesk flag`` (SZ-MT Art. 13)."""

from __future__ import annotations

from datetime import date
from typing import Optional

import typer

from cli.main import actor, app, cli_errors, current_action, echo, emit_json, engine, policy, state


@app.command("monitor")
def monitor(
    month: str = typer.Argument(..., help="Month to scan, YYYY-MM"),
    as_json: bool = typer.Option(False, "--json", help="Print the hits as JSON."),
) -> None:
    """List every enrollee who trips a monitoring trigger in MONTH (SZ-MT Art. 13)."""
    from core.db import read_session
    from core.rules.monitoring import parse_month
    from core.services.monitoring import scan

    with cli_errors():
        m = parse_month(month)
        pol = policy()
        with read_session(engine()) as s:
            result = scan(s, pol, m)
    if as_json:
        emit_json(result.as_dict(state.lang))
        return
    echo(f"{result.month}: {len(result.enrollee_ids)} enrollee(s), {len(result.hits)} numeric hit(s), "
               f"{len(result.manual)} manual trigger(s)")
    for h in result.hits:
        echo(f"{h.enrollee_name:<16}\t{h.enrollee_id}\t{h.trigger:<34}\t{h.message(state.lang)}")
    for f in result.manual:
        echo(f"{f.enrollee_name:<16}\t{f.enrollee_id}\t{f.trigger:<34}\t{f.detail}")


@app.command("flag")
def flag(
    enrollee: str = typer.Argument(..., help="Enrollee: ID number, card number or key"),
    trigger: str = typer.Argument(..., help="Manual trigger code from the policy pack, e.g. T10-card-lending"),
    detail: str = typer.Option(..., "--detail", help="What was observed or reported"),
    month: Optional[str] = typer.Option(None, "--month", help="Month of the event, YYYY-MM (default: this month)"),
    reason: str = typer.Option("", "--reason"),
) -> None:
    """Record a manual monitoring trigger for an enrollee (SZ-MT Art. 13)."""
    from core.db import write_session
    from core.services.lookup import get_enrollee
    from core.services.monitoring import record_manual_trigger

    with cli_errors():
        pol = policy()
        with write_session(engine(), action=current_action()) as s:
            e = get_enrollee(s, enrollee)
            f = record_manual_trigger(s, actor(s), pol, enrollee_id=e.id, trigger=trigger, detail=detail,
                                      month=month, on=date.today(), reason=reason)
            done = f"recorded {f.trigger} for {e.name} ({f.month}): {f.id}"
    echo(done)  # only after the commit
