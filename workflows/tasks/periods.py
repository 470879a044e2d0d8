"""Periodic reports: one report task, with its own process instance, per period — never a loop.

Recurring tasks ("thường xuyên", "hàng năm", …) get a "period_report" per period of their rhythm, and
every agency that leads an active task gets an "agency_report" per period of the agency rhythm
(DOMAIN.md "Reporting rhythm"). ``generate`` creates what is missing up to a date; the period key
stored on each report makes it idempotent. ``coverage`` tells the coordinator who has and has not
reported for one period.
"""

from __future__ import annotations

import calendar as month_calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Agency, Task, User, db
from workflows import clock, holidays
from workflows.errors import NotAllowed, NotFound
from workflows.tasks import cycle, reads
from workflows.tx import transaction
from workflows.workdays import HolidayCalendar

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
AGENCY_REPORT_KIND = "monthly"  # config AGENCY_REPORT_RHYTHM; None or "" turns agency reports off
ONGOING_REPORT_KIND = "monthly"  # config ONGOING_REPORT_RHYTHM: how often an ongoing task reports
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

def _config(name: str, default):
    return current_app.config.get(name, default) if has_app_context() else default


def rhythm() -> dict[str, dict[str, int]]:
    """The due day (and month) of each kind of period: the defaults, overridden per kind by REPORT_RHYTHM."""
    configured = _config("REPORT_RHYTHM", None) or {}
    unknown = set(configured) - set(KINDS)
    if unknown:
        raise ValueError(f"REPORT_RHYTHM: unknown period kinds {sorted(unknown)}; expected {KINDS}")
    return {kind: {**RHYTHM[kind], **configured.get(kind, {})} for kind in KINDS}


def _kind_setting(name: str, default: str | None) -> str | None:
    kind = _config(name, default) or None
    if kind is not None and kind not in KINDS:
        raise ValueError(f"{name}={kind!r}: expected one of {KINDS}")
    return kind


def agency_report_kind() -> str | None:
    return _kind_setting("AGENCY_REPORT_RHYTHM", AGENCY_REPORT_KIND)


def report_kind(task: Task) -> str | None:
    """Which kind of period a task reports on, or None (no recurrence, or weekly: no report rhythm)."""
    if task.recurrence == "ongoing":
        return _kind_setting("ONGOING_REPORT_RHYTHM", ONGOING_REPORT_KIND)
    return task.recurrence if task.recurrence in KINDS else None


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


def _periods_from(kind: str, since: date, through: date) -> list[Period]:
    """The periods of ``kind`` that end on or after ``since`` and start on or before ``through``."""
    return [p for year in range(since.year, through.year + 1) for p in periods_in(kind, year)
            if p.end >= since and p.start <= through]


# ---------------------------------------------------------------- which reports are expected

@dataclass(frozen=True)
class _Expected:
    kind: str  # period_report | agency_report
    period: Period
    agency: Agency
    parent: Task | None
    period_key: str
    title: str


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:]


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.-–")
    return (cut or text[:limit]) + "…"


def task_report_title(period: Period, parent: Task) -> str:
    return f"Báo cáo {_lower_first(period.label)}: {_shorten(parent.title, MAX_PARENT_TITLE)}"


def agency_report_title(period: Period, agency: Agency) -> str:
    return f"Báo cáo định kỳ {_lower_first(period.label)} của {agency.name}"


def _created_on(task: Task) -> date:
    return clock.to_local(task.created_at).date()


def _active_tasks() -> list[Task]:
    return list(db.session.scalars(select(Task).where(Task.kind == "task", Task.state != "done")
                                   .order_by(Task.id)))


def _expected(tasks: list[Task], periods_for) -> list[_Expected]:
    """The reports the active ``tasks`` call for; ``periods_for(kind, since)`` picks the periods.

    A recurring task reports for every period due on or after its creation date; an agency, for every
    period due on or after the creation of the oldest active task it leads. A report due before the task
    existed is never expected: it would be born overdue (a task assigned on 25/11 owes no November report
    due on 20/11, and a first run of the generator creates no backlog of missed months).
    """
    out = []
    for task in tasks:
        kind = report_kind(task)
        if kind is None:
            continue
        created = _created_on(task)
        for p in periods_for(kind, created):
            if p.due < created:
                continue
            out.append(_Expected("period_report", p, task.lead_agency, task, f"task:{task.id}:{p.key}",
                                 task_report_title(p, task)))
    kind = agency_report_kind()
    if kind is not None:
        since: dict[int, tuple[Agency, date]] = {}
        for task in tasks:
            agency, first = since.get(task.lead_agency_id, (task.lead_agency, _created_on(task)))
            since[task.lead_agency_id] = (agency, min(first, _created_on(task)))
        for agency, first in since.values():
            for p in periods_for(kind, first):
                if p.due < first:
                    continue
                out.append(_Expected("agency_report", p, agency, None, f"agency:{agency.id}:{p.key}",
                                     agency_report_title(p, agency)))
    out.sort(key=lambda e: (e.period.start, e.period.kind, e.kind != "agency_report",
                            reads.vn_sort_key(e.agency.name), e.parent.id if e.parent else 0))
    return out


