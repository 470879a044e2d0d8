"""“Danh sách nhiệm vụ”, the task page with its action forms, and task creation."""

from __future__ import annotations

import re
import uuid

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import ROLE_LABELS
from views import parsing
from views.exports import download as send_export
from views.forms import (
    AddMemberForm,
    CommentForm,
    ExplanationForm,
    ExtensionForm,
    TaskForm,
    action_form,
    ask_files_again,
    attach_errors,
)
from views.i18n import domain_message, field_messages, translate
from workflows import access, clock
from workflows.accounts import groups
from workflows.errors import DomainError, Invalid
from workflows.notify import bell
from workflows.process import diagram
from workflows.reporting import register
from workflows.tasks import (
    agency_changes,
    comments,
    create,
    explanations,
    extensions,
    fanout,
    files,
    lifecycle,
    page,
    reads,
    urging,
    work,
)
from workflows.tasks.status import STATUS_LABELS, STATUSES

bp = Blueprint("tasks", __name__)
# An uploaded file shown in place is someone else's content: a sandbox of its own, nothing loaded from elsewhere.
ATTACHMENT_CSP = "sandbox; default-src 'self'; frame-ancestors 'none'; form-action 'none'"


@bp.route("/tasks")
@login_required
def index():
    listing = reads.task_list(current_user, parsing.filter_args(),
                              parsing.id_arg("agency"), parsing.page_arg())
    for problem in listing.problems:
        flash(translate(problem), "warning")
    return render_template("tasks/index.html", page=listing.page, filters=listing.filters, args=listing.args,
                           scope_args=listing.scope_args, scope_described=listing.scope_described,
                           without_scope=listing.without_scope, agencies=listing.agencies, steps=listing.steps,
                           statuses={s: STATUS_LABELS[s] for s in STATUSES})


@bp.route("/tasks/export.xlsx")
@login_required
def export_list():
    """The list as filtered on its page, every row, as a sheet."""
    listing = reads.task_list(current_user, parsing.filter_args(), parsing.id_arg("agency"), 1)
    described = [f"{label}: {value}" for label, value in (
        ("Tìm", listing.filters.q),
        ("Trạng thái", "Trong hạn" if listing.filters.status == "within" else STATUS_LABELS.get(listing.filters.status
                                                                                                  or "")),
        ("Bước", listing.filters.step),
        ("Đơn vị", next((a.name for a in listing.agencies if a.id == listing.filters.agency_id), None))) if value]
    return send_export(register.list_file(current_user, listing.filters, [*described, *listing.scope_described],
                                          clock.today()))


@bp.route("/tasks/new", methods=["GET", "POST"])
@login_required
def new():
    if not current_user.has_role("coordinator"):
        abort(403)
    form = TaskForm()
    form.set_agencies(reads.agencies(), groups.groups())
    # the form's own key, as the page gave it (an API client's keys, "api:…", are another account's)
    if not re.fullmatch(r"[0-9a-f]{32}", form.submission.data or ""):
        form.submission.data = uuid.uuid4().hex
    same = []
    if form.validate_on_submit():
        done = create.submitted(form.submission.data)
        if done is not None:  # the form sent a second time (a double click, the browser's "resend")
            flash(_("Nhiệm vụ %(code)s đã được giao khi biểu mẫu được gửi lần trước; không tạo thêm nhiệm vụ.",
                    code=done.code), "info")
            return redirect(url_for("tasks.show", task_id=done.id))
        try:
            task = create.create_task(
                current_user, title=form.title.data, lead_agency=form.lead_agency.data,
                collaborating_agencies=form.collaborating_agencies.data or [],
                output_type=form.output_type.data, expected_output=form.expected_output.data,
                due_date=form.due_date.data, deadline_text=form.deadline_text.data,
                source_document=form.source_document.data, submission=form.submission.data,
                duplicate_ok=form.duplicate_ok.data)
        except Invalid as exc:
            attach_errors(form, exc)
            same = [] if form.duplicate_ok.data else create.same_tasks(form.title.data, form.source_document.data)
        else:
            flash(_("Đã giao nhiệm vụ %(code)s. Quy trình đã bắt đầu.", code=task.code), "success")
            if form.lead_agency.data in (form.collaborating_agencies.data or []):
                flash(_("%(agency)s chủ trì nhiệm vụ nên không ghi thêm là đơn vị phối hợp.",
                        agency=form.lead_agency.data), "info")
            return redirect(url_for("tasks.show", task_id=task.id))
    return render_template("tasks/new.html", form=form, same=same), 422 if form.errors else 200


