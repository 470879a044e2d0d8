"""Turn each file format (text export, Markdown, CSV, .xlsx, .docx) into one stream of items — text lines,
blank lines and table rows as lists of cells — so that one engine reads the tables of them all."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from docx import Document
from docx.table import Table, _Cell
from openpyxl import load_workbook

from workflows.errors import N_
from workflows.importing.parsed import BAD_DOCX, BAD_XLSX, EMPTY_FILE, NOT_TEXT, ImportFormatError

MD_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
# An Office file is a zip, and its XML is parsed whole in memory (several times its size): a 425 KB .docx
# expanding to 400 MB took the web process from 126 MB to 905 MB. So the sizes its zip declares are checked
# first (zipfile never inflates an entry past its declared size). A task list of a thousand rows is a few MB
# of XML; its parts compress 5 to 20 times, a bomb's runs of one byte 1,000 times.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_RATIO = 100
RATIO_FREE_BYTES = 1024 * 1024  # a small part may compress as well as it likes
ZIP_BOMB = N_("Tệp nén bất thường: nội dung giải nén quá lớn so với kích thước tệp (có thể là “bom nén”), "
              "hệ thống không mở. Hãy mở tệp bằng Word hoặc Excel, lưu lại rồi tải lên lần nữa.")


@dataclass
class Item:
    """One piece of a source: a table row, a line of text, a blank line, or a new sheet."""

    kind: str  # "row", "text", "blank", or "break" (a new sheet: tables never continue across it)
    line: int | None = None
    cells: list[str] = field(default_factory=list)
    text: str = ""
    end_line: int | None = None  # text form: last physical line of the row
    inherited: dict[int, str] = field(default_factory=dict)  # docx: column -> text of the merged cell above
    joinable: bool = False  # text form: the row may go on on the next physical line
    # a page break (a blank line, a page number, the header repeated) lies between this row and the table row
    # before it: a row without STT there is most likely the rest of that row, cut by the break
    after_break: bool = False
    page: int | None = None  # PDF: the page the item is on
    confidence: int | None = None  # read from a scan by OCR: Tesseract's confidence, 0–100


def text_items(text: str) -> list[Item]:
    """Items of a text whose table rows are tab-separated lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    items: list[Item] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        number = index + 1
        if "\t" in line:
            cells, used = _tab_row(lines, index)
            items.append(Item("row", number, cells=cells, end_line=number + used - 1, joinable=True))
            index += used
            continue
        if line.strip():
            items.append(Item("text", number, text=line, end_line=number, joinable=True))
        else:
            items.append(Item("blank", number))
        index += 1
    return items


def _open_quote(text: str) -> bool:
    """Whether the last cell of a tab-separated text opens a quote it does not close."""
    last = text.rsplit("\t", 1)[-1]
    return last.startswith('"') and last.count('"') % 2 == 1


def _tab_row(lines: list[str], start: int) -> tuple[list[str], int]:
    """Cells of the tab-separated row starting at `start`, and how many physical lines it takes.

    A spreadsheet's tab-separated export quotes a cell that holds a line break ("first\\nsecond"): such a
    cell runs on over the next physical lines until its closing quote.
    """
    line = lines[start]
    if '"' not in line or not _open_quote(line):
        return line.split("\t"), 1
    joined, end = line, start
    while _open_quote(joined) and end + 1 < len(lines) and end - start < 100:
        end += 1
        joined += "\n" + lines[end]
    if _open_quote(joined):
        return line.split("\t"), 1
    cells = []
    for cell in joined.split("\t"):
        if len(cell) >= 2 and cell[0] == cell[-1] == '"' and ("\n" in cell or '""' in cell):
            cell = cell[1:-1].replace('""', '"')
        cells.append(cell)
    return cells, end - start + 1


def markdown_items(text: str) -> list[Item]:
    """Items of a Markdown text whose tables are pipe tables."""
    items: list[Item] = []
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("|"):
            if MD_SEPARATOR.match(stripped):
                continue
            body = stripped[1:-1] if stripped.endswith("|") and len(stripped) > 1 else stripped[1:]
            cells = [c.replace("\\|", "|").strip() for c in re.split(r"(?<!\\)\|", body)]
            items.append(Item("row", number, cells=cells))
        elif stripped:
            items.append(Item("text", number, text=line))
        else:
            items.append(Item("blank", number))
    return items


