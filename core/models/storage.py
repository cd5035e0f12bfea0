"""Compact column representations (issue 10 item 2; migration 0008_compact_expense).

The expense table is the big one (about 200M rows a year for Shenzhen), so
its columns are stored small while Python keeps seeing the usual values:

``LocalEpoch``  a naive local clock time as whole seconds since 1970-01-01
                read as if it were UTC (the monitoring scan counts local
                months; no zone arithmetic is ever done on it). BIGINT on every
                dialect, so the same integers travel through COPY, the hand SQL
                and the scan; 4 bytes in a SQLite record until 2038.
``UTCEpoch``    an aware UTC moment as whole seconds since the epoch.
``Code``        a ``StrEnum`` stored as a small integer; the code table is
                fixed here (append only: a stored code never changes meaning).

Comparisons in SQL bind through the same types, so
``X.c.occurred_at >= datetime(2026, 10, 1)`` and ``X.c.visit_kind == "emergency"``
work unchanged.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timezone
from typing import Any, Mapping

from sqlalchemy import BigInteger, SmallInteger
from sqlalchemy.types import TypeDecorator

def local_epoch(value: datetime | date) -> int:
    """Whole seconds of a naive local time (or a date's midnight), read as UTC."""
    return calendar.timegm(value.timetuple())  # a date: its midnight


def from_local_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(int(seconds), timezone.utc).replace(tzinfo=None)


def utc_epoch(value: datetime) -> int:
    if value.tzinfo is None:  # naive values are UTC by the project's convention (core.models.base.utcnow)
        return calendar.timegm(value.timetuple())
    return int(value.timestamp())


class LocalEpoch(TypeDecorator):
    """Naive local ``datetime`` <-> BIGINT seconds (see module doc)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> int | None:
        if value is None or isinstance(value, int):
            return value
        return local_epoch(value)

    def process_result_value(self, value: Any, dialect) -> datetime | None:
        return None if value is None else from_local_epoch(value)


class UTCEpoch(TypeDecorator):
    """Aware UTC ``datetime`` <-> BIGINT seconds."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> int | None:
        if value is None or isinstance(value, int):
            return value
        return utc_epoch(value)

    def process_result_value(self, value: Any, dialect) -> datetime | None:
        return None if value is None else datetime.fromtimestamp(int(value), timezone.utc)


class Code(TypeDecorator):
    """A string value stored as its small integer code."""

    impl = SmallInteger
    cache_ok = True

    def __init__(self, codes: Mapping[str, int]) -> None:
        super().__init__()
        self.codes = tuple(sorted(codes.items(), key=lambda kv: kv[1]))  # hashable for the statement cache
        self._to_code = dict(self.codes)
        self._to_value = {c: v for v, c in self.codes}

    def process_bind_param(self, value: Any, dialect) -> int | None:
        if value is None or isinstance(value, int):
            return value
        try:
            return self._to_code[str(value)]
        except KeyError:
            raise ValueError(f"no storage code for {value!r}") from None

    def process_result_value(self, value: Any, dialect) -> str | None:
        return None if value is None else self._to_value[int(value)]

    def code(self, value: str) -> int:
        return self._to_code[value]

    def sql_case(self, column: str) -> str:
        """``CASE column WHEN 'value' THEN code … END`` (the migration's conversion)."""
        whens = " ".join(f"WHEN '{v}' THEN {c}" for v, c in self.codes)
        return f"CASE {column} {whens} END"

    def sql_uncase(self, column: str) -> str:
        whens = " ".join(f"WHEN {c} THEN '{v}'" for v, c in self.codes)
        return f"CASE {column} {whens} END"


#: storage codes of core.models.base.VisitKind / Settlement (append only)
VISIT_KIND_CODES: dict[str, int] = {
    "general_outpatient": 1,
    "major_disease_outpatient": 2,
    "emergency": 3,
    "inpatient": 4,
    "pharmacy": 5,
}
SETTLEMENT_CODES: dict[str, int] = {"bookkeeping": 0, "cash": 1}
