"""Agencies that end: merged into another (departments in 2025, communes into wards) or dissolved, on a date, by a
document. A task must follow its agency's successor.

A merge moves, in one transaction and each with an audit event on its task: the open tasks the old agency leads
or collaborates on, its open work items (back to the successor's queue unless the person who holds one moves
with it), and the steps still to come in the running processes (their data names the successor). The old
agency's names become the successor's aliases, so an import that still writes the old name finds the successor
and says so; its group memberships pass to the successor. Its people move to the successor, are closed, or stay
(a person who stays keeps their account but sees the moved work no more). Finished tasks keep the old agency:
history is what it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from models import Agency, AgencyGroupMember, ProcessInstance, Task, User, WorkItem, db, task_collaborators
from workflows import audit, clock
from workflows.accounts import groups, people
from workflows.errors import N_, Conflict, Invalid, Message, NotAllowed, NotFound
from workflows.notify import events
from workflows.process import engine, runtime
from workflows.tasks import fanout, indicators, lifecycle, periods
from workflows.tasks.periods import REPORT_KINDS
from workflows.tx import transaction

USER_CHOICES = ("move", "keep", "deactivate")


@dataclass
class Merged:
    tasks: int  # open tasks led by the old agency, now led by the successor
    collaborations: int  # open tasks it collaborated on
    items: int  # open work items moved
    instances: int  # running processes whose coming steps now name the successor
    users: int  # people moved or closed
    withdrawn: int = 0  # its own periodic reports no longer owed (the successor reports for the whole)
    shares: int = 0  # its shares of a group's task the successor was given too: withdrawn, not a second share


def _agency(name: str) -> Agency:
    agency = db.session.scalar(select(Agency).where(Agency.name == " ".join((name or "").split())))
    if agency is None:
        raise NotFound("Không tìm thấy đơn vị “%(name)s” trong danh mục.", name=name)
    return agency


def checked_end(kind: str, document: str | None, users: str, on: date | None = None) -> str:
    """The deciding document as kept, or Invalid: what a merge ("merged") or an end ("split", "dissolved") asks
    before anything is read — so that a page can ask for a confirmation of what is sure to be done. A day still
    ahead is refused: the work moves when it is done, and every page would say the agency works until a day it
    no longer does."""
    document = " ".join((document or "").split())
    if on is not None and on > clock.today():
        raise Invalid("Ngày có hiệu lực chưa đến.", {"on": Message(
            "Ngày %(date)s chưa đến: sáp nhập, chia tách, giải thể chuyển công việc và tài khoản ngay khi xác nhận. "
            "Thực hiện vào ngày có hiệu lực hoặc sau đó.", date=f"{on:%d/%m/%Y}")})
    if kind not in ("merged", "split", "dissolved"):
        raise Invalid("Hình thức kết thúc không hợp lệ: chia tách (split) hoặc giải thể (dissolved).")
    if not document:
        raise Invalid(N_("Vui lòng ghi văn bản quyết định việc sáp nhập (số, ngày).") if kind == "merged"
                      else N_("Vui lòng ghi văn bản quyết định việc chia tách, giải thể (số, ngày)."))
    if users not in USER_CHOICES:
        raise Invalid("Cách xử lý tài khoản không hợp lệ.")
    if kind != "merged" and users == "move":  # no single agency to move them to
        raise Invalid("Cách xử lý tài khoản không hợp lệ.", {"users": N_(
            "Chia tách, giải thể không có một đơn vị tiếp nhận: chọn giữ nguyên hoặc ngừng tài khoản.")})
    return document


def merge_agency(actor: User | None, old_name: str, new_name: str, on: date, document: str,
                 users: str = "move") -> Merged:
    """Merge ``old_name`` into ``new_name`` on ``on`` by ``document`` (see the module). ``actor`` None: the
    command line; otherwise an administrator. One transaction."""
    groups.require_admin(actor)
    document = checked_end("merged", document, users, on)
    with transaction():
        old, new = _agency(old_name), _agency(new_name)
        if old.id == new.id:
            raise Invalid("Không thể sáp nhập một đơn vị vào chính nó.")
        if old.ended_on is not None or not new.active:
            raise Conflict("“%(name)s” đã ngừng hoạt động.", name=old.name if old.ended_on else new.name)
        why = f"{old.name} sáp nhập vào {new.name} theo {document} (từ {on:%d/%m/%Y})"
        moved_users = _people(old, new, users)
        shares = _shares(actor, old, new, why)  # (first: a share withdrawn takes its reports with it)
        withdrawn = _reports(actor, old, new, why, on)  # before the items move: a report no longer owed keeps none
        instances, items, tasks, collaborations = _move(actor, old, new, why)
        _names_and_groups(old, new, on)
        old.active, old.ended_on, old.end_kind, old.end_document, old.successor = False, on, "merged", document, new
        audit.record("agency_merge", actor, comment=why, data={
            "agency": old.name, "into": new.name, "on": on.isoformat(), "document": document, "tasks": tasks,
            "items": items, "users": users})
    return Merged(tasks, collaborations, items, instances, moved_users, withdrawn, shares)


def _reports(actor: User | None, old: Agency, new: Agency, why: str, on: date) -> int:
    """The old agency's periodic reports still open: its own ("Báo cáo định kỳ tháng 12 của …") for a period the
    merge falls in or before are no longer owed — the successor reports for the whole — and stop, withdrawn
    (counted nowhere, the history kept); one for a period over before the merge was owed then, and passes to the
    successor as it stands (overdue included), like those on a task the old agency led, and like an indicator's
    figure it was asked for (the successor now answers for the indicator) — unless the successor was asked for
    that figure too: one report of a year's figure, its own. Returns how many were withdrawn."""
    withdrawn = 0
    for report in db.session.scalars(select(Task).where(Task.lead_agency_id == old.id, Task.state == "active",
                                                        Task.kind.in_((*REPORT_KINDS, indicators.KIND)))):
        owed = report.kind == "agency_report" and periods.parse_key(report.period).end >= on
        if owed or (report.kind == indicators.KIND and db.session.scalar(select(Task.id).where(
                Task.kind == indicators.KIND, Task.indicator_id == report.indicator_id, Task.period == report.period,
                Task.lead_agency_id == new.id, Task.state == "active").limit(1)) is not None):
            fanout.stop(report, actor)
            report.kind = fanout.WITHDRAWN
            audit.record("withdrawn", actor, report, comment=f"Không còn phải báo cáo: {why}")
            withdrawn += 1
        else:
            _pass_lead(report, old, new)
            audit.record("agency_moved", actor, report, comment=f"Đơn vị báo cáo: {why}",
                         data={"from": old.name, "to": new.name})
    return withdrawn


