"""Assignments written in sentences — the body of a letter, a plan's "Tổ chức thực hiện" — read as proposed tasks.

Rule-based on how Vietnamese official documents assign work:

- the addressee after "Giao", "Yêu cầu", "Đề nghị" ("Giao Sở Nội vụ chủ trì, phối hợp với Công an tỉnh, …");
- the addressee as the subject, or before a colon ("- Sở Nông nghiệp và Môi trường: …");
- a heading that names the body ("1. Trách nhiệm của Ban Chỉ đạo cấp tỉnh", "6.1. Văn phòng Tỉnh ủy"): the
  bullets and paragraphs under it are that body's work;
- "phối hợp với …" names the collaborators; a deadline phrase ("hoàn thành trước ngày 15/5/2025", "định kỳ
  hằng tháng (trước ngày 20)") is kept as written, for the deadline parser.

One sentence naming several bodies gives one proposed task per body; a collective name ("Các sở, ban, ngành")
gives one task for that name. A bullet or numbered item that names no addressee — a purpose, a principle, a
general exhortation — is listed as "không phải nhiệm vụ" with its text, so that the coordinator can add it.
The sentence each proposal came from is kept verbatim (``source``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from workflows.importing.agency_names import COLLECTIVE_PATTERNS, Match
from workflows.importing.parsed import COLUMNS, Appendix, Paragraph, SourceRow
from workflows.text import ascii, fold_words

PROSE_TITLE = "Nhiệm vụ giao trong nội dung văn bản"
NOT_A_TASK = "Không phải nhiệm vụ: câu không nêu đơn vị được giao."

# Words an addressee starts with. A name that starts with one of them, in a place where the sentence
# says an addressee stands (a heading, before "chủ trì", before a colon), is read as a body even when the
# registry does not know it yet: the review list then asks about it.
_BODY_WORDS = (
    "sở", "ban", "văn phòng", "cơ quan", "ủy ban", "uỷ ban", "ubnd", "hđnd", "hội đồng", "đảng ủy", "đảng uỷ",
    "đảng đoàn", "tỉnh ủy", "thường trực", "thường vụ", "công an", "bộ chỉ huy", "báo", "đài", "mặt trận",
    "tỉnh đoàn", "đoàn", "hội", "liên đoàn", "liên hiệp", "hiệp hội", "trường", "viện", "trung tâm", "chi cục",
    "cục", "kho bạc", "ngân hàng", "bảo hiểm", "tòa án", "thanh tra", "các", "bộ", "chính phủ", "thủ tướng",
    "tổ giúp việc", "tổ công tác", "huyện ủy", "thành ủy", "thị ủy", "mttq", "ủy ban mttq", "ubmttq",
)
# People who stand for their body in an assignment ("Yêu cầu Giám đốc các sở, ngành: …").
_ROLE_WORDS = re.compile(r"^(?:giám đốc|chủ tịch|thủ trưởng|lãnh đạo|trưởng|người đứng đầu)\s+", re.IGNORECASE)
_ASSIGNING = re.compile(r"^(?:giao|yêu cầu|đề nghị|phân công)\s+(?:cho\s+)?(?!thông\b|dịch\b|lưu\b|tiếp\b)",
                        re.IGNORECASE)
_RESPONSIBILITY = re.compile(r"^(?:trách nhiệm(?:\s+của)?|nhiệm vụ\s+của)\s+", re.IGNORECASE)
_COLLECTIVES = tuple(fold_words(pattern) for pattern, _ in COLLECTIVE_PATTERNS)
# What may follow a collective name and still be part of it ("các đơn vị có liên quan", "… cấp tỉnh").
_QUALIFIERS = {"", "lien quan", "co lien quan", "cap tinh", "trong tinh", "tren dia ban tinh", "cac cap", "tinh",
               "truc thuoc", "truc thuoc tinh uy", "cap xa", "cua tinh", "cua tinh uy"}
_ROLE = re.compile(r"^chủ trì\s*(?:,\s*)?(?=\S)", re.IGNORECASE)  # "Sở X: chủ trì xây dựng …": the work is "xây dựng …"
_LEADS = re.compile(r"\s+(?:chủ trì|là cơ quan chủ trì|là đơn vị chủ trì)\b", re.IGNORECASE)
_WITH = re.compile(r"\bphối hợp (?:với|cùng)\s+", re.IGNORECASE)
# Where a subject ends and its work begins, in a sentence that opens with bodies the registry does not all know.
_SUBJECT_ENDS = re.compile(r"\s(?:định kỳ|thường xuyên|chủ động|có trách nhiệm|khẩn trương|tổ chức thực hiện|"
                           r"xây dựng|triển khai|báo cáo|thực hiện|chỉ đạo|tham mưu|phối hợp)\b", re.IGNORECASE)
# "Kính gửi:" closing a paragraph: a PDF's evenly spaced heading lines read as one paragraph ("… V/v … Kính gửi:")
_ADDRESSEES_FOLLOW = re.compile(r"\bKính gửi\s*:\s*$", re.IGNORECASE)
_ROMAN = re.compile(r"^(?P<num>[IVXLC]+)\.\s+(?P<text>.+)$")
_NUMBERED = re.compile(r"^(?P<num>\d+(?:\.\d+)*)\.?\s+(?P<text>\S.*)$")
_LETTERED = re.compile(r"^(?P<num>[a-zđ])\)\s+(?P<text>.+)$")
_BULLET = re.compile(r"^[-+•–*]\s+(?P<text>.+)$")
_FOOTNOTE = re.compile(r"^[¹²³⁴⁵⁶⁷⁸⁹⁰]")
_MARKUP = re.compile(r"\*+|_{2,}")
_END = re.compile(r"\s*(?:\./\.|\.)?\s*(?:\(Chuẩn\))?\s*$")
# Deadline phrases, searched in the sentence and handed to the deadline parser as written.
_DATE = r"\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}"
_DEADLINES = (
    re.compile(rf"\(?\s*(?:hoàn thành\s+)?(?:trước|chậm nhất(?: là)?|không muộn hơn)\s+(?:ngày\s+)?{_DATE}\s*\)?",
               re.IGNORECASE),
    re.compile(r"(?:hoàn thành\s+)?(?:trong|trước)\s+(?:tháng|quý)\s+[\dIVX]+\s*(?:/|năm)\s*\d{4}", re.IGNORECASE),
    re.compile(r"(?:hoàn thành\s+)?trong năm\s+\d{4}", re.IGNORECASE),
    re.compile(r"định kỳ\s+(?:hằng|hàng)\s+(?:tháng|quý|năm)(?:\s*\([^)]*\))?", re.IGNORECASE),
    re.compile(r"định kỳ\s+(?:theo\s+)?(?:\d+\s*tháng|quý|năm)(?:,\s*(?:\d+\s*tháng|quý|\d+\s*năm))*", re.IGNORECASE),
    re.compile(r"(?:hằng|hàng)\s+(?:tháng|quý|năm)\s*\(trước ngày[^)]*\)", re.IGNORECASE),
)


@dataclass
class Proposal:
    """One proposed task — or, without a lead, a sentence that is not one (``is_task`` False)."""

    label: str  # where it stands: "2.", "6.1 - 2" (the second bullet under 6.1)
    section: str | None  # the heading path it stands under
    lead: str  # the addressee as written ("" for a sentence that assigns nothing)
    collaborators: str  # as written
    what: str  # the work asked, cleaned
    deadline: str  # the deadline phrase as written, or ""
    source: str  # the paragraph verbatim
    line: int | None
    is_task: bool = True
    notes: list[str] = field(default_factory=list)
    page: int | None = None  # PDF: the page of its paragraph
    confidence: int | None = None  # read from a scan by OCR


class _Reader:
    """Walks the paragraphs once, keeping the headings above the current one and the body they name."""

    def __init__(self, sure: Callable[[str], Match | None]) -> None:
        self.sure = sure  # one piece → the registry's answer when it needs no guess (``AgencyMatcher.sure``)
        self.headings: list[tuple[int, str, str]] = []  # (level, heading text, body it names or "")
        self.counts: dict[str, int] = {}
        self.proposals: list[Proposal] = []
        self.in_addressees = False

    # ---- the document's structure

    def read(self, paragraphs: list[Paragraph]) -> list[Proposal]:
        for p in paragraphs:
            self._paragraph(p)
        return self.proposals

    def _paragraph(self, p: Paragraph) -> None:
        text = _MARKUP.sub("", p.text).strip()
        if not text or _FOOTNOTE.match(text):
            return
        if fold_words(text).startswith("kinh gui") or _ADDRESSEES_FOLLOW.search(text):
            self.in_addressees = True  # the bullets that follow are the addressees of the letter
            return
        bullet = _BULLET.match(text)
        if self.in_addressees and bullet:
            return
        self.in_addressees = False
        if bullet:  # labelled by its place under the heading: "6.1 - 2", the second bullet under 6.1
            self._candidate(p, bullet["text"], "")
            return
        numbered = _ROMAN.match(text) or _NUMBERED.match(text) or _LETTERED.match(text)
        if numbered:
            self._numbered(p, numbered["num"], numbered["text"])
        elif self._context() or _ASSIGNING.match(text):
            self._candidate(p, text, "")

    def _numbered(self, p: Paragraph, number: str, text: str) -> None:
        level = (0 if re.fullmatch(r"[IVXLC]+", number) else 9 if re.fullmatch(r"[a-zđ]", number)
                 else number.count(".") + 1)
        label, _, content = text.partition(":")
        if _ASSIGNING.match(text) or (not _is_heading(text) and not (content.strip() and _is_heading(label))):
            self._set_heading(level, number, "", "")
            self._candidate(p, text, number)
            return
        if content.strip() and _is_heading(label):  # "9.1. Chế độ thông tin, báo cáo: Các huyện … báo cáo …"
            self._set_heading(level, f"{number}. {label.strip()}", "", "")
            self._candidate(p, content.strip(), number, labelled=True)
            return
        self._set_heading(level, f"{number}. {text}", self._heading_body(text), number)

    def _set_heading(self, level: int, heading: str, body: str, number: str) -> None:
        self.headings = [h for h in self.headings if h[0] < level]
        if heading and (body or number):
            self.headings.append((level, heading, body))

    def _heading_body(self, text: str) -> str:
        """The body a heading names ("Trách nhiệm của Văn phòng Tỉnh ủy" → "Văn phòng Tỉnh ủy"), or ""."""
        name = _RESPONSIBILITY.sub("", text).strip().rstrip(":.")
        if _RESPONSIBILITY.match(text) or self._is_bodies(name):
            return name
        return ""

    def _context(self) -> str:
        return next((body for _, _, body in reversed(self.headings) if body), "")

    def _section(self) -> str | None:
        return " › ".join(h for _, h, _ in self.headings) or None

    # ---- one candidate sentence

    def _candidate(self, p: Paragraph, text: str, number: str, labelled: bool = False) -> None:
        lead, what = self._addressee(text, labelled)
        if not lead:
            lead = self._context()
        collaborators, what = self._collaborators(what)
        section = self._section()
        heading = self.headings[-1][1] if self.headings else ""
        self.counts[heading] = self.counts.get(heading, 0) + 1  # items counted under each heading
        label = number or f"{heading.split(' ', 1)[0].rstrip('.')} - {self.counts[heading]}".lstrip()
        what = _clean(what)
        deadline = _deadline(text)
        if not lead:
            self.proposals.append(Proposal(label, section, "", "", what, deadline, p.text, p.line, is_task=False,
                                           notes=[NOT_A_TASK], page=p.page, confidence=p.confidence))
            return
        leads = self._split(lead)
        for k, one in enumerate(leads, start=1):
            self.proposals.append(Proposal(label if len(leads) == 1 else f"{label} ({k})", section, one,
                                           collaborators, what, deadline, p.text, p.line, page=p.page,
                                           confidence=p.confidence))

    def _addressee(self, text: str, labelled: bool = False) -> tuple[str, str]:
        """(the addressee as written, the rest of the sentence) — ("", text) when the sentence names none. After
        "Giao", "Yêu cầu", "Đề nghị" or a label ("Chế độ báo cáo: …") the sentence opens with its subject."""
        assigning = _ASSIGNING.match(text)
        body = text[assigning.end():] if assigning else text
        body = _ROLE_WORDS.sub("", body)
        leads = _LEADS.search(body[:200].split(":")[0])
        if leads and self._is_bodies(body[:leads.start()]):  # "Giao Sở Nội vụ chủ trì, phối hợp …"
            return body[:leads.start()].strip(), body[leads.end():].lstrip(" ,")
        lead, rest = self._list_prefix(body, bare=bool(assigning) or labelled) or self._subject(body) or ("", text)
        return lead, _ROLE.sub("", rest) if lead else rest

    def _subject(self, text: str) -> tuple[str, str] | None:
        """Bodies the registry knows as the sentence's subject, its work right after them: "Công an tỉnh phối hợp
        với Sở Y tế triển khai …", "UBND các xã, phường chỉ đạo …" (the work keeps its "phối hợp với …")."""
        act = _SUBJECT_ENDS.search(text[:300])
        head = text[:act.start()].strip(" ,") if act else ""
        return (head, text[act.start():].strip()) if head and self._all_known(head) else None

    def _list_prefix(self, text: str, bare: bool) -> tuple[str, str] | None:
        """A list of bodies opening the sentence before a colon ("Sở Y tế, Sở Giáo dục và Đào tạo: …", "các sở,
        ngành: Khoa học và Công nghệ, Nội vụ, Công an tỉnh, khẩn trương …") — or, right after "Giao", "Yêu cầu",
        "Đề nghị" (``bare``), without one: the longest run of names the registry knows."""
        head, colon, tail = text.partition(":")
        if colon and len(head.split()) <= 25:
            shared = _shared_list(head, tail, self._all_known)  # "các sở, ngành: A, B, C, <the work>"
            if shared:
                return shared
            if self._is_bodies(head):
                return head.strip(), tail.strip()
        if not bare:
            return None
        words = text.split()
        for k in range(min(len(words), 16), 0, -1):
            prefix = " ".join(words[:k]).rstrip(",;")
            if self._all_known(prefix):
                return prefix, " ".join(words[k:]).lstrip(",; ")
        subject = _SUBJECT_ENDS.search(text[:400])
        if subject and _starts_like_body(" ".join(text[:subject.start()].split()[:3])):
            # a list of bodies the registry does not all know, then its verb: "Các huyện, thị, thành ủy, …, các
            # ban, sở, ngành … định kỳ hằng tháng … báo cáo …"
            return text[:subject.start()].strip(" ,"), text[subject.start():].strip()
        return None

    def _collaborators(self, text: str) -> tuple[str, str]:
        """(the collaborators "phối hợp với …" names, the rest of the sentence without them)."""
        found = _WITH.search(text[:300])
        if not found:
            return "", text
        after = text[found.end():]
        words = after.split()
        for k in range(min(len(words), 20), 0, -1):
            prefix = " ".join(words[:k]).rstrip(",;")
            if self._all_known(prefix):
                rest = " ".join(words[k:]).lstrip(",; ")
                return prefix, (text[:found.start()].rstrip(" ,") + (", " if text[:found.start()].strip() else "")
                                + rest).strip(" ,")
        return "", text

    def known(self, piece: str) -> Match | None:
        """The registry's answer for one piece when it is sure and tight: a name or alias, or a collective name
        followed by nothing but a qualifier ("các đơn vị có liên quan") — never a guess from a few letters, nor
        a collective name that swallowed the words of the sentence after it."""
        piece = piece.strip()
        if not piece:
            return None
        found = self.sure(piece)
        if found is None:
            return None
        if found.kind in ("exact", "alias"):
            return found
        if found.kind != "group":
            return None
        folded = fold_words(piece)
        cores = [c for c in _COLLECTIVES if folded == c or folded.startswith(c + " ")]
        return found if cores and folded[len(max(cores, key=len)):].strip() in _QUALIFIERS else None

    def _split(self, lead: str) -> list[str]:
        """One addressee per body named — unless a piece is neither a name nor a body, then the whole phrase
        (a collective name that its own commas cut, "các huyện, thị, thành ủy", stays one)."""
        pieces = self._pieces(lead)
        if len(pieces) > 1 and all(self.known(p) is not None or _starts_like_body(p) for p in pieces):
            return pieces
        return [lead.strip()]

    def _pieces(self, text: str) -> list[str]:
        """The names of a list: split at commas and semicolons — except inside a name the registry knows
        ("Sở Văn hóa, Thể thao và Du lịch") — and at "và" where both sides are names."""
        parts = [p for p in re.split(r"\s*[,;]\s*", text.strip()) if p]
        pieces: list[str] = []
        i = 0
        while i < len(parts):
            joined = next((k for k in range(min(len(parts), i + 4), i + 1, -1)
                           if self.known(", ".join(parts[i:k])) is not None), None)
            if joined:
                pieces.append(", ".join(parts[i:joined]))
                i = joined
                continue
            piece = parts[i]
            left, sep, right = piece.partition(" và ")
            if self.known(piece) is None and sep and self.known(left) is not None \
                    and (self.known(right) is not None or _starts_like_body(right)):
                pieces += [left, right]
            else:
                pieces.append(piece)
            i += 1
        return pieces

    def _is_bodies(self, text: str) -> bool:
        """Whether ``text`` is one or more bodies: each piece known, or starting with a word bodies start with."""
        pieces = self._pieces(text)
        if not pieces or len(text.split()) > 30:
            return False
        return all(self.known(p) is not None or _starts_like_body(p) for p in pieces)

    def _all_known(self, text: str) -> bool:
        pieces = self._pieces(text)
        return bool(pieces) and all(self.known(p) is not None for p in pieces)


