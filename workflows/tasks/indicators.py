"""Indicators (Phụ lục I "Danh mục các chỉ tiêu"): targets per milestone year and the values agencies report.

A value is reported through a task of kind "indicator_report" (``workflows.tasks.indicator_reports``): the
responsible agency's officer enters it (with a note and an evidence file), the agency head signs it
off, the coordinator accepts it or returns it. Acceptance ends the process and writes an
IndicatorValue (``record_accepted``, called by ``workflows.tasks.lifecycle`` when the report is done); the
task keeps the history, the files and who signed. A later accepted report for the same year wins. The
report's open key is released on acceptance, so a correction can follow.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select

from models import Agency, Directive, Indicator, IndicatorValue, Task, User, WorkItem, db
from workflows import clock
from workflows.accounts import people
from workflows.errors import Message, NotFound

KIND = "indicator_report"
PROCESS = "indicator_report"
UNGROUPED = "Chưa phân nhóm"
MIN_WORKING_DAYS = 10  # a report asked late in (or after) its year still gets this long
MAX_TITLE_NAME = 200
MAX_VALUE_TEXT = 255  # IndicatorValue.value_text: the step's one-line field takes no more (work.MAX_LINE)
NO_TARGET = ("", "-", "–", "—")  # a year the plan sets no target for


# ---------------------------------------------------------------- numbers as written in the documents

_COMPARATOR = re.compile(r"^(≥|≤|>=|<=|>|<)\s*")
_NUMBER = re.compile(r"[+-]?[0-9][0-9., ]*")  # Latin digits only ("١٢" is no number a province writes)


def _split(text: str | None) -> tuple[str, str]:
    """The comparator ("≥", "≤", … or "") and the rest of a cell, stripped."""
    text = (text or "").strip()
    match = _COMPARATOR.match(text)
    if match is None:
        return "", text
    return match.group(1), text[match.end():].strip()


def parse_number(text: str | None) -> float | None:
    """The number a cell or a reported value writes, or None when it is not one number.

    Vietnamese writing: "12,5" (decimal comma), "2.000" (thousands dot), "85%", "07", "≥ 1,5%";
    a dot before other than three digits is a decimal point ("0.75", as OCR left it).
    "Đạt", "Nhóm 10", "50-60" and "-" are not numbers.
    """
    body = _split(text)[1].removesuffix("%").replace("\u00a0", " ").replace("\u202f", " ").strip()
    if not body or _NUMBER.fullmatch(body) is None:
        return None
    if " " in body:
        if not re.fullmatch(r"[+-]?\d{1,3}( \d{3})+(,\d+)?", body):
            return None
        body = body.replace(" ", "")
    if "," in body:
        if body.count(",") > 1 or not re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})*,\d+|[+-]?\d+,\d+", body):
            return None
        body = body.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"[+-]?[1-9]\d{0,2}(\.\d{3})+", body):
        body = body.replace(".", "")
    elif body.count(".") > 1:
        return None
    try:
        return float(body)
    except ValueError:
        return None


_AMBIGUOUS = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")  # "2,500": 2,5 as written here, 2500 as English writes it
LARGEST = 10 ** 12  # a figure beyond this is a slip of the keyboard, not a province's figure


def value_problem(task: Task, text: str) -> Message | None:
    """What is wrong with a value an officer reports, if anything: no number where the year's target is one (the
    note box is for words), a number one reads as a decimal ("2,500": 2,5) where the target says thousands were
    meant (2.500 against a target of 2.500 — "1,125" against 85% is the decimal it says), or a number too large to
    be meant."""
    body = _split(text)[1].removesuffix("%").strip()
    number = parse_number(text)
    target_text = target_for(db.session.get(Indicator, task.indicator_id), int(task.period)) \
        if task.indicator_id else None
    target = parse_number(target_text)
    if number is None:
        if target is None:
            return None  # a target in words ("Có"): the value may be words too
        return Message("Chỉ tiêu năm %(year)s là %(target)s: vui lòng ghi giá trị thực hiện là một số, ví dụ "
                       "2.500 hoặc 12,5 (giải thích ghi ở ô thuyết minh).", year=task.period, target=target_text)
    if _AMBIGUOUS.fullmatch(body) and target and _near(abs(number) * 1000, target) and not _near(abs(number), target):
        return Message("“%(text)s” đọc là %(decimal)s (dấu phẩy trước phần thập phân), quá xa chỉ tiêu %(target)s: "
                       "nếu là số hàng nghìn, vui lòng ghi %(thousands)s (dấu chấm ngăn hàng nghìn).", text=text,
                       decimal=text.replace(body, body.rstrip("0").rstrip(",")), target=target_text,
                       thousands=text.replace(body, body.replace(",", ".")))
    if abs(number) >= LARGEST:
        return Message("Giá trị thực hiện “%(text)s” lớn bất thường: vui lòng kiểm tra lại.", text=text)
    return None


def _near(value: float, target: float) -> bool:
    """Within a factor of ten of the target: a reading of a figure that could be meant."""
    return abs(target) / 10 <= value <= abs(target) * 10


def _format_number(number: float) -> str:
    """Vietnamese writing, one decimal at most, rounded down: 99.95 is "99,9", never a "100" that is not reached."""
    number = math.floor(number * 10) / 10
    text = f"{number:,.1f}".rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


@dataclass(frozen=True)
class Progress:
    """How a reported value stands against a target: a percentage when both are numbers, else the text."""

    percent: float | None
    text: str

    @property
    def bar(self) -> int:
        """The width of a progress bar, 0–100."""
        return max(0, min(100, round(self.percent or 0)))

    @property
    def reached(self) -> bool:
        return self.percent is not None and self.percent >= 100


def progress(value_text: str | None, target_text: str | None) -> Progress | None:
    """The value as a percentage of the target, or the value's text when either is not a number.

    None when the year has no target ("-", empty). A target "≤ 10" (a rank: lower is better) is
    met at 100 % by any value up to it, and falls short in proportion beyond it.
    """
    target_text = (target_text or "").strip()
    if target_text in NO_TARGET:
        return None
    value, target = parse_number(value_text), parse_number(target_text)
    if value is None or target is None or target == 0:
        return Progress(None, (value_text or "").strip())
    if _split(target_text)[0] in ("≤", "<=", "<"):
        percent = 100.0 if value <= target else target / value * 100
    else:
        percent = value / target * 100
    return Progress(percent, _format_number(percent) + "%")


# ---------------------------------------------------------------- reading the register

def milestone_years(indicator: Indicator) -> list[int]:
    """The years the indicator sets targets for ("Năm 2025", "Năm 2030", …), in order."""
    return sorted(int(y) for y in (indicator.targets or {}) if str(y).isdigit())


def target_with_unit(indicator: Indicator, year: int) -> str | None:
    """The year's target as a sentence says it: "2.500 người", "85%" (a unit the target already ends with, once)."""
    target = target_for(indicator, year)
    unit = (indicator.unit or "").strip()
    if not target or unit in ("", "-") or target.endswith(unit):
        return target
    return target + unit if unit == "%" else f"{target} {unit}"