def _shares(actor: User | None, old: Agency, new: Agency, why: str) -> int:
    """The old agency's open shares of a group's task that the successor was given too: withdrawn — the successor
    carries the task for the merged whole, as it reports for it —, not passed on as a second share of one task, each
    to be signed off apart (and "x/166 đơn vị" counting the merged ward twice). Returns how many."""
    theirs = select(Task.parent_id).where(Task.lead_agency_id == new.id, Task.kind == "task",
                                          Task.parent_id.is_not(None))
    shares = list(db.session.scalars(select(Task).where(Task.lead_agency_id == old.id, Task.kind == "task",
                                                        Task.state == "active", Task.parent_id.in_(theirs))))
    for share in shares:
        fanout.take_off_share(actor, share, why, f"{why}: {new.name} thực hiện nhiệm vụ chung cho cả đơn vị")
        audit.record("group_member_removed", actor, share.parent, comment=f"Rút nhiệm vụ của {old.name}: {why}",
                     data={"agency": old.name, "task_id": share.id})
    db.session.flush()
    for parent_id in {share.parent_id for share in shares}:
        lifecycle.group_task_follows(parent_id)  # the successor's share may be the last one, done already
    return len(shares)


def _open_tasks(agency: Agency):
    return select(Task).where(Task.lead_agency_id == agency.id, Task.state == "active", Task.kind == "task")


