"""Find the tables in a stream of items by their header rows, name each after the heading above it, and
hand back the document: its appendices and what identifies it.

A header repeated after a page break is skipped, a cell's line break in a text export is joined back into
its row, and table rows outside any table are counted in a warning (see `readers` for the whole list).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workflows.importing.appendix import build_appendix, numbering_checks
from workflows.importing.cell_text import (
    LABEL,
    from_roman,
    heading_text,
    is_attachment_line,
    is_label,
    is_noise,
    to_roman,
)
from workflows.importing.columns import Header, make_header, numbering_row, same_cells, same_header, sub_header_row
from workflows.importing.file_formats import Item
from workflows.importing.metadata import document_identity
from workflows.importing.parsed import NO_HEADER, ImportFormatError, Paragraph, ParsedDocument, body_paragraphs
from workflows.text import fold_words

_STT_START = re.compile(r"^(\d+(\.\d+)*\.?|[IVX]+[.)]?|[a-zđ][.)]|[A-H][.)])(\s|$)")


@dataclass
class _Table:
    """A table being collected: its title, header and the rows that follow the header."""

    title: str
    header: Header
    items: list[Item]


def _single_cell(item: Item) -> str | None:
    """The text of a row that has exactly one filled cell, else None."""
    filled = [c for c in item.cells if c.strip()]
    return filled[0] if len(filled) == 1 else None


# An appendix heading run into the line before it, as a PDF's evenly spaced lines read ("- Lưu: VT, … Cao Văn
# Cường Phụ lục DANH MỤC NHIỆM VỤ …"): "Phụ lục" then a numeral or a word in capitals, never "Phụ lục kèm theo".
_HEADING_INSIDE = re.compile(r"\s(?=(?:Phụ lục|PHỤ LỤC)\s+(?:[IVXLC]+\b|\d+\b|[A-ZĐ][A-ZĐÀ-Ỹ]+\b))")


def _appendix_title(lines: list[str], tables: list[_Table], fallback: str | None) -> tuple[str, str | None]:
    """The title of a table from the text lines above it, and a warning if its number was inferred."""
    lines = [part for line in lines for part in
             ([line] if is_label(line) else _HEADING_INSIDE.split(line, maxsplit=1))]
    lines = [heading_text(line) for line in lines]
    label_at = max((i for i, line in enumerate(lines) if line and is_label(line)), default=None)
    if label_at is not None:
        match = LABEL.search(lines[label_at])
        label = f"Phụ lục {match.group(1).upper()}" if match.group(1) else "Phụ lục"
        pieces = [lines[label_at][match.end():].strip()]
        pieces += [line for line in lines[label_at + 1:] if line and not is_attachment_line(line)
                   and not is_noise(line)]
        rest = " ".join(p for p in pieces if p)[:400].strip()
        return (f"{label}: {rest}" if rest else label), None
    block: list[str] = []
    for line in reversed(lines):
        if not line:
            if block:
                break
            continue
        if is_attachment_line(line) or is_noise(line):
            continue
        if len(line) > 300 or len(block) >= 3:
            break
        block.insert(0, line)
    text = " ".join(block).strip()
    previous = [t.title for t in tables]
    numbered = [re.match(r"Phụ lục ([IVX]+)\b", t) for t in previous]
    if text and previous and numbered[-1] and all(numbered):
        numeral = to_roman(from_roman(numbered[-1].group(1)) + 1)
        return f"Phụ lục {numeral}: {text}", (f"Bảng «{text[:60]}» không ghi số phụ lục; đã suy ra "
                                              f"«Phụ lục {numeral}» theo thứ tự.")
    if text:
        return text, None
    if fallback:
        return f"Trang tính «{fallback}»", None
    return f"Bảng {len(tables) + 1}", None


def _join_physical(row: Item, item: Item, width: int) -> bool:
    """Join `item` to `row` if it is the rest of the row's last cell, cut by a line break (text form)."""
    if not (row.joinable and item.joinable and row.end_line is not None and item.line == row.end_line + 1):
        return False
    cells = item.cells if item.kind == "row" else [item.text]
    first = cells[0].strip()
    if not first or _STT_START.match(first) or is_label(first) or is_attachment_line(first) or is_noise(first):
        return False
    if fold_words(first, ascii_only=True).startswith(("ghi chu", "noi nhan")):
        return False
    if len(row.cells) >= width or len(row.cells) + len(cells) - 1 > width:
        return False
    row.cells[-1] = f"{row.cells[-1]}\n{cells[0]}"
    row.cells.extend(cells[1:])
    row.end_line = item.end_line or item.line
    return True