def reportable_years(indicator: Indicator) -> list[int]:
    """The milestone years a value may be asked for today: those past and the next one to come (in 2026, the
    2025 figure and the progress towards 2030 — not 2035's, which would pass for the latest figure)."""
    years = milestone_years(indicator)
    coming = [y for y in years if y >= clock.today().year]
    return [y for y in years if not coming or y <= coming[0]]


def target_for(indicator: Indicator, year: int) -> str | None:
    text = (indicator.targets or {}).get(str(year))
    return None if text is None or text.strip() in NO_TARGET else text.strip()


def responsible_agencies(indicator: Indicator) -> list[Agency]:
    """The registry agencies the indicator names as responsible, in the document's order; an agency merged into
    another is its successor, which reports for the whole (the indicator keeps the names the plan wrote)."""
    return _responsible(indicator, _named(set(indicator.responsible or [])))


def _named(names: set[str]) -> dict[str, Agency]:
    """The agency each registry name stands for today: itself, or its successor when it was merged."""
    if not names:
        return {}
    found = {a.name: a for a in db.session.scalars(select(Agency).where(Agency.name.in_(names)))}
    merged = {a.id for a in found.values() if a.successor_id}
    if merged:
        now = people.successors()
        heirs = {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_(set(now.values()))))}
        found.update({name: heirs[now[a.id]] for name, a in found.items() if a.id in merged})
    return found


def _responsible(indicator: Indicator, agencies: dict[str, Agency]) -> list[Agency]:
    named = [agencies[n] for n in dict.fromkeys(indicator.responsible or []) if n in agencies]
    return list({a.id: a for a in named}.values())  # two agencies merged into one are that one


def reporting_agencies(user: User, indicator: Indicator) -> list[Agency]:
    """For which agencies ``user`` may ask for a report: coordinators for any responsible agency, an
    agency head for their own agency when it is responsible; nobody else."""
    return _allowed(user, responsible_agencies(indicator))


