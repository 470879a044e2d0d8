"""Urging a task on (đôn đốc): what a coordinator did by telephone, from the task's page.

A coordinator urges a task — or, on a group's task, every member that is late — and whoever holds its open items
and the heads of their agencies are told at once, with what the coordinator wrote (in the application and by
mail). Each urge is in the task's history; a task is urged at most once a day, so that two coordinators, or a
button pressed twice, do not flood an agency.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from models import AuditEvent, Task, User, db
from workflows import audit, clock
from workflows.errors import N_, Conflict, Invalid, NotFound
from workflows.notify import events
from workflows.tasks import create, fanout, reads, status
from workflows.tx import serialize_on, transaction

ACTION = "urged"
MESSAGE_MAX = 1000


@dataclass
class Urged:
    """What an urge did: the tasks urged and how many people were told; on a group's task, the late members left
    out — urged already today, or with nobody to tell (no account at the agency holding the file)."""

    tasks: list[Task] = field(default_factory=list)
    told: int = 0
    already: list[Task] = field(default_factory=list)
    nobody: list[Task] = field(default_factory=list)


def urge(actor: User, task_id: int, message: str | None = None) -> Urged:
    """Urge one task on, with the coordinator's ``message`` (optional). One transaction. Conflict when the task
    waits for nobody, was urged today already, or nobody can be told."""
    create.require_coordinator(actor)
    message = _message(message)
    with transaction():
        serialize_on(Task, task_id)  # (two coordinators, or a double press: one urge)
        task = db.session.get(Task, task_id)
        if task is None or task.kind == fanout.WITHDRAWN:
            raise NotFound("Không tìm thấy nhiệm vụ.")
        if task.kind == create.GROUP_KIND:
            raise Invalid("Nhiệm vụ giao cho nhóm được đôn đốc theo từng đơn vị chưa hoàn thành.")
        items = reads.open_items(task)
        if task.state != "active" or not items:
            raise Conflict("Nhiệm vụ không có bước nào đang chờ xử lý nên không có ai để đôn đốc.")
        last = last_urged([task.id]).get(task.id)
        if urged_today(last):
            raise Conflict("Nhiệm vụ đã được đôn đốc hôm nay lúc %(time)s (%(who)s); mỗi nhiệm vụ được đôn đốc "
                           "một lần mỗi ngày.", time=f"{clock.to_local(last.at):%H:%M}",
                           who=last.actor.full_name if last.actor else "")
        told = events.urged(task, items, actor, message)
        if not told:
            raise Conflict("Đơn vị đang giữ hồ sơ chưa có tài khoản nào nhận được đôn đốc: vui lòng liên hệ trực "
                           "tiếp đơn vị.")
        audit.record(ACTION, actor, task, comment=message or None, data={"told": len(told), "waiting": waiting(items)})
    return Urged(tasks=[task], told=len(told))


def urge_late_members(actor: User, parent_id: int, message: str | None = None) -> Urged:
    """Urge on every member of a group's task that is overdue, each as ``urge`` does, in one transaction; the
    members urged today already, or whose file nobody can be told of, are left out and named."""
    create.require_coordinator(actor)
    message = _message(message)
    urged = Urged()
    with transaction():
        serialize_on(Task, parent_id)
        parent = fanout.running_group_task(parent_id)
        late = [t for t in fanout.member_tasks(parent) if status.of(t) == "overdue"]
        if not late:
            raise Invalid("Không có đơn vị nào quá hạn để đôn đốc.")
        before = {task_id for task_id, event in last_urged(t.id for t in late).items() if urged_today(event)}
        open_items = defaultdict(list)
        for item in reads.open_items_of([t.id for t in late]):
            open_items[item.task_id].append(item)
        for task in late:
            items = open_items[task.id]
            if task.id in before:
                urged.already.append(task)
                continue
            told = events.urged(task, items, actor, message) if items else []
            if not told:
                urged.nobody.append(task)
                continue
            audit.record(ACTION, actor, task, comment=message or None,
                         data={"told": len(told), "waiting": waiting(items), "group": parent.id})
            urged.tasks.append(task)
            urged.told += len(told)
        if urged.tasks:
            audit.record(ACTION, actor, parent, comment=message or None,
                         data={"told": urged.told, "agencies": [t.lead_agency.name for t in urged.tasks]})
    return urged


def waiting(items) -> str:
    """Where the file waited when it was urged, as the week's review pack says it: "Thẩm định (Sở Tư pháp)"."""
    return "; ".join(dict.fromkeys(f"{i.step_name} ({i.agency.name})" if i.agency else i.step_name for i in items))


def _message(message: str | None) -> str:
    """The coordinator's words, line breaks as one character each (as the box counted them)."""
    message = (message or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(message) > MESSAGE_MAX:
        raise Invalid("Nội dung đôn đốc dài quá %(n)s ký tự.", {"message": N_("Vui lòng viết ngắn gọn hơn.")},
                      n=MESSAGE_MAX)
    return message


def last_urged(task_ids: Iterable[int]) -> dict[int, AuditEvent]:
    """The latest urge of each of the tasks that has one."""
    ids = list(task_ids)
    if not ids:
        return {}
    latest = (select(func.max(AuditEvent.id)).where(AuditEvent.action == ACTION, AuditEvent.task_id.in_(ids))
              .group_by(AuditEvent.task_id))
    return {e.task_id: e for e in db.session.scalars(select(AuditEvent).where(AuditEvent.id.in_(latest)))}


def not_urged_today(members: Iterable[Task], urged: dict[int, AuditEvent]) -> list[Task]:
    """The late members of a group's task not urged today (``urged``: ``last_urged`` of them), those the group's
    page offers to urge — one whose agency has no account among them, named when it is pressed."""
    return [t for t in members if status.of(t) == "overdue" and not urged_today(urged.get(t.id))]


def nobody_to_tell(members: list[Task]) -> list[Task]:
    """Those of ``members`` whose open steps wait at agencies with no active account: an urge reaches nobody there
    (``urge_late_members`` names them after the press; the group's page names them before it, to telephone)."""
    if not members:
        return []
    waiting_at = defaultdict(set)
    for item in reads.open_items_of([t.id for t in members]):
        waiting_at[item.task_id].add(item.agency_id)
    staffed = set(db.session.scalars(select(User.agency_id).where(
        User.active.is_(True), User.agency_id.in_({a for agencies in waiting_at.values() for a in agencies}))))
    return [t for t in members if not waiting_at[t.id] & staffed]


def urged_today(event: AuditEvent | None) -> bool:
    """The urge was made today, in the province: the task is not urged again before tomorrow."""
    return event is not None and event.at >= clock.day_start(clock.today())
