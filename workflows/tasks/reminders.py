"""The worker's side of deadlines: fire the steps' due timers, record them, and tell whom they concern.

The timers themselves are in the process models (``workflows.process.timers``); the ``timer`` table mirrors
them so that a worker finds the due ones with an indexed query and claims each instance with
``FOR UPDATE SKIP LOCKED`` (PostgreSQL): each timer fires once however many workers run.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from models import ProcessInstance, db
from workflows import audit, clock
from workflows.notify import events
from workflows.process import engine, runtime
from workflows.tasks import lifecycle
from workflows.tx import RACES, lost_race, transaction

TIMER_LABELS = {
    ("remind", "holder"): "Nhắc hạn: sắp đến hạn hoàn thành.",
    ("escalate", "agency_head"): "Quá hạn: đã báo lãnh đạo đơn vị.",
    ("escalate", "coordinator"): "Quá hạn kéo dài: đã báo Tổ giúp việc.",
}
LATE_REMINDER = "Nhắc hạn không gửi: đã quá thời hạn hoàn thành."


def fire_timers(row: ProcessInstance, now: datetime) -> list[engine.WaitingTimer]:
    """Fire the instance's due timers (the caller holds its row lock); record them, and return the ones
    announced to someone (not the reminders that fired after the due date)."""
    task = row.task
    instance = runtime.load(row)
    fired = instance.fire_timers(now.replace(tzinfo=UTC))
    items = runtime.open_items_of_task(task.id)
    items = [i for i in items if i.instance_id == row.id]
    # a reminder that fires after the due date (the worker was down, or the system went live with old
    # tasks) would announce "due soon" beside the overdue notice: it is recorded, and nobody is told
    late = task.due_date is not None and task.due_date < clock.to_local(now).date()
    announced = []
    # the coordinators are told once of a task late at three collaborators' steps, not three times; a holder or head
    # of each step's own
    told: dict[tuple[str, str, str | None], list] = {}
    for timer in fired:
        stale = timer.action == "remind" and late
        label = LATE_REMINDER if stale else TIMER_LABELS.get((timer.action, timer.notify), timer.action)
        audit.record(timer.action, None, task, from_step=timer.step_name, comment=label,
                     data={"notify": timer.notify, "due_date": task.due_date.isoformat() if task.due_date else None})
        held = ([i for i in items if i.engine_task_id == timer.step_task_id]  # (its collaborator's, in a round)
                or [i for i in items if i.step_name == timer.step_name] or items)
        if stale:
            continue
        announced.append(timer)
        same = told.setdefault((timer.action, timer.notify,
                                None if timer.notify == "coordinator" else timer.step_task_id), [])
        same += [i for i in held if i not in same]
    for (action, level, _step), held in told.items():
        if action == "remind":
            events.reminder(task, held)
        else:
            events.escalation(task, held, level)
    saved = runtime.save(instance, task)  # the fired timers leave the mirror with fired_at set
    lifecycle.after_save(instance, task, saved)
    return announced


def run_due(now: datetime | None = None, limit: int | None = None) -> dict[str, int]:
    """Fire the timers due at ``now`` (naive UTC; default the clock), one instance per transaction.

    PostgreSQL workers skip the instances another worker has locked. On SQLite, where there is no
    SKIP LOCKED, two workers may pick the same instance: the version column lets one save and the
    other roll back (counted as "skipped"), so a timer still fires once.
    """
    now = now or clock.now()
    counts = {"instances": 0, "reminders": 0, "escalations": 0, "skipped": 0}
    seen: set[int] = set()
    while limit is None or counts["instances"] + counts["skipped"] < limit:
        try:
            with transaction():
                due = select(ProcessInstance).where(ProcessInstance.status == "running",
                                                    ProcessInstance.next_timer_at <= now)
                if seen:
                    due = due.where(ProcessInstance.id.not_in(seen))
                instance = db.session.scalar(
                    due.order_by(ProcessInstance.next_timer_at, ProcessInstance.id).limit(1)
                    .with_for_update(skip_locked=True, of=ProcessInstance)
                    .execution_options(populate_existing=True))
                if instance is None:
                    break
                seen.add(instance.id)
                # as locked now: another worker may have fired them just before (on PostgreSQL the row was
                # re-read when the lock was taken)
                still_due = instance.status == "running" and instance.next_timer_at is not None \
                    and instance.next_timer_at <= now
                fired = fire_timers(instance, now) if still_due else None
        except RACES as exc:
            if not lost_race(exc):
                raise
            counts["skipped"] += 1
            continue
        if fired is None:
            counts["skipped"] += 1
            continue
        counts["instances"] += 1
        for timer in fired:
            counts["reminders" if timer.action == "remind" else "escalations"] += 1
    return counts
