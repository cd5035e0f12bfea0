"""``casedesk certificate show`` and ``casedesk batch list`` (read only)."""

from __future__ import annotations

import typer

from cli.main import app, cli_errors, emit_json, engine, state, echo

certificate_app = typer.Typer(help="Diagnosis certificates (SZ-MD Art. 4).", no_args_is_help=True)
batch_app = typer.Typer(help="Monthly batches of certificate originals (SZ-MD Art. 4).", no_args_is_help=True)
app.add_typer(certificate_app, name="certificate")
app.add_typer(batch_app, name="batch")


@certificate_app.command("show")
def certificate_show(number: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show a certificate and its steps (who did what, when)."""
    from core.db import read_session
    from core.i18n import translate
    from core.services.certificates import certificate_timeline, find_certificate

    with cli_errors(), read_session(engine()) as s:
        cert = find_certificate(s, number)
        steps = certificate_timeline(s, cert)
        head = {"number": cert.number, "status": cert.status, "disease_code": cert.disease_code,
                "organ": cert.organ, "category": cert.category,
                "valid_from": cert.valid_from, "valid_until": cert.valid_until}
    if as_json:
        emit_json({**head, "steps": [st.as_dict() for st in steps]})
        return
    organ = f" ({head['organ']})" if head["organ"] else ""
    echo(f"{head['number']}  {head['disease_code']}{organ}  category {head['category']}  {head['status']}")
    for st in steps:
        mark = "x" if st.done else " "
        day = st.on.isoformat() if st.on else "-"
        echo(f"[{mark}] {translate(st.label, state.lang):<36} {day:<10}  {st.by:<16} {st.detail}")


@batch_app.command("list")
def batch_list(hospital: str = typer.Argument(..., help="Institution code"),
               month: str = typer.Argument(..., help="YYYY-MM"),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """Certificates in a hospital's monthly batch, or waiting for it."""

    from core.db import read_session
    from core.services.certificates import batch_candidates, batch_certificates, find_batch
    from core.services.lookup import institution_by_code

    with cli_errors(), read_session(engine()) as s:
        inst = institution_by_code(s, hospital, field="hospital", article="SZ-MD Art. 4")
        batch = find_batch(s, inst.id, month)
        rows = [(c.number, c.disease_code, c.confirmed_on, c.status, "in batch")
                for c in (batch_certificates(s, batch) if batch else [])]
        rows += [(c.number, c.disease_code, c.confirmed_on, c.status, "waiting")
                 for c in batch_candidates(s, inst.id, month)]
        received = batch.received_on.isoformat() if batch and batch.received_on else None
        has_batch = batch is not None
    if as_json:
        emit_json({"hospital": hospital, "month": month, "batch": has_batch, "received_on": received,
                   "certificates": [r[0] for r in rows if r[4] == "in batch"],
                   "waiting": [r[0] for r in rows if r[4] == "waiting"]})
        return
    state_text = "no batch" if not has_batch else (f"received {received}" if received else "not received")
    echo(f"{hospital} {month}: {state_text}")
    for number, disease, confirmed_on, status, where in rows:
        echo(f"  {number}  {disease:<10} confirmed {confirmed_on}  {status:<10} {where}")
