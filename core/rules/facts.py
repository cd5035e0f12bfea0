"""Facts that change, judged on their date (issue 13).

An enrollee's scheme, supplementary insurance, household registration,
employment (retired with a city pension), posting elsewhere and where,
residence and disabled-serviceman grade; a physician's title, leaving and
directorship; an institution's designation, level, diagnostic-hospital and
dialysis-centre status. Each change holds from a date (``effective_from``)
with a reason; every rule reads the value **on the date it judges**
(:func:`value_on`), so a check for last March uses last March's scheme.

Pure: the changes of one record (plain :class:`Change` tuples), the current
value kept on the row, the pack and the dates in; a value or a
:class:`~core.rules.decision.Decision` out.

Readings taken:

- A change holds from its ``effective_from`` day inclusive; before the first
  recorded change of a field the value is that change's ``previous`` (what
  the row held when it was recorded); with no change the row's value holds
  for every date.
- A change is never dated after the business date (a retirement next month
  is recorded next month), so the row's value is always the value of today.
- Two changes of one field on one day are refused: the second one would
  silently undo the first; record it from the next day or correct the first
  with a new change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from core.errors import Reason
from core.i18n import N_, Code
from core.models.base import Employment, Scheme, Title
from core.policy import Policy
from core.rules.decision import Decision, refuse

ENTITIES = ("enrollee", "physician", "institution")


@dataclass(frozen=True)
class Change:
    """One recorded change of one field (a ``fact_change`` row as plain data)."""

    field: str
    effective_from: date
    value: Any
    previous: Any


@dataclass(frozen=True)
class FieldSpec:
    """A fact that may change: its type and the pack article a change rests on."""

    name: str
    kind: str  # bool | choice | int | text
    article: Callable[[Policy], str]
    choices: tuple[str, ...] = ()
    label_kind: str = ""  # core.labels kind of the stored code (scheme, employment, title)
    bounds: Callable[[Policy], tuple[int, int]] | None = None
    optional: bool = False  # "" / none clears it (disabled grade)
    max_chars: int = 64


def _who(p: Policy) -> str:
    return p.offsite.article_who


ENROLLEE_FIELDS: dict[str, FieldSpec] = {f.name: f for f in (
    FieldSpec("scheme", "choice", lambda p: p.enrolment.article_schemes, tuple(s.value for s in Scheme), "scheme"),
    FieldSpec("supplementary", "bool", lambda p: p.certificates.article_who),
    FieldSpec("city_household", "bool", _who),
    FieldSpec("employment", "choice", _who, tuple(e.value for e in Employment), "employment"),
    FieldSpec("employer", "text", lambda p: p.health_centre.article, max_chars=200),
    FieldSpec("disabled_grade", "int", lambda p: p.enrolment.article_disabled, optional=True,
              bounds=lambda p: (p.enrolment.disabled_grade_min, p.enrolment.disabled_grade_max)),
    FieldSpec("stationed_elsewhere", "bool", _who),
    FieldSpec("stationed_city", "text", _who),
    FieldSpec("residence_city", "text", _who),
    FieldSpec("residence_province", "text", _who),
    FieldSpec("residence_mainland", "bool", lambda p: p.offsite.article_mainland),
)}

PHYSICIAN_FIELDS: dict[str, FieldSpec] = {f.name: f for f in (
    FieldSpec("title", "choice", lambda p: p.certificates.signatures.article, tuple(t.value for t in Title), "title"),
    FieldSpec("active", "bool", lambda p: p.certificates.article),
    FieldSpec("department_director", "bool", lambda p: p.certificates.signatures.article),
)}

INSTITUTION_FIELDS: dict[str, FieldSpec] = {f.name: f for f in (
    FieldSpec("designated", "bool", lambda p: p.treatment.article_designated),
    FieldSpec("level", "int", lambda p: p.certificates.article_offsite, bounds=lambda p: (0, 3)),
    FieldSpec("diagnostic_hospital", "bool", lambda p: p.certificates.article),
    FieldSpec("dialysis_centre", "bool", lambda p: p.treatment.article_dialysis),
    FieldSpec("offsite_on_record", "bool", lambda p: p.certificates.article_offsite),
    FieldSpec("run_by_hospital_level", "int", lambda p: p.treatment.article_place, bounds=lambda p: (0, 3)),
    FieldSpec("active", "bool", lambda p: p.treatment.article_designated),
)}

FIELDS: dict[str, dict[str, FieldSpec]] = {
    "enrollee": ENROLLEE_FIELDS, "physician": PHYSICIAN_FIELDS, "institution": INSTITUTION_FIELDS,
}

_TRUE = {"1", "true", "yes", "y", "是"}
_FALSE = {"0", "false", "no", "n", "否"}


# --------------------------------------------------------------------------- values


def encode(spec: FieldSpec, value: Any) -> str:
    """The stored text of a typed value (``fact_change.value`` / ``previous``)."""
    if value is None:
        return ""
    if spec.kind == "bool":
        return "true" if value else "false"
    return str(value)


def decode(spec: FieldSpec, text: str) -> Any:
    """The typed value of a stored text (the inverse of :func:`encode`)."""
    if spec.kind == "bool":
        return text == "true"
    if spec.kind == "int":
        return int(text) if text != "" else (None if spec.optional else 0)
    return text


def value_on(changes: Iterable[Change], field: str, on: date, current: Any) -> Any:
    """The value of ``field`` on ``on``: the latest change from that day or
    before; before the first change its ``previous``; ``current`` (the row)
    when the field never changed."""
    mine = sorted((c for c in changes if c.field == field), key=lambda c: c.effective_from)
    if not mine:
        return current
    held = [c for c in mine if c.effective_from <= on]
    return held[-1].value if held else mine[0].previous


def values_on(changes: Sequence[Change], fields: Iterable[str], on: date, row: Any) -> dict[str, Any]:
    """Every field's value on ``on`` (``row``: the object holding today's values)."""
    return {f: value_on(changes, f, on, getattr(row, f)) for f in fields}


# --------------------------------------------------------------------------- a change


@dataclass(frozen=True)
class Proposed:
    """A change as typed: which field, the text of the new value, from when, why."""

    field: str
    value: str
    effective_from: date
    reason: str


def parse_value(spec: FieldSpec, raw: str, policy: Policy) -> tuple[Any, list[Reason]]:
    """``raw`` read as the field's type, or the reasons it cannot be."""
    art = spec.article(policy)
    text = (raw or "").strip()
    if spec.kind == "bool":
        v = text.casefold()
        if v in _TRUE:
            return True, []
        if v in _FALSE:
            return False, []
        return None, [refuse(art, spec.name, N_("{value} is not yes or no."),
                             value=text[:40])]
    if spec.kind == "choice":
        if text in spec.choices:
            return text, []
        return None, [refuse(art, spec.name, N_("{value} is not one of {allowed}."),
                             value=text[:40], allowed=", ".join(spec.choices))]
    if spec.kind == "int":
        if text in ("", "none", "-") and spec.optional:
            return None, []
        low, high = spec.bounds(policy) if spec.bounds else (0, 10**6)
        if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
            return None, [refuse(art, spec.name, N_("{value} is not a whole number from {low} to {high}."),
                                 value=text[:40], low=low, high=high)]
        return int(text), []
    if len(text) > spec.max_chars:
        return None, [refuse(art, spec.name, N_("At most {n} characters."),
                             n=spec.max_chars)]
    return text, []