def _allowed(user: User, responsible: list[Agency]) -> list[Agency]:
    if not (user.is_authenticated and user.active):
        return []
    responsible = [a for a in responsible if a.active]  # a closed agency gets no new report
    if user.has_role("coordinator"):
        return responsible
    if user.has_role("agency_head"):
        return [a for a in responsible if a.id == user.agency_id]
    return []


def get_indicator(indicator_id: int) -> Indicator:
    indicator = db.session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound("Không tìm thấy chỉ tiêu.")
    return indicator


@dataclass
class Group:
    """One section of an indicator table ("I. PHÁT TRIỂN HẠ TẦNG"), named by its first indicator's id."""

    key: int
    name: str
    directive: Directive | None
    count: int = 0
    reported: int = 0  # indicators with at least one accepted value
    open_reports: int = 0


def groups() -> list[Group]:
    """Every indicator group, per directive and in the document's order, with its counts."""
    rows = db.session.execute(select(Indicator.id, Indicator.directive_id, Indicator.group)
                              .order_by(Indicator.directive_id, Indicator.id)).all()
    reported = set(db.session.scalars(select(IndicatorValue.indicator_id).distinct()))
    open_by_indicator = dict(db.session.execute(
        select(Task.indicator_id, func.count()).where(Task.kind == KIND, Task.state != "done")
        .group_by(Task.indicator_id)).all())
    directives = {d.id: d for d in db.session.scalars(select(Directive).where(
        Directive.id.in_({r.directive_id for r in rows if r.directive_id is not None})))}
    found: dict[tuple[int | None, str | None], Group] = {}
    for indicator_id, directive_id, name in rows:
        group = found.get((directive_id, name))
        if group is None:
            group = found[(directive_id, name)] = Group(indicator_id, name or UNGROUPED, directives.get(directive_id))
        group.count += 1
        group.reported += indicator_id in reported
        group.open_reports += open_by_indicator.get(indicator_id, 0)
    return list(found.values())


def group_key_of(indicator: Indicator) -> int:
    """The key of the group an indicator belongs to (its group's first indicator)."""
    return db.session.scalar(select(func.min(Indicator.id)).where(*_same_group(indicator)))


def _same_group(indicator: Indicator):
    directive_id, name = indicator.directive_id, indicator.group
    return (Indicator.directive_id.is_(None) if directive_id is None else Indicator.directive_id == directive_id,
            Indicator.group.is_(None) if name is None else Indicator.group == name)


@dataclass
class Cell:
    """One milestone year's figure: each reporting agency's latest accepted value (``values``) — summed when they
    are counts (three agencies each completing one of three data centres: 3, not the last one's 1) — with its
    progress against that year's target."""

    year: int
    value: IndicatorValue  # the newest of them
    progress: Progress | None
    values: list[IndicatorValue] = field(default_factory=list)
    text: str = ""  # what the year shows: the value, or the agencies' sum
    summed: bool = False


@dataclass
class Row:
    indicator: Indicator
    responsible: list[Agency]
    targets: dict[int, str | None]
    cells: dict[int, Cell] = field(default_factory=dict)
    latest: Cell | None = None  # the latest milestone year that has a value
    history: list[IndicatorValue] = field(default_factory=list)  # newest first
    open_reports: list[Task] = field(default_factory=list)
    report_agencies: list[Agency] = field(default_factory=list)  # for whom the reader may ask a report


@dataclass
class GroupPage:
    group: Group
    years: list[int]
    rows: list[Row]
    viewable: set[int] = field(default_factory=set)  # report tasks the reader may open (files, full history)


def group_page(key: int, user: User | None = None) -> GroupPage:
    """A group's indicators: baseline, targets per milestone year, the latest accepted value of each
    year with its progress, the history of accepted values and the open reports."""
    first = get_indicator(key)
    indicators = list(db.session.scalars(select(Indicator).where(*_same_group(first)).order_by(Indicator.id)))
    ids = [i.id for i in indicators]
    values = list(db.session.scalars(
        select(IndicatorValue).where(IndicatorValue.indicator_id.in_(ids))
        .order_by(IndicatorValue.accepted_at.desc(), IndicatorValue.id.desc())))
    reports = list(db.session.scalars(select(Task).where(
        Task.kind == KIND, Task.indicator_id.in_(ids), Task.state != "done").order_by(Task.id)))
    agencies = _named({n for i in indicators for n in (i.responsible or [])})
    years = sorted({y for i in indicators for y in milestone_years(i)})
    viewable = _viewable_tasks(user, [v.task_id for v in values if v.task_id]) if user is not None else set()
    group = Group(ids[0], first.group or UNGROUPED, db.session.get(Directive, first.directive_id)
                  if first.directive_id else None, count=len(ids))
    rows = []
    for indicator in indicators:
        responsible = _responsible(indicator, agencies)
        row = Row(indicator, responsible, {y: target_for(indicator, y) for y in milestone_years(indicator)})
        row.history = [v for v in values if v.indicator_id == indicator.id]
        latest: dict[int, dict[int | None, IndicatorValue]] = {}
        for value in row.history:  # newest first: an agency's first seen for a year is the one that counts
            latest.setdefault(value.year, {}).setdefault(value.agency_id, value)
        for year, by_agency in latest.items():
            row.cells[year] = _cell(year, list(by_agency.values()), target_for(indicator, year))
        if row.cells:
            row.latest = row.cells[max(row.cells)]
        row.open_reports = [t for t in reports if t.indicator_id == indicator.id]
        if user is not None:
            row.report_agencies = _allowed(user, responsible)
        rows.append(row)
    group.reported = sum(1 for r in rows if r.history)
    group.open_reports = len(reports)
    return GroupPage(group, years, rows, viewable)


