"""People and agencies: the administrator's "Người dùng" and "Đơn vị" pages (an agency head sees their own
agency's people), the import of many accounts from an .xlsx, and everyone's own "Đổi mật khẩu" page, which a
person holding a temporary password is sent to before anything else."""

from __future__ import annotations

import json
import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import PasswordField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional, ValidationError

from models import ROLE_LABELS, ROLES
from views import parsing
from views.forms import MultiCheckboxField, VNDateField
from views.i18n import domain_message, field_messages, label
from workflows import clock
from workflows.accounts import admin_people, people, people_import
from workflows.errors import N_, Conflict, Invalid
from workflows.tasks import agency_changes, leavers

bp = Blueprint("people", __name__)
NO_STORE = {"Cache-Control": "no-store"}
# What a person holding a temporary password may still reach: this page, signing out, the session check.
OPEN_WHILE_TEMPORARY = {"people.change_password", "auth.logout", "auth.session_status", "static"}


def _some_role(_form, field) -> None:
    """At least one role (a plain check: DataRequired would mark every checkbox required)."""
    if not field.data:
        raise ValidationError(N_("Vui lòng chọn ít nhất một vai trò."))


class UserForm(FlaskForm):
    username = StringField(N_("Tên đăng nhập"), validators=[
        DataRequired(N_("Vui lòng nhập tên đăng nhập.")), Length(max=80, message=N_("Tên đăng nhập tối đa 80 ký tự."))],
        description=N_("Chữ không dấu, chữ số, dấu chấm, gạch ngang, gạch dưới; ví dụ: cv.sonv. Không đổi được sau khi "
                       "tạo."))
    full_name = StringField(N_("Họ và tên"), validators=[DataRequired(N_("Vui lòng nhập họ và tên.")),
                                                         Length(max=200, message=N_("Họ và tên tối đa 200 ký tự."))])
    agency_id = SelectField(N_("Đơn vị"), coerce=int, validate_choice=True)
    roles = MultiCheckboxField(N_("Vai trò"), validators=[_some_role], validate_choice=True)
    email = StringField(N_("Thư điện tử"), validators=[Optional(), Length(max=200)],
                        description=N_("Không bắt buộc; để nhận thông báo qua thư."))


class AgencyForm(FlaskForm):
    name = StringField(N_("Tên đơn vị"), validators=[DataRequired(N_("Vui lòng nhập tên đơn vị.")),
                                                     Length(max=255, message=N_("Tên đơn vị tối đa 255 ký tự."))])
    short_name = StringField(N_("Tên viết tắt"), validators=[Optional(), Length(max=80)])
    kind = SelectField(N_("Loại đơn vị"), validate_choice=True)
    aliases = TextAreaField(N_("Tên gọi khác"), validators=[Length(max=5000)],
                            description=N_("Mỗi dòng một tên; các văn bản ghi tên này vẫn được nhận ra khi nhập "
                                           "danh mục. Khi đổi tên, tên cũ được tự động giữ lại ở đây."))


class AgencyEndForm(FlaskForm):
    """An agency that ends after a reorganisation: merged into a successor, split or dissolved."""

    how = SelectField(N_("Hình thức"), choices=[
        SelectChoice("merged", N_("Sáp nhập vào đơn vị khác (đơn vị đó tiếp nhận toàn bộ công việc)")),
        SelectChoice("split", N_("Chia tách (Tổ giúp việc giao lại từng nhiệm vụ)")),
        SelectChoice("dissolved", N_("Giải thể (Tổ giúp việc giao lại từng nhiệm vụ)"))], validate_choice=True)
    successor = SelectField(N_("Đơn vị tiếp nhận (khi sáp nhập)"), validate_choice=False)
    on = VNDateField(N_("Từ ngày"), validators=[InputRequired(N_("Vui lòng nhập ngày có hiệu lực."))])
    document = StringField(N_("Văn bản quyết định"), validators=[
        DataRequired(N_("Vui lòng ghi văn bản quyết định (số, ngày).")), Length(max=500)],
        description=N_("Ví dụ: Nghị quyết số 1686/NQ-UBTVQH15 ngày 16/6/2025."))
    users = SelectField(N_("Người dùng của đơn vị"), choices=[
        SelectChoice("move", N_("Chuyển sang đơn vị tiếp nhận (khi sáp nhập)")),
        SelectChoice("keep", N_("Giữ nguyên, chuyển từng người sau ở mục Người dùng")),
        SelectChoice("deactivate", N_("Ngừng tài khoản"))], validate_choice=True)


