"""``casedesk claim``: cash reimbursement claims at the agency (SZ-MD Art. 10;
SZ-MT Art. 14; the ZZ supplementary audit) — register the receipts, let
casedesk decide each one, approve (a second caseworker), show, list, and
the month's payment list as CSV. Exit 0 done, 1 refused by a rule or a
role, 2 bad input; a refusal changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from cli.commands.eligibility import parse_on
from cli.main import app, cli_errors, done, echo, emit_json, policy, read, read_as, state, write
from cli.steps import allowed_lines, allowed_steps_json

claim_app = typer.Typer(help="Cash reimbursement claims (SZ-MD Art. 10; SZ-MT Art. 14).", no_args_is_help=True)
app.add_typer(claim_app, name="claim")


def _lines(view, allowed=None, *, steps: bool = False) -> list[str]:
    from core.rules.formulas import money

    lang = state.lang
    out = [f"{view.number}\t{view.status}\t{view.id_number} {view.enrollee_name}\t{view.disease_code}\t"
           f"claimed {money(view.claimed_fen)}\tpaid {money(view.paid_fen)} "
           f"(basic {money(view.basic_fen)}, supplementary {money(view.supplementary_fen)})"]
    who = [f"registered {view.registered_on} by {view.registered_by}"]
    if view.decided_on:
        who.append(f"decided {view.decided_on} by {view.decided_by}")
    if view.approved_on:
        who.append(f"approved {view.approved_on} by {view.approved_by}")
    if view.withdrawn_on:
        who.append(f"withdrawn {view.withdrawn_on}: {view.end_reason}")
    out.append("  " + "; ".join(who))
    for r in view.receipts:
        verdict = {True: "PAID", False: "NOT PAID", None: "undecided"}[r.pays]
        out.append(f"  receipt {r.position}: {r.institution_code} {r.receipt_number} {r.treated_on}  "
                   f"amount {money(r.amount_fen)}  counted {money(r.counted_fen)}  {verdict} {money(r.paid_fen)}")
        for i in r.items:
            flags = "".join((" [large equipment]" if i.large_equipment else "", " [supplementary]" if i.supplementary else ""))
            out.append(f"    - {i.description}  {money(i.amount_fen)}{flags}")
        for reason in r.reasons(lang):
            mark = "✓" if reason["ok"] else "✗"
            head = f"[{reason['article']}] " if reason["article"] else ""
            out.append(f"    {mark} {head}{reason['field']}: {reason['message']}")
    if steps:
        out += ["  " + line for line in allowed_lines(allowed)]
    return out


def _step(call, number: str, on: Optional[str], as_json: bool, verb: str, **kw) -> None:
    from core.queries.claims import claim_view

    with cli_errors(as_json):
        day, pol = parse_on(on), policy()
        view = write(lambda s, who: claim_view(s, call(s, who, number, on=day, policy=pol, **kw).id, pol))
    done(as_json, f"{verb}: claim {view.number} ({view.status}), paid {view.as_dict()['paid']}",
         claim=view.as_dict(state.lang))
    if not as_json:
        for line in _lines(view)[2:]:
            echo(line)


@claim_app.command("register")
def register_cmd(
    enrollee: str = typer.Argument(..., help="ID number, card number or record key"),
    disease: str = typer.Argument(..., help="Disease code of the pack, e.g. MD-II-03"),
    receipt: List[str] = typer.Option(..., "--receipt", help=(
        "INSTITUTION/NUMBER/YYYY-MM-DD[/emergency][/peritoneal]: ITEM=AMOUNT[@le][@supp]; ITEM=AMOUNT … "
        "(@le: large-equipment examination, @supp: local supplementary cost); once per receipt")),
    decide: bool = typer.Option(False, "--decide", help="Let casedesk decide the receipts at once."),
    on: Optional[str] = typer.Option(None, "--on", help="Registration date (default: today)"),
    reason: str = typer.Option("", "--reason"),
    as_json: bool = typer.Option(False, "--json", help="Print the claim (or the refusal) as JSON."),
) -> None:
    """Register a claim with its receipts; refuses a receipt claimed before."""
    from core.queries.claims import claim_view
    from core.services.claims import decide_claim, parse_receipt, register_claim

    with cli_errors(as_json):
        day, pol = parse_on(on), policy()
        receipts = [parse_receipt(r) for r in receipt]

        def work(s, who):
            c = register_claim(s, who, enrollee, disease, receipts, on=day, policy=pol, reason=reason)
            if decide:
                s.flush()
                decide_claim(s, who, c.id, on=day, policy=pol)
            return claim_view(s, c.id, pol)

        view = write(work)
    done(as_json, f"registered: claim {view.number} ({view.status}), {len(view.receipts)} receipt(s)",
         claim=view.as_dict(state.lang))
    if not as_json:
        for line in _lines(view)[2:]:
            echo(line)


@claim_app.command("decide")
def decide_cmd(
    claim: str = typer.Argument(..., help="Claim number or record key"),
    on: Optional[str] = typer.Option(None, "--on", help="Decision date (default: today)"),
    reason: str = typer.Option("", "--reason"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """casedesk decides each receipt from the facts on its treatment date, every reason with its article."""
    from core.services.claims import decide_claim

    _step(decide_claim, claim, on, as_json, "decided", reason=reason)


@claim_app.command("approve")
def approve_cmd(
    claim: str = typer.Argument(..., help="Claim number or record key"),
    on: Optional[str] = typer.Option(None, "--on", help="Approval date (default: today)"),
    reason: str = typer.Option("", "--reason"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A reviewer who neither registered nor decided the claim approves it (four eyes)."""
    from core.services.claims import approve_claim

    _step(approve_claim, claim, on, as_json, "approved", reason=reason)


