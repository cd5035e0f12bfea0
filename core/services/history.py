"""A record's history as sentences (``casedesk audit show NUMBER``).

The record is named as a caseworker knows it: an enrollee's ID or card
number, a certificate, record-book or investigation number, an off-site
voucher number, or a record key (UUID). Events are told oldest first, one
sentence each: when, who (and their role then), what they did (the action's
label, ``core.labels``), why, and the article it rests on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlmodel import Session, or_, select

from core.errors import NotFound
from core.i18n import N_, Code, translate
from core.models import AuditEvent, CentralAuditEvent, Certificate, InvestigationCase, OffsiteFiling, RecordBook


@dataclass(frozen=True)
class Sentence:
    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    reason: str
    article: str

    def text(self, lang: str = "en") -> str:
        aware = self.at if self.at.tzinfo else self.at.replace(tzinfo=timezone.utc)
        when = aware.astimezone().strftime("%Y-%m-%d %H:%M")
        did = Code("action", self.action)
        out = translate("{when}: {who} ({role}) {did}.", lang, when=when, who=self.actor,
                        role=Code("role", self.role), did=did)
        if self.reason and self.reason not in (self.action, did.text("en")):
            out += " " + translate("Reason: {reason}.", lang, reason=translate(self.reason, lang))
        if self.article:
            out += f" [{self.article}]"
        return out


@dataclass(frozen=True)
class History:
    subject: str
    sentences: tuple[Sentence, ...]


N_("{when}: {who} ({role}) {did}.")
N_("Reason: {reason}.")
N_("{n} audit events form an unbroken chain.")


def _keys(session: Session, ref: str) -> tuple[str, list[tuple[str, object]]]:
    """(subject, (column, value) pairs, any of which an event of it matches) for the record ``ref`` names."""
    from core.services.lookup import get_enrollee

    try:
        e = get_enrollee(session, ref)
    except NotFound:
        pass
    else:
        return e.name, [("enrollee_id", e.id), ("entity_id", str(e.id))]
    for model, column in ((Certificate, Certificate.number), (RecordBook, RecordBook.number),
                          (InvestigationCase, InvestigationCase.number), (OffsiteFiling, OffsiteFiling.voucher_number)):
        row = session.exec(select(model).where(column == ref)).first()
        if row is not None:
            return f"{model.__tablename__} {ref}", [("entity_id", str(row.id))]
    try:
        key = str(uuid.UUID(ref))
    except ValueError:
        key = ref  # any other key an event names (the database file for db.restore …)
    return key, [("entity_id", key)]


def _where(model, keys: list[tuple[str, object]]):
    return or_(*(getattr(model, column) == value for column, value in keys))


def record_history(session: Session, ref: str, *, limit: int = 500) -> History:
    """Oldest first. On a branch terminal the centre's events of the record
    (pulled) are told too, by time; an operation made here and applied at the
    centre is told once (the branch's event)."""
    ref = ref.strip()
    subject, keys = _keys(session, ref)
    events = list(session.exec(select(AuditEvent).where(_where(AuditEvent, keys)).order_by(AuditEvent.seq)
                               .limit(limit)).all())
    ours = {ev.op_id for ev in events if ev.op_id}  # the centre's events of the branch's own operations
    central = [ev for ev in session.exec(select(CentralAuditEvent).where(_where(CentralAuditEvent, keys))
                                         .order_by(CentralAuditEvent.at).limit(limit)).all()
               if not (ev.op_id and ev.op_id in ours)]
    if central:
        events = sorted([*events, *central], key=lambda ev: _aware(ev.at))[:limit]
    if not events:
        raise NotFound.one("", "record", N_("No enrollee or record with key {ref}."), ref=ref)
    return History(subject, tuple(Sentence(ev.seq or 0, ev.at, ev.actor, ev.actor_role, ev.action, ev.reason,
                                           ev.article) for ev in events))


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)
