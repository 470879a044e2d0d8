"""What the reader makes of one cell or line of text: plain text out of extracted markup, and what a text
looks like (a deadline, an agency, an appendix label, a page number, a Roman numeral)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html.parser import HTMLParser

from workflows.text import fold, fold_words

_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|<!--")
_BULLET = re.compile(r"^\s*(?:[-+•–*]|\u2022)\s+")
_INLINE_ITEM = re.compile(r"\s+-\s+(?=[A-ZĐÀ-ỸÁẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬÉÈẺẼẸÊẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÚÙỦŨỤƯỨỪỬỮỰÝỲỶỸỴ(\d])")

_DEADLINE = re.compile(
    r"\b(\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}/\d{4}|thang \d{1,2}\b|quy [ivx1-4]+\b|nam \d{4}|thuong xuyen|"
    r"hang (nam|thang|quy|tuan)|da hoan thanh)")
# the first words of agency names; the verbs and nouns that begin task texts the same way are left out
_AGENCY = re.compile(
    r"^(so (?!hoa|lieu|luong|huu|do)|cong an|van phong|ban (?!hanh)|ubnd|hdnd|uy ban|cap uy|ngan hang|bao hiem|"
    r"cac (so|ban|co quan|don vi|dia phuong|cap uy|dang uy|xa|doanh nghiep|truong|hoi)\b|tinh uy|dang uy|mttq|"
    r"truong (dai hoc|cao dang)|bo (chi huy|cong an|quoc phong)|lien hiep|hoi (nong dan|phu nu|lien hiep)|"
    r"vien |dai phat thanh|thanh tra|kho bac|chi cuc|cuc |to giup viec)")

# Words a text never ends on: a cell ending on one was cut ("Kế hoạch số 07-KH/BCĐ ngày 10/04/2026 của" |
# "Ban Chỉ đạo tỉnh"). With their accents: folded, "tư" of "đầu tư" or "vệ" of "bảo vệ" would read as one.
_OPEN_ENDINGS = frozenset({"của", "và", "với", "cho", "các", "những", "về", "trong", "tại", "để", "đến", "từ",
                           "hoặc", "nhằm", "gồm", "là", "được", "bằng", "thuộc", "giữa"})

# a text ending on the mark of its next item: "(1) Tháng 6/2025; (2)" | "Tháng 10/2025"
_LIST_MARK_END = re.compile(r"(?:^|\s)\(?(?:\d{1,2}|[a-zđ])\)\s*$")

LABEL = re.compile(r"\bph[uụủúùũ]\s+l[uụủúùũ]c\b(?:\s+([IVXLC]+|\d+)\b)?\s*[:.\-–]?\s*", re.IGNORECASE)


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


def clean_cell(text: str) -> tuple[str, tuple[str, ...]]:
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


def join_cell(first: str, second: str) -> str:
    """Two pieces of one cell split by a page break, joined with a space or as a new list line."""
    if not first:
        return second
    if not second:
        return first
    return first + ("\n" if second.startswith("- ") else " ") + second


def deadline_like(text: str) -> bool:
    """Whether a short cell reads as a deadline ("Tháng 6/2025", "31/3/2026", "Thường xuyên")."""
    plain = fold(text)
    if not plain or len(plain.split()) > 8 or re.search(r"\bso\s*:?\s*\d", plain):  # "số 12/KH": a document
        return False
    return bool(_DEADLINE.search(plain))


def agency_like(text: str) -> bool:
    """Whether a cell reads as the name of an agency rather than a value or a task."""
    folded = fold_words(text, ascii_only=True)
    return bool(_AGENCY.match(folded)) and "%" not in text and not re.search(r"\d", folded)


def starts_lower(text: str) -> bool:
    """Whether the first letter of a text is lower-case (the text goes on a sentence)."""
    for ch in text:
        if ch.isalpha():
            return ch.islower()
        if not ch.isspace():
            return False
    return False


def continues(before: str, after: str) -> bool:
    """Whether `after` reads as the rest of a cell text `before` cut by a page break."""
    after = after.lstrip()
    if not after:
        return True
    if starts_lower(after) or after[0] in "(),.;:…/" or after[0].isdigit():
        return True
    if after.startswith("- ") and before.lstrip().startswith("- "):  # the next item of a list
        return True
    words = before.split()
    return before.rstrip()[-1:] in (",", ";", ":", "-", "–", "/", "(") or bool(_LIST_MARK_END.search(before)) \
        or bool(words) and unicodedata.normalize("NFC", words[-1].lower()) in _OPEN_ENDINGS


def sentence_ended(text: str) -> bool:
    """Whether a text ends a sentence ("… phê duyệt."), so that what follows it starts another."""
    return text.rstrip()[-1:] in (".", "!", "?")


def is_label(text: str) -> bool:
    """Whether a line is an appendix label: "Phụ lục", "PHỤ LỤC II", "Phụ lục II: DANH MỤC …"."""
    folded = fold_words(text, ascii_only=True)
    return "phu luc" in folded and (folded.startswith("phu luc") or len(folded) <= 40) and bool(LABEL.search(text))


def is_noise(text: str) -> bool:
    """Page numbers and footnote lines, which may sit between two pages of one table."""
    stripped = text.strip().strip("*").strip()
    return not stripped or bool(re.fullmatch(r"[-–\s]*(trang\s*)?\d{1,3}[-–\s]*", stripped, re.IGNORECASE)) \
        or stripped[0] in "¹²³⁴⁵⁶⁷⁸⁹⁰"


def is_attachment_line(text: str) -> bool:
    """Whether a line is "(Kèm theo …)" or "(Ban hành kèm theo …)", which names the parent document."""
    folded = fold_words(text, ascii_only=True)
    return folded.startswith(("kem theo", "ban hanh kem theo"))


def heading_text(text: str) -> str:
    """A heading line without Markdown marks."""
    text = text.strip().lstrip("#>").strip().replace("**", "").replace("__", "")
    return " ".join(text.split())


def from_roman(text: str) -> int:
    """The value of a Roman numeral ("IX" -> 9)."""
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total = 0
    for index, ch in enumerate(text):
        value = values[ch]
        total += -value if index + 1 < len(text) and values[text[index + 1]] > value else value
    return total


def to_roman(number: int) -> str:
    """The Roman numeral of a number (9 -> "IX")."""
    pieces = ((100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, letters in pieces:
        while number >= value:
            out += letters
            number -= value
    return out
