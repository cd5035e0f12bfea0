"""Free text, one rule everywhere (issue 7, item 5).

Every text a person types and casedesk stores (a reason, a detail, a note, a
seal reference, a name, an address, a branch, a local office, an agent's
details …) goes through :func:`clean`:

* normalised to Unicode NFC and trimmed;
* refused when it holds a control or escape character: C0 and C1 controls
  (NUL, ESC, BEL, CR, LF …, DEL) and the bidirectional formatting controls
  (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C) that let a text
  reorder what is shown around it;
* refused when it is longer than the model allows: a ``VARCHAR(n)`` column's
  ``n``, or a ``Text`` column's ``info["max_chars"]``. SQLite ignores
  ``VARCHAR(n)``, so the limit is checked here, before the database.

:func:`install` runs :func:`clean` on every string column of every row a
session is about to write (a ``before_flush`` listener on every session), so
every service, and every future one, gets the rule: new rows in full,
changed rows on the columns that changed. A refusal is a
:class:`~core.errors.BadInput` naming the field, raised inside the caller's
write transaction, which then rolls back whole (nothing changed). Columns
with ``info={"raw": True}`` (the audit event's JSON snapshots, written by
code) are left alone; audit events are checked but never rewritten (their
hash chain covers what was recorded).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session as OrmSession

from core.errors import BadInput
from core.i18n import N_

#: C0, DEL, C1 and the bidirectional formatting controls
FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(value: str, field: str, limit: int | None = None, *, article: str = "") -> str:
    """``value`` NFC-normalised and trimmed; BadInput naming ``field`` when it
    holds a control or escape character or is longer than ``limit``."""
    text = unicodedata.normalize("NFC", value).strip()
    if FORBIDDEN.search(text):
        raise BadInput.one(article, field, N_("{name}: control or escape characters (such as ESC, NUL or a "
                                              "direction override) are not allowed."), name=field)
    if limit is not None and len(text) > limit:
        raise BadInput.one(article, field, N_("{name}: at most {limit} characters ({length} given)."),
                           name=field, limit=limit, length=len(text))
    return text


def column_limit(column: Any) -> int | None:
    """The model's limit for a string column (None: no limit)."""
    if "max_chars" in column.info:
        return int(column.info["max_chars"])
    length = getattr(column.type, "length", None)
    return int(length) if length else None


def _text_columns(table: Any) -> list[tuple[str, int | None]]:
    out = []
    for column in table.columns:
        text_type = isinstance(column.type, String) or isinstance(getattr(column.type, "impl", None), String)
        if text_type and not column.info.get("raw"):
            out.append((column.key, column_limit(column)))
    return out


_COLUMNS: dict[Any, list[tuple[str, int | None]]] = {}


def check_row(obj: Any, *, changed_only: bool, rewrite: bool = True) -> None:
    """Clean every string column of ``obj`` (or only those changed)."""
    table = getattr(type(obj), "__table__", None)
    if table is None:
        return
    columns = _COLUMNS.get(table)
    if columns is None:
        columns = _COLUMNS[table] = _text_columns(table)
    state = inspect(obj)
    for key, limit in columns:
        if changed_only and not state.attrs[key].history.has_changes():
            continue
        value = getattr(obj, key, None)
        if not isinstance(value, str):
            continue
        cleaned = clean(value, key, limit)
        if rewrite and cleaned != value:
            setattr(obj, key, cleaned)


def _before_flush(session: Any, _context: Any, _instances: Any) -> None:
    for obj in list(session.new):
        check_row(obj, changed_only=False, rewrite=getattr(obj, "__tablename__", "") != "audit_event")
    for obj in list(session.dirty):
        check_row(obj, changed_only=True, rewrite=getattr(obj, "__tablename__", "") != "audit_event")


def install() -> None:
    """Run the rule on every flush of every session (idempotent)."""
    if not event.contains(OrmSession, "before_flush", _before_flush):
        event.listen(OrmSession, "before_flush", _before_flush)
