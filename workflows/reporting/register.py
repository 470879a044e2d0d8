"""The task register (.xlsx) the committee keeps: the tasks the filters select, grouped by appendix and section
as the directives list them, each with its status, where it waits and since when, and a summary sheet."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Task, User, db
from workflows import clock, settings
from workflows.reporting import progress
from workflows.reporting.exporting import (
    FONT,
    XLSX_MIME,
    ExportFile,
    deadline_text,
    dmy,
    ensure_reader,
    local_date,
    xml_safe,
)
from workflows.tasks import scope, status

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
REGISTER_COLUMNS = (  # header, width
    ("STT", 6), ("Nhiệm vụ", 48), ("Đơn vị chủ trì", 22), ("Đơn vị phối hợp", 26), ("Sản phẩm", 28),
    ("Thời hạn", 18), ("Trạng thái", 18), ("Bước hiện tại", 22), ("Đang xử lý", 22),
    ("Số ngày ở bước này", 10), ("Ngày hoàn thành", 12), ("Ghi chú", 30),
)
HEADER_ROW = 4
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")


# ---------------------------------------------------------------- the rows

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


def register_groups(f: scope.Filters, today: date) -> list[RegisterGroup]:
    """The tasks the filters select, grouped by appendix and section in the order they were imported."""
    tasks = db.session.scalars(select(Task).where(scope.tasks_clause(f))
                               .options(selectinload(Task.collaborating_agencies)).order_by(Task.id))
    groups: dict[tuple, RegisterGroup] = {}
    appendices: dict[tuple, int] = {}  # (directive, appendix) -> order of first appearance
    soon = settings.due_soon_days()
    for task in tasks:
        appendices.setdefault((task.directive_id, task.appendix), len(appendices))
        key = (task.directive_id, task.appendix, task.section)
        group = groups.setdefault(key, RegisterGroup(task.appendix, task.section))
        since = local_date(task.step_since) if task.state != "done" else None
        group.rows.append(RegisterRow(task, status.compute(task, today, soon),
                                      (today - since).days if since else None))
    # An appendix keeps its sections together (tasks added later by an amending document join them);
    # tasks outside any appendix or section (created one by one) come last.
    order = {key: i for i, key in enumerate(groups)}
    return [groups[key] for key in sorted(groups, key=lambda k: (
        k[1] is None and k[2] is None, appendices[(k[0], k[1])], order[k]))]


def _note(task: Task) -> str:
    notes = [task.note] if task.note else []
    if task.original_due and task.due_date and task.original_due != task.due_date:
        notes.append(f"Thời hạn ban đầu {dmy(task.original_due)}, điều chỉnh thành {dmy(task.due_date)}.")
    if task.done_at_issue:
        notes.append("Đã hoàn thành khi ban hành văn bản.")
    return "\n".join(notes)


def _values(number: int, item: RegisterRow) -> list:
    """The cells of one task's row, in the order of REGISTER_COLUMNS."""
    task = item.task
    done = task.state == "done"
    return [
        (task.stt or "").strip().rstrip(".") or str(number),
        f"{' '.join(task.title.split())}\n({task.code})",
        task.lead_agency.name + (f"\n(Trung ương chủ trì: {'; '.join(task.central_agencies)})"
                                 if task.central_agencies else ""),
        "; ".join(a.name for a in task.collaborating_agencies),
        task.expected_output or "",
        deadline_text(task),
        status.STATUS_LABELS[item.status],
        "Đã hoàn thành" if done else (task.current_step or ""),
        "" if done else (task.current_holder or ""),
        item.days_at_step,
        task.completed_on if done else None,
        _note(task),
    ]


# ---------------------------------------------------------------- the workbook

def register_file(user: User, f: scope.Filters, today: date) -> ExportFile:
    """The register as a file to download, named after the day its figures stand at."""
    return ExportFile(register_xlsx(user, f, today), f"Danh mục nhiệm vụ {today:%d-%m-%Y}.xlsx", XLSX_MIME)


def register_xlsx(user: User, f: scope.Filters, today: date | None = None) -> bytes:
    """The register of the tasks the filters select, grouped by section like the appendices, with a summary sheet."""
    ensure_reader(user)
    today = today or clock.today()
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh mục nhiệm vụ"
    width = len(REGISTER_COLUMNS)
    _title_rows(ws, "DANH MỤC NHIỆM VỤ VÀ TÌNH HÌNH THỰC HIỆN", _scope_line(f, today), width)
    _header(ws, HEADER_ROW, REGISTER_COLUMNS)
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
    _task_rows(ws, register_groups(f, today), HEADER_ROW + 1, width)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _print_setup(ws)
    _summary_sheet(wb.create_sheet("Tổng hợp"), f, today)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _task_rows(ws, groups: list[RegisterGroup], row: int, width: int) -> None:
    """The groups from ``row`` down: a band per appendix and per section, then their tasks."""
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


def _scope_line(f: scope.Filters, today: date) -> str:
    return "; ".join([f"Số liệu tính đến ngày {dmy(today)}", *scope.describe(f)])


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


def _header(ws, row: int, columns) -> None:
    for col, (header, col_width) in enumerate(columns, start=1):
        cell = ws.cell(row, col, header)
        cell.font, cell.alignment, cell.border = _xfont(bold=True), _CENTER, _BOX
        cell.fill = PatternFill("solid", fgColor="D9DEE5")
        ws.column_dimensions[get_column_letter(col)].width = col_width


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
    values = _values(number, item)
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


# ---------------------------------------------------------------- the summary sheet

def _summary_numbers(ws, row: int, count: int, total: int, bold: bool = False) -> None:
    ws.cell(row, 2, count).font = _xfont(bold=bold)
    share = ws.cell(row, 3, count / total if total else 0)
    share.font, share.number_format = _xfont(bold=bold), "0.0%"
    for col in (1, 2, 3):
        ws.cell(row, col).border = _BOX


def _summary_sheet(ws, f: scope.Filters, today: date) -> None:
    totals = progress.status_totals(f, today=today)
    total = sum(totals.values())
    _title_rows(ws, "TỔNG HỢP TÌNH HÌNH THỰC HIỆN NHIỆM VỤ", _scope_line(f, today), 3)
    _header(ws, 4, (("Trạng thái", 34), ("Số nhiệm vụ", 14), ("Tỷ lệ", 12)))
    row = 5
    for key in progress.STATUS_ORDER:
        fill, ink = STATUS_COLOURS[key]
        label = ws.cell(row, 1, status.STATUS_LABELS[key])
        label.fill, label.font = PatternFill("solid", fgColor=fill), _xfont(bold=True, color=ink)
        _summary_numbers(ws, row, totals.get(key, 0), total)
        row += 1
    ws.cell(row, 1, "Tổng cộng").font = _xfont(bold=True)
    _summary_numbers(ws, row, total, total, bold=True)
    _print_setup(ws)
    ws.page_setup.orientation = "portrait"
