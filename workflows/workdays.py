"""Working-day arithmetic for state agencies: weekends, public holidays and make-up working days.

Pure functions over dates; nothing here touches the database. An administrator will later edit
the calendar in a table that feeds :class:`HolidayCalendar`; the two tuples below are the
built-in defaults (Vietnam 2025-2026, schedules for cán bộ, công chức, viên chức).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

SATURDAY = 5
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class HolidayCalendar:
    """Which days state agencies work: Monday-Friday, minus holidays, plus declared working weekends."""

    holidays: frozenset[date] = frozenset()  # days off besides weekends (public holidays, swapped days off)
    working_weekends: frozenset[date] = frozenset()  # Saturdays/Sundays declared working days (ngày làm bù)

    def __post_init__(self) -> None:
        # Accept any iterable (rows from a table, lists in tests) and keep the calendar hashable.
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "working_weekends", frozenset(self.working_weekends))

    def is_working_day(self, d: date) -> bool:
        """Return True when agencies work on ``d`` (a day listed as a holiday is off even if declared worked)."""
        if d in self.holidays:
            return False
        return d.weekday() < SATURDAY or d in self.working_weekends

    def next_working_day(self, d: date) -> date:
        """Return ``d`` itself when it is a working day, otherwise the first working day after it."""
        while not self.is_working_day(d):
            d += ONE_DAY
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """Return the n-th working day after ``d`` (before it when n < 0); ``d`` itself when n == 0."""
        step = ONE_DAY if n > 0 else -ONE_DAY
        remaining = abs(n)
        while remaining:
            d += step
            if self.is_working_day(d):
                remaining -= 1
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Count the working days in (start, end]; the count is negated when end < start."""
        if end < start:
            return -self.working_days_between(end, start)
        count = _weekdays_in(start, end)
        count -= sum(1 for h in self.holidays if start < h <= end and h.weekday() < SATURDAY)
        count += sum(1 for w in self.working_weekends
                     if start < w <= end and w.weekday() >= SATURDAY and w not in self.holidays)
        return count


def _weekdays_in(start: date, end: date) -> int:
    """Count Monday-Friday dates in (start, end], for start <= end."""
    days = (end - start).days
    full_weeks, extra = divmod(days, 7)
    count = full_weeks * 5
    first = start.weekday()
    for offset in range(1, extra + 1):
        if (first + offset) % 7 < SATURDAY:
            count += 1
    return count


def calendar_from(holidays: Iterable[date], working_weekends: Iterable[date] = ()) -> HolidayCalendar:
    """Build a calendar from plain date lists (e.g. rows an administrator edited)."""
    return HolidayCalendar(frozenset(holidays), frozenset(working_weekends))


# Days off that would otherwise be working days (weekend days inside a holiday period are already
# off and are not listed). Sources: the Government's yearly decisions for state employees as the press
# reported them - for 2026, the Prime Minister's approval of the Bộ Nội vụ proposal conveyed by the
# Government Office on 13/10/2025 (Tết Bính Ngọ 14/02-22/02, Quốc khánh 29/08-02/09 with Saturday
# 22/08 worked) and letter 12729/VPCP-KGVX of 25/12/2025 (Tết Dương lịch 01/01-04/01 with Saturday
# 10/01 worked); Giỗ Tổ 2026 falls on Sunday 26/04, so Monday 27/04 is off (Labour Code art. 111).
# Verified against press reports: every 2026 date; for 2025 Tết Dương lịch, Tết 25/01-02/02, Giỗ Tổ
# 07/04, 30/04-04/05 with Saturday 26/04 worked, Quốc khánh 30/08-02/09.
# Not verified against a source: Saturday 15/02/2025 as the make-up day for Monday 27/01/2025 (Tết).
# Not included: Ngày Văn hóa Việt Nam (24/11), chosen by the Politburo (Nghị quyết 80-NQ/TW, 01/2026)
# as a paid day off but not yet in the Labour Code when this was written; add it once it is law.
VN_PUBLIC_HOLIDAYS: tuple[tuple[date, str], ...] = (
    (date(2025, 1, 1), "Tết Dương lịch"),
    (date(2025, 1, 27), "Tết Nguyên đán Ất Tỵ (nghỉ hoán đổi, làm bù thứ Bảy 15/02/2025)"),
    (date(2025, 1, 28), "Tết Nguyên đán Ất Tỵ"),
    (date(2025, 1, 29), "Tết Nguyên đán Ất Tỵ"),
    (date(2025, 1, 30), "Tết Nguyên đán Ất Tỵ"),
    (date(2025, 1, 31), "Tết Nguyên đán Ất Tỵ"),
    (date(2025, 4, 7), "Giỗ Tổ Hùng Vương (10/3 âm lịch)"),
    (date(2025, 4, 30), "Ngày Giải phóng miền Nam, thống nhất đất nước"),
    (date(2025, 5, 1), "Ngày Quốc tế Lao động"),
    (date(2025, 5, 2), "Nghỉ hoán đổi dịp 30/4 - 1/5 (làm bù thứ Bảy 26/04/2025)"),
    (date(2025, 9, 1), "Quốc khánh (ngày liền kề)"),
    (date(2025, 9, 2), "Quốc khánh"),
    (date(2026, 1, 1), "Tết Dương lịch"),
    (date(2026, 1, 2), "Nghỉ hoán đổi dịp Tết Dương lịch (làm bù thứ Bảy 10/01/2026)"),
    (date(2026, 2, 16), "Tết Nguyên đán Bính Ngọ"),
    (date(2026, 2, 17), "Tết Nguyên đán Bính Ngọ"),
    (date(2026, 2, 18), "Tết Nguyên đán Bính Ngọ"),
    (date(2026, 2, 19), "Tết Nguyên đán Bính Ngọ"),
    (date(2026, 2, 20), "Tết Nguyên đán Bính Ngọ"),
    (date(2026, 4, 27), "Nghỉ bù Giỗ Tổ Hùng Vương (26/04/2026 là Chủ nhật)"),
    (date(2026, 4, 30), "Ngày Giải phóng miền Nam, thống nhất đất nước"),
    (date(2026, 5, 1), "Ngày Quốc tế Lao động"),
    (date(2026, 8, 31), "Nghỉ hoán đổi dịp Quốc khánh (làm bù thứ Bảy 22/08/2026)"),
    (date(2026, 9, 1), "Quốc khánh (ngày liền kề)"),
    (date(2026, 9, 2), "Quốc khánh"),
)

VN_WORKING_WEEKENDS: tuple[tuple[date, str], ...] = (
    (date(2025, 2, 15), "Làm bù cho thứ Hai 27/01/2025 (Tết Nguyên đán)"),
    (date(2025, 4, 26), "Làm bù cho thứ Sáu 02/05/2025 (dịp 30/4 - 1/5)"),
    (date(2026, 1, 10), "Làm bù cho thứ Sáu 02/01/2026 (Tết Dương lịch)"),
    (date(2026, 8, 22), "Làm bù cho thứ Hai 31/08/2026 (Quốc khánh)"),
)

DEFAULT_CALENDAR = calendar_from((d for d, _ in VN_PUBLIC_HOLIDAYS), (d for d, _ in VN_WORKING_WEEKENDS))
