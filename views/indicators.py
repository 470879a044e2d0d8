"""“Chỉ tiêu”: the indicator groups, a page per group with targets and reported values, and the
request for a report (“Báo cáo số liệu”). Reading is open to every signed-in user."""

from __future__ import annotations

import itertools

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from views.exports import download
from views.forms import IndicatorReportForm, attach_errors
from workflows.errors import Invalid
from workflows.reporting.register import indicators_file
from workflows.tasks import indicator_reports, indicators

bp = Blueprint("indicators", __name__, url_prefix="/indicators")


@bp.route("")
@login_required
def index():
    # consecutive groups of one directive form one table (groups() keeps the documents' order)
    sections = [(directive, list(items)) for directive, items in
                itertools.groupby(indicators.groups(), key=lambda g: g.directive)]
    return render_template("indicators/index.html", sections=sections)


@bp.route("/export.xlsx")
@login_required
def export():
    return download(indicators_file(current_user))


@bp.route("/groups/<int:key>")
@login_required
def group(key: int):
    page = indicators.group_page(key, current_user)
    if page.group.key != key:  # any indicator's id leads to its group's page
        return redirect(url_for("indicators.group", key=page.group.key))
    # "mine": the indicators the reader's agency answers for (37 rows in a group, a few of them one's own)
    own = [r for r in page.rows if current_user.agency_id in {a.id for a in r.responsible}]
    mine = request.args.get("mine") == "1" and current_user.agency_id is not None
    if mine:
        page.rows = own
    return render_template("indicators/group.html", page=page, mine=mine, own_count=len(own))


@bp.route("/<int:indicator_id>")
@login_required
def show(indicator_id: int):
    indicator = indicators.get_indicator(indicator_id)
    return redirect(url_for("indicators.group", key=indicators.group_key_of(indicator), _anchor=f"ind-{indicator.id}"))


@bp.route("/<int:indicator_id>/report", methods=["GET", "POST"])
@login_required
def report(indicator_id: int):
    indicator = indicators.get_indicator(indicator_id)
    agencies = indicators.reporting_agencies(current_user, indicator)
    if not agencies:
        abort(403)
    form = IndicatorReportForm()
    form.set_choices(indicators.reportable_years(indicator), agencies)
    if form.validate_on_submit():
        try:
            task = indicator_reports.start_report(current_user, indicator.id, form.year.data, form.agency.data)
        except Invalid as exc:
            attach_errors(form, exc)
        else:
            flash(_("Đã yêu cầu %(agency)s báo cáo số liệu năm %(year)s (%(code)s). "
                    "Chuyên viên của đơn vị nhập số liệu, lãnh đạo đơn vị ký duyệt, Tổ giúp việc tiếp nhận.",
                    agency=task.lead_agency.name, year=task.period, code=task.code), "success")
            return redirect(url_for("tasks.show", task_id=task.id))
    return render_template(
        "indicators/report.html", indicator=indicator, form=form, group_key=indicators.group_key_of(indicator),
        targets={y: indicators.target_for(indicator, y) for y in indicators.milestone_years(indicator)},
        responsible=indicators.responsible_agencies(indicator), open_reports=indicators.open_reports(indicator),
    ), 422 if form.errors else 200
