"""The task register (.xlsx) the committee keeps: the tasks the filters select, grouped by assigning document, then
by appendix and section as the document lists them, each with its status, where it waits and since when, and a
summary sheet."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Directive, Task, User, db
from workflows import clock, settings, text
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
from workflows.tasks import indicators, reads, scope, status

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
    members: list[RegisterRow] = field(default_factory=list)  # a task owed by a group: its members' tasks


BY_MEMBER = "Theo từng đơn vị"  # the status cell of a group's task: its members' rows have theirs
DIRECT = "Nhiệm vụ giao trực tiếp"  # the group of tasks no document assigned
OTHER_SECTION = "Nhiệm vụ khác"  # a document's tasks outside its sections
_ROMAN = re.compile(r"\s*([IVXLC]+)\s*[.):\s]")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_DATE_IN_TEXT = re.compile(r"ngày\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})")


@dataclass
class RegisterGroup:
    document: str  # the assigning document as its group row names it, or DIRECT
    appendix: str | None
    section: str | None
    banded: bool = True  # False when none of the document's tasks has an appendix or a section: no section row
    rows: list[RegisterRow] = field(default_factory=list)


@dataclass
class _Document:
    label: str
    issued: date | None
    first: int  # order of first appearance
    groups: dict[tuple, RegisterGroup] = field(default_factory=dict)


def document_label(directive: Directive) -> str:
    """"Kế hoạch số 266-KH/TU ngày 26/04/2025 của Ban Thường vụ Tỉnh ủy: Thực hiện Nghị quyết số 57-NQ/TW …"."""
    label = " ".join(directive.number.split())
    if directive.issued_on and not _DATE_IN_TEXT.search(label):
        label += f" ngày {dmy(directive.issued_on)}"
    if directive.issuer and text.fold(directive.issuer) not in text.fold(label):
        label += f" của {' '.join(directive.issuer.split())}"
    if directive.title:
        label += f": {' '.join(directive.title.split())}"
    return label


def _date_in(words: str) -> date | None:
    match = _DATE_IN_TEXT.search(words)
    try:
        return date(int(match[3]), int(match[2]), int(match[1])) if match else None
    except ValueError:
        return None


def _roman(section: str | None) -> float:
    """The value of the Roman numeral a section starts with ("III. …" → 3); sections without one come after."""
    match = _ROMAN.match(section or "")
    if not match:
        return math.inf
    values = [_ROMAN_VALUES[c] for c in match[1]]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _document_keys(tasks: list[Task]) -> dict[int, tuple]:
    """Each task's assigning document: its directive, else the document its "Văn bản giao" names (the directive
    whose number it quotes, when one is listed), else none (a task given directly)."""
    numbers = {t.directive_id: text.fold(t.directive.number) for t in tasks if t.directive is not None}
    keys = {}
    for task in tasks:
        if task.directive_id is not None:
            keys[task.id] = ("directive", task.directive_id)
        elif (task.source_document or "").strip():
            source = text.fold(task.source_document)
            quoted = [d for d, number in numbers.items()
                      if number and re.search(rf"(?<!\w){re.escape(number)}(?!\w)", source)]
            keys[task.id] = ("directive", quoted[0]) if len(quoted) == 1 else ("source", source)
        else:
            keys[task.id] = ("direct",)
    return keys


def register_groups(f: scope.Filters, today: date) -> list[RegisterGroup]:
    """The tasks the filters select, grouped by assigning document (by its date, then as registered), then by
    appendix (as registered) and section (I, II, … in order); tasks no document assigned come last."""
    tasks = list(db.session.scalars(select(Task).where(scope.tasks_clause(f)).options(
        selectinload(Task.collaborating_agencies), selectinload(Task.directive), selectinload(Task.parent))
        .order_by(Task.id)))
    keys = _document_keys(tasks)
    documents: dict[tuple, _Document] = {}
    soon = settings.due_soon_days()
    owed: dict[int, RegisterRow] = {}  # the row of each task owed by a group, its members' rows under it

    def row_of(task: Task) -> RegisterRow:
        since = local_date(task.step_since) if task.state != "done" else None
        return RegisterRow(task, status.compute(task, today, soon), (today - since).days if since else None)

    for task in tasks:
        key = keys[task.id]
        document = documents.get(key)
        if document is None:
            document = documents[key] = _new_document(key, task, len(documents))
        group = document.groups.setdefault((task.appendix, task.section), RegisterGroup(
            document.label, task.appendix, task.section))
        parent = task.parent if task.parent is not None and task.parent.kind == "group" else None
        if parent is None:
            group.rows.append(row_of(task))
            continue
        if parent.id not in owed:  # the group's task where its first member's stands, once
            owed[parent.id] = row_of(parent)
            group.rows.append(owed[parent.id])
        owed[parent.id].members.append(row_of(task))
    for row in owed.values():
        row.members.sort(key=lambda r: text.sort_key(r.task.lead_agency.name))
    ordered = sorted(documents.items(), key=lambda item: (
        item[0] == ("direct",), item[1].issued or date.max, item[1].first))
    return [group for _, document in ordered for group in _ordered_groups(document)]


def _new_document(key: tuple, task: Task, first: int) -> _Document:
    if key[0] == "directive":
        directive = task.directive or db.session.get(Directive, key[1])
        return _Document(document_label(directive), directive.issued_on, first)
    if key[0] == "source":
        label = " ".join(task.source_document.split())
        return _Document(label, _date_in(label), first)
    return _Document(DIRECT, None, first)


def _ordered_groups(document: _Document) -> list[RegisterGroup]:
    """A document's groups: its appendices as registered, the sections of each in numeral order (those without
    a numeral as registered), the tasks outside any section last."""
    appendices = {appendix: i for i, (appendix, _) in enumerate(document.groups)}
    order = {key: i for i, key in enumerate(document.groups)}
    keys = sorted(document.groups, key=lambda k: (
        k[0] is None and k[1] is None, appendices[k[0]], k[1] is None, _roman(k[1]), order[k]))
    banded = any(a is not None or s is not None for a, s in keys)
    groups = [document.groups[k] for k in keys]
    for group in groups:
        group.banded = banded
    return groups


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
    if item.members:  # a task owed by a group: its members' progress where a task's step would be
        finished = sum(1 for m in item.members if m.task.state == "done")
        late = sum(1 for m in item.members if m.status == "overdue")
        return [(task.stt or "").strip().rstrip(".") or str(number),
                f"{' '.join(task.title.split())}\n({task.code}, giao cho nhóm)",
                f"{task.group.name}\n({len(item.members)} đơn vị, mỗi đơn vị một dòng bên dưới)", "",
                # (no status of its own: filtering the sheet on "Quá hạn" counted it beside its members' rows)
                task.expected_output or "", deadline_text(task), BY_MEMBER,
                f"{finished}/{len(item.members)} đơn vị đã hoàn thành", f"{late} đơn vị quá hạn" if late else "",
                None, task.completed_on if done else None, _note(task)]
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
    """The register as a file to download, named after the period it covers, if one, and the day its figures stand
    at (two periods' registers downloaded the same day had one name)."""
    period = scope.period_range(f.period)
    covers = f" {period.label.replace('/', '-')}" if period else ""
    return ExportFile(register_xlsx(user, f, today), f"Danh mục nhiệm vụ{covers} {today:%d-%m-%Y}.xlsx", XLSX_MIME)


def register_xlsx(user: User, f: scope.Filters, today: date | None = None) -> bytes:
    """The register of the tasks the filters select, grouped by section like the appendices, with a summary sheet."""
    ensure_reader(user)
    today = today or clock.today()
    wb, ws = _sheet("Danh mục nhiệm vụ", "DANH MỤC NHIỆM VỤ VÀ TÌNH HÌNH THỰC HIỆN", _scope_line(f, today),
                    REGISTER_COLUMNS)
    _register_styles(wb)
    width = len(REGISTER_COLUMNS)
    last = _task_rows(ws, register_groups(f, today), HEADER_ROW + 1, width)
    if last > HEADER_ROW:  # filter buttons on the header: "Quá hạn" in Trạng thái leaves the overdue tasks
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(width)}{last}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _print_setup(ws)
    _summary_sheet(wb.create_sheet("Tổng hợp"), f, today)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _task_rows(ws, groups: list[RegisterGroup], row: int, width: int) -> int:
    """The groups from ``row`` down: a row naming each document, a band per appendix and per section, then
    their tasks; returns the last row written (the one before ``row`` when there is nothing to list)."""
    last_document = last_appendix = None
    for group in groups:
        if group.document != last_document:
            _band(ws, row, width, group.document, "B7C6DA", size=12)
            row += 1
            last_appendix = None
        last_document = group.document
        if group.appendix and group.appendix != last_appendix:
            _band(ws, row, width, " ".join(group.appendix.split()).upper(), "C9D3E0")
            row += 1
        last_appendix = group.appendix
        if group.banded:
            _band(ws, row, width, " ".join((group.section or OTHER_SECTION).split()), "EEF1F5")
            row += 1
        for number, item in enumerate(group.rows, start=1):
            _register_row(ws, row, number, item)
            row += 1
            parent_number = (item.task.stt or "").strip().rstrip(".") or str(number)
            for member_number, member in enumerate(item.members, start=1):  # under the group's task: 3.1, 3.2 …
                _register_row(ws, row, member_number, member)
                ws.cell(row, 1).value = f"{parent_number}.{member_number}"
                row += 1
    if not groups:
        _nothing(ws, row, width, "Không có nhiệm vụ nào theo bộ lọc đã chọn.")
    return row - 1


