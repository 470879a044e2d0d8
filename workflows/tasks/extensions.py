"""Asking for more time: the lead agency's request runs as its own process beside the task's main one.

The coordinator reviews it and the assigning authority decides (``extension_request.bpmn``); an approval
moves the deadline (``workflows.tasks.deadlines.apply_extension_decision``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from models import ProcessInstance, Task, User, db
from workflows import audit, clock, holidays, settings
from workflows.errors import N_, Invalid, Message, NotAllowed, NotFound
from workflows.process import catalog, runtime
from workflows.tasks import files, lifecycle
from workflows.tx import transaction

PROCESS = "extension_request"
DECIDE_WITHIN = 5  # working days to decide a request made when (or just before) the task falls due


def request_extension(user: User, task_id: int, new_due: date | None, reason: str | None,
                      upload: Any = None) -> ProcessInstance:
    """The lead agency asks for a new due date; the coordinator reviews, the assigning authority decides.

    Runs as its own process instance beside the task's main one. One transaction.
    """
    reason = (reason or "").strip()
    with transaction():
        task = db.session.get(Task, task_id)
        if task is None:
            raise NotFound("Không tìm thấy nhiệm vụ.")
        if task.lead_agency_id != user.agency_id or not user.has_role("officer", "agency_head"):
            raise NotAllowed("Chỉ chuyên viên hoặc lãnh đạo của đơn vị chủ trì được đề nghị gia hạn.")
        _check(task, new_due, reason)
        data = {
            "task_id": task.id, "requested_due": new_due.isoformat(), "reason": reason,
            "requester": user.username, "lead_agency": task.lead_agency.name,
            "coordinating_agency": settings.get("COORDINATING_AGENCY"),
            "assigning_authority": settings.get("ASSIGNING_AUTHORITY"),
            "due_date": decide_by(task).isoformat(),
        }
        if upload is not None:
            name, content = files.check(upload, "Văn bản đề nghị")
            data["request_file"] = files.store(task, "extension_file", name, content, user,
                                               step_name="Đề nghị gia hạn", label="Văn bản đề nghị gia hạn").id
        instance = runtime.start(task, catalog.latest(PROCESS), data, kind="extension")
        saved = runtime.save(instance, task)
        audit.record("extension_request", user, task, to_step=lifecycle.step_names(saved.created), comment=reason,
                     data={"requested_due": new_due.isoformat(),
                           "old_due": task.due_date.isoformat() if task.due_date else None})
        lifecycle.after_save(instance, task, saved)  # (its notices quote the request just recorded)
    return instance.row


def decide_by(task: Task) -> date:
    """When a request for more time is to be decided (its steps' reminders and escalations follow it): by the
    task's due date, or within ``DECIDE_WITHIN`` working days of a request made later than that — a request for an
    overdue task is not overdue the morning after it is made."""
    soon = holidays.calendar().add_working_days(clock.today(), DECIDE_WITHIN)
    return max(task.due_date, soon) if task.due_date else soon


def _check(task: Task, new_due: date | None, reason: str) -> None:
    errors = {}
    if task.state == "done":
        errors["new_due"] = N_("Nhiệm vụ đã hoàn thành.")
    elif task.kind == "withdrawn":
        errors["new_due"] = N_("Nhiệm vụ đã được rút, không tiếp tục thực hiện.")
    elif new_due is None:
        errors["new_due"] = N_("Vui lòng nhập thời hạn đề nghị.")
    elif new_due <= clock.today() or (task.due_date and new_due <= task.due_date):
        errors["new_due"] = Message("Thời hạn đề nghị phải sau thời hạn hiện tại (%(due)s) và sau hôm nay (%(today)s).",
                                    due=f"{task.due_date:%d/%m/%Y}" if task.due_date else "—",
                                    today=f"{clock.today():%d/%m/%Y}")
    if not reason:
        errors["reason"] = N_("Vui lòng nêu lý do đề nghị gia hạn.")
    if db.session.scalar(select(ProcessInstance.id).where(
            ProcessInstance.task_id == task.id, ProcessInstance.kind == "extension",
            ProcessInstance.status == "running")):
        errors["new_due"] = N_("Nhiệm vụ đang có một đề nghị gia hạn chờ quyết định.")
    if errors:
        raise Invalid("Chưa gửi được đề nghị gia hạn.", errors)
