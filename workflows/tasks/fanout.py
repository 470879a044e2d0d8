"""A task owed by a group (kind "group", ``create.assign_group``): its progress, derived from its members' tasks,
and the coordinator's changes to who owes it while it runs.

The group's task has no process and no work items: its members' tasks (kind "task", ``parent_id``) are ordinary
tasks, each with its own approval or report cycle. "87/166 đơn vị đã hoàn thành, 12 quá hạn" and the list of
members not done are read from them. A member removed mid-way has its task withdrawn (kind "withdrawn": counted
nowhere, its history kept); a member added gets its own task from that day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, or_, select, update

from models import AuditEvent, ProcessInstance, Task, User, WorkItem, db
from workflows import audit, clock, holidays
from workflows.errors import N_, Conflict, Invalid, Message, NotFound
from workflows.notify import events
from workflows.paging import page_of_list
from workflows.tasks import create, lifecycle, reads, status
from workflows.tasks.periods import REPORT_KINDS
from workflows.text import fold, sort_key
from workflows.tx import transaction

WITHDRAWN = "withdrawn"
CLOSED = "closed"  # a task stopped before it was done, with the group's task it belongs to: "không hoàn thành"


@dataclass
class Progress:
    """How far the members of a group's task are."""

    done: int
    total: int
    overdue: int
    not_done: list[Task] = field(default_factory=list)  # the members' tasks still open, overdue first


def member_tasks(parent: Task) -> list[Task]:
    """The members' tasks of a group's task, by the member's name as Vietnamese sorts it (Đ after D); of a withdrawn
    group's task, the shares withdrawn with it too (not those taken back before it: a member merged away)."""
    members = and_(Task.parent_id == parent.id, Task.kind == "task")
    if parent.kind == WITHDRAWN:
        members = or_(members, Task.id.in_(_withdrawn_with(parent)))
    tasks = db.session.scalars(select(Task).where(members))
    return sorted(tasks, key=lambda t: sort_key(t.lead_agency.name))


def _withdrawn_with(parent: Task) -> list[int]:
    """The shares a group's task was withdrawn with (recorded on its withdrawal)."""
    data = db.session.scalar(select(AuditEvent.data).where(AuditEvent.task_id == parent.id,
                                                           AuditEvent.action == "withdrawn")
                             .order_by(AuditEvent.id.desc()).limit(1))
    return list((data or {}).get("task_ids", []))


def progress(parent: Task, tasks: list[Task] | None = None) -> Progress:
    tasks = member_tasks(parent) if tasks is None else tasks
    states = {t.id: status.of(t) for t in tasks}
    open_tasks = [t for t in tasks if t.state != "done"]
    open_tasks.sort(key=lambda t: (states[t.id] != "overdue", sort_key(t.lead_agency.name)))
    return Progress(done=len(tasks) - len(open_tasks), total=len(tasks),
                    overdue=sum(1 for s in states.values() if s == "overdue"), not_done=open_tasks)


MEMBERS_PER_PAGE = 50  # the group page's lists: 166 communes are four pages, not one page of 166 forms


@dataclass
class MemberPages:
    """The group page's two lists of members, each a page: those not done (overdue first) and those done."""

    query: str
    matched: int  # members whose name, former name or code holds the query (all of them without one)
    not_done: Pagination
    done: Pagination


def member_pages(members: list[Task], progress: Progress, query: str, page: int, done_page: int) -> MemberPages:
    """A page of each list, of the members whose name, a former name or the code holds ``query`` (accents and case
    not needed: "hac thanh" finds UBND phường Hạc Thành)."""
    wanted = fold(query)

    def matches(t: Task) -> bool:
        return not wanted or wanted in fold(" ".join([t.lead_agency.name, t.code or "", *(t.former_leads or ())]))

    not_done = [t for t in progress.not_done if matches(t)]
    done = [t for t in members if t.state == "done" and matches(t)]
    return MemberPages(query=query, matched=sum(1 for t in members if matches(t)),
                       not_done=page_of_list(not_done, page, MEMBERS_PER_PAGE),
                       done=page_of_list(done, done_page, MEMBERS_PER_PAGE))


REASON_MAX = 1000  # as the boxes take it (maxlength in tasks/show.html and tasks/group.html)


