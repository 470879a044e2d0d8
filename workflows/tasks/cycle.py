"""Use cases of the approval cycle. Each public function is one transaction.

Data flow of one action (DESIGN.md §2): lock the instance row, restore the engine, check the
work item is READY and the user may act on it, run the step with whitelisted deep-copied data,
save the state, sync the work items, append audit events, commit — or roll back all of it.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import and_, insert, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from models import (
    OUTPUT_TYPES,
    Agency,
    AuditEvent,
    DeadlineAdjustment,
    ProcessInstance,
    Task,
    Timer,
    User,
    WorkItem,
    db,
)
from workflows import access, clock
from workflows.errors import N_, Conflict, Invalid, Message, NotAllowed, NotFound
from workflows.notify import events
from workflows.process import catalog, engine, timers
from workflows.tasks import files, reads
from workflows.tx import transaction

DECISION_LABELS = {"submit": "Gửi", "approve": "Đồng ý", "return": "Trả lại"}
ACTION_LABELS = {
    "create": "Giao nhiệm vụ", "submit": "Hoàn thành bước", "approve": "Đồng ý",
    "return": "Trả lại", "claim": "Nhận xử lý", "release": "Trả về hàng chờ",
    "adjust": "Điều chỉnh thời hạn", "rename": "Đổi tên nhiệm vụ", "remind": "Nhắc hạn", "escalate": "Báo quá hạn",
    "extension_request": "Đề nghị gia hạn", "reassign": "Giao lại việc", "delegate": "Ủy quyền",
    "comment": "Trao đổi", "migrate": "Chuyển phiên bản quy trình", "deploy": "Triển khai phiên bản quy trình",
}
MAX_TEXT = 5000
DUE_REQUIRED = N_("Vui lòng nhập thời hạn hoàn thành, hoặc ghi thời hạn theo văn bản (ví dụ “Quý II năm 2026”).")


def _audit(action: str, actor: User | None, task: Task, work_item: WorkItem | None = None,
           from_step: str | None = None, to_step: str | None = None,
           comment: str | None = None, data: dict | None = None, on_behalf_of: User | None = None) -> None:
    # a plain INSERT: events are never read back or changed in the transaction that writes them
    db.session.execute(insert(AuditEvent.__table__), [dict(
        at=clock.now(), actor_id=actor.id if actor else None, task_id=task.id,
        on_behalf_of_id=on_behalf_of.id if on_behalf_of else None,
        work_item_id=work_item.id if work_item else None, action=action,
        from_step=from_step, to_step=to_step, comment=comment, data=data or {})])


# ---------------------------------------------------------------- creating a task

def create_task(actor: User, **fields: Any) -> Task:
    """Register a task and start the process routing.dmn chooses for its output type. One transaction.

    Fields: title, lead_agency, output_type, collaborating_agencies, expected_output, due_date,
    deadline_text, source_document, section, recurrence (see ``add_task``).
    """
    with transaction():
        return add_task(actor, **fields)


def add_task(actor: User, *, title: str, lead_agency: str, output_type: str,
             collaborating_agencies: list[str] | tuple[str, ...] = (),
             expected_output: str | None = None, due_date: date | None = None,
             deadline_text: str | None = None, source_document: str | None = None,
             section: str | None = None, recurrence: str | None = None,
             done_on: date | None = None, **extra: Any) -> Task:
    """Validate, register and start one task; flushes only (the caller commits).

    ``done_on`` records a task already done when it was assigned (no process is started).
    ``extra`` sets further Task columns (directive, appendix, stt, import_key, nominal_due, …).
    """
    if not actor.has_role("coordinator"):
        raise NotAllowed("Chỉ Tổ giúp việc được giao nhiệm vụ.")
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = N_("Vui lòng nhập tên nhiệm vụ.")
    if output_type not in OUTPUT_TYPES:
        errors["output_type"] = N_("Loại sản phẩm không hợp lệ.")
    lead = reads.agency_by_name(lead_agency)
    if lead is None:
        errors["lead_agency"] = N_("Không tìm thấy đơn vị chủ trì trong danh mục.")
    collaborators = []
    for name in dict.fromkeys(collaborating_agencies):
        agency = reads.agency_by_name(name)
        if agency is None:
            errors["collaborating_agencies"] = Message("Không tìm thấy đơn vị phối hợp “%(name)s”.", name=name)
        elif lead is None or agency.id != lead.id:
            collaborators.append(agency)
    if due_date is None and not (deadline_text or "").strip() and recurrence is None and done_on is None:
        errors["due_date"] = DUE_REQUIRED
    if errors:
        raise Invalid("Thông tin nhiệm vụ chưa hợp lệ.", errors)

    now = clock.now()
    task = Task(title=title, lead_agency=lead, collaborating_agencies=collaborators,
                output_type=output_type, expected_output=(expected_output or "").strip() or None,
                due_date=due_date, nominal_due=extra.pop("nominal_due", due_date), deadline_text=deadline_text,
                recurrence=recurrence, source_document=source_document, section=section,
                created_at=now, created_by_id=actor.id, state="active", original_due=due_date, **extra)
    db.session.add(task)
    db.session.flush()
    task.code = f"NV-{task.id:05d}"
    if done_on is not None:
        task.state, task.completed_on, task.done_at_issue = "done", done_on, True
        task.completed_at = now
        _audit("create", actor, task, to_step="Hoàn thành", comment="Đã hoàn thành khi ban hành văn bản.")
        return task
    route = catalog.route(output_type)
    start_process(actor, task, route["process"], {
        "collaborators": [{"agency": a.name} for a in collaborators],
        "needs_appraisal": bool(route.get("needs_appraisal")),
        "appraising_agency": route.get("appraising_agency"),
        "competent_authority": route.get("competent_authority"),
    })
    return task


def start_process(actor: User, task: Task, process_id: str, data: dict[str, Any] | None = None) -> ProcessInstance:
    """Start the latest version of ``process_id`` as the task's main process; flushes only.

    The process data gets the task's id, output type, lead agency, the coordinating agency and the
    due date (read by the steps' boundary timers), plus ``data``. Records who started it.
    """
    model = catalog.latest(process_id)
    data = {
        "task_id": task.id,
        "output_type": task.output_type,
        "lead_agency": task.lead_agency.name,
        "coordinating_agency": current_app.config["COORDINATING_AGENCY"],
        "due_date": task.due_date.isoformat() if task.due_date else None,
        **(data or {}),
    }
    wf = catalog.spec_for(model).start(data)
    now = clock.now()
    instance = ProcessInstance(task=task, process_model=model, state=engine.serialize(wf),
                               serializer_version=engine.SERIALIZER_VERSION, created_at=now, updated_at=now)
    db.session.add(instance)
    db.session.flush()
    new_items = _sync(instance, wf, task)
    _audit("create", actor, task, to_step=_names(new_items),
           data={"process": model.process_id, "version": model.version})
    return instance


def adjust_deadline(user: User, task: Task, new_due: date | None, new_text: str | None, reason: str,
                    source: str | None = None, directive_id: int | None = None,
                    nominal_due: date | str | None = None) -> DeadlineAdjustment:
    """Change a task's due date, keeping the old one, who decided, why and by which document.

    The open work items follow the new date. Flushes only.
    """
    adjustment = DeadlineAdjustment(
        task_id=task.id, old_due=task.due_date, new_due=new_due, old_text=task.deadline_text, new_text=new_text,
        reason=reason, source_document=source, directive_id=directive_id, decided_by_id=user.id, at=clock.now())
    db.session.add(adjustment)
    _audit("adjust", user, task, comment=reason, data={
        "old_due": task.due_date.isoformat() if task.due_date else None,
        "new_due": new_due.isoformat() if new_due else None, "source": source})
    task.due_date, task.deadline_text = new_due, new_text
    if nominal_due is not None:
        task.nominal_due = date.fromisoformat(nominal_due) if isinstance(nominal_due, str) else nominal_due
    for item in _open_items_of_task(task.id):
        item.due_at = _due_at(task)
    for instance in db.session.scalars(select(ProcessInstance).where(
            ProcessInstance.task_id == task.id, ProcessInstance.status == "running", ProcessInstance.kind == "main")
            .with_for_update(of=ProcessInstance)):
        wf = catalog.restore(instance)
        engine.set_due_date(wf, new_due.isoformat() if new_due else None)
        _sync(instance, wf, task)  # the waiting timers follow the new date
    return adjustment


def fire_timers(instance: ProcessInstance, now: datetime) -> list[engine.WaitingTimer]:
    """Fire the instance's due timers (the caller holds its row lock); record them, and return the ones
    announced to someone (not the reminders that fired after the due date, nothing for an ongoing task)."""
    task = instance.task
    wf = catalog.restore(instance)
    fired = engine.fire_timers(wf, now.replace(tzinfo=UTC))
    items = _open_items(instance.id)
    # a reminder that fires after the due date (the worker was down, or the system went live with old
    # tasks) would announce "due soon" beside the overdue notice: it is recorded, and nobody is told
    late = task.due_date is not None and task.due_date < clock.to_local(now).date()
    # an ongoing task is never overdue (workflows.status): "Quá hạn" would contradict its badge
    ongoing = task.recurrence == "ongoing"
    announced = []
    for timer in fired:
        row = db.session.scalar(select(Timer).where(Timer.instance_id == instance.id,
                                                    Timer.engine_task_id == timer.task_id))
        if row is not None:
            row.fired_at = clock.now()
        stale = ongoing or (timer.action == "remind" and late)
        label = (ONGOING_TIMER if ongoing else LATE_REMINDER if stale
                 else TIMER_LABELS.get((timer.action, timer.notify), timer.action))
        _audit(timer.action, None, task, from_step=timer.step_name, comment=label,
               data={"notify": timer.notify, "due_date": task.due_date.isoformat() if task.due_date else None})
        held = [i for i in items if i.step_name == timer.step_name] or items
        if stale:
            continue
        announced.append(timer)
        if timer.action == "remind":
            events.reminder(task, held)
        else:
            events.escalation(task, held, timer.notify)
    _sync(instance, wf, task)
    return announced


TIMER_LABELS = {
    ("remind", "holder"): "Nhắc hạn: sắp đến hạn hoàn thành.",
    ("escalate", "agency_head"): "Quá hạn: đã báo lãnh đạo đơn vị.",
    ("escalate", "coordinator"): "Quá hạn kéo dài: đã báo Tổ giúp việc.",
}
LATE_REMINDER = "Nhắc hạn không gửi: đã quá thời hạn hoàn thành."
ONGOING_TIMER = "Không gửi nhắc hạn: nhiệm vụ thường xuyên không tính quá hạn."


def _open_items_of_task(task_id: int) -> list[WorkItem]:
    return list(db.session.scalars(select(WorkItem).where(WorkItem.task_id == task_id, WorkItem.status == "open")
                                   .order_by(WorkItem.id)))


# ---------------------------------------------------------------- asking for more time

EXTENSION_PROCESS = "extension_request"


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
        errors = {}
        if task.state == "done":
            errors["new_due"] = N_("Nhiệm vụ đã hoàn thành.")
        elif new_due is None:
            errors["new_due"] = N_("Vui lòng nhập thời hạn đề nghị.")
        elif new_due <= clock.today() or (task.due_date and new_due <= task.due_date):
            errors["new_due"] = N_("Thời hạn đề nghị phải sau thời hạn hiện tại và sau hôm nay.")
        if not reason:
            errors["reason"] = N_("Vui lòng nêu lý do đề nghị gia hạn.")
        if db.session.scalar(select(ProcessInstance.id).where(
                ProcessInstance.task_id == task.id, ProcessInstance.kind == "extension",
                ProcessInstance.status == "running")):
            errors["new_due"] = N_("Nhiệm vụ đang có một đề nghị gia hạn chờ quyết định.")
        if errors:
            raise Invalid("Chưa gửi được đề nghị gia hạn.", errors)
        model = catalog.latest(EXTENSION_PROCESS)
        data = {
            "task_id": task.id, "requested_due": new_due.isoformat(), "reason": reason,
            "requester": user.username, "lead_agency": task.lead_agency.name,
            "coordinating_agency": current_app.config["COORDINATING_AGENCY"],
            "assigning_authority": current_app.config["ASSIGNING_AUTHORITY"],
            "due_date": task.due_date.isoformat() if task.due_date else None,
        }
        if upload is not None:
            name, content = files.check(upload, "Văn bản đề nghị")
            data["request_file"] = files.store(task, "extension_file", name, content, user,
                                               step_name="Đề nghị gia hạn", label="Văn bản đề nghị gia hạn").id
        wf = catalog.spec_for(model).start(data)
        now = clock.now()
        instance = ProcessInstance(task=task, process_model=model, kind="extension", state=engine.serialize(wf),
                                   serializer_version=engine.SERIALIZER_VERSION, created_at=now, updated_at=now)
        db.session.add(instance)
        db.session.flush()
        new_items = _sync(instance, wf, task)
        _audit("extension_request", user, task, to_step=_names(new_items), comment=reason,
               data={"requested_due": new_due.isoformat(),
                     "old_due": task.due_date.isoformat() if task.due_date else None})
    return instance


def _extension_finished(instance: ProcessInstance, wf, task: Task) -> None:
    """Apply the decision of a finished extension request (the authority's approval moves the date)."""
    data = engine.result_data(wf)
    decider = db.session.scalar(select(User).where(User.username == data.get("actor")))
    requester = db.session.scalar(select(User).where(User.username == data.get("requester")))
    new_due = date.fromisoformat(data["requested_due"])
    approved = data.get("outcome") == "approved"
    if approved:
        who = requester.full_name if requester else data.get("requester")
        adjust_deadline(decider, task, new_due, f"Gia hạn đến {new_due:%d/%m/%Y}",
                        f"Chấp thuận đề nghị gia hạn của {who}: {data.get('reason', '')}",
                        source="Đề nghị điều chỉnh thời hạn")
    events.extension_decided(task, approved, new_due, data.get("comment") or data.get("reason"), requester)


def _indicator_report_finished(wf, task: Task) -> None:
    """Record the value of a finished indicator report (the coordinator accepted it)."""
    from workflows.tasks import indicators  # indicators imports this module

    indicators.record_accepted(task, engine.result_data(wf))


# ---------------------------------------------------------------- claiming

def claim(work_item_id: int, user: User) -> WorkItem:
    with transaction():
        item, _ = _locked_item(work_item_id)
        access.check_can_act(user, item)
        if item.claimed_by_id == user.id:
            return item
        item.claimed_by = user
        _audit("claim", user, item.task, item, from_step=item.step_name)
        item.task.current_holder = _holder(_open_items(item.instance_id))
    return item


def reassign(work_item_id: int, head: User, username: str) -> WorkItem:
    """An agency head hands an open item of the agency to another of its people (with the item's role)."""
    with transaction():
        item, _ = _locked_item(work_item_id)
        if item.status != "open":
            raise access.already_done(item)
        if not (head.has_role("agency_head") and head.agency_id == item.agency_id):
            raise NotAllowed("Chỉ lãnh đạo đơn vị đang giữ việc được giao lại việc này.")
        target = db.session.scalar(select(User).where(User.username == username))
        if target is None or not target.active or target.agency_id != item.agency_id or item.role not in target.roles:
            raise Invalid("Người nhận phải là người của đơn vị có vai trò phù hợp với bước này.",
                          {"assignee": "Chọn một người trong đơn vị."})
        previous = item.claimed_by
        item.claimed_by = target
        _audit("reassign", head, item.task, item, from_step=item.step_name,
               comment=f"Giao lại cho {target.full_name}",
               data={"from": previous.username if previous else None, "to": target.username})
        item.task.current_holder = _holder(_open_items_of_task(item.task_id))
        events.work_item_created(item)
    return item


def release(work_item_id: int, user: User) -> WorkItem:
    with transaction():
        item, _ = _locked_item(work_item_id)
        if item.claimed_by_id != user.id:
            raise NotAllowed("Chỉ người đang giữ việc mới trả việc về hàng chờ.")
        item.claimed_by = None
        _audit("release", user, item.task, item, from_step=item.step_name)
        item.task.current_holder = _holder(_open_items(item.instance_id))
    return item


# ---------------------------------------------------------------- completing a work item

def complete(work_item_id: int, user: User, decision: str, comment: str | None = None,
             data: dict[str, Any] | None = None, uploads: dict[str, Any] | None = None) -> Task:
    """Complete a work item with a decision; returns the task. One transaction.

    Raises NotFound, NotAllowed (not this user's item), Conflict (already done or changed
    meanwhile, with who did it) or Invalid (bad decision, return without reason, bad data).
    """
    try:
        with transaction():
            return _complete(work_item_id, user, decision, comment, data or {}, uploads or {})
    except (StaleDataError, OperationalError) as exc:
        # Another writer saved the same instance first (PostgreSQL waits on the row lock and
        # then sees the item done; SQLite reports the stale version or a busy database).
        if isinstance(exc, OperationalError) and "locked" not in str(exc).lower():
            raise
        item = db.session.get(WorkItem, work_item_id)
        raise access.already_done(item) if item and item.status != "open" else Conflict(
            "Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang và thử lại.") from exc


def _complete(work_item_id: int, user: User, decision: str, comment: str | None,
              data: dict[str, Any], uploads: dict[str, Any]) -> Task:
    instance, task_items = _locked_item_and_open_items(work_item_id)
    item = next(i for i in task_items if i.id == work_item_id)
    if item.status != "open":
        raise access.already_done(item)
    access.check_can_act(user, item)
    wf = catalog.restore(instance)
    step = engine.step(wf, item.engine_task_id)
    if step is None:
        raise Conflict("Bước này không còn chờ xử lý. Vui lòng tải lại trang.")

    comment = (comment or "").strip()
    errors: dict[str, str] = {}
    if decision not in step.decisions:
        errors["decision"] = N_("Quyết định không hợp lệ cho bước này.")
    elif decision == "return" and not comment:
        errors["comment"] = N_("Khi trả lại, vui lòng ghi rõ lý do.")
    if len(comment) > MAX_TEXT:
        errors["comment"] = Message("Ý kiến dài quá %(max)s ký tự.", max=MAX_TEXT)
    clean = _clean_data(step, data, item, errors)
    checked_files = {}
    for f in step.fields:
        if f.type == "file" and uploads.get(f.name) is not None:
            try:
                checked_files[f.name] = files.check(uploads[f.name], f.label)
            except Invalid as exc:
                errors[f.name] = exc.message
    unknown = set(uploads) - {f.name for f in step.fields if f.type == "file"}
    if unknown:
        errors["files"] = N_("Tệp đính kèm không thuộc bước này.")
    if errors:
        raise Invalid("Chưa thể hoàn thành bước: %(problems)s", errors, problems=list(errors.values()))

    task = item.task
    now = clock.now()
    labels = {f.name: f.label for f in step.fields}
    for name, (filename, content) in checked_files.items():
        attachment = files.store(task, name, filename, content, user, item.id, item.step_name, labels[name])
        clean[name] = attachment.id
    engine_data = {**clean, "decision": decision, "comment": comment, "actor": user.username}
    try:
        engine.complete(wf, item.engine_task_id, engine_data)
    except engine.EngineError as exc:
        current_app.logger.exception("engine refused work item %s", item.id)
        raise Invalid("Quy trình không chuyển được bước: %(reason)s", reason=exc) from exc

    principal = access.acting_for(user, item)
    item.status = "done"
    item.decision = decision
    item.comment = comment or None
    item.completed_at = now
    item.completed_by_id = user.id
    item.claimed_by = item.claimed_by or principal or user
    if instance.kind == "main":  # (an extension review is not work on the task)
        task.started_at = task.started_at or now
        _record_refs(task, [clean[f.name] for f in step.fields
                            if f.type == "text" and not f.multiline and clean.get(f.name)])
    new_items = _sync(instance, wf, task, (item.step_name, comment, user) if decision == "return" else None,
                      task_items)
    to_step = _names(new_items) if new_items or not engine.is_completed(wf) else "Hoàn thành"
    _audit(decision, user, task, item, from_step=item.step_name, to_step=to_step,
           comment=comment or None, data={k: v for k, v in clean.items() if v is not None},
           on_behalf_of=principal if principal is not None and principal.id != user.id else None)
    return task


def _record_refs(task: Task, texts: list[str]) -> None:
    """Keep the one-line texts a step recorded (decision and document numbers) on the task for search."""
    if texts:
        known = [t for t in (task.recorded_refs or "").split(" | ") if t]
        task.recorded_refs = " | ".join(dict.fromkeys(known + texts))[:MAX_TEXT]


def _clean_data(step: engine.Step, data: dict[str, Any], item: WorkItem,
                errors: dict[str, str]) -> dict[str, Any]:
    """Keep only the step's declared fields, converted to JSON-safe values."""
    clean: dict[str, Any] = {}
    for f in step.fields:
        if f.type == "file":
            continue
        raw = data.get(f.name)
        value = raw.strip() if isinstance(raw, str) else raw
        if value in (None, ""):
            if f.required:
                errors[f.name] = Message("Vui lòng nhập %(what)s.", what=f.label.lower())
            continue
        if f.type == "text":
            if not isinstance(value, str) or len(value) > MAX_TEXT:
                errors[f.name] = Message("%(label)s: nội dung không hợp lệ.", label=f.label)
            else:
                clean[f.name] = value
        elif f.type == "date":
            try:
                day = value if isinstance(value, date) else datetime.strptime(str(value), "%Y-%m-%d").date()
            except ValueError:
                errors[f.name] = Message("%(label)s: ngày không hợp lệ (định dạng YYYY-MM-DD).", label=f.label)
                continue
            if f.past and day > clock.today():
                errors[f.name] = Message("%(label)s không thể sau hôm nay (%(today)s).", label=f.label,
                                         today=f"{clock.today():%d/%m/%Y}")
            else:
                clean[f.name] = day.isoformat()
        elif f.type == "number":
            try:
                clean[f.name] = float(value)
            except (TypeError, ValueError):
                errors[f.name] = Message("%(label)s: phải là một số.", label=f.label)
        elif f.type == "user":
            officer = db.session.scalar(select(User).where(User.username == str(value)))
            if (officer is None or not officer.active or officer.agency_id != item.agency_id
                    or not officer.has_role("officer")):
                errors[f.name] = Message("%(label)s: phải là chuyên viên của đơn vị.", label=f.label)
            else:
                clean[f.name] = officer.username
    return clean


# ---------------------------------------------------------------- helpers

def _locked_item(work_item_id: int) -> tuple[WorkItem, ProcessInstance]:
    """Lock the item's process instance, then read the item as it is now."""
    instance, items = _locked_item_and_open_items(work_item_id)
    return next(i for i in items if i.id == work_item_id), instance


def _locked_item_and_open_items(work_item_id: int) -> tuple[ProcessInstance, list[WorkItem]]:
    """Lock the item's process instance, then read, as they are now, the item and the open items
    of its task (the ones a completion may cancel or keep), in one query.

    On PostgreSQL a concurrent completion waits on the row lock and then sees the item done; on
    SQLite the version column of the instance catches the race at write time.
    """
    instance = db.session.scalar(
        select(ProcessInstance)
        .where(ProcessInstance.id == select(WorkItem.instance_id).where(WorkItem.id == work_item_id).scalar_subquery())
        .with_for_update(of=ProcessInstance).execution_options(populate_existing=True))
    if instance is None:
        raise NotFound("Không tìm thấy việc cần xử lý.")
    task_id = select(WorkItem.task_id).where(WorkItem.id == work_item_id).scalar_subquery()
    items = list(db.session.scalars(
        select(WorkItem).where(or_(WorkItem.id == work_item_id,
                                   and_(WorkItem.task_id == task_id, WorkItem.status == "open")))
        .options(joinedload(WorkItem.task)).order_by(WorkItem.id)
        .execution_options(populate_existing=True)).unique())
    return instance, items


def _open_items(instance_id: int) -> list[WorkItem]:
    return list(db.session.scalars(select(WorkItem).where(
        WorkItem.instance_id == instance_id, WorkItem.status == "open").order_by(WorkItem.id)))


def _names(items: list[WorkItem]) -> str:
    return ", ".join(dict.fromkeys(i.step_name for i in items))


def _holder(items: list[WorkItem]) -> str | None:
    holders = [i.claimed_by.full_name if i.claimed_by else (i.agency.name if i.agency else "?")
               for i in items]
    return "; ".join(dict.fromkeys(holders)) or None


def _sync(instance: ProcessInstance, wf, task: Task, returned: tuple[str, str, User] | None = None,
          task_items: list[WorkItem] | None = None) -> list[WorkItem]:
    """Save the engine state and make the open work items match the READY user tasks.

    ``task_items`` are the task's open items as read under the instance lock, when the caller
    already has them. Returns the work items created by this save. Also refreshes the task's cached current
    step, holder and "since" time, and closes the task when the process completed.
    """
    now = clock.now()
    with db.session.no_autoflush:  # one flush below instead of one before every query
        instance.state = engine.serialize(wf)
        instance.serializer_version = engine.SERIALIZER_VERSION
        instance.updated_at = now
        steps = engine.ready_steps(wf)
        # (the item just completed is still "open" in the database until the flush)
        if task_items is None:
            task_items = _open_items_of_task(task.id)
        task_items = [i for i in task_items if i.status == "open"]
        existing = {i.engine_task_id: i for i in task_items if i.instance_id == instance.id}
        names = {s.agency for s in steps if s.agency}
        agencies = {a.name: a for a in db.session.scalars(select(Agency).where(Agency.name.in_(names)))}
        created = []
        for step in steps:
            if step.task_id in existing:
                continue
            agency = agencies.get(step.agency or "")
            if agency is None:
                raise Invalid("Bước “%(step)s” cần đơn vị “%(agency)s” "
                              "nhưng đơn vị này chưa có trong danh mục. Vui lòng bổ sung đơn vị.",
                              step=step.step_name, agency=step.agency or "(chưa xác định)")
            assignee = None
            if step.assignee:
                assignee = db.session.scalar(select(User).where(
                    User.username == step.assignee, User.agency_id == agency.id, User.active.is_(True)))
            elif returned is not None:  # a file sent back goes to whoever did that step, not the queue
                assignee = _previous_holder(instance.id, step.step_id, agency.id)
            item = WorkItem(instance_id=instance.id, task_id=task.id, engine_task_id=step.task_id,
                            step_id=step.step_id, step_name=step.step_name, lane=step.lane,
                            agency_id=agency.id, agency=agency, role=step.role, status="open",
                            decisions=list(step.decisions), fields=[asdict(f) for f in step.fields],
                            claimed_by_id=assignee.id if assignee else None, claimed_by=assignee,
                            created_at=now, due_at=_due_at(task))
            db.session.add(item)
            created.append(item)
    ready_ids = {s.task_id for s in steps}
    for engine_id, item in existing.items():
        if engine_id not in ready_ids:
            item.status = "cancelled"
            item.completed_at = now
    db.session.flush()  # the instance's version check runs here, before any other write
    timers.sync(instance, wf, task)
    if returned is not None:
        events.item_returned(created, *returned)
    else:
        for item in created:
            events.work_item_created(item)
    if engine.is_completed(wf):
        instance.status = "completed"
        if instance.kind == "main":
            task.state = "done"
            task.completed_at = now
            task.completed_on = clock.to_local(now).date()
            if task.kind == "indicator_report":
                _indicator_report_finished(wf, task)
        elif instance.kind == "extension":
            _extension_finished(instance, wf, task)
    open_items = [i for i in task_items if i.status == "open"] + created
    task.current_step = _names(open_items) or None
    task.current_holder = _holder(open_items)
    task.step_since = min((i.created_at for i in open_items), default=None)
    return created


def _previous_holder(instance_id: int, step_id: str, agency_id: int) -> User | None:
    """Who held the last completed visit of ``step_id`` in the instance, if still active in that agency."""
    holder = db.session.scalar(select(User).join(WorkItem, WorkItem.claimed_by_id == User.id).where(
        WorkItem.instance_id == instance_id, WorkItem.step_id == step_id, WorkItem.status == "done",
        WorkItem.agency_id == agency_id).order_by(WorkItem.completed_at.desc(), WorkItem.id.desc()).limit(1))
    return holder if holder is not None and holder.active and holder.agency_id == agency_id else None


def _due_at(task: Task) -> datetime | None:
    if task.due_date is None:
        return None
    return datetime.combine(task.due_date, datetime.min.time())
