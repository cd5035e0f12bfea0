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
from core.models import AuditEvent, Certificate, InvestigationCase, OffsiteFiling, RecordBook


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


def _keys(session: Session, ref: str) -> tuple[str, list]:
    """(subject, where-clauses) for the record ``ref`` names."""
    from core.services.lookup import get_enrollee

    try:
        e = get_enrollee(session, ref)
    except NotFound:
        pass
    else:
        return e.name, [AuditEvent.enrollee_id == e.id, AuditEvent.entity_id == str(e.id)]
    for model, column in ((Certificate, Certificate.number), (RecordBook, RecordBook.number),
                          (InvestigationCase, InvestigationCase.number), (OffsiteFiling, OffsiteFiling.voucher_number)):
        row = session.exec(select(model).where(column == ref)).first()
        if row is not None:
            return f"{model.__tablename__} {ref}", [AuditEvent.entity_id == str(row.id)]
    try:
        key = str(uuid.UUID(ref))
    except ValueError:
        key = ref  # any other key an event names (the database file for db.restore …)
    return key, [AuditEvent.entity_id == key]


def record_history(session: Session, ref: str, *, limit: int = 500) -> History:
    ref = ref.strip()
    subject, where = _keys(session, ref)
    events = session.exec(select(AuditEvent).where(or_(*where)).order_by(AuditEvent.seq).limit(limit)).all()
    if not events:
        raise NotFound.one("", "record", N_("No enrollee or record with key {ref}."), ref=ref)
    return History(subject, tuple(Sentence(ev.seq or 0, ev.at, ev.actor, ev.actor_role, ev.action, ev.reason,
                                           ev.article) for ev in events))
