"""“Xếp hạng đơn vị”: the scorecard of each unit for a period, ranked, with every figure linking to its tasks, and
the ranking as .xlsx in the layout provinces use for emulation (thi đua)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, render_template, request, url_for

from views.helpers import restrict_to
from views.i18n import translate
from workflows import access, clock
from workflows.reporting import register, scorecard
from workflows.tasks import scope

bp = Blueprint("scorecards", __name__, url_prefix="/scorecards")

restrict_to(bp, access.OVERSIGHT_READERS)


def _period() -> scope.PeriodRange:
    return scope.period_range(request.args.get("period")) or scope.period_range(str(clock.today().year))


@bp.route("")
def index():
    period = _period()
    for problem in scope.parse({"period": request.args.get("period", "")})[1]:  # "abc": said, not silently a year
        flash(translate(problem), "warning")
    today = clock.today()

    def tasks_url(agency_id: int, status: str | None = None) -> str:
        """The task list of the tasks a figure counts: the unit's, due in the period, in that status."""
        args = scope.Filters(agency_id=agency_id, period=period.key).list_args()
        return url_for("tasks.index", **args, **({"status": status} if status else {}))

    return render_template("scorecards/index.html", period=period, rows=scorecard.scorecard(period.key, today),
                           today=today, choices=scope.period_choices(period.start.year), tasks_url=tasks_url,
                           years=range(today.year - 2, today.year + 2), scope_choices=scope.period_choices)


@bp.route("/xlsx")
def export():
    period = _period()
    today = clock.today()
    content = register.scorecard_xlsx(scorecard.scorecard(period.key, today), period.label, today)
    return Response(content, mimetype=register.XLSX_MIME, headers={
        "Content-Disposition": f"attachment; filename=xep-hang-don-vi-{period.key}.xlsx", "Cache-Control": "no-store"})
