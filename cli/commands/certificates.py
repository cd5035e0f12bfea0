"""``casedesk certificate draft|sign|seal|confirm|invalidate|withdraw|show``
and ``casedesk batch list|assemble|receive`` (SZ-MD Art. 3, 4, 12, 13).

Each step calls the core service the TUI calls, in one transaction, and
prints only after the commit. Exit 0 done, 1 refused by a rule or a role,
2 bad input; ``--json`` prints the record (or the reasons).
"""

from __future__ import annotations

from datetime import date
from typing import List, Optional

import typer

from cli.commands.eligibility import parse_on
from cli.main import app, cli_errors, echo, done, emit_json, plain_dict, read, state
from cli.steps import allowed_lines, run_show, run_step

certificate_app = typer.Typer(help="Diagnosis certificates (SZ-MD Art. 4).", no_args_is_help=True)
batch_app = typer.Typer(help="Monthly batches of certificate originals (SZ-MD Art. 4).", no_args_is_help=True)
app.add_typer(certificate_app, name="certificate")
app.add_typer(batch_app, name="batch")

ON = typer.Option(None, "--on", help="Date of the step, YYYY-MM-DD (default: today)")
JSON = typer.Option(False, "--json", help="Print the record (or the refusal) as JSON.")
REASON = typer.Option("", "--reason", help="Why (kept in the audit trail)")


def _signature(text: str, on: date) -> tuple[str, date]:
    """``CODE`` or ``CODE@YYYY-MM-DD`` (signed that day; default the step's date)."""
    code, _sep, day = text.partition("@")
    return code.strip(), (parse_on(day) if day.strip() else on)


def _step_done(as_json: bool, cert, what: str) -> None:
    done(as_json, f"{cert.number}: {what} ({cert.status})", cert, number=cert.number, status=cert.status)


@certificate_app.command("draft")
def certificate_draft(
    enrollee: str = typer.Argument(..., help="Enrollee: ID number, card number or key"),
    disease: str = typer.Argument(..., help="Disease code of the policy pack, e.g. MD-I-09"),
    hospital: str = typer.Option(..., "--hospital", help="Code of the issuing hospital"),
    physician: str = typer.Option(..., "--physician", help="Code of the attending physician who drafts"),
    organ: Optional[str] = typer.Option(None, "--organ", help="Transplanted organ, for anti-rejection therapy"),
    offsite: bool = typer.Option(False, "--offsite", help="Issued off site under the enrollee's filing (SZ-MD Art. 4(2))"),
    continuation: bool = typer.Option(False, "--continuation", help="Continuation of treatment begun elsewhere"),
    recent_record: bool = typer.Option(False, "--recent-record", help="Continuation: recent outpatient record brought"),
    original_papers: bool = typer.Option(False, "--original-papers", help="Continuation: original papers brought"),
    originals_seen: bool = typer.Option(False, "--originals-seen", help="Continuation: originals checked"),
    copies_kept: bool = typer.Option(False, "--copies-kept", help="Continuation: copies kept on file"),
    criteria: bool = typer.Option(False, "--criteria-acknowledged", help="The admission criteria were read and are met"),
    note: str = typer.Option("", "--note", help="Diagnosis note"),
    renewal_of: Optional[str] = typer.Option(None, "--renewal-of", help="Number of the certificate this re-application continues (SZ-MD Art. 12)"),
    on: Optional[str] = ON,
    reason: str = REASON,
    as_json: bool = JSON,
) -> None:
    """Step 1: the attending physician's draft."""
    from core.services.certificates import draft_certificate
    from core.services.lookup import get_enrollee, institution_by_code
    from core.services.registry import physician_by_code

    cert = run_step(on, as_json, lambda s, who, day, pol: draft_certificate(
        s, who, policy=pol, enrollee_id=get_enrollee(s, enrollee).id, disease_code=disease,
        institution_id=institution_by_code(s, hospital, field="hospital", article="SZ-MD Art. 4").id,
        physician_id=physician_by_code(s, physician).id, on=day, organ=organ, offsite=offsite,
        continuation=continuation, cont_recent_record=recent_record, cont_original_papers=original_papers,
        cont_originals_seen=originals_seen, cont_copies_kept=copies_kept, criteria_acknowledged=criteria,
        diagnosis_note=note, renewal_of=renewal_of, reason=reason))
    _step_done(as_json, cert, "drafted; next: team signatures")


