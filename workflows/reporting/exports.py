"""Exports in the forms the committee uses: the task register (.xlsx), the period report and the
Friday review pack (.docx).

Every figure comes from ``workflows.progress``, so a file and the dashboard never disagree; the rows
listed beside the figures (overdue tasks, the register) use the same filters and the same status
rules (``workflows.status``). The .docx layout follows Nghị định 30/2020/NĐ-CP: A4, margins 20/20/30/15
mm, Times New Roman, the two-column heading (issuing agency / national motto), the number, place and
date line, the title, "Nơi nhận" and the signature block.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from flask import current_app
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import AuditEvent, DeadlineAdjustment, ProcessInstance, Task, User, WorkItem, db
from workflows import clock
from workflows.errors import Invalid, NotAllowed
from workflows.reporting import progress
from workflows.tasks import reads, status

READERS = ("coordinator", "viewer", "approver", "admin")
FONT = "Times New Roman"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# Fill and text colour of each status (DOMAIN.md: red overdue, orange due soon or done late, green
# done on time, blue in progress, grey not started), the tints of static/style.css a little stronger.
STATUS_COLOURS = {
    "overdue": ("F8D3D0", "8C1D18"),
    "due_soon": ("FFE2B8", "7A3F00"),
    "done_late": ("FFE2B8", "7A3F00"),
    "done_on_time": ("D3EDD9", "145224"),
    "in_progress": ("D4E5F6", "083A66"),
    "not_started": ("E4E6E9", "3D444D"),
    "ongoing": ("CFEBE8", "0B5550"),
}
# The order the committee reads the statuses in: done, then not done, then ongoing.
STATUS_ORDER = ("done_on_time", "done_late", "in_progress", "not_started", "due_soon", "overdue", "ongoing")
# What explains an overdue task: the latest return, request for more time or comment on it.
REASON_ACTIONS = {"return": "Trả lại", "extension_request": "Đề nghị gia hạn", "comment": "Trao đổi"}
NO_REASON = "Chưa có giải trình"
LAGGING_LIMIT = 5  # agencies named in section IV
STUCK_LIMIT = 10


def ensure_reader(user: User) -> None:
    """Coordinators, viewers, approvers and administrators; they all see every task (OVERSIGHT_ROLES)."""
    if not (user.is_authenticated and user.has_role(*READERS)):
        raise NotAllowed("Chỉ Tổ giúp việc, lãnh đạo theo dõi, cấp có thẩm quyền và quản trị được xuất báo cáo.")


# ---------------------------------------------------------------- small helpers

def _config(name: str, default: str) -> str:
    return current_app.config.get(name) or default


def _due_soon_days() -> int:
    return reads.due_soon_days()


def _local_date(moment: datetime | None) -> date | None:
    return clock.to_local(moment).date() if moment else None


def _utc_start(day: date) -> datetime:
    """The naive-UTC moment the local day ``day`` begins (times are stored as naive UTC)."""
    return datetime.combine(day, time.min, clock.LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


def _d(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def percent(part: int, total: int) -> str:
    """A share written the Vietnamese way: 33,3%."""
    if not total:
        return "0%"
    return f"{100 * part / total:.1f}".replace(".", ",") + "%"


def fold(text: str) -> str:
    """ASCII letters for a file name: accents dropped, đ → d."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def agency_code(name: str) -> str:
    """The abbreviation used in document numbers: "Sở Khoa học và Công nghệ" → "SKHCN"."""
    words = [w for w in name.replace("-", " ").split() if w.lower() not in ("và", "các")]
    return "".join(fold(w)[0].upper() for w in words if w and fold(w)[0].isalnum())


def vn_date_line(place: str, day: date) -> str:
    """"Thanh Hóa, ngày 05 tháng 02 năm 2026": a zero before days below 10 and months 1 and 2 (NĐ 30/2020)."""
    day_text = f"{day.day:02d}"
    month_text = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day_text} tháng {month_text} năm {day.year}"


def status_of(task: Task, today: date) -> str:
    return status.compute(task, today, _due_soon_days())


# ---------------------------------------------------------------- the task register (.xlsx)

@dataclass
class RegisterRow:
    task: Task
    status: str
    days_at_step: int | None


@dataclass
class RegisterGroup:
    appendix: str | None
    section: str | None
    rows: list[RegisterRow] = field(default_factory=list)


def register_groups(f: progress.Filters, today: date) -> list[RegisterGroup]:
    """The tasks the filters select, grouped by appendix and section in the order they were imported."""
    tasks = db.session.scalars(select(Task).where(progress.tasks_clause(f))
                               .options(selectinload(Task.collaborating_agencies)).order_by(Task.id))
    groups: dict[tuple, RegisterGroup] = {}
    appendices: dict[tuple, int] = {}  # (directive, appendix) -> order of first appearance
    for task in tasks:
        appendices.setdefault((task.directive_id, task.appendix), len(appendices))
        key = (task.directive_id, task.appendix, task.section)
        group = groups.setdefault(key, RegisterGroup(task.appendix, task.section))
        since = _local_date(task.step_since) if task.state != "done" else None
        group.rows.append(RegisterRow(task, status_of(task, today), (today - since).days if since else None))
    # An appendix keeps its sections together (tasks added later by an amending document join them);
    # tasks outside any appendix or section (created one by one) come last.
    order = {key: i for i, key in enumerate(groups)}
    return [groups[key] for key in sorted(groups, key=lambda k: (
        k[1] is None and k[2] is None, appendices[(k[0], k[1])], order[k]))]


