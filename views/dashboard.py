"""“Theo dõi tiến độ”: tasks by status and by lead agency, where work waits, and what is stuck."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, render_template, url_for

from views import parsing
from views.helpers import restrict_to
from workflows import access, clock
from workflows.reporting import dashboard

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

restrict_to(bp, access.OVERSIGHT_READERS)


@bp.route("")
def index():
    board = dashboard.dashboard(parsing.filter_args(), clock.now())
    tasks_url = url_for("tasks.index") + "?" + urlencode(board.tasks_args)
    return render_template("dashboard/index.html", tasks_url=tasks_url, **board.context())