@certificate_app.command("sign")
def certificate_sign(
    number: str = typer.Argument(..., help="Certificate number"),
    signature: List[str] = typer.Option(..., "--signature", help="Physician code of a team signature, CODE or CODE@YYYY-MM-DD (give each)"),
    on: Optional[str] = ON,
    reason: str = REASON,
    as_json: bool = JSON,
) -> None:
    """Step 2: the diagnostic team's signatures (SZ-MD Art. 4(1); ZZ §3)."""
    from core.services.certificates import sign_certificate
    from core.services.registry import physician_by_code

    def work(s, who, day, pol):
        sigs = [(physician_by_code(s, code).id, signed_on)
                for code, signed_on in (_signature(text, day) for text in signature)]
        return sign_certificate(s, who, policy=pol, number=number, signatures=sigs, on=day, reason=reason)

    cert = run_step(on, as_json, work)
    _step_done(as_json, cert, "signed; next: insurance-office seal")


@certificate_app.command("seal")
def certificate_seal(
    number: str = typer.Argument(..., help="Certificate number"),
    seal_ref: str = typer.Option(..., "--seal-ref", help="Reference of the hospital insurance office's seal"),
    on: Optional[str] = ON,
    reason: str = REASON,
    as_json: bool = JSON,
) -> None:
    """Step 3: the hospital's medical insurance office seals it (SZ-MD Art. 4(1))."""
    from core.services.certificates import seal_certificate

    cert = run_step(on, as_json, lambda s, who, day, pol: seal_certificate(s, who, policy=pol, number=number, seal_ref=seal_ref,
                                                                           on=day, reason=reason))
    _step_done(as_json, cert, "sealed; next: agency confirmation")


@certificate_app.command("confirm")
def certificate_confirm(
    number: str = typer.Argument(..., help="Certificate number"),
    on: Optional[str] = ON,
    reason: str = REASON,
    as_json: bool = JSON,
) -> None:
    """Step 4: the agency's reviewer confirms; validity starts (SZ-MD Art. 4, 12)."""
    from core.services.certificates import confirm_certificate

    cert = run_step(on, as_json, lambda s, who, day, pol: confirm_certificate(s, who, policy=pol, number=number,
                                                                              on=day, reason=reason))
    until = cert.valid_until.isoformat() if cert.valid_until else "no end"
    _step_done(as_json, cert, f"confirmed, valid {cert.valid_from}..{until}")


def _end(number: str, on: Optional[str], reason: str, as_json: bool, mode: str) -> None:
    from core.services.certificates import invalidate_certificate, withdraw_certificate

    service = invalidate_certificate if mode == "invalidated" else withdraw_certificate
    cert = run_step(on, as_json, lambda s, who, day, pol: service(s, who, policy=pol, number=number, on=day,
                                                                       reason=reason))
    _step_done(as_json, cert, mode)


@certificate_app.command("invalidate")
def certificate_invalidate(
    number: str = typer.Argument(..., help="Certificate number"),
    reason: str = typer.Option(..., "--reason", help="The false claim found"),
    on: Optional[str] = ON,
    as_json: bool = JSON,
) -> None:
    """False claim: the recognition is invalid; the enrollee starts again (SZ-MD Art. 13)."""
    _end(number, on, reason, as_json, "invalidated")


@certificate_app.command("withdraw")
def certificate_withdraw(
    number: str = typer.Argument(..., help="Certificate number"),
    reason: str = typer.Option(..., "--reason", help="Why the unconfirmed certificate is abandoned"),
    on: Optional[str] = ON,
    as_json: bool = JSON,
) -> None:
    """Abandon an unconfirmed certificate so a new one can be drafted (SZ-MD Art. 4)."""
    _end(number, on, reason, as_json, "withdrawn")