REGISTER_COLUMNS = (  # header, width
    ("STT", 6), ("Nhiệm vụ", 48), ("Đơn vị chủ trì", 22), ("Đơn vị phối hợp", 26), ("Sản phẩm", 28),
    ("Thời hạn", 18), ("Trạng thái", 18), ("Bước hiện tại", 22), ("Đang xử lý", 22),
    ("Số ngày ở bước này", 10), ("Ngày hoàn thành", 12), ("Ghi chú", 30),
)
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")


# Characters XML 1.0 cannot hold (text extracted from documents sometimes carries them).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub(" ", text)


def _put(ws, row: int, col: int, value):
    """Write a cell; text is always text (never a formula, whatever it starts with)."""
    if isinstance(value, str):
        value = xml_safe(value)
    cell = ws.cell(row, col, value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def _xfont(**kwargs) -> Font:
    return Font(name=FONT, size=kwargs.pop("size", 11), **kwargs)


def _deadline_cell(task: Task) -> str:
    lines = []
    if task.deadline_text:
        lines.append(" ".join(task.deadline_text.split()))
    if task.due_date and _d(task.due_date) not in " ".join(lines):
        lines.append(_d(task.due_date))
    return "\n".join(lines)


def _note_cell(task: Task) -> str:
    notes = [task.note] if task.note else []
    if task.original_due and task.due_date and task.original_due != task.due_date:
        notes.append(f"Thời hạn ban đầu {_d(task.original_due)}, điều chỉnh thành {_d(task.due_date)}.")
    if task.done_at_issue:
        notes.append("Đã hoàn thành khi ban hành văn bản.")
    return "\n".join(notes)


def _title_rows(ws, title: str, subtitle: str, width: int) -> None:
    last = get_column_letter(width)
    ws.merge_cells(f"A1:{last}1")
    ws.merge_cells(f"A2:{last}2")
    _put(ws, 1, 1, title)
    ws["A1"].font = _xfont(size=14, bold=True)
    ws["A1"].alignment = _CENTER
    _put(ws, 2, 1, subtitle)
    ws["A2"].font = _xfont(italic=True)
    ws["A2"].alignment = _CENTER
    ws.row_dimensions[1].height = 24


def _scope_line(f: progress.Filters, today: date) -> str:
    return "; ".join([f"Số liệu tính đến ngày {_d(today)}", *progress.describe(f)])


def register_xlsx(user: User, f: progress.Filters, today: date | None = None) -> bytes:
    """The register of the tasks the filters select, grouped by section like the appendices, with a summary sheet."""
    ensure_reader(user)
    today = today or clock.today()
    groups = register_groups(f, today)
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh mục nhiệm vụ"
    width = len(REGISTER_COLUMNS)
    _title_rows(ws, "DANH MỤC NHIỆM VỤ VÀ TÌNH HÌNH THỰC HIỆN", _scope_line(f, today), width)
    header_row = 4
    for col, (header, col_width) in enumerate(REGISTER_COLUMNS, start=1):
        cell = ws.cell(header_row, col, header)
        cell.font, cell.alignment, cell.border = _xfont(bold=True), _CENTER, _BOX
        cell.fill = PatternFill("solid", fgColor="D9DEE5")
        ws.column_dimensions[get_column_letter(col)].width = col_width
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    row = header_row + 1
    last_appendix = None
    only_group = len(groups) == 1 and groups[0].appendix is None and groups[0].section is None
    for group in groups:
        if group.appendix and group.appendix != last_appendix:
            _band(ws, row, width, " ".join(group.appendix.split()).upper(), "C9D3E0")
            row += 1
        last_appendix = group.appendix
        if not only_group:
            _band(ws, row, width, " ".join((group.section or "Nhiệm vụ khác").split()), "EEF1F5")
            row += 1
        for number, item in enumerate(group.rows, start=1):
            _register_row(ws, row, number, item)
            row += 1
    if not groups:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        ws.cell(row, 1, "Không có nhiệm vụ nào theo bộ lọc đã chọn.").font = _xfont(italic=True)
    ws.print_title_rows = f"{header_row}:{header_row}"
    _print_setup(ws)
    _summary_sheet(wb.create_sheet("Tổng hợp"), f, today)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _band(ws, row: int, width: int, text: str, fill: str) -> None:
    """A bold row across the table (appendix or section heading)."""
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    cell = _put(ws, row, 1, text)
    cell.font = _xfont(bold=True)
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    cell.fill = PatternFill("solid", fgColor=fill)
    for col in range(1, width + 1):
        ws.cell(row, col).border = _BOX
    ws.row_dimensions[row].height = 15 * max(1, len(text) // 200 + 1)


def _register_row(ws, row: int, number: int, item: RegisterRow) -> None:
    task = item.task
    done = task.state == "done"
    values = [
        (task.stt or "").strip().rstrip(".") or str(number),
        f"{' '.join(task.title.split())}\n({task.code})",
        task.lead_agency.name,
        "; ".join(a.name for a in task.collaborating_agencies),
        task.expected_output or "",
        _deadline_cell(task),
        status.STATUS_LABELS[item.status],
        "Đã hoàn thành" if done else (task.current_step or ""),
        "" if done else (task.current_holder or ""),
        item.days_at_step,
        task.completed_on if done else None,
        _note_cell(task),
    ]
    for col, value in enumerate(values, start=1):
        cell = _put(ws, row, col, value)
        cell.font, cell.alignment, cell.border = _xfont(), _WRAP, _BOX
    ws.cell(row, 1).alignment = Alignment(vertical="top", horizontal="center")
    ws.cell(row, 10).alignment = Alignment(vertical="top", horizontal="center")
    finished = ws.cell(row, 11)
    finished.number_format = "DD/MM/YYYY"
    finished.alignment = Alignment(vertical="top", horizontal="center")
    _fit_height(ws, row, values)
    fill, ink = STATUS_COLOURS[item.status]
    state = ws.cell(row, 7)
    state.fill = PatternFill("solid", fgColor=fill)
    state.font = _xfont(bold=True, color=ink)


def _fit_height(ws, row: int, values: list) -> None:
    """Give a row the height its wrapped text needs (spreadsheet programs do not always measure it)."""
    lines = 1
    for col, value in enumerate(values, start=1):
        if not isinstance(value, str) or not value:
            continue
        per_line = max(1, int(REGISTER_COLUMNS[col - 1][1] * 1.15))  # characters of 11 pt Times New Roman
        lines = max(lines, sum(max(1, math.ceil(len(part) / per_line)) for part in value.split("\n")))
    ws.row_dimensions[row].height = 15 * lines


def _print_setup(ws) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _summary_numbers(ws, row: int, count: int, total: int, bold: bool = False) -> None:
    ws.cell(row, 2, count).font = _xfont(bold=bold)
    share = ws.cell(row, 3, count / total if total else 0)
    share.font, share.number_format = _xfont(bold=bold), "0.0%"
    for col in (1, 2, 3):
        ws.cell(row, col).border = _BOX


def _summary_sheet(ws, f: progress.Filters, today: date) -> None:
    totals = progress.status_totals(f, today=today)
    total = sum(totals.values())
    _title_rows(ws, "TỔNG HỢP TÌNH HÌNH THỰC HIỆN NHIỆM VỤ", _scope_line(f, today), 3)
    for col, (header, col_width) in enumerate((("Trạng thái", 34), ("Số nhiệm vụ", 14), ("Tỷ lệ", 12)), start=1):
        cell = ws.cell(4, col, header)
        cell.font, cell.alignment, cell.border = _xfont(bold=True), _CENTER, _BOX
        cell.fill = PatternFill("solid", fgColor="D9DEE5")
        ws.column_dimensions[get_column_letter(col)].width = col_width
    row = 5
    for key in STATUS_ORDER:
        fill, ink = STATUS_COLOURS[key]
        label = ws.cell(row, 1, status.STATUS_LABELS[key])
        label.fill, label.font = PatternFill("solid", fgColor=fill), _xfont(bold=True, color=ink)
        _summary_numbers(ws, row, totals.get(key, 0), total)
        row += 1
    ws.cell(row, 1, "Tổng cộng").font = _xfont(bold=True)
    _summary_numbers(ws, row, total, total, bold=True)
    _print_setup(ws)
    ws.page_setup.orientation = "portrait"


# ---------------------------------------------------------------- the period report (data)

@dataclass
class OverdueRow:
    task: Task
    days: int  # days past the due date
    reason: str
    reason_label: str | None = None  # Trả lại / Đề nghị gia hạn / Trao đổi
    reason_at: datetime | None = None
    reason_by: str | None = None


@dataclass
class PeriodReport:
    period: progress.PeriodRange
    filters: progress.Filters
    today: date
    totals: dict[str, int]
    agencies: list
    overdue: list[OverdueRow]  # due in the period and overdue
    lagging: list
    # due before the period and still not done: a report that left them out would read "nothing overdue"
    earlier_overdue: list[OverdueRow] = dataclasses.field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def done(self) -> int:
        return self.totals.get("done_on_time", 0) + self.totals.get("done_late", 0)

    @property
    def in_time(self) -> int:
        """Not done and not overdue (government reports: "chưa hoàn thành, trong hạn")."""
        return sum(self.totals.get(k, 0) for k in ("in_progress", "not_started", "due_soon"))

    @property
    def not_done(self) -> int:
        return self.in_time + self.totals.get("overdue", 0)

    @property
    def scope(self) -> list[str]:
        """The filters besides the period, in words."""
        return progress.describe(dataclasses.replace(self.filters, period=None))


def period_report(user: User, f: progress.Filters, today: date | None = None) -> PeriodReport:
    """Figures of one period (``f.period``), per agency, the overdue tasks with their explanation, the laggards."""
    ensure_reader(user)
    today = today or clock.today()
    period = progress.period_range(f.period)
    if period is None:
        raise Invalid("Vui lòng chọn kỳ báo cáo: tháng (2026-11), quý (2026-Q4), 6 tháng (2026-H1, 2026-H2) "
                      "hoặc năm (2026).", {"period": "Chưa chọn kỳ báo cáo."})
    totals = progress.status_totals(f, today=today)
    agencies = progress.agency_table(f, sort="overdue", descending=True, today=today)
    # most overdue tasks first; between equals, the larger share of the agency's tasks
    lagging = sorted((row for row in agencies if row.overdue),
                     key=lambda r: (-r.overdue, -r.overdue / r.assigned))[:LAGGING_LIMIT]
    table = sorted(agencies, key=lambda r: reads.vn_sort_key(r.agency))
    # one read of every overdue task the other filters select, split by the period
    overdue = overdue_rows(dataclasses.replace(f, period=None), today)
    in_period = [row for row in overdue if period.start <= row.task.due_date <= period.end]
    earlier = [row for row in overdue if row.task.due_date < period.start]
    return PeriodReport(period, f, today, totals, table, in_period, lagging, earlier)


def overdue_rows(f: progress.Filters, today: date) -> list[OverdueRow]:
    """The overdue tasks the filters select, longest overdue first, each with its latest explanation."""
    tasks = list(db.session.scalars(
        select(Task).where(progress.tasks_clause(f), status.clause("overdue", today, _due_soon_days()))
        .order_by(Task.due_date, Task.id)))
    reasons = latest_reasons([t.id for t in tasks])
    rows = []
    for task in tasks:
        event = reasons.get(task.id)
        row = OverdueRow(task, (today - task.due_date).days, NO_REASON)
        if event is not None:
            row.reason, row.reason_label, row.reason_at = event.comment, REASON_ACTIONS[event.action], event.at
            row.reason_by = event.actor.full_name if event.actor else None
        rows.append(row)
    return rows


def latest_reasons(task_ids: Iterable[int]) -> dict[int, AuditEvent]:
    """The latest return reason, extension request or comment of each task (with text)."""
    ids = list(task_ids)
    found: dict[int, AuditEvent] = {}
    for i in range(0, len(ids), 500):
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.task_id.in_(ids[i:i + 500]),
                                     AuditEvent.action.in_(tuple(REASON_ACTIONS)),
                                     AuditEvent.comment.is_not(None), AuditEvent.comment != "")
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
        for event in events:
            found.setdefault(event.task_id, event)
    return found


# ---------------------------------------------------------------- the Friday review pack (data)

@dataclass
class WeekEvent:
    task: Task
    at: datetime | None
    who: str | None
    text: str | None
    extra: str | None = None  # the step returned from, the old and new dates, …


@dataclass
class WeekPack:
    start: date  # Monday
    end: date  # Sunday
    as_of: datetime  # naive UTC: the end of the week, or now for the current week
    completed_on_time: list[Task]
    completed_late: list[Task]
    returned: list[WeekEvent]
    adjustments: list[WeekEvent]
    extension_requests: list[WeekEvent]
    new_tasks: list[Task]
    became_overdue: list[Task]
    stuck: list  # the longest waits, at most STUCK_LIMIT
    stuck_days: int
    stuck_total: int  # every wait longer than stuck_days: the figure the summary gives

    @property
    def label(self) -> str:
        return f"từ ngày {_d(self.start)} đến ngày {_d(self.end)}"

    @property
    def previous(self) -> date:
        return self.start - timedelta(days=7)

    @property
    def following(self) -> date:
        return self.start + timedelta(days=7)

    @property
    def counts(self) -> dict[str, int]:
        return {"completed_on_time": len(self.completed_on_time), "completed_late": len(self.completed_late),
                "returned": len(self.returned), "adjustments": len(self.adjustments),
                "extension_requests": len(self.extension_requests), "new_tasks": len(self.new_tasks),
                "became_overdue": len(self.became_overdue), "stuck": self.stuck_total}


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def week_pack(user: User, day: date | None = None) -> WeekPack:
    """What changed in the week (Monday–Sunday, Asia/Ho_Chi_Minh) containing ``day`` (default: this week)."""
    ensure_reader(user)
    today = clock.today()
    start, end = week_of(day or today)
    since, until = _utc_start(start), _utc_start(end + timedelta(days=1))
    as_of = min(until, clock.now())
    everything = progress.Filters()
    tasks = progress.tasks_clause(everything)

    completed = list(db.session.scalars(select(Task).where(
        tasks, Task.state == "done", Task.done_at_issue.is_(False),
        Task.completed_on >= start, Task.completed_on <= end).order_by(Task.completed_on, Task.id)))
    on_time = [t for t in completed if status_of(t, today) == "done_on_time"]
    late = [t for t in completed if status_of(t, today) == "done_late"]

    returns = db.session.execute(
        select(AuditEvent, Task).join(Task, Task.id == AuditEvent.task_id)
        .outerjoin(WorkItem, WorkItem.id == AuditEvent.work_item_id)
        .outerjoin(ProcessInstance, ProcessInstance.id == WorkItem.instance_id)
        .where(tasks, AuditEvent.action == "return", AuditEvent.at >= since, AuditEvent.at < until,
               (ProcessInstance.kind == "main") | ProcessInstance.id.is_(None))
        .order_by(AuditEvent.at, AuditEvent.id)).all()
    returned = [WeekEvent(task, e.at, e.actor.full_name if e.actor else None, e.comment,
                          f"{e.from_step} → {e.to_step}" if e.from_step and e.to_step else e.from_step)
                for e, task in returns]

    changes = db.session.execute(
        select(DeadlineAdjustment, Task).join(Task, Task.id == DeadlineAdjustment.task_id)
        .where(tasks, DeadlineAdjustment.at >= since, DeadlineAdjustment.at < until)
        .order_by(DeadlineAdjustment.at, DeadlineAdjustment.id)).all()
    adjustments = [WeekEvent(task, a.at, a.decided_by.full_name if a.decided_by else None, a.reason,
                             f"{_d(a.old_due) or '—'} → {_d(a.new_due) or '—'}"
                             + (f" ({a.source_document})" if a.source_document else ""))
                   for a, task in changes]

    requests = db.session.execute(
        select(AuditEvent, Task).join(Task, Task.id == AuditEvent.task_id)
        .where(tasks, AuditEvent.action == "extension_request", AuditEvent.at >= since, AuditEvent.at < until)
        .order_by(AuditEvent.at, AuditEvent.id)).all()
    extension_requests = [
        WeekEvent(task, e.at, e.actor.full_name if e.actor else None, e.comment,
                  f"{_d(_iso(e.data.get('old_due'))) or '—'} → {_d(_iso(e.data.get('requested_due')))}")
        for e, task in requests]

    new_tasks = list(db.session.scalars(select(Task).where(
        tasks, Task.created_at >= since, Task.created_at < until).order_by(Task.id)))

    # Overdue from the day after the due date: due from Sunday before to Saturday, already past today,
    # and either still not done or done after that date.
    last_due = min(end - timedelta(days=1), today - timedelta(days=1))
    became_overdue = list(db.session.scalars(select(Task).where(
        tasks, Task.recurrence.is_distinct_from("ongoing"), Task.due_date >= start - timedelta(days=1),
        Task.due_date <= last_due,
        (Task.state != "done") | (Task.completed_on > Task.due_date)).order_by(Task.due_date, Task.id)))

    stuck_days = int(current_app.config.get("STUCK_DAYS") or progress.DEFAULT_STUCK_DAYS)
    stuck = sorted(progress.stuck(everything, stuck_days, now=as_of), key=lambda r: -r.days)
    return WeekPack(start, end, as_of, on_time, late, returned, adjustments, extension_requests, new_tasks,
                    became_overdue, stuck[:STUCK_LIMIT], stuck_days, len(stuck))


def _iso(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- .docx building blocks

BODY_PT = 14
TABLE_PT = 12
USABLE_MM = 210 - 30 - 15  # A4 width less the left and right margins
CELL_MARGIN_TWIPS = 70  # 1.2 mm each side of a table cell (Word's default is 1.9 mm)


def _new_document():
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    _east_asian(normal.element.get_or_add_rPr())
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.0
    table_style = document.styles["Table Grid"]
    table_style.font.name = FONT
    _east_asian(table_style.element.get_or_add_rPr())
    # Page numbers centred in the top margin, from the second page on (NĐ 30/2020).
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number(number)
    document.core_properties.author = _config("COORDINATING_AGENCY", "Tổ giúp việc")
    return document


def _east_asian(rpr) -> None:
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def _run(paragraph, text: str, size: float | None = None, bold: bool = False, italic: bool = False):
    run = paragraph.add_run(xml_safe(text))
    run.font.name = FONT
    _east_asian(run._element.get_or_add_rPr())
    run.font.size = Pt(size or BODY_PT)
    run.bold = bold or None
    run.italic = italic or None
    return run


def _para(container, text: str = "", *, size: float | None = None, bold: bool = False, italic: bool = False,
          align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True, after: float = 6, before: float = 0,
          keep: bool = False, first: bool = False):
    """A paragraph of body text; ``first`` reuses a table cell's empty first paragraph."""
    paragraph = container.paragraphs[0] if first else container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.first_line_indent = Mm(10) if indent else None
    fmt.space_after, fmt.space_before = Pt(after), Pt(before)
    fmt.keep_with_next = keep or None
    if text:
        _run(paragraph, text, size, bold, italic)
    return paragraph


# What may follow w:pBdr inside w:pPr (ECMA-376 order; Word refuses elements out of order).
_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
               "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
               "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
               "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
               "w:rPr", "w:sectPr", "w:pPrChange")


def _rule(container, length_mm: float, width_mm: float, after: float = 0) -> None:
    """A centred line ``length_mm`` long (under the agency name, the motto and the title).

    Drawn as the bottom border of an empty, 2-point-high paragraph indented from both sides of a
    ``width_mm`` wide container, so that it needs no drawing object.
    """
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.left_indent = fmt.right_indent = Mm((width_mm - length_mm) / 2)
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(2), Pt(after), Pt(2)
    p_pr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
        bottom.set(qn(key), value)
    border.append(bottom)
    p_pr.insert_element_before(border, *_AFTER_PBDR)


def _page_number(paragraph) -> None:
    run = _run(paragraph, "", size=BODY_PT)
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == "PAGE":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = "PAGE"
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def _no_split(row, header: bool = False) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))  # repeated at the top of every page


