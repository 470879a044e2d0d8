"""Administration: the holiday calendar used for effective due dates and working-day counts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from views.forms import VNDateField
from workflows import holidays

bp = Blueprint("admin", __name__, url_prefix="/admin")


class HolidayForm(FlaskForm):
    # InputRequired, not DataRequired: a typed but impossible date keeps its own message
    day = VNDateField("Ngày", validators=[InputRequired("Vui lòng nhập ngày (ngày/tháng/năm).")])
    name = StringField("Tên ngày", validators=[DataRequired("Vui lòng nhập tên ngày nghỉ hoặc ngày làm bù."),
                                               Length(max=200)])
    kind = SelectField("Loại", choices=[SelectChoice("off", "Ngày nghỉ"),
                                        SelectChoice("working", "Ngày làm bù (thứ Bảy/Chủ nhật đi làm)")])


@bp.before_request
@login_required
def _admins_only():
    if not current_user.has_role("admin"):
        abort(403)


@bp.route("/holidays", methods=["GET", "POST"])
def holiday_list():
    form = HolidayForm()
    if form.validate_on_submit():
        holidays.set_day(form.day.data, form.name.data.strip(), form.kind.data)
        flash(f"Đã lưu ngày {form.day.data:%d/%m/%Y}.", "success")
        return redirect(url_for("admin.holiday_list"))
    year = request.args.get("year", type=int)
    return render_template("admin/holidays.html", form=form, days=holidays.days(year), year=year,
                           years=holidays.years()), 422 if form.errors else 200


@bp.post("/holidays/<day>/delete")
def holiday_delete(day: str):
    holidays.remove_day(holidays.parse_day(day))
    flash("Đã xóa ngày khỏi lịch.", "info")
    return redirect(url_for("admin.holiday_list"))
