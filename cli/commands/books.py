"""``casedesk book issue|add|renew|show``, ``casedesk replacement
certificate|book|archive`` and ``casedesk health-centre select|show``
(SZ-MD Art. 5; SZ-MT Art. 4).

Each step calls the core service the TUI calls, in one transaction, and
prints only after the commit. Exit 0 done, 1 refused by a rule or a role,
2 bad input; ``--json`` prints the record (or the reasons).
"""

from __future__ import annotations

from typing import Optional

import typer

from cli.commands.certificates import JSON, ON, REASON
from cli.commands.eligibility import parse_on
from cli.main import app, cli_errors, echo, done, emit_json, plain_dict, policy, read_as
from cli.steps import allowed_lines, allowed_steps_json, run_show, run_step

book_app = typer.Typer(help="Special outpatient record books (SZ-MD Art. 5).", no_args_is_help=True)
replacement_app = typer.Typer(help="Replacement of a lost certificate or record book (SZ-MD Art. 5).",
                              no_args_is_help=True)
centre_app = typer.Typer(help="Community health centre selection (SZ-MT Art. 4).", no_args_is_help=True)
app.add_typer(book_app, name="book")
app.add_typer(replacement_app, name="replacement")
app.add_typer(centre_app, name="health-centre")

CARD = typer.Option(False, "--card", help="The social security card was presented")
ID_CARD = typer.Option(False, "--id-card", help="The ID card was presented")
AT = typer.Option(None, "--at", help="Code of the issuing city diagnostic hospital (default: the agency)")


def _issuer_id(session, code: Optional[str]):
    from core.services.lookup import institution_by_code

    return institution_by_code(session, code, field="issued_at_id", article="SZ-MD Art. 5").id if code else None


@book_app.command("issue")
def book_issue(certificate: str = typer.Argument(..., help="Number of the confirmed certificate"),
               card: bool = CARD, id_card: bool = ID_CARD, at: Optional[str] = AT,
               on: Optional[str] = ON, reason: str = REASON, as_json: bool = JSON) -> None:
    """Issue the enrollee's first record book against a confirmed certificate."""
    from core.services.books import issue_book

    book = run_step(on, as_json, lambda s, who, day, pol: issue_book(
        s, who, policy=pol, certificate_number=certificate, card_presented=card, id_card_presented=id_card,
        on=day, issued_at_id=_issuer_id(s, at), reason=reason))
    done(as_json, f"record book {book.number} issued", book, number=book.number, status=book.status)


@book_app.command("add")
def book_add(book: str = typer.Argument(..., help="Record book number"),
             certificate: str = typer.Argument(..., help="Number of the further confirmed certificate"),
             card: bool = CARD, id_card: bool = ID_CARD,
             on: Optional[str] = ON, reason: str = REASON, as_json: bool = JSON) -> None:
    """Write a further recognised disease into the enrollee's record book."""
    from core.services.books import add_to_book

    entry = run_step(on, as_json, lambda s, who, day, pol: add_to_book(
        s, who, policy=pol, book_number=book, certificate_number=certificate, card_presented=card,
        id_card_presented=id_card, on=day, reason=reason))
    done(as_json, f"{entry.disease_code} written into record book {book}", entry, number=book)


@book_app.command("renew")
def book_renew(book: str = typer.Argument(..., help="Number of the used-up record book"),
               card: bool = CARD, id_card: bool = ID_CARD, at: Optional[str] = AT,
               on: Optional[str] = ON, reason: str = REASON, as_json: bool = JSON) -> None:
    """Renew a used-up record book: the old one is used up, a new one takes its diseases."""
    from core.services.books import renew_book

    new = run_step(on, as_json, lambda s, who, day, pol: renew_book(
        s, who, policy=pol, book_number=book, card_presented=card, id_card_presented=id_card, on=day,
        issued_at_id=_issuer_id(s, at), reason=reason))
    done(as_json, f"record book {book} used up; {new.number} issued in its place", new, number=new.number,
         status=new.status)


@book_app.command("show")
def book_show(book: str = typer.Argument(..., help="Record book number"),
              on: Optional[str] = typer.Option(None, "--on", help="Date the allowed steps are asked for"),
              as_json: bool = JSON) -> None:
    """Show a record book, the diseases written in it and the steps allowed now."""
    from core.queries.documents import entries_of
    from core.services.books import find_book

    def load(s, pol):
        row = find_book(s, book)
        return row, entries_of(s, row.id)

    rec, entries, allowed = run_show(on, as_json, load)
    if as_json:
        emit_json({**plain_dict(rec), "entries": [plain_dict(e) for e in entries], "allowed_steps": allowed})
        return
    echo(f"{rec.number}  {rec.status}  issued {rec.issued_on} by {rec.issued_by}")
    for e in entries:
        echo(f"  {e.disease_code}  written {e.added_on}")
    for line in allowed_lines(allowed):
        echo(line)


# --------------------------------------------------------------------------- replacements


PLACE = typer.Option(..., "--place", help="hospital (the one that issued it) or agency")
OFFICE = typer.Option(None, "--office", help="Code of the hospital or agency office where it is replaced")


def _office_id(session, code: Optional[str]):
    from core.services.lookup import institution_by_code

    return institution_by_code(session, code, field="institution_id", article="SZ-MD Art. 5").id if code else None


