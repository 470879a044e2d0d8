"""“Theo dõi tiến độ”: the figures — tasks by status, by lead agency and by step, and the work stuck at one step.

Everything here reads the Task and WorkItem tables with SQL (DESIGN.md: dashboards never
deserialize engine state): grouped counts for the statuses, and one streamed read of three columns
of the open work items for the step board. Status comes from ``status.clause``, the rule the task
list filters with, so the figures equal what the list shows. The .xlsx/.docx exports read the same functions.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from models import Agency, Task, User, WorkItem, db
from workflows import clock, settings, text
from workflows.reporting.filters import DEFAULT_SORT, SORTS
from workflows.tasks import status
from workflows.tasks.scope import Filters, tasks_clause

PER_PAGE = 25
# The order of statuses on the page and in the exports, as government reports group them (DOMAIN.md): done
# (on time, late), not done (in time: in progress, not started, due soon; overdue), then ongoing tasks apart.
STATUS_ORDER = ("done_on_time", "done_late", "in_progress", "not_started", "due_soon", "overdue", "ongoing")
NO_AGENCY = "(chưa xác định đơn vị)"


# ---------------------------------------------------------------- by status and by agency

def _status_sums(today: date) -> list:
    """One ``SUM(CASE WHEN status.clause(s) …)`` column per status (the clauses never overlap)."""
    soon = settings.due_soon_days()
    return [func.coalesce(func.sum(case((status.clause(s, today, soon), 1), else_=0)), 0).label(s)
            for s in status.STATUSES]


def status_totals(f: Filters, today: date | None = None) -> dict[str, int]:
    """How many tasks matching ``f`` are in each status (every status key, zeros included)."""
    today = today or clock.today()
    row = db.session.execute(select(*_status_sums(today)).select_from(Task).where(tasks_clause(f))).one()
    return {s: int(row._mapping[s]) for s in status.STATUSES}


@dataclass
class GroupRow:
    """A task owed by a group, as far as its members are (each member's task is counted among the units above)."""

    task: Task
    total: int
    done: int
    overdue: int


def group_table(f: Filters, today: date | None = None) -> list[GroupRow]:
    """The tasks owed by a group that match ``f`` (an agency filter: those it is a member of), with their members'
    progress, in one aggregate query; the least advanced first."""
    today = today or clock.today()
    parents = select(Task.id).where(tasks_clause(replace(f, agency_id=None), kind="group"))
    member = aliased(Task)
    if f.agency_id is not None:
        parents = parents.where(select(member.id).where(member.parent_id == Task.id,
                                                        member.lead_agency_id == f.agency_id).exists())
    overdue = status.clause("overdue", today, settings.due_soon_days())
    rows = db.session.execute(
        select(Task.parent_id, func.count(), func.sum(case((Task.state == "done", 1), else_=0)),
               func.sum(case((overdue, 1), else_=0)))
        .where(Task.parent_id.in_(parents), Task.kind == "task").group_by(Task.parent_id)).all()
    tasks = {t.id: t for t in db.session.scalars(select(Task).where(Task.id.in_([r[0] for r in rows])))}
    found = [GroupRow(tasks[parent], int(total), int(done or 0), int(late or 0)) for parent, total, done, late in rows]
    return sorted(found, key=lambda r: (r.done / r.total if r.total else 1, r.task.code or ""))


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
    rows.sort(key=lambda r: text.sort_key(r.agency))
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
    order = {name: text.sort_key(name) for name in {*names.values(), NO_AGENCY}}
    per_step = {step: [(names.get(agency_id, NO_AGENCY), n) for agency_id, n in per_agency.items()]
                for step, per_agency in holders.items()}
    cutoff = _stuck_cutoff(now, stuck_days) if stuck_days is not None else None
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
    return sorted(rows, key=lambda r: (-r.waiting, -r.longest_wait_days, text.sort_key(r.step_name)))


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
    days: float  # waited, exactly (what "more than N days" is measured in)
    lead_agency: str = ""
    role: str = ""
    work_item_id: int = 0
    day_count: int = 0  # calendar days since the day it arrived, as the inbox, the task page and the register count


def _stuck_cutoff(now: datetime, days: int) -> datetime:
    """Waiting more than ``days`` days counts calendar days in the province, as the list shows them (an item of
    10.1 days was listed as "more than 10 days" with 10 beside it): it arrived before the local midnight that
    began the day ``days`` days ago. Naive UTC, as stored."""
    day = clock.to_local(now).date() - timedelta(days=days)
    return clock.day_start(day)


def _stuck_where(f: Filters, days: int, now: datetime, past: bool = False):
    """The items waiting more than ``days`` days at ``now``: open ones, or, for a moment ``past`` (a past week's
    pack), those ready by then and not done until after it — the backlog as it stood, not as it stands today."""
    waiting = _open_items_of(f) if not past else and_(
        WorkItem.task_id == Task.id, tasks_clause(f), WorkItem.created_at <= now,
        or_(WorkItem.status == "open", WorkItem.completed_at > now))
    return and_(waiting, WorkItem.created_at < _stuck_cutoff(now, days))


def stuck(f: Filters, days: int, now: datetime | None = None, limit: int | None = None,
          offset: int = 0, past: bool = False) -> list[StuckRow]:
    """Open items of tasks matching ``f`` waiting more than ``days`` days at one step, longest first — or, ``past``,
    those that were waiting so at the moment ``now``."""
    now = now or clock.now()
    lead = aliased(Agency)
    query = (select(WorkItem.id, WorkItem.task_id, Task.code, Task.title, WorkItem.step_name, WorkItem.role,
                    WorkItem.created_at, User.full_name, Agency.name.label("agency"), lead.name.label("lead"))
             .select_from(WorkItem).join(Task, Task.id == WorkItem.task_id)
             .join(lead, lead.id == Task.lead_agency_id)
             .outerjoin(Agency, Agency.id == WorkItem.agency_id)
             .outerjoin(User, User.id == WorkItem.claimed_by_id)
             .where(_stuck_where(f, days, now, past)).order_by(WorkItem.created_at, WorkItem.id).offset(offset))
    if limit is not None:
        query = query.limit(limit)
    return [StuckRow(task_id=r.task_id, code=r.code or f"#{r.task_id}", title=r.title, step_name=r.step_name,
                     holder=r.full_name or r.agency or NO_AGENCY, agency=r.agency or NO_AGENCY,
                     since=r.created_at, days=_days(now - r.created_at), lead_agency=r.lead, role=r.role,
                     work_item_id=r.id,
                     day_count=(clock.to_local(now).date() - clock.to_local(r.created_at).date()).days)
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
