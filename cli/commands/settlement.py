"""``casedesk settlement YYYY-MM`` (SZ-MD Art. 11: the month's booked fund
shares per institution, CSV with ``--csv``) and ``casedesk compliance``
(ZZ §7: expert review results, the compliance rate, the annual settlement
report: computed cost x rate)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cli.commands.eligibility import parse_on
from cli.main import app, cli_errors, done, echo, emit_json, policy, read, state, write

compliance_app = typer.Typer(help="Institution compliance: expert reviews and the annual settlement (ZZ §7).",
                             no_args_is_help=True)
app.add_typer(compliance_app, name="compliance")


def _yuan(fen: int | None) -> str:
    from core.rules.formulas import money

    return money(fen) if fen is not None else "-"


@app.command("settlement")
def settlement_cmd(
    month: str = typer.Argument(..., help="YYYY-MM"),
    csv_file: Optional[Path] = typer.Option(None, "--csv", help="Write the summary to this CSV file (0600)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The month's settlement summary: per institution, the fund shares booked (SZ-MD Art. 11)."""
    from core.services.settlement import monthly_settlement, settlement_csv

    with cli_errors(as_json):
        pol = policy()
        report = read(lambda s: monthly_settlement(s, month, policy=pol))
        if csv_file is not None:
            csv_file.write_text(settlement_csv(report, state.lang), encoding="utf-8")
    if as_json:
        emit_json({"start": report.start.isoformat(), "end": report.end.isoformat(), "article": report.article,
                   "rows": [{"institution": r.institution_code, "name": r.name_in(state.lang), "visits": r.visits,
                             "booked": _yuan(r.booked_fen), "large_equipment": _yuan(r.large_equipment_fen),
                             "individual_account": _yuan(r.account_fen), "basic_pooling": _yuan(r.basic_fen),
                             "supplementary_pooling": _yuan(r.supplementary_fen), "enrollee": _yuan(r.enrollee_fen),
                             "incomplete": r.incomplete} for r in report.rows]})
        return
    echo(f"Settlement {report.start} to {report.end} [{report.article}]")
    echo("institution\tvisits\tbooked\tlarge equipment\taccount\tbasic pooling\tsupplementary\tenrollee")
    for r in report.rows:
        echo(f"{r.institution_code} {r.name_in(state.lang)}\t{r.visits}\t{_yuan(r.booked_fen)}\t"
             f"{_yuan(r.large_equipment_fen)}\t{_yuan(r.account_fen)}\t{_yuan(r.basic_fen)}\t"
             f"{_yuan(r.supplementary_fen)}\t{_yuan(r.enrollee_fen)}")
    echo(f"total\t{report.total('visits')}\t{_yuan(report.total('booked_fen'))}\t"
         f"{_yuan(report.total('large_equipment_fen'))}\t{_yuan(report.total('account_fen'))}\t"
         f"{_yuan(report.total('basic_fen'))}\t{_yuan(report.total('supplementary_fen'))}\t"
         f"{_yuan(report.total('enrollee_fen'))}" + (f"\nwritten to {csv_file}" if csv_file else ""))


@compliance_app.command("record")
def record_cmd(
    institution: str = typer.Argument(..., help="Institution code"),
    year: int = typer.Option(..., "--year", help="The year the review covers"),
    reviewed: int = typer.Option(..., "--reviewed", help="Files reviewed by the experts"),
    compliant: int = typer.Option(..., "--compliant", help="Files found compliant"),
    note: str = typer.Option("", "--note"),
    on: Optional[str] = typer.Option(None, "--on", help="Review date (default: today)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record an expert review of an institution's chronic-disease files (ZZ §7)."""
    from core.records import frozen
    from core.services.settlement import record_review

    with cli_errors(as_json):
        day, pol = parse_on(on), policy()
        row = write(lambda s, who: frozen(record_review(s, who, institution, year=year, reviewed_files=reviewed,
                                                        compliant_files=compliant, on=day, policy=pol, note=note)))
    done(as_json, f"recorded: {institution} {year}, {compliant} of {reviewed} files compliant", row)


@compliance_app.command("report")
def report_cmd(
    year: int = typer.Argument(..., help="The settlement year"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The annual settlement: each institution's computed cost times its compliance rate (ZZ §7)."""
    from core.services.settlement import annual_settlement

    with cli_errors(as_json):
        pol = policy()
        rows = read(lambda s: annual_settlement(s, year, policy=pol))
    if as_json:
        emit_json([{"institution": r.institution_code, "name": r.name_in(state.lang), "computed": _yuan(r.computed_fen),
                    "reviewed_files": r.reviewed_files, "compliant_files": r.compliant_files,
                    "rate": f"{r.rate:.4f}" if r.rate is not None else None, "payable": _yuan(r.payable_fen)}
                   for r in rows])
        return
    echo("institution\tcomputed\treviewed\tcompliant\trate\tpayable")
    for r in rows:
        rate = f"{r.rate * 100:.2f}%" if r.rate is not None else "no review"
        echo(f"{r.institution_code} {r.name_in(state.lang)}\t{_yuan(r.computed_fen)}\t{r.reviewed_files}\t"
             f"{r.compliant_files}\t{rate}\t{_yuan(r.payable_fen)}")