def _forms_for(items, actionable: dict, written_before: dict | None = None) -> dict:
    """The action form of each open item this user may act on (bound to the POST, if any), its texts starting
    from what was written at its step before the file came back."""
    return {item.id: action_form(item.fields, item.decisions, prefix=f"wi{item.id}", officers=actionable[item.id],
                                 data=(written_before or {}).get(item.id) or None)
            for item in items if item.id in actionable}


def _render_task(task, forms=None, status=200, extension_form=None, comment_form=None, explanation_form=None,
                 urge_message="", withdraw_reason=None):
    """The task page; ``forms`` are the action forms bound after a POST, if any."""
    # ?diagram=whole: the whole process instead of the stretch around the current step (the page's link does it
    # in place when JavaScript runs)
    view = page.task_page(current_user, task, whole_diagram=request.args.get("diagram") == "whole")
    if explanation_form is None and view.asks_explanation:
        explanation_form = ExplanationForm(prefix="explain", formdata=None)
    if extension_form is None and view.may_request_extension:
        extension_form = ExtensionForm()
    if comment_form is None and view.may_comment:
        comment_form = CommentForm(prefix="comment", formdata=None, submission=uuid.uuid4().hex)
    if comment_form is not None:
        comment_form.set_agencies(*view.mention_choices)
    return render_template("tasks/show.html", view=view, task=task, items=view.items,
                           forms=_forms_for(view.items, view.actionable, view.written_before) if forms is None
                           else forms,
                           extension_form=extension_form, comment_form=comment_form,
                           explanation_form=explanation_form, urge_message=urge_message,
                           withdraw_reason=withdraw_reason), status


@bp.route("/tasks/<int:task_id>")
@login_required
def show(task_id: int):
    task = reads.get_task(current_user, task_id)
    bell.seen_task(current_user, task.id)
    if fanout.owed_by_group(task):
        return _render_group_task(task)
    return _render_task(task)


def _render_group_task(task, status=200, urge_message="", refused=None):
    """The page of a task owed by a group: how far its members are, who is not done, the coordinator's changes
    (``refused``: one of its forms sent back, ``_refused``)."""
    members = fanout.member_tasks(task)
    taken = {t.lead_agency_id for t in members}
    progress = fanout.progress(task, members)
    urged = urging.last_urged(t.id for t in progress.not_done)
    late = urging.not_urged_today(progress.not_done, urged)
    unreachable = urging.nobody_to_tell(late)  # (counted out of the button, named beside it to telephone)
    lists = fanout.member_pages(members, progress, (request.args.get("q") or "").strip()[:200], parsing.page_arg(),
                                parsing.int_arg("done_page", 1))
    return render_template("tasks/group.html", task=task, progress=progress, lists=lists,
                           history=reads.history(task), addable=[a for a in reads.agencies() if a.id not in taken],
                           may_change=current_user.has_role("coordinator") and fanout.may_take_off(task),
                           urged=urged, urge_count=len(late) - len(unreachable), unreachable=unreachable,
                           urge_message=urge_message, refused=refused, today=clock.today()), status


def _refused(form: str, exc: DomainError, values: dict[str, str], field: str = "reason") -> dict:
    """A group page's form sent back: which (its id), the field at fault (the use case's, else ``field``), why, and
    what was written (kept in its fields)."""
    fields = field_messages(exc)
    # (a conflict — withdrawn meanwhile, done — is no field's fault: the form stays open with what was written)
    field = next(iter(fields), field if isinstance(exc, Invalid) else None)
    return {"form": form, "field": field, "message": fields.get(field) or domain_message(exc), "written": values}


@bp.post("/tasks/<int:task_id>/members")
@login_required
def add_member(task_id: int):
    task = reads.get_task(current_user, task_id)
    create.require_coordinator(current_user)  # 403 before anything the form says
    form = AddMemberForm()
    name = (form.agency.data or "").strip()
    try:
        if not form.validate_on_submit():
            field, [message, *_others] = next(iter(form.errors.items()))
            raise Invalid(message, {field: message})
        if not name:
            raise Invalid("Vui lòng chọn đơn vị cần giao thêm.")
        child = fanout.add_member(current_user, task_id, name, form.due_date.data)
    except DomainError as exc:  # the page again, the field at fault saying why, what was chosen and typed kept
        flash(domain_message(exc), "error")
        return _render_group_task(task, exc.status, refused=_refused(
            "add", exc, {"agency": name, "due_date": request.form.get("due_date", "")}, field="agency"))
    else:
        name = child.lead_agency.name  # (as the registry writes it, whatever was typed)
        flash(_("Đã giao thêm nhiệm vụ cho %(agency)s.", agency=name), "success")
        # a ward registered without accounts yet: the task waits where nobody sees it, and the coordinator is told
        for item in [i for i in reads.open_items(child) if not reads.agency_people(i.agency_id, i.role)][:1]:
            flash(_("%(agency)s chưa có tài khoản %(role)s nào nên chưa ai nhận được việc này: tạo tài khoản ở mục "
                    "“Người dùng”.", agency=name, role=translate(ROLE_LABELS.get(item.role, item.role)).lower()),
                  "warning")
    return redirect(url_for("tasks.show", task_id=task_id) + "#members")


