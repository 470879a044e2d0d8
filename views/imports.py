"""“Nhập danh mục nhiệm vụ”: upload or paste → preview → fix → commit (coordinators)."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from models import OUTPUT_TYPES
from views import parsing
from views.forms import VNDateField
from views.i18n import domain_message
from workflows import clock
from workflows.accounts import groups
from workflows.errors import N_, Conflict, Invalid, Message
from workflows.importing import pipeline, review_list
from workflows.tasks import reads

bp = Blueprint("imports", __name__, url_prefix="/imports")


class UploadForm(FlaskForm):
    file = FileField(N_("Tệp văn bản (.txt, .md, .xlsx, .docx, .pdf, ảnh quét .png, .jpg, .tif)"))
    text = TextAreaField(N_("Hoặc dán nội dung bảng"), validators=[Optional(), Length(max=2_000_000)],
                         description=N_("Dán nguyên văn bảng phụ lục (các cột cách nhau bằng phím Tab hoặc dấu |)."))
    directive = StringField(N_("Số, ký hiệu văn bản giao"), validators=[Optional(), Length(max=120)],
                            description=N_("Để trống nếu văn bản đã ghi số; ví dụ “Kế hoạch số 266-KH/TU”."))
    issued = VNDateField(N_("Ngày ban hành"), validators=[Optional()],
                         description=N_("Dùng để cảnh báo thời hạn đã qua; để trống nếu văn bản đã ghi ngày."))

    def validate_issued(self, field) -> None:
        """A document issued tomorrow is a typo (2027 for 2026): every row would warn of a deadline past."""
        if field.data is not None and field.data > clock.today():
            raise ValidationError(Message("Ngày ban hành không thể sau hôm nay (%(today)s).",
                                          today=f"{clock.today():%d/%m/%Y}"))


class RowFixForm(FlaskForm):
    """Parses the per-row fix forms of the preview (rendered by hand in the table)."""

    lead_agency = StringField(N_("Đơn vị chủ trì"), validators=[Optional(), Length(max=255)])
    output_type = SelectField(N_("Loại sản phẩm"), validators=[Optional()],
                              choices=[SelectChoice("", N_("— giữ nguyên —"))]
                              + [SelectChoice(k, v) for k, v in OUTPUT_TYPES.items()])
    due_date = VNDateField(N_("Thời hạn"), validators=[Optional()])
    title = TextAreaField(N_("Tên nhiệm vụ"), validators=[Optional(), Length(max=2000)])


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    pipeline.require_coordinator(current_user)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        if upload and upload.filename:
            filename, content = upload.filename, upload.read()
        elif (form.text.data or "").strip():
            filename, content = pipeline.PASTED, form.text.data.encode("utf-8")
        else:
            form.file.errors = [_("Vui lòng chọn tệp hoặc dán nội dung bảng.")]
            return render_template("imports/index.html", form=form, batches=pipeline.recent_batches()), 422
        try:
            batch = pipeline.preview(current_user, filename, content, form.directive.data, form.issued.data)
        except Invalid as exc:
            form.file.errors = [domain_message(exc)]
            return render_template("imports/index.html", form=form, batches=pipeline.recent_batches()), 422
        return redirect(url_for("imports.show", batch_id=batch.id))
    status = 422 if form.errors else 200
    return render_template("imports/index.html", form=form, batches=pipeline.recent_batches()), status


@bp.route("/<int:batch_id>")
@login_required
def show(batch_id: int):
    batch = pipeline.get_batch(current_user, batch_id)
    if batch.status in ("reading", "failed"):
        return render_template("imports/reading.html", batch=batch)
    return _preview(batch)


def _preview(batch, typed: dict | None = None):
    """The preview page; ``typed``: a row's fix form as it was sent and why it was refused, shown open on its row
    with what the person typed (status 422), so that nothing typed is lost."""
    return render_template("imports/show.html", batch=batch, report=batch.report, agencies=reads.agencies(),
                           groups=groups.groups(), typed=typed,
                           reviews=review_list.open_reviews(batch.report),
                           targets=pipeline.target_tasks(batch.report)), 422 if typed else 200


@bp.route("/<int:batch_id>/progress")
@login_required
def progress(batch_id: int):
    """How far OCR has read a batch's scans (the reading page asks every few seconds)."""
    batch = pipeline.get_batch(current_user, batch_id)
    return jsonify(status=batch.status, read=batch.pages_read, pages=batch.pages_to_read)


@bp.post("/<int:batch_id>/rows/<int:appendix>/<int:number>")
@login_required
def fix(batch_id: int, appendix: int, number: int):
    form = RowFixForm()
    if not form.validate_on_submit():
        return _refused(batch_id, appendix, number, "; ".join(_(str(e)) for errs in form.errors.values() for e in errs),
                        list(form.errors))
    changes = {"lead_agency": form.lead_agency.data, "output_type": form.output_type.data,
               "due_date": form.due_date.data, "title": (form.title.data or "").strip()}
    if request.form.get("checked"):  # a row read from a scan, compared with it and saved
        changes["checked"] = True
    if request.form.get("action") == "checked":  # compared with the scan, nothing to correct
        changes = {"checked": True}
    elif request.form.get("action") == "skip":
        changes = {"skip": True}
    elif request.form.get("action") == "unskip":
        changes = {"skip": False}
    elif request.form.get("action") == "keep_both":  # a row repeating an earlier one becomes a task of its own
        changes = {"keep_both": True}
    elif request.form.get("action") == "keep_one":
        changes = {"keep_both": False}
    elif request.form.get("action") in ("as_new", "as_same"):  # the task typed in by hand is not / is this row's
        changes = {"as_new": request.form["action"] == "as_new"}
    try:
        pipeline.fix_row(current_user, batch_id, appendix, number, changes)
    except Invalid as exc:
        return _refused(batch_id, appendix, number, domain_message(exc), list(exc.fields))
    flash(_("Đã cập nhật dòng %(number)s.", number=number), "success")
    return redirect(url_for("imports.show", batch_id=batch_id) + f"#r{appendix}-{number}")


