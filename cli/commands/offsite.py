"""``casedesk offsite``: file, cancel and show off-site filings of three
institutions (SZ-MT Art. 9, 10; SZ-MD Art. 5). Exit 0 done, 1 refused by a
rule or a role, 2 bad input; a refusal changes nothing."""

from __future__ import annotations

from typing import List, Optional

import typer

from cli.commands.eligibility import parse_on
from cli.main import app, cli_errors, echo, done, emit_json, policy, read, read_as, write
from cli.steps import allowed_lines, allowed_steps_json

offsite_app = typer.Typer(help="Off-site filing of three institutions (SZ-MT Art. 9, 10).", no_args_is_help=True)
app.add_typer(offsite_app, name="offsite")


def _filing_dict(session, f, allowed=None) -> dict:
    from core.services.offsite import filed_institutions

    return {
        "id": str(f.id), "voucher": f.voucher_number, "status": f.status, "basis": f.basis,
        "place": f.place_city, "filed_on": f.filed_on.isoformat(), "filed_by": f.filed_by,
        "institutions": [i.code for i in filed_institutions(session, f.id)],
        "cancelled_on": f.cancelled_on.isoformat() if f.cancelled_on else None, "cancel_reason": f.cancel_reason,
        "allowed_steps": allowed,
    }


@offsite_app.command("file")
def file_cmd(
    enrollee: str = typer.Argument(..., help="ID number, card number or record key"),
    place: str = typer.Option(..., "--place", help="City where the enrollee lives or works"),
    institution: List[str] = typer.Option(..., "--institution", help="Institution code, in order (give it three times)"),
    stamped: List[str] = typer.Option([], "--stamped", help="Code of an institution whose stamp is on the form"),
    all_stamped: bool = typer.Option(False, "--all-stamped", help="Every chosen institution stamped the form"),
    copies: int = typer.Option(..., "--copies", help="Copies of the registration form received"),
    local_stamp: bool = typer.Option(False, "--local-stamp", help="The local social-security institution stamped it"),
    local_office: str = typer.Option("", "--local-office"),
    filed_by: str = typer.Option(..., "--filed-by", help="employer, self or agent"),
    employer: str = typer.Option("", "--employer"),
    agent_name: str = typer.Option("", "--agent-name"),
    agent_id: str = typer.Option("", "--agent-id"),
    agent_phone: str = typer.Option("", "--agent-phone"),
    province: str = typer.Option("", "--province"),
    not_mainland: bool = typer.Option(False, "--not-mainland", help="The place is Hong Kong, Macao or Taiwan"),
    on: Optional[str] = typer.Option(None, "--on", help="Filing date (default: today)"),
    reason: str = typer.Option("", "--reason"),
    as_json: bool = typer.Option(False, "--json", help="Print the filing (or the refusal) as JSON."),
) -> None:
    """Accept a filing and print its voucher number."""
    from core.services.offsite import FilingForm, file_filing

    with cli_errors(as_json):
        day = parse_on(on)
        form = FilingForm(
            place_city=place, institution_codes=tuple(institution),
            stamped_codes=frozenset(institution if all_stamped else stamped), form_copies=copies,
            local_ss_stamp=local_stamp, local_ss_office=local_office, filed_by=filed_by, employer_name=employer,
            agent_name=agent_name, agent_id_number=agent_id, agent_phone=agent_phone, place_province=province,
            place_mainland=not not_mainland,
        )
        pol = policy()
        data = write(lambda s, who: _filing_dict(s, file_filing(s, who, enrollee, form, on=day, policy=pol,
                                                                reason=reason)))
    done(as_json, f"filed: voucher {data['voucher']}", voucher=data["voucher"], filing=data)


@offsite_app.command("cancel")
def cancel_cmd(
    filing: str = typer.Argument(..., help="Voucher number or record key"),
    reason: str = typer.Option(..., "--reason", help="Why (e.g. returned to work in the city)"),
    on: Optional[str] = typer.Option(None, "--on", help="Cancellation date (default: today)"),
    as_json: bool = typer.Option(False, "--json", help="Print the filing (or the refusal) as JSON."),
) -> None:
    """Cancel a filing on return to the city."""
    from core.services.offsite import cancel_filing

    with cli_errors(as_json):
        day = parse_on(on)
        pol = policy()
        data = write(lambda s, who: _filing_dict(s, cancel_filing(s, who, filing, on=day, reason=reason, policy=pol)))
    done(as_json, f"cancelled: voucher {data['voucher']}", voucher=data["voucher"], filing=data)


@offsite_app.command("show")
def show_cmd(
    ref: str = typer.Argument(..., help="Voucher number or filing key, or the enrollee (ID number, card number, key)"),
    on: Optional[str] = typer.Option(None, "--on", help="Date the allowed steps are asked for (default: today)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A filing (by voucher) or an enrollee's filings, newest first, each with the steps allowed now."""
    from core.errors import NotFound
    from core.services.lookup import get_enrollee
    from core.services.offsite import filings_of, get_filing

    with cli_errors(as_json):
        day, pol = parse_on(on), policy()

        def work(s, who):
            try:
                filings = [get_filing(s, ref)]
            except NotFound:
                filings = filings_of(s, get_enrollee(s, ref).id)
            return [_filing_dict(s, f, allowed_steps_json(s, f, who, day, pol)) for f in filings]

        rows = read_as(work)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        end = f" cancelled {r['cancelled_on']}: {r['cancel_reason']}" if r["cancelled_on"] else ""
        echo(f"{r['voucher']}\t{r['status']:<9}\t{r['filed_on']}\t{r['place']}\t{', '.join(r['institutions'])}{end}")
        for line in allowed_lines(r["allowed_steps"]):
            echo("  " + line)


@offsite_app.command("candidates")
def candidates_cmd(
    place: str = typer.Argument(..., help="City of residence or work"),
    query: str = typer.Option("", "--query", help="Part of a code or name"),
    limit: int = typer.Option(50, "--limit", min=1, max=500),
) -> None:
    """Institutions that may be filed in a place (public, designated, township level or higher)."""
    from core.queries.places import filing_candidates

    with cli_errors():
        pol = policy()
        rows = [(i.code, i.level, i.name) for i in read(lambda s: filing_candidates(s, place, query, limit,
                                                                                    policy=pol))]
    for code, level, name in rows:
        echo(f"{code}\tlevel {level}\t{name}")