@bp.route("/tasks/waiting-reassignment")
@login_required
def waiting_reassignment():
    """The running tasks of agencies split or dissolved, each waiting for the coordinator to name who carries it on."""
    create.require_coordinator(current_user)
    return render_template("tasks/reassign.html", tasks=agency_changes.waiting_tasks(), agencies=reads.agencies())


@bp.post("/tasks/<int:task_id>/reassign-agency")
@login_required
def reassign_agency(task_id: int):
    create.require_coordinator(current_user)
    try:
        task = agency_changes.move_task(current_user, task_id, request.form.get("agency", ""))
    except DomainError as exc:
        flash(domain_message(exc), "error")
    else:
        flash(_("Đã giao lại %(code)s cho %(agency)s.", code=task.code, agency=task.lead_agency.name), "success")
    return redirect(url_for("tasks.waiting_reassignment"))


@bp.post("/tasks/<int:task_id>/close")
@login_required
def close_group_task(task_id: int):
    task = reads.get_task(current_user, task_id)
    create.require_coordinator(current_user)
    reason = request.form.get("reason", "")
    try:
        unfinished = fanout.close(current_user, task_id, reason)
    except DomainError as exc:
        flash(domain_message(exc), "error")
        return _render_group_task(task, exc.status,
                                  refused=_refused("close-reason", exc, {"reason": reason}))
    else:
        flash(_("Đã kết thúc nhiệm vụ; %(n)s đơn vị không hoàn thành.", n=len(unfinished)), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/tasks/<int:task_id>/members/<int:member_task_id>/withdraw")
@login_required
def withdraw_member(task_id: int, member_task_id: int):
    task = reads.get_task(current_user, task_id)
    create.require_coordinator(current_user)
    reason = request.form.get("reason", "")
    try:
        fanout.remove_member(current_user, task_id, member_task_id, reason)
    except DomainError as exc:
        flash(domain_message(exc), "error")
        return _render_group_task(task, exc.status,  # (the list page and search it was sent from: request.args)
                                  refused=_refused(f"reason-{member_task_id}", exc, {"reason": reason}))
    else:
        flash(_("Đã rút nhiệm vụ của đơn vị; lý do được ghi vào lịch sử."), "success")
    return redirect(url_for("tasks.show", task_id=task_id, _anchor="members", **_list_args()))


def _list_args() -> dict[str, str]:
    """The group page's list place (its search and pages) a form on it was sent from, to come back to."""
    return {k: v for k in ("q", "page", "done_page") if (v := request.args.get(k))}


@bp.post("/tasks/<int:task_id>/withdraw")
@login_required
def withdraw(task_id: int):
    """Rút nhiệm vụ: a later document (or the committee) takes the task off the list."""
    task = reads.get_task(current_user, task_id)
    create.require_coordinator(current_user)
    reason = request.form.get("reason", "")
    try:
        fanout.withdraw(current_user, task.id, reason)
    except DomainError as exc:  # the page again, with what was written kept
        flash(domain_message(exc), "error")
        if fanout.owed_by_group(task):
            return _render_group_task(task, exc.status, refused=_refused("withdraw-reason", exc, {"reason": reason}))
        return _render_task(task, status=exc.status, withdraw_reason=reason)
    if fanout.owed_by_group(task):
        flash(_("Đã rút nhiệm vụ giao cho nhóm: phần việc chưa hoàn thành của các đơn vị đã dừng, người đang giữ hồ "
                "sơ và lãnh đạo đơn vị được báo; phần việc đã hoàn thành được giữ nguyên."), "success")
    else:
        flash(_("Đã rút nhiệm vụ: các bước đang chờ đã hủy, người đang giữ hồ sơ và lãnh đạo đơn vị được báo; nhiệm "
                "vụ không còn tính vào tiến độ hay báo cáo."), "success")
    return redirect(url_for("tasks.show", task_id=task.id))


@bp.post("/tasks/<int:task_id>/urge")
@login_required
def urge(task_id: int):
    """Đôn đốc: a task's holders and their heads are told now; on a group's task, those of every late member."""
    task = reads.get_task(current_user, task_id)
    create.require_coordinator(current_user)
    message = request.form.get("message", "")
    group = task.kind == create.GROUP_KIND
    try:
        urged = (urging.urge_late_members if group else urging.urge)(current_user, task.id, message)
    except DomainError as exc:  # the page again, with what was written kept
        flash(domain_message(exc), "error")
        return (_render_group_task(task, exc.status, message) if group
                else _render_task(task, status=exc.status, urge_message=message))
    if not group:
        flash(_("Đã đôn đốc: %(n)s người nhận được thông báo (người đang giữ hồ sơ và lãnh đạo đơn vị).",
                n=urged.told), "success")
        return redirect(url_for("tasks.show", task_id=task.id))
    if urged.tasks:
        flash(_("Đã đôn đốc %(n)s đơn vị quá hạn; %(people)s người nhận được thông báo.", n=len(urged.tasks),
                people=urged.told), "success")
    if urged.already:
        flash(_("Đã đôn đốc hôm nay, không gửi lại: %(names)s.",
                names="; ".join(t.lead_agency.name for t in urged.already)), "warning")
    if urged.nobody:
        flash(_("Chưa có tài khoản nhận đôn đốc, vui lòng liên hệ trực tiếp: %(names)s.",
                names="; ".join(t.lead_agency.name for t in urged.nobody)), "warning")
    return redirect(url_for("tasks.show", task_id=task.id) + "#members")


@bp.route("/tasks/<int:task_id>/diagram.svg")
@login_required
def diagram_svg(task_id: int):
    """The live diagram of the task's main process instance (``?instance=`` for another one) as SVG."""
    task = reads.get_task(current_user, task_id)
    svg = diagram.task_svg(task, parsing.id_arg("instance"))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, no-store"})


@bp.route("/work-items/<int:item_id>/complete", methods=["POST"])
@login_required
def complete(item_id: int):
    item = reads.get_work_item(current_user, item_id)
    access.ensure_can_act(item, current_user)  # 409 with who did it, or 403
    items = reads.open_items(item.task)
    forms = _forms_for(items, page.actionable(current_user, items))
    form = forms[item.id]
    decision = request.form.get("decision", "")
    if form.validate_for(decision):
        data = {f["name"]: getattr(form, f["name"]).data for f in item.fields if f["type"] != "file"}
        uploads = {f["name"]: getattr(form, f["name"]).data for f in item.fields
                   if f["type"] == "file" and getattr(form, f["name"]).data}
        try:
            task = work.complete(item.id, current_user, decision, form.comment.data if "comment" in form else None,
                                  data, uploads)
        except Invalid as exc:
            attach_errors(form, exc)
        else:
            label = {"return": _("Đã trả lại"), "approve": _("Đã đồng ý")}.get(decision) or _("Đã gửi")
            if item.instance.kind == "extension" and decision == "return":  # the request ends there: say so
                label = _("Không đồng ý gia hạn (thời hạn giữ nguyên)")
            # say where the file (or the request for more time) went, so nobody has to open the task to know: the
            # steps this action opened; else what its process still waits for (the other collaborators' opinions)
            after = [i for i in reads.open_items(task) if i.instance_id == item.instance_id]
            new = [i for i in after if i not in items]
            shown = new or after
            step, holder = lifecycle.step_names(shown), lifecycle.holders(shown)
            if task.state == "done":
                moved = _("Nhiệm vụ đã hoàn thành.")
            elif new:
                moved = _("Bước tiếp theo: %(step)s (%(holder)s).", step=step, holder=holder)
            elif after:
                moved = _("Còn chờ: %(step)s (%(holder)s).", step=step, holder=holder)
            else:
                moved = ""
            flash(f"{label}: {item.step_name} — {task.code}. {moved}".strip(), "success")
            return redirect(url_for("inbox.index"))
    ask_files_again(form)
    flash(_("Chưa thể gửi: vui lòng xem các lỗi được đánh dấu bên dưới."), "error")
    return _render_task(item.task, forms, 422)


@bp.route("/tasks/<int:task_id>/extension", methods=["POST"])
@login_required
def request_extension(task_id: int):
    task = reads.get_task(current_user, task_id)
    form = ExtensionForm()
    if form.validate_on_submit():
        try:
            extensions.request_extension(current_user, task.id, form.new_due.data, form.reason.data,
                                    form.file.data if form.file.data and form.file.data.filename else None)
        except Invalid as exc:
            attach_errors(form, exc)
        else:
            flash(_("Đã gửi đề nghị gia hạn. Tổ giúp việc sẽ xem xét và trình cấp giao nhiệm vụ quyết định."),
                  "success")
            return redirect(url_for("tasks.show", task_id=task.id))
    ask_files_again(form)
    flash(_("Chưa gửi được đề nghị gia hạn: vui lòng xem lỗi ở mục “Đề nghị điều chỉnh thời hạn”."), "error")
    return _render_task(task, status=422, extension_form=form)


@bp.route("/tasks/<int:task_id>/explanations", methods=["POST"])
@login_required
def explain(task_id: int):
    task = reads.get_task(current_user, task_id)
    explanations.ensure_may_explain(current_user, task)  # 403 before any form is shown back
    form = ExplanationForm(prefix="explain")
    if form.validate_on_submit():
        try:
            explanations.explain(current_user, task.id, form.text.data, form.expected_on.data)
        except Invalid as exc:
            attach_errors(form, exc)
        else:
            flash(_("Đã ghi giải trình. Báo cáo gửi UBND tỉnh sẽ trích giải trình này."), "success")
            return redirect(url_for("tasks.show", task_id=task.id, _anchor=explanations.ANCHOR))
    flash(_("Chưa ghi được giải trình: vui lòng xem lỗi ở mục “Giải trình tiến độ”."), "error")
    return _render_task(task, status=422, explanation_form=form)


@bp.route("/tasks/<int:task_id>/comments", methods=["POST"])
@login_required
def comment(task_id: int):
    task = reads.get_task(current_user, task_id)
    comments.ensure_can_comment(current_user, task)  # 403 before any form is shown back
    form = CommentForm(prefix="comment")
    if form.validate_on_submit():
        try:
            event = comments.add_comment(current_user, task, form.body.data, form.mentioned_ids(),
                                         submission=form.submission.data or None)
        except Invalid as exc:
            attach_errors(form, exc)
        else:
            flash(_("Đã gửi trao đổi."), "success")
            return redirect(url_for("tasks.show", task_id=task.id, _anchor=f"e{event.id}"))
    flash(_("Chưa gửi được trao đổi: vui lòng xem lỗi ở mục “Trao đổi”."), "error")
    return _render_task(task, status=422, comment_form=form)


@bp.route("/work-items/<int:item_id>/reassign", methods=["POST"])
@login_required
def reassign(item_id: int):
    item = reads.get_work_item(current_user, item_id)
    try:
        item = work.reassign(item.id, current_user, request.form.get("username", ""))
    except Invalid as exc:
        flash(domain_message(exc), "error")
    else:
        flash(_("Đã giao “%(step)s” cho %(name)s.", step=item.step_name, name=item.claimed_by.full_name), "success")
    return redirect(url_for("tasks.show", task_id=item.task_id))


@bp.route("/work-items/<int:item_id>/claim", methods=["POST"])
@login_required
def claim(item_id: int):
    item = work.claim(reads.get_work_item(current_user, item_id).id, current_user)
    if item.claimed_by_id == current_user.id:
        flash(_("Bạn đã nhận xử lý: %(step)s.", step=item.step_name), "success")
    else:  # taken in the absent colleague's name (work.claim)
        flash(_("Bạn đã nhận xử lý thay mặt %(name)s: %(step)s.", name=item.claimed_by.full_name,
                step=item.step_name), "success")
    return redirect(url_for("tasks.show", task_id=item.task_id, _anchor=f"wi{item.id}"))  # (back at its form)


@bp.route("/work-items/<int:item_id>/release", methods=["POST"])
@login_required
def release(item_id: int):
    item = work.release(reads.get_work_item(current_user, item_id).id, current_user)
    flash(_("Đã trả việc “%(step)s” về hàng chờ của đơn vị.", step=item.step_name), "info")
    return redirect(url_for("tasks.show", task_id=item.task_id, _anchor=f"wi{item.id}"))


@bp.route("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    """A PDF or an image opens in the browser (``?download=1`` saves it); any other file downloads. Either way
    the response is sandboxed (no script, no form, its own opaque origin) and never sniffed."""
    attachment = reads.get_attachment(current_user, attachment_id)
    path = files.path_of(attachment)
    shown = None if request.args.get("download") else files.shown_type(attachment, path)
    response = send_file(path, as_attachment=shown is None, download_name=attachment.filename,
                         mimetype=shown or "application/octet-stream")
    response.headers["Content-Security-Policy"] = ATTACHMENT_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
