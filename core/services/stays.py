"""Hospital stays (issue 13): admission and discharge recorded at the counter
or imported from an institution's list (``casedesk import stays``). The
rules live in :mod:`core.rules.stays`; eligibility reads the stays on the
date it judges (ZZ §4: no chronic outpatient benefit while hospitalised).

Each service: role, rules, write, one audit event per stay, in the caller's
transaction.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Session, col, select

from core import audit
from core.auth import Actor
from core.i18n import N_
from core.models import Hospitalisation
from core.policy import Policy
from core.records import frozen
from core.rules import stays as rules
from core.rules.eligibility import StayFacts
from core.services.lookup import get_enrollee, institution_by_code
from core.sync.ops import operation

__all__ = ["admit", "discharge", "open_stay", "record_stay", "stays_of"]


def _facts(h: Hospitalisation) -> StayFacts:
    return StayFacts(admitted_on=h.admitted_on, discharged_on=h.discharged_on)


def _rows(session: Session, enrollee_id: uuid.UUID) -> list[Hospitalisation]:
    return list(session.exec(select(Hospitalisation).where(Hospitalisation.enrollee_id == enrollee_id)
                             .order_by(col(Hospitalisation.admitted_on).desc())))


def stays_of(session: Session, enrollee_id: uuid.UUID) -> tuple[Hospitalisation, ...]:
    """The enrollee's stays, newest first (frozen copies)."""
    return tuple(frozen(h) for h in _rows(session, enrollee_id))


def open_stay(session: Session, enrollee_id: uuid.UUID) -> Hospitalisation | None:
    return next((h for h in _rows(session, enrollee_id) if h.discharged_on is None), None)


@operation("stays.record_stay")
def record_stay(session: Session, actor: Actor, enrollee: str | uuid.UUID, *, admitted_on: date,
                discharged_on: date | None = None, institution_code: str | None = None, policy: Policy,
                reason: str = "", today: date | None = None, source: str = "counter") -> Hospitalisation:
    """A stay from ``admitted_on`` (an admission when ``discharged_on`` is
    None; a whole stay from an institution's list otherwise)."""
    actor.require("record", action=N_("record hospital stays"))
    today = today or date.today()
    e = get_enrollee(session, enrollee)
    inst = institution_by_code(session, institution_code) if institution_code else None
    others = [_facts(h) for h in _rows(session, e.id)]
    rules.check_stay(others, admitted_on, discharged_on, policy=policy, today=today).raise_if_refused()
    h = Hospitalisation(enrollee_id=e.id, institution_id=inst.id if inst else None, admitted_on=admitted_on,
                        discharged_on=discharged_on, source=source, recorded_by=actor.username,
                        discharged_by=actor.username if discharged_on else None)
    action = "stay.admit" if discharged_on is None else "stay.record"
    audit.created(session, actor, h, action, reason=reason, article=rules.article(policy))
    return h


@operation("stays.admit")
def admit(session: Session, actor: Actor, enrollee: str | uuid.UUID, *, on: date, policy: Policy,
          institution_code: str | None = None, reason: str = "", today: date | None = None) -> Hospitalisation:
    """Admission on ``on``: in hospital from that day until discharged."""
    return record_stay(session, actor, enrollee, admitted_on=on, institution_code=institution_code, policy=policy,
                       reason=reason, today=today)


@operation("stays.discharge")
def discharge(session: Session, actor: Actor, enrollee: str | uuid.UUID, *, on: date, policy: Policy,
              reason: str = "", today: date | None = None) -> Hospitalisation:
    """Discharge of the open stay on ``on`` (an outpatient day again)."""
    actor.require("record", action=N_("record hospital stays"))
    today = today or date.today()
    e = get_enrollee(session, enrollee)
    rows = _rows(session, e.id)
    stay = next((h for h in rows if h.discharged_on is None), None)
    others = [_facts(h) for h in rows if h is not stay]
    rules.check_discharge(_facts(stay) if stay else None, on, policy=policy, today=today,
                          others=others).raise_if_refused()
    assert stay is not None
    before = audit.snapshot(stay)
    stay.discharged_on = on
    stay.discharged_by = actor.username
    audit.changed(session, actor, stay, before, "stay.discharge", reason=reason, article=rules.article(policy))
    return stay