def csv_items(text: str) -> list[Item]:
    """Items of a comma- or semicolon-separated text."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    items: list[Item] = []
    start = 1
    for cells in reader:
        if not any(c.strip() for c in cells):
            items.append(Item("blank", start))
        else:
            items.append(Item("row", start, cells=cells))
        start = reader.line_num + 1
    return items


def _sheet_cell_text(cell: object) -> str:
    """A spreadsheet cell as the text a person sees: dates as 31/3/2026, percentages as 60%."""
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, datetime):
        day = f"{value.day}/{value.month}/{value.year}"
        return day if value.time() == time(0) else f"{day} {value:%H:%M}"
    if isinstance(value, date):
        return f"{value.day}/{value.month}/{value.year}"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if "%" in (getattr(cell, "number_format", None) or ""):
            return f"{value * 100:g}%"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    return str(value)


def refuse_zip_bomb(content: bytes, damaged: str) -> None:
    """Raise ImportFormatError when the zip in ``content`` would inflate beyond reason, before anything is
    inflated; ``damaged``: the message when it is no zip at all."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFormatError(damaged) from exc
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES or any(
            i.file_size > RATIO_FREE_BYTES and i.file_size > MAX_RATIO * max(i.compress_size, 1) for i in infos):
        raise ImportFormatError(ZIP_BOMB)


def xlsx_items(content: bytes) -> list[Item]:
    """Items of every sheet of an .xlsx workbook, each sheet opened by a "break"."""
    if not content:
        raise ImportFormatError(EMPTY_FILE)
    refuse_zip_bomb(content, BAD_XLSX)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged file
        raise ImportFormatError(BAD_XLSX) from exc
    items: list[Item] = []
    try:
        for sheet in workbook.worksheets:
            items.append(Item("break", text=sheet.title))
            sheet.reset_dimensions()  # some writers declare a wrong sheet size
            for row in sheet.iter_rows():
                cells = [_sheet_cell_text(c) for c in row]
                while cells and not cells[-1].strip():
                    cells.pop()
                items.append(Item("row", cells=cells) if cells else Item("blank"))
    except Exception as exc:
        raise ImportFormatError(BAD_XLSX) from exc
    finally:
        workbook.close()
    if not any(i.kind == "row" for i in items):
        raise ImportFormatError(EMPTY_FILE)
    return items


def docx_items(content: bytes) -> list[Item]:
    """Items of a .docx document: its paragraphs as text lines, each table between blank lines."""
    if not content:
        raise ImportFormatError(EMPTY_FILE)
    refuse_zip_bomb(content, BAD_DOCX)
    try:
        document = Document(io.BytesIO(content))
    except Exception as exc:  # python-docx raises many kinds of errors on a damaged file
        raise ImportFormatError(BAD_DOCX) from exc
    items: list[Item] = []
    try:
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                items.append(Item("blank"))
                items.extend(_docx_rows(block))
                items.append(Item("blank"))
                continue
            for line in block.text.split("\n"):
                items.append(Item("text", text=line) if line.strip() else Item("blank"))
    except Exception as exc:
        raise ImportFormatError(BAD_DOCX) from exc
    return items


def _docx_rows(table: Table) -> list[Item]:
    """Rows of a Word table, one cell per grid column: a merged cell's text in its first column only.

    A cell merged with the one above holds nothing; the text above is kept in `inherited` so that a task
    row can take it (the same lead agency for several tasks) and a row whose STT is merged continues the
    task above.
    """
    items = []
    above: dict[int, str] = {}
    for tr in table._tbl.tr_lst:
        column = tr.grid_before
        cells = [""] * column
        inherited: dict[int, str] = {}
        for tc in tr.tc_lst:
            span = max(1, tc.grid_span)
            if tc.vMerge == "continue":
                text = ""
                inherited[column] = above.get(column, "")
            else:
                text = _Cell(tc, table).text
                above[column] = text
            cells.append(text)
            cells.extend([""] * (span - 1))
            column += span
        items.append(Item("row", cells=cells, inherited=inherited))
    return items


def decode(content: bytes) -> str:
    """The text of a file's bytes: UTF-8 (with or without BOM) or UTF-16 with a BOM."""
    try:
        if content.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = content.decode("utf-16")
        else:
            text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(NOT_TEXT) from exc
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if "\x00" in text or controls > max(2, len(text[:20000]) // 200):
        raise ImportFormatError(NOT_TEXT)
    return text


def looks_markdown(text: str) -> bool:
    """Whether a text holds a Markdown pipe table (a |---| separator line)."""
    lines = [line.strip() for line in text.splitlines()]
    return any(line.startswith("|") and MD_SEPARATOR.match(line) for line in lines)