def _nothing(ws, row: int, width: int, text: str) -> None:
    """A table's empty state, across its width: the sheet says why it lists nothing."""
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    ws.cell(row, 1, text).font = _xfont(italic=True)


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


def _sheet(name: str, title: str, subtitle: str, columns, frozen_columns: int = 0):
    """A workbook whose one sheet has the title rows and the header of ``columns`` (header, width), the rows above
    the first row of data (and ``frozen_columns`` on the left) kept in sight: (workbook, sheet)."""
    wb = Workbook()
    ws = wb.active
    ws.title = name
    _title_rows(ws, title, subtitle, len(columns))
    _header(ws, HEADER_ROW, columns)
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, frozen_columns + 1)
    return wb, ws


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


def _band(ws, row: int, width: int, words: str, fill: str, size: int = 11) -> None:
    """A bold row across the table (document, appendix or section heading)."""
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    cell = _put(ws, row, 1, words)
    cell.font = _xfont(bold=True, size=size)
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    cell.fill = PatternFill("solid", fgColor=fill)
    for col in range(1, width + 1):
        ws.cell(row, col).border = _BOX
    ws.row_dimensions[row].height = (size + 4) * max(1, len(words) // 200 + 1)


# The register's cells by named style, each made once per workbook (``_register_styles``): a font, an alignment and
# a border made for every cell were 85% of the time of a register of 10,000 rows.
_CELL, _MIDDLE, _DAY = "register-cell", "register-middle", "register-day"
_MIDDLE_COLUMNS = {1: _MIDDLE, 10: _MIDDLE, 11: _DAY}  # its number, its finishing day


def _register_styles(wb: Workbook) -> None:
    top_centre = Alignment(vertical="top", horizontal="center")
    for style in (NamedStyle(_CELL, font=_xfont(), alignment=_WRAP, border=_BOX),
                  NamedStyle(_MIDDLE, font=_xfont(), alignment=top_centre, border=_BOX),
                  NamedStyle(_DAY, font=_xfont(), alignment=top_centre, border=_BOX, number_format="DD/MM/YYYY"),
                  *(NamedStyle(f"register-{state}", font=_xfont(bold=True, color=ink), alignment=_WRAP, border=_BOX,
                               fill=PatternFill("solid", fgColor=fill))
                    for state, (fill, ink) in STATUS_COLOURS.items())):
        wb.add_named_style(style)


def _register_row(ws, row: int, number: int, item: RegisterRow) -> None:
    values = _values(number, item)
    for col, value in enumerate(values, start=1):
        _put(ws, row, col, value).style = _MIDDLE_COLUMNS.get(col, _CELL)
    _fit_height(ws, row, values)
    if not item.members:  # (no status of its own: its members' rows are coloured)
        ws.cell(row, 7).style = f"register-{item.status}"


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


SCORECARD_COLUMNS = (  # header, width — the layout of an emulation ranking (bảng xếp hạng thi đua)
    ("STT", 6), ("Đơn vị", 38), ("Số nhiệm vụ đến hạn trong kỳ", 14), ("Hoàn thành đúng hạn", 13),
    ("Hoàn thành trễ hạn", 13), ("Đang trong hạn", 12), ("Quá hạn", 11), ("Tỷ lệ đúng hạn (%)", 12),
    ("Số ngày trễ bình quân", 12), ("Số lần trả lại bình quân", 12), ("Xếp hạng", 10))


def scorecard_xlsx(rows: list, period_label: str, today: date) -> bytes:
    """The ranking of ``rows`` (``scorecard.ScoreRow``) as a sheet in the layout provinces use for thi đua."""
    wb, ws = _sheet("Xếp hạng", "BẢNG XẾP HẠNG KẾT QUẢ THỰC HIỆN NHIỆM VỤ CỦA CÁC ĐƠN VỊ",
                    f"{period_label}; số liệu tính đến ngày {dmy(today)}", SCORECARD_COLUMNS)
    width = len(SCORECARD_COLUMNS)
    for number, r in enumerate(rows, start=1):
        values = (number, r.agency, r.due, r.on_time, r.late, r.within, r.overdue,
                  round(r.rate, 1) if r.rate is not None else "—", round(r.average_days_late, 1),
                  round(r.returns_per_task, 2), r.rank or "—")
        for col, value in enumerate(values, start=1):
            cell = _put(ws, HEADER_ROW + number, col, value)
            cell.font, cell.border = _xfont(), _BOX
    if not rows:
        _nothing(ws, HEADER_ROW + 1, width, "Không có nhiệm vụ nào có thời hạn trong kỳ này.")
    note = HEADER_ROW + max(len(rows), 1) + 2
    ws.merge_cells(start_row=note, start_column=1, end_row=note, end_column=width)
    _put(ws, note, 1, "Tỷ lệ đúng hạn = hoàn thành đúng hạn ÷ (hoàn thành đúng hạn + hoàn thành trễ hạn + quá hạn). "
                      "Xếp hạng theo tỷ lệ đúng hạn, rồi số quá hạn ít hơn, rồi số ngày trễ ít hơn.").font = _xfont(
        italic=True, size=10)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _print_setup(ws)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- the indicators

INDICATOR_LEAD_COLUMNS = (("STT", 6), ("Chỉ tiêu", 46), ("Đơn vị tính", 11), ("Đơn vị chủ trì", 26),
                          ("Hiện trạng", 13))


LIST_COLUMNS = (("Mã", 13), ("Nhiệm vụ", 60), ("Đơn vị chủ trì", 28), ("Thời hạn", 12), ("Thời hạn theo văn bản", 24),
                ("Trạng thái", 18), ("Bước hiện tại", 28), ("Người/đơn vị đang giữ", 28), ("Văn bản giao", 30))
LIST_MAX_ROWS = 20_000  # a province's tasks of several years


def list_file(user: User, filters: reads.TaskFilters, described: list[str], today: date) -> ExportFile:
    """The task list as filtered on its page (search, status, step, agency, a dashboard figure), every row, in its
    order: what the coordinator sees, to send on (the register takes the dashboard's filters only)."""
    found = reads.list_tasks(user, filters, page=1, per_page=LIST_MAX_ROWS)
    tasks = found.items
    shown = f"{len(tasks)} nhiệm vụ" if found.total <= len(tasks) else f"{len(tasks)} nhiệm vụ đầu trong {found.total}"
    wb, ws = _sheet("Danh sách nhiệm vụ", "DANH SÁCH NHIỆM VỤ",
                    f"{'; '.join(described) or 'Tất cả nhiệm vụ'} — {shown}, tính đến ngày {dmy(today)}",
                    LIST_COLUMNS, frozen_columns=2)
    soon = settings.due_soon_days()
    for row, task in enumerate(tasks, HEADER_ROW + 1):
        values = (task.code, " ".join(task.title.split()), task.lead_name, dmy(task.due_date), task.deadline_text or "",
                  status.STATUS_LABELS.get(status.compute(task, today, soon), ""),
                  task.current_step or ("Đã hoàn thành" if task.state == "done" else ""), task.current_holder or "",
                  task.source_document or (task.directive.number if task.directive else ""))
        for column, value in enumerate(values, 1):
            _put(ws, row, column, value)
    if tasks:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(LIST_COLUMNS))}{HEADER_ROW + len(tasks)}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _print_setup(ws)
    out = BytesIO()
    wb.save(out)
    return ExportFile(out.getvalue(), f"Danh sách nhiệm vụ {today:%d-%m-%Y}.xlsx", XLSX_MIME)


