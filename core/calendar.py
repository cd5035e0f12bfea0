"""Working-day calendar for deadlines (RULES.md §11; SZ-MT Art. 14-15).

Weekends and statutory holidays are off; weekend make-up days (调休) are on.
Sources, per year, first match wins:

1. an override file ``<overrides_dir>/<year>.toml`` (``year``, ``holidays``,
   ``workdays``, ``source``) — it replaces the library's data for that year;
2. the ``chinese_calendar`` package;
3. nothing: weekends only, and every result touching the year is marked
   *provisional*, never silently presented as exact.
"""

from __future__ import annotations

import tomllib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import chinese_calendar

from core.paths import data_dir

__all__ = [
    "CalendarDataError",
    "Deadline",
    "WorkingCalendar",
    "default_calendar",
]


class CalendarDataError(ValueError):
    """An override file is malformed or contradicts itself."""


@dataclass(frozen=True)
class Deadline:
    """A due date; ``provisional`` when the span crosses a year with no data."""

    due: date
    provisional: bool

    def __str__(self) -> str:
        return self.due.isoformat() + (" (provisional)" if self.provisional else "")


@dataclass(frozen=True)
class _Year:
    """One year's working days as sorted day-of-year indices (Jan 1 = 0)."""

    first: date
    working: tuple[int, ...]
    known: bool
    source: str


def _as_date(value: Any, field: str, path: Path) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarDataError(f"{path}: {field} entry {value!r} is not a date")


def _load_override(path: Path) -> tuple[int, frozenset[date], frozenset[date], str]:
    """Parse and check one override file; returns (year, holidays, workdays, source)."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise CalendarDataError(f"{path}: not valid TOML: {exc}") from exc
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise CalendarDataError(f"{path}: 'year' must be an integer")
    if path.stem != str(year):
        raise CalendarDataError(f"{path}: file name does not match year = {year}")
    lists: dict[str, frozenset[date]] = {}
    for field in ("holidays", "workdays"):
        entries = raw.get(field, [])
        if not isinstance(entries, list):
            raise CalendarDataError(f"{path}: '{field}' must be a list of dates")
        days = frozenset(_as_date(v, field, path) for v in entries)
        for d in sorted(days):
            if d.year != year:
                raise CalendarDataError(f"{path}: {field} date {d} is not in {year}")
            weekend = d.weekday() >= 5
            if field == "holidays" and weekend:
                raise CalendarDataError(f"{path}: holiday {d} is a weekend day (list weekdays only)")
            if field == "workdays" and not weekend:
                raise CalendarDataError(f"{path}: make-up workday {d} is not a weekend day")
        lists[field] = days
    source = raw.get("source", "")
    if not isinstance(source, str):
        raise CalendarDataError(f"{path}: 'source' must be a string")
    return year, lists["holidays"], lists["workdays"], source or str(path)


def _library_is_workday(d: date) -> bool | None:
    """chinese_calendar's answer, or None when it has no data for the year."""
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        return None


class WorkingCalendar:
    """Working-day arithmetic with per-year memoisation."""

    def __init__(self, overrides_dir: Path | None = None) -> None:
        self._overrides: dict[int, tuple[frozenset[date], frozenset[date], str]] = {}
        self._years: dict[int, _Year] = {}
        if overrides_dir is not None:
            overrides_dir = Path(overrides_dir)
            if not overrides_dir.is_dir():
                raise FileNotFoundError(f"calendar override directory not found: {overrides_dir}")
            for path in sorted(overrides_dir.glob("*.toml")):
                year, holidays, workdays, source = _load_override(path)
                self._overrides[year] = (holidays, workdays, source)

    # -- per-year data -------------------------------------------------------

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            cached = self._years[year] = self._build_year(year)
        return cached

    def _build_year(self, year: int) -> _Year:
        first = date(year, 1, 1)
        days = [first + timedelta(i) for i in range((date(year + 1, 1, 1) - first).days)]
        override = self._overrides.get(year)
        if override is not None:
            holidays, workdays, source = override
            flags = [d in workdays or (d.weekday() < 5 and d not in holidays) for d in days]
            known = True
        elif _library_is_workday(first) is not None:
            flags = [bool(chinese_calendar.is_workday(d)) for d in days]
            source, known = f"chinese_calendar {getattr(chinese_calendar, '__version__', '')}".strip(), True
        else:
            flags = [d.weekday() < 5 for d in days]
            source, known = "weekends only (no holiday data)", False
        return _Year(first, tuple(i for i, on in enumerate(flags) if on), known, source)

    # -- queries -------------------------------------------------------------

    def is_known(self, d: date) -> bool:
        """True if holiday data (override or library) covers ``d``'s year."""
        return self._year(d.year).known

    def source(self, year: int) -> str:
        """Where the year's data comes from (for display and audit)."""
        return self._year(year).source

    def is_working_day(self, d: date) -> tuple[bool, bool]:
        """``(working, known)``; ``known`` is False for a weekends-only guess."""
        y = self._year(d.year)
        idx = (d - y.first).days
        pos = bisect_left(y.working, idx)
        return pos < len(y.working) and y.working[pos] == idx, y.known

    def span_known(self, a: date, b: date) -> bool:
        """True if every year from ``a`` to ``b`` (either order) has data."""
        lo, hi = sorted((a.year, b.year))
        return all(self._year(year).known for year in range(lo, hi + 1))

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The ``n``-th working day after ``start`` (``start`` not counted).

        ``n == 0`` returns ``start``. Provisional if any year in the counted
        span has no holiday data.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        if n == 0:
            return Deadline(start, provisional=False)
        remaining, provisional = n, False
        y = self._year(start.year)
        after = (start - y.first).days  # count working days with index > after
        while True:
            pos = bisect_right(y.working, after)
            available = len(y.working) - pos
            if available:
                provisional = provisional or not y.known
            if remaining <= available:
                return Deadline(y.first + timedelta(y.working[pos + remaining - 1]), provisional)
            remaining -= available
            y = self._year(y.first.year + 1)
            after = -1

    def add_calendar_days(self, start: date, n: int, *, roll_to_working_day: bool = False) -> Deadline:
        """``start + n`` days; optionally moved forward to a working day.

        Provisional only when rolling had to use a year without data.
        """
        due = start + timedelta(days=n)
        if not roll_to_working_day:
            return Deadline(due, provisional=False)
        working, known = self.is_working_day(due)
        if working:
            return Deadline(due, provisional=not known)
        nxt = self.add_working_days(due, 1)
        return Deadline(nxt.due, provisional=nxt.provisional or not known)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days ``d`` with ``a < d <= b``; negative if ``b < a``.

        So ``working_days_between(s, add_working_days(s, n).due) == n``. Use
        :meth:`span_known` to learn whether the count is provisional.
        """
        if b < a:
            return -self.working_days_between(b, a)
        total, year = 0, a.year
        after = (a - date(year, 1, 1)).days
        while True:
            y = self._year(year)
            if year == b.year:
                return total + bisect_right(y.working, (b - y.first).days) - bisect_right(y.working, after)
            total += len(y.working) - bisect_right(y.working, after)
            year, after = year + 1, -1


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """The calendar with the packaged overrides (``data/calendar``)."""
    return WorkingCalendar(data_dir() / "calendar")
