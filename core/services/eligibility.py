"""Eligibility and benefit estimate lookup (read only).

Loads the facts for one enrollee and disease from the database, asks
:mod:`core.rules.eligibility`, and returns its :class:`EligibilityResult`.
Nothing is written, so no actor or audit is involved (like ``lookup``).
Certificates are read straight from the ``certificate`` table.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Session, col, select

from core.errors import BadInput, DomainError
from core.i18n import N_
from core.models import (
    Certificate,
    Enrollee,
    FilingInstitution,
    Hospitalisation,
    Institution,
    OffsiteFiling,
)
from core.policy import Disease, Policy
from core.queries.expenses import spent
from core.rules.eligibility import (
    CertificateFacts,
    EligibilityFacts,
    EligibilityResult,
    EnrolleeFacts,
    FilingFacts,
    InstitutionFacts,
    RecordedSpend,
    Spend,
    StayFacts,
    evaluate,
)
from core.rules.formulas import benefit_period
from core.services.changes import facts_on, institution_on
from core.services.lookup import get_enrollee, institution_by_code
from core.workflows.definitions import FILING_CURRENT

__all__ = [
    "check",
    "disease_or_refuse",
    "facts_for",
    "institution_facts",
    "parse_amount_fen",
]


def disease_or_refuse(policy: Policy, code: str) -> Disease:
    disease = policy.disease(code.strip().upper()) or policy.disease(code.strip())
    if disease is None:
        raise DomainError.one("", "disease", N_("Unknown disease code {code} in the {pack} pack."),
                              code=code, pack=policy.id)
    return disease


def parse_amount_fen(text: str, field: str = "spent") -> int:
    """A yuan amount typed by a caseworker (``1234.5``, ``1,234.50``) as fen;
    refuses negative amounts, more than two decimals and anything that is
    not a plain amount (``1e309``, ``1_000``, ``1,0,0``)."""
    from core.services.registry import parse_yuan

    try:
        return parse_yuan(text, negative=False)
    except (ValueError, TypeError):
        raise BadInput.one("", field, N_("{value} is not an amount in yuan with at most two decimals, zero or more."),
                           value=str(text)[:40]) from None


def institution_facts(inst: Institution) -> InstitutionFacts:
    return InstitutionFacts(
        code=inst.code, name=inst.name, name_zh=inst.name_zh, kind=inst.kind, city=inst.city,
        designated=inst.designated,
        active=inst.active, dialysis_centre=inst.dialysis_centre, run_by_hospital_level=inst.run_by_hospital_level,
    )


def _certificates(session: Session, enrollee_id: uuid.UUID) -> tuple[CertificateFacts, ...]:
    rows = session.exec(select(Certificate).where(Certificate.enrollee_id == enrollee_id)
                        .order_by(col(Certificate.drafted_on), col(Certificate.number)))
    return tuple(
        CertificateFacts(number=c.number, disease_code=c.disease_code, status=c.status, organ=c.organ,
                         valid_from=c.valid_from, valid_until=c.valid_until)
        for c in rows
    )


def _filings(session: Session, enrollee_id: uuid.UUID) -> tuple[FilingFacts, ...]:
    filings = list(session.exec(select(OffsiteFiling).where(OffsiteFiling.enrollee_id == enrollee_id)
                                .order_by(col(OffsiteFiling.filed_on))))
    out = []
    for f in filings:
        codes = session.exec(
            select(Institution.code).join(FilingInstitution, col(FilingInstitution.institution_id) == col(Institution.id))
            .where(FilingInstitution.filing_id == f.id).order_by(col(FilingInstitution.position))
        )
        cancelled = f.cancelled_on if f.status not in FILING_CURRENT else None
        out.append(FilingFacts(voucher_number=f.voucher_number or "", filed_on=f.filed_on,
                               institution_codes=tuple(codes), cancelled_on=cancelled))
    return tuple(out)


def _stays(session: Session, enrollee_id: uuid.UUID, on: date) -> tuple[StayFacts, ...]:
    rows = session.exec(select(Hospitalisation).where(Hospitalisation.enrollee_id == enrollee_id,
                                                      col(Hospitalisation.admitted_on) <= on))
    return tuple(StayFacts(admitted_on=h.admitted_on, discharged_on=h.discharged_on) for h in rows)


def facts_for(session: Session, enrollee: Enrollee, on: date, *, institution: Institution | None = None,
              emergency: bool = False, peritoneal_dialysis: bool = False) -> EligibilityFacts:
    """The facts of ``on`` (issue 13): the enrollee's scheme, supplementary
    insurance and account as they were that day (core.services.changes), the
    institution's designation and status that day."""
    then = facts_on(session, enrollee.id, on)
    return EligibilityFacts(
        enrollee=EnrolleeFacts(
            scheme=then.scheme, supplementary=then.supplementary, account_state=then.account_state,
            account_state_since=then.account_state_since,
            individual_account_fen=then.individual_account_fen,
        ),
        certificates=_certificates(session, enrollee.id),
        institution=institution_facts(institution_on(session, institution, on)) if institution is not None else None,
        filings=_filings(session, enrollee.id),
        stays=_stays(session, enrollee.id, on),
        emergency=emergency,
        peritoneal_dialysis=peritoneal_dialysis,
    )


def check(session: Session, enrollee: str | uuid.UUID, disease_code: str, *, on: date, policy: Policy,
          institution_code: str | None = None, spent_fen: int | None = None, spent_supplementary_fen: int = 0,
          emergency: bool = False, peritoneal_dialysis: bool = False) -> EligibilityResult:
    """Is the enrollee (UUID, ID number or card number) entitled for the
    disease on ``on``, at the institution if given; with the estimate of what
    was spent in the period up to ``on`` (the medical insurance year, or the
    month in a ZZ §4 pack): the booked expenses and the cash claims' receipts,
    large-equipment examinations left out (SZ-MD Art. 6). A year-to-date
    (month-to-date) spend typed as ``spent_fen`` is estimated as a "what if".

    Bad input (unknown enrollee, disease or institution; negative amounts)
    raises :class:`DomainError` naming the field.
    """
    disease = disease_or_refuse(policy, disease_code)
    for name, value in (("spent", spent_fen), ("spent_supplementary", spent_supplementary_fen)):
        if value is not None and value < 0:
            raise DomainError.one("", name, N_("An amount spent cannot be negative."))
    person = get_enrollee(session, enrollee)
    inst = institution_by_code(session, institution_code) if institution_code else None
    facts = facts_for(session, person, on, institution=inst, emergency=emergency,
                      peritoneal_dialysis=peritoneal_dialysis)
    given = spent_fen is not None or spent_supplementary_fen > 0
    what_if = Spend(spent_fen or 0, spent_supplementary_fen) if given else None
    return evaluate(facts, disease, policy, on, recorded=recorded_spend(session, person.id, disease, policy, on),
                    what_if=what_if, enrollee_id=str(person.id))


def recorded_spend(session: Session, enrollee_id: uuid.UUID, disease: Disease, policy: Policy, on: date
                   ) -> RecordedSpend:
    """What the benefit period holding ``on`` recorded for ``disease`` up to ``on``."""
    period = benefit_period(policy, on)
    assert period.start is not None
    t = spent(session, enrollee_id, disease.code, period.start, on,
              exclude_large_equipment=disease.category in policy.claims.large_equipment_categories)
    return RecordedSpend(period=period, booked_fen=t.booked_fen, claimed_fen=t.claimed_fen,
                         large_equipment_fen=t.large_equipment_fen, visits=t.visits)
