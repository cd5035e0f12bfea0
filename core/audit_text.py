"""Audit events as sentences a caseworker reads (the history screen, issue 8).

``2026-12-01 Li Ming confirmed the certificate C-2026-...`` rather than
``certificate.confirm certificate 3f2c...``: the action through its label
(``core.labels``, shared with ``core.services.history``), the record by its
number, the actor by the name the caseworker table holds. Field names and stored codes in the before/after
change go through :mod:`core.labels`; record keys (UUIDs) are not shown.
The reason stays as it was typed.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from sqlmodel import Session, col, select

from core.i18n import N_, Code, translate
from core.models import AuditEvent, Caseworker, Certificate, InvestigationCase, OffsiteFiling, RecordBook

#: a before/after key -> the label table of its values
VALUE_KINDS: dict[str, dict[str, str]] = {
    "status": {"certificate": "certificate_status", "record_book": "book_status",
               "investigation_case": "case_status", "offsite_filing": "filing_status"},
    "scheme": {"": "scheme"},
    "account_state": {"": "account_state"},
    "employment": {"": "employment"},
    "role": {"": "role"},
    "branch": {"": "branch"},
    "applicant": {"": "applicant"},
    "basis": {"": "filing_basis"},
    "outcome": {"": "case_outcome"},
    "residence_city": {"": "city"},
    "place_city": {"": "city"},
    "place_province": {"": "province"},
    "specialty": {"": "specialty"},
    "title": {"": "title"},
}

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def _changes(ev: AuditEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    return json.loads(ev.before or "{}"), json.loads(ev.after or "{}")


#: entity -> (table, the column that holds the number a caseworker knows it by)
NUMBERED = {
    "certificate": (Certificate, "number"),
    "record_book": (RecordBook, "number"),
    "investigation_case": (InvestigationCase, "number"),
    "offsite_filing": (OffsiteFiling, "voucher_number"),
}


def record_numbers(session: Session, events: list[AuditEvent]) -> dict[str, str]:
    """entity_id -> the record's number, for the events about numbered records."""
    out: dict[str, str] = {}
    for entity, (table, column) in NUMBERED.items():
        keys = set()
        for ev in events:
            if ev.entity == entity:
                try:
                    keys.add(uuid.UUID(ev.entity_id))
                except ValueError:
                    continue
        if keys:
            for row in session.exec(select(table).where(col(table.id).in_(keys))):
                if getattr(row, column):
                    out[str(row.id)] = getattr(row, column)
    return out


def record_number(ev: AuditEvent, numbers: dict[str, str] | None = None) -> str:
    """The number of the record the event is about (empty when it has none)."""
    if numbers and ev.entity_id in numbers:
        return numbers[ev.entity_id]
    before, after = _changes(ev)
    for key in ("number", "voucher_number", "new_number"):
        value = after.get(key) or before.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def what(ev: AuditEvent, lang: str, numbers: dict[str, str] | None = None) -> str:
    """``confirmed the certificate C-2026-... (SZ-MD Art. 4)`` in ``lang``: the
    action's label (``core.labels``, as ``casedesk audit show`` tells it), the
    record's number, the article."""
    number = record_number(ev, numbers)
    text = Code("action", ev.action).text(lang)
    if number:
        text = translate(N_("{did} {number}"), lang, did=text, number=number)
    if ev.article:
        text = translate(N_("{text} ({article})"), lang, text=text, article=ev.article)
    return text


def why(ev: AuditEvent, lang: str) -> str:
    """The reason as typed; one casedesk wrote itself (the action's own label,
    a catalogue msgid) in ``lang``, and none when it only repeats the action."""
    reason = ev.reason or ""
    if reason in (ev.action, Code("action", ev.action).text("en")):
        return ""
    return translate(reason, lang) if reason else ""


def value_text(entity: str, key: str, value: Any, lang: str) -> str:
    """A stored value as shown: codes through their labels, record keys hidden."""
    if value is None or value == "":
        return "-"
    kinds = VALUE_KINDS.get(key)
    if kinds:
        kind = kinds.get(entity) or kinds.get("")
        if kind:
            return Code(kind, str(value)).text(lang)
    if isinstance(value, bool):
        return Code("yes_no", "yes" if value else "no").text(lang)
    return str(value)


def changed_fields(ev: AuditEvent, lang: str) -> list[tuple[str, str, str]]:
    """(field, before, after) of one event, labelled; record keys left out."""
    before, after = _changes(ev)
    rows = []
    for key in sorted(set(before) | set(after)):
        if key == "id" or key.endswith("_id") or any(isinstance(v, str) and _UUID.match(v)
                                                     for v in (before.get(key), after.get(key))):
            continue
        rows.append((Code("field", key).text(lang), value_text(ev.entity, key, before.get(key), lang),
                     value_text(ev.entity, key, after.get(key), lang)))
    return rows


def actor_names(session: Session, usernames: set[str]) -> dict[str, str]:
    """username -> the name the caseworker table holds (the username when none)."""
    if not usernames:
        return {}
    rows = session.exec(select(Caseworker).where(col(Caseworker.username).in_(usernames)))
    return {c.username: (c.display_name or c.username) for c in rows}