def check_change(entity: str, change: Proposed, changes: Sequence[Change], current: Any, *,
                 policy: Policy, today: date) -> tuple[Decision, Any, FieldSpec | None]:
    """May ``change`` be recorded? The decision, the typed value and the
    field's spec. Refused: an unknown field, a value of the wrong type or
    outside the pack's range, a from-date after the business date, a second
    change of the field on the same day, no reason, or a value the field
    already holds on that date."""
    spec = FIELDS[entity].get(change.field)
    if spec is None:
        return Decision.of([refuse("", "field", N_("{name} is not a fact that can change; use one of {allowed}."),
                                   name=change.field[:40], allowed=", ".join(FIELDS[entity]))]), None, None
    art = spec.article(policy)
    value, reasons = parse_value(spec, change.value, policy)
    if change.effective_from > today:
        reasons.append(refuse(art, "from", N_("A change is recorded from {day} at the latest (today), not {from_}."),
                              day=today.isoformat(), from_=change.effective_from.isoformat()))
    if any(c.field == spec.name and c.effective_from == change.effective_from for c in changes):
        reasons.append(refuse(art, "from", N_("A change of {name} from {day} is already recorded."),
                              name=Code("field", spec.name), day=change.effective_from.isoformat()))
    if not change.reason.strip():
        reasons.append(refuse(art, "reason", N_("Give the reason for the change.")))
    if not reasons and value_on(changes, spec.name, change.effective_from, current) == value:
        reasons.append(refuse(art, "value", N_("{name} is already {value} on {day}."),
                              name=Code("field", spec.name), value=shown(spec, value),
                              day=change.effective_from.isoformat()))
    return Decision.of(reasons), value, spec


def shown(spec: FieldSpec, value: Any) -> Any:
    """A value as a message parameter: codes through the labels, yes/no, "-" for none."""
    if value is None or value == "":
        return "-"
    if spec.kind == "bool":
        return Code("yes_no", "yes" if value else "no")
    if spec.label_kind:
        return Code(spec.label_kind, value)
    return value
