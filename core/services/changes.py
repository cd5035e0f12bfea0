"""Facts that change, judged on their date (issue 13): the one place rules
get an enrollee's, a physician's or an institution's facts **on a date**.

Reads (for every rule, and for other services such as cash claims):

- :func:`facts_on` ``(session, enrollee_id, on) -> EnrolleeOn``: scheme,
  supplementary, household, employment, employer, disabled grade, posting
  elsewhere and where, residence, and the account state, as they were on
  ``on``;
- :func:`physician_on` / :func:`institution_on` (and :func:`dated` for many
  rows at once): a frozen copy of the row with the dated fields as they were
  on ``on`` (a signature is judged on the signer's title on the signing date);
- :func:`changes_of`: the recorded changes of one record, newest first.

Writes (role → rules → write + audit event, in the caller's transaction):
:func:`change_enrollee` (several fields from one date), :func:`retire`,
:func:`return_home` (which also cancels the active off-site filing, SZ-MT
Art. 9(3), through the off-site machine's ``return`` event),
:func:`change_physician`, :func:`change_institution`. Each change is a
``fact_change`` row (from-date, value, the value before, reason, article)
with its audit event; the row's own column keeps today's value in sync for
lookup and display (and gets its own audit event when it changes).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlmodel import Session, col, select

from core import audit
from core.auth import Actor
from core.errors import DomainError, NotFound
from core.i18n import N_
from core.models import (
    AccountState,
    Employment,
    Enrollee,
    FactChange,
    Institution,
    InvestigationCase,
    OffsiteFiling,
    Physician,
)
from core.policy import Policy
from core.records import frozen
from core.rules import facts as rules
from core.rules.decision import Decision, refuse
from core.rules.facts import Change, Proposed
from core.services.lookup import get_enrollee
from core.sync.ops import operation

__all__ = [
    "EnrolleeOn",
    "change_enrollee",
    "change_institution",
    "change_physician",
    "changes_of",
    "dated",
    "facts_on",
    "institution_on",
    "physician_on",
    "retire",
    "return_home",
]

T = TypeVar("T")

ENTITY_OF = {Enrollee: "enrollee", Physician: "physician", Institution: "institution"}


@dataclass(frozen=True)
class EnrolleeOn:
    """An enrollee's facts as they were on ``on`` (what every rule reads).

    The attribute names are the :class:`~core.models.Enrollee` columns', so a
    rule written against the row reads the dated facts unchanged."""

    id: uuid.UUID
    on: date
    scheme: str
    supplementary: bool
    city_household: bool
    employment: str
    employer: str
    disabled_grade: int | None
    stationed_elsewhere: bool
    stationed_city: str
    residence_city: str
    residence_province: str
    residence_mainland: bool
    account_state: str
    account_state_since: date | None
    #: the balance recorded now (the account has no history in casedesk)
    individual_account_fen: int
    health_centre_id: uuid.UUID | None = None

    @property
    def retired_with_city_pension(self) -> bool:
        return self.employment == Employment.RETIRED_CITY_PENSION


# --------------------------------------------------------------------------- reads


def _changes(session: Session, entity: str, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Change]]:
    out: dict[uuid.UUID, list[Change]] = {i: [] for i in ids}
    if not ids:
        return out
    specs = rules.FIELDS[entity]
    rows = session.exec(select(FactChange).where(FactChange.entity == entity, col(FactChange.entity_id).in_(list(ids)))
                        .order_by(col(FactChange.effective_from)))
    for r in rows:
        spec = specs.get(r.field)
        if spec is not None:
            out[r.entity_id].append(Change(r.field, r.effective_from, rules.decode(spec, r.value),
                                           rules.decode(spec, r.previous)))
    return out


def _account_on(session: Session, e: Enrollee, on: date) -> tuple[str, date | None]:
    """Suspended on ``on`` when an investigation case had suspended the
    account by then and had not resumed it (SZ-MT Art. 14, 15)."""
    cases = session.exec(select(InvestigationCase).where(InvestigationCase.enrollee_id == e.id,
                                                         col(InvestigationCase.opened_on).is_not(None),
                                                         col(InvestigationCase.opened_on) <= on))
    since = None
    for c in cases:
        resumed = c.resumed_on
        if resumed is not None and resumed <= on:
            continue
        if resumed is None and e.account_state != AccountState.SUSPENDED:
            continue  # resumed some other way: today's state says normal
        since = c.opened_on if since is None or c.opened_on < since else since
    if since is not None:
        return AccountState.SUSPENDED, since
    if e.account_state == AccountState.SUSPENDED and (e.account_state_since is None or e.account_state_since <= on):
        return e.account_state, e.account_state_since
    return AccountState.NORMAL, None


def facts_on(session: Session, enrollee_id: uuid.UUID | str, on: date) -> EnrolleeOn:
    """The enrollee's facts on ``on`` (UUID, ID number or card number)."""
    e = session.get(Enrollee, enrollee_id) if isinstance(enrollee_id, uuid.UUID) else get_enrollee(session, enrollee_id)
    if e is None:
        raise NotFound.one("", "enrollee", N_("No enrollee with ID number, card number or key {ref}."),
                           ref=str(enrollee_id))
    values = rules.values_on(_changes(session, "enrollee", [e.id])[e.id], rules.ENROLLEE_FIELDS, on, e)
    state, since = _account_on(session, e, on)
    return EnrolleeOn(id=e.id, on=on, account_state=state, account_state_since=since,
                      individual_account_fen=e.individual_account_fen, health_centre_id=e.health_centre_id, **values)


