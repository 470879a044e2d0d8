"""Which tasks a figure covers: the dashboard's and the exports' filters (document, section, lead agency, output
type, period of the due date), read from a query string, said in words and turned into a WHERE clause. The
task list takes the same filters when a dashboard figure links to it.

Only real tasks count (kind "task"): periodic and indicator report tasks are left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_

from models import OUTPUT_TYPES, Agency, Directive, Task, db
from workflows.errors import N_, Message, NotFound
from workflows.tasks import periods

MAX_SECTION = 500
# The query parameters a dashboard figure adds to its task-list link (see ``Filters.list_args``).
LIST_SCOPE_KEYS = ("scope", "lead", "directive", "section", "output_type", "period")
_H2 = re.compile(r"(?P<y>\d{4})-H2")


@dataclass(frozen=True)
class Filters:
    directive_id: int | None = None
    section: str | None = None
    agency_id: int | None = None  # lead agency
    output_type: str | None = None
    period: str | None = None  # a period key as in workflows/tasks/periods.py: tasks due in it

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.directive_id, self.section, self.agency_id,
                                            self.output_type, self.period))

    def query_args(self) -> dict[str, str | int]:
        """The filters as query parameters (for links that keep them), empty ones left out."""
        args = {"directive": self.directive_id, "section": self.section, "agency": self.agency_id,
                "output_type": self.output_type, "period": self.period}
        return {k: v for k, v in args.items() if v is not None}

    def list_args(self) -> dict[str, str | int]:
        """Query parameters that make "Danh sách nhiệm vụ" list the tasks these figures count
        (the list's own ``agency`` means any involved agency, so the lead agency is ``lead``)."""
        args = self.query_args()
        if "agency" in args:
            args["lead"] = args.pop("agency")
        return {**args, "scope": "dashboard"}


@dataclass(frozen=True)
class PeriodRange:
    key: str
    label: str
    start: date
    end: date


def period_range(key: str | None) -> PeriodRange | None:
    """The dates a period key covers ("2026-11", "2026-Q4", "2026-H1", "2026-H2", "2026"), or None."""
    key = (key or "").strip().upper()
    match = _H2.fullmatch(key)
    if match and 1900 < int(match["y"]) < 2200:
        year = int(match["y"])
        return PeriodRange(key, f"6 tháng cuối năm {year}", date(year, 7, 1), date(year, 12, 31))
    try:
        p = periods.parse_key(key)
    except NotFound:
        return None
    return PeriodRange(p.key, p.label, p.start, p.end)


def period_choices(year: int) -> list[PeriodRange]:
    """The periods of one year a user may pick: the year, its halves, quarters and months."""
    keys = [str(year), f"{year}-H1", f"{year}-H2", *(f"{year}-Q{q}" for q in range(1, 5)),
            *(f"{year}-{m:02d}" for m in range(1, 13))]
    return [period_range(k) for k in keys]


def _int(value: str | None) -> int | None:
    try:
        number = int((value or "").strip())
    except ValueError:
        return None
    return number if number > 0 else None


def _period(args: Mapping[str, str], problems: list) -> str | None:
    if not (args.get("period") or "").strip():
        return None
    found = period_range(args.get("period"))
    if found is None:
        problems.append(Message("Không hiểu kỳ “%(period)s”: hãy chọn tháng (2026-11), quý (2026-Q4), "
                                "6 tháng (2026-H1, 2026-H2) hoặc năm (2026). Bộ lọc này được bỏ qua.",
                                period=args.get("period", "")[:40]))
        return None
    return found.key


def parse(args: Mapping[str, str]) -> tuple[Filters, list]:
    """The filters of a request's query string, and why some values were ignored (they name nothing)."""
    problems = []
    directive_id = _int(args.get("directive"))
    if args.get("directive") and (directive_id is None or db.session.get(Directive, directive_id) is None):
        problems.append(N_("Văn bản giao nhiệm vụ đã chọn không còn trong danh mục: bộ lọc này được bỏ qua."))
        directive_id = None
    agency_id = _int(args.get("agency"))
    if args.get("agency") and (agency_id is None or db.session.get(Agency, agency_id) is None):
        problems.append(N_("Đơn vị chủ trì đã chọn không có trong danh mục: bộ lọc này được bỏ qua."))
        agency_id = None
    output_type = (args.get("output_type") or "").strip() or None
    if output_type is not None and output_type not in OUTPUT_TYPES:
        problems.append(N_("Loại sản phẩm đã chọn không hợp lệ: bộ lọc này được bỏ qua."))
        output_type = None
    period = _period(args, problems)
    section = " ".join((args.get("section") or "").split())[:MAX_SECTION] or None
    return Filters(directive_id, section, agency_id, output_type, period), problems


def filters_from(args: Mapping[str, str]) -> Filters:
    """The filters of a request's query string; values that name nothing are ignored."""
    return parse(args)[0]


def filter_problems(args: Mapping[str, str]) -> list:
    """Why ``filters_from`` ignored some of ``args``, in Vietnamese (empty when all were understood)."""
    return parse(args)[1]


def filters_from_list(args: Mapping[str, str]) -> Filters | None:
    """The dashboard filters carried by a task-list link (see ``Filters.list_args``), or None."""
    if args.get("scope") != "dashboard":
        return None
    return filters_from({**{k: v for k, v in args.items() if k != "agency"}, "agency": args.get("lead", "")})


def describe(f: Filters) -> list[Message]:
    """The active filters in words ("Đơn vị chủ trì: Sở Y tế", …), for page headings and exports."""
    out = []
    if f.directive_id is not None:
        directive = db.session.get(Directive, f.directive_id)
        if directive is not None:
            out.append(Message("Văn bản giao: %(number)s", number=directive.number))
    if f.section:
        out.append(Message("Mục: %(section)s", section=f.section))
    if f.agency_id is not None:
        agency = db.session.get(Agency, f.agency_id)
        if agency is not None:
            out.append(Message("Đơn vị chủ trì: %(agency)s", agency=agency.name))
    if f.output_type:
        out.append(Message("Loại sản phẩm: %(type)s", type=Message(OUTPUT_TYPES[f.output_type])))
    if f.period:
        found = period_range(f.period)
        if found is not None:
            out.append(Message("Thời hạn trong kỳ: %(period)s (%(start)s–%(end)s)", period=found.label,
                               start=f"{found.start:%d/%m/%Y}", end=f"{found.end:%d/%m/%Y}"))
    return out


def tasks_clause(f: Filters, kind: str = "task"):
    """A WHERE clause over Task selecting the real tasks (kind "task"; "group": the tasks owed by a group, whose
    members' tasks are real tasks) that match ``f``."""
    conditions = [Task.kind == kind]
    if f.directive_id is not None:
        conditions.append(Task.directive_id == f.directive_id)
    if f.section:
        conditions.append(Task.section == f.section)
    if f.agency_id is not None:
        conditions.append(Task.lead_agency_id == f.agency_id)
    if f.output_type:
        conditions.append(Task.output_type == f.output_type)
    if f.period:
        found = period_range(f.period)
        if found is not None:
            conditions.append(Task.period_due.between(found.start, found.end))
    return and_(*conditions)