class PasswordForm(FlaskForm):
    current = PasswordField(N_("Mật khẩu hiện tại"), validators=[
        DataRequired(N_("Vui lòng nhập mật khẩu hiện tại.")), Length(max=200)])
    new = PasswordField(N_("Mật khẩu mới"), validators=[
        DataRequired(N_("Vui lòng nhập mật khẩu mới.")),
        Length(min=8, max=200, message=N_("Mật khẩu phải có từ 8 đến 200 ký tự."))],
        description=N_("Ít nhất 8 ký tự."))
    confirm = PasswordField(N_("Nhập lại mật khẩu mới"), validators=[
        DataRequired(N_("Vui lòng nhập lại mật khẩu mới.")),
        EqualTo("new", message=N_("Hai lần nhập mật khẩu mới không giống nhau."))])


class ImportForm(FlaskForm):
    file = FileField(N_("Tệp danh sách người dùng (.xlsx)"), validators=[
        FileRequired(N_("Vui lòng chọn tệp Excel (.xlsx).")),
        FileSize(people_import.MAX_BYTES, message=N_("Tệp quá lớn: giới hạn là 2 MB."))])


def _admin_only() -> None:
    if not current_user.has_role("admin"):
        abort(403)


def _fill_errors(form: FlaskForm, exc: Invalid | Conflict) -> None:
    for name, message in field_messages(exc).items():
        getattr(form, name).errors = [*getattr(form, name).errors, message]
    if not exc.fields:
        flash(domain_message(exc), "error")