def dated(session: Session, rows: Iterable[T], on: date) -> list[T]:
    """Frozen copies of physician or institution rows with their dated facts
    as they were on ``on`` (one query for all of them)."""
    rows = list(rows)
    if not rows:
        return []
    entity = ENTITY_OF[type(rows[0])]
    fields = rules.FIELDS[entity]
    changes = _changes(session, entity, [r.id for r in rows])  # type: ignore[attr-defined]
    out = []
    for r in rows:
        copy = frozen(r)
        mine = changes[r.id]  # type: ignore[attr-defined]
        out.append(copy.model_copy(update=rules.values_on(mine, fields, on, r)) if mine else copy)  # type: ignore[attr-defined]
    return out


def physician_on(session: Session, physician: Physician | uuid.UUID, on: date) -> Physician:
    """The physician as on ``on``: title, still working there, directorship."""
    p = physician if isinstance(physician, Physician) else _row(session, Physician, physician, "physician_id")
    return dated(session, [p], on)[0]


def institution_on(session: Session, institution: Institution | uuid.UUID, on: date) -> Institution:
    """The institution as on ``on``: designation, level, diagnostic-hospital
    and dialysis-centre status, on record, active."""
    i = institution if isinstance(institution, Institution) else _row(session, Institution, institution, "institution_id")
    return dated(session, [i], on)[0]


def changes_of(session: Session, entity: str, entity_id: uuid.UUID) -> tuple[FactChange, ...]:
    """The recorded changes of one record, newest first (frozen copies)."""
    rows = session.exec(select(FactChange).where(FactChange.entity == entity, FactChange.entity_id == entity_id)
                        .order_by(col(FactChange.effective_from).desc(), col(FactChange.created_at).desc()))
    return tuple(frozen(r) for r in rows)


def _row(session: Session, model, key: uuid.UUID, field: str):
    obj = session.get(model, key)
    if obj is None:
        raise NotFound.one("", field, N_("No {entity} with id {id}."), entity=model.__tablename__, id=str(key))
    return obj


# --------------------------------------------------------------------------- writes


def _record(session: Session, actor: Actor, entity: str, row: Any, proposed: Sequence[Proposed], *,
            policy: Policy, today: date, source: str, enrollee_id: uuid.UUID | None) -> list[FactChange]:
    """Check every proposed change against the row's recorded changes, then
    write them all (or nothing) and bring the row's columns to today's value."""
    existing = _changes(session, entity, [row.id])[row.id]
    reasons = []
    checked = []
    fields_seen: set[tuple[str, date]] = set()
    for p in proposed:
        decision, value, spec = rules.check_change(entity, p, existing, getattr(row, p.field, None),
                                                   policy=policy, today=today)
        if (p.field, p.effective_from) in fields_seen:
            decision = Decision.of(list(decision.reasons) + [refuse("", "field", N_("{name} is named twice."),
                                                                     name=p.field)])
        fields_seen.add((p.field, p.effective_from))
        reasons += decision.refusals
        checked.append((p, value, spec))
    if not proposed:
        reasons.append(refuse("", "field", N_("Name at least one fact to change.")))
    if reasons:
        raise DomainError(reasons)
    before = audit.snapshot(row)
    written = []
    action = f"{entity}.change"
    for p, value, spec in checked:
        previous = rules.value_on(existing, spec.name, p.effective_from, getattr(row, spec.name))
        fc = FactChange(entity=entity, entity_id=row.id, enrollee_id=enrollee_id, field=spec.name,
                        value=rules.encode(spec, value), previous=rules.encode(spec, previous),
                        effective_from=p.effective_from, reason=p.reason.strip(), article=spec.article(policy),
                        source=source, recorded_by=actor.username, recorded_on=today)
        audit.created(session, actor, fc, action, reason=p.reason.strip(), article=spec.article(policy))
        existing.append(Change(spec.name, p.effective_from, value, previous))
        written.append(fc)
    for p, _value, spec in checked:
        setattr(row, spec.name, rules.value_on(existing, spec.name, today, getattr(row, spec.name)))
    if audit.snapshot(row) != before:
        first = checked[0][2]
        audit.changed(session, actor, row, before, action, reason=proposed[0].reason.strip(),
                      article=first.article(policy))
    return written