def end_agency(actor: User | None, name: str, kind: str, on: date, document: str, users: str = "keep") -> int:
    """An agency split (``kind`` "split") or dissolved ("dissolved") on ``on`` by ``document``: no single
    successor, so its open tasks wait on a coordinator's choice, task by task (``waiting_tasks``,
    ``move_task``); its people stay (to be moved on the people page) or are closed. Returns how many tasks wait.
    One transaction."""
    groups.require_admin(actor)
    if kind == "merged":  # (merge_agency: a successor carries it all on)
        raise Invalid("Hình thức kết thúc không hợp lệ: chia tách (split) hoặc giải thể (dissolved).")
    document = checked_end(kind, document, users, on)
    with transaction():
        agency = _agency(name)
        if agency.ended_on is not None:
            raise Conflict("“%(name)s” đã ngừng hoạt động.", name=agency.name)
        _people(agency, None, users)
        for membership in db.session.scalars(select(AgencyGroupMember).where(
                AgencyGroupMember.agency_id == agency.id, AgencyGroupMember.left_on.is_(None))):
            membership.left_on = on
        agency.active, agency.ended_on, agency.end_kind, agency.end_document = False, on, kind, document
        waiting = len(waiting_tasks(agency.id))
        audit.record("agency_end", actor, comment=f"{agency.name}: {KIND_WORDS[kind]} theo {document} (từ "
                     f"{on:%d/%m/%Y}); {waiting} nhiệm vụ chờ Tổ giúp việc giao lại",
                     data={"agency": agency.name, "kind": kind, "on": on.isoformat(), "document": document})
    return waiting


KIND_WORDS = {"split": "chia tách", "dissolved": "giải thể", "merged": "sáp nhập"}


def waiting_tasks(agency_id: int | None = None) -> list[Task]:
    """The running tasks led by an agency that ended without a successor (split, dissolved) — or with work
    waiting there — until a coordinator chooses who carries each on."""
    ended = select(Agency.id).where(Agency.ended_on.is_not(None), Agency.successor_id.is_(None))
    if agency_id is not None:
        ended = ended.where(Agency.id == agency_id)
    return list(db.session.scalars(select(Task).where(
        Task.kind == "task", Task.state == "active",
        Task.lead_agency_id.in_(ended)
        | Task.id.in_(select(WorkItem.task_id).where(WorkItem.status == "open", WorkItem.agency_id.in_(ended))))
        .order_by(Task.due_date.is_(None), Task.due_date, Task.id)))


def move_task(actor: User, task_id: int, new_name: str) -> Task:
    """A coordinator's choice for one task of an agency that ended without a successor: ``new_name`` carries it
    on — its lead, its open work items and its coming steps (audited). One transaction."""
    if not actor.has_role("coordinator"):
        raise NotAllowed("Chỉ Tổ giúp việc được giao lại nhiệm vụ của đơn vị đã ngừng hoạt động.")
    with transaction():
        task = db.session.get(Task, task_id)
        if task is None or task not in waiting_tasks():
            raise NotFound("Nhiệm vụ này không chờ giao lại.")
        new = _agency(new_name)
        if not new.active:
            raise Conflict("“%(name)s” đã ngừng hoạt động.", name=new.name)
        olds = {task.lead_agency} | {i.agency for i in runtime.open_items_of_task(task.id)}
        for old in [a for a in olds if a is not None and a.ended_on is not None and a.successor_id is None]:
            why = f"Tổ giúp việc giao lại cho {new.name} ({old.name} {KIND_WORDS[old.end_kind]} theo " \
                  f"{old.end_document})"
            _move(actor, old, new, why, task.id)
    return task


def _move(actor: User | None, old: Agency, new: Agency, why: str, only: int | None = None) -> tuple[int, ...]:
    """The old agency's open work — or only task ``only``'s — carried on by ``new``: the coming steps of running
    processes, the open work items, the lead of open tasks, the collaborations. Returns those four counts."""
    return (_processes(old, new, only), _items(actor, old, new, why, only), _leads(actor, old, new, why, only),
            _collaborations(old, new, only))


def _people(old: Agency, new: Agency | None, choice: str) -> int:
    """The old agency's people moved to ``new``, closed, or kept where they are; how many moved or closed."""
    staff = list(db.session.scalars(select(User).where(User.agency_id == old.id, User.active.is_(True))))
    for user in staff:
        if choice == "move":
            user.agency = new
        elif choice == "deactivate":
            user.active = False
            people.end_access(user)
    return len(staff) if choice != "keep" else 0