def _cell(year: int, values: list[IndicatorValue], target: str | None) -> Cell:
    """A year's figure from the latest value of each agency that reported it (newest first): their sum when every
    one is a count (a target and values without "%"), else the newest, the others listed in the history."""
    newest = values[0]
    numbers = [parse_number(v.value_text) for v in values]
    counts = len(values) > 1 and None not in numbers and not any(
        (t or "").strip().endswith("%") for t in (target, *(v.value_text for v in values)))
    text = _format_number(sum(numbers)) if counts else newest.value_text
    return Cell(year, newest, progress(text, target), values, text, counts)


def _viewable_tasks(user: User, task_ids: list[int]) -> set[int]:
    """The report tasks ``user`` may open, as ``access.can_view`` decides, in one query."""
    if not task_ids or user.sees_everything:
        return set(task_ids)
    if user.agency_id is None:
        return set()
    lead = select(Task.id).where(Task.id.in_(task_ids), Task.lead_agency_id == user.agency_id)
    acted = select(WorkItem.task_id).where(WorkItem.task_id.in_(task_ids), WorkItem.agency_id == user.agency_id)
    return set(db.session.scalars(lead.union(acted)))


def open_reports(indicator: Indicator) -> list[Task]:
    return list(db.session.scalars(select(Task).where(
        Task.kind == KIND, Task.indicator_id == indicator.id, Task.state != "done").order_by(Task.id)))


@dataclass(frozen=True)
class ReportContext:
    """What an indicator report's page says beside its steps: the year's target, and how the value sent for
    sign-off reads against it (the head and the coordinator see "2.050 — đạt 82% chỉ tiêu", not only "2.050")."""

    year: int
    target: str | None  # with its unit: "2.500 người", "85%"
    numeric: bool  # the target is a number: so must the value be (``value_problem``)
    value: str | None = None  # the value of the latest submission, if any
    progress: Progress | None = None


def report_context(task: Task, history: list) -> ReportContext | None:
    """``task``'s context when it is an indicator report (``history``: its audit events, oldest first)."""
    if task.kind != KIND or task.indicator_id is None:
        return None
    indicator = db.session.get(Indicator, task.indicator_id)
    year = int(task.period)
    sent = next((e.data.get("value") for e in reversed(history) if e.action == "submit" and e.data.get("value")),
                None)
    target = target_for(indicator, year)
    return ReportContext(year, target_with_unit(indicator, year), parse_number(target) is not None, sent,
                         progress(sent, target) if sent else None)


# ---------------------------------------------------------------- acceptance

def record_accepted(task: Task, data: dict) -> IndicatorValue | None:
    """Write the value of an accepted indicator report (the process's final data); flushes only."""
    if task.kind != KIND or task.indicator_id is None or data.get("outcome") != "accepted":
        return None
    text = " ".join(str(data.get("value") or "").split())
    if len(text) > MAX_VALUE_TEXT:  # typed before the field had its limit, still in a running report
        text = text[:MAX_VALUE_TEXT - 1] + "…"
    accepted_by = db.session.scalar(select(User).where(User.username == data.get("actor")))
    value = IndicatorValue(
        indicator_id=task.indicator_id, year=int(task.period), value=parse_number(text), value_text=text,
        note=(data.get("note") or "").strip() or None, agency_id=task.lead_agency_id, task_id=task.id,
        accepted_at=clock.now(), accepted_by_id=accepted_by.id if accepted_by else None)
    db.session.add(value)
    task.period_key = None  # the report is closed: a later correction may be asked
    return value