@bp.before_app_request
def _temporary_password_first():
    """Someone signed in with a temporary password changes it before using any other page."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in OPEN_WHILE_TEMPORARY and not request.path.startswith("/api/")):
        return redirect(url_for("people.change_password"))
    return None


# ---------------------------------------------------------------- own password

@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        if form.new.data == form.current.data:
            form.new.errors.append(_("Mật khẩu mới phải khác mật khẩu hiện tại."))
        else:
            try:
                user = people.change_password(current_user, current_user.id, form.new.data, form.current.data)
            except Invalid as exc:
                form.current.errors.append(domain_message(exc))
            else:
                login_user(user)  # the new password ended every session, this browser's too
                flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã được đăng xuất."), "success")
                return redirect(url_for("inbox.index"))
    return render_template("auth/change_password.html", form=form,
                           forced=current_user.must_change_password), 422 if form.errors else 200


# ---------------------------------------------------------------- users

def _user_form(form: UserForm) -> UserForm:
    form.agency_id.choices = [SelectChoice(0, _("— Không thuộc đơn vị —"))] + [
        SelectChoice(a.id, a.name) for a in admin_people.active_agencies()]
    form.roles.choices = [SelectChoice(r, label(ROLE_LABELS[r])) for r in ROLES]
    return form


@bp.get("/admin/users")
@login_required
def user_list():
    query = (request.args.get("q") or "").strip()[:200]
    status = request.args.get("status") if request.args.get("status") in ("active", "inactive") else ""
    page = admin_people.people_page(current_user, query, parsing.page_arg(), status)
    return render_template("admin/users.html", page=page, query=query, status=status,
                           may_deactivate=leavers.may_deactivate)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@login_required
def user_new():
    _admin_only()
    form = _user_form(UserForm())
    if form.validate_on_submit():
        try:
            issued = admin_people.create_user(current_user, form.username.data, form.full_name.data,
                                              form.agency_id.data or None, form.roles.data, form.email.data)
        except Invalid as exc:
            _fill_errors(form, exc)
        else:
            return render_template("admin/user_issued.html", issued=[issued], created=True), 200, NO_STORE
    return render_template("admin/user_form.html", form=form, user=None), 422 if form.errors else 200


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_edit(user_id: int):
    _admin_only()
    user = admin_people.get_user(current_user, user_id)
    data = {"full_name": user.full_name, "agency_id": user.agency_id or 0, "roles": user.roles,
            "email": user.email or ""}
    form = _user_form(UserForm(data=data if request.method == "GET" else None))
    del form.username
    if user.agency and not user.agency.active:  # a closed agency is offered only to those still in it
        form.agency_id.choices.append(SelectChoice(user.agency.id, _("%(name)s (đã ngừng)", name=user.agency.name)))
    if form.validate_on_submit():
        try:
            released = leavers.update_user(current_user, user.id, form.full_name.data,
                                           form.agency_id.data or None, form.roles.data, form.email.data)[1]
        except Invalid as exc:
            _fill_errors(form, exc)
        else:
            flash(_("Đã lưu tài khoản %(name)s; %(count)s việc đang giữ mà người này không còn xử lý được (đã chuyển "
                    "đơn vị hoặc đổi vai trò) đã trả về hàng chờ của đơn vị.", name=user.username, count=released)
                  if released else _("Đã lưu tài khoản %(name)s.", name=user.username), "success")
            return redirect(url_for("people.user_list", q=user.username))
    return render_template("admin/user_form.html", form=form, user=user, submission=uuid.uuid4().hex), \
        422 if form.errors else 200


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@login_required
def user_deactivate(user_id: int):
    if request.method == "GET":  # what closing would do, and the button that does it
        user, items = leavers.claimed_items(current_user, user_id)
        return render_template("admin/user_deactivate.html", user=user, items=items,
                               query=request.args.get("q", "")[:200])
    user, released = leavers.deactivate_user(current_user, user_id)
    flash(_("Đã ngừng tài khoản %(name)s: người này không đăng nhập được nữa; %(count)s việc đang giữ đã trả về "
            "hàng chờ của đơn vị.", name=user.full_name, count=released), "success")
    return redirect(url_for("people.user_list", q=request.form.get("q") or None))


@bp.post("/admin/users/<int:user_id>/reactivate")
@login_required
def user_reactivate(user_id: int):
    user = admin_people.reactivate_user(current_user, user_id)
    flash(_("Đã mở lại tài khoản %(name)s.", name=user.full_name), "success")
    return redirect(url_for("people.user_list", q=request.form.get("q") or None))


@bp.post("/admin/users/<int:user_id>/reset-password")
@login_required
def user_reset_password(user_id: int):
    try:
        issued = admin_people.reset_password(current_user, user_id, request.form.get("submission") or None)
    except Conflict as exc:  # the page of the password shown once, refreshed: the password stays as it was given
        flash(domain_message(exc), "warning")
        return redirect(url_for("people.user_edit", user_id=user_id))
    return render_template("admin/user_issued.html", issued=[issued], created=False), 200, NO_STORE


@bp.route("/admin/users/import", methods=["GET", "POST"])
@login_required
def user_import():
    _admin_only()
    form = ImportForm()
    if request.form.get("rows") is not None:  # the commit of a previewed sheet
        try:
            rows = people_import.rows_from_dicts(json.loads(request.form["rows"]))
        except ValueError:
            abort(400)
        try:  # the app-wide CSRF check has passed (app.py)
            issued = people_import.commit(current_user, rows, request.form.get("filename", ""))
        except Invalid as exc:
            flash(domain_message(exc), "error")
            return render_template("admin/users_import.html", form=form, rows=rows, filename="",
                                   rows_json=""), 422
        return render_template("admin/user_issued.html", issued=issued, created=True), 200, NO_STORE
    rows = None
    if form.validate_on_submit():
        try:
            rows = people_import.preview(current_user, form.file.data.read())
        except Invalid as exc:
            form.file.errors.append(domain_message(exc))
    rows_json = json.dumps([r.as_dict() for r in rows or []], ensure_ascii=False)
    return render_template("admin/users_import.html", form=form, rows=rows, rows_json=rows_json,
                           filename=form.file.data.filename if rows else ""), 422 if form.errors else 200


# ---------------------------------------------------------------- agencies

def _agency_form(form: AgencyForm) -> AgencyForm:
    form.kind.choices = [SelectChoice("", _("— Chưa phân loại —"))] + [
        SelectChoice(k, label(v)) for k, v in admin_people.AGENCY_KINDS.items()]
    return form


@bp.get("/admin/agencies")
@login_required
def agency_list():
    _admin_only()
    query = (request.args.get("q") or "").strip()[:200]
    page = admin_people.agency_page(current_user, query, parsing.page_arg())
    return render_template("admin/agencies.html", page=page, query=query, kinds=admin_people.AGENCY_KINDS)


@bp.route("/admin/agencies/new", methods=["GET", "POST"])
@bp.route("/admin/agencies/<int:agency_id>", methods=["GET", "POST"])
@login_required
def agency_edit(agency_id: int | None = None):
    _admin_only()
    agency = admin_people.get_agency(current_user, agency_id) if agency_id else None
    data = {"name": agency.name, "short_name": agency.short_name or "", "kind": agency.kind or "",
            "aliases": "\n".join(agency.aliases or [])} if agency else None
    form = _agency_form(AgencyForm(data=data if request.method == "GET" else None))
    if form.validate_on_submit():
        args = (form.name.data, form.short_name.data, form.kind.data, form.aliases.data)
        try:
            saved = (admin_people.update_agency(current_user, agency.id, *args) if agency
                     else admin_people.create_agency(current_user, *args))
        except Invalid as exc:
            _fill_errors(form, exc)
        else:
            flash(_("Đã lưu đơn vị %(name)s.", name=saved.name), "success")
            return redirect(url_for("people.agency_list", q=saved.name))
    return render_template("admin/agency_form.html", form=form, agency=agency), 422 if form.errors else 200


@bp.post("/admin/agencies/<int:agency_id>/active")
@login_required
def agency_active(agency_id: int):
    _admin_only()
    try:
        agency = admin_people.set_agency_active(current_user, agency_id, request.form.get("active") == "1")
    except Invalid as exc:  # what stops it, on the list it was pressed on
        flash(domain_message(exc), "error")
    else:
        flash(_("Đã mở lại đơn vị %(name)s.", name=agency.name) if agency.active
              else _("Đã ngừng hoạt động đơn vị %(name)s.", name=agency.name), "success")
    return redirect(url_for("people.agency_list", q=request.form.get("q") or None))


@bp.route("/admin/agencies/<int:agency_id>/end", methods=["GET", "POST"])
@login_required
def agency_end(agency_id: int):
    """Merge, split or dissolve an agency after a reorganisation (``agency_changes``; the commands merge-agency and
    end-agency do the same)."""
    _admin_only()
    agency = admin_people.get_agency(current_user, agency_id)
    if agency.ended_on is not None:
        flash(_("Đơn vị %(name)s đã ngừng hoạt động từ %(date)s.", name=agency.name,
                date=f"{agency.ended_on:%d/%m/%Y}"), "info")
        return redirect(url_for("people.agency_list", q=agency.name))
    form = AgencyEndForm()
    form.successor.choices = [SelectChoice("", _("— Chọn đơn vị —"))] + [
        SelectChoice(a.name, a.name) for a in admin_people.active_agencies() if a.id != agency.id]
    if request.method == "GET":
        form.on.data = clock.today()
    tasks, items = admin_people.open_work(agency.id)
    confirming = False
    step = request.form.get("step")  # "confirm": the second press; "edit": back to the form as it was filled
    if form.validate_on_submit() and step != "edit":
        try:
            if form.how.data == "merged" and form.successor.data not in {c.value for c in form.successor.choices[1:]}:
                raise Invalid("Chọn đơn vị tiếp nhận.", {"successor": N_("Chọn đơn vị tiếp nhận công việc.")})
            agency_changes.checked_end(form.how.data, form.document.data, form.users.data, form.on.data)
            if step != "confirm":  # it cannot be undone: what it will do is shown first, and done on a second press
                confirming = True
            else:
                _end_agency(agency, form)
                return redirect(url_for("people.agency_list", q=agency.name))
        except (Invalid, Conflict) as exc:
            _fill_errors(form, exc)
    return render_template("admin/agency_end.html", form=form, agency=agency, tasks=tasks, items=items,
                           confirming=confirming), 422 if form.errors else 200


def _end_agency(agency, form: AgencyEndForm) -> None:
    """Merge the agency into the successor chosen, or end it as split or dissolved; say what moved."""
    if form.how.data == "merged":
        done = agency_changes.merge_agency(current_user, agency.name, form.successor.data, form.on.data,
                                           form.document.data, form.users.data)
        flash(_("Đã sáp nhập %(old)s vào %(new)s: %(tasks)s nhiệm vụ chủ trì, %(collaborations)s nhiệm vụ "
                "phối hợp, %(items)s việc đang mở đã chuyển sang.", old=agency.name, new=form.successor.data,
                tasks=done.tasks, collaborations=done.collaborations, items=done.items), "success")
        if done.shares:
            flash(_("%(n)s phần việc của %(old)s trong nhiệm vụ giao cho nhóm mà %(new)s cũng được giao đã được rút: "
                    "%(new)s thực hiện chung cho cả đơn vị.", n=done.shares, old=agency.name, new=form.successor.data),
                  "info")
        if done.withdrawn:
            flash(_("%(n)s báo cáo định kỳ của %(old)s cho kỳ có ngày sáp nhập trở đi không còn phải nộp: "
                    "%(new)s báo cáo chung cho cả đơn vị.", n=done.withdrawn, old=agency.name,
                    new=form.successor.data), "info")
        return
    waiting = agency_changes.end_agency(current_user, agency.name, form.how.data, form.on.data,
                                        form.document.data, form.users.data)
    flash(_("Đã ghi nhận %(name)s ngừng hoạt động; %(n)s nhiệm vụ chờ Tổ giúp việc giao lại (trang "
            "“Giao lại nhiệm vụ”).", name=agency.name, n=waiting), "success")
