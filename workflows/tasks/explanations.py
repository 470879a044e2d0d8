"""Explanations (giải trình): why a task is late and when its lead agency now expects to finish it.

The lead agency writes them on the task page when the task is overdue or due soon (an overdue reminder asks for
one); reports to the province quote the latest one. A return note from a head to their own officer is internal to
the agency and is never quoted in its place.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Task, TaskExplanation, User, db
from workflows import audit, clock, settings
from workflows.errors import N_, Invalid, NotAllowed, NotFound
from workflows.tasks import status
from workflows.tx import transaction

TEXT_MAX = 2000
ASKED_WHEN = ("overdue", "due_soon")  # the statuses in which the task page offers the form
ANCHOR = "giai-trinh"  # the form's card on the task page, where an overdue reminder links


def may_explain(user: User, task: Task) -> bool:
    """The lead agency's officers and head, and coordinators, while the task is not done."""
    if task.state == "done" or not user.is_authenticated or not user.active:
        return False
    if user.has_role("coordinator"):
        return True
    return user.agency_id == task.lead_agency_id and user.has_role("officer", "agency_head")


def ensure_may_explain(user: User, task: Task) -> None:
    if not may_explain(user, task):
        raise NotAllowed("Chỉ chuyên viên, lãnh đạo của đơn vị chủ trì và Tổ giúp việc được giải trình "
                         "về nhiệm vụ này, khi nhiệm vụ chưa hoàn thành.")


def is_asked(task: Task, today: date | None = None) -> bool:
    """Whether the task page asks for an explanation: the task is overdue or due soon."""
    return status.compute(task, today or clock.today(), settings.due_soon_days()) in ASKED_WHEN


def days_late(task: Task, today: date | None = None) -> int:
    """Days past the due date (0 when not late)."""
    if task.due_date is None or task.state == "done" or task.kind == "withdrawn":
        return 0
    return max(0, ((today or clock.today()) - task.due_date).days)


def explain(user: User, task_id: int, text: str | None, expected_on: date | None) -> TaskExplanation:
    """Record the lead agency's explanation of a late task and its expected completion date. One transaction."""
    text = (text or "").strip()
    with transaction():
        task = db.session.get(Task, task_id)
        if task is None:
            raise NotFound("Không tìm thấy nhiệm vụ.")
        if task.state == "done":
            raise Invalid("Nhiệm vụ đã hoàn thành, không cần giải trình.", {"text": N_("Nhiệm vụ đã hoàn thành.")})
        ensure_may_explain(user, task)
        _check(text, expected_on)
        explanation = TaskExplanation(task_id=task.id, text=text, expected_on=expected_on, author_id=user.id,
                                      created_at=clock.now())
        db.session.add(explanation)
        db.session.flush()
        audit.record("explain", user, task, comment=text,
                     data={"expected_on": expected_on.isoformat(), "explanation_id": explanation.id,
                           "due_date": task.due_date.isoformat() if task.due_date else None})
    return explanation


def _check(text: str, expected_on: date | None) -> None:
    errors = {}
    if not text:
        errors["text"] = N_("Vui lòng nêu lý do chậm và những việc đơn vị đang làm.")
    elif len(text) > TEXT_MAX:
        errors["text"] = N_("Giải trình dài quá 2000 ký tự; vui lòng viết ngắn gọn hơn.")
    if expected_on is None:
        errors["expected_on"] = N_("Vui lòng nhập ngày dự kiến hoàn thành.")
    elif expected_on < clock.today():
        errors["expected_on"] = N_("Ngày dự kiến hoàn thành không được ở trong quá khứ.")
    if errors:
        raise Invalid("Chưa ghi được giải trình.", errors)


# ---------------------------------------------------------------- reads

def history(task: Task) -> list[TaskExplanation]:
    """The task's explanations, latest first."""
    return list(db.session.scalars(select(TaskExplanation).where(TaskExplanation.task_id == task.id)
                                   .order_by(TaskExplanation.created_at.desc(), TaskExplanation.id.desc())))


def latest(task_ids: Iterable[int]) -> dict[int, TaskExplanation]:
    """The latest explanation of each task that has one."""
    ids = list(task_ids)
    found: dict[int, TaskExplanation] = {}
    for i in range(0, len(ids), 500):  # a bounded IN list: SQLite and PostgreSQL cap bound parameters
        rows = db.session.scalars(
            select(TaskExplanation).where(TaskExplanation.task_id.in_(ids[i:i + 500]))
            .options(selectinload(TaskExplanation.author))  # (the reports name who wrote each)
            .order_by(TaskExplanation.created_at.desc(), TaskExplanation.id.desc()))
        for row in rows:
            found.setdefault(row.task_id, row)
    return found


def quoted(explanation: TaskExplanation | None) -> str:
    """An explanation as a report quotes it: the text, then "Dự kiến hoàn thành dd/mm/yyyy"."""
    if explanation is None:
        return NO_EXPLANATION
    body = " ".join(explanation.text.split())
    if explanation.expected_on:
        body += f"\nDự kiến hoàn thành {explanation.expected_on:%d/%m/%Y}"
    return body


NO_EXPLANATION = "Chưa có giải trình"