def _shade(cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    for key, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", fill)):
        shading.set(qn(key), value)
    tc_pr.insert_element_before(shading, "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
                                "w:hideMark", "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange")


def _table(document, widths_mm: list[float], grid: bool = True):
    table = document.add_table(rows=0, cols=len(widths_mm))
    if grid:
        table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # a fixed layout: the widths below hold
    margins = OxmlElement("w:tblCellMar")
    for side in ("w:left", "w:right"):
        margin = OxmlElement(side)
        margin.set(qn("w:w"), str(CELL_MARGIN_TWIPS))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    return table


def _row(table, values: list, widths_mm: list[float], *, bold: bool = False, header: bool = False,
         align: list | None = None, size: float = TABLE_PT, fill: str | None = None):
    row = table.add_row()
    _no_split(row, header)
    for i, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
        cell.width = Mm(widths_mm[i])
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        how = WD_ALIGN_PARAGRAPH.CENTER if header else (align[i] if align else WD_ALIGN_PARAGRAPH.LEFT)
        lines = str(value if value is not None else "").split("\n")
        for j, line in enumerate(lines):
            _para(cell, line, size=size, bold=bold or header, align=how, indent=False, after=0, first=j == 0)
        if fill or header:
            _shade(cell, fill or "E7EAEE")
    return row


def _save(document) -> bytes:
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _heading_block(document, title: str, subtitle: str, today: date, numbered: bool = True) -> None:
    """The NĐ 30/2020 heading: agency / motto, number / place and date, then the title."""
    agency = _config("COORDINATING_AGENCY", "Sở Khoa học và Công nghệ")
    place = _config("REPORT_PLACE", "Thanh Hóa")
    parent = _config("REPORT_PARENT_AGENCY", f"UBND tỉnh {place}")
    code = _config("REPORT_NUMBER_CODE", agency_code(agency))
    widths = [76, 99]  # 10 mm wider than the text: centred, it reaches 5 mm into each side margin
    table = _table(document, widths, grid=False)
    top = table.add_row()
    left, right = top.cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(left, parent.upper(), size=12, align=center, indent=False, after=0, first=True)
    _para(left, agency.upper(), size=12, bold=True, align=center, indent=False, after=0)
    _rule(left, 25, widths[0])
    _para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True, align=center, indent=False, after=0,
          first=True)
    _para(right, "Độc lập - Tự do - Hạnh phúc", size=13, bold=True, align=center, indent=False, after=0)
    _rule(right, 60, widths[1])
    bottom = table.add_row()
    left, right = bottom.cells
    _para(left, f"Số:        /BC-{code}" if numbered else "", size=13, align=center, indent=False, after=0,
          before=6, first=True)
    _para(right, vn_date_line(place, today), size=14, italic=True, align=center, indent=False, after=0,
          before=6, first=True)
    for row in (top, bottom):
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Mm(width)
    _para(document, title, bold=True, align=center, indent=False, after=0, before=18, keep=True)
    _para(document, subtitle, bold=True, align=center, indent=False, after=0, keep=True)
    _rule(document, 40, USABLE_MM, after=18)


