"""WTForms for the pages; the action form of a work item is built from its step's fields."""

from __future__ import annotations

from datetime import date, datetime

from flask import flash
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from models import OUTPUT_TYPES


def attach_errors(form, exc) -> None:
    """Show a use case's ``Invalid`` next to the fields it names (or as a message when it names none)."""
    placed = False
    for name, message in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
            placed = True
    if not placed:
        flash(exc.message, "error")


class VNDateField(StringField):
    """A date typed as dd/mm/yyyy (yyyy-mm-dd is accepted too), whatever the browser's locale."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"placeholder": "dd/mm/yyyy", "inputmode": "numeric",
                                        "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if isinstance(self.data, date):
            return self.data.strftime("%d/%m/%Y")
        return self.raw_data[0] if self.raw_data else ""

    def process_formdata(self, valuelist) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                self.data = datetime.strptime(text, fmt).date()
                return
            except ValueError:
                continue
        raise ValueError("Ngày không hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 30/06/2026.")


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes (easier than Ctrl-click in a long list)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TaskForm(FlaskForm):
    title = TextAreaField("Tên nhiệm vụ", validators=[
        DataRequired("Vui lòng nhập tên nhiệm vụ."), Length(max=2000)])
    lead_agency = SelectField("Đơn vị chủ trì", validators=[DataRequired("Vui lòng chọn đơn vị chủ trì.")])
    collaborating_agencies = MultiCheckboxField("Đơn vị phối hợp", validators=[Optional()],
                                                description="Chọn các đơn vị góp ý; có thể để trống.")
    output_type = SelectField("Loại sản phẩm", choices=[SelectChoice("", "— Chọn loại sản phẩm —")]
                              + [SelectChoice(k, v) for k, v in OUTPUT_TYPES.items()],
                              validators=[DataRequired("Vui lòng chọn loại sản phẩm.")])
    expected_output = TextAreaField("Kết quả/sản phẩm", validators=[Optional(), Length(max=2000)])
    due_date = VNDateField("Thời hạn hoàn thành", validators=[Optional()],
                           description="Ngày cuối cùng phải hoàn thành, dạng ngày/tháng/năm (ví dụ 30/06/2026).")
    deadline_text = StringField("Thời hạn ghi trong văn bản", validators=[Optional(), Length(max=500)],
                                description="Ví dụ: “Quý II năm 2026”, “Thường xuyên”.")
    source_document = StringField("Văn bản giao", validators=[Optional(), Length(max=500)],
                                  description="Ví dụ: Kế hoạch số 266-KH/TU ngày 26/4/2025.")

    def set_agencies(self, agencies) -> None:
        choices = [SelectChoice(a.name) for a in agencies]
        self.lead_agency.choices = [SelectChoice("", "— Chọn đơn vị —")] + choices
        self.collaborating_agencies.choices = choices


class ActionForm(FlaskForm):
    """Base of the per-step forms built by ``action_form``."""


def action_form(fields: list[dict], decisions: list[str], prefix: str, officers=(), **kwargs) -> ActionForm:
    """An ActionForm with one control per field the work item's step declares."""

    class StepForm(ActionForm):
        pass

    if "return" in decisions:
        StepForm.comment = TextAreaField("Ý kiến / lý do trả lại", validators=[Optional(), Length(max=5000)],
                                         description="Bắt buộc khi trả lại; ghi rõ cần sửa gì.")
    else:
        StepForm.comment = TextAreaField("Ghi chú", validators=[Optional(), Length(max=5000)],
                                         description="Không bắt buộc.")

    for f in fields:
        label = f["label"]
        required = [DataRequired(f"Vui lòng nhập {label.lower()}.")] if f["required"] else [Optional()]
        if f["type"] == "text":
            kind = TextAreaField if f.get("multiline") else StringField
            control = kind(label, validators=required + [Length(max=5000)])
        elif f["type"] == "date":
            # InputRequired keeps the parse error of a typed but impossible date visible
            control = VNDateField(label, validators=[InputRequired(f"Vui lòng nhập {label.lower()}.")]
                                  if f["required"] else [Optional()])
        elif f["type"] == "number":
            control = DecimalField(label, validators=required)
        elif f["type"] == "user":
            control = SelectField(label, choices=[SelectChoice("", "— Để các chuyên viên của đơn vị tự nhận —")]
                                  + [SelectChoice(u.username, u.full_name) for u in officers],
                                  validators=[Optional()])
        else:
            validators = ([FileRequired(f"Vui lòng đính kèm {label.lower()}.")]
                          if f["required"] else [Optional()])
            control = FileField(label, validators=validators)
        setattr(StepForm, f["name"], control)
    return StepForm(prefix=prefix, **kwargs)