def _shared_list(head: str, tail: str, known: Callable[[str], bool]) -> tuple[str, str] | None:
    """"các sở, ngành: Khoa học và Công nghệ, Nội vụ, Công an tỉnh, khẩn trương …": the items after the colon
    that the registry knows, read with the head's kind ("Sở …") or alone; the sentence goes on after the last
    one. The addressee comes back as the bodies' full names, one per ";"."""
    kind = fold_words(head).split()
    if not kind or kind[0] != "cac" or len(head.split()) < 2:
        return None
    noun = head.split()[1].rstrip(",").capitalize()
    items = [i.strip() for i in tail.split(",")]
    taken = []
    for item in items:
        if not item or len(item.split()) > 8:
            break
        if known(f"{noun} {item}"):
            taken.append(f"{noun} {item}")
        elif known(item):
            taken.append(item)
        else:
            break
    if not taken:
        return None
    return "; ".join(taken), ", ".join(items[len(taken):]).strip()


def _starts_like_body(text: str) -> bool:
    """Whether a name starts with a word bodies start with (diacritics kept: "Báo" is a body, "Bảo đảm" is not)."""
    lowered = " ".join(text.lower().split())
    return any(lowered == w or lowered.startswith(w + " ") for w in _BODY_WORDS) and len(text.split()) <= 16


