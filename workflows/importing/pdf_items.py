"""Items of a PDF with a text layer (a document-management system's export): on each page, its tables (found by
their ruling lines) and the lines of text around them, in reading order, each marked with its page.

Every page ends with a page break, so the table engine (``tables``) treats a PDF as it treats a text export: the
header row repeated on the next page is skipped, and a row without STT at the top of a page is the rest of the
row the break cut (``appendix``). A page with no text at all is a scan: its blocks come from OCR (``scans``), read
once and kept with the import; until then the page is reported as scanned.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from workflows.errors import N_
from workflows.importing.file_formats import Item
from workflows.importing.parsed import ImportFormatError

# a line that begins a new paragraph or item: a number, a heading, a bullet ("2.", "2.1.", "III.", "a)", "-")
_NEW_ITEM = re.compile(r"^(\d+(\.\d+)*[.)]|[IVX]+[.)]|[a-zđ][.)]|[-–+•*])\s")
BAD_PDF = N_("Tệp PDF bị hỏng hoặc được bảo vệ bằng mật khẩu, không đọc được.")
MAX_PAGES = 300


def _inside(obj: dict, box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    middle_x, middle_y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    return x0 <= middle_x <= x1 and top <= middle_y <= bottom


@dataclass
class Line:
    """A line of text on a page, where it is (points of a PDF, or pixels of a scan) and how sure its reading is."""

    text: str
    top: float
    bottom: float
    x0: float
    confidence: float = 100.0


def cell_text(text: str | None) -> str:
    """A cell's text with the lines the layout wrapped joined again; a line that starts an item ("- Tháng
    8/2025", "2.", "+ Sở …") stays on its own, as it was written."""
    lines = [line.strip() for line in (text or "").split("\n") if line.strip()]
    out: list[str] = []
    for line in lines:
        if out and not _NEW_ITEM.match(line):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n".join(out)


def pdf_items(content: bytes, scans: dict[str, list] | None = None) -> tuple[list[Item], list[int]]:
    """The items of every page, and the numbers of the pages without a text layer (scans) that ``scans`` (OCR's
    blocks by page number) does not hold yet."""
    try:
        document = pdfplumber.open(io.BytesIO(content))
    except (PDFSyntaxError, PdfminerException, MalformedPDFException, ValueError, TypeError, KeyError) as exc:
        raise ImportFormatError(BAD_PDF) from exc
    items: list[Item] = []
    scanned: list[int] = []
    line = 0
    with document:
        try:
            pages = document.pages
        except Exception as exc:  # pdfminer reads the page tree lazily: a damaged one fails here
            raise ImportFormatError(BAD_PDF) from exc
        if len(pages) > MAX_PAGES:
            raise ImportFormatError(f"Tệp PDF có {len(pages)} trang, vượt giới hạn {MAX_PAGES} trang.")
        for number, page in enumerate(pages, start=1):
            try:
                blocks = _page_blocks(page)
            except Exception as exc:  # pdfminer raises many kinds of errors on a damaged page
                raise ImportFormatError(BAD_PDF) from exc
            if not blocks and str(number) in (scans or {}):
                blocks = scans[str(number)]
            elif not blocks:
                scanned.append(number)
            line = _add_page(items, blocks, number, line)
    return items, scanned


def _add_page(items: list[Item], blocks: list, number: int, line: int) -> int:
    """The items of one page's blocks ([top, kind, value] or, read from a scan, [top, kind, value, confidence]),
    then its page break; returns the last line number used."""
    for block in sorted(blocks, key=lambda b: b[0]):
        kind, value, confidence = block[1], block[2], block[3] if len(block) > 3 else None
        line += 1
        if kind == "text":
            items.append(Item("text", line, text=value, page=number, confidence=confidence))
        else:
            items.append(Item("row", line, cells=value, page=number, confidence=confidence))
    line += 1
    items.append(Item("blank", line, page=number))  # the page break
    return line


def image_items(pages: dict[str, list]) -> list[Item]:
    """The items of a scanned image file's pages, read by OCR."""
    items: list[Item] = []
    line = 0
    for number in sorted(pages, key=int):
        line = _add_page(items, pages[number], int(number), line)
    return items


def _page_blocks(page) -> list[tuple[float, str, object]]:
    """(top, "text", line) and (top, "row", cells) of one page."""
    tables = page.find_tables()
    blocks: list[tuple[float, str, object]] = []
    for table in tables:
        for row, cells in zip(table.rows, table.extract(), strict=False):
            texts = [cell_text(c) for c in cells]
            if any(texts):
                blocks.append((row.bbox[1], "row", texts))
    boxes = [t.bbox for t in tables]
    outside = page.filter(lambda obj: obj.get("object_type") != "char" or not any(_inside(obj, b) for b in boxes))
    previous = None
    for found in outside.extract_text_lines():
        line = Line(found["text"].strip(), found["top"], found["bottom"], found["x0"])
        if not line.text:
            continue
        if previous is not None and goes_on(previous, line, boxes):
            top, _, before = blocks[-1]
            blocks[-1] = (top, "text", f"{before} {line.text}")
        else:
            blocks.append((line.top, "text", line.text))
        previous = line
    return blocks


def goes_on(previous: Line, line: Line, boxes: list) -> bool:
    """Whether a line of text carries on the paragraph of the line above (a PDF breaks lines, not paragraphs):
    close below it, not indented further, not starting an item, and no table between them."""
    height = previous.bottom - previous.top
    close = 0 <= line.top - previous.bottom < 0.45 * height  # the leading, not a paragraph's spacing
    indented = line.x0 > previous.x0 + height
    between = any(previous.bottom <= box[1] <= line.top for box in boxes)
    return close and not indented and not between and not _NEW_ITEM.match(line.text)
