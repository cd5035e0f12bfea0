"""``casedesk enrollee change|retire|return-home|admit|discharge|facts``,
``casedesk physician change`` and ``casedesk institution change``: facts that
change from a date, with a reason (issue 13), and hospital stays (ZZ §4).
Exit 0 done, 1 refused by a rule or a role, 2 bad input; a refusal changes
nothing."""

from __future__ import annotations

from typing import List, Optional

import typer

from cli.commands.eligibility import parse_on
from cli.main import app, cli_errors, done, echo, emit_json, plain_dict, policy, read, write

enrollee_app = typer.Typer(help="Enrollee facts that change from a date; hospital stays (issue 13).",
                           no_args_is_help=True)
physician_app = typer.Typer(help="Physician facts that change from a date: title, leaving (SZ-MD Art. 4).",
                            no_args_is_help=True)
institution_app = typer.Typer(help="Institution facts that change from a date: designation, level, status.",
                              no_args_is_help=True)
app.add_typer(enrollee_app, name="enrollee")
app.add_typer(physician_app, name="physician")
app.add_typer(institution_app, name="institution")

FROM_HELP = "First day the change holds (default: today)"


def _pairs(field: List[str], value: List[str]) -> dict[str, str]:
    from core.errors import BadInput
    from core.i18n import N_

    if len(field) != len(value):
        raise BadInput.one("", "value", N_("Give one --value for each --field ({fields} fields, {values} values)."),
                           fields=len(field), values=len(value))
    return dict(zip(field, value))


def _changes_out(rows) -> list[dict]:
    return [{"field": c.field, "value": c.value, "previous": c.previous, "from": c.effective_from.isoformat(),
             "reason": c.reason, "article": c.article} for c in rows]


def _print_changes(as_json: bool, rows: list[dict], extra: dict | None = None) -> None:
    if as_json:
        emit_json({"ok": True, "changes": rows, **(extra or {})})
        return
    for c in rows:
        echo(f"{c['field']}: {c['previous'] or '-'} -> {c['value'] or '-'} from {c['from']} [{c['article']}]")


