"""Deadlines that act: the BPMN boundary timers' moments, and their mirror in the ``timer`` table.

The timers are in the process models (bpmn/*.bpmn): each user step carries a reminder before the
due date and two escalations after it, as non-interrupting boundary timers whose ``timeDate`` calls
``reminder_time(due_date, 3)`` or ``overdue_time(due_date, 2)`` — change the numbers in the model to
change the rules. Working days come from the holiday calendar, "now" from ``workflows.clock``.

A moment already past when a step is entered (a step reached late, or re-entered after a return)
is moved to the next working morning, so a return never triggers an instant escalation.

Every save writes the moment the instance's first waiting timer fires (``process_instance.next_timer_at``),
so that the worker (``workflows.tasks.reminders``) finds the due instances with an indexed query; the
``timer`` table keeps the timers that fired. The engine state stays the source of truth.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from models import ProcessInstance, Task, Timer
from workflows import clock, holidays, rows
from workflows.process import engine

MORNING = time(8, 0)
NEVER = datetime(9999, 12, 31, tzinfo=UTC)


def _at_morning(day: date) -> datetime:
    return datetime.combine(day, MORNING, tzinfo=clock.LOCAL_TZ)


def _not_past(moment: datetime, extra_days: int = 0) -> datetime:
    """``moment`` if still ahead, else the next working morning (plus ``extra_days`` working days)."""
    now = clock.now().replace(tzinfo=UTC)
    if moment > now:
        return moment
    calendar = holidays.calendar()
    return _at_morning(calendar.add_working_days(clock.today(), 1 + extra_days))


def reminder_time(due_date: str | None, lead_days: int = 3) -> str:
    """08:00 on the working day ``lead_days`` working days before the due date."""
    if not due_date:
        return NEVER.isoformat()
    calendar = holidays.calendar()
    day = calendar.add_working_days(calendar.next_working_day(date.fromisoformat(due_date)), -lead_days)
    return _not_past(_at_morning(day)).isoformat()


def overdue_time(due_date: str | None, extra_days: int = 0) -> str:
    """08:00 on the first working day after the due date (plus ``extra_days`` working days)."""
    if not due_date:
        return NEVER.isoformat()
    calendar = holidays.calendar()
    due = calendar.next_working_day(date.fromisoformat(due_date))
    return _not_past(_at_morning(calendar.add_working_days(due, 1 + extra_days)), extra_days).isoformat()


def configure_engine() -> None:
    """Give the engine the functions the timers' expressions call and the application's clock (create_app)."""
    engine.configure({"reminder_time": reminder_time, "overdue_time": overdue_time},
                     lambda: clock.now().replace(tzinfo=UTC))


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def next_moment(waiting: list[engine.WaitingTimer]) -> datetime | None:
    """When the first of the waiting timers fires (naive UTC, as stored), or None when none ever will."""
    moments = [t.fire_at for t in waiting if t.fire_at < NEVER]
    return _naive_utc(min(moments)) if moments else None


def record_fired(instance: ProcessInstance, task: Task, fired: list[engine.WaitingTimer]) -> None:
    """Keep the record of the timers that fired, written after the instance's versioned UPDATE (``runtime.save``):
    a worker that lost the race to another one fails on the version, not on these rows."""
    now = clock.now()
    rows.insert_plain(Timer, [dict(instance_id=instance.id, task_id=task.id, engine_task_id=t.task_id,
                                   step_name=t.step_name, action=t.action, notify=t.notify,
                                   fire_at=_naive_utc(t.fire_at), fired_at=now) for t in fired])
