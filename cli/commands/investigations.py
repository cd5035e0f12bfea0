"""``casedesk case notice|explain|judge|no-show|verify|decide|resume|show|list``
(SZ-MT Art. 13, 14, 15).

Each step calls the core service the TUI calls, in one transaction, and
prints only after the commit. Exit 0 done, 1 refused by a rule or a role,
2 bad input; ``--json`` prints the case (or the reasons).
"""

from __future__ import annotations

from typing import Any, Optional

import typer

from cli.commands.certificates import JSON, ON, REASON
from cli.main import app, cli_errors, echo, done, emit_json, read
from cli.steps import allowed_lines, run_show, run_step

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


def _stepped(as_json: bool, case) -> None:
    data = _plain(case)
    if as_json:
        emit_json({"ok": True, "number": case.number, "status": case.status, "record": data})
    else:
        done(False, f"{case.number}: {case.status}")


def _step(on: Optional[str], as_json: bool, call) -> None:
    """Run ``call(session, actor, day, policy)`` (a case service) and report the case."""
    _stepped(as_json, run_step(on, as_json, call))


CASE = typer.Argument(..., help="Case number (INV-YYYY-NNNNNN) or key")


@case_app.command("notice")
def case_notice(
    enrollee: str = typer.Argument(..., help="Enrollee: ID number, card number or key"),
    trigger: str = typer.Argument(..., help="Trigger code: a scan hit of --month, or a manual trigger with --detail"),
    month: str = typer.Option(..., "--month", help="Month of the hit or event, YYYY-MM"),
    detail: str = typer.Option("", "--detail", help="A manual trigger: what was observed or reported"),
    on: Optional[str] = ON,
    reason: str = REASON,
    as_json: bool = JSON,
) -> None:
    """Open a case and send the investigation notice (SZ-MT Art. 13, 14): for a
    scan hit of MONTH, or (with --detail) for a manual trigger recorded now."""
    from core.services import investigations, monitoring
    from core.services.lookup import get_enrollee

    def call(s, who, day, pol):
        e = get_enrollee(s, enrollee)
        if detail.strip():
            flag = monitoring.record_manual_trigger(s, who, pol, enrollee_id=e.id, trigger=trigger, detail=detail,
                                                    month=month, on=day, reason=reason)
            return investigations.send_notice_for_flag(s, who, pol, flag_id=flag.id, on=day, reason=reason)
        return investigations.send_notice_for_hit(s, who, pol, enrollee_id=e.id, trigger=trigger, month=month,
                                                  on=day, reason=reason)

    _step(on, as_json, call)


@case_app.command("explain")
def case_explain(ref: str = CASE, note: str = typer.Option(..., "--note", help="What the enrollee explained"),
                 on: Optional[str] = ON, reason: str = REASON, as_json: bool = JSON) -> None:
    """The enrollee came with card, ID, records and receipts and explained (SZ-MT Art. 14)."""
    from core.services import investigations

    _step(on, as_json, lambda s, who, day, pol: investigations.record_explanation(
        s, who, pol, case_id=ref, note=note, on=day, reason=reason))


@case_app.command("judge")
def case_judge(ref: str = CASE,
               sufficient: bool = typer.Option(..., "--sufficient/--insufficient",
                                               help="Sufficient closes the case; insufficient opens it and suspends"),
               on: Optional[str] = ON, reason: str = REASON, as_json: bool = JSON) -> None:
    """Judge the explanation (SZ-MT Art. 14)."""
    from core.services import investigations

    _step(on, as_json, lambda s, who, day, pol: investigations.judge_explanation(
        s, who, pol, case_id=ref, sufficient=sufficient, on=day, reason=reason))


@case_app.command("no-show")
def case_no_show(ref: str = CASE, on: Optional[str] = ON, reason: str = REASON, as_json: bool = JSON) -> None:
    """The enrollee did not come by the deadline: the case opens, bookkeeping is suspended (SZ-MT Art. 14)."""
    from core.services import investigations

    _step(on, as_json, lambda s, who, day, pol: investigations.record_no_show(
        s, who, pol, case_id=ref, on=day, reason=reason))


@case_app.command("verify")
def case_verify(ref: str = CASE,
                outcome: str = typer.Option(..., "--outcome", help="no_violation, violation or crime"),
                note: str = typer.Option("", "--note"),
                on: Optional[str] = ON, reason: str = REASON, as_json: bool = JSON) -> None:
    """Record the verification result (SZ-MT Art. 15)."""
    from core.services import investigations

    _step(on, as_json, lambda s, who, day, pol: investigations.record_verification(
        s, who, pol, case_id=ref, outcome=outcome, on=day, note=note, reason=reason))


@case_app.command("decide")
def case_decide(ref: str = CASE, on: Optional[str] = ON, reason: str = REASON, as_json: bool = JSON) -> None:
    """The decision was delivered to the enrollee in writing (SZ-MT Art. 15)."""
    from core.services import investigations

    _step(on, as_json, lambda s, who, day, pol: investigations.deliver_decision(
        s, who, pol, case_id=ref, on=day, reason=reason))


@case_app.command("resume")
def case_resume(ref: str = CASE, on: Optional[str] = ON, reason: str = REASON, as_json: bool = JSON) -> None:
    """No violation: bookkeeping resumes (SZ-MT Art. 15)."""
    from core.services import investigations

    _step(on, as_json, lambda s, who, day, pol: investigations.resume(s, who, pol, case_id=ref, on=day, reason=reason))


@case_app.command("show")
def case_show(ref: str = CASE,
              on: Optional[str] = typer.Option(None, "--on", help="Date the allowed steps are asked for"),
              as_json: bool = JSON) -> None:
    """Show one case with its dates, deadlines and the steps allowed now."""
    from core.services.investigations import get_case

    case, _none, allowed = run_show(on, as_json, lambda s, pol: (get_case(s, ref), None))
    data = _plain(case)
    if as_json:
        emit_json({**data, "allowed_steps": allowed})
        return
    for key in _FIELDS:
        if data[key] not in (None, "", False) or key == "status":
            echo(f"{key:<28} {data[key]}")
    for line in allowed_lines(allowed):
        echo(line)


@case_app.command("list")
def case_list(enrollee: str = typer.Argument(..., help="Enrollee: ID number, card number or key"),
              as_json: bool = typer.Option(False, "--json")) -> None:
    """An enrollee's cases, newest first, and how their treatment is settled now."""
    from core.services.investigations import cases_of, settlement_of
    from core.services.lookup import get_enrollee

    def work(s):
        e = get_enrollee(s, enrollee)
        return [_plain(c) for c in cases_of(s, e.id)], str(settlement_of(s, e.id)), e.name, e.account_state

    with cli_errors(as_json):
        rows, settlement, name, account = read(work)
    if as_json:
        emit_json({"enrollee": name, "account_state": account, "settlement": settlement, "cases": rows})
        return
    echo(f"{name}: account {account}, settlement {settlement}")
    for r in rows:
        echo(f"  {r['number']}  {r['status']:<16} {r['trigger']:<34} notice {r['notice_on']} due {r['notice_due']}")