def _section_title(document, text: str) -> None:
    _para(document, text, bold=True, indent=True, before=6, keep=True)


def _signature(document, recipients: list[str]) -> None:
    """"Nơi nhận" on the left, the signer's title on the right with room to sign and the name blank."""
    widths = [80, USABLE_MM - 80]
    table = _table(document, widths, grid=False)
    row = table.add_row()
    _no_split(row)
    left, right = row.cells
    for cell, width in zip(row.cells, widths, strict=True):
        cell.width = Mm(width)
    _para(left, "Nơi nhận:", size=12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, indent=False,
          after=0, before=12, first=True)
    for line in recipients:
        _para(left, f"- {line}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT, indent=False, after=0)
    title = _config("REPORT_SIGNER_TITLE", "GIÁM ĐỐC")
    for i, line in enumerate(title.upper().split("\n")):
        _para(right, line, size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, after=0,
              before=12 if i == 0 else 0, first=i == 0)
    # room for the signature and the seal; the signer writes or types the name below
    _para(right, "", size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, after=66)


def _recipients() -> list[str]:
    configured = current_app.config.get("REPORT_RECIPIENTS")
    if configured:
        return [*configured]
    authority = _config("ASSIGNING_AUTHORITY", "UBND tỉnh")
    return [f"{authority} (để b/c);", "Ban Chỉ đạo cấp tỉnh (để b/c);", "Các đơn vị chủ trì thực hiện nhiệm vụ;",
            "Lưu: VT."]


# ---------------------------------------------------------------- the period report (.docx)

def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def period_report_docx(report: PeriodReport) -> bytes:
    """"Báo cáo tình hình thực hiện nhiệm vụ" of one period, laid out per Nghị định 30/2020."""
    document = _new_document()
    scope = "; ".join(report.scope)
    subtitle = f"Tình hình thực hiện nhiệm vụ {_lower_first(report.period.label)}"
    _heading_block(document, "BÁO CÁO", subtitle, report.today)
    intro = (f"{_config('COORDINATING_AGENCY', 'Tổ giúp việc')} báo cáo tình hình thực hiện các nhiệm vụ có thời hạn "
             f"hoàn thành trong {_lower_first(report.period.label)} (từ ngày {_d(report.period.start)} đến ngày "
             f"{_d(report.period.end)}), số liệu tính đến ngày {_d(report.today)}"
             + (f" ({scope})" if scope else "") + ", như sau:")
    _para(document, intro)
    _figures(document, report)
    _agency_section(document, report)
    _overdue_section(document, report)
    _lagging_section(document, report)
    _signature(document, _recipients())
    return _save(document)


def _figures(document, report: PeriodReport) -> None:
    t, total = report.totals, report.total
    _section_title(document, "I. KẾT QUẢ THỰC HIỆN CHUNG")

    def n(key_or_value) -> str:
        value = t.get(key_or_value, 0) if isinstance(key_or_value, str) else key_or_value
        return f"{value} nhiệm vụ ({percent(value, total)})"

    _para(document, f"Tổng số nhiệm vụ có thời hạn trong kỳ: {total} nhiệm vụ. Trong đó:")
    _para(document, f"- Đã hoàn thành: {n(report.done)}, gồm: hoàn thành đúng hạn {n('done_on_time')}; "
                    f"hoàn thành quá hạn {n('done_late')}.")
    _para(document, f"- Chưa hoàn thành: {n(report.not_done)}, gồm: trong hạn {n(report.in_time)} "
                    f"(đang thực hiện {t.get('in_progress', 0)}, chưa bắt đầu {t.get('not_started', 0)}, "
                    f"sắp đến hạn {t.get('due_soon', 0)}); quá hạn {n('overdue')}.")
    _para(document, f"- Nhiệm vụ thường xuyên: {n('ongoing')}.")
    if report.earlier_overdue:
        _para(document, f"- Ngoài ra, còn {len(report.earlier_overdue)} nhiệm vụ có thời hạn trước kỳ này đã quá hạn "
                        "mà chưa hoàn thành (chi tiết tại mục III).")
    widths = [95, 35, 35]
    table = _table(document, widths)
    right = WD_ALIGN_PARAGRAPH.CENTER
    align = [WD_ALIGN_PARAGRAPH.LEFT, right, right]
    _row(table, ["Chỉ tiêu", "Số nhiệm vụ", "Tỷ lệ"], widths, header=True)
    _row(table, ["Tổng số nhiệm vụ", total, "100%" if total else "0%"], widths, bold=True, align=align)
    for key in STATUS_ORDER:
        label = {"in_progress": "Đang thực hiện trong hạn"}.get(key, status.STATUS_LABELS[key])
        _row(table, [label, t.get(key, 0), percent(t.get(key, 0), total)], widths, align=align)
    _para(document, after=0)


AGENCY_WIDTHS = [11, 47, 17, 17, 17, 17, 17, 22]


def _agency_section(document, report: PeriodReport) -> None:
    _section_title(document, "II. TÌNH HÌNH THỰC HIỆN CỦA CÁC ĐƠN VỊ CHỦ TRÌ")
    if not report.agencies:
        _para(document, "Không có nhiệm vụ nào trong kỳ báo cáo.")
        return
    widths = AGENCY_WIDTHS
    table = _table(document, widths)
    head = ["STT", "Đơn vị chủ trì", "Tổng số", "Đã hoàn thành", "", "Chưa hoàn thành", "", "Thường xuyên"]
    first = _row(table, head, widths, header=True, size=11)
    second = _row(table, ["", "", "", "Đúng hạn", "Quá hạn", "Trong hạn", "Quá hạn", ""], widths, header=True,
                  size=11)
    first.cells[3].merge(first.cells[4])
    first.cells[5].merge(first.cells[6])
    for i in (0, 1, 2, 7):
        first.cells[i].merge(second.cells[i])
    for cell in first.cells:  # the merges keep the empty paragraphs of the merged cells
        for extra in cell.paragraphs[1:]:
            if not extra.text:
                extra._p.getparent().remove(extra._p)
    center = WD_ALIGN_PARAGRAPH.CENTER
    align = [center, WD_ALIGN_PARAGRAPH.LEFT] + [center] * 6
    sums = [0] * 6
    for number, row in enumerate(report.agencies, start=1):
        in_time = row.in_progress + row.not_started + row.due_soon
        values = [row.assigned, row.done_on_time, row.done_late, in_time, row.overdue, row.ongoing]
        sums = [a + b for a, b in zip(sums, values, strict=True)]
        _row(table, [number, row.agency, *values], widths, align=align)
    t = report.totals
    totals = [report.total, t.get("done_on_time", 0), t.get("done_late", 0), report.in_time, t.get("overdue", 0),
              t.get("ongoing", 0)]
    _row(table, ["", "Tổng cộng", *totals], widths, bold=True, align=align)
    _para(document, "“Trong hạn” gồm các nhiệm vụ đang thực hiện, chưa bắt đầu và sắp đến hạn.", size=13,
          italic=True, indent=False, before=3)


OVERDUE_WIDTHS = [11, 49, 24, 23, 28, 30]


def _overdue_section(document, report: PeriodReport) -> None:
    _section_title(document, "III. CÁC NHIỆM VỤ QUÁ HẠN")
    if not report.overdue and not report.earlier_overdue:
        _para(document, "Không có nhiệm vụ quá hạn.")
        return
    if report.overdue:
        _para(document, f"Có {len(report.overdue)} nhiệm vụ quá hạn chưa hoàn thành, cụ thể:", keep=True)
        _overdue_table(document, report.overdue)
    else:
        _para(document, "Trong kỳ không có nhiệm vụ quá hạn.")
    if report.earlier_overdue:
        _para(document, f"Các nhiệm vụ có thời hạn trước kỳ này vẫn quá hạn, chưa hoàn thành "
                        f"({len(report.earlier_overdue)} nhiệm vụ, tính đến ngày {_d(report.today)}):", keep=True)
        _overdue_table(document, report.earlier_overdue)


def _overdue_table(document, rows: list[OverdueRow]) -> None:
    widths = OVERDUE_WIDTHS
    table = _table(document, widths)
    _row(table, ["STT", "Nhiệm vụ", "Đơn vị chủ trì", "Thời hạn", "Bước hiện tại, nơi đang xử lý",
                 "Lý do, giải trình"], widths, header=True, size=11)
    center, left = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT
    for number, row in enumerate(rows, start=1):
        task = row.task
        where = task.current_step or ""
        if task.current_holder:
            where += f"\n({task.current_holder})"
        reason = row.reason
        if row.reason_label:
            reason = f"{row.reason_label} ngày {_d(_local_date(row.reason_at))}: {row.reason}"
        _row(table, [number, f"{' '.join(task.title.split())} ({task.code})", task.lead_agency.name,
                     f"{_d(task.due_date)}\n(quá {row.days} ngày)", where, reason],
             widths, align=[center, left, left, center, left, left], size=11)
    _para(document, after=0)


def _lagging_section(document, report: PeriodReport) -> None:
    _section_title(document, "IV. CÁC ĐƠN VỊ CHẬM TIẾN ĐỘ")
    # the last lines stay on the page of the signature block, which never stands alone
    if not report.lagging:
        _para(document, "Trong kỳ không có đơn vị nào có nhiệm vụ quá hạn.", keep=True)
        return
    _para(document, "Các đơn vị có nhiều nhiệm vụ quá hạn nhất, đề nghị khẩn trương hoàn thành:", keep=True)
    for number, row in enumerate(report.lagging, start=1):
        _para(document, f"{number}. {row.agency}: {row.overdue} nhiệm vụ quá hạn trên tổng số {row.assigned} "
                        f"nhiệm vụ được giao ({percent(row.overdue, row.assigned)}).",
              keep=number == len(report.lagging))


# ---------------------------------------------------------------- the Friday review pack (.docx)

def week_docx(pack: WeekPack) -> bytes:
    """The Friday review pack: what changed in the week, for the support team's meeting."""
    document = _new_document()
    _heading_block(document, "TÀI LIỆU GIAO BAN TUẦN",
                   f"Tình hình thực hiện nhiệm vụ {pack.label}", clock.today(), numbered=False)
    c = pack.counts
    _para(document, f"Trong tuần: {c['completed_on_time'] + c['completed_late']} nhiệm vụ hoàn thành "
                    f"({c['completed_on_time']} đúng hạn, {c['completed_late']} quá hạn); "
                    f"{c['returned']} lượt trả lại; "
                    f"{c['adjustments']} lượt điều chỉnh thời hạn; {c['extension_requests']} đề nghị gia hạn mới; "
                    f"{c['new_tasks']} nhiệm vụ mới; {c['became_overdue']} nhiệm vụ chuyển sang quá hạn.")
    center, left = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT

    def tasks_table(title: str, tasks: list[Task], last: tuple[str, object]) -> None:
        _section_title(document, title)
        if not tasks:
            _para(document, "Không có.")
            return
        widths = [11, 74, 40, 40]
        table = _table(document, widths)
        _row(table, ["STT", "Nhiệm vụ", "Đơn vị chủ trì", last[0]], widths, header=True, size=11)
        for number, task in enumerate(tasks, start=1):
            _row(table, [number, f"{' '.join(task.title.split())} ({task.code})", task.lead_agency.name,
                         last[1](task)], widths, align=[center, left, left, center], size=11)

    def events_table(title: str, events: list[WeekEvent], headers: tuple[str, str, str]) -> None:
        _section_title(document, title)
        if not events:
            _para(document, "Không có.")
            return
        widths = [11, 48, 37, 28, 41]
        table = _table(document, widths)
        _row(table, ["STT", "Nhiệm vụ", *headers[:2], headers[2]], widths, header=True, size=11)
        for number, e in enumerate(events, start=1):
            _row(table, [number, f"{' '.join(e.task.title.split())} ({e.task.code})", e.extra or "",
                         "\n".join(x for x in (_d(_local_date(e.at)), e.who) if x), e.text or ""],
                 widths, align=[center, left, left, left, left], size=11)

    due_and_done = ("Thời hạn / ngày hoàn thành", lambda t: f"{_d(t.due_date) or '—'}\n{_d(t.completed_on)}")
    tasks_table("1. Nhiệm vụ hoàn thành đúng hạn", pack.completed_on_time, due_and_done)
    tasks_table("2. Nhiệm vụ hoàn thành quá hạn", pack.completed_late, due_and_done)
    events_table("3. Hồ sơ bị trả lại", pack.returned, ("Từ bước → về bước", "Ngày, người trả lại", "Lý do trả lại"))
    events_table("4. Điều chỉnh thời hạn", pack.adjustments,
                 ("Thời hạn cũ → mới (văn bản)", "Ngày, người quyết định", "Lý do"))
    events_table("5. Đề nghị gia hạn mới", pack.extension_requests,
                 ("Thời hạn hiện tại → đề nghị", "Ngày, người đề nghị", "Lý do"))
    tasks_table("6. Nhiệm vụ mới được giao", pack.new_tasks,
                ("Thời hạn", lambda t: _deadline_cell(t) or "—"))
    tasks_table("7. Nhiệm vụ chuyển sang quá hạn trong tuần", pack.became_overdue,
                ("Thời hạn", lambda t: _d(t.due_date)))
    _section_title(document, f"8. Việc tồn đọng lâu nhất (chờ quá {pack.stuck_days} ngày ở một bước)")
    if not pack.stuck:
        _para(document, "Không có.")
    else:
        if pack.stuck_total > len(pack.stuck):
            _para(document, f"{len(pack.stuck)} việc chờ lâu nhất trong tổng số {pack.stuck_total} việc tồn đọng:")
        widths = [11, 64, 45, 25, 20]
        table = _table(document, widths)
        _row(table, ["STT", "Nhiệm vụ", "Bước, nơi đang xử lý", "Từ ngày", "Số ngày"], widths, header=True, size=11)
        for number, s in enumerate(pack.stuck, start=1):
            _row(table, [number, f"{' '.join(s.title.split())} ({s.code})", f"{s.step_name}\n({s.holder or s.agency})",
                         _d(_local_date(s.since)), int(s.days)],
                 widths, align=[center, left, left, center, center], size=11)
    return _save(document)


# ---------------------------------------------------------------- choices for the page

def report_periods(today: date) -> list[tuple[int, list[progress.PeriodRange]]]:
    """The periods offered for the period report, by year (latest first): those that have begun.

    Last year is always offered (its yearly report is written in January).
    """
    years = sorted({*progress.period_years(today), today.year - 1}, reverse=True)
    return [(year, [p for p in progress.period_choices(year) if p.start <= today]) for year in years
            if year <= today.year]


def default_report_period(today: date) -> str:
    """This month: the monthly report is due on the 20th of the month it reports on (DOMAIN.md)."""
    return f"{today.year}-{today.month:02d}"
