"""Moving a task's deadline: by an amending document, a coordinator, or an approved extension request.

Every change keeps the old date, who decided, why and by which document (``DeadlineAdjustment``); the
open work items and the steps' waiting timers follow the new date.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from models import DeadlineAdjustment, ProcessInstance, Task, User, WorkItem, db
from workflows import audit, clock, holidays
from workflows.notify import events
from workflows.process import runtime


def adjust_deadline(user: User, task: Task, new_due: date | None, new_text: str | None, reason: str,
                    source: str | None = None, directive_id: int | None = None,
                    nominal_due: date | str | None = None, tell: bool = False) -> DeadlineAdjustment:
    """Change a task's due date, keeping the old one, who decided, why and by which document. Flushes only.
    ``tell``: those working on it hear of the new date (an amending document; an extension's decision says it)."""
    adjustment = DeadlineAdjustment(
        task_id=task.id, old_due=task.due_date, new_due=new_due, old_text=task.deadline_text, new_text=new_text,
        reason=reason, source_document=source, directive_id=directive_id, decided_by_id=user.id, at=clock.now())
    db.session.add(adjustment)
    audit.record("adjust", user, task, comment=reason, data={
        "old_due": task.due_date.isoformat() if task.due_date else None,
        "new_due": new_due.isoformat() if new_due else None, "source": source})
    if tell:
        _tell(user, task, new_due, reason, source)
    task.due_date, task.deadline_text = new_due, new_text
    # the date as decided (an extension's is the day granted; an amendment's the day it writes, ``nominal_due``)
    task.nominal_due = (date.fromisoformat(nominal_due) if isinstance(nominal_due, str) else nominal_due) \
        if nominal_due is not None else new_due
    _rearm(task)
    if task.kind == "group":  # a group's task: every member still at work gets the new date too
        for member in db.session.scalars(select(Task).where(Task.parent_id == task.id, Task.kind == "task",
                                                            Task.state == "active").order_by(Task.id)):
            adjust_deadline(user, member, new_due, new_text, reason, source, directive_id, nominal_due, tell)
    return adjustment


def _rearm(task: Task) -> None:
    """The task's open work items and its steps' waiting timers follow its due date (and the calendar as it is); an
    item with an earlier deadline of its own keeps it while it is earlier."""
    items = {i.engine_task_id: i for i in runtime.open_items_of_task(task.id)}
    for item in items.values():
        item.due_at = runtime.due_at(task)
    for row in db.session.scalars(select(ProcessInstance).where(
            ProcessInstance.task_id == task.id, ProcessInstance.status == "running", ProcessInstance.kind == "main")
            .with_for_update(of=ProcessInstance)):
        instance = runtime.load(row)
        instance.set_due_date(task.due_date)
        for step in instance.ready_steps():
            if step.task_id in items and step.due is not None:
                item = items[step.task_id]
                item.due_at = runtime.due_at(task, step, item.created_at)
        runtime.save(instance, task)  # no step changes


# The tasks whose timers a day off counts in: a reminder three working days before the due date, escalations some
# working days after it (Tết's nine days off between included)
CALENDAR_REACH = timedelta(days=21)


def follow_calendar(actor: User, day: date) -> int:
    """The holiday calendar changed on ``day`` (a Tết day added in December, a day given back), in the caller's
    transaction: a running task whose written date is on or before ``day`` and whose due date is on or after it
    falls due on the working day its written date gives now — a due date on a new day off moves to the next
    working day, one put off by a day removed comes back — with an audit event; and the steps' waiting timers of
    the tasks due within three weeks of ``day`` count working days on the calendar as it is now (the reminders of
    2027 were set before its days off were known, and fired on them). Returns how many due dates moved."""
    moved = 0
    calendar = holidays.calendar()
    for task in db.session.scalars(select(Task).where(
            Task.state == "active", Task.kind != "withdrawn", Task.due_date >= day - CALENDAR_REACH,
            Task.due_date <= day + CALENDAR_REACH).order_by(Task.id)):
        written = task.nominal_due
        if written is not None and written <= day <= task.due_date \
                and (due := calendar.next_working_day(written)) != task.due_date:
            audit.record("calendar", actor, task, comment=f"Lịch nghỉ lễ thay đổi ngày {day:%d/%m/%Y}: thời hạn "
                         f"{task.due_date:%d/%m/%Y} thành {due:%d/%m/%Y}.",
                         data={"old_due": task.due_date.isoformat(), "new_due": due.isoformat(),
                               "day": day.isoformat()})
            task.due_date = due
            moved += 1
        _rearm(task)
    return moved


def _tell(user: User, task: Task, new_due: date | None, reason: str, source: str | None) -> None:
    """The holders of the task's open items and the heads of their agencies and of the lead agency: the date moved
    (the officer's form went on showing an internal deadline past the new date)."""
    old = f"{task.due_date:%d/%m/%Y}" if task.due_date else "không có"
    lines = [f"Thời hạn cũ: {old}", f"Thời hạn mới: {new_due:%d/%m/%Y}" if new_due else "Thời hạn mới: không có",
             *([f"Theo văn bản: {source}"] if source else []), f"Nội dung: {reason}"]
    if new_due and task.due_date and new_due < task.due_date:
        lines.append("Thời hạn sớm hơn trước: các hạn nội bộ đã giao trong đơn vị cần xem lại.")
    events.task_changed(task, runtime.open_items_of_task(task.id), user, "Thời hạn nhiệm vụ thay đổi", lines)


def apply_extension_decision(instance: runtime.Instance, task: Task) -> None:
    """A finished extension request: the authority's approval moves the date; the requester, and whoever reviewed
    it on the way, are told either way."""
    data = instance.result_data()
    decider = db.session.scalar(select(User).where(User.username == data.get("actor")))
    requester = db.session.scalar(select(User).where(User.username == data.get("requester")))
    new_due = date.fromisoformat(data["requested_due"])
    approved = data.get("outcome") == "approved"
    if approved:
        who = requester.full_name if requester else data.get("requester")
        adjust_deadline(decider, task, new_due, f"Gia hạn đến {new_due:%d/%m/%Y}",
                        f"Chấp thuận đề nghị gia hạn của {who}: {data.get('reason', '')}",
                        # the document that granted it, when the authority names it (the Friday pack and the
                        # task page cite it); else the request itself
                        source=(data.get("decision_document") or "").strip() or "Đề nghị điều chỉnh thời hạn")
    reviewers = db.session.scalars(select(User).join(WorkItem, WorkItem.completed_by_id == User.id).where(
        WorkItem.instance_id == instance.row.id, WorkItem.status == "done").distinct().order_by(User.id))
    events.extension_decided(task, approved, new_due, requester, asked_why=data.get("reason"),
                             decided_why=data.get("comment"), decider=decider, document=data.get("decision_document"),
                             reviewers=reviewers)