def _reason(reason: str | None, missing: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid(missing, {"reason": N_("Vui lòng ghi lý do.")})
    if len(reason) > REASON_MAX:
        long = Message("Lý do dài %(length)s ký tự; tối đa %(max)s ký tự.", length=len(reason), max=REASON_MAX)
        raise Invalid(long, {"reason": long})
    return reason


def owed_by_group(task: Task) -> bool:
    """A group's task, running, done, closed or withdrawn (its page is the group's page)."""
    return task.group_id is not None and task.parent_id is None and task.kind in (create.GROUP_KIND, WITHDRAWN)


def running_group_task(parent_id: int) -> Task:
    parent = db.session.get(Task, parent_id)
    if parent is None or not owed_by_group(parent):
        raise NotFound("Không tìm thấy nhiệm vụ giao cho nhóm đơn vị.")
    if parent.kind == WITHDRAWN:
        raise Conflict("Nhiệm vụ đã được rút: không thay đổi được đơn vị thực hiện.")
    if parent.state in ("done", CLOSED):
        raise Conflict("Nhiệm vụ đã hoàn thành hoặc đã kết thúc: không thay đổi được đơn vị thực hiện.")
    return parent


def add_member(actor: User, parent_id: int, agency_name: str, due_date: date | None = None) -> Task:
    """Give one more agency its own task under a running group's task (audited), due on the group's deadline or
    on ``due_date`` — which is asked for once the group's deadline has passed: a member added then was overdue
    from its first day. One transaction."""
    create.require_coordinator(actor)
    today = clock.today()
    with transaction():
        parent = running_group_task(parent_id)
        # the agency as the registry writes it (another spelling of a member is that member; a group's name is no
        # agency: it made a second group's task)
        agency = reads.agency_by_name(agency_name)
        if agency is None or not agency.active:
            unknown = Message("Không tìm thấy đơn vị “%(agency)s” trong danh mục đơn vị đang hoạt động.",
                              agency=agency_name)
            raise Invalid(unknown, {"agency": unknown})
        agency_name = agency.name
        if any(t.lead_agency_id == agency.id for t in member_tasks(parent)):
            raise Conflict("“%(agency)s” đã có nhiệm vụ này.", agency=agency_name)
        if due_date is None and parent.due_date is not None and parent.due_date < today:
            passed = Message("Thời hạn chung (%(due)s) đã qua: nhập thời hạn cho đơn vị được giao thêm.",
                             due=f"{parent.due_date:%d/%m/%Y}")
            raise Invalid(passed, {"due_date": passed})
        if due_date is not None and due_date < today:
            early = Message("Thời hạn cho đơn vị được giao thêm không thể trước hôm nay (%(today)s).",
                            today=f"{today:%d/%m/%Y}")
            raise Invalid(early, {"due_date": early})
        # the group's deadline as its members have it (the day written, the working day it moved to); a day given
        # for this member moves off a day off as a typed date does
        due, nominal = ((holidays.calendar().next_working_day(due_date), due_date) if due_date
                        else (parent.due_date, parent.nominal_due or parent.due_date))
        child = create.add_task(actor, title=parent.title, lead_agency=agency_name, output_type=parent.output_type,
                                expected_output=parent.expected_output, due_date=due, nominal_due=nominal,
                                deadline_text=None if due_date else parent.deadline_text,
                                source_document=parent.source_document,
                                section=parent.section, recurrence=parent.recurrence, parent_id=parent.id,
                                directive_id=parent.directive_id, appendix=parent.appendix, stt=parent.stt)
        audit.record("group_member_added", actor, parent, comment=f"Giao thêm cho {agency_name}.",
                     data={"agency": agency_name, "task_id": child.id})
    return child


def close(actor: User, parent_id: int, reason: str) -> list[Task]:
    """Close a group's task before every member is done (the committee decides it is over), with the reason
    (audited): the members' tasks still open stop — their work items cancelled, their processes ended — and are
    kept as "không hoàn thành" (state "closed"; they still count as not done, overdue once their deadline has
    passed). Returns them. One transaction."""
    create.require_coordinator(actor)
    reason = _reason(reason, N_("Vui lòng ghi lý do kết thúc nhiệm vụ."))
    with transaction():
        parent = running_group_task(parent_id)
        unfinished = [t for t in member_tasks(parent) if t.state != "done"]
        for task in unfinished:
            stop(task, actor)
            task.state = CLOSED
            audit.record("closed", actor, task, comment=f"Kết thúc nhiệm vụ giao cho nhóm: {reason}")
        parent.state = CLOSED
        audit.record("closed", actor, parent, comment=reason, data={"not_done": [t.lead_agency.name
                                                                                 for t in unfinished]})
    return unfinished


def stop(task: Task, actor: User | None) -> None:
    """A task stops where it is (a member's share; an agency's report no longer owed): no work item waits, no
    process runs, no timer fires, and no periodic report of it is owed any more (they stayed open, reminded, and
    in every Friday pack's reports not sent)."""
    for report in db.session.scalars(select(Task).where(Task.parent_id == task.id, Task.state == "active",
                                                        Task.kind.in_(REPORT_KINDS))):
        stop(report, actor)
        report.kind = WITHDRAWN
        audit.record("withdrawn", actor, report, comment=f"Không còn phải báo cáo: nhiệm vụ {task.code} đã dừng.")
    now = clock.now()
    db.session.execute(update(WorkItem).where(WorkItem.task_id == task.id, WorkItem.status == "open")
                       .values(status="cancelled", completed_at=now))
    db.session.execute(update(ProcessInstance).where(ProcessInstance.task_id == task.id,
                                                     ProcessInstance.status == "running")
                       .values(status="cancelled", next_timer_at=None))
    task.current_step, task.current_holder, task.step_since = None, None, None


def withdraw(actor: User, task_id: int, reason: str) -> Task:
    """Take a task off the list ("đưa ra khỏi danh mục, không tiếp tục thực hiện": a later document, or the
    committee's decision), with the reason (audited): its open work items are cancelled, its process stops, it is
    counted nowhere from now on (kind "withdrawn"), its history kept; those who held its work, their heads and the
    lead agency's are told. A group's task is withdrawn with every member's share not yet done (the shares done
    stay done); a member's share alone is taken back from its group's task (``remove_member``). One transaction."""
    create.require_coordinator(actor)
    reason = _reason(reason, N_("Vui lòng ghi lý do rút nhiệm vụ (văn bản hoặc quyết định)."))
    with transaction():
        task = db.session.scalar(select(Task).where(Task.id == task_id).with_for_update(of=Task))
        if task is None or task.kind not in ("task", create.GROUP_KIND, WITHDRAWN):
            raise NotFound("Không tìm thấy nhiệm vụ.")
        if not may_take_off(task):
            raise Conflict(why_not_taken_off(task))
        take_off(actor, task, reason)
    return task


def may_take_off(task: Task | None) -> bool:
    """A running task of its own or a group's (not a member's share of one): what ``withdraw`` takes off."""
    return task is not None and task.kind in ("task", create.GROUP_KIND) and task.parent_id is None \
        and task.state == "active"


def why_not_taken_off(task: Task) -> str:
    """Why ``withdraw`` refuses ``task`` (not ``may_take_off``), in a sentence."""
    if task.kind == WITHDRAWN:
        return N_("Nhiệm vụ đã được rút trước đó.")
    if task.parent_id is not None:
        return N_("Đây là phần việc của một đơn vị trong nhiệm vụ giao cho nhóm: rút ở danh sách đơn vị trên trang "
                  "của nhiệm vụ chung.")
    return N_("Nhiệm vụ đã hoàn thành hoặc đã kết thúc: không rút được.")


def take_off(actor: User, task: Task, reason: str) -> None:
    """``withdraw`` a running task of its own or a group's (checked by the caller) inside the caller's
    transaction."""
    if task.kind == create.GROUP_KIND:
        # a member's last step committing meanwhile would leave a share done and withdrawn: their processes first
        db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.task_id.in_(
            select(Task.id).where(Task.parent_id == task.id))).with_for_update()).all()
        members = member_tasks(task)
        for member in members:
            db.session.refresh(member)
        shares = [t for t in members if t.state != "done"]
        for share in shares:
            take_off_share(actor, share, reason, f"Cả nhiệm vụ giao cho nhóm được rút — {reason}")
        task.kind = WITHDRAWN
        audit.record("withdrawn", actor, task, comment=reason, data={
            "withdrawn": [t.lead_agency.name for t in shares], "task_ids": [t.id for t in shares],
            "done": len(members) - len(shares)})
        return
    take_off_share(actor, task, reason, reason)


