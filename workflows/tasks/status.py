"""Task status as Vietnamese tracking systems count it (DOMAIN.md), in Python and in SQL.

Status depends on today's date, so it is computed, never stored: ``compute`` for one task and
``clause`` for filtering a query. Both follow the same rules, and a test keeps them equal. ``of`` and
``where`` apply them today, in Hà Nội, with the configured "due soon" window.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, or_

from models import Task
from workflows import clock, settings

STATUSES = ("not_started", "in_progress", "due_soon", "overdue", "done_on_time", "done_late",
            "ongoing")
STATUS_LABELS = {
    "not_started": "Chưa bắt đầu",
    "in_progress": "Đang thực hiện",
    "due_soon": "Sắp đến hạn",
    "overdue": "Quá hạn",
    "done_on_time": "Hoàn thành đúng hạn",
    "done_late": "Hoàn thành quá hạn",
    "ongoing": "Thường xuyên",
    "withdrawn": "Đã rút",  # (not in STATUSES: a withdrawn task is counted nowhere, fanout.remove_member)
}
# "trong hạn" in the scorecards: not done, the deadline not passed ("within" in the task list's status filter)
WITHIN = ("in_progress", "due_soon", "not_started")


def compute(task: Task, today: date, due_soon_days: int) -> str:
    if task.kind == "withdrawn":  # taken off the list (a member's share, a task a later document ends): late no more
        return "withdrawn"
    if task.state == "done":
        # done when its document was issued ("(Đã thực hiện)"): on time, whatever day it was recorded
        if task.done_at_issue or task.due_date is None or task.completed_on is None \
                or task.completed_on <= task.due_date:
            return "done_on_time"
        return "done_late"
    # ongoing ("Thường xuyên"): counted apart, never overdue — unless a first milestone is written beside it ("Tháng
    # 8/2025 - Thường xuyên": the plan is due then), which is due, and late, as any date is until it is delivered
    if task.recurrence == "ongoing" and task.due_date is None:
        return "ongoing"
    if task.due_date is not None:
        if task.due_date < today:
            return "overdue"
        if task.due_date <= today + timedelta(days=due_soon_days):
            return "due_soon"
    # a task is under way from the moment its process starts (its first step waits for someone); it has not
    # started only while the start its document sets ("Từ Quý III/2026") lies ahead
    starts = task.recurrence_starts
    return "not_started" if starts is not None and starts > today else "in_progress"


def clause(status: str, today: date, due_soon_days: int):
    """A WHERE clause selecting the tasks that ``compute`` gives ``status``."""
    done = Task.state == "done"
    running = and_(Task.state != "done", Task.kind != "withdrawn")
    undated_ongoing = and_(Task.recurrence == "ongoing", Task.due_date.is_(None))
    active = and_(running, or_(Task.recurrence.is_(None), Task.recurrence != "ongoing", Task.due_date.is_not(None)))
    soon = today + timedelta(days=due_soon_days)
    not_due = or_(Task.due_date.is_(None), Task.due_date > soon)
    return {
        "done_on_time": and_(done, or_(Task.done_at_issue.is_(True), Task.due_date.is_(None),
                                       Task.completed_on.is_(None), Task.completed_on <= Task.due_date)),
        "done_late": and_(done, Task.done_at_issue.is_(False), Task.completed_on > Task.due_date),
        "ongoing": and_(running, undated_ongoing),
        "overdue": and_(active, Task.due_date < today),
        "due_soon": and_(active, Task.due_date >= today, Task.due_date <= soon),
        "not_started": and_(active, not_due, Task.recurrence_starts > today),
        "in_progress": and_(active, not_due, or_(Task.recurrence_starts.is_(None), Task.recurrence_starts <= today)),
    }[status]


def of(task: Task) -> str:
    """The task's status today."""
    return compute(task, clock.today(), settings.due_soon_days())


def where(status: str):
    """A WHERE clause selecting the tasks whose status is ``status`` today."""
    return clause(status, clock.today(), settings.due_soon_days())
