"""WTForms for the pages; the action form of a work item is built from its step's fields."""

from __future__ import annotations

import calendar
import calendar as month_calendar
import re
from datetime import date, datetime

from flask import flash
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from models import OUTPUT_TYPES
from views.i18n import domain_message, field_messages
from workflows import clock, settings
from workflows.errors import N_, Invalid, Message
from workflows.tasks import create, files, work
from workflows.tasks.create import DUE_REQUIRED
from workflows.tasks.deadline_text import BAD_YEAR, MAX_YEAR, MIN_YEAR


def attach_errors(form, exc) -> None:
    """Show a use case's ``Invalid`` next to the fields it names (or as a message when it names none)."""
    placed = False
    for name, message in field_messages(exc).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
            placed = True
    if not placed:
        flash(domain_message(exc), "error")


class MaxChars:
    """At most ``limit`` characters, said with how many were sent, after the text came back whole — not WTForms'
    Length, whose maxlength attribute had the browser cut a pasted text short, mid-word, without a word."""

    def __init__(self, limit: int, text: bool = True):
        self.limit, self.text = limit, text  # (a one-line field, a figure: no document to attach instead)

    def __call__(self, form, field) -> None:
        if len(field.data or "") > self.limit:
            limit, count = f"{self.limit:,}".replace(",", "."), f"{len(field.data):,}".replace(",", ".")
            raise ValidationError(
                _("Tối đa %(max)s ký tự (nội dung gửi có %(count)s ký tự); hãy rút gọn hoặc đính kèm văn bản.",
                  max=limit, count=count) if self.text
                else _("Tối đa %(max)s ký tự (nội dung gửi có %(count)s ký tự).", max=limit, count=count))


def ask_files_again(form) -> None:
    """A form sent back for an error keeps what was typed, but no browser refills a file box: each file chosen says
    it was not sent and is to be chosen again (an opinion went on without its document, the box silently empty)."""
    for field in form:
        name = getattr(field.data, "filename", None) if isinstance(field, FileField) else None
        if name and not field.errors:
            field.errors = [*field.errors, _("Tệp “%(name)s” chưa được gửi: chọn lại tệp trước khi gửi.", name=name)]


# d/m/yyyy with the same separator twice, or yyyy-mm-dd: the shapes VNDateField reads
DATE_SHAPE = re.compile(r"\d{1,2}([/.-])\d{1,2}\1\d{4}|\d{4}-\d{1,2}-\d{1,2}")