def _refused(batch_id: int, appendix: int, number: int, problems: str, at: list[str]):
    """A row's fix refused: the preview again, the row's form open with what was typed and why, the fields ``at``
    fault marked (the first takes the focus: first-error.js)."""
    flash(_("Chưa sửa được dòng %(number)s: %(problems)s", number=number, problems=problems), "error")
    batch = pipeline.get_batch(current_user, batch_id)
    return _preview(batch, {"appendix": appendix, "number": number, "problems": problems, "at": at,
                            **{key: request.form.get(key, "") for key in ("title", "lead_agency", "output_type",
                                                                          "due_date")}})


@bp.post("/<int:batch_id>/appendices/<int:appendix>/rows")
@login_required
def fix_many(batch_id: int, appendix: int):
    """"Áp dụng cho các dòng đã chọn": one lead agency and/or output type for the rows ticked in the table."""
    form = RowFixForm()
    numbers = sorted({n for n in (parsing.number(v) for v in request.form.getlist("row")) if n is not None})
    if not form.validate_on_submit():
        flash(_("Chưa sửa được các dòng: %(problems)s", problems="; ".join(
            _(str(e)) for errs in form.errors.values() for e in errs)), "error")
    else:
        try:
            pipeline.fix_rows(current_user, batch_id, appendix, numbers,
                              {"lead_agency": form.lead_agency.data, "output_type": form.output_type.data})
        except Invalid as exc:
            flash(domain_message(exc), "error")
        else:
            flash(_("Đã áp dụng cho %(n)s dòng.", n=len(numbers)), "success")
    return redirect(url_for("imports.show", batch_id=batch_id) + f"#a{appendix}")


@bp.post("/<int:batch_id>/reviews/<int:review_id>")
@login_required
def map_agency(batch_id: int, review_id: int):
    agency_id = parsing.id_field("agency_id")
    # the answer chosen ("agency", "group", "ignored"); an agency picked in the list without the choice marked
    # is an answer too — nothing else is assumed
    decision = request.form.get("decision") or request.form.get("action") or ("agency" if agency_id else None)
    try:
        review = pipeline.settle_name(current_user, batch_id, review_id, agency_id, decision)
    except Invalid as exc:
        flash(domain_message(exc), "error")
    else:
        if decision == "group":
            flash(_("Đã ghi nhận “%(text)s” là tên chung.", text=review.text), "success")
        elif decision == "ignored":
            flash(_("Đã ghi nhận “%(text)s” không phải tên đơn vị.", text=review.text), "success")
        else:
            flash(_("Đã ghi nhận “%(text)s” là %(agency)s.", text=review.text,
                    agency=review.agency.name if review.agency else ""), "success")
    return redirect(url_for("imports.show", batch_id=batch_id) + "#reviews")


@bp.post("/<int:batch_id>/commit")
@login_required
def commit(batch_id: int):
    try:
        counts = pipeline.commit(current_user, batch_id)
    except Conflict as exc:  # pressed twice, or a colleague was first: the page shows what was written
        flash(domain_message(exc), "info")
        return redirect(url_for("imports.show", batch_id=batch_id))
    flash(_("Đã ghi danh mục: %(created)s nhiệm vụ mới, %(adjusted)s điều chỉnh thời hạn, "
            "%(renamed)s đổi tên, %(unchanged)s không đổi, %(flagged)s dòng chưa nhập "
            "(cần xem lại), %(sentences)s câu không phải nhiệm vụ, %(indicators)s chỉ tiêu.", **{k: counts[k] for k in (
                "created", "adjusted", "renamed", "unchanged", "flagged", "sentences", "indicators")}), "success")
    if counts["withdrawn"]:
        flash(_("Đã rút %(n)s nhiệm vụ theo văn bản: các bước đang chờ đã hủy, người đang giữ hồ sơ được báo.",
                n=counts["withdrawn"]), "info")
    if counts["groups"]:
        flash(_("Trong số nhiệm vụ mới, %(groups)s nhiệm vụ giao cho nhóm đơn vị: mỗi đơn vị thành viên một nhiệm vụ, "
                "tổng cộng %(shares)s.", groups=counts["groups"], shares=counts["shares"]), "info")
    return redirect(url_for("imports.show", batch_id=batch_id))


@bp.post("/<int:batch_id>/cancel")
@login_required
def cancel(batch_id: int):
    pipeline.cancel(current_user, batch_id)
    flash(_("Đã hủy lượt nhập; không có dữ liệu nào được ghi."), "info")
    return redirect(url_for("imports.index"))
