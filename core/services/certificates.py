"""Certificate workflow: draft, sign, seal, confirm, invalidate, withdraw,
monthly batch of originals (SZ-MD Art. 3, 4, 12, 13).

Each function is one step in the caller's write session: role first, then the
rules (:mod:`core.rules.certificates`), then the change and one audit event
per record changed. A certificate number typed at the counter always goes
through :func:`present_certificate`, which refuses a voided or invalidated
number.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from core import audit
from core.auth import Actor
from core.db import check_version
from core.errors import BadInput, DomainError, NotFound
from core.i18n import N_
from core.models import new_id as make_id
from core.models import (
    Certificate,
    CertificateStatus,
    DiagnosticTeam,
    Enrollee,
    Institution,
    MonthlyBatch,
    OffsiteFiling,
    Physician,
    Replacement,
    TeamMembership,
)
from core.policy import Policy
from core.rules import certificates as rules
from core.rules.certificates import (
    DraftFacts,
    Signature,
)
from core.services.changes import dated, facts_on, institution_on, physician_on
from core.services.numbering import PREFIX_CERTIFICATE, new_number, normalise_number
from core.workflows import BATCH, CERTIFICATE, require_role, require_step
from core.workflows.definitions import CERT_GIVES_BENEFITS, CERT_IN_PROCESS, FILING_CURRENT
from core.sync.ops import operation



# --------------------------------------------------------------------------- loading


def get_row(session: Session, model, row_id: uuid.UUID, field: str, article: str = ""):
    """The row of ``model`` with ``row_id`` or :class:`NotFound` naming ``field``."""
    obj = session.get(model, row_id)
    if obj is None:
        raise NotFound.one(article, field, N_("No {entity} with id {id}."),
                           entity=model.__tablename__, id=str(row_id))
    return obj


def find_certificate(session: Session, number: str, policy: Policy | None = None) -> Certificate:
    """The certificate with ``number`` whatever its status (for display); a
    refusal cites the pack's certificate article when ``policy`` is given."""
    cert = session.exec(select(Certificate).where(Certificate.number == normalise_number(number))).first()
    if cert is None:
        raise NotFound.one(policy.certificates.article if policy else "", "number", N_("No certificate numbered {number}."), number=number)
    return cert


def present_certificate(session: Session, number: str, on: date, policy: Policy | None) -> Certificate:
    """The certificate a person presents as ``number`` on ``on``.

    A number voided by a replacement (SZ-MD Art. 5) or invalidated for a false
    claim (SZ-MD Art. 13) is refused from the day it was ended; the refusal
    names the replacement. Other statuses are returned for the caller's rules.
    """
    cert = find_certificate(session, number, policy)
    ended = cert.ended_on is not None and cert.ended_on <= on
    if cert.status == CertificateStatus.VOID and ended:
        repl = session.get(Certificate, cert.replaced_by_id) if cert.replaced_by_id else None
        raise DomainError.one(policy.replacements.article if policy else "", "number",
                              N_("Certificate {number} was reported lost and is void since {day}; "
                                 "its replacement is {replacement}."),
                              number=cert.number, day=cert.ended_on.isoformat(),
                              replacement=repl.number if repl else "-")
    if cert.status == CertificateStatus.INVALIDATED and ended:
        raise DomainError.one(policy.certificates.article_false_claim if policy else "", "number",
                              N_("Certificate {number} was invalidated on {day}; the enrollee must apply "
                                 "again from the start."),
                              number=cert.number, day=cert.ended_on.isoformat())
    return cert


def live_certificates(session: Session, enrollee_id: uuid.UUID, on: date) -> list[Certificate]:
    """The enrollee's certificates giving benefits on ``on`` (confirmed, or
    superseded by a renewal that has not started), oldest first."""
    q = (select(Certificate)
         .where(Certificate.enrollee_id == enrollee_id)
         .where(col(Certificate.status).in_(sorted(CERT_GIVES_BENEFITS)))
         .where(col(Certificate.valid_from) <= on)
         .where((col(Certificate.valid_until).is_(None)) | (col(Certificate.valid_until) >= on))
         .order_by(Certificate.valid_from))
    return [c for c in session.exec(q) if rules.is_live(c, on)]