def indicators_file(user: User, today: date | None = None) -> ExportFile:
    today = today or clock.today()
    return ExportFile(indicators_xlsx(user, today), f"Danh mục chỉ tiêu {today:%d-%m-%Y}.xlsx", XLSX_MIME)


def indicators_xlsx(user: User, today: date) -> bytes:
    """Every indicator as its group's page shows it: under a row naming its document and one naming its group, the
    targets and the value accepted for each milestone year (with its share of the target), and the reports open."""
    pages = [indicators.group_page(g.key, user) for g in indicators.groups()]
    years = sorted({y for page in pages for y in page.years})
    columns = (*INDICATOR_LEAD_COLUMNS, *((f"{what} {y}", width) for y in years
                                         for what, width in (("Chỉ tiêu", 11), ("Thực hiện", 15))),
               ("Báo cáo đang xử lý", 30))
    wb, ws = _sheet("Chỉ tiêu", "DANH MỤC CHỈ TIÊU VÀ SỐ LIỆU THỰC HIỆN",
                    f"Số liệu thực hiện đã được Tổ giúp việc tiếp nhận, tính đến ngày {dmy(today)}", columns,
                    frozen_columns=2)
    width = len(columns)
    row, last_directive = HEADER_ROW + 1, False
    for page in pages:
        if page.group.directive != last_directive:
            directive = page.group.directive
            _band(ws, row, width, document_label(directive) if directive else "Chỉ tiêu chưa gắn văn bản", "B7C6DA")
            row, last_directive = row + 1, directive
        _band(ws, row, width, " ".join(page.group.name.split()), "EEF1F5")
        row += 1
        for r in page.rows:
            values = [r.indicator.stt or "", " ".join(r.indicator.name.split()), r.indicator.unit or "",
                      "; ".join(a.name for a in r.responsible) or r.indicator.responsible_text or "",
                      r.indicator.baseline or ""]
            for y in years:
                cell = r.cells.get(y)
                shown = cell.text if cell else ""
                if cell and cell.progress and cell.progress.percent is not None:
                    shown += f" ({cell.progress.text})"
                values += [(r.targets.get(y) or "—") if y in r.targets else "", shown]
            values.append("\n".join(f"{t.code} ({t.lead_agency.name}, năm {t.period}): {t.current_step or '—'}"
                                    for t in r.open_reports))
            for col, value in enumerate(values, start=1):
                cell = _put(ws, row, col, value)
                cell.font, cell.alignment, cell.border = _xfont(), _WRAP, _BOX
            row += 1
    if not pages:
        _nothing(ws, row, width, "Chưa có chỉ tiêu nào.")
    else:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(width)}{row - 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _print_setup(ws)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
