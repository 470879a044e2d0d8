"""The dashboard's and the exports' filter form: the choices it offers, the agency table's sort, and the
"stuck for more than N days" threshold. Which tasks the filters select is ``workflows.tasks.scope``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import func, select

from models import OUTPUT_TYPES, Directive, Task, db
from workflows import clock, text
from workflows.errors import Message
from workflows.tasks import reads
from workflows.tasks.scope import Filters, period_choices, period_range

MAX_STUCK_DAYS = 3650
# Columns of the agency table a user may sort by (the agency name sorts A→Z, the counts high→low first).
SORTS = ("agency", "assigned", "done_on_time", "done_late", "in_progress", "due_soon", "overdue",
         "not_started", "ongoing")
DEFAULT_SORT = "overdue"


def period_years(today: date | None = None) -> list[int]:
    """The years the period filter offers: those with due dates, within three years of today."""
    today = today or clock.today()
    first, last = db.session.execute(select(func.min(Task.period_due), func.max(Task.period_due))
                                     .where(Task.kind == "task")).one()
    low = max(first.year if first else today.year, today.year - 3)
    high = min(last.year if last else today.year, today.year + 3)
    return list(range(min(low, today.year), max(high, today.year) + 1))


def stuck_days_from(value: str | None, default: int) -> tuple[int, Message | None]:
    """The "stuck for more than N days" threshold a user typed, or ``default`` with the reason."""
    if value is None or not value.strip():
        return default, None
    try:
        days = int(value.strip())
    except ValueError:
        days = -1
    if not 1 <= days <= MAX_STUCK_DAYS:
        return default, Message("Số ngày tồn đọng phải là số nguyên từ 1 đến %(max)s; "
                                "đang dùng mặc định %(default)s ngày.", max=MAX_STUCK_DAYS, default=default)
    return days, None


def sort_from(args: Mapping[str, str]) -> tuple[str, bool]:
    """The agency table's sort column and direction from ``sort`` and ``dir`` (asc|desc)."""
    sort = args.get("sort") if args.get("sort") in SORTS else DEFAULT_SORT
    direction = args.get("dir")
    descending = direction != "asc" if direction in ("asc", "desc") else sort != "agency"
    return sort, descending


def filter_choices(f: Filters, today: date) -> dict:
    """What the filter form (templates/_progress_filters.html) offers, for the dashboard and the exports."""
    return {"directive_choices": directives(), "section_choices": sections(f.directive_id),
            "agency_choices": reads.agencies(), "output_types": OUTPUT_TYPES,
            "period_choices": [(year, period_choices(year)) for year in period_years(today)],
            "period": period_range(f.period)}


def directives() -> list[Directive]:
    return list(db.session.scalars(select(Directive).order_by(Directive.issued_on.desc(), Directive.number)))


def sections(directive_id: int | None = None) -> list[str]:
    """The section headings of the real tasks (of one directive, when given)."""
    query = select(Task.section).where(Task.kind == "task", Task.section.is_not(None)).distinct()
    if directive_id is not None:
        query = query.where(Task.directive_id == directive_id)
    return sorted(db.session.scalars(query), key=text.sort_key)
