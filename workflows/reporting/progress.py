"""“Theo dõi tiến độ”: tasks by status, by lead agency and by step, and the work stuck at one step.

Everything here reads the Task and WorkItem tables with SQL (DESIGN.md: dashboards never
deserialize engine state): grouped counts for the statuses, and one streamed read of three columns
of the open work items for the step board. Status comes from ``status.clause``, the rule the task
list filters with, so the figures equal what the list shows. Only real tasks count (kind "task"):
periodic and indicator report tasks are left out. The .xlsx/.docx exports read the same functions.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app, has_app_context
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from models import OUTPUT_TYPES, Agency, Directive, Task, User, WorkItem, db
from workflows import clock
from workflows.errors import N_, Message, NotFound
from workflows.tasks import periods, reads, status

DEFAULT_STUCK_DAYS = 10
MAX_STUCK_DAYS = 3650
MAX_SECTION = 500
PER_PAGE = 25
# Columns of the agency table a user may sort by (the agency name sorts A→Z, the counts high→low first).
SORTS = ("agency", "assigned", "done_on_time", "done_late", "in_progress", "due_soon", "overdue",
         "not_started", "ongoing")
DEFAULT_SORT = "overdue"
# The order of statuses on the page, as government reports group them (DOMAIN.md): done (on time,
# late), not done (in time: in progress, not started, due soon; overdue), then ongoing tasks apart.
STATUS_ORDER = ("done_on_time", "done_late", "in_progress", "not_started", "due_soon", "overdue", "ongoing")
_H2 = re.compile(r"(?P<y>\d{4})-H2")


# ---------------------------------------------------------------- filters

@dataclass(frozen=True)
class Filters:
    directive_id: int | None = None
    section: str | None = None
    agency_id: int | None = None  # lead agency
    output_type: str | None = None
    period: str | None = None  # a period key as in workflows/periods.py: tasks due in it

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.directive_id, self.section, self.agency_id,
                                            self.output_type, self.period))

    def query_args(self) -> dict[str, str | int]:
        """The filters as query parameters (for links that keep them), empty ones left out."""
        args = {"directive": self.directive_id, "section": self.section, "agency": self.agency_id,
                "output_type": self.output_type, "period": self.period}
        return {k: v for k, v in args.items() if v is not None}

    def list_args(self) -> dict[str, str | int]:
        """Query parameters that make "Danh sách nhiệm vụ" list the tasks these figures count
        (the list's own ``agency`` means any involved agency, so the lead agency is ``lead``)."""
        args = self.query_args()
        if "agency" in args:
            args["lead"] = args.pop("agency")
        return {**args, "scope": "dashboard"}


LIST_SCOPE_KEYS = ("scope", "lead", "directive", "section", "output_type", "period")


def filters_from_list(args: Mapping[str, str]) -> Filters | None:
    """The dashboard filters carried by a task-list link (see ``Filters.list_args``), or None."""
    if args.get("scope") != "dashboard":
        return None
    return filters_from({**{k: v for k, v in args.items() if k != "agency"}, "agency": args.get("lead", "")})


@dataclass(frozen=True)
class PeriodRange:
    key: str
    label: str
    start: date
    end: date


def period_range(key: str | None) -> PeriodRange | None:
    """The dates a period key covers ("2026-11", "2026-Q4", "2026-H1", "2026-H2", "2026"), or None."""
    key = (key or "").strip().upper()
    match = _H2.fullmatch(key)
    if match and 1900 < int(match["y"]) < 2200:
        year = int(match["y"])
        return PeriodRange(key, f"6 tháng cuối năm {year}", date(year, 7, 1), date(year, 12, 31))
    try:
        p = periods.parse_key(key)
    except NotFound:
        return None
    return PeriodRange(p.key, p.label, p.start, p.end)


def period_choices(year: int) -> list[PeriodRange]:
    """The periods of one year a user may pick: the year, its halves, quarters and months."""
    keys = [str(year), f"{year}-H1", f"{year}-H2", *(f"{year}-Q{q}" for q in range(1, 5)),
            *(f"{year}-{m:02d}" for m in range(1, 13))]
    return [period_range(k) for k in keys]


def _int(value: str | None) -> int | None:
    try:
        number = int((value or "").strip())
    except ValueError:
        return None
    return number if number > 0 else None


def _parse(args: Mapping[str, str]) -> tuple[Filters, list[str]]:
    problems = []
    directive_id = _int(args.get("directive"))
    if args.get("directive") and (directive_id is None or db.session.get(Directive, directive_id) is None):
        problems.append(N_("Văn bản giao nhiệm vụ đã chọn không còn trong danh mục: bộ lọc này được bỏ qua."))
        directive_id = None
    agency_id = _int(args.get("agency"))
    if args.get("agency") and (agency_id is None or db.session.get(Agency, agency_id) is None):
        problems.append(N_("Đơn vị chủ trì đã chọn không có trong danh mục: bộ lọc này được bỏ qua."))
        agency_id = None
    output_type = (args.get("output_type") or "").strip() or None
    if output_type is not None and output_type not in OUTPUT_TYPES:
        problems.append(N_("Loại sản phẩm đã chọn không hợp lệ: bộ lọc này được bỏ qua."))
        output_type = None
    period = None
    if (args.get("period") or "").strip():
        found = period_range(args.get("period"))
        if found is None:
            problems.append(Message("Không hiểu kỳ “%(period)s”: hãy chọn tháng (2026-11), quý (2026-Q4), "
                                    "6 tháng (2026-H1, 2026-H2) hoặc năm (2026). Bộ lọc này được bỏ qua.",
                                    period=args.get("period", "")[:40]))
        else:
            period = found.key
    section = " ".join((args.get("section") or "").split())[:MAX_SECTION] or None
    return Filters(directive_id, section, agency_id, output_type, period), problems


def filters_from(args: Mapping[str, str]) -> Filters:
    """The filters of a request's query string; values that name nothing are ignored."""
    return _parse(args)[0]


def filter_problems(args: Mapping[str, str]) -> list[str]:
    """Why ``filters_from`` ignored some of ``args``, in Vietnamese (empty when all were understood)."""
    return _parse(args)[1]


def stuck_days_from(value: str | None, default: int) -> tuple[int, str | None]:
    """The "stuck for more than N days" threshold a user typed, or ``default`` with the reason."""
    if value is None or not value.strip():
        return default, None
    try:
        days = int(value.strip())
    except ValueError:
        days = -1
    if not 1 <= days <= MAX_STUCK_DAYS:
        return default, Message("Số ngày tồn đọng phải là số nguyên từ 1 đến %(max)s; "
                                "đang dùng mặc định %(default)s ngày.", max=MAX_STUCK_DAYS, default=default)
    return days, None


def sort_from(args: Mapping[str, str]) -> tuple[str, bool]:
    """The agency table's sort column and direction from ``sort`` and ``dir`` (asc|desc)."""
    sort = args.get("sort") if args.get("sort") in SORTS else DEFAULT_SORT
    direction = args.get("dir")
    descending = direction != "asc" if direction in ("asc", "desc") else sort != "agency"
    return sort, descending


def describe(f: Filters) -> list[str]:
    """The active filters in words ("Đơn vị chủ trì: Sở Y tế", …), for page headings and exports."""
    out = []
    if f.directive_id is not None:
        directive = db.session.get(Directive, f.directive_id)
        if directive is not None:
            out.append(Message("Văn bản giao: %(number)s", number=directive.number))
    if f.section:
        out.append(Message("Mục: %(section)s", section=f.section))
    if f.agency_id is not None:
        agency = db.session.get(Agency, f.agency_id)
        if agency is not None:
            out.append(Message("Đơn vị chủ trì: %(agency)s", agency=agency.name))
    if f.output_type:
        out.append(Message("Loại sản phẩm: %(type)s", type=Message(OUTPUT_TYPES[f.output_type])))
    if f.period:
        found = period_range(f.period)
        if found is not None:
            out.append(Message("Thời hạn trong kỳ: %(period)s (%(start)s–%(end)s)", period=found.label,
                               start=f"{found.start:%d/%m/%Y}", end=f"{found.end:%d/%m/%Y}"))
    return out


def tasks_clause(f: Filters):
    """A WHERE clause over Task selecting the real tasks (kind "task") that match ``f``."""
    conditions = [Task.kind == "task"]
    if f.directive_id is not None:
        conditions.append(Task.directive_id == f.directive_id)
    if f.section:
        conditions.append(Task.section == f.section)
    if f.agency_id is not None:
        conditions.append(Task.lead_agency_id == f.agency_id)
    if f.output_type:
        conditions.append(Task.output_type == f.output_type)
    if f.period:
        found = period_range(f.period)
        if found is not None:
            conditions.append(Task.due_date.between(found.start, found.end))
    return and_(*conditions)


# ---------------------------------------------------------------- choices for the filter form

def filter_choices(f: Filters, today: date) -> dict:
    """What the filter form (templates/_progress_filters.html) offers, for the dashboard and the exports."""
    return {"directive_choices": directives(), "section_choices": sections(f.directive_id),
            "agency_choices": reads.agencies(), "output_types": OUTPUT_TYPES,
            "period_choices": [(year, period_choices(year)) for year in period_years(today)],
            "period": period_range(f.period)}


def directives() -> list[Directive]:
    return list(db.session.scalars(select(Directive).order_by(Directive.issued_on.desc(), Directive.number)))


def sections(directive_id: int | None = None) -> list[str]:
    """The section headings of the real tasks (of one directive, when given)."""
    query = select(Task.section).where(Task.kind == "task", Task.section.is_not(None)).distinct()
    if directive_id is not None:
        query = query.where(Task.directive_id == directive_id)
    return sorted(db.session.scalars(query), key=reads.vn_sort_key)


def period_years(today: date | None = None) -> list[int]:
    """The years the period filter offers: those with due dates, within three years of today."""
    today = today or clock.today()
    first, last = db.session.execute(select(func.min(Task.due_date), func.max(Task.due_date))
                                     .where(Task.kind == "task")).one()
    low = max(first.year if first else today.year, today.year - 3)
    high = min(last.year if last else today.year, today.year + 3)
    return list(range(min(low, today.year), max(high, today.year) + 1))


# ---------------------------------------------------------------- by status and by agency

def _due_soon_days() -> int:
    if has_app_context():
        return current_app.config.get("DUE_SOON_DAYS", status.DEFAULT_DUE_SOON_DAYS)
    return status.DEFAULT_DUE_SOON_DAYS


def _status_sums(today: date) -> list:
    """One ``SUM(CASE WHEN status.clause(s) …)`` column per status (the clauses never overlap)."""
    soon = _due_soon_days()
    return [func.coalesce(func.sum(case((status.clause(s, today, soon), 1), else_=0)), 0).label(s)
            for s in status.STATUSES]


def status_totals(f: Filters, today: date | None = None) -> dict[str, int]:
    """How many tasks matching ``f`` are in each status (every status key, zeros included)."""
    today = today or clock.today()
    row = db.session.execute(select(*_status_sums(today)).select_from(Task).where(tasks_clause(f))).one()
    return {s: int(row._mapping[s]) for s in status.STATUSES}


@dataclass
class AgencyRow:
    agency_id: int
    agency: str
    assigned: int
    done_on_time: int
    done_late: int
    in_progress: int
    due_soon: int
    overdue: int
    not_started: int
    ongoing: int

    def count(self, status_key: str) -> int:
        return getattr(self, status_key)


def agency_table(f: Filters, sort: str = DEFAULT_SORT, descending: bool = True,
                 today: date | None = None) -> list[AgencyRow]:
    """One row per lead agency with tasks matching ``f``: assigned, and how many in each status.

    Sorted by ``sort`` (a ``SORTS`` key; unknown keys sort by overdue), ties by agency name.
    """
    today = today or clock.today()
    query = (select(Agency.id, Agency.name, func.count(Task.id).label("assigned"), *_status_sums(today))
             .select_from(Task).join(Agency, Agency.id == Task.lead_agency_id)
             .where(tasks_clause(f)).group_by(Agency.id, Agency.name))
    rows = [AgencyRow(agency_id=r.id, agency=r.name, assigned=int(r.assigned),
                      **{s: int(r._mapping[s]) for s in status.STATUSES})
            for r in db.session.execute(query)]
    rows.sort(key=lambda r: reads.vn_sort_key(r.agency))
    if sort not in SORTS:
        sort = DEFAULT_SORT
    if sort == "agency":
        if descending:
            rows.reverse()
    else:
        rows.sort(key=lambda r: getattr(r, sort), reverse=descending)  # stable: ties stay A→Z
    return rows


def totals_of(rows: list[AgencyRow]) -> dict[str, int]:
    """``status_totals`` added up from the agency table (every task has one lead agency): no second scan."""
    return {s: sum(getattr(r, s) for r in rows) for s in status.STATUSES}


# ---------------------------------------------------------------- by step

@dataclass
class StepRow:
    step_name: str
    waiting: int
    median_wait_days: float
    longest_wait_days: float
    agencies: list[str]
    agency_counts: list[tuple[str, int]] = field(default_factory=list)  # most items first
    stuck: int = 0  # items waiting longer than ``stuck_days`` (when step_board was given it)
    tasks: int = 0  # the tasks those items belong to (several agencies give opinions on one task at once)


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def _rows(query) -> list:
    """All rows of a Core query on the session's connection: thousands of plain tuples, without
    the ORM's per-row loading (which doubles the cost of reading every open work item)."""
    return db.session.connection().execute(query).all()


def _open_items_of(f: Filters):
    return and_(WorkItem.status == "open", WorkItem.task_id == Task.id, tasks_clause(f))


NO_AGENCY = "(chưa xác định đơn vị)"


def step_board(f: Filters, now: datetime | None = None, stuck_days: int | None = None) -> list[StepRow]:
    """The open work items of the tasks matching ``f``, grouped by step name, most items first.

    For each step: how many wait there, the median and longest wait in days (since the item
    became ready), which agencies hold them, and with ``stuck_days`` how many wait longer than
    that. One query reads three columns of the open items; the grouping happens here, because
    a median is not portable SQL and a second grouped query would read the same rows again.
    """
    now = now or clock.now()
    waits: dict[str, list[datetime]] = defaultdict(list)
    holders: dict[str, Counter] = defaultdict(Counter)
    tasks: dict[str, set[int]] = defaultdict(set)
    # streamed, not fetched whole: each row is freed at once, so thousands of rows never pile up
    # into the garbage collector's oldest generation (whose collections cost more than the query)
    for name, agency_id, created_at, task_id in db.session.connection().execute(
            select(WorkItem.step_name, WorkItem.agency_id, WorkItem.created_at, WorkItem.task_id)
            .select_from(WorkItem).join(Task, Task.id == WorkItem.task_id).where(_open_items_of(f))):
        waits[name].append(created_at)
        holders[name][agency_id] += 1
        tasks[name].add(task_id)
    ids = {agency_id for per_agency in holders.values() for agency_id in per_agency if agency_id is not None}
    names = dict(db.session.execute(select(Agency.id, Agency.name).where(Agency.id.in_(ids))).all()) if ids else {}
    order = {name: reads.vn_sort_key(name) for name in {*names.values(), NO_AGENCY}}
    per_step = {step: [(names.get(agency_id, NO_AGENCY), n) for agency_id, n in per_agency.items()]
                for step, per_agency in holders.items()}
    cutoff = now - timedelta(days=stuck_days) if stuck_days is not None else None
    rows = []
    for name, moments in waits.items():
        moments.sort()
        n = len(moments)
        middle = moments[(n - 1) // 2:n // 2 + 1]  # the one or two middle moments
        counts = sorted(per_step[name], key=lambda pair: (-pair[1], order[pair[0]]))
        rows.append(StepRow(
            step_name=name, waiting=n, agencies=[a for a, _ in counts], agency_counts=counts, tasks=len(tasks[name]),
            median_wait_days=sum(_days(now - m) for m in middle) / len(middle),
            longest_wait_days=_days(now - moments[0]),
            stuck=bisect.bisect_left(moments, cutoff) if cutoff is not None else 0))
    return sorted(rows, key=lambda r: (-r.waiting, -r.longest_wait_days, reads.vn_sort_key(r.step_name)))


# ---------------------------------------------------------------- stuck

@dataclass
class StuckRow:
    task_id: int
    code: str
    title: str
    step_name: str
    holder: str
    agency: str
    since: datetime
    days: float
    lead_agency: str = ""
    role: str = ""
    work_item_id: int = 0


def _stuck_where(f: Filters, days: int, now: datetime):
    return and_(_open_items_of(f), WorkItem.created_at < now - timedelta(days=days))


def stuck(f: Filters, days: int, now: datetime | None = None, limit: int | None = None,
          offset: int = 0) -> list[StuckRow]:
    """Open items of tasks matching ``f`` waiting more than ``days`` days at one step, longest first."""
    now = now or clock.now()
    lead = aliased(Agency)
    query = (select(WorkItem.id, WorkItem.task_id, Task.code, Task.title, WorkItem.step_name, WorkItem.role,
                    WorkItem.created_at, User.full_name, Agency.name.label("agency"), lead.name.label("lead"))
             .select_from(WorkItem).join(Task, Task.id == WorkItem.task_id)
             .join(lead, lead.id == Task.lead_agency_id)
             .outerjoin(Agency, Agency.id == WorkItem.agency_id)
             .outerjoin(User, User.id == WorkItem.claimed_by_id)
             .where(_stuck_where(f, days, now)).order_by(WorkItem.created_at, WorkItem.id).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    return [StuckRow(task_id=r.task_id, code=r.code or f"#{r.task_id}", title=r.title, step_name=r.step_name,
                     holder=r.full_name or r.agency or NO_AGENCY, agency=r.agency or NO_AGENCY,
                     since=r.created_at, days=_days(now - r.created_at), lead_agency=r.lead, role=r.role,
                     work_item_id=r.id)
            for r in _rows(query)]


def stuck_count(f: Filters, days: int, now: datetime | None = None) -> int:
    now = now or clock.now()
    return db.session.scalar(select(func.count()).select_from(WorkItem).join(Task, Task.id == WorkItem.task_id)
                             .where(_stuck_where(f, days, now)))


class _RowsPage(Pagination):
    """A page of rows fetched by two callables (rows for offset/limit, and the total)."""

    def _query_items(self) -> list:
        fetch: Callable[[int, int], list] = self._query_args["fetch"]
        return fetch(self._query_offset, self.per_page)

    def _query_count(self) -> int:
        return self._query_args["total"]()


def stuck_page(f: Filters, days: int, page: int = 1, per_page: int = PER_PAGE,
               now: datetime | None = None, total: int | None = None) -> Pagination:
    """One page of ``stuck`` (the same order), with its total, for the page's pagination.

    ``total``, when the caller knows it (the step board's ``stuck`` counts add up to it), saves
    the count query.
    """
    now = now or clock.now()
    return _RowsPage(page=min(max(page, 1), 100_000), per_page=per_page, error_out=False,
                     fetch=lambda offset, limit: stuck(f, days, now, limit=limit, offset=offset),
                     total=lambda: stuck_count(f, days, now) if total is None else total)