class VNDateField(StringField):
    """A date typed as dd/mm/yyyy (yyyy-mm-dd is accepted too), whatever the browser's locale."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"placeholder": "dd/mm/yyyy", "inputmode": "numeric",
                                        "autocomplete": "off", "data-vn-date": ""})  # static/datepicker.js
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
                day = datetime.strptime(text, fmt).date()
            except ValueError:
                continue
            if not MIN_YEAR <= day.year <= MAX_YEAR:  # a typo (9999, 0001), and date arithmetic far from date.max
                raise ValueError(Message(BAD_YEAR,
                                         year=day.year, text=text))
            self.data = day
            return
        if DATE_SHAPE.fullmatch(text):  # typed as asked, so "use dd/mm/yyyy" would not help: say what is wrong
            numbers = [int(n) for n in re.findall(r"\d+", text)]
            year, month = (numbers[0], numbers[1]) if text[4:5] == "-" else (numbers[2], numbers[1])  # yyyy-mm-dd
            if not 1 <= month <= 12:
                raise ValueError(Message("Ngày %(text)s không có trên lịch: tháng chỉ từ 1 đến 12.", text=text))
            if not MIN_YEAR <= year <= MAX_YEAR:
                raise ValueError(Message(BAD_YEAR,
                                         year=year, text=text))
            days = calendar.monthrange(year, month)[1]
            raise ValueError(Message("Ngày %(text)s không có trên lịch: tháng %(month)s/%(year)s có %(days)s ngày.",
                                     text=text, month=month, year=year, days=days))
        raise ValueError(N_("Ngày không hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 30/06/2026."))


class MultiCheckboxField(SelectMultipleField):
    """Several choices as a list of checkboxes (easier than Ctrl-click in a long list)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TaskForm(FlaskForm):
    title = TextAreaField(N_("Tên nhiệm vụ"), validators=[
        DataRequired(N_("Vui lòng nhập tên nhiệm vụ.")), Length(max=create.LIMITS["title"])])
    lead_agency = SelectField(N_("Đơn vị chủ trì"), validators=[DataRequired(N_("Vui lòng chọn đơn vị chủ trì."))])
    collaborating_agencies = MultiCheckboxField(N_("Đơn vị phối hợp"), validators=[Optional()],
                                                description=N_("Chọn các đơn vị góp ý; có thể để trống."))
    output_type = SelectField(N_("Loại sản phẩm"), choices=[SelectChoice("", N_("— Chọn loại sản phẩm —"))]
                              + [SelectChoice(k, v) for k, v in OUTPUT_TYPES.items()],
                              validators=[DataRequired(N_("Vui lòng chọn loại sản phẩm."))])
    expected_output = TextAreaField(N_("Kết quả/sản phẩm"), validators=[
        Optional(), Length(max=create.LIMITS["expected_output"])])
    due_date = VNDateField(N_("Thời hạn hoàn thành"), validators=[Optional()],
                           description=N_("Ngày cuối cùng phải hoàn thành, dạng ngày/tháng/năm (ví dụ 30/06/2026). "
                                          "Bắt buộc, trừ khi ghi thời hạn theo văn bản ở ô dưới."))
    deadline_text = StringField(N_("Thời hạn ghi trong văn bản"), validators=[
        Optional(), Length(max=create.LIMITS["deadline_text"])],
                                description=N_("Ví dụ: “Quý II năm 2026”, “Thường xuyên”."))
    source_document = StringField(N_("Văn bản giao"), validators=[
        Optional(), Length(max=create.LIMITS["source_document"])],
                                  description=N_("Ví dụ: Kế hoạch số 266-KH/TU ngày 26/4/2025."))

    past_due_ok = BooleanField(N_("Đúng, thời hạn này đã qua (nhiệm vụ được giao muộn)"))
    asks_past_due = False  # set when the due date lies in the past: the template then offers past_due_ok
    duplicate_ok = BooleanField(N_("Đúng, đây là một nhiệm vụ khác, cùng tên"))
    # the form's one-time key (set when the form is first shown): the same form sent twice creates one task
    submission = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        """The use case's rule that a task needs a date or the document's wording, checked with the other
        fields, so that one submission shows every error; and a due date already past (2020 typed for 2026
        makes a task overdue from its first minute) is taken only once confirmed."""
        valid = super().validate(extra_validators)
        due = self.due_date.data
        if due is None and not self.due_date.errors and not (self.deadline_text.data or "").strip():
            self.due_date.errors.append(DUE_REQUIRED)
            return False
        past_field = self.due_date
        if due is None and not self.deadline_text.errors and (self.deadline_text.data or "").strip():
            try:  # the date the document's wording sets is checked as a typed one is
                due = create.read_deadline(self.deadline_text.data, self.source_document.data).effective_due
            except Invalid as exc:
                self.deadline_text.errors.append(field_messages(exc)["deadline_text"])
                return False
            past_field = self.deadline_text
        if due is not None and due < clock.today() and not self.past_due_ok.data:
            self.asks_past_due = True
            past_field.errors.append(Message(
                "Thời hạn %(date)s đã qua: nhiệm vụ sẽ quá hạn ngay khi giao. Kiểm tra lại năm; nếu đúng, "
                "đánh dấu ô xác nhận bên dưới rồi bấm “Giao nhiệm vụ”.", date=f"{due:%d/%m/%Y}"))
            return False
        return valid

    def set_agencies(self, agencies, groups=()) -> None:
        """The agencies to choose from, and the groups (a task for a group goes to each of its members)."""
        choices = [SelectChoice(a.name) for a in agencies]
        owed = [SelectChoice(g.name, optgroup=_("Nhóm đơn vị (mỗi đơn vị một nhiệm vụ)")) for g in groups]
        self.lead_agency.choices = [SelectChoice("", _("— Chọn đơn vị —"))] + choices + owed
        self.output_type.choices = [SelectChoice("", _("— Chọn loại sản phẩm —"))] + [
            SelectChoice(k, _(v)) for k, v in OUTPUT_TYPES.items()]
        self.collaborating_agencies.choices = choices