class ExtensionForm(FlaskForm):
    new_due = VNDateField("Thời hạn đề nghị", validators=[InputRequired("Vui lòng nhập thời hạn đề nghị.")],
                          description="Ngày/tháng/năm, ví dụ 30/06/2026.")
    reason = TextAreaField("Lý do", validators=[DataRequired("Vui lòng nêu lý do đề nghị gia hạn."), Length(max=5000)])
    file = FileField("Văn bản đề nghị (nếu có)")


class IndicatorReportForm(FlaskForm):
    """“Báo cáo số liệu”: which milestone year and which responsible agency (see ``set_choices``)."""

    year = SelectField("Năm", validators=[DataRequired("Vui lòng chọn năm cần báo cáo.")],
                       description="Một năm mốc của chỉ tiêu.")
    agency = SelectField("Đơn vị báo cáo", validators=[DataRequired("Vui lòng chọn đơn vị báo cáo.")],
                         description="Chuyên viên của đơn vị nhập số liệu, lãnh đạo đơn vị ký duyệt, "
                                     "Tổ giúp việc tiếp nhận.")

    def set_choices(self, years, agencies) -> None:
        self.year.choices = [SelectChoice("", "— Chọn năm —")] + [SelectChoice(str(y), f"Năm {y}") for y in years]
        self.agency.choices = ([SelectChoice("", "— Chọn đơn vị —")] if len(agencies) > 1 else []) + [
            SelectChoice(a.name) for a in agencies]


class DelegationForm(FlaskForm):
    delegate = SelectField("Người được ủy quyền", validators=[DataRequired("Vui lòng chọn đồng nghiệp.")])
    starts_on = VNDateField("Từ ngày", validators=[InputRequired("Vui lòng nhập ngày bắt đầu.")])
    ends_on = VNDateField("Đến ngày", validators=[InputRequired("Vui lòng nhập ngày kết thúc.")])


class CommentForm(FlaskForm):
    """“Trao đổi” on the task page; the agencies to mention come from ``set_agencies``."""

    # the length is checked by the use case, which counts a line break as one character
    body = TextAreaField("Nội dung trao đổi", validators=[DataRequired("Vui lòng nhập nội dung trao đổi.")],
                         description="Xuống dòng được giữ nguyên. Tối đa 4.000 ký tự.")
    # the use case checks the agencies exist, with a Vietnamese message (WTForms' own is English)
    mentions = MultiCheckboxField(
        "Nhắc đến đơn vị", validate_choice=False, validators=[Optional()],
        description="Không bắt buộc. Lãnh đạo và cán bộ xử lý nhiệm vụ của đơn vị được chọn sẽ nhận thông báo.")
    other_agency = SelectField("Nhắc thêm đơn vị khác", validate_choice=False, validators=[Optional()],
                               description="Một đơn vị ngoài danh sách trên, nếu cần. Đơn vị không tham gia "
                                           "nhiệm vụ nhận nội dung qua thông báo nhưng không mở được trang này.")

    def set_agencies(self, own, others) -> None:
        self.mentions.choices = [SelectChoice(str(a.id), f"{a.name} ({part})") for a, part in own]
        self.other_agency.choices = ([SelectChoice("", "— Không —")]
                                     + [SelectChoice(str(a.id), a.name) for a in others])

    def mentioned_ids(self) -> list[str]:
        return [*(self.mentions.data or []), *([self.other_agency.data] if self.other_agency.data else [])]
