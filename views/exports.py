"""“Xuất báo cáo”: the task register (.xlsx), the period report (.docx) and the Friday review pack."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from views import parsing
from views.helpers import restrict_to
from views.i18n import domain_message, translate
from workflows import access, clock, text
from workflows.errors import N_, Invalid
from workflows.reporting import export_page, period_report, register, week_pack
from workflows.reporting.exporting import ExportFile
from workflows.tasks import scope

bp = Blueprint("exports", __name__, url_prefix="/exports")

FILTER_ARGS = ("directive", "section", "agency", "output_type", "period")

restrict_to(bp, access.OVERSIGHT_READERS)


def _filter_args() -> dict[str, str]:
    return {k: request.args[k] for k in FILTER_ARGS if request.args.get(k)}


@bp.route("")
def index():
    page = export_page.export_page(parsing.filter_args(), clock.today())
    for problem in page.problems:
        flash(translate(problem), "warning")
    return render_template("exports/index.html", **page.context())


def _back_with(problems: list[str], **extra):
    for problem in problems:
        flash(translate(problem), "error")
    return redirect(url_for("exports.index", **_filter_args(), **extra))


@bp.route("/register.xlsx")
def register_xlsx():
    chosen, problems = scope.parse(parsing.filter_args())
    if problems:
        return _back_with(problems)
    return download(register.register_file(current_user, chosen, clock.today()))


@bp.route("/report.docx")
def report_docx():
    key = (request.args.get("period") or "").strip()
    chosen, problems = scope.parse(parsing.filter_args())
    if not key:
        problems.append(_("Vui lòng chọn kỳ báo cáo."))
    if problems:
        return _back_with(problems, report_period=key[:40] or None)
    try:
        file = period_report.report_file(current_user, chosen)
    except Invalid as exc:
        return _back_with([domain_message(exc)])
    return download(file)


def _week_day() -> date | None:
    """The day named by ``week`` (dd/mm/yyyy or yyyy-mm-dd); today when empty; None when unreadable."""
    typed = (request.args.get("week") or "").strip()
    if not typed:
        return clock.today()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            day = datetime.strptime(typed, fmt).date()
        except ValueError:
            continue
        if 2000 <= day.year <= 2100:
            return day
    return None


WEEK_PROBLEM = N_("Ngày không hợp lệ: hãy nhập một ngày trong tuần cần xem, dạng ngày/tháng/năm (ví dụ 27/11/2026).")


@bp.route("/week")
def week():
    day = _week_day()
    if day is None:
        flash(_(WEEK_PROBLEM), "error")
        return redirect(url_for("exports.week"))
    pack = week_pack.week_pack(current_user, day)
    return render_template("exports/week.html", pack=pack, current=pack.current_week)


@bp.route("/week.docx")
def week_docx():
    day = _week_day()
    if day is None:
        return _back_with([WEEK_PROBLEM], week=request.args.get("week", "")[:40])
    return download(week_pack.week_file(current_user, day))


def download(file: ExportFile) -> Response:
    """A file to save: a plain ASCII name for old clients and the Vietnamese one (RFC 6266 ``filename*``)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", text.ascii(file.filename)).strip("-")
    response = Response(file.data, mimetype=file.mimetype)
    response.headers["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                               f"filename*=UTF-8''{quote(file.filename, safe='')}")
    response.headers["Cache-Control"] = "no-store"
    return response
