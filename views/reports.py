"""“Báo cáo định kỳ”: who has and has not reported for a period; the coordinators' button and the command
that create the missing reports (the background worker also does it every morning)."""

from __future__ import annotations

import click
from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from views.helpers import restrict_to
from workflows import access, clock
from workflows.tasks import period_reports, periods

bp = Blueprint("reports", __name__, url_prefix="/reports")

READERS = access.REPORT_READERS

restrict_to(bp, READERS)


@bp.route("")
def index():
    today = clock.today()
    period = periods.resolve(request.args.get("period"), request.args.get("kind"), today)
    previous, following = periods.neighbours(period)
    rows = period_reports.coverage(period.key)
    return render_template(
        "reports/index.html", period=period, due=period_reports.due_of(period), previous=previous,
        following=following, rows=rows,
        counts=period_reports.summary(rows), buckets=periods.BUCKET_LABELS, kinds=periods.KIND_LABELS,
        choices=periods.periods_in(period.kind, period.start.year),
        current=periods.period_of(period.kind, today),
        not_created=sum(1 for r in rows if r.task is None), NOT_CREATED=periods.NOT_CREATED,
        NOT_CREATED_LABEL=periods.NOT_CREATED_LABEL, started=period.start <= today,
        can_generate=current_user.has_role("coordinator"))


@bp.route("/generate", methods=["POST"])
def generate():
    """Create now what the worker would create at 06:00: the reports of every period begun by today
    (``period_reports.generate`` refuses anyone but a coordinator, with its own message)."""
    result = period_reports.generate(current_user, clock.today())
    if result["created"]:
        flash(_("Đã tạo %(created)s báo cáo định kỳ mới; các đơn vị đã thấy việc trong hộp việc của mình.",
                created=result["created"]), "success")
    else:
        flash(_("Không có báo cáo nào cần tạo thêm: các kỳ đã bắt đầu đều đã có đủ báo cáo."), "info")
    return redirect(url_for("reports.index", period=request.form.get("period") or None))


def register_cli(app: Flask) -> None:
    @app.cli.command("generate-reports")
    @click.option("--through", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Create the reports of every period starting on or before this date (YYYY-MM-DD); "
                       "default: today")
    @click.option("--user", "username", default=None,
                  help="Coordinator recorded as creator; default: the first active coordinator")
    def generate_reports(through, username):
        """Create the missing periodic report tasks (one process per period); safe to run twice."""
        day = through.date() if through else clock.today()
        result = period_reports.generate(period_reports.generator(username), day)
        click.echo(f"Đã tạo {result['created']} báo cáo định kỳ mới; {result['existing']} báo cáo đã có "
                   f"từ trước (các kỳ bắt đầu đến hết ngày {day:%d/%m/%Y}).")

    @app.cli.command("reports-since")
    @click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
    @click.option("--user", "username", default=None,
                  help="Coordinator recorded as the one who set it; default: the first active coordinator")
    def reports_since(day, username):
        """Set the day periodic reporting through the product began (go-live): no report is expected for a
        period due before it."""
        period_reports.set_reports_since(period_reports.generator(username), day.date())
        click.echo(f"Báo cáo định kỳ được theo dõi từ ngày {day:%d/%m/%Y}: "
                   "không yêu cầu báo cáo cho các kỳ có hạn trước ngày này.")