@operation("changes.change_enrollee")
def change_enrollee(session: Session, actor: Actor, enrollee: str | uuid.UUID, values: dict[str, str] | Sequence[tuple[str, str]],
                    *, on: date, reason: str, policy: Policy, today: date | None = None,
                    source: str = "counter") -> list[FactChange]:
    """Change one or more of the enrollee's facts from ``on`` (the from-date),
    for ``reason``. ``values``: field -> the new value as typed (``"true"``,
    ``"retired_city_pension"``, ``"3"``). Every refusal is gathered; nothing is
    written then."""
    actor.require("record", action=N_("change enrollee facts"))
    today = today or date.today()
    e = get_enrollee(session, enrollee)
    items = list(values.items()) if isinstance(values, dict) else list(values)
    proposed = [Proposed(f.strip(), str(v), on, reason) for f, v in items]
    return _record(session, actor, "enrollee", e, proposed, policy=policy, today=today, source=source,
                   enrollee_id=e.id)


@operation("changes.retire")
def retire(session: Session, actor: Actor, enrollee: str | uuid.UUID, *, city_pension: bool, on: date, reason: str,
           policy: Policy, today: date | None = None) -> list[FactChange]:
    """Retirement from ``on``: with a monthly pension from the city agency
    (the ground for an off-site filing as retired, SZ-MT Art. 9) or without."""
    status = Employment.RETIRED_CITY_PENSION if city_pension else Employment.RETIRED_OTHER
    return change_enrollee(session, actor, enrollee, {"employment": status.value}, on=on, reason=reason,
                           policy=policy, today=today)


@operation("changes.return_home")
def return_home(session: Session, actor: Actor, enrollee: str | uuid.UUID, *, on: date, reason: str,
                policy: Policy, today: date | None = None) -> tuple[list[FactChange], OffsiteFiling | None]:
    """Back in the city to work or settle from ``on`` (SZ-MT Art. 9(3)): no
    longer stationed elsewhere, living in the pack's city, and the active
    off-site filing cancelled with the reason, all in this transaction."""
    from core.services import offsite

    actor.require("record", action=N_("change enrollee facts"))
    today = today or date.today()
    e = get_enrollee(session, enrollee)
    now = facts_on(session, e.id, on)
    values = {}
    if now.stationed_elsewhere:
        values.update(stationed_elsewhere="false")
    if now.stationed_city:
        values.update(stationed_city="")
    if now.residence_city.casefold() != policy.pack.city.casefold():
        values.update(residence_city=policy.pack.city, residence_province="", residence_mainland="true")
        if not now.residence_province:
            del values["residence_province"]
        if now.residence_mainland:
            del values["residence_mainland"]
    filing = offsite.active_filing(session, e.id)
    if not values and filing is None:
        raise DomainError.one(policy.offsite.article_who, "enrollee",
                              N_("The enrollee is not recorded as away from {city} on {day} and has no off-site filing."),
                              city=policy.pack.city, day=on.isoformat())
    written = []
    reasons = []
    if filing is not None:
        try:
            offsite.check_return(session, actor, filing, on=on, reason=reason, policy=policy, today=today)
        except DomainError as exc:
            reasons += exc.reasons
    if values:
        try:
            written = change_enrollee(session, actor, e.id, values, on=on, reason=reason, policy=policy, today=today)
        except DomainError as exc:
            reasons += exc.reasons
    if reasons:
        raise DomainError(reasons)
    if filing is not None:
        offsite.cancel_on_return(session, actor, filing, on=on, reason=reason, policy=policy, today=today)
    return written, filing


def _change_master(session: Session, actor: Actor, entity: str, row: Any, values: dict[str, str], *, on: date,
                   reason: str, policy: Policy, today: date | None, source: str) -> list[FactChange]:
    actor.require("record", action=ACTIONS[entity])
    proposed = [Proposed(f.strip(), str(v), on, reason) for f, v in values.items()]
    return _record(session, actor, entity, row, proposed, policy=policy, today=today or date.today(),
                   source=source, enrollee_id=None)


ACTIONS = {"physician": N_("change physician facts"), "institution": N_("change institution facts")}


@operation("changes.change_physician")
def change_physician(session: Session, actor: Actor, code: str, values: dict[str, str], *, on: date, reason: str,
                     policy: Policy, today: date | None = None, source: str = "counter") -> list[FactChange]:
    """A physician's title, leaving (``active`` false) or directorship from
    ``on``; a signature is judged on the title held on the signing day
    (SZ-MD Art. 4)."""
    from core.services.registry import physician_by_code

    return _change_master(session, actor, "physician", physician_by_code(session, code), values, on=on,
                          reason=reason, policy=policy, today=today, source=source)


@operation("changes.change_institution")
def change_institution(session: Session, actor: Actor, code: str, values: dict[str, str], *, on: date, reason: str,
                       policy: Policy, today: date | None = None, source: str = "counter") -> list[FactChange]:
    """An institution's designation (or de-designation), level,
    diagnostic-hospital or dialysis-centre status from ``on`` (SZ-MD Art. 4,
    5; SZ-MT Art. 5)."""
    from core.services.lookup import institution_by_code

    return _change_master(session, actor, "institution", institution_by_code(session, code), values, on=on,
                          reason=reason, policy=policy, today=today, source=source)
