"""What follows a save of a task's process: who is told, what finishing an instance means, and the
task's cached "where is it now" columns.

Every use case that saves an instance (``workflows.process.runtime.save``) hands the result here, so these
rules are written once: a new step notifies its holders (or, after a return, says why the file came back);
a finished instance closes the task, applies a decided extension or records an accepted indicator value,
according to the instance's kind (``FINISHED``) and the task's kind (``TASK_DONE``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from models import Task, User, WorkItem, db
from workflows import clock, rows
from workflows.notify import events
from workflows.process.runtime import Instance, Saved
from workflows.tasks import deadlines, indicators


@dataclass(frozen=True)
class Return:
    """A file sent back: from which step, why, by whom (the notification says so)."""

    step_name: str
    reason: str
    actor: User | None


def after_save(instance: Instance, task: Task, saved: Saved, returned: Return | None = None,
               handed: tuple[tuple[str, str], ...] = (), came_from: str | None = None, **task_columns: Any) -> None:
    """Refresh the task, notify and finish after ``runtime.save`` (same transaction). The task's cached columns,
    with the other ``task_columns`` the action changed and, when the task's process ends, the task's closing
    (``done_columns``), are written first, in one UPDATE. ``handed``: what the action wrote for the steps it
    opened (a head's internal deadline and instructions), as (label, text), and ``came_from`` the step it did, its
    decision and who made it, said in their notice."""
    if saved.completed and instance.kind == "main":
        task_columns.update(done_columns())
    refresh(task, saved.open, **task_columns)
    if returned is not None:
        events.item_returned(saved.created, returned.step_name, returned.reason, returned.actor)
    else:
        for item in saved.created:
            events.work_item_created(item, handed, came_from)
    if saved.completed:
        FINISHED[instance.kind](instance, task)


def refresh(task: Task, open_items: list[WorkItem], **task_columns: Any) -> None:
    """Write the task's cached current step, holder and "since" time, from its open work items (and
    ``task_columns``)."""
    rows.update_row(task, current_step=step_names(open_items) or None, current_holder=holders(open_items),
                    step_since=min((i.created_at for i in open_items), default=None), **task_columns)


def step_names(items: list[WorkItem]) -> str:
    return ", ".join(dict.fromkeys(i.step_name for i in items))


def holders(items: list[WorkItem]) -> str | None:
    names = [i.claimed_by.full_name if i.claimed_by else (i.agency.name if i.agency else "?") for i in items]
    return "; ".join(dict.fromkeys(names)) or None


def done_columns() -> dict[str, Any]:
    """A task closed now: its state, moment and (local) day."""
    now = clock.now()
    return {"state": "done", "completed_at": now, "completed_on": clock.to_local(now).date()}


def _task_done(instance: Instance, task: Task) -> None:
    """What the end of the task's process means beyond the task's closing (written by ``after_save``): its lead
    agency hears the outcome."""
    result = instance.result_data()
    if task.kind in TASK_DONE:
        TASK_DONE[task.kind](task, result)
    actor = result.get("actor")
    events.task_done(task, db.session.scalar(select(User).where(User.username == actor)) if actor else None)
    if task.parent_id is not None and task.kind == "task":
        group_task_follows(task.parent_id, task)


def group_task_follows(parent_id: int, finished: Task | None = None) -> None:
    """A group's task is done when the last of its members' tasks is (``finished``, just done, or the last
    one done before a withdrawal), on that member's day."""
    parent = db.session.get(Task, parent_id)
    if parent is None or parent.kind != "group" or parent.state == "done":
        return
    members = (Task.parent_id == parent.id) & (Task.kind == "task")
    with db.session.no_autoflush:
        still_open = db.session.scalar(select(func.count()).select_from(Task).where(
            members, Task.state != "done", Task.id != (finished.id if finished else -1)))
        last = finished or db.session.scalar(select(Task).where(members, Task.state == "done")
                                             .order_by(Task.completed_at.desc()).limit(1))
    if not still_open and last is not None:
        parent.state, parent.completed_at, parent.completed_on = "done", last.completed_at, last.completed_on


# What the end of an instance means, by its kind; and what the end of a task means beyond "done", by the
# task's kind.
FINISHED: dict[str, Callable[[Instance, Task], None]] = {
    "main": _task_done,
    "extension": deadlines.apply_extension_decision,
}
TASK_DONE: dict[str, Callable[[Task, dict], object]] = {
    "indicator_report": indicators.record_accepted,
}
