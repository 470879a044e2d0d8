"""What reading a document gives: its appendix tables with their rows, what identifies the document, and the
Vietnamese messages for a file that holds no readable table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from workflows.text import fold_words

# "central_lead": the ministry or central body that leads a task nationally ("Bộ, ngành chủ trì"), beside the
# province's own unit in "lead" ("Đơn vị của tỉnh chủ trì").
COLUMNS = ("stt", "title", "assigning_doc", "central_lead", "lead", "collaborators", "output", "deadline", "note",
           "adjustment")
# Indicator tables: these keys, plus one "target_<year>" per year column ("target_2025", "target_2030" …).
# "baseline_date" is not a column: it is read from the baseline header, e.g. "Hiện trạng (tháng 3/2025)".
INDICATOR_COLUMNS = ("stt", "name", "unit", "baseline", "baseline_date", "responsible", "note")

EMPTY_FILE = "Tệp rỗng."
EMPTY_TITLE = "Tên nhiệm vụ trống."
NO_HEADER = ("Không nhận ra dòng tiêu đề của bảng (cần có các cột như STT, Tên nhiệm vụ, Đơn vị chủ trì, "
             "Thời hạn).")
NOT_TEXT = ("Không đọc được tệp này. Hệ thống đọc văn bản Word (.docx), Excel (.xlsx), PDF, ảnh quét (PNG, JPEG, "
            "TIFF) và văn bản thuần (.txt, .csv) lưu với bảng mã Unicode (UTF-8); tệp .txt gõ bằng bảng mã cũ "
            "(TCVN3, VNI, Windows-1258) cần lưu lại với bảng mã Unicode.")
BAD_XLSX = "Không đọc được tệp .xlsx: tệp hỏng hoặc không đúng định dạng."
BAD_DOCX = "Không đọc được tệp .docx: tệp hỏng hoặc không đúng định dạng."
BAD_ZIP = "Tệp nén không phải .xlsx hoặc .docx."
OLD_OFFICE = "Tệp Excel/Word định dạng cũ (.xls, .doc) chưa được hỗ trợ: hãy lưu lại thành .xlsx hoặc .docx."
NOTHING_READ = ("Không đọc được chữ nào trong tệp: các trang là ảnh quét trắng hoặc quá mờ. Hãy quét lại rõ hơn "
                "(200–300 dpi) hoặc dùng bản PDF xuất từ hệ thống quản lý văn bản.")


class ImportFormatError(ValueError):
    """The input is not a table that can be read; the message is in Vietnamese, for the user."""


class ScansToRead(Exception):
    """A document with pages only OCR can read (scans, photographs) that have not been read yet: ``pages``."""

    def __init__(self, pages: list[int]):
        super().__init__(pages)
        self.pages = pages


@dataclass
class Paragraph:
    """One paragraph of a document's body, outside its tables."""

    line: int | None  # line number in the source, when the source has lines
    text: str  # as written
    page: int | None = None  # PDF: the page it starts on
    confidence: int | None = None  # read from a scan by OCR


# "Nơi nhận:" that a PDF's evenly spaced lines ran into the end of the letter's last paragraph ("… ./. Nơi nhận:")
_SIGNATURE_BLOCK = re.compile(r"(?:^|(?<=[./;:])\s+)Nơi nhận\s*:", re.IGNORECASE)


def body_paragraphs(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """The paragraphs that can assign work: the non-empty ones before the signature block ("Nơi nhận")."""
    body = []
    for p in paragraphs:
        text = p.text.strip()
        if fold_words(text).startswith("noi nhan"):
            break
        signature = _SIGNATURE_BLOCK.search(text)
        if signature:
            text = text[:signature.start()].strip()
        if text:
            body.append(Paragraph(p.line, text, p.page, p.confidence))
        if signature:
            break
    return body


@dataclass
class SourceRow:
    """One data row of an appendix table, its cells under canonical keys."""

    number: int  # 1-based position among the appendix's data rows
    stt: str  # the STT/TT cell as written ("1.", "12", "" when missing)
    section: str | None  # "I. Title of the section" the row sits under ("I. … › 1. …" under a sub-section)
    cells: dict[str, str]  # canonical column -> cleaned text
    extra: dict[str, str]  # unknown columns, by their header text ("Cột 7" past the header's width)
    raw: list[str]  # the cell texts as written in the source (markup included)
    line: int | None  # line number in the source text where the row starts (None for xlsx/docx)
    warnings: list[str] = field(default_factory=list)
    assigns: bool = True  # False: a sentence of the body that names nobody to do it (kind "prose")
    pages: tuple[int, ...] = ()  # PDF: the pages the row is on, in order (two when a page break cut it)
    confidence: int | None = None  # read from a scan by OCR: Tesseract's confidence, 0–100


@dataclass
class Appendix:
    """One table of a document, with the heading it stands under."""

    title: str  # "Phụ lục II: Danh mục …", or the heading found before the table
    kind: str  # "tasks", "indicators", or "prose" (the assignments written in the body's sentences)
    header: list[str]  # the header cells as written (a two-row header: the lower row's text where it has one)
    columns: list[str | None]  # canonical key per header position (None = unknown column)
    unknown_columns: list[str]
    rows: list[SourceRow]
    rows_in_source: int  # data rows found in the source, continuation rows merged; == len(rows)


@dataclass
class ParsedDocument:
    """What a document holds: its appendix tables and what identifies it."""

    appendices: list[Appendix]
    number: str | None  # "266-KH/TU", "3130/UBND-VX"
    issued: date | None
    title: str | None  # subject line ("V/v …") or the document's heading
    warnings: list[str]
    paragraphs: list[Paragraph] = field(default_factory=list)  # the body outside the tables, up to "Nơi nhận"
    # abbreviations the document defines ("… (sau đây gọi tắt là Sở KH&CN)"): short form -> the words before it
    definitions: dict[str, str] = field(default_factory=dict)
    unread_table: str | None = None  # a table seen but not read (a PDF's, printed unruled): what to say of it
