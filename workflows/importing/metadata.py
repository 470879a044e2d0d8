"""What identifies a document — its number, issue date and title — read from the text lines before its
tables, with a warning for each one that is blank or missing."""

from __future__ import annotations

import re
from datetime import date

from workflows.importing.cell_text import heading_text, is_attachment_line, is_label
from workflows.importing.parsed import Appendix
from workflows.text import fold_words

_DOC_TYPES = ("ke hoach", "chuong trinh", "quyet dinh", "nghi quyet", "bao cao", "thong bao", "cong van", "de an",
              "to trinh", "huong dan", "chi thi", "ket luan", "quy che", "quy dinh")
_NUMBER = re.compile(r"\d+[0-9A-Za-zĐđ]*(?:[-/.][0-9A-Za-zĐđ&]+)*/[0-9A-Za-zĐđ&\-/.]+"  # 3130/UBND-VX, 266-KH/TU
                     r"|\d+-[A-Za-zĐđ][0-9A-Za-zĐđ&\-/.]*")


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


def _spaces_closed(text: str) -> str:
    """A number typed with spaces in it, closed up: "125 / KH - UBND" -> "125/KH-UBND".

    Spaces around "/" always go; around "-" only before a code in capitals ("KH - UBND", "266 - KH/TU"), so
    that "12/KH-UBND - V/v …" keeps the subject apart.
    """
    text = re.sub(r"\s*/\s*", "/", text)
    return re.sub(r"(?<=[0-9A-ZĐ])\s*-\s*(?=[A-ZĐ]{2,}\b)", "-", text)


def _number_after_so(line: str) -> str | None:
    """The document number written after "số" in a line ("Kế hoạch số 266-KH/TU ngày …")."""
    found = re.search(r"\bsố\s*:?\s*(.*)", line, re.IGNORECASE)
    match = _NUMBER.match(_spaces_closed(found.group(1))) if found else None
    return match.group(0).rstrip(".,;)") if match else None


def document_identity(front: list[str], texts: list[str], appendices: list[Appendix]
                      ) -> tuple[str | None, date | None, str | None, list[str]]:
    """The document's number, date and title, with warnings when they are blank or missing.

    `front` holds the text lines before the first table, `texts` every text line of the document.
    """
    notes: list[str] = []
    attachment = next((t for t in texts if is_attachment_line(heading_text(t).strip("()*"))), None)
    # a pasted list may start with the document it comes from: "Kế hoạch số 01-KH/BCĐ ngày 05/01/2026"
    first = next((t.strip() for t in front if t.strip()), "")
    folded = fold_words(first, ascii_only=True)
    naming = first if len(first) <= 160 and folded.startswith(_DOC_TYPES) and " so " in folded else None
    number = _number(front, naming, attachment, notes)
    issued = _issued(front, naming, attachment, notes)
    return number, issued, _title(front, naming, appendices), notes


def _number(front: list[str], naming: str | None, attachment: str | None, notes: list[str]) -> str | None:
    """The number on the "Số: …" line of the letterhead, else the one a naming or attachment line gives."""
    number = None
    number_line = next((t for t in front[:120]
                        if re.match(r"^\s*\**\s*Số\s*[:.]?\s*(\d|/|$)", t.strip(), re.IGNORECASE)), None)
    if number_line is not None:
        found = _NUMBER.search(_spaces_closed(number_line))
        if found:
            number = found.group(0).rstrip(".,;")
    for line in (naming, attachment):
        if number is None and line is not None:
            number = _number_after_so(line)
    if number is None:
        shown = (number_line or attachment or "").strip().strip("()*")
        notes.append(f"Số văn bản để trống («{shown[:80]}»)." if shown else "Không tìm thấy số văn bản.")
    return number


def _issued(front: list[str], naming: str | None, attachment: str | None, notes: list[str]) -> date | None:
    """The date on the "Place, ngày … tháng … năm …" line, else the one a naming or attachment line gives."""
    issued = None
    place_line = next((t for t in front[:120]
                       if re.match(r"^[^\d,]{2,40},\s*ngày\b", t.replace("*", "").strip(), re.IGNORECASE)), None)
    written = False
    if place_line is not None:
        issued, written = _date_in(fold_words(place_line, ascii_only=True))
    for line in (naming, attachment):
        if issued is None and line is not None:
            issued, written_there = _date_in(fold_words(line, ascii_only=True))
            written = written or written_there
    if issued is None:
        shown = (place_line or attachment or "").strip().strip("()*")
        if shown:
            notes.append(f"Ngày ban hành để trống hoặc không đọc được («{shown[:80]}»)." if not written
                         else f"Ngày ban hành không hợp lệ («{shown[:80]}»).")
        else:
            notes.append("Không tìm thấy ngày ban hành.")
    return issued


def _title(front: list[str], naming: str | None, appendices: list[Appendix]) -> str | None:
    """The subject line ("V/v …"), else the document's heading, its naming line, or its first appendix's title."""
    subject = next((t for t in front[:160] if fold_words(t, ascii_only=True).startswith(("v v ", "ve viec "))), None)
    if subject is not None:
        title = heading_text(subject)
    else:
        title = _heading_title([heading_text(t) for t in front[:160]])
    if title is None and naming is not None:
        title = naming
    if title is None and appendices:
        first = appendices[0].title
        title = first.split(":", 1)[1].strip() if first.startswith("Phụ lục") and ":" in first else first
    return title


def _heading_title(lines: list[str]) -> str | None:
    """The document's own heading ("KẾ HOẠCH HÀNH ĐỘNG" and the subject lines below it), if any."""
    label_at = next((i for i, line in enumerate(lines) if line and is_label(line)), len(lines))
    lines = lines[:label_at]  # what follows an appendix label is the appendix's heading
    for index, line in enumerate(lines):
        letters = [ch for ch in line if ch.isalpha()]
        starts_paragraph = index == 0 or not lines[index - 1]
        if not (letters and starts_paragraph and not any(ch.islower() for ch in letters)
                and fold_words(line, ascii_only=True).startswith(_DOC_TYPES)):
            continue
        pieces = [line]
        following = index + 1
        while following < len(lines) and not lines[following] and following - index <= 2:
            following += 1
        # the subject: one block of short lines (a body paragraph is one long line in a text export)
        while following < len(lines) and lines[following] and len(lines[following]) <= 150 and len(pieces) < 6 \
                and not is_attachment_line(lines[following]):
            pieces.append(lines[following])
            following += 1
        return " ".join(pieces)
    return None
