"""Which steps a record can take now: :func:`core.workflows.allowed_steps`
with the facts its guards need loaded from the session.

``steps_for(session, record, actor, on, policy=…)`` is what the TUI asks
before it shows or enables a key, and what ``casedesk … show`` prints: every
event of the record's machine, allowed or refused with its reasons (article,
field, message). Pass ``inputs`` (the fields typed so far) to pre-check a
step before a confirmation dialog.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from core.auth import Actor
from core.models import Certificate, DiagnosticTeam, Enrollee, InvestigationCase, TeamMembership
from core.policy import Policy
from core.workflows import Machine, Step, allowed_steps, machine_for


def _certificate_facts(session: Session, cert: Certificate, policy: Policy | None) -> dict[str, Any]:
    facts: dict[str, Any] = {"enrollee": session.get(Enrollee, cert.enrollee_id)}
    if cert.previous_id is not None:
        from core.services.certificates import _live_copy  # one walk of the replacement chain

        prev = session.get(Certificate, cert.previous_id)
        facts["previous"] = _live_copy(session, prev) if prev is not None else None
    disease = policy.disease(cert.disease_code) if policy is not None else None
    if disease is not None:
        team = session.exec(select(DiagnosticTeam).where(DiagnosticTeam.institution_id == cert.institution_id,
                                                         DiagnosticTeam.specialty == disease.specialty)).first()
        facts["memberships"] = (list(session.exec(select(TeamMembership).where(TeamMembership.team_id == team.id)))
                                if team is not None else [])
    return facts


def open_cases(session: Session, enrollee_id: uuid.UUID) -> list[InvestigationCase]:
    return list(session.exec(select(InvestigationCase).where(InvestigationCase.enrollee_id == enrollee_id,
                                                             col(InvestigationCase.closed_on).is_(None))))


def facts_for(session: Session, record: Any, policy: Policy | None = None, *,
              enrollee_id: uuid.UUID | None = None) -> dict[str, Any]:
    """The facts the guards of ``record``'s machine look at beyond the record."""
    if isinstance(record, Certificate):
        return _certificate_facts(session, record, policy)
    if isinstance(record, InvestigationCase):
        return {"open_cases": open_cases(session, record.enrollee_id)}
    if record is None and enrollee_id is not None:
        return {"open_cases": open_cases(session, enrollee_id)}
    return {}


def steps_for(session: Session, record: Any, actor: Actor, on: date, *, policy: Policy | None = None,
              today: date | None = None, inputs: Mapping[str, Any] | None = None,
              machine: Machine | None = None, enrollee_id: uuid.UUID | None = None) -> tuple[Step, ...]:
    """Every step of ``record``'s machine on ``on`` for ``actor`` (``record``
    None with ``machine`` and ``enrollee_id``: the creation steps)."""
    m = machine or machine_for(record)
    return allowed_steps(record, actor, on, machine=m, today=today, policy=policy,
                         facts=facts_for(session, record, policy, enrollee_id=enrollee_id), inputs=inputs)