def enrollee_certificates(session: Session, enrollee_id: uuid.UUID) -> list[Certificate]:
    q = select(Certificate).where(Certificate.enrollee_id == enrollee_id).order_by(Certificate.drafted_on)
    return list(session.exec(q))


def _active_filing(session: Session, enrollee_id: uuid.UUID, on: date) -> OffsiteFiling | None:
    q = (select(OffsiteFiling)
         .where(OffsiteFiling.enrollee_id == enrollee_id)
         .where(col(OffsiteFiling.status).in_(sorted(FILING_CURRENT)))
         .where(col(OffsiteFiling.filed_on) <= on)
         .order_by(col(OffsiteFiling.filed_on).desc()))
    return session.exec(q).first()


def _team_memberships(session: Session, institution_id: uuid.UUID, specialty: str) -> list[TeamMembership]:
    team = session.exec(select(DiagnosticTeam)
                        .where(DiagnosticTeam.institution_id == institution_id)
                        .where(DiagnosticTeam.specialty == specialty)).first()
    if team is None:
        return []
    return list(session.exec(select(TeamMembership).where(TeamMembership.team_id == team.id)))


def signer_candidates(session: Session, institution_id: uuid.UUID, specialty: str, policy: Policy,
                      on: date) -> list[tuple[Physician, TeamMembership | None]]:
    """Who may sign a certificate of ``institution_id`` in ``specialty`` on
    ``on`` (:func:`core.rules.certificates.signer_reasons`), with the team
    membership when there is one: team heads first, then department
    directors, then by code."""
    memberships = _team_memberships(session, institution_id, specialty)
    doctors = dated(session, session.exec(select(Physician).where(Physician.institution_id == institution_id)
                                          .where(Physician.specialty == specialty)).all(), on)
    out = [(p, rules.membership_on(memberships, p.id, on)) for p in doctors
           if not rules.signer_reasons(p, institution_id, memberships, specialty, policy, on)]
    out.sort(key=lambda pm: (not (pm[1] is not None and pm[1].is_head), not pm[0].department_director, pm[0].code))
    return out


def _live_copy(session: Session, cert: Certificate, policy: Policy) -> Certificate:
    """Follow replacements (void -> replaced_by) to the certificate in use."""
    seen = {cert.id}
    while cert.status == CertificateStatus.VOID and cert.replaced_by_id and cert.replaced_by_id not in seen:
        cert = get_row(session, Certificate, cert.replaced_by_id, "replaced_by_id", policy.replacements.article)
        seen.add(cert.id)
    return cert


# --------------------------------------------------------------------------- drafting


