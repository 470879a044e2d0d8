"""Administration: the holiday calendar used for effective due dates and working-day counts, the process models
(versions, deploying an uploaded BPMN file, moving running instances to another version), and the agency aliases
made on import review lists."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from views import parsing
from views.forms import VNDateField, attach_errors
from views.i18n import domain_message
from workflows import clock, holidays
from workflows.accounts import groups
from workflows.errors import N_, DomainError, Invalid
from workflows.importing import review_list
from workflows.process import deploy, diagram
from workflows.tasks import deadlines, migration, reads

bp = Blueprint("admin", __name__, url_prefix="/admin")


class HolidayForm(FlaskForm):
    # InputRequired, not DataRequired: a typed but impossible date keeps its own message
    day = VNDateField(N_("Ngày"), validators=[InputRequired(N_("Vui lòng nhập ngày (ngày/tháng/năm)."))])
    name = StringField(N_("Tên ngày"), validators=[DataRequired(N_("Vui lòng nhập tên ngày nghỉ hoặc ngày làm bù.")),
                                               Length(max=200)])
    kind = SelectField(N_("Loại"), choices=[SelectChoice("off", N_("Ngày nghỉ")),
                                            SelectChoice("working", N_("Ngày làm bù (thứ Bảy/Chủ nhật đi làm)"))])


class ModelUploadForm(FlaskForm):
    file = FileField(N_("Tệp BPMN của phiên bản mới (.bpmn)"), validators=[
        FileRequired(N_("Vui lòng chọn tệp BPMN (.bpmn) để tải lên.")),
        FileSize(deploy.MAX_MODEL_BYTES, message=N_("Tệp quá lớn: giới hạn là 2 MB."))])


class MigrationForm(FlaskForm):
    target = SelectField(N_("Chuyển sang phiên bản"), coerce=int, validate_choice=True)


@bp.before_request
@login_required
def _admins_only():
    if not current_user.has_role("admin"):
        abort(403)


_KIND_WORDS = {"off": lambda: _("ngày nghỉ"), "working": lambda: _("ngày làm bù")}


@bp.route("/holidays", methods=["GET", "POST"])
def holiday_list():
    form = HolidayForm()
    form.kind.choices = [SelectChoice(c.value, _(c.label)) for c in form.kind.choices]
    if form.validate_on_submit():
        try:
            moved = []
            before = holidays.set_day(form.day.data, form.name.data.strip(), form.kind.data, then=_follow(moved))
        except Invalid as exc:
            attach_errors(form, exc)
        else:
            day = f"{form.day.data:%d/%m/%Y}"
            if before is None:
                flash(_("Đã thêm ngày %(day)s vào lịch.", day=day), "success")
            else:  # the form adds and changes alike: what was there is said, not silently replaced
                flash(_("Đã sửa ngày %(day)s: trước đây “%(name)s” (%(kind)s).", day=day, name=before[0],
                        kind=_KIND_WORDS[before[1]]()), "success")
            _say_moved(moved)
            return redirect(url_for("admin.holiday_list"))
    year = parsing.int_arg("year", high=9999)  # a year a date can hold; anything else lists every year
    return render_template("admin/holidays.html", form=form, days=holidays.days(year), year=year,
                           years=holidays.years(), missing=holidays.years_missing()), 422 if form.errors else 200


def _follow(moved: list[int]):
    """What the calendar's change does next, in its transaction: the running tasks follow (counted in ``moved``)."""
    return lambda day: moved.append(deadlines.follow_calendar(current_user, day))


def _say_moved(counts: list[int]) -> None:
    """How many running tasks the calendar's change moved (``deadlines.follow_calendar``, in its transaction)."""
    moved = sum(counts)
    if moved:
        flash(ngettext("%(num)s nhiệm vụ đang thực hiện đổi thời hạn theo lịch mới (ghi trong lịch sử của nhiệm vụ).",
                       "%(num)s nhiệm vụ đang thực hiện đổi thời hạn theo lịch mới (ghi trong lịch sử của nhiệm vụ).",
                       moved), "info")


@bp.post("/holidays/<day>/delete")
def holiday_delete(day: str):
    on = holidays.parse_day(day)
    moved = []
    if (removed := holidays.remove_day(on, then=_follow(moved))) is not None:
        flash(_("Đã xóa ngày %(day)s (%(name)s) khỏi lịch.", day=f"{on:%d/%m/%Y}", name=removed.name), "info")
        _say_moved(moved)
    else:
        flash(_("Ngày %(day)s không có trong lịch ngày nghỉ, ngày làm bù; không có gì để xóa.",
                day=on.strftime("%d/%m/%Y")), "warning")
    return redirect(url_for("admin.holiday_list"))


# ---------------------------------------------------------------- process models

@bp.get("/models")
def model_list():
    return render_template("admin/models.html", processes=deploy.versions())


@bp.route("/models/<process_id>", methods=["GET", "POST"])
def model_show(process_id: str):
    process = deploy.process(process_id)
    form = ModelUploadForm()
    if process.kind == "bpmn" and form.validate_on_submit():
        upload = form.file.data
        try:
            deployed = deploy.deploy_upload(current_user, upload.filename, upload.read(), process_id)
        except Invalid as exc:
            form.file.errors = [*form.file.errors, *exc.fields.get("file", exc.message).split("\n")]
        else:
            flash(_("Đã triển khai phiên bản %(version)s của quy trình. Nhiệm vụ giao từ nay chạy theo phiên bản "
                    "này; hồ sơ đang chạy giữ phiên bản cũ cho tới khi được chuyển.", version=deployed.version),
                  "success")
            return redirect(url_for("admin.model_show", process_id=process_id))
    diagrams = {v.model.id: diagram.model_svg(v.model) for v in process.versions} if process.kind == "bpmn" else {}
    return render_template("admin/models_show.html", process=process, form=form, diagrams=diagrams,
                           deployers=deploy.deployers(process.versions)), 422 if form.errors else 200