@claim_app.command("withdraw")
def withdraw_cmd(
    claim: str = typer.Argument(..., help="Claim number or record key"),
    reason: str = typer.Option(..., "--reason", help="Why the claim is withdrawn"),
    on: Optional[str] = typer.Option(None, "--on", help="Date (default: today)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Withdraw a claim before approval; its receipts may be claimed again."""
    from core.services.claims import withdraw_claim

    _step(withdraw_claim, claim, on, as_json, "withdrawn", reason=reason)


@claim_app.command("show")
def show_cmd(
    claim: str = typer.Argument(..., help="Claim number or record key"),
    on: Optional[str] = typer.Option(None, "--on", help="Date the allowed steps are asked for (default: today)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A claim, its receipts, each decision with its reasons, and the steps allowed now."""
    from core.queries.claims import claim_view
    from core.services.claims import get_claim

    with cli_errors(as_json):
        day, pol = parse_on(on), policy()
        view, allowed = read_as(lambda s, who: (claim_view(s, claim, pol),
                                                allowed_steps_json(s, get_claim(s, claim, pol), who, day, pol)))
    if as_json:
        emit_json({**view.as_dict(state.lang), "allowed_steps": allowed})
        return
    for line in _lines(view, allowed, steps=True):
        echo(line)


@claim_app.command("list")
def list_cmd(
    enrollee: str = typer.Argument(..., help="ID number, card number or record key"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """An enrollee's claims, newest first."""
    from core.queries.claims import claims_of_enrollee
    from core.rules.formulas import money

    with cli_errors(as_json):
        views = read(lambda s: claims_of_enrollee(s, enrollee))
    if as_json:
        emit_json([v.as_dict(state.lang) for v in views])
        return
    for v in views:
        echo(f"{v.number}\t{v.status:<10}\t{v.registered_on}\t{v.disease_code}\t{len(v.receipts)} receipt(s)\t"
             f"claimed {money(v.claimed_fen)}\tpaid {money(v.paid_fen)}")


@claim_app.command("payments")
def payments_cmd(
    month: str = typer.Argument(..., help="YYYY-MM: the claims approved in that month"),
    csv_file: Optional[Path] = typer.Option(None, "--csv", help="Write the payment list to this CSV file (0600)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The month's payment list: every approved claim with something to pay."""
    from core.rules.formulas import money
    from core.services.claims import payment_list, payment_list_csv

    with cli_errors(as_json):
        pol = policy()
        rows = read(lambda s: payment_list(s, month, policy=pol))
        if csv_file is not None:
            csv_file.write_text(payment_list_csv(rows), encoding="utf-8")
    if as_json:
        emit_json([{"claim": r.claim_number, "approved_on": r.approved_on.isoformat(), "name": r.enrollee_name,
                    "id_number": r.id_number, "disease": r.disease_code, "receipts": r.receipts,
                    "claimed": money(r.claimed_fen), "basic_pooling": money(r.basic_fen),
                    "supplementary_pooling": money(r.supplementary_fen), "paid": money(r.paid_fen),
                    "article": r.article} for r in rows])
        return
    total = sum(r.paid_fen for r in rows)
    for r in rows:
        echo(f"{r.claim_number}\t{r.approved_on}\t{r.id_number} {r.enrollee_name}\t{r.disease_code}\tpaid {money(r.paid_fen)}")
    echo(f"{len(rows)} claim(s), total {money(total)}" + (f"; written to {csv_file}" if csv_file else ""))
