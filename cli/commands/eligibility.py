"""``casedesk check``: entitled or not, every reason with its article, the
settlement mode and a benefit estimate. Exit 0 entitled, 1 not entitled,
2 bad input (the message names the field)."""

from __future__ import annotations

from datetime import date
from typing import Optional

import typer

from cli.main import app, cli_errors, echo, emit_json, policy, read, state
from core.errors import BadInput, Reason
from core.i18n import N_, translate


def parse_on(value: Optional[str]) -> date:
    """``--on`` as a date; today at the edge when not given."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput.one("", "on", N_("{value} is not a date (YYYY-MM-DD)."), value=value) from None


def reason_line(r: Reason, lang: str) -> str:
    return f"{'✓' if r.ok else '✗'} [{r.article}] {r.field}: {r.message(lang)}"


def _t(msgid: str, **params) -> str:
    return translate(msgid, state.lang, **params)


def render(result, lang: str) -> list[str]:
    """The text form of an :class:`~core.rules.eligibility.EligibilityResult`."""
    head = _t(N_("ENTITLED")) if result.entitled else _t(N_("NOT ENTITLED"))
    lines = [f"{head}: {result.disease_code} {result.disease_name(lang)}, {result.on.isoformat()}"]
    lines += [reason_line(r, lang) for r in result.reasons]
    if result.settlement:
        lines.append(_t(N_("Settlement: {mode}"), mode=result.settlement))
    if result.period:
        p = result.period
        lines.append(_t(N_("Benefit period: {start} to {end}"), start=p.start or "-", end=p.end or _t(N_("no fixed end"))))
    lines += _estimate_lines(result.estimate, N_("Estimate from what was recorded, {start} to {end}: spent {spent}, supplementary {supp}"), lang)
    lines += _estimate_lines(result.what_if, N_("What if {spent} was spent, supplementary {supp} ({start} to {end})"), lang)
    return lines


def _estimate_lines(est, head: str, lang: str) -> list[str]:
    from core.rules.eligibility import money

    if est is None:
        return []
    p = est.period
    lines = [_t(head, start=p.start, end=p.end, spent=money(est.spent_fen), supp=money(est.spent_supplementary_fen))]
    for s in est.shares:
        pct = f" ({s.pct}%)" if s.pct is not None else ""
        lines.append(f"  {s.label(lang):<30} {money(s.fen):>12}{pct}")
    if est.complete:
        lines.append(_t(N_("  funds pay {used}; cap {allowed}; cap left {remaining}"), used=money(est.used_fen),
                        allowed=money(est.allowed_fen) or "-", remaining=money(est.remaining_fen) or "-"))
    lines += ["  " + reason_line(r, lang) for r in est.reasons]
    return lines


@app.command()
def check(
    enrollee: str = typer.Argument(..., help="ID number, social-security card number or record key"),
    disease: str = typer.Argument(..., help="Disease code of the policy pack, e.g. MD-I-09"),
    on: Optional[str] = typer.Option(None, "--on", help="Date to check, YYYY-MM-DD (default: today)."),
    institution: Optional[str] = typer.Option(None, "--institution", help="Institution code where treatment takes place."),
    spent: Optional[str] = typer.Option(None, "--spent", help="What if: a year-to-date basic medical cost in yuan (month-to-date in a ZZ pack); the estimate itself uses what was recorded."),
    spent_supplementary: Optional[str] = typer.Option(None, "--spent-supplementary", help="What if: a year-to-date local supplementary cost in yuan."),
    emergency: bool = typer.Option(False, "--emergency", help="Emergency rescue (SZ-MD Art. 5)."),
    peritoneal: bool = typer.Option(False, "--peritoneal", help="Dialysis is peritoneal, not haemodialysis (SZ-MD Art. 10)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Entitled or not, with every reason and its article, and a benefit estimate from the expenses
    recorded for the period (and for a typed spend, as a what if)."""
    from core.services.eligibility import check as check_service
    from core.services.eligibility import parse_amount_fen

    with cli_errors():
        day = parse_on(on)
        spent_fen = parse_amount_fen(spent, "spent") if spent is not None else None
        supp_fen = parse_amount_fen(spent_supplementary, "spent_supplementary") if spent_supplementary is not None else 0
        pol = policy()
        result = read(lambda s: check_service(s, enrollee, disease, on=day, policy=pol, institution_code=institution,
                                              spent_fen=spent_fen, spent_supplementary_fen=supp_fen,
                                              emergency=emergency, peritoneal_dialysis=peritoneal))
    if as_json:
        emit_json(result.as_dict(state.lang))
    else:
        for line in render(result, state.lang):
            echo(line)
    if not result.entitled:
        raise typer.Exit(1)
