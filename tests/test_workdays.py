"""Working-day arithmetic: the 2025-2026 Vietnamese calendar, and properties that hold for any calendar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.workdays import (
    DEFAULT_CALENDAR,
    VN_PUBLIC_HOLIDAYS,
    VN_WORKING_WEEKENDS,
    HolidayCalendar,
    calendar_from,
)

CAL = DEFAULT_CALENDAR
PLAIN = HolidayCalendar()


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- the built-in Vietnamese calendar ---------------------------------------------------------

@pytest.mark.parametrize("day", ["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20"])
def test_tet_binh_ngo_2026_weekdays_are_off(day):
    assert not CAL.is_working_day(d(day))


def test_tet_2026_runs_from_saturday_14_to_sunday_22_february():
    assert CAL.is_working_day(d("2026-02-13"))
    assert all(not CAL.is_working_day(d("2026-02-14") + timedelta(days=i)) for i in range(9))
    assert CAL.next_working_day(d("2026-02-14")) == d("2026-02-23")
    assert CAL.add_working_days(d("2026-02-13"), 1) == d("2026-02-23")
    assert CAL.working_days_between(d("2026-02-13"), d("2026-02-23")) == 1


def test_tet_at_ty_2025_with_make_up_saturday():
    assert CAL.next_working_day(d("2025-01-25")) == d("2025-02-03")
    assert CAL.is_working_day(d("2025-02-15"))  # Saturday worked for Monday 27/01
    assert CAL.add_working_days(d("2025-02-14"), 1) == d("2025-02-15")
    assert PLAIN.add_working_days(d("2025-02-14"), 1) == d("2025-02-17")


def test_30_april_and_1_may():
    assert CAL.next_working_day(d("2025-04-30")) == d("2025-05-05")
    assert CAL.is_working_day(d("2025-04-26"))  # Saturday worked for Friday 02/05/2025
    assert not CAL.is_working_day(d("2025-05-02"))
    assert CAL.next_working_day(d("2026-04-30")) == d("2026-05-04")
    assert not CAL.is_working_day(d("2026-04-27"))  # Giỗ Tổ falls on Sunday 26/04/2026


def test_new_year_and_national_day_2026():
    assert CAL.add_working_days(d("2025-12-31"), 1) == d("2026-01-05")
    assert CAL.is_working_day(d("2026-01-10"))
    assert CAL.is_working_day(d("2026-08-22"))
    assert CAL.next_working_day(d("2026-08-29")) == d("2026-09-03")
    assert CAL.next_working_day(d("2025-08-30")) == d("2025-09-03")


def test_a_friday_plus_one_working_day_is_monday():
    assert CAL.add_working_days(d("2026-03-06"), 1) == d("2026-03-09")
    assert CAL.add_working_days(d("2026-03-09"), -1) == d("2026-03-06")
    assert CAL.working_days_between(d("2026-03-06"), d("2026-03-09")) == 1
    assert CAL.working_days_between(d("2026-03-09"), d("2026-03-06")) == -1


def test_zero_and_same_day():
    saturday = d("2026-03-07")
    assert CAL.add_working_days(saturday, 0) == saturday
    assert CAL.next_working_day(saturday) == d("2026-03-09")
    assert CAL.working_days_between(saturday, saturday) == 0


def test_holiday_wins_over_a_declared_working_weekend():
    saturday = d("2026-03-07")
    assert not HolidayCalendar(frozenset({saturday}), frozenset({saturday})).is_working_day(saturday)


def test_calendar_accepts_plain_lists():
    cal = calendar_from([d("2026-03-09")], [d("2026-03-07")])
    assert cal == HolidayCalendar(frozenset({d("2026-03-09")}), frozenset({d("2026-03-07")}))
    assert cal.add_working_days(d("2026-03-06"), 1) == d("2026-03-07")
    assert cal.add_working_days(d("2026-03-06"), 2) == d("2026-03-10")


def test_builtin_data_is_clean():
    days_off = [day for day, _ in VN_PUBLIC_HOLIDAYS]
    worked = [day for day, _ in VN_WORKING_WEEKENDS]
    assert len(set(days_off)) == len(days_off) and len(set(worked)) == len(worked)
    assert all(day.weekday() < 5 for day in days_off)  # only days that would otherwise be worked
    assert all(day.weekday() == 5 for day in worked)
    assert all(name.strip() for _, name in (*VN_PUBLIC_HOLIDAYS, *VN_WORKING_WEEKENDS))
    assert {day.year for day in days_off} == {2025, 2026}
    assert not set(days_off) & set(worked)


# --- properties -------------------------------------------------------------------------------

FIRST, LAST = date(2024, 12, 1), date(2027, 1, 31)
dates = st.dates(min_value=FIRST, max_value=LAST)
weekend_dates = dates.filter(lambda day: day.weekday() >= 5)
calendars = st.one_of(
    st.just(DEFAULT_CALENDAR),
    st.just(PLAIN),
    st.builds(calendar_from, st.frozensets(dates, max_size=40), st.frozensets(weekend_dates, max_size=10)),
)
steps = st.integers(min_value=-80, max_value=80)


def brute_force_between(cal: HolidayCalendar, start: date, end: date) -> int:
    sign, low, high = (1, start, end) if start <= end else (-1, end, start)
    return sign * sum(cal.is_working_day(low + timedelta(days=i)) for i in range(1, (high - low).days + 1))


def working(cal: HolidayCalendar, day: date) -> date:
    return cal.next_working_day(day)


@settings(max_examples=300, deadline=None)
@given(calendars, dates)
def test_next_working_day_is_the_first_working_day_from_d(cal, day):
    result = cal.next_working_day(day)
    assert result >= day
    assert cal.is_working_day(result)
    assert not any(cal.is_working_day(day + timedelta(days=i)) for i in range((result - day).days))


@settings(max_examples=300, deadline=None)
@given(calendars, dates, steps)
def test_adding_then_counting_gives_n_back(cal, day, n):
    start = working(cal, day)
    assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


@settings(max_examples=300, deadline=None)
@given(calendars, dates, steps)
def test_negative_n_undoes_positive_n(cal, day, n):
    start = working(cal, day)
    assert cal.add_working_days(cal.add_working_days(start, n), -n) == start


@settings(max_examples=300, deadline=None)
@given(calendars, dates, steps, steps)
def test_adding_is_monotonic_in_n(cal, day, a, b):
    low, high = sorted((a, b))
    assert cal.add_working_days(day, low) <= cal.add_working_days(day, high)
    if low < high:
        assert cal.add_working_days(day, low) < cal.add_working_days(day, high)


@settings(max_examples=300, deadline=None)
@given(calendars, dates, dates)
def test_counting_matches_day_by_day(cal, start, end):
    assert cal.working_days_between(start, end) == brute_force_between(cal, start, end)
    assert cal.working_days_between(start, end) == -cal.working_days_between(end, start)


@settings(max_examples=200, deadline=None)
@given(calendars, st.integers(min_value=2024, max_value=2026), st.integers(min_value=15, max_value=31),
       st.integers(min_value=1, max_value=30))
def test_adding_across_a_year_boundary(cal, year, day_of_december, n):
    start = date(year, 12, day_of_december)
    result = cal.add_working_days(start, n)
    assert cal.is_working_day(result)
    assert result > start
    assert brute_force_between(cal, start, result) == n
    assert cal.add_working_days(result, -n) == cal.add_working_days(cal.add_working_days(start, 1), -1)


@settings(max_examples=200, deadline=None)
@given(dates, st.integers(min_value=1, max_value=80))
def test_result_of_adding_is_a_working_day(day, n):
    assert CAL.is_working_day(CAL.add_working_days(day, n))
    assert CAL.is_working_day(CAL.add_working_days(day, -n))
