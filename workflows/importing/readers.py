"""Read the appendix tables of an official document, whatever its form: one reader per format, and
`read_any`, which tells an uploaded file's format by its content before its extension.

Every form becomes a stream of items (`file_formats`); one engine (`tables`) then finds the tables by their
header row (`columns`), names them after the heading above them ("Phụ lục II: …"), and turns their rows into
`SourceRow`s (`appendix`). What the engine copes with was learnt from real documents, whose extracted text
carries the errors of the extraction:

- the header row repeats after every page break: skipped;
- a row cut by a page break continues on a row without STT: merged into the row it continues, and not
  counted as a row — also when the rest of a cell begins with a capital or a number ("… quán triệt" |
  "Nghị quyết số 57-NQ/TW …"), as long as none of its cells is a second value (an agency, a deadline)
  beside the one the row has;
- a row whose cells slipped one column, or onto the section row above: the cells are moved back into
  the empty cells of the task they belong to, or the row is kept on its own — always with a warning;
- a deadline or an agency's name in the wrong cell of a row: moved into the empty cell it belongs to, and
  the move listed in the row's warnings ("Đã chuyển «Tháng 6/2026» từ ô Kết quả sang ô Thời hạn");
- a row without STT that is complete on its own (the number was lost): kept as a row, flagged;
- section rows ("I", "IV Đầu tư …", "PHÁT TRIỂN …") are not data rows; they label the rows below;
- two-row headers ("CHỈ TIÊU" above "Năm 2025", "Năm 2030" …) and indicator rows with a value missing;
- HTML fragments inside cells (<i>, <br>, <ul><li>, entities) become plain text;
- a cell containing a line break, in a tab-separated export, either quoted ("a\nb") or not.

Nothing is silently dropped: every data row found is a `SourceRow` (`rows_in_source == len(rows)`),
unknown columns are kept in `extra`, and what looks wrong is told in Vietnamese in `warnings`.
"""

from __future__ import annotations

import io
import zipfile

from workflows.importing.file_formats import (
    csv_items,
    decode,
    docx_items,
    looks_markdown,
    markdown_items,
    text_items,
    xlsx_items,
)
from workflows.importing.parsed import (
    BAD_DOCX,
    BAD_XLSX,
    BAD_ZIP,
    EMPTY_FILE,
    NOTHING_READ,
    OLD_OFFICE,
    ImportFormatError,
    ParsedDocument,
    ScansToRead,
)
from workflows.importing.pdf_items import BAD_PDF, image_items, pdf_items
from workflows.importing.scans import BAD_IMAGE, image_page_count, is_image
from workflows.importing.tables import parse_items
from workflows.text import fold_words


def read_text(text: str) -> ParsedDocument:
    """Read a text whose table rows are tab-separated lines (a document's text export)."""
    if not text or not text.strip():
        raise ImportFormatError(EMPTY_FILE)
    return parse_items(text_items(text))


def read_markdown(text: str) -> ParsedDocument:
    """Read a Markdown text whose tables are pipe tables (| TT | Tên nhiệm vụ | … |)."""
    if not text or not text.strip():
        raise ImportFormatError(EMPTY_FILE)
    return parse_items(markdown_items(text))


def read_xlsx(content: bytes) -> ParsedDocument:
    """Read every sheet of an .xlsx workbook (each sheet's tables are read like a text's)."""
    return parse_items(xlsx_items(content))


def read_docx(content: bytes) -> ParsedDocument:
    """Read every table of a .docx document, with the paragraphs around them as headings."""
    return parse_items(docx_items(content))


def read_pdf(content: bytes, scans: dict[str, list] | None = None) -> ParsedDocument:
    """Read a PDF: its tables and the text around them, each row with its pages. Pages without a text layer
    (scans) are read from ``scans`` (OCR's blocks by page); ScansToRead names those not read yet."""
    items, scanned = pdf_items(content, scans)
    if scanned:
        raise ScansToRead(scanned)
    doc = _parse_read(items)
    doc.unread_table = _unruled_table(items)
    doc.warnings.extend([doc.unread_table] if doc.unread_table else [])
    return doc


