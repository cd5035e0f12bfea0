"""Append-only audit trail: every state change, who, when, what, why, which rule.

Services call :func:`record` (or :func:`created` / :func:`changed`) in the
same session as the change, so the event commits or rolls back with it.

The trail is a hash chain (tamper evidence, issue 9): when a session flushes
new events, :func:`_chain_new_events` takes the chain head *inside the
transaction that writes them* (SQLite: the write lock ``BEGIN IMMEDIATE``
already holds; PostgreSQL: a transaction-scoped advisory lock) and gives each
event the next sequence number and ``hash = sha256(previous hash + canonical
JSON of the event)``. The unique index on ``seq`` makes a collision fail
loudly rather than fork the chain. :func:`verify` walks the chain and names
the first event that does not fit; :func:`head` is the value to keep outside
the database so that ``verify(against=...)`` also catches a rewritten or
truncated tail.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.orm import Session as _SASession
from sqlmodel import Session, SQLModel, select

from core.auth import Actor
from core.errors import Reason
from core.i18n import N_
from core.models import AuditEvent
from core.sync import context as op_context

GENESIS = "0" * 64
_PENDING = "casedesk_audit_pending"
# any constant: the key of the PostgreSQL advisory lock that orders the chain
_PG_CHAIN_LOCK = 0x63617365_6465736B

SKIP = {"version", "created_at", "updated_at"}


def _plain(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def snapshot(obj: SQLModel) -> dict[str, Any]:
    """Column values of a row, JSON-ready."""
    out = {}
    for col in obj.__table__.columns:  # type: ignore[attr-defined]
        if col.key in SKIP:
            continue
        out[col.key] = _plain(getattr(obj, col.key, None))
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    entity: str,
    entity_id: Any,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    article: str = "",
    enrollee_id: uuid.UUID | None = None,
) -> AuditEvent:
    ev = AuditEvent(
        actor=actor.username,
        actor_role=str(actor.role),
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        enrollee_id=enrollee_id,
        before=json.dumps(before or {}, ensure_ascii=False, sort_keys=True),
        after=json.dumps(after or {}, ensure_ascii=False, sort_keys=True),
        reason=reason.strip() or step_name(action),
        article=article,
    )
    op = op_context.current()
    if op is not None:  # made at a branch as an operation, or applied at the centre (issue 11)
        ev.op_id, ev.branch = op.op_id, op.branch
    session.add(ev)
    session.info.setdefault(_PENDING, []).append(ev)
    return ev


def step_name(action: str) -> str:
    """The reason recorded when the rules ask for none: the step's own name."""
    from core.labels import LABELS

    return LABELS.get("action", {}).get(action, action)


def _enrollee_of(obj: SQLModel) -> uuid.UUID | None:
    if obj.__tablename__ == "enrollee":  # type: ignore[attr-defined]
        return obj.id  # type: ignore[attr-defined]
    return getattr(obj, "enrollee_id", None)


def created(session: Session, actor: Actor, obj: SQLModel, action: str, *, reason: str = "",
            article: str = "") -> AuditEvent:
    """Add ``obj`` and record its creation."""
    session.add(obj)
    return record(session, actor, action, entity=obj.__tablename__, entity_id=obj.id,  # type: ignore[attr-defined]
                  before={}, after=snapshot(obj), reason=reason, article=article,
                  enrollee_id=_enrollee_of(obj))


def changed(session: Session, actor: Actor, obj: SQLModel, before: dict[str, Any], action: str, *,
            reason: str = "", article: str = "") -> AuditEvent:
    """Record an update of ``obj`` from the ``before`` snapshot; bumps ``updated_at``."""
    from core.models import utcnow

    if hasattr(obj, "updated_at"):
        obj.updated_at = utcnow()  # type: ignore[attr-defined]
    session.add(obj)
    b, a = diff(before, snapshot(obj))
    return record(session, actor, action, entity=obj.__tablename__, entity_id=obj.id,  # type: ignore[attr-defined]
                  before=b, after=a, reason=reason, article=article, enrollee_id=_enrollee_of(obj))


def history(session: Session, *, entity: str | None = None, entity_id: Any = None,
            enrollee_id: uuid.UUID | None = None, limit: int = 200) -> list[AuditEvent]:
    q = select(AuditEvent)
    if entity:
        q = q.where(AuditEvent.entity == entity)
    if entity_id is not None:
        q = q.where(AuditEvent.entity_id == str(entity_id))
    if enrollee_id is not None:
        q = q.where(AuditEvent.enrollee_id == enrollee_id)
    return list(session.exec(q.order_by(AuditEvent.at.desc()).limit(limit)))  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the hash chain


def _utc_text(at: datetime) -> str:
    aware = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(ev: AuditEvent) -> bytes:
    """The event's content as canonical JSON (sorted keys, no spaces, UTF-8).
    Every column except ``hash`` is covered, ``seq`` included."""
    content = {
        "id": str(ev.id),
        "seq": ev.seq,
        "at": _utc_text(ev.at),
        "actor": ev.actor,
        "actor_role": ev.actor_role,
        "action": ev.action,
        "entity": ev.entity,
        "entity_id": ev.entity_id,
        "enrollee_id": str(ev.enrollee_id) if ev.enrollee_id else None,
        "before": ev.before,
        "after": ev.after,
        "reason": ev.reason,
        "article": ev.article,
    }
    op_id = getattr(ev, "op_id", None)  # migration 0005 chains rows of its own time, which have none
    if op_id is not None:  # covered when set; events from before issue 11 hash as they did
        content["op_id"], content["branch"] = str(op_id), ev.branch
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def link_hash(prev_hash: str, ev: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(ev)).hexdigest()


