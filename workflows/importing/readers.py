"""Read the appendix tables of official documents (text, Markdown, .xlsx, .docx) into one structure.

Every form is first turned into a stream of items (text lines, blank lines, table rows); one engine then
finds the tables by their header row, names them after the heading above them ("Phụ lục II: …"), and
turns their rows into `SourceRow`s. What the engine copes with was learnt from real documents, whose
extracted text carries the errors of the extraction:

- the header row repeats after every page break: skipped;
- a row cut by a page break continues on a row without STT: merged into the row it continues;
- a row whose cells slipped one column, or onto the section row above: the cells are moved back into
  the empty cells of the task they belong to, or the row is kept on its own — always with a warning;
- a row without STT that is complete on its own (the number was lost): kept as a row, flagged;
- section rows ("I", "IV Đầu tư …", "PHÁT TRIỂN …") are not data rows; they label the rows below;
- two-row headers ("CHỈ TIÊU" above "Năm 2025", "Năm 2030" …) and indicator rows with a value missing;
- HTML fragments inside cells (<i>, <br>, <ul><li>, entities) become plain text;
- a cell containing a line break, in a tab-separated export, either quoted ("a\nb") or not.

Nothing is silently dropped: every data row found is a `SourceRow` (`rows_in_source == len(rows)`),
unknown columns are kept in `extra`, and what looks wrong is told in Vietnamese in `warnings`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from html.parser import HTMLParser
from math import ceil

COLUMNS = ("stt", "title", "assigning_doc", "lead", "collaborators", "output", "deadline", "note", "adjustment")
# Indicator tables: these keys, plus one "target_<year>" per year column ("target_2025", "target_2030" …).
# "baseline_date" is not a column: it is read from the baseline header, e.g. "Hiện trạng (tháng 3/2025)".
INDICATOR_COLUMNS = ("stt", "name", "unit", "baseline", "baseline_date", "responsible", "note")

EMPTY_FILE = "Tệp rỗng."
NO_HEADER = ("Không nhận ra dòng tiêu đề của bảng (cần có các cột như STT, Tên nhiệm vụ, Đơn vị chủ trì, "
             "Thời hạn).")
NOT_TEXT = "Tệp không phải văn bản UTF-8, .xlsx hoặc .docx."
BAD_XLSX = "Không đọc được tệp .xlsx: tệp hỏng hoặc không đúng định dạng."
BAD_DOCX = "Không đọc được tệp .docx: tệp hỏng hoặc không đúng định dạng."
BAD_ZIP = "Tệp nén không phải .xlsx hoặc .docx."
OLD_OFFICE = "Tệp Excel/Word định dạng cũ (.xls, .doc) chưa được hỗ trợ: hãy lưu lại thành .xlsx hoặc .docx."
PDF_FILE = "Tệp PDF chưa được hỗ trợ: hãy dùng bản .docx, .xlsx hoặc văn bản của tài liệu."


class ImportFormatError(ValueError):
    """The input is not a table that can be read; the message is in Vietnamese, for the user."""


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


@dataclass
class Appendix:
    """One table of a document, with the heading it stands under."""

    title: str  # "Phụ lục II: Danh mục …", or the heading found before the table
    kind: str  # "tasks" or "indicators"
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


# ---------------------------------------------------------------- text helpers

def _fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-free form of a text, for keyword matching."""
    return _fold_cached(text)