@certificate_app.command("show")
def certificate_show(number: str = typer.Argument(..., help="Certificate number"),
                     on: Optional[str] = typer.Option(None, "--on", help="Date the allowed steps are asked for (default: today)"),
                     as_json: bool = JSON) -> None:
    """Show a certificate, its steps (who did what, when) and the steps allowed now."""
    from core.i18n import translate
    from core.services.certificates import certificate_timeline, find_certificate

    def load(s, pol):
        cert = find_certificate(s, number, pol)
        return cert, certificate_timeline(s, cert, pol)

    cert, steps, allowed = run_show(on, as_json, load)
    if as_json:
        emit_json({**plain_dict(cert), "steps": [st.as_dict() for st in steps], "allowed_steps": allowed})
        return
    organ = f" ({cert.organ})" if cert.organ else ""
    echo(f"{cert.number}  {cert.disease_code}{organ}  category {cert.category}  {cert.status}")
    for st in steps:
        mark = "x" if st.done else " "
        when = st.on.isoformat() if st.on else "-"
        echo(f"[{mark}] {translate(st.label, state.lang):<36} {when:<10}  {st.by:<16} {st.detail}")
    for line in allowed_lines(allowed):
        echo(line)


# --------------------------------------------------------------------------- batches


def _batch(hospital: str, month: str, on: Optional[str], as_json: bool, receive: bool) -> None:
    from core.services.certificates import assemble_batch, receive_batch
    from core.services.lookup import institution_by_code

    service = receive_batch if receive else assemble_batch
    batch = run_step(on, as_json, lambda s, who, day, pol: service(
        s, who, policy=pol, institution_id=institution_by_code(s, hospital, field="hospital", article="SZ-MD Art. 4").id,
        month=month, on=day))
    what = f"received {batch.received_on}" if receive else "gathered"
    done(as_json, f"{hospital} {batch.month}: batch {what}", batch)


@batch_app.command("assemble")
def batch_assemble(hospital: str = typer.Argument(..., help="Institution code"),
                   month: str = typer.Argument(..., help="YYYY-MM"),
                   on: Optional[str] = ON, as_json: bool = JSON) -> None:
    """Step 5: gather the certificates confirmed in MONTH into the hospital's batch of originals."""
    _batch(hospital, month, on, as_json, receive=False)


@batch_app.command("receive")
def batch_receive(hospital: str = typer.Argument(..., help="Institution code"),
                  month: str = typer.Argument(..., help="YYYY-MM"),
                  on: Optional[str] = ON, as_json: bool = JSON) -> None:
    """The agency marks the hospital's batch of MONTH received."""
    _batch(hospital, month, on, as_json, receive=True)


@batch_app.command("list")
def batch_list(hospital: str = typer.Argument(..., help="Institution code"),
               month: str = typer.Argument(..., help="YYYY-MM"),
               as_json: bool = JSON) -> None:
    """Certificates in a hospital's monthly batch, or waiting for it."""
    from core.queries.documents import batch_view
    from core.services.lookup import institution_by_code

    with cli_errors(as_json):
        view = read(lambda s: batch_view(
            s, institution_by_code(s, hospital, field="hospital", article="SZ-MD Art. 4").id, month))
    received = view.batch.received_on.isoformat() if view.batch and view.batch.received_on else None
    if as_json:
        emit_json({"hospital": hospital, "month": month, "batch": view.batch is not None, "received_on": received,
                   "certificates": [c.number for c in view.in_batch], "waiting": [c.number for c in view.waiting]})
        return
    state_text = "no batch" if view.batch is None else (f"received {received}" if received else "not received")
    echo(f"{hospital} {month}: {state_text}")
    for where, certs in (("in batch", view.in_batch), ("waiting", view.waiting)):
        for c in certs:
            echo(f"  {c.number}  {c.disease_code:<10} confirmed {c.confirmed_on}  {c.status:<10} {where}")
