"""``casedesk print KIND NUMBER``: the paper the rules require, as PDF
(SZ-MT Art. 10, 14, 15; SZ-MD Art. 4, 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cli.main import app, cli_errors, echo, emit_json, policy, state, write

KIND_HELP = ("notice | suspension | decision (case number), filing-form | voucher (voucher number), "
             "certificate (certificate number), book-receipt (book number), batch (INSTITUTION/YYYY-MM)")


@app.command("print")
def print_cmd(
    kind: str = typer.Argument(..., help=KIND_HELP),
    number: str = typer.Argument(..., help="The record's number, as printed on it"),
    lang: Optional[str] = typer.Option(None, "--lang", help="en, zh_CN or both (default: the interface language)"),
    out: Optional[Path] = typer.Option(None, "--out", help="Save the PDF here (default: print_dir, then ~/Documents/casedesk)"),
    on: Optional[str] = typer.Option(None, "--on", help="Business date printed on the sheet (default: today)"),
    send: bool = typer.Option(True, "--printer/--no-printer", help="Send to the default printer with lp when CUPS is present"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Save a document as PDF, send it to the printer, and record the print."""
    from core.services.documents import print_document, send_to_printer

    from cli.commands.eligibility import parse_on

    with cli_errors(as_json):
        day, pol = parse_on(on), policy()
        printed = write(lambda s, who: print_document(s, who, pol, kind, number, lang=lang or state.lang, on=day,
                                                      out=out))
        if send and out is None:
            printed = send_to_printer(printed)
    if as_json:
        emit_json(printed.as_dict())
        return
    echo(f"saved {printed.kind} {printed.number} to {printed.path}")
    if printed.printer:
        echo(f"printer: {printed.printer}")