def _is_heading(text: str) -> bool:
    """A heading, not a sentence: short (a "Trách nhiệm của …" heading may be long), no full stop, no sentence
    punctuation inside."""
    text = text.strip()
    short = len(text.split()) <= 18 or bool(_RESPONSIBILITY.match(text))
    return bool(text) and short and not text.endswith(".") and ";" not in text


def _clean(text: str) -> str:
    text = _END.sub("", text.strip(" ,;"))
    return text[:1].upper() + text[1:]


_PLAIN_DEADLINES = tuple(re.compile(ascii(p.pattern), p.flags) for p in _DEADLINES)


def _deadline(text: str) -> str:
    """The first deadline phrase of the sentence, as written (with its accents or, typed without, without), or
    ""."""
    found = [m for pattern in _DEADLINES for m in pattern.finditer(text)]
    plain = ascii(text)
    if not found and len(plain) == len(text):  # one letter for one: the places found are the sentence's
        found = [m for pattern in _PLAIN_DEADLINES for m in pattern.finditer(plain)]
    if not found:
        return ""
    first = min(found, key=lambda m: m.start())
    phrase = text[first.start():first.end()].strip(" *")
    if phrase.startswith("(") and (phrase.endswith(")") or ")" not in phrase):
        phrase = phrase[1:]
    if phrase.endswith(")") and phrase.count(")") > phrase.count("("):
        phrase = phrase[:-1]
    return phrase.strip(" *")


