"""Periodic reports: which are expected, generating the missing ones, and who has reported for a period.

Recurring tasks ("thường xuyên", "hàng năm", …) get a "period_report" per period of their rhythm, and
every agency that leads an active task gets an "agency_report" per period of the agency rhythm
(DOMAIN.md "Reporting rhythm"). ``generate`` creates what is missing up to a date; the period key
stored on each report makes it idempotent. ``coverage`` tells the coordinator who has and has not
reported for one period. Each report is a task with its own process instance — never a loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Agency, AuditEvent, Holiday, SiteSetting, Task, User, db
from workflows import audit, clock, holidays, text
from workflows.errors import NotAllowed, NotFound
from workflows.tasks import create, status
from workflows.tasks.periods import (
    BUCKETS,
    MAX_PARENT_TITLE,
    NOT_CREATED,
    REPORT_KINDS,
    Period,
    agency_report_kind,
    own_due,
    parse_key,
    periods_between,
    report_kind,
    reports_from,
)
from workflows.tx import transaction
from workflows.workdays import HolidayCalendar

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


# ---------------------------------------------------------------- when reporting began

REPORTS_SINCE = "reports_since"


def reports_since() -> date | None:
    """The day periodic reporting through the product began (go-live), or None: no report is expected for a
    period due before it, whenever its task was assigned (a province that enters last year's documents
    with their own dates owes no backlog of last year's monthly reports)."""
    row = db.session.get(SiteSetting, REPORTS_SINCE)
    return date.fromisoformat(row.value) if row is not None else None


def set_reports_since(actor: User, day: date) -> None:
    """Record the go-live day of periodic reporting (an administrator or a coordinator). One transaction."""
    with transaction():
        if not actor.has_role("admin", "coordinator"):
            raise NotAllowed("Chỉ quản trị hoặc Tổ giúp việc được đặt ngày bắt đầu báo cáo định kỳ.")
        row = db.session.get(SiteSetting, REPORTS_SINCE) or SiteSetting(key=REPORTS_SINCE)
        before = row.value
        row.value = day.isoformat()
        db.session.add(row)
        audit.record("reports_since", actor, data={"before": before, "after": row.value})


def _active_tasks() -> list[Task]:
    return list(db.session.scalars(select(Task).where(Task.kind == "task", Task.state == "active")
                                   .order_by(Task.id)))


def _expected(tasks: list[Task], periods_for) -> list[_Expected]:
    """The reports the active ``tasks`` call for; ``periods_for(kind, since)`` picks the periods.

    A recurring task reports for every period due on or after its creation date and its start
    (``recurrence_starts``), each due on the task's own day when it has one (``recurrence_day``); an agency,
    for every period due on or after the creation of the oldest active task it leads. A report due before the
    task existed is never expected: it would be born overdue (a task assigned on 25/11 owes no November report
    due on 20/11, and a first run of the generator creates no backlog of missed months).
    """
    floor = reports_since() or date.min
    out = []
    for task in tasks:
        kind = report_kind(task)
        if kind is None:
            continue
        since = max(reports_from(task, _created_on(task)), floor)
        if task.recurrence != "ongoing" and (first := task.original_due or task.nominal_due) is not None:
            # the task's own cycle delivers its first occurrence ("Hằng tháng": December's, due 20/12): a report of
            # that period too was a second work item, and a second reminder, for one duty (its first day, not one an
            # extension moved it to: the months between would owe nothing)
            since = max(since, first + timedelta(days=1))
        for p in (own_due(period, task) for period in periods_for(kind, since)):
            if p.due < since:
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
            first = max(first, floor)
            for p in periods_for(kind, first):
                if p.due < first:
                    continue
                out.append(_Expected("agency_report", p, agency, None, f"agency:{agency.id}:{p.key}",
                                     agency_report_title(p, agency)))
    out.sort(key=lambda e: (e.period.start, e.period.kind, e.kind != "agency_report",
                            text.sort_key(e.agency.name), e.parent.id if e.parent else 0))
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
        expected = _expected(_active_tasks(), lambda kind, since: periods_between(kind, since, through))
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
    return create.add_task(
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
    nominal: date | None = None  # the due date of the rhythm (or the task's own day), before a day off moved it
    returned: bool = False  # sent back: it waits where it does because of a return, not a first draft


def _returned(tasks: list[Task]) -> set[int]:
    """The reports, of ``tasks``, whose latest decision was a return (one read)."""
    latest: dict[int, str] = {}
    for task_id, action in db.session.execute(
            select(AuditEvent.task_id, AuditEvent.action).where(
                AuditEvent.task_id.in_([t.id for t in tasks]), AuditEvent.action.in_(("submit", "approve", "return")))
            .order_by(AuditEvent.at, AuditEvent.id)) if tasks else ():
        latest[task_id] = action
    return {task_id for task_id, action in latest.items() if action == "return"}


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
    returned = _returned([t for t in reports if t.state != "done"])
    for task in reports:
        status_key = status.of(task)
        rows.append(Row(task.kind, task.lead_agency, task.title, task.due_date, status_key,
                        _bucket(status_key, task), task, parents.get(task.parent_id),
                        task.current_step, task.current_holder, task.nominal_due, task.id in returned))
    have = {t.period_key for t in reports}
    missing = [e for e in _expected(_active_tasks(), lambda kind, since: [period] if (
        kind == period.kind and period.end >= since) else []) if e.period_key not in have]
    work_calendar = holidays.calendar()
    for e in missing:
        due = work_calendar.next_working_day(e.period.due)  # a task's own day moves its report's due date
        rows.append(Row(e.kind, e.agency, e.title, due, NOT_CREATED, "overdue" if due < today else "not_reported",
                        parent=e.parent, nominal=e.period.due))
    rows.sort(key=lambda r: (text.sort_key(r.agency.name), r.kind != "agency_report", r.title))
    return rows


@dataclass(frozen=True)
class Due:
    """A period's due date as its reports carry it: the rhythm's day, moved to the next working day when it falls
    on a weekend or a day off (Civil Code art. 148), and why it moved."""

    nominal: date
    effective: date
    why: str | None = None  # None (not moved), "saturday", "sunday" or "holiday"
    holiday: str | None = None  # the day off's name in the holiday calendar

    @property
    def moved(self) -> bool:
        return self.effective != self.nominal


def due_of(period: Period) -> Due:
    """The due date the period's reports carry (``_start_report`` and ``coverage`` move it the same way)."""
    effective = holidays.calendar().next_working_day(period.due)
    if effective == period.due:
        return Due(period.due, effective)
    name = db.session.scalar(select(Holiday.name).where(Holiday.day == period.due, Holiday.kind == "off"))
    if name is not None:
        return Due(period.due, effective, "holiday", name)
    return Due(period.due, effective, "saturday" if period.due.weekday() == 5 else "sunday")


def summary(rows: list[Row]) -> dict[str, int]:
    """How many expected reports are in each bucket (the counts add up to the number of rows)."""
    counts = dict.fromkeys(BUCKETS, 0)
    for row in rows:
        counts[row.bucket] += 1
    return counts
