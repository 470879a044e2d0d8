"""Deadlines that act: the BPMN boundary timers' moments, and their mirror in the ``timer`` table.

The timers are in the process models (bpmn/*.bpmn): each user step carries a reminder before the
due date and two escalations after it, as non-interrupting boundary timers whose ``timeDate`` calls
``reminder_time(due_date, 3)`` or ``overdue_time(due_date, 2)`` — change the numbers in the model to
change the rules. Working days come from the holiday calendar, "now" from ``workflows.clock``.

A moment already past when a step is entered (a step reached late, or re-entered after a return)
is moved to the next working morning, so a return never triggers an instant escalation.

The ``timer`` table mirrors the waiting timers after every engine save, so that the worker
(``workflows.tasks.reminders``) finds the due ones with an indexed query. The engine state stays the
source of truth: a fired timer is COMPLETED in it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import insert, select, update

from models import ProcessInstance, Task, Timer, db
from workflows import clock, holidays
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


def sync(instance: ProcessInstance, wf: engine.Workflow, task: Task, fired: set[str] = frozenset()) -> None:
    """Mirror the instance's waiting timers into the timer table (plain statements: this runs on
    every step); the ones of ``fired`` (engine task ids) are marked fired, the other vanished ones cancelled."""
    waiting = {t.task_id: t for t in engine.waiting_timers(wf) if t.fire_at < NEVER}
    table = Timer.__table__
    is_open = (table.c.instance_id == instance.id, table.c.fired_at.is_(None), table.c.cancelled_at.is_(None))
    existing = dict(db.session.execute(select(table.c.engine_task_id, table.c.fire_at).where(*is_open)).all())
    gone = [engine_id for engine_id in existing if engine_id not in waiting]
    for column, ids in (("fired_at", [i for i in gone if i in fired]),
                        ("cancelled_at", [i for i in gone if i not in fired])):
        if ids:  # fired in this save, or the step was completed
            db.session.execute(update(table).where(*is_open, table.c.engine_task_id.in_(ids))
                               .values({column: clock.now()}))
    for engine_id, timer in waiting.items():
        fire_at = _naive_utc(timer.fire_at)
        if engine_id in existing and existing[engine_id] != fire_at:  # a new due date moved it
            db.session.execute(update(table).where(*is_open, table.c.engine_task_id == engine_id)
                               .values(fire_at=fire_at))
    new = [{"instance_id": instance.id, "task_id": task.id, "engine_task_id": engine_id,
            "step_name": timer.step_name, "action": timer.action, "notify": timer.notify,
            "fire_at": _naive_utc(timer.fire_at)}
           for engine_id, timer in waiting.items() if engine_id not in existing]
    if new:
        db.session.execute(insert(table), new)
