"""Read the free-text deadline column of an assigning document ("Thời gian hoàn thành").

Pure functions, no database. A period resolves to its last day (Civil Code 2015, art. 146-148)
and a due date on a weekend or holiday moves to the next working day; both dates are kept.
Whatever the parser does not understand is returned in ``Deadline.unparsed`` so that a person
can fix it, and parsing never raises on bad input.

Recurring deadlines keep their rule: the day of the month ("trước ngày 10 hằng tháng"), a window of days
("từ ngày 20 đến ngày 25 hằng tháng": due on its last day), the weekday ("thứ Năm hằng tuần") and the start
("Từ Quý III/2026, định kỳ 6 tháng"). A start is never a due date. A duration ("trong thời hạn 18 tháng",
"15 ngày làm việc") counts from the document's date (Civil Code 2015, art. 147-148).

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
from datetime import date, datetime, timedelta

from workflows.errors import N_
from workflows.tasks.periods import RHYTHM  # the reporting rhythm is written once, with the periods
from workflows.text import fold_chars
from workflows.workdays import DEFAULT_CALENDAR, HolidayCalendar

RECURRENCES = (None, "ongoing", "weekly", "monthly", "quarterly", "half_yearly", "yearly")

MIN_YEAR, MAX_YEAR = 1900, 2999  # anything else is a typo; also keeps date arithmetic far from date.max
BAD_YEAR = N_("Năm %(year)s của ngày %(text)s không hợp lệ: kiểm tra lại năm.")
ROMAN_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
# 1 = Monday ... 7 = Sunday; "thứ Hai" is the second day of the week counted from Sunday, hence "thứ 2" = Monday.
WEEKDAYS = {"hai": 1, "ba": 2, "tu": 3, "nam": 4, "sau": 5, "bay": 6, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
SUNDAY = 7
# "Hằng tuần" without a weekday falls due on Friday, the day the support team reviews progress (DOMAIN.md).
WEEKLY_DUE_WEEKDAY = 5


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
    # The rule of a recurrence, as written: the day of the month it falls due (monthly; quarterly: of the
    # quarter's last month), the weekday (weekly, 1 = Monday ... 7 = Sunday), and the day it starts.
    recurrence_day: int | None = None
    recurrence_weekday: int | None = None
    starts: date | None = None  # "Từ tháng 7/2026": the first day of that period; never a due date
    recurrence_from_day: int | None = None  # the first day of a window "từ ngày 20 đến ngày 25" (due: the 25th)

    @property
    def needs_review(self) -> bool:
        """Return True when a person should look at the cell: something was not understood or nothing was."""
        understood_nothing = self.nominal_due is None and self.recurrence is None and not self.done_at_issue
        return bool(self.unparsed) or understood_nothing

    @property
    def ambiguous(self) -> str | None:
        """The words that make the date a guess, if any: "Trước Quý II/2027" is the end of March or of June,
        "Đầu năm 2027" some day in its first months (the period's last day was taken, silently)."""
        cleaned = clean_text(self.raw)
        found = _AMBIGUOUS.search(fold_chars(cleaned))  # ("Truoc quy II/2027", typed without its accents, too)
        return cleaned[found.start():found.end()] if found and self.nominal_due else None

    def ambiguity(self) -> dict[str, str] | None:
        """The values of ``AMBIGUOUS`` when the date is a guess (``ambiguous``)."""
        if self.ambiguous is None:
            return None
        return {"text": clean_text(self.raw)[:200], "words": self.ambiguous, "date": f"{self.nominal_due:%d/%m/%Y}"}

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
            "recurrence_day": self.recurrence_day,
            "recurrence_weekday": self.recurrence_weekday,
            "starts": _iso(self.starts),
            "recurrence_from_day": self.recurrence_from_day,
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
_PERIOD_PREFIX = _LABEL + r"(?:hoan thanh\s+)?(?:(?:trong|vao|cuoi|het|den het|den)\s+)?"
_DATE_PREFIX = (_LABEL + r"(?:hoan thanh\s+)?"
                r"(?:(?:truoc|cham nhat|muon nhat|den|den het|trong)\s+(?:la\s+)?)?(?:vao\s+)?(?:ngay\s+)?")

# What a date or a period looks like once its prefix is read: as a due date, or after "Từ" as a start.
_DATE_BODIES = (
    r"(?P<d>[0-9]{1,2})\s+thang\s+(?P<m>[0-9]{1,2})\s*,?\s*nam\s+" + _YEAR,
    r"(?<![0-9])(?P<d>[0-9]{1,2})\s*(?P<sep>[/.\-])\s*(?P<m>[0-9]{1,2})\s*(?P=sep)\s*" + _YEAR + r"(?!\s*/\s*[0-9])",
)
_QUARTER = r"qu[yi]\s*(?:iv|i{1,3}|[1-4])(?![a-z0-9])"  # ("Quí", an old spelling still written)
_PERIOD_BODIES = (
    ("half", r"(?:(?:6|sau)\s+thang|nua)\s+(?P<part>dau|cuoi)\s+nam(?:\s*" + _YEAR + ")?"),
    ("quarter", r"qu[yi]\s*(?P<q>iv|i{1,3}|[1-4])(?![a-z0-9])" + _YEAR_JOIN + _YEAR),
    # "Quý I và Quý III/2027": a quarter of the year the last one of the list names
    # (at most the year's other three quarters after it: a bounded look ahead, not one across the whole cell)
    ("quarter", r"qu[yi]\s*(?P<q>iv|i{1,3}|[1-4])(?![a-z0-9])(?=(?:\s*(?:,|;|va)\s*" + _QUARTER + r"){1,3}"
     + _YEAR_JOIN + _YEAR + ")"),
    # "Năm 2026-2027": through the last year of the span
    ("year", r"nam\s*[0-9]{4}\s*[-–—]\s*" + _YEAR),
    ("month", r"thang\s*(?P<m>[0-9]{1,2})" + _YEAR_JOIN + _YEAR),
    ("year", r"nam\s*" + _YEAR),
)
_TEMPORAL = (*(("date", _W + _DATE_PREFIX + body) for body in _DATE_BODIES),
             *((kind, _W + _PERIOD_PREFIX + body) for kind, body in _PERIOD_BODIES))
_FROM = _W + r"(?:bat dau\s+)?(?:ke\s+)?tu\s+"
_STARTS = (*(("start:date", _FROM + r"(?:ngay\s+)?" + body) for body in _DATE_BODIES),
           *(("start:" + kind, _FROM + body) for kind, body in _PERIOD_BODIES))

_TIMES = r"(?:\s+(?:mot|1)\s+lan)?"  # "mỗi tháng một lần"
_EVERY = r"(?:dinh ky\s+)?(?:hang|moi)\s+"
# "định kỳ theo quý, 06 tháng, 01 năm": the report of the quarter, and at the half-year and the year-end the
# summary ones, which fall on quarters' ends too; the shortest period is the rule
_ALSO = r"(?:\s*(?:,|va)\s*(?:(?:0?6|sau)\s+thang|(?:0?1|mot)\s+nam|hang nam))*"
_RECURRING = (
    ("ongoing", _W + r"(?:nhiem vu\s+)?(?:thuc hien\s+)?thuong xuyen(?:\s*,?\s*lien tuc)?(?!\w)"),
    ("half_yearly", _W + r"(?:dinh ky\s+(?:0?6|sau)\s+thang" + _TIMES + _ALSO
     + r"|(?:6|sau)\s+thang\s+(?:mot|1)\s+lan)(?!\w)"),
    ("yearly", _W + r"(?:" + _EVERY + r"nam|thuong nien|dinh ky\s+(?:0?1|mot)\s+nam)" + _TIMES + r"(?!\w)"),
    ("quarterly", _W + r"(?:" + _EVERY + r"quy|dinh ky\s+(?:theo\s+)?(?:quy|(?:0?3|ba)\s+thang))" + _TIMES + _ALSO
     + r"(?!\w)"),
    ("monthly", _W + _EVERY + r"thang" + _TIMES + r"(?!\w)"),
    ("weekly", _W + _EVERY + r"tuan" + _TIMES + r"(?!\w)"),
)

# The parts of a recurrence's rule. A day of the month is a number not followed by a month ("ngày 15/5", "ngày 15
# tháng 5" are dates); "tháng cuối quý" ties it to the quarter's last month.
_DAY_END = r"(?![0-9])(?!\s*[/.\-]\s*[0-9])(?!\s+thang\s*[0-9])"
_QUARTER_LAST = r"(?P<qlast>\s+(?:cua\s+)?thang\s+cuoi\s+(?:cua\s+)?(?:moi\s+)?quy)?"
_RULE = (
    ("day", _W + r"(?:(?:truoc|cham nhat|muon nhat|vao|den|den het)\s+(?:la\s+)?)?ngay\s*(?P<d>[0-9]{1,2})"
     + _DAY_END + _QUARTER_LAST),
    ("window", _W + r"tu\s+ngay\s*(?P<d1>[0-9]{1,2})\s*(?:den(?:\s+het)?\s+|[-–—]\s*)(?:ngay\s*)?(?P<d>[0-9]{1,2})"
     + _DAY_END + _QUARTER_LAST),
    ("weekday", _W + r"(?:(?:vao|truoc|sang|chieu|trong)\s+)*(?:ngay\s+)?"
     r"(?:thu\s*(?P<wd>hai|ba|tu|nam|sau|bay|[2-7])|(?P<sunday>chu\s*nhat))(?!\w)"),
)

# A duration counts from the document's date: it needs a lead ("trong thời hạn", "chậm nhất") or a reference
# to that date ("kể từ ngày ký"), or "18 tháng" would be just a number.
_SPAN_UNIT = r"(?:ngay lam viec|ngay|tuan|thang|nam)(?!\w)"
_DURATION_LEAD = (r"(?:hoan thanh\s+)?(?:trong(?:\s+(?:thoi han|vong|pham vi|khoang))?|cham nhat(?:\s+la)?"
                  r"|khong qua|toi da|sau)\s+")
_SINCE_ISSUE = (r"\s*,?\s*\(?\s*(?:ke\s+)?tu\s+ngay\s+(?:ky|ban hanh)(?:\s+ban hanh)?"
                r"(?:\s+(?:van ban|ke hoach|quyet dinh|cong van|chi thi|thong bao)(?:\s+nay)?)?\s*\)?")
_DURATION = ("duration", _W + r"(?=" + _DURATION_LEAD + r"|[0-9]{1,3}\s*" + _SPAN_UNIT + _SINCE_ISSUE + r")(?:"
             + _DURATION_LEAD + r")?(?P<n>[0-9]{1,3})\s*(?P<unit>" + _SPAN_UNIT + r")(?:" + _SINCE_ISSUE + r")?")
_DONE = ("done", r"\(?\s*" + _W + r"da\s+(?:hoan thanh|thuc hien)(?!\w)\s*\)?")

# Order breaks ties between matches that start at the same place and have the same length.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern)) for kind, pattern in (_DONE, *_TEMPORAL, *_STARTS, *_RECURRING, *_RULE, _DURATION))
_PERIOD_KINDS = {"date", "month", "quarter", "half", "year"}

# Leftovers made only of these are list punctuation between understood items, not unparsed text.
_CONNECTORS = re.compile(
    r"(?:[\s;,.:+*/&•\-–—()]|\(\s*[0-9]{1,2}\s*\)|(?<!\w)[0-9]{1,2}\)|(?<!\w)(?:va|sau do|tiep theo)(?!\w))*")
_EDGE_PUNCTUATION = " ;,.:+*/&•-–—"
AMBIGUOUS = N_("Thời hạn “%(text)s” không rõ là ngày nào (“%(words)s…”: trước kỳ đó, đầu kỳ hay cuối kỳ? nếu là "
               "cuối kỳ thì là %(date)s). Ghi ngày cụ thể, ví dụ “31/3/2027”.")
# "trước", "đầu", "giữa" before a period (not before a day: "trước ngày 30/4/2027" is that day)
_AMBIGUOUS = re.compile(r"(?<!\w)(?:truoc|dau|giua)\s+(?:quy|qui|thang|nam|6 thang|sau thang)(?=\s*[0-9ivx])")


# --- parsing ---------------------------------------------------------------------------------

@dataclass
class _Found:
    """One understood piece of the text, with its place in it."""

    kind: str
    start: int
    end: int
    due: date | None = None  # a due date, or the first day of a start
    label: str = ""
    value: int | None = None  # the day of the month, or the weekday
    first: int | None = None  # the first day of a window of days
    quarter_last: bool = False  # "ngày 15 tháng cuối quý"


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


def _start_of(kind: str, match: re.Match[str], issued: date | None) -> date | None:
    """Return the first day of the date or period a "Từ …" names, or None when the numbers make none."""
    end = _due_of(kind, match, issued)
    if end is None or kind == "date":
        return end
    months = {"month": 1, "quarter": 3, "half": 6, "year": 12}[kind]
    return end.replace(month=end.month - months + 1, day=1)


def add_months(day: date, months: int) -> date | None:
    """The same day ``months`` later, or the month's last day when it is shorter (Civil Code 2015, art. 148)."""
    index = day.year * 12 + day.month - 1 + months
    end = month_end(index // 12, index % 12 + 1)
    return end.replace(day=min(day.day, end.day)) if end else None


def _duration_due(match: re.Match[str], issued: date | None, calendar: HolidayCalendar) -> date | None:
    """Return the end of a duration counted from the issue date: the day of issue is not counted (art. 147)."""
    if issued is None or not MIN_YEAR <= issued.year <= MAX_YEAR:
        return None
    n, unit = int(match["n"]), match["unit"]
    if n == 0:
        return None
    if unit == "ngay lam viec":
        return calendar.add_working_days(issued, n)
    if unit in ("ngay", "tuan"):
        return issued + timedelta(days=n * (7 if unit == "tuan" else 1))
    return add_months(issued, n * (12 if unit == "nam" else 1))


def _understand(kind: str, match: re.Match[str], text: str, issued: date | None,
                calendar: HolidayCalendar) -> _Found | None:
    """Return what one match means, or None when it means nothing (it then stays in ``unparsed``)."""
    start, end = match.start(), match.end()
    if kind in _PERIOD_KINDS:
        due = _due_of(kind, match, issued)
        if due is None:
            return None  # an impossible date
        label = text[match.start("label"):match.end("label")] if match.group("label") else ""
        return _Found("due", start, end, due, label[:1].upper() + label[1:])
    if kind == "duration":
        due = _duration_due(match, issued, calendar)
        return _Found("due", start, end, due) if due else None
    if kind.startswith("start:"):
        begins = _start_of(kind.removeprefix("start:"), match, issued)
        return _Found("start", start, end, begins) if begins else None
    if kind in ("day", "window"):
        day, first = int(match["d"]), int(match["d1"]) if kind == "window" else None
        if not 1 <= day <= 31 or (first is not None and not 1 <= first < day):
            return None  # a window across the end of a month is left to a person
        return _Found("day", start, end, value=day, first=first, quarter_last=bool(match["qlast"]))
    if kind == "weekday":
        return _Found("weekday", start, end, value=SUNDAY if match["sunday"] else WEEKDAYS[match["wd"]])
    return _Found(kind, start, end)


def _scan(text: str, folded: str, issued: date | None, calendar: HolidayCalendar) -> list[_Found]:
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
        pos = max(match.end(), pos + 1)
        piece = _understand(_PATTERNS[index][0], match, text, issued, calendar)
        if piece is not None:
            found.append(piece)
    return found


@dataclass
class _Rule:
    """The rule of a recurrence as the text states it."""

    day: int | None = None
    from_day: int | None = None
    weekday: int | None = None
    starts: date | None = None


def _rule(found: list[_Found], recurrence: str | None) -> tuple[list[_Found], _Rule]:
    """Keep the first day, weekday and start that fit the recurrence; drop the others from the understood pieces.

    A day of the month belongs to a monthly or quarterly recurrence, a weekday to a weekly one; a second day or
    weekday ("thứ Hai và thứ Năm hằng tuần") or one without its recurrence is left for a person to read.
    """
    kept, rule = [], _Rule()
    for f in found:
        if f.kind == "day" and rule.day is None and (
                recurrence == "quarterly" or (recurrence == "monthly" and not f.quarter_last)):
            rule.day, rule.from_day = f.value, f.first
        elif f.kind == "weekday" and rule.weekday is None and recurrence == "weekly":
            rule.weekday = f.value
        elif f.kind == "start" and rule.starts is None:
            rule.starts = f.due
        elif f.kind in ("day", "weekday", "start"):
            continue
        kept.append(f)
    return kept, rule


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


def _on(year: int, month: int, day: int) -> date | None:
    """That day, or the month's last day when it is shorter (a 31 in April, 29/2 in other years)."""
    end = month_end(year, month)
    return end.replace(day=min(day, end.day)) if end else None


def _occurrences(recurrence: str, year: int, day: int | None, rhythm: dict[str, dict[str, int]]) -> list[date]:
    """The days of ``year`` on which a monthly, quarterly, half-yearly or yearly recurrence falls due, in order.

    Without a day of its own a recurrence follows the province's reporting rhythm (monthly and quarterly on the
    20th, of the quarter's last month for a quarter). Half-yearly falls due twice: on the six-month report date
    (15/6) and on the yearly one (25/11), the report that covers the second half.
    """
    if recurrence == "monthly":
        days = [_on(year, m, day or rhythm["monthly"]["day"]) for m in range(1, 13)]
    elif recurrence == "quarterly":
        days = [_on(year, 3 * q, day or rhythm["quarterly"]["day"]) for q in range(1, 5)]
    elif recurrence == "half_yearly":
        days = [_on(year, rhythm[k]["month"], rhythm[k]["day"]) for k in ("half_yearly", "yearly")]
    elif recurrence == "yearly":
        days = [_on(year, rhythm["yearly"]["month"], rhythm["yearly"]["day"])]
    else:
        return []
    return sorted(d for d in days if d is not None)


def first_occurrence(recurrence: str | None, anchor: date | None, day: int | None = None,
                     weekday: int | None = None, rhythm: dict[str, dict[str, int]] = RHYTHM) -> date | None:
    """Return the first day on or after ``anchor`` on which a recurrence falls due (None when ongoing or unanchored).

    ``day`` is the recurrence's own day of the month, ``weekday`` its own weekday (1 = Monday); without them the
    reporting ``rhythm`` decides, and a week falls due on Friday.
    """
    if recurrence is None or anchor is None or not MIN_YEAR <= anchor.year < MAX_YEAR:
        return None
    if recurrence == "weekly":
        return anchor + timedelta(days=((weekday or WEEKLY_DUE_WEEKDAY) - 1 - anchor.weekday()) % 7)
    candidates = _occurrences(recurrence, anchor.year, day, rhythm) + _occurrences(recurrence, anchor.year + 1,
                                                                                   day, rhythm)
    return next((d for d in candidates if d >= anchor), None)


def parse_deadline(text: str | None, issued: date | None = None, outputs: str | None = None,
                   calendar: HolidayCalendar = DEFAULT_CALENDAR, yearly_cutoff: tuple[int, int] | None = None,
                   rhythm: dict[str, dict[str, int]] = RHYTHM) -> Deadline:
    """Parse a free-text deadline cell into nominal and effective due dates, recurrence (with its rule) and milestones.

    A recurring deadline without a date of its own is due on its first occurrence on or after the later of
    ``issued`` and its start; ``yearly_cutoff`` (month, day) overrides the rhythm's yearly date.
    """
    raw = text or ""
    if isinstance(issued, datetime):
        issued = issued.date()  # a datetime does not compare with the dates computed here
    if yearly_cutoff is not None:
        rhythm = {**rhythm, "yearly": {"month": yearly_cutoff[0], "day": yearly_cutoff[1]}}
    cleaned = clean_text(raw)
    folded = fold_chars(cleaned)
    found = _scan(cleaned, folded, issued, calendar)
    recurrences = [f.kind for f in found if f.kind in RECURRENCES]
    recurrence = recurrences[0] if recurrences else None
    found, rule = _rule(found, recurrence)
    if not found:
        return Deadline(raw, None, None, None, [], False, cleaned)

    dues = [f for f in found if f.kind == "due"]
    milestones: list[Milestone] = []
    if len(dues) > 1 or (dues and recurrence) or any(f.label for f in dues):
        labels = split_outputs(outputs)
        milestones = [Milestone(f.due, f.label or (labels[i] if i < len(labels) else ""))
                      for i, f in enumerate(dues)]

    if dues:
        nominal = min(f.due for f in dues if f.due)
    else:
        anchor = max((d for d in (issued, rule.starts) if d is not None), default=None)
        nominal = first_occurrence(recurrence, anchor, rule.day, rule.weekday, rhythm)
    effective = calendar.next_working_day(nominal) if nominal else None
    return Deadline(raw, nominal, effective, recurrence, milestones, any(f.kind == "done" for f in found),
                    _leftover(cleaned, folded, found), rule.day, rule.weekday, rule.starts, rule.from_day)