@operation("certificates.draft_certificate")
def draft_certificate(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    enrollee_id: uuid.UUID,
    disease_code: str,
    institution_id: uuid.UUID,
    physician_id: uuid.UUID,
    on: date,
    organ: str | None = None,
    offsite: bool = False,
    continuation: bool = False,
    cont_recent_record: bool = False,
    cont_original_papers: bool = False,
    cont_originals_seen: bool = False,
    cont_copies_kept: bool = False,
    criteria_acknowledged: bool = False,
    diagnosis_note: str = "",
    renewal_of: str | None = None,
    reason: str = "",
    today: date | None = None,
) -> Certificate:
    """Step 1 (SZ-MD Art. 4): the attending physician's draft, entered by
    ``actor``. ``renewal_of`` is the number of the confirmed certificate this
    re-application continues (SZ-MD Art. 12)."""
    art_cert, art_validity = policy.certificates.article, policy.validity.article
    require_step(CERTIFICATE, "draft", None, actor, on, today=today, policy=policy)
    get_row(session, Enrollee, enrollee_id, "enrollee_id")
    # the facts of the drafting day (issue 13): scheme, supplementary, designation, title
    enrollee = facts_on(session, enrollee_id, on)
    institution = institution_on(session, get_row(session, Institution, institution_id, "institution_id"), on)
    physician = physician_on(session, get_row(session, Physician, physician_id, "physician_id"), on)
    previous = present_certificate(session, renewal_of, on, policy) if renewal_of else None
    checklist = {"cont_recent_record": cont_recent_record, "cont_original_papers": cont_original_papers,
                 "cont_originals_seen": cont_originals_seen, "cont_copies_kept": cont_copies_kept}
    disease = policy.disease(disease_code)
    facts = DraftFacts(
        enrollee=enrollee, disease=disease, disease_code=disease_code, organ=organ or None,
        institution=institution, physician=physician, offsite=offsite,
        offsite_filing=_active_filing(session, enrollee.id, on) if offsite else None,
        continuation=continuation, checklist=checklist, criteria_acknowledged=criteria_acknowledged,
        existing=enrollee_certificates(session, enrollee.id), renewal_of=previous,
    )
    rules.check_draft(facts, policy, on).raise_if_refused()
    assert disease is not None  # check_draft refuses an unknown code
    new_id = make_id()
    cert = Certificate(
        id=new_id, number=new_number(session, Certificate, PREFIX_CERTIFICATE, on, new_id),
        enrollee_id=enrollee.id, disease_code=disease.code, organ=organ or None, category=disease.category,
        policy_pack=policy.id, policy_hash=policy.content_hash, status=CertificateStatus.DRAFT, institution_id=institution.id,
        offsite=offsite, continuation=continuation,
        **{k: (v if continuation else False) for k, v in checklist.items()},
        criteria_acknowledged=criteria_acknowledged, diagnosis_note=diagnosis_note, physician_id=physician.id,
        drafted_on=on, drafted_by=actor.username, previous_id=previous.id if previous else None,
    )
    article = art_validity if previous else art_cert
    audit.created(session, actor, cert, "certificate.draft", reason=reason, article=article)
    return cert


# --------------------------------------------------------------------------- signatures and seal


@operation("certificates.sign_certificate")
def sign_certificate(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    number: str,
    signatures: Sequence[tuple[uuid.UUID, date]],
    on: date,
    reason: str = "",
    expected_version: int | None = None,
    today: date | None = None,
) -> Certificate:
    """Step 2 (SZ-MD Art. 4(1); ZZ §3): the diagnostic team's signatures,
    given as ``(physician_id, signed_on)`` pairs."""
    article = policy.certificates.signatures.article
    require_role(CERTIFICATE, "sign", actor, policy)
    cert = present_certificate(session, number, on, policy)
    check_version(cert, expected_version)
    require_step(CERTIFICATE, "sign", cert, actor, on, today=today, policy=policy)
    # each signer as on the signing day: the title and team held then (SZ-MD Art. 4)
    sigs = [Signature(physician_on(session, get_row(session, Physician, pid, "signatures"), day), day)
            for pid, day in signatures]
    disease = policy.disease(cert.disease_code)
    specialty = disease.specialty if disease else ""
    memberships = _team_memberships(session, cert.institution_id, specialty)
    rules.check_signatures(cert, sigs, memberships, policy, on, specialty).raise_if_refused()
    before = audit.snapshot(cert)
    cert.signer1_id, cert.signed1_on = sigs[0].physician.id, sigs[0].signed_on
    if len(sigs) > 1:
        cert.signer2_id, cert.signed2_on = sigs[1].physician.id, sigs[1].signed_on
    cert.signatures_by = actor.username
    cert.status = CertificateStatus.SIGNED
    audit.changed(session, actor, cert, before, "certificate.sign", reason=reason, article=article)
    return cert


@operation("certificates.seal_certificate")
def seal_certificate(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    number: str,
    seal_ref: str,
    on: date,
    reason: str = "",
    expected_version: int | None = None,
    today: date | None = None,
) -> Certificate:
    """Step 3 (SZ-MD Art. 4(1)): the hospital's insurance office seals it."""
    art_cert = policy.certificates.article
    require_role(CERTIFICATE, "seal", actor, policy)
    cert = present_certificate(session, number, on, policy)
    check_version(cert, expected_version)
    require_step(CERTIFICATE, "seal", cert, actor, on, today=today, policy=policy)
    rules.check_seal(cert, seal_ref, on, policy).raise_if_refused()
    before = audit.snapshot(cert)
    cert.sealed_on, cert.seal_ref, cert.sealed_by = on, seal_ref.strip(), actor.username
    cert.status = CertificateStatus.SEALED
    audit.changed(session, actor, cert, before, "certificate.seal", reason=reason, article=art_cert)
    return cert