class ActionForm(FlaskForm):
    """Base of the per-step forms built by ``action_form``."""

    def validate_for(self, decision: str) -> bool:
        """Validate for the decision pressed: a return needs only a valid CSRF token and its reason, which the
        use case checks; any other decision, every field."""
        valid = self.validate_on_submit()
        return valid or (decision == "return" and self.is_submitted() and "csrf_token" not in self.errors)


def action_form(fields: list[dict], decisions: list[str], prefix: str, officers=(), **kwargs) -> ActionForm:
    """An ActionForm with one control per field the work item's step declares."""

    class StepForm(ActionForm):
        pass

    if "return" in decisions:
        StepForm.comment = TextAreaField(N_("Ý kiến / lý do trả lại"),
                                         validators=[Optional(), MaxChars(work.MAX_TEXT)],
                                         description=N_("Bắt buộc khi trả lại; ghi rõ cần sửa gì."))
    elif not any(f["type"] == "text" and f.get("multiline") for f in fields):
        StepForm.comment = TextAreaField(N_("Ghi chú"), validators=[Optional(), MaxChars(work.MAX_TEXT)],
                                         description=N_("Không bắt buộc."))

    for f in fields:
        label = f["label"]
        required = [DataRequired(_("Vui lòng nhập %(what)s.", what=label.lower()))] if f["required"] else [Optional()]
        if f["type"] == "text":
            multiline = f.get("multiline")
            control = (TextAreaField if multiline else StringField)(
                label, validators=required + [MaxChars(work.MAX_TEXT) if multiline else MaxChars(work.MAX_LINE, False)])
        elif f["type"] == "date":
            # InputRequired keeps the parse error of a typed but impossible date visible
            control = VNDateField(label, validators=[InputRequired(_("Vui lòng nhập %(what)s.", what=label.lower()))]
                                  if f["required"] else [Optional()])
        elif f["type"] == "number":
            control = DecimalField(label, validators=required)
        elif f["type"] == "user":
            control = SelectField(label, choices=[SelectChoice("", _("— Để các chuyên viên của đơn vị tự nhận —"))]
                                  + [SelectChoice(u.username, u.full_name) for u in officers],
                                  validators=[Optional()])
        else:
            validators = ([FileRequired(_("Vui lòng đính kèm %(what)s.", what=label.lower()))]
                          if f["required"] else [Optional()])
            control = FileField(label, validators=validators, description=upload_hint(f.get("signed", False)))
        setattr(StepForm, f["name"], control)
    return StepForm(prefix=prefix, **kwargs)


def upload_hint(signed: bool = False) -> str:
    """What a file box takes, said beside it (before: only the refusal said it)."""
    mb = settings.get("MAX_UPLOAD_BYTES") // (1024 * 1024)
    if signed:  # (workflows.signatures: a PDF whose digital signature is checked when it is sent)
        return _("Tệp PDF có chữ ký số; tối đa %(mb)s MB.", mb=mb)
    return _("Tệp %(types)s; mỗi tệp tối đa %(mb)s MB.", types=files.ALLOWED_TEXT, mb=mb)


class AddMemberForm(FlaskForm):
    """One more agency for a group's task, with its own deadline when the group's has passed."""

    agency = StringField(N_("Giao thêm cho đơn vị"), validators=[Length(max=255)])
    due_date = VNDateField(N_("Thời hạn riêng"), validators=[Optional()])


def future_example() -> str:
    """A date to give as an example where one ahead is asked for: the last day of the next quarter (copying
    "30/06/2026" in December got "must be after today")."""
    today = clock.today()
    following = (today.month - 1) // 3 + 1  # the next quarter, counted from this year's first (0)
    year, month = today.year + following // 4, following % 4 * 3 + 3
    last = date(year, month, month_calendar.monthrange(year, month)[1])
    return _("Ngày/tháng/năm, ví dụ %(day)s.", day=f"{last:%d/%m/%Y}")