def extract(paragraphs: list[Paragraph], sure: Callable[[str], Match | None]) -> list[Proposal]:
    """Every assignment the paragraphs make, and every list item that makes none, in order; ``sure`` is the
    registry's answer for one piece of text when it needs no guess (``AgencyMatcher.sure``)."""
    return _Reader(sure).read(paragraphs)


NO_DEADLINE = ("Câu giao việc không nêu thời hạn: tạm hiểu là “Thường xuyên”. Nếu cần một hạn cụ thể, nhập ở "
               "“Sửa dòng này”.")


def appendix(paragraphs: list[Paragraph], sure: Callable[[str], Match | None]) -> Appendix | None:
    """The assignments of a document's body as one appendix of kind "prose" (None when the body assigns nothing):
    a row per proposed task, its cells as a table row's would be, the sentence verbatim as its source; then a row
    per sentence that is not a task (``assigns`` False), which the coordinator may add back by naming its lead.
    A task without a deadline phrase reads as "Thường xuyên", with a warning."""
    proposals = extract(paragraphs, sure)
    if not any(p.is_task for p in proposals):
        return None
    ordered = [p for p in proposals if p.is_task] + [p for p in proposals if not p.is_task]
    rows = []
    for number, p in enumerate(ordered, start=1):
        cells = dict.fromkeys(COLUMNS, "")
        cells.update(stt=p.label, title=p.what, lead=p.lead, collaborators=p.collaborators,
                     deadline=p.deadline or "Thường xuyên")
        warnings = list(p.notes) + ([] if p.deadline else [NO_DEADLINE])
        rows.append(SourceRow(number, p.label, p.section, cells, {}, [p.source], p.line, warnings, p.is_task,
                              pages=(p.page,) if p.page else (), confidence=p.confidence))
    return Appendix(PROSE_TITLE, "prose", [], [], [], rows, len(rows))