def take_off_share(actor: User | None, task: Task, reason: str, comment: str) -> None:
    """Withdraw ``task`` (a task of its own, or a member's share) inside the caller's transaction: those who held
    its open work and their heads are told, it stops, its history says ``comment``."""
    items = list(db.session.scalars(select(WorkItem).where(WorkItem.task_id == task.id, WorkItem.status == "open")
                                    .order_by(WorkItem.id)))
    events.task_changed(task, items, actor, "Nhiệm vụ đã được rút, không tiếp tục thực hiện",
                        [f"Lý do: {reason}", f"Người rút: {actor.full_name if actor else 'Quản trị hệ thống'}",
                         "Các bước đang chờ đã được hủy; nhiệm vụ không còn tính vào tiến độ hay báo cáo."])
    stop(task, actor)
    task.kind = WITHDRAWN
    audit.record("withdrawn", actor, task, comment=comment)


def remove_member(actor: User, parent_id: int, task_id: int, reason: str) -> None:
    """Withdraw one member's task from a running group's task, with the reason (audited on both): its open work
    items are cancelled, its process stops, those who held them and their heads are told, and it is counted
    nowhere from now on. One transaction."""
    create.require_coordinator(actor)
    reason = _reason(reason, N_("Vui lòng ghi lý do rút nhiệm vụ của đơn vị."))
    with transaction():
        parent = running_group_task(parent_id)
        child = db.session.get(Task, task_id)
        if child is None or child.parent_id != parent.id or child.kind != "task":
            raise NotFound("Không tìm thấy nhiệm vụ của đơn vị này trong nhóm.")
        if child.state == "done":
            raise Conflict("Đơn vị đã hoàn thành nhiệm vụ: không rút được.")
        take_off_share(actor, child, reason, reason)
        agency = child.lead_agency.name
        audit.record("group_member_removed", actor, parent, comment=f"Rút nhiệm vụ của {agency}: {reason}",
                     data={"agency": agency, "task_id": child.id})
        db.session.flush()
        lifecycle.group_task_follows(parent.id)  # the others may all be done already
