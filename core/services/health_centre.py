"""Community health centre selection (SZ-MT Art. 4).

A new selection ends the current one (``ended_on`` = the new selection's date)
and sets ``Enrollee.health_centre_id``; each changed record gets its audit
event in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Session, col, or_, select

from core import audit
from core.auth import Actor
from core.db import check_version
from core.models import HealthCentreSelection, Institution, InstitutionKind
from core.policy import Policy, stamp
from core.rules.health_centre import (
    CentreFacts,
    CurrentSelection,
    SelectorFacts,
    check_selection,
)
from core.services.changes import facts_on, institution_on
from core.services.lookup import get_enrollee, institution_by_code
from core.workflows import HEALTH_CENTRE, require_step
from core.sync.ops import operation

__all__ = ["candidate_centres", "current_selection", "select_health_centre", "selections_of"]


def current_selection(session: Session, enrollee_id: uuid.UUID) -> HealthCentreSelection | None:
    return session.exec(select(HealthCentreSelection).where(
        HealthCentreSelection.enrollee_id == enrollee_id, col(HealthCentreSelection.ended_on).is_(None)
    ).order_by(col(HealthCentreSelection.selected_on).desc())).first()


def selections_of(session: Session, enrollee_id: uuid.UUID) -> list[HealthCentreSelection]:
    """An enrollee's selections, newest first."""
    return list(session.exec(select(HealthCentreSelection).where(HealthCentreSelection.enrollee_id == enrollee_id)
                             .order_by(col(HealthCentreSelection.selected_on).desc(),
                                       col(HealthCentreSelection.created_at).desc())))


def candidate_centres(session: Session, *, policy: Policy, query: str = "", limit: int = 50) -> list[Institution]:
    """Active community health centres in the pack's city, narrowed by code or name."""
    stmt = select(Institution).where(Institution.kind == InstitutionKind.COMMUNITY_HEALTH_CENTRE,
                                     Institution.city == policy.pack.city, col(Institution.active).is_(True))
    q = query.strip()
    if q:
        stmt = stmt.where(or_(col(Institution.code).icontains(q, autoescape=True),
                              col(Institution.name).icontains(q, autoescape=True),
                              col(Institution.name_zh).contains(q, autoescape=True)))
    return list(session.exec(stmt.order_by(col(Institution.name)).limit(limit)))


@operation("health_centre.select_health_centre")
def select_health_centre(session: Session, actor: Actor, enrollee: str | uuid.UUID, institution_code: str, *,
                         applicant: str, on: date, policy: Policy, applicant_name: str = "", reason: str = "",
                         expected_version: int | None, today: date | None = None) -> HealthCentreSelection:
    """Record the selection of a community health centre (SZ-MT Art. 4).
    ``expected_version`` is the enrollee's version the caller read."""
    art = policy.health_centre.article
    require_step(HEALTH_CENTRE, "select", None, actor, on, today=today, policy=policy)
    e = get_enrollee(session, enrollee)
    check_version(e, expected_version)
    centre = institution_by_code(session, institution_code)
    current = current_selection(session, e.id)
    current_facts = None
    if current is not None:
        cur_inst = session.get(Institution, current.institution_id)
        current_facts = CurrentSelection(code=cur_inst.code if cur_inst else "", selected_on=current.selected_on)
    applicant = applicant.strip()
    then = facts_on(session, e.id, on)  # scheme and employment on the day (issue 13)
    centre_then = institution_on(session, centre, on)
    check_selection(
        SelectorFacts(scheme=then.scheme, employment=then.employment, employer=then.employer),
        CentreFacts(code=centre_then.code, name=centre_then.name, kind=centre_then.kind, city=centre_then.city,
                    active=centre_then.active),
        applicant=applicant, applicant_name=applicant_name, current=current_facts, policy=policy, on=on,
    ).raise_if_refused()
    why = reason.strip() or "community health centre selection"
    if current is not None:
        require_step(HEALTH_CENTRE, "end", current, actor, on, today=today, policy=policy)
        before = audit.snapshot(current)
        current.ended_on = on
        audit.changed(session, actor, current, before, "health_centre.end", reason=why, article=art)
    name = applicant_name.strip() or (e.employer if applicant == "employer" else "")
    selection = HealthCentreSelection(enrollee_id=e.id, institution_id=centre.id, applicant=applicant,
                                      applicant_name=name, selected_on=on, recorded_by=actor.username)
    stamp(selection, policy)
    audit.created(session, actor, selection, "health_centre.select", reason=why, article=art)
    before = audit.snapshot(e)
    e.health_centre_id = centre.id
    audit.changed(session, actor, e, before, "enrollee.health_centre", reason=why, article=art)
    return selection