class ExtensionForm(FlaskForm):
    new_due = VNDateField(N_("Thời hạn đề nghị"), validators=[InputRequired(N_("Vui lòng nhập thời hạn đề nghị."))])
    reason = TextAreaField(N_("Lý do"), validators=[
        DataRequired(N_("Vui lòng nêu lý do đề nghị gia hạn.")), MaxChars(work.MAX_TEXT)])
    file = FileField(N_("Văn bản đề nghị (nếu có)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.file.description = upload_hint()
        self.new_due.description = future_example()


class MarkedRequired:
    """Marks a field required (the form shows its asterisk) and leaves the check to the use case, which names
    every missing or wrong field at once."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        return None


class ExplanationForm(FlaskForm):
    """The lead agency's explanation of a late task: ``workflows.tasks.explanations.explain`` checks the text and
    the date (required, length, not in the past) and names every problem beside its field."""

    text = TextAreaField(N_("Lý do chậm, những việc đơn vị đang làm"), validators=[MarkedRequired()],
                         description=N_("Được trích nguyên văn trong báo cáo gửi UBND tỉnh, tối đa 2000 ký tự."))
    expected_on = VNDateField(N_("Dự kiến hoàn thành"), validators=[MarkedRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected_on.description = future_example()


class IndicatorReportForm(FlaskForm):
    """“Báo cáo số liệu”: which milestone year and which responsible agency (see ``set_choices``)."""

    year = SelectField(N_("Năm"), validators=[DataRequired(N_("Vui lòng chọn năm cần báo cáo."))],
                       description=N_("Một năm mốc của chỉ tiêu."))
    agency = SelectField(N_("Đơn vị báo cáo"), validators=[DataRequired(N_("Vui lòng chọn đơn vị báo cáo."))],
                         description=N_("Chuyên viên của đơn vị nhập số liệu, lãnh đạo đơn vị ký duyệt, "
                                        "Tổ giúp việc tiếp nhận."))

    def set_choices(self, years, agencies) -> None:
        self.year.choices = [SelectChoice("", _("— Chọn năm —"))] + [
            SelectChoice(str(y), _("Năm %(year)s", year=y)) for y in years]
        self.agency.choices = ([SelectChoice("", _("— Chọn đơn vị —"))] if len(agencies) > 1 else []) + [
            SelectChoice(a.name) for a in agencies]


class DelegationForm(FlaskForm):
    delegate = SelectField(N_("Người được ủy quyền"), validators=[DataRequired(N_("Vui lòng chọn đồng nghiệp."))])
    starts_on = VNDateField(N_("Từ ngày"), validators=[InputRequired(N_("Vui lòng nhập ngày bắt đầu."))])
    ends_on = VNDateField(N_("Đến ngày"), validators=[InputRequired(N_("Vui lòng nhập ngày kết thúc."))])


class CommentForm(FlaskForm):
    """“Trao đổi” on the task page; the agencies to mention come from ``set_agencies``."""

    # the length is checked by the use case, which counts a line break as one character
    body = TextAreaField(N_("Nội dung trao đổi"), validators=[DataRequired(N_("Vui lòng nhập nội dung trao đổi."))],
                         description=N_("Xuống dòng được giữ nguyên. Tối đa 4.000 ký tự."))
    # the use case checks the agencies exist, with a Vietnamese message (WTForms' own is English)
    mentions = MultiCheckboxField(
        N_("Nhắc đến đơn vị"), validate_choice=False, validators=[Optional()],
        description=N_("Không bắt buộc. Lãnh đạo và cán bộ xử lý nhiệm vụ của đơn vị được chọn sẽ nhận thông báo."))
    # the form's one-time key (a new one each time the page is drawn): the same form sent twice is one comment
    submission = HiddenField(validators=[Optional(), Length(max=64)])
    other_agency = SelectField(N_("Nhắc thêm đơn vị khác"), validate_choice=False, validators=[Optional()],
                               description=N_("Một đơn vị ngoài danh sách trên, nếu cần. Đơn vị không tham gia "
                                              "nhiệm vụ nhận nội dung qua thông báo nhưng không mở được trang này."))

    def set_agencies(self, own, others) -> None:
        self.mentions.choices = [SelectChoice(str(a.id), f"{a.name} ({_(part)})") for a, part in own]
        self.other_agency.choices = ([SelectChoice("", _("— Không —"))]
                                     + [SelectChoice(str(a.id), a.name) for a in others])

    def mentioned_ids(self) -> list[str]:
        return [*(self.mentions.data or []), *([self.other_agency.data] if self.other_agency.data else [])]