def _processes(old: Agency, new: Agency, only: int | None = None) -> int:
    """The running processes of the tasks the old agency is part of (``only`` that task): their coming steps
    name the successor."""
    involved = select(Task.id).where(
        (Task.lead_agency_id == old.id)
        | Task.id.in_(select(task_collaborators.c.task_id).where(task_collaborators.c.agency_id == old.id))
        | Task.id.in_(select(WorkItem.task_id).where(WorkItem.agency_id == old.id, WorkItem.status == "open")))
    if only is not None:
        involved = involved.where(Task.id == only)
    rows = list(db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.status == "running", ProcessInstance.task_id.in_(involved))
        .order_by(ProcessInstance.id).with_for_update(of=ProcessInstance).execution_options(populate_existing=True)))
    for row in rows:
        instance = runtime.load(row)
        engine.replace_agency(instance.workflow, old.name, new.name, new.id)
        row.state = engine.serialize(instance.workflow)
        row.updated_at = clock.now()
        # an open step of a collaborator's run says whose part its successor carries on
        parts = {s.task_id: s.on_behalf_of for s in instance.ready_steps() if s.on_behalf_of}
        for item in runtime.open_items_of_task(row.task_id) if parts else ():
            if item.instance_id == row.id and item.engine_task_id in parts:
                item.on_behalf_of = parts[item.engine_task_id]
    return len(rows)


def _items(actor: User | None, old: Agency, new: Agency, why: str, only: int | None = None) -> int:
    query = select(WorkItem).where(WorkItem.agency_id == old.id, WorkItem.status == "open")
    items = list(db.session.scalars(query if only is None else query.where(WorkItem.task_id == only)))
    for item in items:
        item.agency = new
        if item.claimed_by is not None and item.claimed_by.agency_id != new.id:
            item.claimed_by = None  # its holder stays behind: the successor's queue takes it
        audit.record("agency_moved", actor, item.task, item, from_step=item.step_name, comment=why)
    db.session.flush()
    for item in items:  # the people who carry it on are told, as of a new item
        events.item_moved(item, why)
    for task in {item.task for item in items}:
        lifecycle.refresh(task, runtime.open_items_of_task(task.id))
    return len(items)


def _leads(actor: User | None, old: Agency, new: Agency, why: str, only: int | None = None) -> int:
    query = _open_tasks(old)
    tasks = list(db.session.scalars(query if only is None else query.where(Task.id == only)))
    for task in tasks:
        _pass_lead(task, old, new)
        # merged into one of its collaborators: the successor leads and gives itself no opinion
        task.collaborating_agencies = [a for a in task.collaborating_agencies if a.id != new.id]
        audit.record("agency_moved", actor, task, comment=f"Đơn vị chủ trì: {why}",
                     data={"from": old.name, "to": new.name})
    return len(tasks)


def _pass_lead(task: Task, old: Agency, new: Agency) -> None:
    """``new`` leads ``task`` now; ``old`` is kept among its former leads (searched, shown beside the new one)."""
    task.lead_agency = new
    task.former_leads = [*(task.former_leads or ()), old.name]


def _collaborations(old: Agency, new: Agency, only: int | None = None) -> int:
    query = (select(Task).join(task_collaborators, task_collaborators.c.task_id == Task.id)
             .where(task_collaborators.c.agency_id == old.id, Task.state == "active"))
    tasks = list(db.session.scalars(query if only is None else query.where(Task.id == only)))
    for task in tasks:  # the successor collaborates in its place, unless it leads the task; the old name is kept
        others = [a for a in task.collaborating_agencies if a.id not in (old.id, new.id)]
        task.collaborating_agencies = others + ([new] if task.lead_agency_id != new.id else [])
        task.former_collaborators = [*(task.former_collaborators or ()), old.name]
    return len(tasks)


def _names_and_groups(old: Agency, new: Agency, on: date) -> None:
    new.aliases = list(dict.fromkeys([*(new.aliases or []), old.name, *(old.aliases or [])]))
    for membership in db.session.scalars(select(AgencyGroupMember).where(
            AgencyGroupMember.agency_id == old.id, AgencyGroupMember.left_on.is_(None))):
        membership.left_on = on
        if not any(m.agency_id == new.id and m.left_on is None for m in membership.group.memberships):
            membership.group.memberships.append(AgencyGroupMember(agency=new, joined_on=on))
