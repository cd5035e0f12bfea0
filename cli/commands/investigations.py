"""``casedesk case show`` and ``casedesk case list`` (read only; SZ-MT Art. 14, 15)."""

from __future__ import annotations

from typing import Any

import typer

from cli.main import app, cli_errors, emit_json, engine, echo

case_app = typer.Typer(help="Investigation cases and suspension of bookkeeping (SZ-MT Art. 14, 15).",
                       no_args_is_help=True)
app.add_typer(case_app, name="case")

_FIELDS = ("number", "status", "trigger", "trigger_month", "trigger_detail", "branch", "assigned_to",
           "notice_on", "notice_due", "notice_due_provisional", "explanation_on", "explanation_sufficient",
           "opened_on", "open_reason", "verification_due", "verified_on", "outcome", "decision_due",
           "decision_due_provisional", "decided_on", "resumption_due", "resumption_due_provisional", "resumed_on",
           "closed_on")


def _plain(case) -> dict[str, Any]:
    out = {k: getattr(case, k) for k in _FIELDS}
    out["id"] = str(case.id)
    out["enrollee_id"] = str(case.enrollee_id)
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in out.items()}


@case_app.command("show")
def case_show(ref: str = typer.Argument(..., help="Case number (INV-YYYY-NNNNNN) or key"),
              as_json: bool = typer.Option(False, "--json")) -> None:
    """Show one case with its dates and deadlines."""
    from core.db import read_session
    from core.services.investigations import get_case

    with cli_errors(), read_session(engine()) as s:
        data = _plain(get_case(s, ref))
    if as_json:
        emit_json(data)
        return
    for key in _FIELDS:
        if data[key] not in (None, "", False) or key == "status":
            echo(f"{key:<28} {data[key]}")


@case_app.command("list")
def case_list(enrollee: str = typer.Argument(..., help="Enrollee: ID number, card number or key"),
              as_json: bool = typer.Option(False, "--json")) -> None:
    """An enrollee's cases, newest first, and how their treatment is settled now."""
    from core.db import read_session
    from core.services.investigations import cases_of, settlement_of
    from core.services.lookup import get_enrollee

    with cli_errors(), read_session(engine()) as s:
        e = get_enrollee(s, enrollee)
        rows = [_plain(c) for c in cases_of(s, e.id)]
        settlement = str(settlement_of(s, e.id))
        name, account = e.name, e.account_state
    if as_json:
        emit_json({"enrollee": name, "account_state": account, "settlement": settlement, "cases": rows})
        return
    echo(f"{name}: account {account}, settlement {settlement}")
    for r in rows:
        echo(f"  {r['number']}  {r['status']:<16} {r['trigger']:<34} notice {r['notice_on']} due {r['notice_due']}")