# the words of a task table's header ("STT | Tên nhiệm vụ | Đơn vị chủ trì | Thời gian hoàn thành | Kết quả"), folded
_HEADER_WORDS = frozenset("ten nhiem vu chu tri phoi hop thoi gian han ket qua san pham don vi co quan".split())
UNRULED = ("Trang %s có một bảng không kẻ ô (dòng tiêu đề «%s»): hệ thống chỉ tách được các cột của bảng có kẻ ô, "
           "nên các dòng của bảng này chưa được đọc thành nhiệm vụ. Hãy nhập bản Word (.docx) hoặc bản PDF có kẻ "
           "bảng của văn bản, hoặc sao chép bảng dán vào ô “Hoặc dán nội dung bảng”.")


def _unruled_table(items: list) -> str | None:
    """A PDF's table drawn without ruling lines is read as lines of text, its columns run together, and its tasks
    are lost without a word: the first line that reads as a task table's header, on a page where no table was
    found, is named."""
    ruled = {item.page for item in items if item.kind == "row"}
    for item in items:
        words = fold_words(item.text or "").split() if item.kind == "text" and item.page not in ruled else []
        if words[:1] in (["stt"], ["tt"]) and len(_HEADER_WORDS.intersection(words[:25])) >= 4:
            return UNRULED % (item.page, " ".join(item.text.split())[:80])
    return None


def read_image(content: bytes, scans: dict[str, list] | None = None) -> ParsedDocument:
    """Read a scanned or photographed page (PNG, JPEG, TIFF, a TIFF's pages) from OCR's blocks."""
    pages = list(range(1, image_page_count(content) + 1))
    missing = [p for p in pages if str(p) not in (scans or {})]
    if missing:
        raise ScansToRead(missing)
    return _parse_read(image_items({str(p): scans[str(p)] for p in pages}))


def _parse_read(items: list) -> ParsedDocument:
    if not any(item.kind in ("row", "text") for item in items):
        raise ImportFormatError(NOTHING_READ)
    return parse_items(items)


def read_any(filename: str, content: bytes, scans: dict[str, list] | None = None) -> ParsedDocument:
    """Read a file by its content (zip, text, PDF, image) and extension; raise ImportFormatError if it holds no
    table, ScansToRead if it has pages that OCR has not read yet (their blocks come in ``scans``)."""
    if not content or not content.strip():
        raise ImportFormatError(EMPTY_FILE)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if content.startswith(b"PK\x03\x04"):
        return _read_zip(content, extension)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFormatError(OLD_OFFICE)
    if content.startswith(b"%PDF"):
        return read_pdf(content, scans)
    if is_image(content):
        return read_image(content, scans)
    if extension in ("xlsx", "xlsm"):
        raise ImportFormatError(BAD_XLSX)
    if extension == "docx":
        raise ImportFormatError(BAD_DOCX)
    if extension == "pdf":  # named a PDF, not one inside: damaged, or another file renamed
        raise ImportFormatError(BAD_PDF)
    if extension in ("png", "jpg", "jpeg", "tif", "tiff"):
        raise ImportFormatError(BAD_IMAGE)
    text = decode(content)
    if not text.strip():
        raise ImportFormatError(EMPTY_FILE)
    if extension in ("md", "markdown") or ("\t" not in text and looks_markdown(text)):
        return read_markdown(text)
    if extension == "csv":
        return parse_items(csv_items(text))
    return read_text(text)


def _read_zip(content: bytes, extension: str) -> ParsedDocument:
    """An Office file is a zip: which one it is shows in the parts it holds, whatever its name says."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFormatError(BAD_DOCX if extension == "docx" else BAD_XLSX if extension.startswith("xls")
                                else BAD_ZIP) from exc
    if "word/document.xml" in names:
        return read_docx(content)
    if "xl/workbook.xml" in names:
        return read_xlsx(content)
    raise ImportFormatError(BAD_ZIP)