def _existing_keys(keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    found: set[str] = set()
    for i in range(0, len(keys), 500):  # stay below the bind-parameter limits of SQLite and PostgreSQL
        found.update(db.session.scalars(select(Task.period_key).where(Task.period_key.in_(keys[i:i + 500]))))
    return found


# ---------------------------------------------------------------- generating

def generate(actor: User, through: date) -> dict[str, int]:
    """Create the missing report tasks of every period starting on or before ``through``. One transaction.

    Each report is a task of its own, started with its own report process. Running it again
    creates nothing new. Returns ``{"created": n, "existing": m}``.
    """
    try:
        return _generate(actor, through)
    except IntegrityError:
        # A concurrent run committed some of the same period keys first (the unique constraint is
        # the last guard); everything of ours was rolled back, and a second pass skips theirs.
        return _generate(actor, through)


def _generate(actor: User, through: date) -> dict[str, int]:
    with transaction():
        if not actor.has_role("coordinator"):
            raise NotAllowed("Chỉ Tổ giúp việc được tạo báo cáo định kỳ.")
        expected = _expected(_active_tasks(), lambda kind, since: _periods_from(kind, since, through))
        existing = _existing_keys(e.period_key for e in expected)
        work_calendar = holidays.calendar()
        created = 0
        for e in expected:
            if e.period_key not in existing:
                _start_report(actor, e, work_calendar)
                created += 1
    return {"created": created, "existing": len(expected) - created}


def _start_report(actor: User, e: _Expected, work_calendar: HolidayCalendar) -> Task:
    due = work_calendar.next_working_day(e.period.due)
    label = _lower_first(e.period.label)
    expected_output = (f"Báo cáo kết quả thực hiện nhiệm vụ {label}" if e.parent is not None
                       else f"Báo cáo tình hình thực hiện các nhiệm vụ được giao {label}")
    return cycle.add_task(
        actor, title=e.title, lead_agency=e.agency.name, output_type="report", collaborating_agencies=(),
        expected_output=expected_output, due_date=due, nominal_due=e.period.due,  # add_task: original_due = due
        deadline_text=f"Trước ngày {e.period.due:%d/%m/%Y}", kind=e.kind,
        parent_id=e.parent.id if e.parent is not None else None, period=e.period.key, period_key=e.period_key)


def generator(username: str | None = None) -> User:
    """The coordinator recorded as creator: ``username``, or the first active coordinator."""
    if username:
        user = db.session.scalar(select(User).where(User.username == username.strip()))
        if user is None or not user.active:
            raise NotFound("Không tìm thấy người dùng “%(username)s” đang hoạt động.", username=username)
        return user
    candidates = db.session.scalars(select(User).where(User.active.is_(True),
                                                       User.roles_text.contains("coordinator")).order_by(User.id))
    user = next((u for u in candidates if u.has_role("coordinator")), None)
    if user is None:
        raise NotFound("Chưa có tài khoản Tổ giúp việc nào đang hoạt động để tạo báo cáo định kỳ.")
    return user


# ---------------------------------------------------------------- coverage of one period

@dataclass
class Row:
    """One expected report of a period, created or not."""

    kind: str  # period_report | agency_report
    agency: Agency
    title: str
    due: date  # effective due date
    status: str  # a status.STATUSES key, or NOT_CREATED
    bucket: str  # one of BUCKETS
    task: Task | None = None  # None while the report is not created
    parent: Task | None = None
    step: str | None = None
    holder: str | None = None


def _bucket(status_key: str, task: Task | None) -> str:
    if status_key in ("done_on_time", "done_late"):
        return "reported"
    if status_key == "overdue":
        return "overdue"
    if task is not None and task.started_at is not None:
        return "in_progress"
    return "not_reported"


def coverage(period_key_suffix: str) -> list[Row]:
    """Every report expected for one period ("2026-03"): who has reported, who is at it, who has not.

    Reports already created are listed even if their parent task has finished since; reports
    still to be created are those ``generate`` would create for the period now.
    """
    period = parse_key(period_key_suffix)
    today = clock.today()
    reports = list(db.session.scalars(select(Task).where(Task.kind.in_(REPORT_KINDS), Task.period == period.key)))
    parent_ids = sorted({r.parent_id for r in reports if r.parent_id is not None})
    parents = {t.id: t for t in db.session.scalars(select(Task).where(Task.id.in_(parent_ids)))} if parent_ids else {}
    rows = []
    for task in reports:
        status_key = reads.task_status(task)
        rows.append(Row(task.kind, task.lead_agency, task.title, task.due_date, status_key,
                        _bucket(status_key, task), task, parents.get(task.parent_id),
                        task.current_step, task.current_holder))
    have = {t.period_key for t in reports}
    missing = [e for e in _expected(_active_tasks(), lambda kind, since: [period] if (
        kind == period.kind and period.end >= since) else []) if e.period_key not in have]
    if missing:
        due = holidays.calendar().next_working_day(period.due)
        for e in missing:
            rows.append(Row(e.kind, e.agency, e.title, due, NOT_CREATED, "overdue" if due < today else "not_reported",
                            parent=e.parent))
    rows.sort(key=lambda r: (reads.vn_sort_key(r.agency.name), r.kind != "agency_report", r.title))
    return rows


def summary(rows: list[Row]) -> dict[str, int]:
    """How many expected reports are in each bucket (the counts add up to the number of rows)."""
    counts = dict.fromkeys(BUCKETS, 0)
    for row in rows:
        counts[row.bucket] += 1
    return counts
