"""“Xuất báo cáo”: the task register (.xlsx), the period report (.docx) and the Friday review pack."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from views.helpers import restrict_to
from views.i18n import domain_message, translate
from workflows import clock
from workflows.errors import N_, Invalid
from workflows.reporting import exports, progress

bp = Blueprint("exports", __name__, url_prefix="/exports")

FILTER_ARGS = ("directive", "section", "agency", "output_type", "period")

restrict_to(bp, exports.READERS)


def _filter_args() -> dict[str, str]:
    return {k: request.args[k] for k in FILTER_ARGS if request.args.get(k)}


@bp.route("")
def index():
    today = clock.today()
    filters = progress.filters_from(request.args)
    for problem in progress.filter_problems(request.args):
        flash(translate(problem), "warning")
    return render_template(
        "exports/index.html", filters=filters, today=today,
        **progress.filter_choices(filters, today),
        report_choices=exports.report_periods(today),
        report_period=request.args.get("report_period") or exports.default_report_period(today),
        week=request.args.get("week") or today.strftime("%d/%m/%Y"))


def _back_with(problems: list[str], **extra):
    for problem in problems:
        flash(translate(problem), "error")
    return redirect(url_for("exports.index", **_filter_args(), **extra))


@bp.route("/register.xlsx")
def register_xlsx():
    problems = progress.filter_problems(request.args)
    if problems:
        return _back_with(problems)
    today = clock.today()
    data = exports.register_xlsx(current_user, progress.filters_from(request.args), today)
    return download(data, f"Danh mục nhiệm vụ {today:%d-%m-%Y}.xlsx", exports.XLSX_MIME)


@bp.route("/report.docx")
def report_docx():
    key = (request.args.get("period") or "").strip()
    problems = progress.filter_problems(request.args)
    if not key:
        problems.append(_("Vui lòng chọn kỳ báo cáo."))
    if problems:
        return _back_with(problems, report_period=key[:40] or None)
    try:
        report = exports.period_report(current_user, progress.filters_from(request.args))
    except Invalid as exc:
        return _back_with([domain_message(exc)])
    name = f"Báo cáo tình hình thực hiện nhiệm vụ {report.period.label.replace('/', '-')}.docx"
    return download(exports.period_report_docx(report), name, exports.DOCX_MIME)


def _week_day() -> date | None:
    """The day named by ``week`` (dd/mm/yyyy or yyyy-mm-dd); today when empty; None when unreadable."""
    text = (request.args.get("week") or "").strip()
    if not text:
        return clock.today()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            day = datetime.strptime(text, fmt).date()
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
    pack = exports.week_pack(current_user, day)
    return render_template("exports/week.html", pack=pack, current=exports.week_of(clock.today())[0])


@bp.route("/week.docx")
def week_docx():
    day = _week_day()
    if day is None:
        return _back_with([WEEK_PROBLEM], week=request.args.get("week", "")[:40])
    pack = exports.week_pack(current_user, day)
    name = f"Giao ban tuần {pack.start:%d-%m} đến {pack.end:%d-%m-%Y}.docx"
    return download(exports.week_docx(pack), name, exports.DOCX_MIME)


def download(data: bytes, filename: str, mimetype: str) -> Response:
    """A file to save: a plain ASCII name for old clients and the Vietnamese one (RFC 6266 ``filename*``)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", exports.fold(filename)).strip("-")
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                               f"filename*=UTF-8''{quote(filename, safe='')}")
    response.headers["Cache-Control"] = "no-store"
    return response