def _chain_head(connection) -> tuple[int, str]:
    """(seq, hash) of the newest event, under the chain's write lock."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_CHAIN_LOCK})
    row = connection.execute(
        text("SELECT seq, hash FROM audit_event WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
    ).first()
    return (int(row[0]), row[1]) if row else (0, GENESIS)


def _chain_new_events(session: _SASession, _flush_context, _instances) -> None:
    new = [o for o in session.new if isinstance(o, AuditEvent) and o.seq is None]
    if not new:
        return
    pending = session.info.get(_PENDING, [])
    order = {id(ev): i for i, ev in enumerate(pending)}
    new.sort(key=lambda ev: (order.get(id(ev), len(order)), ev.at))
    seq, prev = _chain_head(session.connection())
    for ev in new:
        seq += 1
        ev.seq = seq
        ev.hash = link_hash(prev, ev)
        prev = ev.hash
    session.info[_PENDING] = [ev for ev in pending if ev.seq is None]


def _forget_pending(session: _SASession, *_args) -> None:
    session.info.pop(_PENDING, None)


sa_event.listen(_SASession, "before_flush", _chain_new_events)
sa_event.listen(_SASession, "after_commit", _forget_pending)
sa_event.listen(_SASession, "after_rollback", _forget_pending)


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, value: str) -> "Head":
        seq, sep, digest = value.strip().partition(":")
        digest = digest.lower()
        if not sep or not seq.isdigit() or len(digest) != 64 or set(digest) - set("0123456789abcdef"):
            from core.errors import DomainError

            raise DomainError.one("", "against", N_("A kept head looks like SEQUENCE:HASH (the output of `casedesk audit head`)."))
        return cls(int(seq), digest)


@dataclass
class Verification:
    ok: bool = True
    events: int = 0
    head: Head = field(default_factory=lambda: Head(0, GENESIS))
    problems: list[Reason] = field(default_factory=list)

    def fail(self, msgid: str, **params: Any) -> None:
        self.ok = False
        self.problems.append(Reason("", "audit", msgid, params))


def head(session: Session) -> Head:
    """The newest event's sequence number and hash (keep it outside the database)."""
    row = session.execute(text("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")).first()
    return Head(int(row[0]), row[1]) if row else Head(0, GENESIS)


def verify(session: Session, *, against: Head | None = None, batch: int = 2000) -> Verification:
    """Walk the chain from the first event; stop at the first one that does
    not fit (a gap in the sequence, or content/link that no longer hashes to
    its stored value). ``against``: a head kept outside the database; the
    event with that number must still be there with that hash."""
    result = Verification()
    prev, expected, kept_hash = GENESIS, 1, None
    last = 0
    while True:
        rows = list(session.exec(select(AuditEvent).where(AuditEvent.seq > last)  # type: ignore[operator]
                                 .order_by(AuditEvent.seq).limit(batch)))
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected:
                result.fail(N_("Audit event {seq} is missing: the trail jumps from {before} to {seq_found}."),
                            seq=expected, before=expected - 1, seq_found=ev.seq)
                return result
            if link_hash(prev, ev) != ev.hash:
                result.fail(N_("Audit event {seq} ({action} by {actor}, {at}) does not fit the chain: it or its "
                               "predecessor was changed after it was written."),
                            seq=ev.seq, action=ev.action, actor=ev.actor, at=_utc_text(ev.at)[:19])
                return result
            if against is not None and ev.seq == against.seq:
                kept_hash = ev.hash
            prev, expected, last = ev.hash, expected + 1, ev.seq
            result.events += 1
            session.expunge(ev)
    result.head = Head(last, prev)
    if against is not None:
        if against.seq > last:
            result.fail(N_("The trail ends at event {last}, but the kept head is event {seq}: "
                           "events were removed from the end."), last=last, seq=against.seq)
        elif against.seq > 0 and kept_hash != against.hash:
            result.fail(N_("Audit event {seq} differs from the kept head: history up to it was rewritten."),
                        seq=against.seq)
    return result


def replay_mismatches(session: Session, entity: str, model: type[SQLModel]) -> list[Reason]:
    """Rows of ``entity`` whose current values are not what their audit events
    say (a write that went round the services, e.g. ``sqlite3``)."""
    events: dict[str, dict[str, Any]] = {}
    for ev in session.exec(select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.seq)):
        state = events.setdefault(ev.entity_id, {})
        state.update(json.loads(ev.after or "{}"))
    out = []
    for row in session.exec(select(model)):
        seen = snapshot(row)
        key = getattr(row, "username", None) or str(row.id)  # type: ignore[attr-defined]
        state = events.get(str(row.id))  # type: ignore[attr-defined]
        if state is None:
            out.append(Reason("", entity, N_("{entity} {key} has no audit event: it was written round casedesk."),
                              {"entity": entity, "key": key}))
            continue
        for k, v in state.items():
            if k in seen and seen[k] != v:
                out.append(Reason("", entity, N_("{entity} {key}: {field} is {now} but its audit trail says {then}."),
                                  {"entity": entity, "key": key, "field": k, "now": seen[k], "then": v}))
                break
    return out