@lru_cache(maxsize=8192)
def _fold_cached(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|<!--")
_BULLET = re.compile(r"^\s*(?:[-+•–*]|\u2022)\s+")
_INLINE_ITEM = re.compile(r"\s+-\s+(?=[A-ZĐÀ-ỸÁẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬÉÈẺẼẸÊẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÚÙỦŨỤƯỨỪỬỮỰÝỲỶỸỴ(\d])")


class _HtmlText(HTMLParser):
    """Plain text of an HTML fragment: list items as "- " lines, script and style content dropped."""

    BLOCKS = {"p", "div", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.dropped_script = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self.skipping += 1
            self.dropped_script = True
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.skipping -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS or tag == "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _clean(text: str) -> tuple[str, tuple[str, ...]]:
    """Plain text of a cell: HTML stripped, whitespace normalised, list items on "- " lines."""
    return _clean_cached(text or "")


@lru_cache(maxsize=65536)
def _clean_cached(text: str) -> tuple[str, tuple[str, ...]]:
    warnings: tuple[str, ...] = ()
    if "<" in text or "&" in text:
        if _TAG.search(text):
            parser = _HtmlText()
            parser.feed(text)
            parser.close()
            text = "".join(parser.parts)
            if parser.dropped_script:
                warnings = ("Đã loại bỏ mã script/style trong ô.",)
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "").replace("**", "")
    lines = [" ".join(line.split()) for line in text.replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    items: list[str] = []
    for line in lines:
        if _BULLET.match(line):
            body = _BULLET.sub("", line, count=1)
            # a line break inside a cell often became " - " in the extraction: "- Tháng 8/2025 - Thường xuyên"
            items.extend(f"- {piece}" for piece in _INLINE_ITEM.split(body) if piece.strip())
        else:
            items.append(line)
    return "\n".join(items), warnings


def _join(first: str, second: str) -> str:
    """Two pieces of one cell split by a page break, joined with a space or as a new list line."""
    if not first:
        return second
    if not second:
        return first
    return first + ("\n" if second.startswith("- ") else " ") + second


_DEADLINE = re.compile(
    r"\b(\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}/\d{4}|thang \d{1,2}\b|quy [ivx1-4]+\b|nam \d{4}|thuong xuyen|"
    r"hang (nam|thang|quy|tuan)|da hoan thanh)")
# the first words of agency names; the verbs and nouns that begin task texts the same way are left out
_AGENCY = re.compile(
    r"^(so (?!hoa|lieu|luong|huu|do)|cong an|van phong|ban (?!hanh)|ubnd|hdnd|uy ban|cap uy|ngan hang|bao hiem|"
    r"cac (so|ban|co quan|don vi|dia phuong|cap uy|dang uy|xa|doanh nghiep|truong|hoi)\b|tinh uy|dang uy|mttq|"
    r"truong (dai hoc|cao dang)|bo (chi huy|cong an|quoc phong)|lien hiep|hoi (nong dan|phu nu|lien hiep)|"
    r"vien |dai phat thanh|thanh tra|kho bac|chi cuc|cuc |to giup viec)")


def _plain(text: str) -> str:
    """Lower-case, accent-free form of a text that keeps its punctuation ("31/3/2026")."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).lower().split())


def _deadline_like(text: str) -> bool:
    """Whether a short cell reads as a deadline ("Tháng 6/2025", "31/3/2026", "Thường xuyên")."""
    plain = _plain(text)
    if not plain or len(plain.split()) > 8 or re.search(r"\bso\s*:?\s*\d", plain):  # "số 12/KH": a document
        return False
    return bool(_DEADLINE.search(plain))


def _agency_like(text: str) -> bool:
    """Whether a cell reads as the name of an agency rather than a value or a task."""
    folded = _fold(text)
    return bool(_AGENCY.match(folded)) and "%" not in text and not re.search(r"\d", folded)


def _starts_lower(text: str) -> bool:
    """Whether the first letter of a text is lower-case (the text goes on a sentence)."""
    for ch in text:
        if ch.isalpha():
            return ch.islower()
        if not ch.isspace():
            return False
    return False


def _continues(before: str, after: str) -> bool:
    """Whether `after` reads as the rest of a cell text `before` cut by a page break."""
    after = after.lstrip()
    if not after:
        return True
    if _starts_lower(after) or after[0] in "(),.;:…/" or after[0].isdigit():
        return True
    return before.rstrip()[-1:] in (",", ";", ":", "-", "–", "/", "(")


_ROMAN = re.compile(r"^(?=[IVX])X{0,3}(IX|IV|V?I{0,3})$")
_STT_START = re.compile(r"^(\d+(\.\d+)*\.?|[IVX]+[.)]?|[a-zđ][.)]|[A-H][.)])(\s|$)")
_SUBHEAD = re.compile(r"^(\d+(\.\d+)*[.)]|[a-zđ][.)])\s+[A-ZĐÀ-Ỹ]")
_LABEL = re.compile(r"\bph[uụủúùũ]\s+l[uụủúùũ]c\b(?:\s+([IVXLC]+|\d+)\b)?\s*[:.\-–]?\s*", re.IGNORECASE)
_NUMBER = re.compile(r"\d+[0-9A-Za-zĐđ]*(?:[-/.][0-9A-Za-zĐđ&]+)*/[0-9A-Za-zĐđ&\-/.]+"  # 3130/UBND-VX, 266-KH/TU
                     r"|\d+-[A-Za-zĐđ][0-9A-Za-zĐđ&\-/.]*")


def _is_label(text: str) -> bool:
    """Whether a line is an appendix label: "Phụ lục", "PHỤ LỤC II", "Phụ lục II: DANH MỤC …"."""
    folded = _fold(text)
    return "phu luc" in folded and (folded.startswith("phu luc") or len(folded) <= 40) and bool(_LABEL.search(text))


def _is_noise(text: str) -> bool:
    """Page numbers and footnote lines, which may sit between two pages of one table."""
    stripped = text.strip().strip("*").strip()
    return not stripped or bool(re.fullmatch(r"[-–\s]*(trang\s*)?\d{1,3}[-–\s]*", stripped, re.IGNORECASE)) \
        or stripped[0] in "¹²³⁴⁵⁶⁷⁸⁹⁰"


def _is_attachment_line(text: str) -> bool:
    """Whether a line is "(Kèm theo …)" or "(Ban hành kèm theo …)", which names the parent document."""
    folded = _fold(text)
    return folded.startswith(("kem theo", "ban hanh kem theo"))


def _heading_text(text: str) -> str:
    """A heading line without Markdown marks."""
    text = text.strip().lstrip("#>").strip().replace("**", "").replace("__", "")
    return " ".join(text.split())


# ---------------------------------------------------------------- items

@dataclass
class _Item:
    """One piece of a source: a table row, a line of text, a blank line, or a new sheet."""

    kind: str  # "row", "text", "blank", or "break" (a new sheet: tables never continue across it)
    line: int | None = None
    cells: list[str] = field(default_factory=list)
    text: str = ""
    end_line: int | None = None  # text form: last physical line of the row
    inherited: dict[int, str] = field(default_factory=dict)  # docx: column -> text of the merged cell above
    joinable: bool = False  # text form: the row may go on on the next physical line


def _text_items(text: str) -> list[_Item]:
    """Items of a text whose table rows are tab-separated lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    items: list[_Item] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        number = index + 1
        if "\t" in line:
            cells, used = _tab_row(lines, index)
            items.append(_Item("row", number, cells=cells, end_line=number + used - 1, joinable=True))
            index += used
            continue
        if line.strip():
            items.append(_Item("text", number, text=line, end_line=number, joinable=True))
        else:
            items.append(_Item("blank", number))
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


_MD_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")


def _markdown_items(text: str) -> list[_Item]:
    """Items of a Markdown text whose tables are pipe tables."""
    items: list[_Item] = []
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("|"):
            if _MD_SEPARATOR.match(stripped):
                continue
            body = stripped[1:-1] if stripped.endswith("|") and len(stripped) > 1 else stripped[1:]
            cells = [c.replace("\\|", "|").strip() for c in re.split(r"(?<!\\)\|", body)]
            items.append(_Item("row", number, cells=cells))
        elif stripped:
            items.append(_Item("text", number, text=line))
        else:
            items.append(_Item("blank", number))
    return items


def _csv_items(text: str) -> list[_Item]:
    """Items of a comma- or semicolon-separated text."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    items: list[_Item] = []
    start = 1
    for cells in reader:
        if not any(c.strip() for c in cells):
            items.append(_Item("blank", start))
        else:
            items.append(_Item("row", start, cells=cells))
        start = reader.line_num + 1
    return items


# ---------------------------------------------------------------- headers

_STT_NAMES = {"stt", "tt", "so tt", "s tt", "so thu tu", "thu tu"}
_TASK_RULES = (
    ("adjustment", ("dieu chinh",)),
    ("assigning_doc", ("van ban giao", "can cu", "nguon giao", "van ban chi dao")),
    ("collaborators", ("phoi hop",)),
    ("lead", ("chu tri", "don vi thuc hien", "co quan thuc hien", "don vi dau moi", "co quan dau moi")),
    ("output", ("ket qua", "san pham")),
    ("deadline", ("thoi gian", "thoi han", "tien do", "han hoan thanh")),
    ("note", ("ghi chu",)),
    ("title", ("nhiem vu", "noi dung", "ten cong viec", "cong viec", "ten de an")),
)
_INDICATOR_RULES = (
    ("note", ("ghi chu",)),
    ("unit", ("don vi tinh", "dvt", "don vi do")),
    ("baseline", ("hien trang", "hien tai", "nam goc", "thuc trang")),
    ("responsible", ("chu tri", "co quan", "don vi", "theo doi", "trach nhiem")),
    ("name", ("chi tieu", "noi dung", "ten")),
)
_GROUPS = {"chi tieu", "cac chi tieu", "muc tieu", "gia tri", "chi tieu phan dau", "lo trinh", "ke hoach"}
_YEAR = re.compile(r"\b(19|20)\d{2}\b")


def _has_words(folded: str, words: tuple[str, ...]) -> bool:
    """Whether a folded text contains one of the folded phrases, as whole words."""
    padded = f" {folded} "
    return any(f" {w} " in padded for w in words)


def _task_key(text: str) -> str | None:
    """The canonical task column a header cell names ("Đơn vị chủ trì" -> "lead"), if any."""
    folded = _fold(text)
    if not folded:
        return None
    if folded in _STT_NAMES:
        return "stt"
    for key, words in _TASK_RULES:
        if _has_words(folded, words):
            return key
    return None


def _indicator_key(text: str) -> str | None:
    """The canonical indicator column a header cell names ("Năm 2030" -> "target_2030"), if any."""
    folded = _fold(text)
    if not folded:
        return None
    if folded in _STT_NAMES:
        return "stt"
    for key, words in _INDICATOR_RULES[:3]:
        if _has_words(folded, words):
            return key
    year = _YEAR.search(folded)
    if year:
        return f"target_{year.group(0)}"
    for key, words in _INDICATOR_RULES[3:]:
        if _has_words(folded, words):
            return key
    return None


@dataclass
class _Header:
    """A recognised header: its cells as written, one canonical key per column, and the table's kind."""

    top: list[str]  # the header row as written
    sub: list[str] | None  # the second header row, if any
    leaves: list[str]
    columns: list[str | None]
    kind: str
    unknown: list[str]
    baseline_date: str

    @property
    def title_key(self) -> str:
        return "name" if self.kind == "indicators" else "title"

    def position(self, key: str) -> int | None:
        return self.columns.index(key) if key in self.columns else None


def _combine(top: list[str], sub: list[str]) -> list[str]:
    """One header from two rows: the lower row's cells under a group cell ("CHỈ TIÊU"), the upper elsewhere.

    In text exports the upper row's later cells are not aligned with the lower row ("Cơ quan chủ trì" sits
    above "Năm 2040"): a named upper cell standing over a lower one comes after the group it overlaps.
    """
    leaves: list[str] = []
    pending: list[str] = []
    for index in range(max(len(top), len(sub))):
        upper = top[index].strip() if index < len(top) else ""
        lower = sub[index].strip() if index < len(sub) else ""
        if lower:
            leaves.append(lower)
            if upper and _fold(upper) not in _GROUPS and (_task_key(upper) or _indicator_key(upper)):
                pending.append(upper)
            continue
        leaves.extend(pending)
        pending = []
        leaves.append(upper)
    leaves.extend(pending)
    while leaves and not leaves[-1]:
        leaves.pop()
    return leaves


def _make_header(top: list[str], sub: list[str] | None) -> _Header | None:
    """The header described by a row (and the row below it), or None if the row is no header."""
    first = next((c.strip() for c in top if c.strip()), "")
    if not first or first[0].isdigit():  # a data row: most rows, so answered before any cleaning
        return None
    cleaned_top = [_clean(c)[0].replace("\n", " ") for c in top]
    cleaned_sub = [_clean(c)[0].replace("\n", " ") for c in sub] if sub else None
    leaves = _combine(cleaned_top, cleaned_sub) if cleaned_sub else list(cleaned_top)
    while leaves and not leaves[-1]:
        leaves.pop()
    filled = [c for c in leaves if c]
    if len(filled) < 2 or any(len(c) > 120 for c in filled):
        return None
    if re.match(r"^\d", leaves[0].strip() if leaves else ""):
        return None
    task_keys = [_task_key(c) for c in leaves]
    indicator_keys = [_indicator_key(c) for c in leaves]
    is_indicator = (
        any(k == "name" and "chi tieu" in _fold(c) for k, c in zip(indicator_keys, leaves, strict=True))
        or sum(1 for k in indicator_keys if k and k.startswith("target_")) >= 2
        or "baseline" in indicator_keys
    ) and "deadline" not in task_keys
    keys = indicator_keys if is_indicator else task_keys
    columns: list[str | None] = []
    for key in keys:
        columns.append(key if key and key not in columns else None)
    recognised = [k for k in columns if k]
    enough = len(recognised) >= 3 or (len(recognised) == 2 and "stt" in recognised)
    if (("name" if is_indicator else "title") not in recognised or not enough
            or len(recognised) * 2 < len(filled)):
        return None
    unknown = [c for c, k in zip(leaves, columns, strict=True) if c and k is None]
    baseline_date = ""
    if "baseline" in columns:
        match = re.search(r"\(([^)]*)\)", leaves[columns.index("baseline")])
        baseline_date = match.group(1).strip() if match else ""
    return _Header(top, sub, leaves, columns, "indicators" if is_indicator else "tasks", unknown, baseline_date)


def _sub_header_row(top: list[str], cells: list[str]) -> bool:
    """Whether `cells` is the lower row of a two-row header whose upper row is `top`."""
    lower = []
    for index, cell in enumerate(cells):
        text = _clean(cell)[0]
        # a vertically merged header cell may be repeated in the lower row
        same = index < len(top) and _fold(text) == _fold(top[index])
        lower.append("" if same else text)
    filled = [c for c in lower if c]
    if not filled or (lower and lower[0]) or any(len(c) > 80 for c in filled):
        return False
    if not all(_YEAR.search(_fold(c)) or _indicator_key(c) or _task_key(c) for c in filled):
        return False
    for index, cell in enumerate(lower):
        upper = top[index].strip() if index < len(top) else ""
        if cell and (not upper or _fold(upper) in _GROUPS or not (_task_key(upper) or _indicator_key(upper))):
            return True
    return False


def _numbering_row(cells: list[str]) -> bool:
    """Whether a row only numbers the columns: "(1) (2) (3) …" or "1 2 3 …"."""
    filled = [c.strip() for c in cells if c.strip()]
    if len(filled) < 3 or not all(re.fullmatch(r"\(?\d{1,2}\)?", c) for c in filled):
        return False
    return [int(c.strip("()")) for c in filled] == list(range(1, len(filled) + 1))


def _same_header(header: _Header, cells: list[str]) -> bool:
    """Whether a row repeats a header's upper row (the header repeated after a page break)."""
    return _same_cells(header.top, cells)


def _same_cells(first: list[str], second: list[str]) -> bool:
    """Whether two rows have the same texts, accents, case and trailing empty cells aside."""
    mine = [_fold(_clean(c)[0]) for c in first]
    theirs = [_fold(_clean(c)[0]) for c in second]
    while mine and not mine[-1]:
        mine.pop()
    while theirs and not theirs[-1]:
        theirs.pop()
    return mine == theirs


# ---------------------------------------------------------------- rows

@dataclass
class _Mapped:
    """A row's cells under canonical keys, before it is known which task they belong to."""

    cells: dict[str, str]
    extra: dict[str, str]
    warnings: list[str]

    def filled(self) -> set[str]:
        return {k for k, v in self.cells.items() if v and k not in ("stt", "baseline_date")} | \
            {f"extra:{k}" for k, v in self.extra.items() if v}

    def get(self, key: str) -> str:
        return self.extra.get(key[6:], "") if key.startswith("extra:") else self.cells.get(key, "")


def _empty_cells(header: _Header) -> dict[str, str]:
    """Every canonical key of a table's kind, empty (a row always has all of them)."""
    if header.kind == "tasks":
        return {k: "" for k in COLUMNS}
    cells = {k: "" for k in INDICATOR_COLUMNS}
    cells.update({k: "" for k in header.columns if k and k.startswith("target_")})
    cells["baseline_date"] = header.baseline_date
    return cells


def _map_row(raw: list[str], header: _Header) -> _Mapped:
    """Canonical cells of one row, by the position of its cells under the header."""
    cells = _empty_cells(header)
    extra: dict[str, str] = {}
    warnings: list[str] = []
    cleaned = []
    for text in raw:
        value, notes = _clean(text)
        cleaned.append(value)
        warnings.extend(n for n in notes if n not in warnings)
    if header.kind == "indicators":
        shifted = _indicator_by_meaning(cleaned, header, cells, extra, warnings)
        if shifted:
            return _Mapped(cells, extra, warnings)
    overflow = 0
    for index, value in enumerate(cleaned):
        if index < len(header.columns):
            key = header.columns[index]
            if key:
                cells[key] = value
            elif header.leaves[index]:
                extra[header.leaves[index]] = value
            elif value:
                extra[f"Cột {index + 1}"] = value
        elif value:
            extra[f"Cột {index + 1}"] = value
            overflow += 1
    for index, leaf in enumerate(header.leaves):
        if header.columns[index] is None and leaf:
            extra.setdefault(leaf, "")
    if overflow:
        warnings.append(f"Nghi lệch cột: dòng có {overflow} ô có nội dung nằm ngoài {len(header.leaves)} cột "
                        "của tiêu đề (đã giữ trong phần cột khác).")
    return _Mapped(cells, extra, warnings)


def _indicator_by_meaning(cleaned: list[str], header: _Header, cells: dict[str, str], extra: dict[str, str],
                          warnings: list[str]) -> bool:
    """Map an indicator row whose cells are not under their headers; False if the positions hold.

    Text exports lose the empty or merged cells of indicator rows: a row may have five values for six
    year columns, its responsible agency landing under "Năm 2045". The agency is the last cell; the
    values are what lies between the unit and the agency.
    """
    values_at = [i for i, k in enumerate(header.columns) if k and (k == "baseline" or k.startswith("target_"))]
    responsible_at = header.position("responsible")
    filled = [i for i, c in enumerate(cleaned) if c]
    if not values_at or responsible_at is None or not filled:
        return False
    last = max(filled)
    if last == responsible_at or last <= values_at[0] or not _agency_like(cleaned[last]):
        return False
    for index in range(values_at[0]):
        key = header.columns[index] if index < len(header.columns) else None
        if key:
            cells[key] = cleaned[index]
        elif cleaned[index]:
            extra[header.leaves[index] or f"Cột {index + 1}"] = cleaned[index]
    values = cleaned[values_at[0]:last]
    value_keys = [header.columns[i] for i in values_at]
    for key, value in zip(value_keys, values, strict=False):
        cells[key] = value
    for offset, value in enumerate(values[len(value_keys):]):
        if value:
            extra[f"Cột {values_at[0] + len(value_keys) + offset + 1}"] = value
    cells["responsible"] = cleaned[last]
    if any(values):
        if len(values) < len(value_keys):
            warnings.append(f"Nghi lệch cột: dòng chỉ có {len(values)}/{len(value_keys)} ô giá trị chỉ tiêu; "
                            f"đã xếp lần lượt từ cột «{header.leaves[values_at[0]]}», cần kiểm tra.")
        elif len(values) > len(value_keys):
            warnings.append(f"Nghi lệch cột: dòng có {len(values)} ô giá trị, nhiều hơn {len(value_keys)} cột "
                            "chỉ tiêu (phần thừa giữ trong phần cột khác).")
    return True


def _section_of(cleaned: list[str], header: _Header) -> tuple[str, list[int]] | None:
    """The label of a section row ("IV. Đầu tư …") and the positions of its other filled cells."""
    stt_at = header.position("stt")
    title_at = header.position(header.title_key)
    first_at = stt_at if stt_at is not None else 0
    first = cleaned[first_at] if first_at < len(cleaned) else ""
    title = cleaned[title_at] if title_at is not None and title_at < len(cleaned) else ""
    others = [i for i, c in enumerate(cleaned) if c and i not in (first_at, title_at)]
    first_line = first.replace("\n", " ")
    match = re.fullmatch(r"([IVX]{1,7})\s*[.)]?", first_line)
    if match and _ROMAN.match(match.group(1)):
        return (f"{match.group(1)}. {title}" if title else match.group(1)).replace("\n", " "), others
    match = re.match(r"([IVX]{1,7})[.)]?\s+(\S.*)", first_line)
    if match and _ROMAN.match(match.group(1)):
        rest = match.group(2) + (f" {title}" if title else "")
        return f"{match.group(1)}. {rest}".replace("\n", " "), others
    if others:
        return None
    match = re.fullmatch(r"([A-H])\s*[.)]?", first_line)
    if match and title:
        return f"{match.group(1)}. {title}".replace("\n", " "), []
    match = re.match(r"([A-H])[.)]\s+(\S.*)", first_line)
    if match and not title:
        return f"{match.group(1)}. {match.group(2)}", []
    lone = [c for c in (first, title) if c]
    if len(lone) == 1 and not first_line[:1].isdigit():
        text = lone[0].replace("\n", " ")
        letters = [ch for ch in text if ch.isalpha()]
        if len(text.split()) >= 2 and letters and not any(ch.islower() for ch in letters):
            return text, []
    return None


def _subsection_of(cleaned: list[str], header: _Header, next_stt: str) -> str | None:
    """The label of a sub-section row ("1. Title" with nothing else on the row), or None."""
    stt_at = header.position("stt")
    title_at = header.position(header.title_key)
    if title_at is None:
        return None
    first = cleaned[stt_at] if stt_at is not None and stt_at < len(cleaned) else ""
    title = cleaned[title_at] if title_at < len(cleaned) else ""
    if not title or any(c for i, c in enumerate(cleaned) if c and i not in (stt_at, title_at)):
        return None
    if not first and _SUBHEAD.match(title):
        return title.replace("\n", " ")
    number = first.rstrip(".")
    if re.fullmatch(r"\d+(\.\d+)*", number) and next_stt.startswith(number + ".") and len(next_stt) > len(number) + 1:
        return f"{number}. {title}".replace("\n", " ")
    return None


@dataclass
class _Work:
    """A data row being assembled: page-break pieces and moved cells are merged into it."""

    stt: str
    section: str | None
    mapped: _Mapped
    raw: list[str]
    line: int | None
    warnings: list[str]


def _merge_into(target: _Work, piece: _Mapped, raw: list[str], separator: str | None = None) -> None:
    """Merge the filled cells of `piece` into `target`, cell by cell."""
    for key, value in piece.cells.items():
        if value and key not in ("stt", "baseline_date"):
            old = target.mapped.cells.get(key, "")
            target.mapped.cells[key] = (old + separator + value if old else value) if separator else _join(old, value)
    for key, value in piece.extra.items():
        if value:
            old = target.mapped.extra.get(key, "")
            target.mapped.extra[key] = (old + separator + value if old else value) if separator else _join(old, value)
    for note in piece.warnings:
        if note not in target.warnings:
            target.warnings.append(note)
    merged = list(target.raw) + [""] * max(0, len(raw) - len(target.raw))
    for index, value in enumerate(raw):
        if value.strip():
            merged[index] = f"{merged[index]}\n{value}" if merged[index].strip() else value
    target.raw = merged


def _fits(piece: _Mapped, target: _Mapped) -> bool:
    """Whether every filled cell of `piece` falls on an empty cell of `target`."""
    filled = piece.filled()
    return bool(filled) and all(not target.get(k) for k in filled)


def _where(line: int | None) -> str:
    """" (dòng 12)" for a warning, or nothing when the source has no line numbers."""
    return f" (dòng {line})" if line else ""


def _finish(title: str, header: _Header, items: list[_Item]) -> tuple[Appendix, list[str]]:
    """The appendix built from the table rows that follow one header."""
    stt_at = header.position("stt")
    cleaned_rows = [[_clean(c)[0] for c in item.cells] for item in items]

    def stt_of(index: int) -> str:
        cells = items[index].cells
        return cells[stt_at].strip() if stt_at is not None and stt_at < len(cells) else ""

    def is_task_row(index: int) -> bool:
        return 0 <= index < len(items) and bool(stt_of(index)) and _section_of(cleaned_rows[index], header) is None

    work: list[_Work] = []
    section: str | None = None
    subsection: str | None = None
    carried: list[tuple[_Mapped, list[str], str]] = []  # cells waiting for the next task row, and why
    for index, item in enumerate(items):
        cleaned = cleaned_rows[index]
        found = _section_of(cleaned, header)
        if found:
            section, others = found
            subsection = None
            if others:
                piece = _map_row([c if i in others else "" for i, c in enumerate(item.cells)], header)
                carried.append((piece, [item.cells[i] if i in others else "" for i in range(len(item.cells))],
                                f"Nghi lệch dòng: các ô trên dòng mục «{section.split('.')[0]}»{_where(item.line)} "
                                "đã được chuyển sang nhiệm vụ này, cần kiểm tra."))
            continue
        next_stt = stt_of(index + 1) if index + 1 < len(items) else ""
        sub = _subsection_of(cleaned, header, next_stt)
        if sub:
            subsection = sub
            continue
        stt = stt_of(index)
        where = f"{section} › {subsection}" if section and subsection else (section or subsection)
        raw = list(item.cells)
        if stt and item.inherited:
            raw = [c if c.strip() else item.inherited.get(i, c) for i, c in enumerate(raw)]
        mapped = _map_row(raw, header)
        if not stt and not mapped.filled():
            continue
        previous = work[-1] if work else None
        if previous is not None and not stt:
            following = items[index + 1] if is_task_row(index + 1) else None
            if _place_without_stt(item, mapped, previous, following, header, carried):
                continue
        row = _Work(stt, where, mapped, raw, item.line, list(mapped.warnings))
        if not stt:
            row.warnings.insert(0, "Thiếu STT.")
        for piece, piece_raw, note in carried:
            if _fits(piece, mapped):
                _merge_into(row, piece, piece_raw)
            else:
                for key in piece.filled():
                    label = key[6:] if key.startswith("extra:") else _label_of(header, key)
                    row.mapped.extra[f"Chuyển từ dòng khác: {label}"] = piece.get(key)
            row.warnings.append(note)
        carried = []
        work.append(row)
    rows = []
    for number, item in enumerate(work, start=1):
        warnings = _dedupe(item.warnings + _row_checks(item.mapped, header))
        rows.append(SourceRow(number, item.stt, item.section, item.mapped.cells, item.mapped.extra, item.raw,
                              item.line, warnings))
    leftovers = [f"{title[:60]}: dòng mục cuối bảng có nội dung không thuộc nhiệm vụ nào: "
                 + "; ".join(piece.get(k) for k in sorted(piece.filled())) for piece, _, _ in carried]
    return Appendix(title, header.kind, header.leaves, header.columns, header.unknown, rows, len(rows)), leftovers


def _place_without_stt(item: _Item, mapped: _Mapped, previous: _Work, following: _Item | None, header: _Header,
                       carried: list[tuple[_Mapped, list[str], str]]) -> bool:
    """Place a row without STT; True if it was merged or moved, False if it stays a row of its own.

    - its STT cell is merged with the row above (docx): the same task goes on, cells joined line by line;
    - it is complete (a title and most cells): a task whose number was lost — it stays, flagged;
    - each of its cells continues the cell above, or fills an empty one: the rest of the previous row,
      cut by a page break;
    - its cells fit the empty cells of the next task row, as they are or one column to the right: they
      slipped there (the next row takes them, flagged);
    - otherwise it stays a row of its own, flagged, so that nothing is lost.
    """
    stt_at = header.position("stt")
    if item.inherited.get(stt_at if stt_at is not None else 0) is not None:
        _merge_into(previous, mapped, item.cells, "\n")
        return True
    title = mapped.cells.get(header.title_key, "")
    value_columns = sum(1 for k in header.columns if k and k != "stt")
    if title and not _starts_lower(title) and len(mapped.filled()) >= max(2, ceil(value_columns / 2)):
        return False
    filled = mapped.filled()
    if all(not previous.mapped.get(k) or _continues(previous.mapped.get(k), mapped.get(k)) for k in filled):
        _merge_into(previous, mapped, item.cells)
        previous.warnings.append(f"Dòng nối tiếp từ trang trước đã được ghép{_where(item.line)}.")
        return True
    if following is not None:
        target = _map_row(following.cells, header)
        for shift in ((0, 1) if header.kind == "tasks" else (0,)):
            cells = [""] * shift + list(item.cells)
            piece = _map_row(cells, header) if shift else mapped
            if _fits(piece, target):
                carried.append((piece, cells, f"Nghi lệch cột: các ô của dòng không có STT{_where(item.line)} đã "
                                              "được chuyển vào các ô trống của nhiệm vụ này"
                                              f"{' (lùi sang phải một cột)' if shift else ''}, cần kiểm tra."))
                return True
    mapped.warnings.append("Dòng không có STT và không ghép được với dòng trên hay dưới; nghi lệch cột, "
                           "cần kiểm tra.")
    return False


def _label_of(header: _Header, key: str) -> str:
    """The header text of a canonical column, for a warning."""
    position = header.position(key)
    return header.leaves[position] if position is not None else key


def _dedupe(notes: list[str]) -> list[str]:
    """The notes in order, each once."""
    return list(dict.fromkeys(notes))


def _row_checks(mapped: _Mapped, header: _Header) -> list[str]:
    """Warnings about a finished row: empty key cells and cells that look shifted."""
    cells = mapped.cells
    notes = []
    if header.kind == "indicators":
        if not cells.get("name"):
            notes.append("Tên chỉ tiêu trống.")
        if "responsible" in header.columns and not cells.get("responsible"):
            notes.append("Ô cơ quan chủ trì trống.")
        return notes
    title = cells.get("title", "")
    if not title:
        notes.append("Tên nhiệm vụ trống.")
    elif _agency_like(title) and len(title.split()) <= 5:
        notes.append(f"Nghi lệch cột: tên nhiệm vụ «{title}» trông như tên cơ quan.")
    if "lead" in header.columns and not cells.get("lead"):
        notes.append("Ô đơn vị chủ trì trống.")
    deadline = cells.get("deadline", "")
    if "deadline" in header.columns:
        if not deadline:
            notes.append("Ô thời hạn trống.")
        if not _deadline_like(deadline):
            for key in ("output", "collaborators", "lead", "note"):
                if key in header.columns and cells.get(key) and _deadline_like(cells[key]):
                    notes.append(f"Nghi lệch cột: ô «{_label_of(header, key)}» chứa thời hạn «{cells[key]}».")
                    break
            else:
                if deadline and (_agency_like(deadline) or len(deadline) > 120):
                    notes.append(f"Nghi lệch cột: ô thời hạn chứa «{deadline[:80]}».")
    return notes


# ---------------------------------------------------------------- the engine

@dataclass
class _Table:
    """A table being collected: its title, header and the rows that follow the header."""

    title: str
    header: _Header
    items: list[_Item]


def _single_cell(item: _Item) -> str | None:
    """The text of a row that has exactly one filled cell, else None."""
    filled = [c for c in item.cells if c.strip()]
    return filled[0] if len(filled) == 1 else None


def _appendix_title(lines: list[str], tables: list[_Table], fallback: str | None) -> tuple[str, str | None]:
    """The title of a table from the text lines above it, and a warning if its number was inferred."""
    lines = [_heading_text(line) for line in lines]
    label_at = max((i for i, line in enumerate(lines) if line and _is_label(line)), default=None)
    if label_at is not None:
        match = _LABEL.search(lines[label_at])
        label = f"Phụ lục {match.group(1).upper()}" if match.group(1) else "Phụ lục"
        pieces = [lines[label_at][match.end():].strip()]
        pieces += [line for line in lines[label_at + 1:] if line and not _is_attachment_line(line)
                   and not _is_noise(line)]
        rest = " ".join(p for p in pieces if p)[:400].strip()
        return (f"{label}: {rest}" if rest else label), None
    block: list[str] = []
    for line in reversed(lines):
        if not line:
            if block:
                break
            continue
        if _is_attachment_line(line) or _is_noise(line):
            continue
        if len(line) > 300 or len(block) >= 3:
            break
        block.insert(0, line)
    text = " ".join(block).strip()
    previous = [t.title for t in tables]
    numbered = [re.match(r"Phụ lục ([IVX]+)\b", t) for t in previous]
    if text and previous and numbered[-1] and all(numbered):
        numeral = _to_roman(_from_roman(numbered[-1].group(1)) + 1)
        return f"Phụ lục {numeral}: {text}", (f"Bảng «{text[:60]}» không ghi số phụ lục; đã suy ra "
                                              f"«Phụ lục {numeral}» theo thứ tự.")
    if text:
        return text, None
    if fallback:
        return f"Trang tính «{fallback}»", None
    return f"Bảng {len(tables) + 1}", None


def _from_roman(text: str) -> int:
    """The value of a Roman numeral ("IX" -> 9)."""
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total = 0
    for index, ch in enumerate(text):
        value = values[ch]
        total += -value if index + 1 < len(text) and values[text[index + 1]] > value else value
    return total


def _to_roman(number: int) -> str:
    """The Roman numeral of a number (9 -> "IX")."""
    pieces = ((100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, letters in pieces:
        while number >= value:
            out += letters
            number -= value
    return out


def _join_physical(row: _Item, item: _Item, width: int) -> bool:
    """Join `item` to `row` if it is the rest of the row's last cell, cut by a line break (text form)."""
    if not (row.joinable and item.joinable and row.end_line is not None and item.line == row.end_line + 1):
        return False
    cells = item.cells if item.kind == "row" else [item.text]
    first = cells[0].strip()
    if not first or _STT_START.match(first) or _is_label(first) or _is_attachment_line(first) or _is_noise(first):
        return False
    if _fold(first).startswith(("ghi chu", "noi nhan")):
        return False
    if len(row.cells) >= width or len(row.cells) + len(cells) - 1 > width:
        return False
    row.cells[-1] = f"{row.cells[-1]}\n{cells[0]}"
    row.cells.extend(cells[1:])
    row.end_line = item.end_line or item.line
    return True


def _parse(items: list[_Item]) -> ParsedDocument:
    """The document read from a stream of items."""
    tables: list[_Table] = []
    warnings: list[str] = []
    texts: list[str] = []  # every text line, in order, for the document's number, date and title
    front: list[str] = []  # the text lines before the first table
    current: _Table | None = None
    since: list[str] = []  # text lines since the last table row ("" for a blank line)
    fallback: str | None = None
    stray = 0
    index = 0
    while index < len(items):
        item = items[index]
        index += 1
        if item.kind == "break":
            current, since, fallback = None, [], item.text
            continue
        heading_pending = any(line and not _is_noise(line) for line in since)
        header = _make_header(item.cells, None) if item.kind == "row" else None
        if item.kind == "row" and header is None:
            lone = _single_cell(item)
            if lone is not None and (current is None or heading_pending or _is_label(lone)
                                     or _is_attachment_line(lone)):
                item = _Item("text", item.line, text=lone)
        if item.kind in ("text", "blank"):
            if item.kind == "text" and current and current.items and not since \
                    and _join_physical(current.items[-1], item, len(current.header.leaves)):
                continue
            since.append(item.text if item.kind == "text" else "")
            if not tables:
                front.append(item.text if item.kind == "text" else "")
            if item.kind == "text":
                texts.append(item.text)
            continue
        top = item.cells
        if header is not None:
            repeated = current is not None and (_same_header(current.header, top)
                                                or header.columns == current.header.columns)
            if repeated and not heading_pending:
                if current.header.sub and index < len(items) and items[index].kind == "row" \
                        and _same_cells(current.header.sub, items[index].cells):
                    index += 1
                since = []
                continue
            if index < len(items) and items[index].kind == "row" and _sub_header_row(top, items[index].cells):
                combined = _make_header(top, items[index].cells)
                if combined is not None:
                    header = combined
                    index += 1
            title, note = _appendix_title(since, tables, fallback)
            if note:
                warnings.append(note)
            current = _Table(title, header, [])
            tables.append(current)
            since = []
            continue
        if current is None or any(line and _is_label(line) for line in since):
            if any(c.strip() for c in item.cells):
                stray += 1
            continue
        if _numbering_row(item.cells):
            continue
        if current.items and not since and _join_physical(current.items[-1], item, len(current.header.leaves)):
            continue
        current.items.append(item)
        since = []
    if not tables:
        raise ImportFormatError(NO_HEADER)
    if stray:
        warnings.append(f"Có {stray} dòng dạng bảng nằm ngoài các bảng có tiêu đề; đã bỏ qua.")
    appendices = []
    for table in tables:
        appendix, leftovers = _finish(table.title, table.header, table.items)
        appendices.append(appendix)
        warnings.extend(leftovers + _numbering_checks(appendix))
    number, issued, title, notes = _metadata(front, texts, appendices)
    return ParsedDocument(appendices, number, issued, title, notes + warnings)


def _numbering_checks(appendix: Appendix) -> list[str]:
    """Warnings about gaps and repeats in an appendix's STT and section numbering."""
    name = appendix.title.split(":")[0] if appendix.title.startswith("Phụ lục") else f"«{appendix.title[:60]}»"
    notes = []
    if not appendix.rows:
        notes.append(f"{name}: bảng không có dòng dữ liệu.")
    numbers = [int(r.stt.rstrip(".")) for r in appendix.rows if re.fullmatch(r"\d+\.?", r.stt)]
    for before, after in zip(numbers, numbers[1:], strict=False):
        if after > before + 1:
            notes.append(f"{name}: STT nhảy từ {before} lên {after}.")
        elif after == before:
            notes.append(f"{name}: STT {after} lặp lại.")
    sections = []
    for row in appendix.rows:
        match = re.match(r"([IVX]+)\. ", row.section or "")
        if match and (not sections or sections[-1] != match.group(1)):
            sections.append(match.group(1))
    for before, after in zip(sections, sections[1:], strict=False):
        if _from_roman(after) > _from_roman(before) + 1:
            missing = ", ".join(_to_roman(n) for n in range(_from_roman(before) + 1, _from_roman(after)))
            notes.append(f"{name}: không có mục {missing} (sau mục {before} là mục {after}).")
    return notes


# ---------------------------------------------------------------- document number, date and title

_DOC_TYPES = ("ke hoach", "chuong trinh", "quyet dinh", "nghi quyet", "bao cao", "thong bao", "cong van", "de an",
              "to trinh", "huong dan", "chi thi", "ket luan", "quy che", "quy dinh")


def _date_in(folded: str) -> tuple[date | None, bool]:
    """The date after "ngày" in a folded text, and whether a date was written there at all."""
    match = re.search(r"\bngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})\b", folded) \
        or re.search(r"\bngay (\d{1,2}) (\d{1,2}) (\d{4})\b", folded)
    if not match:
        return None, False
    try:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1))), True
    except ValueError:
        return None, True


def _number_after_so(line: str) -> str | None:
    """The document number written after "số" in a line ("Kế hoạch số 266-KH/TU ngày …")."""
    found = re.search(r"\bsố\s*:?\s*(\S*)", line, re.IGNORECASE)
    match = _NUMBER.match(found.group(1)) if found else None
    return match.group(0).rstrip(".,;)") if match else None


def _metadata(front: list[str], texts: list[str], appendices: list[Appendix]
              ) -> tuple[str | None, date | None, str | None, list[str]]:
    """The document's number, date and title, with warnings when they are blank or missing."""
    notes: list[str] = []
    number = issued = title = None
    number_line = next((t for t in front[:120]
                        if re.match(r"^\s*\**\s*Số\s*[:.]?\s*(\d|/|$)", t.strip(), re.IGNORECASE)), None)
    attachment = next((t for t in texts if _is_attachment_line(_heading_text(t).strip("()*"))), None)
    if number_line is not None:
        found = _NUMBER.search(number_line)
        if found:
            number = found.group(0).rstrip(".,;")
    # a pasted list may start with the document it comes from: "Kế hoạch số 01-KH/BCĐ ngày 05/01/2026"
    first = next((t.strip() for t in front if t.strip()), "")
    naming = first if len(first) <= 160 and _fold(first).startswith(_DOC_TYPES) and " so " in _fold(first) else None
    for line in (naming, attachment):
        if number is None and line is not None:
            number = _number_after_so(line)
    if number is None:
        shown = (number_line or attachment or "").strip().strip("()*")
        notes.append(f"Số văn bản để trống («{shown[:80]}»)." if shown else "Không tìm thấy số văn bản.")

    place_line = next((t for t in front[:120]
                       if re.match(r"^[^\d,]{2,40},\s*ngày\b", t.replace("*", "").strip(), re.IGNORECASE)), None)
    written = False
    if place_line is not None:
        issued, written = _date_in(_fold(place_line))
    for line in (naming, attachment):
        if issued is None and line is not None:
            issued, written_there = _date_in(_fold(line))
            written = written or written_there
    if issued is None:
        shown = (place_line or attachment or "").strip().strip("()*")
        if shown:
            notes.append(f"Ngày ban hành để trống hoặc không đọc được («{shown[:80]}»)." if not written
                         else f"Ngày ban hành không hợp lệ («{shown[:80]}»).")
        else:
            notes.append("Không tìm thấy ngày ban hành.")

    subject = next((t for t in front[:160] if _fold(t).startswith(("v v ", "ve viec "))), None)
    if subject is not None:
        title = _heading_text(subject)
    else:
        title = _heading_title([_heading_text(t) for t in front[:160]])
    if title is None and naming is not None:
        title = naming
    if title is None and appendices:
        first = appendices[0].title
        title = first.split(":", 1)[1].strip() if first.startswith("Phụ lục") and ":" in first else first
    return number, issued, title, notes


def _heading_title(lines: list[str]) -> str | None:
    """The document's own heading ("KẾ HOẠCH HÀNH ĐỘNG" and the subject lines below it), if any."""
    label_at = next((i for i, line in enumerate(lines) if line and _is_label(line)), len(lines))
    lines = lines[:label_at]  # what follows an appendix label is the appendix's heading
    for index, line in enumerate(lines):
        letters = [ch for ch in line if ch.isalpha()]
        starts_paragraph = index == 0 or not lines[index - 1]
        if not (letters and starts_paragraph and not any(ch.islower() for ch in letters)
                and _fold(line).startswith(_DOC_TYPES)):
            continue
        pieces = [line]
        following = index + 1
        while following < len(lines) and not lines[following] and following - index <= 2:
            following += 1
        # the subject: one block of short lines (a body paragraph is one long line in a text export)
        while following < len(lines) and lines[following] and len(lines[following]) <= 150 and len(pieces) < 6 \
                and not _is_attachment_line(lines[following]):
            pieces.append(lines[following])
            following += 1
        return " ".join(pieces)
    return None


# ---------------------------------------------------------------- public readers

def read_text(text: str) -> ParsedDocument:
    """Read a text whose table rows are tab-separated lines (a document's text export)."""
    if not text or not text.strip():
        raise ImportFormatError(EMPTY_FILE)
    return _parse(_text_items(text))


def read_markdown(text: str) -> ParsedDocument:
    """Read a Markdown text whose tables are pipe tables (| TT | Tên nhiệm vụ | … |)."""
    if not text or not text.strip():
        raise ImportFormatError(EMPTY_FILE)
    return _parse(_markdown_items(text))


def _cell_text(cell: object) -> str:
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


def read_xlsx(content: bytes) -> ParsedDocument:
    """Read every sheet of an .xlsx workbook (each sheet's tables are read like a text's)."""
    from openpyxl import load_workbook  # imported here: the text readers work without the Office libraries

    if not content:
        raise ImportFormatError(EMPTY_FILE)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged file
        raise ImportFormatError(BAD_XLSX) from exc
    items: list[_Item] = []
    try:
        for sheet in workbook.worksheets:
            items.append(_Item("break", text=sheet.title))
            sheet.reset_dimensions()  # some writers declare a wrong sheet size
            for row in sheet.iter_rows():
                cells = [_cell_text(c) for c in row]
                while cells and not cells[-1].strip():
                    cells.pop()
                items.append(_Item("row", cells=cells) if cells else _Item("blank"))
    except Exception as exc:
        raise ImportFormatError(BAD_XLSX) from exc
    finally:
        workbook.close()
    if not any(i.kind == "row" for i in items):
        raise ImportFormatError(EMPTY_FILE)
    return _parse(items)


def read_docx(content: bytes) -> ParsedDocument:
    """Read every table of a .docx document, with the paragraphs around them as headings."""
    from docx import Document  # imported here: the text readers work without the Office libraries
    from docx.table import Table, _Cell

    if not content:
        raise ImportFormatError(EMPTY_FILE)
    try:
        document = Document(io.BytesIO(content))
    except Exception as exc:  # python-docx raises many kinds of errors on a damaged file
        raise ImportFormatError(BAD_DOCX) from exc
    items: list[_Item] = []
    try:
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                items.append(_Item("blank"))
                items.extend(_docx_rows(block, _Cell))
                items.append(_Item("blank"))
                continue
            for line in block.text.split("\n"):
                items.append(_Item("text", text=line) if line.strip() else _Item("blank"))
    except Exception as exc:
        raise ImportFormatError(BAD_DOCX) from exc
    return _parse(items)


def _docx_rows(table: object, cell_class: type) -> list[_Item]:
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
                text = cell_class(tc, table).text
                above[column] = text
            cells.append(text)
            cells.extend([""] * (span - 1))
            column += span
        items.append(_Item("row", cells=cells, inherited=inherited))
    return items


def _decode(content: bytes) -> str:
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


def _looks_markdown(text: str) -> bool:
    """Whether a text holds a Markdown pipe table (a |---| separator line)."""
    lines = [line.strip() for line in text.splitlines()]
    return any(line.startswith("|") and _MD_SEPARATOR.match(line) for line in lines)


def read_any(filename: str, content: bytes) -> ParsedDocument:
    """Read a file by its content (zip, text) and extension; raise ImportFormatError if it holds no table."""
    if not content or not content.strip():
        raise ImportFormatError(EMPTY_FILE)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if content.startswith(b"PK\x03\x04"):
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
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFormatError(OLD_OFFICE)
    if content.startswith(b"%PDF"):
        raise ImportFormatError(PDF_FILE)
    if extension in ("xlsx", "xlsm"):
        raise ImportFormatError(BAD_XLSX)
    if extension == "docx":
        raise ImportFormatError(BAD_DOCX)
    text = _decode(content)
    if not text.strip():
        raise ImportFormatError(EMPTY_FILE)
    if extension in ("md", "markdown") or ("\t" not in text and _looks_markdown(text)):
        return read_markdown(text)
    if extension == "csv":
        return _parse(_csv_items(text))
    return read_text(text)