# --------------------------------------------------------------------------- confirmation


@operation("certificates.confirm_certificate")
def confirm_certificate(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    number: str,
    on: date,
    reason: str = "",
    expected_version: int | None = None,
    today: date | None = None,
) -> Certificate:
    """Step 4 (SZ-MD Art. 4, 12): the agency's reviewer confirms. Validity
    starts on ``on``, or for a renewal the day after the renewed certificate's
    last day, which becomes ``superseded``."""
    art_cert, art_validity = policy.certificates.article, policy.validity.article
    require_role(CERTIFICATE, "confirm", actor, policy)
    cert = present_certificate(session, number, on, policy)
    check_version(cert, expected_version)
    require_step(CERTIFICATE, "confirm", cert, actor, on, today=today, policy=policy)
    get_row(session, Enrollee, cert.enrollee_id, "enrollee_id")
    enrollee = facts_on(session, cert.enrollee_id, on)  # the scheme on the confirmation day (issue 13)
    previous = None
    if cert.previous_id is not None:
        previous = _live_copy(session, get_row(session, Certificate, cert.previous_id, "previous_id"), policy)
    rules.check_confirm(cert, enrollee, policy.disease(cert.disease_code), actor.username,
                        previous, on, policy).raise_if_refused()
    valid_from, valid_until = rules.validity_on_confirm(cert, previous, policy, on)
    before = audit.snapshot(cert)
    cert.status = CertificateStatus.CONFIRMED
    cert.confirmed_on, cert.confirmed_by = on, actor.username
    cert.valid_from, cert.valid_until = valid_from, valid_until
    if previous is not None:
        cert.previous_id = previous.id
    audit.changed(session, actor, cert, before, "certificate.confirm", reason=reason,
                  article=art_validity if previous else art_cert)
    if previous is not None:
        _supersede(session, actor, previous, cert, on, reason, today, policy)
    return cert


def _supersede(session: Session, actor: Actor, old: Certificate, new: Certificate, on: date,
               reason: str, today: date | None, policy: Policy) -> None:
    """The renewed certificate is ``superseded``: it keeps giving benefits to
    its own last day (SZ-MD Art. 12), so it gets no end date."""
    require_step(CERTIFICATE, "supersede", old, actor, on, today=today, policy=policy)
    before = audit.snapshot(old)
    old.status = CertificateStatus.SUPERSEDED
    old.end_reason = f"renewed by {new.number}"
    audit.changed(session, actor, old, before, "certificate.supersede", reason=reason, article=policy.validity.article)


# --------------------------------------------------------------------------- ending


@operation("certificates.invalidate_certificate")
def invalidate_certificate(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    number: str,
    on: date,
    reason: str,
    expected_version: int | None = None,
    today: date | None = None,
) -> Certificate:
    """False claim (SZ-MD Art. 13): the recognition is invalid; the enrollee
    starts again from step 1 and no renewal can chain from it."""
    art = policy.certificates.article_false_claim
    require_role(CERTIFICATE, "invalidate", actor, policy)
    cert = present_certificate(session, number, on, policy)
    check_version(cert, expected_version)
    require_step(CERTIFICATE, "invalidate", cert, actor, on, today=today, policy=policy)
    rules.check_invalidate(cert, reason, policy).raise_if_refused()
    before = audit.snapshot(cert)
    cert.status = CertificateStatus.INVALIDATED
    cert.ended_on, cert.ended_by, cert.end_reason = on, actor.username, reason.strip()
    audit.changed(session, actor, cert, before, "certificate.invalidate", reason=reason, article=art)
    return cert