@enrollee_app.command("change")
def change_cmd(
    enrollee: str = typer.Argument(..., help="ID number, card number or record key"),
    field: List[str] = typer.Option(..., "--field", help="scheme, supplementary, city_household, employment, employer, "
                                    "disabled_grade, stationed_elsewhere, stationed_city, residence_city, "
                                    "residence_province, residence_mainland (repeat with --value)"),
    value: List[str] = typer.Option(..., "--value", help="The new value (yes/no for yes-or-no facts)"),
    from_: Optional[str] = typer.Option(None, "--from", help=FROM_HELP),
    reason: str = typer.Option(..., "--reason", help="Why (the paper seen)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Change enrollee facts from a date; rules judge each date by the facts of that date."""
    from core.services.changes import change_enrollee

    with cli_errors(as_json):
        day, values, pol = parse_on(from_), _pairs(field, value), policy()
        rows = write(lambda s, who: _changes_out(change_enrollee(s, who, enrollee, values, on=day, reason=reason,
                                                                 policy=pol)))
    _print_changes(as_json, rows)


@enrollee_app.command("retire")
def retire_cmd(
    enrollee: str = typer.Argument(..., help="ID number, card number or record key"),
    city_pension: bool = typer.Option(False, "--city-pension/--no-city-pension",
                                      help="Draws a monthly pension from the city agency (SZ-MT Art. 9)"),
    from_: Optional[str] = typer.Option(None, "--from", help=FROM_HELP),
    reason: str = typer.Option(..., "--reason"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Retirement from a date, with or without a city pension."""
    from core.services.changes import retire

    with cli_errors(as_json):
        day, pol = parse_on(from_), policy()
        rows = write(lambda s, who: _changes_out(retire(s, who, enrollee, city_pension=city_pension, on=day,
                                                        reason=reason, policy=pol)))
    _print_changes(as_json, rows)


@enrollee_app.command("return-home")
def return_home_cmd(
    enrollee: str = typer.Argument(..., help="ID number, card number or record key"),
    from_: Optional[str] = typer.Option(None, "--from", help=FROM_HELP),
    reason: str = typer.Option(..., "--reason", help="e.g. returned to work at head office"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Back in the city to work or settle: the active off-site filing is
    cancelled in the same transaction (SZ-MT Art. 9(3))."""
    from core.services.changes import return_home

    def work(s, who):
        rows, filing = return_home(s, who, enrollee, on=day, reason=reason, policy=pol)
        return _changes_out(rows), (filing.voucher_number if filing else None)

    with cli_errors(as_json):
        day, pol = parse_on(from_), policy()
        rows, voucher = write(work)
    _print_changes(as_json, rows, {"cancelled_voucher": voucher})
    if voucher and not as_json:
        echo(f"off-site filing {voucher} cancelled from {day.isoformat()}")


@enrollee_app.command("facts")
def facts_cmd(
    enrollee: str = typer.Argument(..., help="ID number, card number or record key"),
    on: Optional[str] = typer.Option(None, "--on", help="The date to read the facts of (default: today)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The facts the rules read on a date, the recorded changes and the hospital stays."""
    from core.services.changes import changes_of, facts_on
    from core.services.lookup import get_enrollee
    from core.services.stays import stays_of

    def work(s):
        e = get_enrollee(s, enrollee)
        stays = [{"admitted_on": h.admitted_on.isoformat(),
                  "discharged_on": h.discharged_on.isoformat() if h.discharged_on else None} for h in stays_of(s, e.id)]
        return plain_dict(facts_on(s, e.id, day)), _changes_out(changes_of(s, "enrollee", e.id)), stays

    with cli_errors(as_json):
        day = parse_on(on)
        facts, rows, stays = read(work)
    if as_json:
        emit_json({"ok": True, "facts": facts, "changes": rows, "stays": stays})
        return
    for k, v in facts.items():
        echo(f"{k}: {v}")
    for c in rows:
        echo(f"changed {c['field']}: {c['previous'] or '-'} -> {c['value'] or '-'} from {c['from']} ({c['reason']})")
    for h in stays:
        echo(f"in hospital from {h['admitted_on']} to {h['discharged_on'] or '-'}")


@enrollee_app.command("admit")
def admit_cmd(
    enrollee: str = typer.Argument(..., help="ID number, card number or record key"),
    on: Optional[str] = typer.Option(None, "--on", help="Admission date (default: today)"),
    institution: Optional[str] = typer.Option(None, "--institution", help="Hospital code"),
    discharged: Optional[str] = typer.Option(None, "--discharged", help="Discharge date, for a stay already over"),
    reason: str = typer.Option("", "--reason"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record a hospital admission (ZZ §4: no chronic outpatient benefit while in hospital)."""
    from core.records import frozen
    from core.services.stays import record_stay

    with cli_errors(as_json):
        day, pol = parse_on(on), policy()
        out = parse_on(discharged) if discharged else None
        rec = write(lambda s, who: frozen(record_stay(s, who, enrollee, admitted_on=day, discharged_on=out,
                                                      institution_code=institution, policy=pol, reason=reason)))
    done(as_json, f"in hospital from {day.isoformat()}" + (f" to {out.isoformat()}" if out else ""), rec)


@enrollee_app.command("discharge")
def discharge_cmd(
    enrollee: str = typer.Argument(..., help="ID number, card number or record key"),
    on: Optional[str] = typer.Option(None, "--on", help="Discharge date (default: today)"),
    reason: str = typer.Option("", "--reason"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record the discharge of the open stay (the discharge day is an outpatient day again)."""
    from core.records import frozen
    from core.services.stays import discharge

    with cli_errors(as_json):
        day, pol = parse_on(on), policy()
        rec = write(lambda s, who: frozen(discharge(s, who, enrollee, on=day, policy=pol, reason=reason)))
    done(as_json, f"discharged on {day.isoformat()}", rec)


def _master_change(kind: str, code: str, field: List[str], value: List[str], from_: Optional[str], reason: str,
                   as_json: bool) -> None:
    from core.services import changes

    service = changes.change_physician if kind == "physician" else changes.change_institution
    with cli_errors(as_json):
        day, values, pol = parse_on(from_), _pairs(field, value), policy()
        rows = write(lambda s, who: _changes_out(service(s, who, code, values, on=day, reason=reason, policy=pol)))
    _print_changes(as_json, rows)


@physician_app.command("change")
def physician_change_cmd(
    code: str = typer.Argument(..., help="Physician code"),
    field: List[str] = typer.Option(..., "--field", help="title, active (no = left), department_director"),
    value: List[str] = typer.Option(..., "--value"),
    from_: Optional[str] = typer.Option(None, "--from", help=FROM_HELP),
    reason: str = typer.Option(..., "--reason"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A title change or leaving from a date; a signature is judged on the title held that day."""
    _master_change("physician", code, field, value, from_, reason, as_json)


@institution_app.command("change")
def institution_change_cmd(
    code: str = typer.Argument(..., help="Institution code"),
    field: List[str] = typer.Option(..., "--field", help="designated, level, diagnostic_hospital, dialysis_centre, "
                                    "offsite_on_record, run_by_hospital_level, active"),
    value: List[str] = typer.Option(..., "--value"),
    from_: Optional[str] = typer.Option(None, "--from", help=FROM_HELP),
    reason: str = typer.Option(..., "--reason"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Designation, de-designation, level or status from a date."""
    _master_change("institution", code, field, value, from_, reason, as_json)
