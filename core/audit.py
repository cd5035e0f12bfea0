"""Append-only audit trail: every state change, who, when, what, why, which rule.

Services call :func:`record` (or :func:`created` / :func:`changed`) in the
same session as the change, so the event commits or rolls back with it.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel, select

from core.auth import Actor
from core.models import AuditEvent

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
        reason=reason,
        article=article,
    )
    session.add(ev)
    return ev


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
