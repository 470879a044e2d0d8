"""Reporting periods: months, quarters, the first half-year and years, each with its due date (the
province's reporting rhythm), their keys ("2026-03", "2026-Q1", "2026-H1", "2026") and which kind of
period a task reports on, from when and on which day (a task's own rule — "trước ngày 10 hằng tháng",
"Từ Quý III/2026" — comes before the rhythm). Pure date arithmetic over the settings; the reports
themselves are in ``workflows.tasks.period_reports``."""

from __future__ import annotations

import calendar as month_calendar
import re
from dataclasses import dataclass, replace
from datetime import date

from models import Task
from workflows import settings
from workflows.errors import NotFound

KINDS = ("monthly", "quarterly", "half_yearly", "yearly")
KIND_LABELS = {
    "monthly": "Báo cáo tháng",
    "quarterly": "Báo cáo quý",
    "half_yearly": "Báo cáo 6 tháng",
    "yearly": "Báo cáo năm",
}
# Kế hoạch 266-KH/TU, section V.9.1: monthly before the 20th; quarterly before the 20th of the
# quarter's last month; half-year before 15/6; yearly before 25/11. Override with REPORT_RHYTHM.
RHYTHM: dict[str, dict[str, int]] = {
    "monthly": {"day": 20},
    "quarterly": {"day": 20},
    "half_yearly": {"month": 6, "day": 15},
    "yearly": {"month": 11, "day": 25},
}
REPORT_KINDS = ("period_report", "agency_report")
MAX_PARENT_TITLE = 200
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

# Where a report stands for the coordinator's summary (each expected report is in exactly one).
BUCKETS = ("reported", "in_progress", "not_reported", "overdue")
BUCKET_LABELS = {
    "reported": "Đã báo cáo",
    "in_progress": "Đang thực hiện",
    "not_reported": "Chưa báo cáo",
    "overdue": "Quá hạn",
}
NOT_CREATED = "not_created"
NOT_CREATED_LABEL = "Chưa khởi tạo"

_KEY_PATTERNS = (
    ("monthly", re.compile(r"(?P<y>\d{4})-(?P<n>0[1-9]|1[0-2])")),
    ("quarterly", re.compile(r"(?P<y>\d{4})-Q(?P<n>[1-4])")),
    ("half_yearly", re.compile(r"(?P<y>\d{4})-H1")),
    ("yearly", re.compile(r"(?P<y>\d{4})")),
)


@dataclass(frozen=True)
class Period:
    kind: str  # monthly | quarterly | half_yearly | yearly
    key: str  # 2026-03, 2026-Q1, 2026-H1, 2026
    label: str  # Tháng 03/2026, Quý I/2026, 6 tháng đầu năm 2026, Năm 2026
    start: date
    end: date
    due: date  # nominal: the effective due date is the next working day on or after it


# ---------------------------------------------------------------- configuration

def rhythm() -> dict[str, dict[str, int]]:
    """The due day (and month) of each kind of period: the defaults, overridden per kind by REPORT_RHYTHM."""
    configured = settings.get("REPORT_RHYTHM") or {}
    unknown = set(configured) - set(KINDS)
    if unknown:
        raise ValueError(f"REPORT_RHYTHM: unknown period kinds {sorted(unknown)}; expected {KINDS}")
    return {kind: {**RHYTHM[kind], **configured.get(kind, {})} for kind in KINDS}


def _kind_setting(name: str) -> str | None:
    kind = settings.get(name) or None
    if kind is not None and kind not in KINDS:
        raise ValueError(f"{name}={kind!r}: expected one of {KINDS}")
    return kind


def agency_report_kind() -> str | None:
    return _kind_setting("AGENCY_REPORT_RHYTHM")


def report_kind(task: Task) -> str | None:
    """Which kind of period a task reports on, or None (no recurrence, or weekly: no report rhythm)."""
    if task.recurrence == "ongoing":
        return _kind_setting("ONGOING_REPORT_RHYTHM")
    return task.recurrence if task.recurrence in KINDS else None


def own_due(period: Period, task: Task) -> Period:
    """The period due on the task's own day when it has one: of the month, or of a quarter's last month (as the
    rhythm's quarterly day is); a 31 falls on a shorter month's last day. Other kinds keep the rhythm's date."""
    if task.recurrence_day is None or period.kind not in ("monthly", "quarterly"):
        return period
    return replace(period, due=_day(period.end.year, period.end.month, task.recurrence_day))


