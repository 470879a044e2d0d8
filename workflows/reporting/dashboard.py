"""The “Theo dõi tiến độ” page as one read: the filters of its query string, then every figure, table, chart and
choice the page shows, taken at one moment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup

from workflows import clock, settings
from workflows.reporting import charts, filters, progress
from workflows.tasks import agency_changes, scope


@dataclass
class Dashboard:
    filters: scope.Filters
    problems: list  # why parts of the query string were ignored
    described: list  # the active filters in words
    today: date
    days: int  # "stuck" means waiting longer than this many days
    default_days: int
    sort: str
    descending: bool
    tasks_args: dict[str, str | int]  # the query of the task-list links that keep the filters
    totals: dict[str, int]
    total: int
    agencies: list[progress.AgencyRow]
    groups: list[progress.GroupRow]  # the tasks owed by a group; their members' tasks are counted above as units
    waiting_reassignment: int  # running tasks of agencies split or dissolved, waiting for a coordinator's choice
    steps: list[progress.StepRow]
    stuck: Pagination
    order: tuple[str, ...]
    agency_chart: Markup
    step_chart: Markup
    choices: dict  # what the filter form offers

    def context(self) -> dict[str, Any]:
        """The page template's variables (the filter form's choices among them, by their own names)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("choices", "tasks_args")}
        return {**values, **self.choices}


def _page(args: Mapping[str, str]) -> int:
    try:
        return int(args.get("page", 1))
    except (TypeError, ValueError):
        return 1


def dashboard(args: Mapping[str, str], now: datetime) -> Dashboard:
    """The page for the query string ``args`` (filters, ``days``, ``sort``/``dir``, ``page``) at ``now``."""
    f, problems = scope.parse(args)
    default_days = settings.stuck_days()
    days, days_problem = filters.stuck_days_from(args.get("days"), default_days)
    if days_problem:
        problems.append(days_problem)
    sort, descending = filters.sort_from(args)
    today = clock.to_local(now).date()
    agencies = progress.agency_table(f, sort, descending, today)
    totals = progress.totals_of(agencies)
    steps = progress.step_board(f, now, stuck_days=days)
    # the step board's stuck counts add up to the list's total: no count query
    stuck = progress.stuck_page(f, days, page=_page(args), now=now, total=sum(r.stuck for r in steps))
    return Dashboard(
        filters=f, problems=problems, described=scope.describe(f), today=today, days=days,
        default_days=default_days, sort=sort, descending=descending,
        tasks_args={k: v for k, v in f.list_args().items() if k != "lead"}, totals=totals, total=sum(totals.values()),
        agencies=agencies, groups=progress.group_table(f, today),
        waiting_reassignment=len(agency_changes.waiting_tasks()), steps=steps, stuck=stuck, order=progress.STATUS_ORDER,
        agency_chart=charts.status_by_agency(agencies), step_chart=charts.waiting_by_step(steps),
        choices=filters.filter_choices(f, today))
