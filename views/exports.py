"""“Xuất báo cáo”: the task register (.xlsx), the period report (.docx) and the Friday review pack.

A .docx is downloaded with GET (the signer and "Nơi nhận" the user chose last time, else the settings') or posted
from the page's form with the signer, "Nơi nhận" and number chosen there, which are remembered for the next time.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from views import parsing
from views.helpers import restrict_to
from views.i18n import domain_message, field_messages, translate
from workflows import access, clock, text
from workflows.errors import N_, Invalid
from workflows.reporting import export_page, pdf_export, period_report, register, signing, week_pack
from workflows.reporting.exporting import ExportFile
from workflows.tasks import scope

bp = Blueprint("exports", __name__, url_prefix="/exports")

FILTER_ARGS = ("directive", "section", "agency", "output_type", "period")

restrict_to(bp, access.OVERSIGHT_READERS)


def _filter_args() -> dict[str, str]:
    return {k: request.args[k] for k in FILTER_ARGS if request.args.get(k)}


@bp.route("")
def index():
    page = export_page.export_page(parsing.filter_args(), clock.today(), current_user)
    for problem in page.problems:
        flash(translate(problem), "warning")
    return render_template("exports/index.html", **page.context())


def _sent_back(which: str, errors: dict[str, str], message: str):
    """The page again with the .docx form ``which`` as it was typed and each problem beside its field."""
    flash(message, "error")
    page = export_page.export_page(MultiDict(), clock.today(), current_user, sent=request.form, errors=errors,
                                   which=which)
    return render_template("exports/index.html", **page.context()), 422


def _chosen() -> tuple[signing.ExportChoice, str]:
    """The signer, "Nơi nhận", Friday pack form and number: posted (and then remembered), or remembered."""
    current = signing.preference(current_user)
    if request.method != "POST":
        week_form = request.args.get("week_form")
        return (signing.ExportChoice(current.signer, week_form) if week_form in signing.WEEK_FORMS else current), ""
    return signing.parse(request.form, current)


def _source() -> MultiDict:
    """The request's fields: the posted form, or the query string of a plain download link. A directive id the
    or agency id the database cannot hold reads as 0, which names nothing (the filter is then ignored, and the page
    says so)."""
    if request.method != "POST":
        return parsing.filter_args()
    fields = MultiDict(request.form)
    for key in ("directive", "agency"):
        if fields.get(key) and parsing.number(fields[key]) is None:
            fields[key] = "0"
    return fields


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


@bp.route("/report.docx", methods=["GET", "POST"])
def report_docx():
    """The period report; without a period, the current one (this month)."""
    fields = _source()
    key = (fields.get("period") or "").strip() or period_report.default_report_period(clock.today())
    fields["period"] = key
    try:
        choice, number = _chosen()
    except Invalid as exc:
        return _sent_back("report", field_messages(exc), domain_message(exc))
    chosen, problems = scope.parse(fields)
    if problems:
        return _back_with(problems, report_period=key[:40])
    try:
        file = _as_asked(period_report.report_file(current_user, chosen, choice.signer, number), choice.signer)
    except Invalid as exc:
        return _back_with([domain_message(exc)])
    if request.method == "POST":
        signing.remember(current_user, choice)
    return download(file)


def _as_asked(file: ExportFile, signer) -> ExportFile:
    """The .docx as built, or as PDF ("Tải PDF"), signed by the standing agency ("Tải PDF có ký số")."""
    form = request.form.get("as") if request.method == "POST" else request.args.get("as")
    if form not in ("pdf", "signed"):
        return file
    return pdf_export.as_pdf(file, current_user, sign=form == "signed", signer=signer)


def _week_day(fields=None) -> date | None:
    """The day named by ``week`` (dd/mm/yyyy or yyyy-mm-dd); today when empty; None when unreadable."""
    typed = ((fields if fields is not None else request.args).get("week") or "").strip()
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


@bp.route("/week", methods=["GET", "POST"])
def week():
    if request.method == "POST":  # "Xem trước" on the export form: the preview of the week typed there
        return redirect(url_for("exports.week", week=(request.form.get("week") or "").strip()[:40] or None))
    day = _week_day()
    if day is None:
        flash(_(WEEK_PROBLEM), "error")
        return redirect(url_for("exports.week"))
    pack = week_pack.week_pack(current_user, day)
    return render_template("exports/week.html", pack=pack, current=pack.current_week, OWED_LIMIT=week_pack.OWED_LIMIT)


@bp.route("/week.docx", methods=["GET", "POST"])
def week_docx():
    """The Friday pack as an internal note or as a document to issue (``week_form``), as chosen."""
    fields = _source()
    day = _week_day(fields)
    try:
        choice, number = _chosen()
    except Invalid as exc:
        errors = field_messages(exc)
        if day is None:
            errors["week"] = _(WEEK_PROBLEM)
        return _sent_back("week", errors, domain_message(exc))
    if day is None:
        if request.method == "POST":
            return _sent_back("week", {"week": _(WEEK_PROBLEM)}, _(WEEK_PROBLEM))
        return _back_with([WEEK_PROBLEM], week=request.args.get("week", "")[:40])
    try:
        file = _as_asked(week_pack.week_file(current_user, day, choice.week_form, choice.signer, number),
                         choice.signer)
    except Invalid as exc:
        return _back_with([domain_message(exc)])
    if request.method == "POST":
        signing.remember(current_user, choice)
    return download(file)


def download(file: ExportFile) -> Response:
    """A file to save: a plain ASCII name for old clients and the Vietnamese one (RFC 6266 ``filename*``)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", text.ascii(file.filename)).strip("-")
    response = Response(file.data, mimetype=file.mimetype)
    response.headers["Content-Disposition"] = (f'attachment; filename="{ascii_name}"; '
                                               f"filename*=UTF-8''{quote(file.filename, safe='')}")
    response.headers["Cache-Control"] = "no-store"
    return response