@operation("certificates.withdraw_certificate")
def withdraw_certificate(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    number: str,
    on: date,
    reason: str,
    expected_version: int | None = None,
    today: date | None = None,
) -> Certificate:
    """Abandon an unconfirmed certificate (SZ-MD Art. 4) so a new one can be drafted."""
    art_cert = policy.certificates.article
    require_role(CERTIFICATE, "withdraw", actor, policy)
    cert = present_certificate(session, number, on, policy)
    check_version(cert, expected_version)
    require_step(CERTIFICATE, "withdraw", cert, actor, on, today=today, policy=policy)
    rules.check_withdraw(cert, reason, policy).raise_if_refused()
    before = audit.snapshot(cert)
    cert.status = CertificateStatus.WITHDRAWN
    cert.ended_on, cert.ended_by, cert.end_reason = on, actor.username, reason.strip()
    audit.changed(session, actor, cert, before, "certificate.withdraw", reason=reason, article=art_cert)
    return cert


# --------------------------------------------------------------------------- monthly batch


def find_batch(session: Session, institution_id: uuid.UUID, month: str) -> MonthlyBatch | None:
    return session.exec(select(MonthlyBatch)
                        .where(MonthlyBatch.institution_id == institution_id)
                        .where(MonthlyBatch.month == month)).first()


def _month_bounds(month: str) -> tuple[date, date]:
    try:
        return rules.month_bounds(month)
    except ValueError:
        raise BadInput.one("", "month", N_("{month} is not a month (YYYY-MM)."), month=month) from None


def batch_candidates(session: Session, institution_id: uuid.UUID, month: str) -> list[Certificate]:
    """Certificates the hospital confirmed in ``month`` not yet in a batch.
    Replacement copies (SZ-MD Art. 5) are left out: their originals went with
    the certificate they replace."""
    first, last = _month_bounds(month)
    copies = select(Replacement.new_id).where(Replacement.item_kind == "certificate")
    q = (select(Certificate)
         .where(Certificate.institution_id == institution_id)
         .where(col(Certificate.confirmed_on) >= first)
         .where(col(Certificate.confirmed_on) <= last)
         .where(col(Certificate.batch_id).is_(None))
         .where(col(Certificate.id).not_in(copies))
         .order_by(Certificate.confirmed_on, Certificate.number))
    return list(session.exec(q))


def batch_certificates(session: Session, batch: MonthlyBatch) -> list[Certificate]:
    q = select(Certificate).where(Certificate.batch_id == batch.id).order_by(Certificate.confirmed_on, Certificate.number)
    return list(session.exec(q))


@operation("certificates.assemble_batch")
def assemble_batch(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    institution_id: uuid.UUID,
    month: str,
    on: date,
    reason: str = "",
    today: date | None = None,
) -> MonthlyBatch:
    """Step 5 (SZ-MD Art. 4(1)): the hospital's originals of the certificates
    confirmed in ``month`` go to the agency as one batch. Run again before the
    batch is received, it adds certificates confirmed since."""
    art_cert = policy.certificates.article
    require_role(BATCH, "assemble", actor, policy)
    rules.check_batch_month(month, on, policy).raise_if_refused()
    institution = get_row(session, Institution, institution_id, "institution_id")
    batch = find_batch(session, institution.id, month)
    if batch is not None and batch.received_on is not None:
        raise DomainError.one(art_cert, "month",
                              N_("The {month} batch of {code} was received on {day}; it is closed."),
                              month=month, code=institution.code, day=batch.received_on.isoformat())
    require_step(BATCH, "assemble", batch, actor, on, today=today, policy=policy)
    certs = batch_candidates(session, institution.id, month)
    if not certs:
        raise DomainError.one(art_cert, "month",
                              N_("{code} has no confirmed certificates of {month} waiting for a batch."),
                              code=institution.code, month=month)
    if batch is None:
        batch = MonthlyBatch(institution_id=institution.id, month=month)
        audit.created(session, actor, batch, "batch.create", reason=reason, article=art_cert)
        session.flush()  # no relationship() orders the insert before the certificates point at it
    for cert in certs:
        before = audit.snapshot(cert)
        cert.batch_id = batch.id
        audit.changed(session, actor, cert, before, "certificate.batch", reason=reason, article=art_cert)
    return batch