def _replace(kind: str, number: str, place: str, office: Optional[str], card: bool, id_card: bool,
             on: Optional[str], reason: str, as_json: bool) -> None:
    """Report ``number`` lost and replace it: it is void, a new number is issued."""
    from core.services.replacements import replace_book, replace_certificate

    def call(s, who, day, pol):
        common = dict(policy=pol, place=place, card_presented=card, id_card_presented=id_card, on=day,
                      institution_id=_office_id(s, office), reason=reason)
        if kind == "certificate":
            return replace_certificate(s, who, number=number, **common)
        return replace_book(s, who, book_number=number, **common)

    repl = run_step(on, as_json, call)
    done(as_json, f"{repl.item_kind} {repl.old_number} is void from {repl.reported_on}; new number "
                  f"{repl.new_number}", repl, old_number=repl.old_number, new_number=repl.new_number)


@replacement_app.command("certificate")
def replace_certificate_cmd(number: str = typer.Argument(..., help="Number of the lost certificate"),
                            place: str = PLACE, office: Optional[str] = OFFICE, card: bool = CARD,
                            id_card: bool = ID_CARD, on: Optional[str] = ON, reason: str = REASON,
                            as_json: bool = JSON) -> None:
    """Replace a lost confirmed certificate: its number is void, a new one is issued."""
    _replace("certificate", number, place, office, card, id_card, on, reason, as_json)


@replacement_app.command("book")
def replace_book_cmd(number: str = typer.Argument(..., help="Number of the lost record book"),
                     place: str = PLACE, office: Optional[str] = OFFICE, card: bool = CARD,
                     id_card: bool = ID_CARD, on: Optional[str] = ON, reason: str = REASON,
                     as_json: bool = JSON) -> None:
    """Replace a lost record book: a new active book with the same diseases."""
    _replace("book", number, place, office, card, id_card, on, reason, as_json)


@replacement_app.command("archive")
def replacement_archive(key: str = typer.Argument(..., help="Key of the replacement record"),
                        on: Optional[str] = ON, reason: str = REASON, as_json: bool = JSON) -> None:
    """Send a replacement record to the agency's archive."""
    from core.queries.documents import replacement_by_key
    from core.services.replacements import archive_replacement

    repl = run_step(on, as_json, lambda s, who, day, pol: archive_replacement(
        s, who, policy=pol, replacement_id=replacement_by_key(s, key).id, on=day, reason=reason))
    done(as_json, f"replacement record {repl.old_number} -> {repl.new_number} archived", repl)


@replacement_app.command("list")
def replacement_list(enrollee: str = typer.Argument(..., help="Enrollee: ID number, card number or key"),
                     as_json: bool = JSON) -> None:
    """An enrollee's replacement records, newest first."""
    from core.queries.documents import replacements_of
    from core.services.lookup import get_enrollee

    with cli_errors(as_json):
        rows = read_as(lambda s, who: replacements_of(s, get_enrollee(s, enrollee).id))
    if as_json:
        emit_json([plain_dict(r) for r in rows])
        return
    for r in rows:
        echo(f"{r.id}  {r.reported_on}  {r.item_kind:<11} {r.old_number} -> {r.new_number}  {r.place}"
                   f"{'  archived' if r.archived else ''}")


# --------------------------------------------------------------------------- health centre


@centre_app.command("select")
def centre_select(enrollee: str = typer.Argument(..., help="Enrollee: ID number, card number or key"),
                  centre: str = typer.Argument(..., help="Code of the community health centre"),
                  applicant: str = typer.Option(..., "--applicant", help="employer, village or self"),
                  applicant_name: str = typer.Option("", "--applicant-name", help="Employer or village committee"),
                  version: Optional[int] = typer.Option(None, "--version", help="The enrollee's version you read "
                                                        "(refused if it changed since; default: as read now)"),
                  on: Optional[str] = ON, reason: str = REASON, as_json: bool = JSON) -> None:
    """Record the enrollee's selection of a community health centre (SZ-MT Art. 4)."""
    from core.services.health_centre import select_health_centre
    from core.services.lookup import get_enrollee

    sel = run_step(on, as_json, lambda s, who, day, pol: select_health_centre(
        s, who, enrollee, centre, applicant=applicant, applicant_name=applicant_name, on=day, policy=pol,
        reason=reason, expected_version=version if version is not None else get_enrollee(s, enrollee).version))
    done(as_json, f"health centre {centre} selected from {sel.selected_on}", sel, centre=centre)


@centre_app.command("show")
def centre_show(enrollee: str = typer.Argument(..., help="Enrollee: ID number, card number or key"),
                on: Optional[str] = typer.Option(None, "--on", help="Date the allowed steps are asked for"),
                as_json: bool = JSON) -> None:
    """The enrollee's health-centre selections, newest first, and the steps allowed now."""
    from core.queries.places import institutions_by_id
    from core.records import frozen_all
    from core.services.health_centre import current_selection, selections_of
    from core.services.lookup import get_enrollee

    with cli_errors(as_json):
        day, pol = parse_on(on), policy()

        def work(s, who):
            e = get_enrollee(s, enrollee)
            rows = frozen_all(selections_of(s, e.id))
            current = current_selection(s, e.id)
            allowed = allowed_steps_json(s, current, who, day, pol) if current is not None else []
            return rows, institutions_by_id(s, {r.institution_id for r in rows}), allowed

        rows, centres, allowed = read_as(work)
    codes = {k: v.code for k, v in centres.items()}
    if as_json:
        emit_json({"selections": [{**plain_dict(r), "centre": codes.get(r.institution_id)} for r in rows],
                   "allowed_steps": allowed})
        return
    for r in rows:
        end = f" ended {r.ended_on}" if r.ended_on else " (current)"
        echo(f"{codes.get(r.institution_id, '?')}  from {r.selected_on}{end}  applicant {r.applicant}")
    for line in allowed_lines(allowed):
        echo(line)
