"""Asking an agency for the value of an indicator in a milestone year: a report task of its own.

The task (kind "indicator_report") runs ``indicator_report.bpmn``; while it is open it holds the
``period_key`` "indicator:<indicator>:<year>:<agency>", whose unique column refuses a second open report
for the same indicator, year and agency even when two requests race.
"""

from __future__ import annotations

import textwrap
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Agency, Directive, Indicator, Task, User, db
from workflows import clock, holidays
from workflows.errors import N_, Invalid, Message, NotAllowed
from workflows.tasks import create, periods
from workflows.tasks.indicators import (
    KIND,
    MAX_TITLE_NAME,
    MIN_WORKING_DAYS,
    PROCESS,
    get_indicator,
    milestone_years,
    reportable_years,
    reporting_agencies,
    responsible_agencies,
    target_for,
    target_with_unit,
)
from workflows.tx import transaction


def report_title(indicator: Indicator, year: int) -> str:
    name = textwrap.shorten(" ".join(indicator.name.split()), MAX_TITLE_NAME, placeholder="…")
    return f"Báo cáo chỉ tiêu: {name} — năm {year}"


def _open_key(indicator: Indicator, year: int, agency: Agency) -> str:
    return f"indicator:{indicator.id}:{year}:{agency.id}"


def _due(year: int) -> tuple[date, date]:
    """(nominal, effective) due date: the yearly report date of ``year`` (before 25/11 by default,
    REPORT_RHYTHM), but never sooner than MIN_WORKING_DAYS working days from today."""
    work_calendar = holidays.calendar()
    nominal = max(periods.periods_in("yearly", year)[0].due,
                  work_calendar.add_working_days(clock.today(), MIN_WORKING_DAYS))
    return nominal, work_calendar.next_working_day(nominal)


def start_report(actor: User, indicator_id: int, year: int | str | None, agency: str | None) -> Task:
    """Ask ``agency`` to report the indicator's value for a milestone year. One transaction.

    Coordinators may ask any responsible agency; an agency head only their own, when it is
    responsible. Refuses a second open report for the same indicator, year and agency.
    """
    try:
        with transaction():
            return _start_report(actor, indicator_id, year, agency)
    except IntegrityError as exc:  # a concurrent request opened the same report first
        raise Invalid("Đã có một báo cáo số liệu đang xử lý cho chỉ tiêu, năm và đơn vị này.",
                      {"year": "Đã có một báo cáo số liệu đang xử lý cho năm này."}) from exc


def _start_report(actor: User, indicator_id: int, year: int | str | None, agency_name: str | None) -> Task:
    indicator = get_indicator(indicator_id)
    responsible = responsible_agencies(indicator)
    allowed = reporting_agencies(actor, indicator)
    if not allowed:
        raise NotAllowed("Chỉ Tổ giúp việc hoặc lãnh đạo đơn vị chủ trì chỉ tiêu được yêu cầu báo cáo số liệu.")
    errors: dict[str, str] = {}
    try:
        year = int(str(year).strip())
    except (TypeError, ValueError):
        year = None
    if year not in milestone_years(indicator):
        errors["year"] = N_("Vui lòng chọn một năm mốc của chỉ tiêu.")
    elif year not in reportable_years(indicator):
        errors["year"] = Message("Chưa đến kỳ báo cáo số liệu năm %(year)s: số liệu năm nay báo cáo cho mốc "
                                 "%(next)s.", year=year, next=reportable_years(indicator)[-1])
    agency = next((a for a in responsible if a.name == (agency_name or "").strip()), None)
    if agency is None:
        errors["agency"] = N_("Vui lòng chọn một đơn vị chủ trì chỉ tiêu này.")
    elif agency not in allowed:
        errors["agency"] = N_("Lãnh đạo đơn vị chỉ yêu cầu báo cáo số liệu của đơn vị mình.")
    if not errors:
        existing = db.session.scalar(select(Task).where(
            Task.kind == KIND, Task.indicator_id == indicator.id, Task.period == str(year),
            Task.lead_agency_id == agency.id, Task.state != "done").limit(1))
        if existing is not None:
            errors["year"] = Message("%(agency)s đang có báo cáo số liệu năm %(year)s của chỉ tiêu này "
                                     "(%(code)s, bước: %(step)s). "
                                     "Vui lòng xử lý báo cáo đó thay vì tạo báo cáo mới.",
                                     agency=agency.name, year=year, code=existing.code,
                                     step=existing.current_step or "—")
    if errors:
        raise Invalid("Chưa tạo được yêu cầu báo cáo số liệu: %(problems)s", errors, problems=list(errors.values()))

    nominal, due = _due(year)
    target = target_with_unit(indicator, year)
    directive = db.session.get(Directive, indicator.directive_id) if indicator.directive_id else None
    task = Task(
        title=report_title(indicator, year), kind=KIND, indicator_id=indicator.id, period=str(year),
        period_key=_open_key(indicator, year, agency), lead_agency=agency, output_type="report",
        expected_output=(f"Số liệu thực hiện năm {year} của chỉ tiêu “{' '.join(indicator.name.split())}”"
                         + (f"; chỉ tiêu năm {year}: {target}" if target else "") + "."),
        due_date=due, nominal_due=nominal, original_due=due, deadline_text=f"Trước ngày {nominal:%d/%m/%Y}",
        section=indicator.group, directive_id=indicator.directive_id,
        source_document=directive.number if directive else None,
        created_at=clock.now(), created_by_id=actor.id, state="active")
    db.session.add(task)
    db.session.flush()
    task.code = create.code_for(task)
    create.start_process(actor, task, PROCESS, {"indicator_id": indicator.id, "year": year,
                                                "target": target_for(indicator, year)})
    return task