def reports_from(task: Task, created: date) -> date:
    """The first day a task owes reports from: its creation, or its stated start when later ("Từ Quý III/2026")."""
    starts = task.recurrence_starts
    return max(created, starts) if starts is not None else created


# ---------------------------------------------------------------- periods

def _last_day(year: int, month: int) -> int:
    return month_calendar.monthrange(year, month)[1]


def _day(year: int, month: int, day: int) -> date:
    """That day, or the month's last day when it is shorter (a configured 31 in a 30-day month)."""
    return date(year, month, min(day, _last_day(year, month)))


def periods_in(kind: str, year: int) -> list[Period]:
    """The reporting periods of ``kind`` in ``year``, in order, each with its nominal due date.

    Half-yearly has only the first half: the yearly report covers the whole year.
    """
    rule = rhythm()[kind]
    if kind == "monthly":
        return [Period(kind, f"{year}-{m:02d}", f"Tháng {m:02d}/{year}", date(year, m, 1),
                       date(year, m, _last_day(year, m)), _day(year, m, rule["day"])) for m in range(1, 13)]
    if kind == "quarterly":
        return [Period(kind, f"{year}-Q{q}", f"Quý {ROMAN[q]}/{year}", date(year, 3 * q - 2, 1),
                       date(year, 3 * q, _last_day(year, 3 * q)), _day(year, 3 * q, rule["day"]))
                for q in range(1, 5)]
    if kind == "half_yearly":
        return [Period(kind, f"{year}-H1", f"6 tháng đầu năm {year}", date(year, 1, 1), date(year, 6, 30),
                       _day(year, rule["month"], rule["day"]))]
    if kind == "yearly":
        return [Period(kind, str(year), f"Năm {year}", date(year, 1, 1), date(year, 12, 31),
                       _day(year, rule["month"], rule["day"]))]
    raise ValueError(f"unknown period kind {kind!r}")


def parse_key(key: str) -> Period:
    """The period a key names ("2026-03", "2026-Q1", "2026-H1", "2026"); NotFound when it names none."""
    key = (key or "").strip().upper()
    for kind, pattern in _KEY_PATTERNS:
        match = pattern.fullmatch(key)
        if match and 1900 < int(match["y"]) < 2200:
            return next(p for p in periods_in(kind, int(match["y"])) if p.key == key)
    second_half = re.fullmatch(r"(\d{4})-H2", key)
    if second_half:  # (the dashboard's periods have it: figures of the months July–December)
        raise NotFound("Không có báo cáo riêng cho 6 tháng cuối năm: báo cáo năm %(year)s (kỳ “%(year)s”) bao gồm "
                       "cả năm.", year=second_half[1])
    raise NotFound("Không tìm thấy kỳ báo cáo “%(key)s”. Ví dụ hợp lệ: 2026-03, 2026-Q1, 2026-H1, 2026.", key=key)


def period_of(kind: str, day: date) -> Period:
    """The period of ``kind`` containing ``day`` (for half-yearly, that year's first half)."""
    periods = periods_in(kind, day.year)
    return next((p for p in periods if p.start <= day <= p.end), periods[-1])


def neighbours(period: Period) -> tuple[Period, Period]:
    """The previous and the next period of the same kind."""
    periods = periods_in(period.kind, period.start.year - 1) + periods_in(period.kind, period.start.year) \
        + periods_in(period.kind, period.start.year + 1)
    i = periods.index(period)
    return periods[i - 1], periods[i + 1]


def resolve(period_key: str | None, kind: str | None, today: date) -> Period:
    """The period a page asks for: the key, moved to ``kind`` when the kind changed; else today's period.

    Switching kind keeps the moment in view: today when it lies inside the shown period, else the
    nearest end of it (from "2026-03" to quarterly gives "2026-Q1").
    """
    kind = kind if kind in KINDS else None
    if not period_key:
        return period_of(kind or agency_report_kind() or "monthly", today)
    period = parse_key(period_key)
    if kind is None or kind == period.kind:
        return period
    return period_of(kind, min(max(today, period.start), period.end))


def periods_between(kind: str, since: date, through: date) -> list[Period]:
    """The periods of ``kind`` that end on or after ``since`` and start on or before ``through``."""
    return [p for year in range(since.year, through.year + 1) for p in periods_in(kind, year)
            if p.end >= since and p.start <= through]
