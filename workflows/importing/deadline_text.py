"""Read the free-text deadline column of an assigning document ("Thời gian hoàn thành").

Pure functions, no database. A period resolves to its last day (Civil Code 2015, art. 146-148)
and a due date on a weekend or holiday moves to the next working day; both dates are kept.
Whatever the parser does not understand is returned in ``Deadline.unparsed`` so that a person
can fix it, and parsing never raises on bad input.

Matching runs on a *folded* copy of the text (``text.fold_chars``: lower case, diacritics removed,
đ -> d) that has the same length as the cleaned text, so "Tháng", "THÁNG", "Thang" and "Qúy" all match
while the spans still point into the text the user wrote.
"""

from __future__ import annotations

import calendar as _gregorian
import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from workflows.text import fold_chars
from workflows.workdays import DEFAULT_CALENDAR, HolidayCalendar

RECURRENCES = (None, "ongoing", "weekly", "monthly", "quarterly", "half_yearly", "yearly")

MIN_YEAR, MAX_YEAR = 1900, 2999  # anything else is a typo; also keeps date arithmetic far from date.max
ROMAN_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


@dataclass
class Milestone:
    """One dated step of a task, labelled by the output it delivers (or the verb before it)."""

    due: date | None
    label: str


@dataclass
class Deadline:
    """What a deadline cell says: the due dates, a recurrence, and the part not understood."""

    raw: str
    nominal_due: date | None  # what the text says (a period resolves to its last day)
    effective_due: date | None  # nominal_due rolled forward to the next working day
    recurrence: str | None
    milestones: list[Milestone] = field(default_factory=list)
    done_at_issue: bool = False  # "Đã hoàn thành", "(Đã thực hiện)"
    unparsed: str = ""  # the part of the text not understood ("" when all was understood)

    @property
    def needs_review(self) -> bool:
        """Return True when a person should look at the cell: something was not understood or nothing was."""
        understood_nothing = self.nominal_due is None and self.recurrence is None and not self.done_at_issue
        return bool(self.unparsed) or understood_nothing

    def to_json(self) -> dict:
        """Return the deadline as a JSON-ready dict with dates written as YYYY-MM-DD."""
        return {
            "raw": self.raw,
            "nominal_due": _iso(self.nominal_due),
            "effective_due": _iso(self.effective_due),
            "recurrence": self.recurrence,
            "milestones": [{"due": _iso(m.due), "label": m.label} for m in self.milestones],
            "done_at_issue": self.done_at_issue,
            "unparsed": self.unparsed,
        }


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


# --- text clean-up ---------------------------------------------------------------------------

_TAG = re.compile(r"<[^<>]*>")
_LINE_TAG = re.compile(r"<\s*(?:br|/?p|/?li|/?ul|/?ol|/?div|/?tr)\b[^<>]*>", re.IGNORECASE)
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")


