"""The holiday calendar: editable rows in the database, preloaded with Vietnam's 2025–2026 days off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import func, select

from models import Holiday, Task, db
from workflows.errors import Invalid, Message, NotFound
from workflows.tx import transaction
from workflows.workdays import VN_PUBLIC_HOLIDAYS, VN_WORKING_WEEKENDS, HolidayCalendar


def ensure_defaults() -> int:
    """Load the preloaded days when the table is empty (init-db); returns how many were added."""
    if db.session.scalar(select(Holiday.id).limit(1)) is not None:
        return 0
    with transaction():
        for day, name in VN_PUBLIC_HOLIDAYS:
            db.session.add(Holiday(day=day, name=name, kind="off"))
        for day, name in VN_WORKING_WEEKENDS:
            db.session.add(Holiday(day=day, name=name, kind="working"))
        _changed()
    return len(VN_PUBLIC_HOLIDAYS) + len(VN_WORKING_WEEKENDS)


_CACHE_KEY = "holiday_calendar"


def calendar() -> HolidayCalendar:
    """The calendar as the administrator keeps it (read once per database session)."""
    cached = db.session.info.get(_CACHE_KEY)
    if cached is None:
        rows = db.session.execute(select(Holiday.day, Holiday.kind)).all()
        cached = db.session.info[_CACHE_KEY] = HolidayCalendar(
            holidays=frozenset(d for d, k in rows if k == "off"),
            working_weekends=frozenset(d for d, k in rows if k == "working"))
    return cached


def _changed() -> None:
    db.session.info.pop(_CACHE_KEY, None)


def set_day(day: date, name: str, kind: str = "off", then: Callable[[date], Any] | None = None
            ) -> tuple[str, str] | None:
    """Add or change one day of the calendar (administrators); returns what the day was before (its name and kind),
    None when it is new. A working day ("ngày làm bù") is a Saturday or a Sunday worked: Invalid on another day.
    ``then(day)`` runs in the same transaction, once the calendar has changed (the tasks that follow it)."""
    if kind == "working" and day.weekday() < 5:
        raise Invalid("Chưa lưu được ngày.", {"kind": Message(
            "Ngày làm bù là thứ Bảy hoặc Chủ nhật đi làm; ngày %(day)s là ngày làm việc bình thường.",
            day=f"{day:%d/%m/%Y}")})
    with transaction():
        row = db.session.scalar(select(Holiday).where(Holiday.day == day))
        before = (row.name, row.kind) if row is not None else None
        row = row or Holiday(day=day)
        row.name, row.kind = name, kind
        db.session.add(row)
        _changed()
        if then is not None:
            then(day)
    return before


def days(year: int | None = None) -> list[Holiday]:
    query = select(Holiday).order_by(Holiday.day)
    if year:
        query = query.where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))
    return list(db.session.scalars(query))


def years() -> list[int]:
    return sorted({d.year for d in db.session.scalars(select(Holiday.day))})


FULL_YEAR = 10  # days off a year's calendar has at least once entered (11 by the Labour Code, a few on weekends)


def years_missing() -> list[tuple[int, int, int]]:
    """Years in which active tasks fall due but the calendar is not yet entered: [(year, tasks due, days off
    entered), …], a year with fewer than ``FULL_YEAR`` days off (one day entered is not the year's Tết). Their due
    dates and working-day counts ignore the days missing until an administrator adds them."""
    year = func.extract("year", Task.due_date)
    due = db.session.execute(select(year, func.count()).where(Task.state != "done", Task.kind != "withdrawn",
                                                              Task.due_date.is_not(None))
                             .group_by(year).order_by(year)).all()
    entered = {}
    for day in db.session.scalars(select(Holiday.day).where(Holiday.kind == "off")):
        entered[day.year] = entered.get(day.year, 0) + 1
    return [(int(y), n, entered.get(int(y), 0)) for y, n in due if entered.get(int(y), 0) < FULL_YEAR]


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise NotFound("Không tìm thấy ngày này trong lịch.") from exc


def remove_day(day: date, then: Callable[[date], Any] | None = None) -> Holiday | None:
    """Take ``day`` out of the calendar; returns it as it was (None when it was not in it); ``then`` as ``set_day``."""
    with transaction():
        row = db.session.scalar(select(Holiday).where(Holiday.day == day))
        if row is not None:
            db.session.delete(row)
            db.session.flush()
            _changed()
            if then is not None:
                then(day)
    return row