@operation("certificates.receive_batch")
def receive_batch(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    institution_id: uuid.UUID,
    month: str,
    on: date,
    reason: str = "",
    expected_version: int | None = None,
    today: date | None = None,
) -> MonthlyBatch:
    """The agency marks a hospital's monthly batch of originals received."""
    art_cert = policy.certificates.article
    require_role(BATCH, "receive", actor, policy)
    rules.check_batch_month(month, on, policy).raise_if_refused()
    institution = get_row(session, Institution, institution_id, "institution_id")
    batch = find_batch(session, institution.id, month)
    if batch is None:
        raise NotFound.one(art_cert, "month", N_("{code} has no batch for {month}."),
                           code=institution.code, month=month)
    check_version(batch, expected_version)
    if batch.received_on is not None:
        raise DomainError.one(art_cert, "month",
                              N_("The {month} batch of {code} was already received on {day}."),
                              month=month, code=institution.code, day=batch.received_on.isoformat())
    require_step(BATCH, "receive", batch, actor, on, today=today, policy=policy)
    before = audit.snapshot(batch)
    batch.received_on, batch.received_by = on, actor.username
    audit.changed(session, actor, batch, before, "batch.receive", reason=reason, article=art_cert)
    return batch


# --------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimelineStep:
    """One step of a certificate for display: ``label`` is a msgid."""

    step: str
    label: str
    done: bool
    on: date | None
    by: str
    detail: str = ""
    title: str = ""  # the physician's title code, for steps a physician did

    def as_dict(self) -> dict:
        return {"step": self.step, "label": self.label, "done": self.done,
                "on": self.on.isoformat() if self.on else None, "by": self.by, "detail": self.detail,
                "title": self.title}


def _physician(session: Session, physician_id: uuid.UUID | None) -> dict[str, str]:
    """``detail`` (name and code) and ``title`` (a code the screen translates)."""
    p = session.get(Physician, physician_id) if physician_id else None
    return {"detail": f"{p.name} ({p.code})", "title": p.title} if p else {}


def _number_of(session: Session, cert_id: uuid.UUID | None) -> str:
    c = session.get(Certificate, cert_id) if cert_id else None
    return c.number if c else ""


def certificate_timeline(session: Session, cert: Certificate, policy: Policy | None = None) -> list[TimelineStep]:
    """The steps of ``cert`` with who and when, pending ones included."""
    lines = 2 if cert.signer2_id or policy is None else min(policy.certificates.signatures.required, 2)
    steps = [TimelineStep("drafted", N_("Drafted"), True, cert.drafted_on, cert.drafted_by,
                          **_physician(session, cert.physician_id))]
    sigs = [(cert.signer1_id, cert.signed1_on), (cert.signer2_id, cert.signed2_on)]
    for i, (pid, day) in enumerate(sigs[:lines], start=1):
        steps.append(TimelineStep(f"signature{i}", N_("Team signature"), pid is not None, day,
                                  cert.signatures_by or "", **_physician(session, pid)))
    steps.append(TimelineStep("sealed", N_("Insurance-office seal"), cert.sealed_on is not None,
                              cert.sealed_on, cert.sealed_by or "", cert.seal_ref or ""))
    validity = ""
    if cert.valid_from:
        validity = f"{cert.valid_from.isoformat()}..{cert.valid_until.isoformat() if cert.valid_until else ''}"
    steps.append(TimelineStep("confirmed", N_("Agency confirmation"), cert.confirmed_on is not None,
                              cert.confirmed_on, cert.confirmed_by or "", validity))
    if cert.batch_id:
        batch = session.get(MonthlyBatch, cert.batch_id)
        if batch is not None:
            steps.append(TimelineStep("received", N_("Originals received by the agency"),
                                      batch.received_on is not None, batch.received_on,
                                      batch.received_by or "", batch.month))
    if cert.ended_on is not None:
        detail = cert.end_reason
        if cert.replaced_by_id:
            detail = f"{detail} -> {_number_of(session, cert.replaced_by_id)}".strip()
        steps.append(TimelineStep(cert.status, N_("Ended"), True, cert.ended_on, cert.ended_by or "", detail))
    return steps
