"""“Theo dõi tiến độ”: tasks by status and by lead agency, where work waits, and what is stuck."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request, url_for

from models import OVERSIGHT_ROLES
from views.helpers import restrict_to
from workflows import clock
from workflows.reporting import charts, progress

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# Coordinators, committee leaders (viewer), approvers and administrators: those who see every task.
READERS = tuple(sorted(OVERSIGHT_ROLES))

restrict_to(bp, READERS)


@bp.route("")
def index():
    filters = progress.filters_from(request.args)
    problems = progress.filter_problems(request.args)
    days, days_problem = progress.stuck_days_from(request.args.get("days"), current_app.config["STUCK_DAYS"])
    if days_problem:
        problems.append(days_problem)
    sort, descending = progress.sort_from(request.args)
    now = clock.now()
    today = clock.to_local(now).date()
    agencies = progress.agency_table(filters, sort, descending, today)
    totals = progress.totals_of(agencies)
    steps = progress.step_board(filters, now, stuck_days=days)
    stuck = progress.stuck_page(filters, days, page=request.args.get("page", 1, type=int), now=now,
                                total=sum(r.stuck for r in steps))
    tasks_url = url_for("tasks.index") + "?" + urlencode({k: v for k, v in filters.list_args().items() if k != "lead"})
    return render_template(
        "dashboard/index.html", filters=filters, problems=problems, described=progress.describe(filters),
        today=today, days=days, default_days=current_app.config["STUCK_DAYS"], sort=sort, descending=descending,
        tasks_url=tasks_url, totals=totals, total=sum(totals.values()), agencies=agencies, steps=steps,
        stuck=stuck, order=progress.STATUS_ORDER, agency_chart=charts.status_by_agency(agencies),
        step_chart=charts.waiting_by_step(steps), number_vn=charts.number_vn,
        **progress.filter_choices(filters, today))
