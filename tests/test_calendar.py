"""Working-day deadlines (SZ-MT Art. 14-15; RULES.md §11 national calendar)."""

from __future__ import annotations

import time
import tomllib
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendar import CalendarDataError, Deadline, WorkingCalendar, default_calendar
from core.paths import data_dir


def _d(mmdd: str, year: int = 2026) -> date:
    return date.fromisoformat(f"{year}-{mmdd}")


# RULES.md §11, typed in from the spec (not read from data/calendar/2026.toml).
RULES_2026_HOLIDAYS = {
    _d(x)
    for x in [
        "01-01", "01-02", "02-16", "02-17", "02-18", "02-19", "02-20", "02-23", "04-06",
        "05-01", "05-04", "05-05", "06-19", "09-25", "10-01", "10-02", "10-05", "10-06", "10-07",
    ]
}
RULES_2026_WORKDAYS = {_d(x) for x in ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"]}


def oracle_is_working(d: date) -> tuple[bool, bool]:
    """Naive reference: spec list for 2026, chinese_calendar before, weekends after."""
    if d.year == 2026:
        return d in RULES_2026_WORKDAYS or (d.weekday() < 5 and d not in RULES_2026_HOLIDAYS), True
    try:
        return chinese_calendar.is_workday(d), True
    except NotImplementedError:
        return d.weekday() < 5, False


def oracle_add(start: date, n: int) -> Deadline:
    d, provisional = start, False
    while n > 0:
        d += timedelta(days=1)
        working, known = oracle_is_working(d)
        provisional = provisional or not known
        n -= working
    return Deadline(d, provisional)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return default_calendar()


# -- SZ-MT Art. 14: come within 10 working days of the notice -----------------


def test_sz_mt_art14_notice_on_mid_autumn_plus_10_working_days(cal: WorkingCalendar) -> None:
    # 09-25 holiday; 10-01..07 off; Saturday 10-10 is a make-up working day.
    assert cal.add_working_days(date(2026, 9, 25), 10) == Deadline(date(2026, 10, 15), False)


def test_sz_mt_art14_notice_on_sunday_plus_10_working_days(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(date(2026, 11, 22), 10) == Deadline(date(2026, 12, 4), False)


def test_sz_mt_art14_year_without_data_is_provisional(cal: WorkingCalendar) -> None:
    result = cal.add_working_days(date(2031, 3, 2), 10)
    assert result.provisional is True
    assert result.due == date(2031, 3, 14)  # Sunday start; weekdays 03-03..07 and 03-10..14
    assert str(result) == "2031-03-14 (provisional)"


def test_sz_mt_art14_span_into_uncovered_year_is_provisional(cal: WorkingCalendar) -> None:
    if cal.is_known(date(2027, 1, 1)):
        pytest.skip("2027 data now available")
    assert cal.add_working_days(date(2026, 12, 28), 10).provisional is True


def test_sz_mt_art14_span_inside_covered_years_is_not_provisional(cal: WorkingCalendar) -> None:
    # Wed 2025-12-24: 12-25,26,29,30,31 (5); 01-01/02 off; Sun 01-04 make-up (6); 01-05..08 (10).
    result = cal.add_working_days(date(2025, 12, 24), 10)
    assert result == Deadline(date(2026, 1, 8), False)
    assert str(result) == "2026-01-08"


def test_rules_s11_make_up_saturday_counts_and_holiday_monday_does_not(cal: WorkingCalendar) -> None:
    assert date(2026, 10, 10).weekday() == 5
    assert cal.is_working_day(date(2026, 10, 10)) == (True, True)
    assert date(2026, 10, 5).weekday() == 0
    assert cal.is_working_day(date(2026, 10, 5)) == (False, True)
    assert cal.is_working_day(date(2031, 1, 1)) == (True, False)  # weekday guess, flagged unknown


def test_start_day_is_not_counted_and_zero_days_is_start(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(date(2026, 6, 1), 1).due == date(2026, 6, 2)  # Mon -> Tue
    assert cal.add_working_days(date(2026, 6, 1), 0) == Deadline(date(2026, 6, 1), False)
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 6, 1), -1)


def test_add_calendar_days(cal: WorkingCalendar) -> None:
    # SZ-MT Art. 15: verification within 90 days of suspension.
    assert cal.add_calendar_days(date(2026, 7, 3), 90) == Deadline(date(2026, 10, 1), False)
    rolled = cal.add_calendar_days(date(2026, 7, 3), 90, roll_to_working_day=True)
    assert rolled == Deadline(date(2026, 10, 8), False)


# -- properties against a naive reference ------------------------------------

starts = st.dates(min_value=date(2004, 1, 1), max_value=date(2034, 12, 31))


@settings(max_examples=300)
@given(starts, st.integers(min_value=0, max_value=300))
def test_sz_mt_art14_add_working_days_matches_naive_reference(start: date, n: int) -> None:
    assert default_calendar().add_working_days(start, n) == oracle_add(start, n)


@given(starts, st.integers(min_value=1, max_value=300))
def test_due_is_a_working_day_and_round_trips(start: date, n: int) -> None:
    cal = default_calendar()
    due = cal.add_working_days(start, n).due
    assert due > start
    assert cal.is_working_day(due)[0]
    assert cal.working_days_between(start, due) == n
    assert cal.working_days_between(due, start) == -n
    assert cal.add_working_days(start, n + 1).due > due


@given(starts, starts)
def test_working_days_between_matches_naive_count(a: date, b: date) -> None:
    lo, hi = sorted((a, b))
    if (hi - lo).days > 800:
        hi = lo + timedelta(days=800)
    expected = sum(oracle_is_working(lo + timedelta(i))[0] for i in range(1, (hi - lo).days + 1))
    assert default_calendar().working_days_between(lo, hi) == expected


def test_worklist_speed(cal: WorkingCalendar) -> None:
    t0 = time.perf_counter()
    for i in range(20_000):
        cal.add_working_days(date(2024, 1, 1) + timedelta(days=i % 1500), 10 + i % 20)
    assert time.perf_counter() - t0 < 2.0


# -- override files -----------------------------------------------------------


def test_packaged_2026_override_matches_rules_s11() -> None:
    raw = tomllib.loads((data_dir() / "calendar" / "2026.toml").read_text(encoding="utf-8"))
    assert raw["year"] == 2026
    assert set(raw["holidays"]) == RULES_2026_HOLIDAYS
    assert set(raw["workdays"]) == RULES_2026_WORKDAYS
    assert raw["source"]


@pytest.mark.parametrize("path", sorted((data_dir() / "calendar").glob("*.toml")), ids=lambda p: p.name)
def test_override_agrees_with_chinese_calendar_where_both_cover(path: Path) -> None:
    """Not a correctness requirement (the file wins), but a disagreement needs a human look."""
    cal = WorkingCalendar(path.parent)
    year = int(path.stem)
    day = date(year, 1, 1)
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        pytest.skip(f"chinese_calendar has no data for {year}")
    while day.year == year:
        assert cal.is_working_day(day)[0] == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def _write(dir_: Path, year: int, body: str) -> None:
    (dir_ / f"{year}.toml").write_text(f"year = {year}\nsource = \"test\"\n{body}\n", encoding="utf-8")


def test_override_file_wins_over_library(tmp_path: Path) -> None:
    _write(tmp_path, 2026, "holidays = [2026-03-02]\nworkdays = []")
    cal = WorkingCalendar(tmp_path)
    assert cal.is_working_day(date(2026, 3, 2)) == (False, True)
    assert cal.is_working_day(date(2026, 10, 5)) == (True, True)  # library's holiday replaced
    assert cal.is_working_day(date(2026, 10, 10)) == (False, True)  # weekend, no make-up listed
    assert cal.source(2026) == "test"


def test_override_makes_future_year_known(tmp_path: Path) -> None:
    _write(tmp_path, 2031, "holidays = [2031-01-01]\nworkdays = [\"2031-01-04\"]")
    cal = WorkingCalendar(tmp_path)
    assert cal.is_working_day(date(2031, 1, 1)) == (False, True)
    assert cal.is_working_day(date(2031, 1, 4)) == (True, True)  # Saturday make-up
    assert cal.add_working_days(date(2030, 12, 31), 2) == Deadline(date(2031, 1, 3), False)
    assert cal.add_working_days(date(2031, 12, 30), 2).provisional is True  # 2032 unknown


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("2027", "year = 2028\nholidays = []\nworkdays = []"),
        ("2027", "year = 2027\nholidays = [2028-01-03]"),
        ("2027", "year = 2027\nholidays = [2027-01-02]"),  # Saturday
        ("2027", "year = 2027\nworkdays = [2027-01-04]"),  # Monday
        ("2027", "year = 2027\nholidays = [\"not a date\"]"),
        ("2027", "year = \"2027\""),
        ("2027", "year = 2027\nholidays = ["),
    ],
)
def test_malformed_override_is_rejected(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CalendarDataError):
        WorkingCalendar(tmp_path)


def test_missing_override_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        WorkingCalendar(tmp_path / "nope")


def test_library_only_calendar_knows_2004_to_2026() -> None:
    cal = WorkingCalendar()
    assert cal.is_known(date(2004, 6, 1)) and cal.is_known(date(2026, 6, 1))
    assert not cal.is_known(date(2003, 6, 1))
