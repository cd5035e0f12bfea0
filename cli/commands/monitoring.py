"""``casedesk monitor`` and ``casedesk flag`` (SZ-MT Art. 13)."""

from __future__ import annotations

from datetime import date
from typing import Optional

import typer

from cli.main import app, cli_errors, echo, emit_json, policy, read, state, write


@app.command("monitor")
def monitor(
    month: str = typer.Argument(..., help="Month to scan, YYYY-MM"),
    as_json: bool = typer.Option(False, "--json", help="Print the hits as JSON."),
) -> None:
    """List every enrollee who trips a monitoring trigger in MONTH (SZ-MT Art. 13)."""
    from core.rules.monitoring import parse_month
    from core.services.monitoring import scan

    with cli_errors():
        pol = policy()
        m = parse_month(month, article=pol.monitoring.article)
        result = read(lambda s: scan(s, pol, m))
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
    from core.records import frozen
    from core.services.lookup import get_enrollee
    from core.services.monitoring import record_manual_trigger

    with cli_errors():
        pol = policy()

        def work(s, who):
            e = get_enrollee(s, enrollee)
            return e.name, frozen(record_manual_trigger(s, who, pol, enrollee_id=e.id, trigger=trigger,
                                                        detail=detail, month=month, on=date.today(), reason=reason))

        name, f = write(work)
    echo(f"recorded {f.trigger} for {name} ({f.month}): {f.id}")