class _Scan:
    """One pass over the items: the tables found so far, their rows, and the text lines around them."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.index = 0
        self.tables: list[_Table] = []
        self.warnings: list[str] = []
        self.texts: list[str] = []  # every text line, in order, for the document's number, date and title
        self.paragraphs: list[Paragraph] = []  # the same lines with where they stand, for the prose assignments
        self.front: list[str] = []  # the text lines before the first table
        self.current: _Table | None = None
        self.since: list[str] = []  # text lines since the last table row ("" for a blank line)
        self.fallback: str | None = None  # the sheet's name, for a table without a heading
        self.stray = 0
        self.header_repeated = False  # the current table's header came again since its last row (a page break)

    def run(self) -> None:
        while self.index < len(self.items):
            item = self.items[self.index]
            self.index += 1
            if item.kind == "break":
                self.current, self.since, self.fallback = None, [], item.text
                continue
            heading_pending = any(line and not is_noise(line) for line in self.since)
            header = make_header(item.cells, None) if item.kind == "row" else None
            if item.kind == "row" and header is None:
                item = self._as_text(item, heading_pending)
            if item.kind in ("text", "blank"):
                self._text(item)
            elif header is not None:
                self._header(item.cells, header, heading_pending)
            else:
                self._row(item)

    def _next_row(self) -> Item | None:
        nxt = self.items[self.index] if self.index < len(self.items) else None
        return nxt if nxt is not None and nxt.kind == "row" else None

    def _as_text(self, item: Item, heading_pending: bool) -> Item:
        """A row of one filled cell is a heading line when it stands where a heading is expected."""
        lone = _single_cell(item)
        if lone is not None and (self.current is None or heading_pending or is_label(lone)
                                 or is_attachment_line(lone)):
            return Item("text", item.line, text=lone)
        return item

    def _text(self, item: Item) -> None:
        if item.kind == "text" and self.current and self.current.items and not self.since \
                and _join_physical(self.current.items[-1], item, len(self.current.header.leaves)):
            return
        self.since.append(item.text if item.kind == "text" else "")
        if not self.tables:
            self.front.append(item.text if item.kind == "text" else "")
        if item.kind == "text":
            self.texts.append(item.text)
            self.paragraphs.append(Paragraph(item.line, item.text, item.page, item.confidence))

    def _header(self, top: list[str], header: Header, heading_pending: bool) -> None:
        """A header row: the header repeated after a page break, or a new table."""
        current = self.current
        repeated = current is not None and (same_header(current.header, top)
                                            or header.columns == current.header.columns)
        if repeated and not heading_pending:
            following = self._next_row()
            if current.header.sub and following is not None and same_cells(current.header.sub, following.cells):
                self.index += 1
            self.since = []
            self.header_repeated = True
            return
        following = self._next_row()
        if following is not None and sub_header_row(top, following.cells):
            combined = make_header(top, following.cells)
            if combined is not None:
                header = combined
                self.index += 1
        title, note = _appendix_title(self.since, self.tables, self.fallback)
        if note:
            self.warnings.append(note)
        self.current = _Table(title, header, [])
        self.tables.append(self.current)
        self.since = []
        self.header_repeated = False

    def _row(self, item: Item) -> None:
        """A data row: kept under the current table, unless there is none or a new label stands above it."""
        if self.current is None or any(line and is_label(line) for line in self.since):
            if any(c.strip() for c in item.cells):
                self.stray += 1
            return
        if numbering_row(item.cells):
            return
        if self.current.items and not self.since \
                and _join_physical(self.current.items[-1], item, len(self.current.header.leaves)):
            return
        # only a text export has pages: a blank row of a workbook or a Word table breaks no page
        item.after_break = bool(self.current.items) and item.line is not None \
            and (self.header_repeated or bool(self.since))
        self.current.items.append(item)
        self.since = []
        self.header_repeated = False


def parse_items(items: list[Item]) -> ParsedDocument:
    """The document read from a stream of items: its tables and the body paragraphs around them; raise
    ImportFormatError if it holds neither a table nor a sentence."""
    scan = _Scan(items)
    scan.run()
    paragraphs = body_paragraphs(scan.paragraphs)
    if not scan.tables and not paragraphs:
        raise ImportFormatError(NO_HEADER)
    warnings = scan.warnings
    if scan.stray:
        warnings.append(f"Có {scan.stray} dòng dạng bảng nằm ngoài các bảng có tiêu đề; đã bỏ qua.")
    appendices = []
    for table in scan.tables:
        appendix, leftovers = build_appendix(table.title, table.header, table.items)
        appendices.append(appendix)
        warnings.extend(leftovers + numbering_checks(appendix))
    number, issued, title, notes = document_identity(scan.front, scan.texts, appendices)
    return ParsedDocument(appendices, number, issued, title, notes + warnings, paragraphs)