def _lines(text: str) -> str:
    """Unescape HTML, turn block tags into newlines, drop other tags, normalise to NFC."""
    text = html.unescape(text)
    text = _LINE_TAG.sub("\n", text)
    text = _TAG.sub(" ", text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("Ð", "Đ").replace("ð", "đ")  # Icelandic eth, a common OCR stand-in for Đ
    return _INVISIBLE.sub("", text)


def clean_text(text: str | None) -> str:
    """Return ``text`` without HTML, in NFC, with every run of whitespace (newlines too) made one space."""
    return _SPACES.sub(" ", _lines(text or "")).strip()


# --- patterns (on folded text) ---------------------------------------------------------------

_W = r"(?<![\w])"  # start of a word
_YEAR = r"(?P<y>[0-9]{4})(?![0-9])"
_YEAR_JOIN = r"(?:\s*[/.\-]\s*|\s*,?\s*nam\s*|\s+)"
_LABEL = r"(?:(?P<label>phat dong|khoi dong|trien khai|ban hanh|to chuc|so ket|tong ket)\s+)?"
_PERIOD_PREFIX = _LABEL + r"(?:hoan thanh\s+)?(?:(?:trong|vao|cuoi|het|den het)\s+)?"
_DATE_PREFIX = (_LABEL + r"(?:hoan thanh\s+)?"
                r"(?:(?:truoc|cham nhat|muon nhat|den|den het|trong)\s+(?:la\s+)?)?(?:vao\s+)?(?:ngay\s+)?")

_TEMPORAL = (
    ("date", _W + _DATE_PREFIX + r"(?P<d>[0-9]{1,2})\s+thang\s+(?P<m>[0-9]{1,2})\s*,?\s*nam\s+" + _YEAR),
    ("date", _W + _DATE_PREFIX + r"(?<![0-9])(?P<d>[0-9]{1,2})\s*(?P<sep>[/.\-])\s*(?P<m>[0-9]{1,2})\s*(?P=sep)\s*"
     + _YEAR + r"(?!\s*/\s*[0-9])"),
    ("half", _W + _PERIOD_PREFIX + r"(?:(?:6|sau)\s+thang|nua)\s+(?P<part>dau|cuoi)\s+nam(?:\s*" + _YEAR + ")?"),
    ("quarter", _W + _PERIOD_PREFIX + r"quy\s*(?P<q>iv|i{1,3}|[1-4])(?![a-z0-9])" + _YEAR_JOIN + _YEAR),
    ("month", _W + _PERIOD_PREFIX + r"thang\s*(?P<m>[0-9]{1,2})" + _YEAR_JOIN + _YEAR),
    ("year", _W + _PERIOD_PREFIX + r"nam\s*" + _YEAR),
)
_RECURRING = (
    ("ongoing", _W + r"(?:nhiem vu\s+)?(?:thuc hien\s+)?thuong xuyen(?:\s*,?\s*lien tuc)?(?!\w)"),
    ("half_yearly", _W + r"(?:dinh ky\s+(?:6|sau)\s+thang(?:\s+(?:mot|1)\s+lan)?|(?:6|sau)\s+thang\s+(?:mot|1)\s+lan)"
     r"(?!\w)"),
    ("yearly", _W + r"(?:(?:dinh ky\s+)?hang\s+nam|thuong nien)(?!\w)"),
    ("quarterly", _W + r"(?:dinh ky\s+)?hang\s+quy(?!\w)"),
    ("monthly", _W + r"(?:dinh ky\s+)?hang\s+thang(?!\w)"),
    ("weekly", _W + r"(?:dinh ky\s+)?hang\s+tuan(?!\w)"),
)
_DONE = ("done", r"\(?\s*" + _W + r"da\s+(?:hoan thanh|thuc hien)(?!\w)\s*\)?")

# Order breaks ties between matches that start at the same place and have the same length.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern)) for kind, pattern in (_DONE, *_TEMPORAL, *_RECURRING))

# Leftovers made only of these are list punctuation between understood items, not unparsed text.
_CONNECTORS = re.compile(
    r"(?:[\s;,.:+*/&•\-–—]|\(\s*[0-9]{1,2}\s*\)|(?<!\w)[0-9]{1,2}\)|(?<!\w)(?:va|sau do|tiep theo)(?!\w))*")
_EDGE_PUNCTUATION = " ;,.:+*/&•-–—"


# --- parsing ---------------------------------------------------------------------------------

@dataclass
class _Found:
    """One understood piece of the text, with its place in it."""

    kind: str
    start: int
    end: int
    due: date | None = None
    label: str = ""


def _valid_date(year: int, month: int, day: int) -> date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def month_end(year: int, month: int) -> date | None:
    """Return the last day of a month, or None when the month or year is not valid."""
    if not (1 <= month <= 12 and MIN_YEAR <= year <= MAX_YEAR):
        return None
    return date(year, month, _gregorian.monthrange(year, month)[1])


def quarter_end(year: int, quarter: int) -> date | None:
    """Return the last day of a quarter (1-4), or None when it is not valid."""
    return month_end(year, quarter * 3) if 1 <= quarter <= 4 else None


def _due_of(kind: str, match: re.Match[str], issued: date | None) -> date | None:
    """Return the date a temporal match stands for, or None when the numbers make no date."""
    groups = match.groupdict()
    year = int(groups["y"]) if groups.get("y") else (issued.year if issued else None)
    if year is None:
        return None
    if kind == "date":
        return _valid_date(year, int(groups["m"]), int(groups["d"]))
    if kind == "month":
        return month_end(year, int(groups["m"]))
    if kind == "quarter":
        q = groups["q"]
        return quarter_end(year, int(q) if q.isdigit() else ROMAN_QUARTERS[q])
    if kind == "half":
        return month_end(year, 6 if groups["part"] == "dau" else 12)
    return month_end(year, 12)  # "year"


def _scan(text: str, folded: str, issued: date | None) -> list[_Found]:
    """Find the understood pieces left to right; at one place the longest match wins."""
    found: list[_Found] = []
    # the next match of every pattern, searched again only once the scan has passed its start
    upcoming = [pattern.search(folded) for _, pattern in _PATTERNS]
    pos = 0
    while True:
        for index, (_, pattern) in enumerate(_PATTERNS):
            match = upcoming[index]
            if match is not None and match.start() < pos:
                upcoming[index] = pattern.search(folded, pos)
        candidates = [(m.start(), m.start() - m.end(), i, m) for i, m in enumerate(upcoming) if m is not None]
        if not candidates:
            break
        *_, index, match = min(candidates, key=lambda c: c[:3])
        kind = _PATTERNS[index][0]
        pos = max(match.end(), pos + 1)
        if kind in {"date", "month", "quarter", "half", "year"}:
            due = _due_of(kind, match, issued)
            if due is None:
                continue  # an impossible date stays in the leftovers, hence in ``unparsed``
            label = text[match.start("label"):match.end("label")] if match.group("label") else ""
            found.append(_Found("due", match.start(), match.end(), due, label[:1].upper() + label[1:]))
        else:
            found.append(_Found(kind, match.start(), match.end()))
    return found


def _leftover(text: str, folded: str, found: list[_Found]) -> str:
    """Return the text outside the understood pieces, dropping mere list punctuation between them."""
    pieces, pos = [], 0
    for bound in [*((f.start, f.end) for f in found), (len(text), len(text))]:
        segment, folded_segment = text[pos:bound[0]], folded[pos:bound[0]]
        if not _CONNECTORS.fullmatch(folded_segment):
            pieces.append(segment.strip(_EDGE_PUNCTUATION))
        pos = bound[1]
    return " ".join(p for p in pieces if p)


def split_outputs(outputs: str | None) -> list[str]:
    """Split an expected-output cell into its items: lines, ";", "(1) (2)" numbering, "- " bullets."""
    items = []
    for line in re.split(r"[\n;]", _lines(outputs or "")):
        line = _SPACES.sub(" ", line).strip()
        parts = re.split(r"\s*(?:\(\s*[0-9]{1,2}\s*\)|(?<!\w)[0-9]{1,2}\))\s*", line)
        for part in parts:
            # a dash only separates items in a list that starts with one ("- A - B"), not in "kinh tế - xã hội"
            bullets = re.split(r"\s[-+•–]\s", part) if part[:1] in "-+•–" else [part]
            items.extend(b.strip(_EDGE_PUNCTUATION) for b in bullets)
    return [item for item in items if item]


def yearly_due(issued: date, cutoff: tuple[int, int] = (11, 25)) -> date | None:
    """Return the first yearly cut-off (month, day) on or after ``issued`` (29/2 becomes 28/2 in other years)."""
    month, day = cutoff
    for year in (issued.year, issued.year + 1):
        end = month_end(year, month)
        if end is None:
            return None
        due = end.replace(day=min(day, end.day))
        if due >= issued:
            return due
    return None


def parse_deadline(text: str | None, issued: date | None = None, outputs: str | None = None,
                   calendar: HolidayCalendar = DEFAULT_CALENDAR,
                   yearly_cutoff: tuple[int, int] = (11, 25)) -> Deadline:
    """Parse a free-text deadline cell into nominal and effective due dates, recurrence and milestones."""
    raw = text or ""
    if isinstance(issued, datetime):
        issued = issued.date()  # a datetime does not compare with the dates computed here
    cleaned = clean_text(raw)
    folded = fold_chars(cleaned)
    found = _scan(cleaned, folded, issued)
    if not found:
        return Deadline(raw, None, None, None, [], False, cleaned)

    dues = [f for f in found if f.kind == "due"]
    recurrences = [f.kind for f in found if f.kind in RECURRENCES]
    recurrence = recurrences[0] if recurrences else None

    milestones: list[Milestone] = []
    if len(dues) > 1 or (dues and recurrence) or any(f.label for f in dues):
        labels = split_outputs(outputs)
        milestones = [Milestone(f.due, f.label or (labels[i] if i < len(labels) else ""))
                      for i, f in enumerate(dues)]

    nominal: date | None = None
    if dues:
        nominal = min(f.due for f in dues if f.due)
    elif recurrence == "yearly" and issued is not None:
        nominal = yearly_due(issued, yearly_cutoff)
    effective = calendar.next_working_day(nominal) if nominal else None
    return Deadline(raw, nominal, effective, recurrence, milestones,
                    any(f.kind == "done" for f in found), _leftover(cleaned, folded, found))
