"""Items of a PDF with a text layer (a document-management system's export): on each page, its tables (found by
their ruling lines) and the lines of text around them, in reading order, each marked with its page.

Every page ends with a page break, so the table engine (``tables``) treats a PDF as it treats a text export: the
header row repeated on the next page is skipped, and a row without STT at the top of a page is the rest of the
row the break cut (``appendix``). A page with no text at all is reported, for OCR (``scanned_pages``).
"""

from __future__ import annotations

import io
import re

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


def _cell(text: str | None) -> str:
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


def pdf_items(content: bytes) -> tuple[list[Item], list[int]]:
    """The items of every page, and the numbers of the pages without a text layer (scans)."""
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
            if not blocks:
                scanned.append(number)
            for _top, kind, value in sorted(blocks, key=lambda b: b[0]):
                line += 1
                if kind == "text":
                    items.append(Item("text", line, text=value, page=number))
                else:
                    items.append(Item("row", line, cells=value, page=number))
            line += 1
            items.append(Item("blank", line, page=number))  # the page break
    return items, scanned


def _page_blocks(page) -> list[tuple[float, str, object]]:
    """(top, "text", line) and (top, "row", cells) of one page."""
    tables = page.find_tables()
    blocks: list[tuple[float, str, object]] = []
    for table in tables:
        for row, cells in zip(table.rows, table.extract(), strict=False):
            texts = [_cell(c) for c in cells]
            if any(texts):
                blocks.append((row.bbox[1], "row", texts))
    boxes = [t.bbox for t in tables]
    outside = page.filter(lambda obj: obj.get("object_type") != "char" or not any(_inside(obj, b) for b in boxes))
    previous = None
    for text_line in outside.extract_text_lines():
        text = text_line["text"].strip()
        if not text:
            continue
        if previous is not None and _goes_on(previous, text_line, text, boxes):
            top, _, before = blocks[-1]
            blocks[-1] = (top, "text", f"{before} {text}")
        else:
            blocks.append((text_line["top"], "text", text))
        previous = text_line
    return blocks



def _goes_on(previous: dict, line: dict, text: str, boxes: list) -> bool:
    """Whether a line of text carries on the paragraph of the line above (a PDF breaks lines, not paragraphs):
    close below it, not indented further, not starting an item, and no table between them."""
    height = previous["bottom"] - previous["top"]
    close = 0 <= line["top"] - previous["bottom"] < 0.45 * height  # the leading, not a paragraph's spacing
    indented = line["x0"] > previous["x0"] + height
    between = any(previous["bottom"] <= box[1] <= line["top"] for box in boxes)
    return close and not indented and not between and not _NEW_ITEM.match(text)