@bp.get("/models/versions/<int:model_id>/diagram")
def model_diagram(model_id: int):
    pm = deploy.model(model_id)
    if pm.kind != "bpmn":
        abort(404)
    return Response(diagram.model_svg(pm, standalone=True), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, no-store"})


@bp.get("/models/versions/<int:model_id>/file")
def model_file(model_id: int):
    """The version's file as deployed: the one to edit for the next version, or to deploy again to go back."""
    pm = deploy.model(model_id)
    return Response(pm.source, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{pm.process_id}-v{pm.version}.{pm.kind}"',
        "Cache-Control": "private, no-store"})


@bp.route("/models/versions/<int:model_id>/migrate", methods=["GET", "POST"])
def model_migrate(model_id: int):
    source = deploy.model(model_id)
    process = deploy.process(source.process_id)
    others = [v.model for v in process.versions if v.model.id != source.id]
    form = MigrationForm()
    form.target.choices = [SelectChoice(m.id, _("Phiên bản %(version)s", version=m.version)) for m in others]
    if request.method == "POST":
        if form.validate_on_submit():
            target = deploy.model(form.target.data)
            result = migration.migrate(current_user, source, target)
            return render_template("admin/models_migrated.html", process=process, source=source, target=target,
                                   result=result)
        return render_template("admin/models_migrate.html", process=process, source=source, form=form,
                               plan=None), 422
    plan = None
    if "target" in request.args:  # the dry run (a GET: it changes nothing)
        target = next((m for m in others if m.id == parsing.id_arg("target")), None)
        if target is None:
            form.target.errors = [_("Vui lòng chọn một phiên bản khác của cùng quy trình.")]
        else:
            form.target.data = target.id
            plan = migration.plan_migration(current_user, source, target)
    return render_template("admin/models_migrate.html", process=process, source=source, form=form,
                           plan=plan), 422 if form.target.errors else 200


# ---------------------------------------------------------------- agency aliases

@bp.get("/aliases")
def alias_list():
    query = (request.args.get("q") or "").strip()[:200]
    page = review_list.alias_page(current_user, query, parsing.page_arg())
    return render_template("admin/aliases.html", page=page, query=query)


@bp.post("/aliases/<int:alias_id>/delete")
def alias_delete(alias_id: int):
    text, agency = review_list.remove_alias(current_user, alias_id)
    flash(_("Đã xóa tên gọi khác “%(text)s” của %(agency)s. Các nhiệm vụ đã nhập không thay đổi; lần nhập sau sẽ "
            "hỏi lại tên này.", text=text, agency=agency), "info")
    return redirect(url_for("admin.alias_list", q=request.form.get("q") or None))


# ---------------------------------------------------------------- agency groups (workflows/accounts/groups.py)

@bp.route("/groups", methods=["GET", "POST"])
def group_list():
    """The groups plans assign tasks to; a new one from a name, its other names and its members (refused: 422,
    the form keeps what was typed)."""
    status = 200
    if request.method == "POST":
        members = request.form.getlist("members")
        aliases = [a for a in (request.form.get("aliases") or "").replace(";", "\n").splitlines() if a.strip()]
        try:
            group = groups.create_group(current_user, request.form.get("name", ""), members, aliases)
        except DomainError as exc:
            flash(domain_message(exc), "error")
            status = 422
        else:
            flash(_("Đã tạo nhóm “%(name)s” gồm %(n)s đơn vị.", name=group.name, n=len(group.memberships)),
                  "success")
            return redirect(url_for("admin.group_show", group_id=group.id))
    return render_template("admin/groups.html", groups=groups.groups(), agencies=reads.agencies(),
                           today=clock.today()), status


@bp.route("/groups/<int:group_id>")
def group_show(group_id: int):
    group = groups.get_group(group_id)
    taken = {m.agency_id for m in group.memberships if m.left_on is None}
    return render_template("admin/group.html", group=group, today=clock.today(),
                           addable=[a for a in reads.agencies() if a.id not in taken])


class MembershipForm(FlaskForm):
    on = VNDateField(N_("Từ ngày"), validators=[Optional()], description=N_("Để trống: hôm nay."))


@bp.post("/groups/<int:group_id>/members")
def group_member(group_id: int):
    """An agency joins (``action=join``) or leaves (``action=leave``) the group on the date given (today)."""
    group = groups.get_group(group_id)
    form = MembershipForm()
    if not form.validate_on_submit():
        flash(_("Ngày không hợp lệ: %(problems)s", problems="; ".join(_(str(e)) for e in form.on.errors)), "error")
    else:
        try:
            agency = groups.change_membership(current_user, group, parsing.id_field("agency_id"),
                                              request.form.get("action") == "join", form.on.data or clock.today())
        except DomainError as exc:
            flash(domain_message(exc), "error")
        else:
            flash(_("Đã cập nhật thành viên của nhóm: %(agency)s.", agency=agency.name), "success")
    return redirect(url_for("admin.group_show", group_id=group.id))
