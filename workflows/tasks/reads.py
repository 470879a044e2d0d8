"""Read side: the inbox, the task list and what the task page shows, from indexed tables only.

Nothing here deserializes engine state: the WorkItem, Task and AuditEvent rows are kept in
sync by ``workflows.process.runtime.save`` and ``workflows.tasks.lifecycle`` after every save.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from models import (
    Agency,
    Attachment,
    AuditEvent,
    DeadlineAdjustment,
    ProcessInstance,
    ProcessModel,
    Task,
    User,
    WorkItem,
    db,
)
from workflows import access, text
from workflows.errors import Message, NotAllowed, NotFound
from workflows.paging import page_of
from workflows.process import catalog
from workflows.tasks import scope, search, status

PER_PAGE = 25


def inbox(user: User, page: int = 1, per_page: int = PER_PAGE, past_end_is_last: bool = True):
    """My claimed items plus my agency's unclaimed items for my roles, soonest deadline first — the item's own (a
    draft due on the head's internal deadline) — (``past_end_is_last``: see ``paging.page_of``)."""
    query = (select(WorkItem).join(Task, Task.id == WorkItem.task_id)
             .options(joinedload(WorkItem.task))
             .where(access.inbox_clause(user))
             .order_by(WorkItem.due_at.is_(None), WorkItem.due_at, Task.due_date.is_(None), Task.due_date,
                       WorkItem.created_at, WorkItem.id))
    return page_of(query, page, per_page, past_end_is_last)


RETURN_MADE = "~made"  # a return's audit data: the ids of the items it sent the file back to (no field's name)


def returned_items(items: list[WorkItem]) -> dict[int, AuditEvent]:
    """{item id: the return that made it} for those of ``items`` a return sent back: the inbox marks them, with the
    reason, among work arriving the first time (an agency's own return in one collaborator's branch marks that
    branch's item only). Two small reads: the returns of their tasks since the oldest of them was made (a return is
    recorded after the items it makes, in their transaction), by id and data only; then the few that made them."""
    if not items:
        return {}
    made: dict[int, int] = {}
    for event_id, data in db.session.execute(select(AuditEvent.id, AuditEvent.data).where(
            AuditEvent.task_id.in_({i.task_id for i in items}), AuditEvent.action == "return",
            AuditEvent.at >= min(i.created_at for i in items))):
        for item_id in (data or {}).get(RETURN_MADE, ()):
            made[item_id] = event_id
    wanted = {made[i.id] for i in items if i.id in made}
    events = {e.id: e for e in db.session.scalars(select(AuditEvent).where(AuditEvent.id.in_(wanted)))} \
        if wanted else {}
    return {i.id: events[made[i.id]] for i in items if i.id in made}


def decisions_of(instance_ids: set[int], steps: set[str]) -> list:
    """The completions of these process instances that return a file, or were done at or sent it to one of ``steps``
    (what the inbox's "Trình lại" reads: not every step of every pass), in ``history``'s order, as rows: the event's
    id, action and steps, its work item's instance, role and part, and that item's agency (a holder's action is of
    its item's agency: ``AuditEvent.agency``)."""
    return list(db.session.execute(
        select(AuditEvent.id, AuditEvent.action, AuditEvent.from_step, AuditEvent.to_step, WorkItem.instance_id,
               WorkItem.role, WorkItem.on_behalf_of, Agency.id.label("agency_id"), Agency.name.label("agency_name"))
        .join(WorkItem, WorkItem.id == AuditEvent.work_item_id).outerjoin(Agency, Agency.id == WorkItem.agency_id)
        .where(WorkItem.instance_id.in_(instance_ids), AuditEvent.action.in_(("submit", "approve", "return")),
               or_(AuditEvent.action == "return", AuditEvent.from_step.in_(steps),
                   *(AuditEvent.to_step.contains(step, autoescape=True) for step in steps)))
        .order_by(AuditEvent.at, AuditEvent.id)))


def inbox_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(WorkItem).where(access.inbox_clause(user)))


@dataclass
class TaskFilters:
    agency_id: int | None = None
    status: str | None = None
    step: str | None = None
    q: str | None = None  # free text: every word in title, code, agencies or document, accents ignored
    scope: scope.Filters | None = None  # a dashboard figure's filters, when one links here
    withdrawn: bool = True  # a member's task withdrawn from a group's task ("Đã rút") listed too


def list_tasks(user: User, filters: TaskFilters, page: int = 1, per_page: int = PER_PAGE,
               past_end_is_last: bool = True, with_collaborators: bool = False):
    """A page of the tasks ``user`` may see that match ``filters``; ``with_collaborators``: each task's collaborating
    agencies and group loaded with the page (the API writes them for every task: one read each, else). The page is
    found by the tasks' ids and sort keys, then its rows read (sorting whole rows spilled to disk on a deep page of
    12,000 tasks, half a second)."""
    query = select(Task.id)
    if not user.sees_everything:
        if user.agency_id is None:
            query = query.where(False)
        else:
            query = query.where(access.involved_clause(user.agency_id))
    if filters.agency_id:
        query = query.where(access.involved_clause(filters.agency_id))
    if not filters.withdrawn:
        query = query.where(Task.kind != "withdrawn")
    if filters.status in status.STATUSES:
        query = query.where(status.where(filters.status))
    elif filters.status == "within":  # a scorecard's "trong hạn"
        query = query.where(or_(*(status.where(s) for s in status.WITHIN)))
    if filters.step:
        query = query.where(exists().where(WorkItem.task_id == Task.id, WorkItem.status == "open",
                                           or_(WorkItem.step_name == filters.step, WorkItem.step_id == filters.step)))
    if filters.scope is not None:
        query = query.where(scope.tasks_clause(filters.scope))
    matches = search.clause(filters.q)  # every word, accents and case ignored (workflows.tasks.search)
    if matches is not None:
        query = query.where(matches)
    query = query.order_by(Task.state, Task.due_date.is_(None), Task.due_date, Task.id)
    load = [joinedload(Task.lead_agency)]
    if with_collaborators:
        load += [selectinload(Task.collaborating_agencies), selectinload(Task.group)]
    if per_page > PER_PAGE_MAX:  # every row at once (the list's export): read as they come, in one statement
        return page_of(query.with_only_columns(Task).options(*load), page, per_page, past_end_is_last)
    found = page_of(query, page, per_page, past_end_is_last)
    tasks = {t.id: t for t in db.session.scalars(select(Task).where(Task.id.in_(found.items)).options(*load)).unique()}
    found.items = [tasks[i] for i in found.items]
    return found


PER_PAGE_MAX = 100  # the longest page a screen or the API asks for; longer is an export's


def known_step(step: str) -> bool:
    """A step a task can be at: a step of a deployed process (the latest version of each, a request for more time's
    included), by its name or its id, or one an open work item is at (a step an earlier version named otherwise)."""
    for process_id in db.session.scalars(select(ProcessModel.process_id).where(ProcessModel.kind == "bpmn")
                                         .distinct()):
        if any(step in (s.step_name, s.step_id) for s in catalog.spec_for(catalog.latest(process_id)).steps):
            return True
    return db.session.scalar(select(exists().where(WorkItem.status == "open", or_(WorkItem.step_name == step,
                                                                                    WorkItem.step_id == step))))


@dataclass
class TaskList:
    """“Danh sách nhiệm vụ”: one page of the tasks matching the list's filters, and what its form offers."""

    page: Pagination
    filters: TaskFilters
    args: dict[str, str]  # the query, without the page number (for links that keep it)
    scope_args: dict[str, str]  # the part of it that carries a dashboard figure's filters
    scope_described: list
    agencies: list[Agency]
    steps: list[str]
    problems: list  # why parts of the query were ignored

    @property
    def without_scope(self) -> dict[str, str]:
        return {k: v for k, v in self.args.items() if k not in self.scope_args}


def task_list(user: User, args: Mapping[str, str], agency_id: int | None, page: int) -> TaskList:
    """The task list as ``user`` may see it, filtered by the query ``args`` (``agency_id``: the involved agency
    asked for, already read as a number)."""
    figure = scope.filters_from_list(args)  # set when a dashboard figure links here
    filters = TaskFilters(agency_id=agency_id, status=args.get("status") or None, step=args.get("step") or None,
                          q=(args.get("q") or "").strip()[:200] or None, scope=figure)
    # (not url_for's own names, which the page's links are built with: ?_external=1, ?endpoint= made other links or
    # a 500)
    kept = {k: v for k, v in args.items() if k != "page" and v and k != "endpoint" and not k.startswith("_")}
    scope_args = {k: v for k, v in kept.items() if k in scope.LIST_SCOPE_KEYS} if figure else {}
    problems = []  # a filter naming nothing is said to be ignored, not silently answered with every task
    if filters.status is not None and filters.status not in (*status.STATUSES, "within"):
        problems.append(Message("Không hiểu trạng thái “%(status)s”: bộ lọc này được bỏ qua.",
                                status=filters.status[:40]))
        filters.status = None
    if args.get("agency") and (agency_id is None or db.session.get(Agency, agency_id) is None):
        problems.append(Message("Không có đơn vị “%(agency)s” trong danh mục: bộ lọc này được bỏ qua.",
                                agency=args["agency"][:40]))
        filters.agency_id = None
    if filters.step is not None and not known_step(filters.step):
        problems.append(Message("Không có bước “%(step)s” trong quy trình: bộ lọc này được bỏ qua.",
                                step=filters.step[:60]))
        filters.step = None
    return TaskList(list_tasks(user, filters, page=page), filters, kept, scope_args,
                    scope.describe(figure) if figure else [], agencies(),
                    [s.step_name for s in catalog.step_catalog()], problems)


def get_task(user: User, task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFound("Không tìm thấy nhiệm vụ.")
    if not access.can_view(user, task):
        raise NotAllowed(access.NOT_YOURS)
    return task


def get_work_item(user: User, work_item_id: int) -> WorkItem:
    item = db.session.get(WorkItem, work_item_id)
    if item is None:
        raise NotFound("Không tìm thấy việc cần xử lý.")
    get_task(user, item.task_id)
    return item


def open_items(task: Task) -> list[WorkItem]:
    return open_items_of([task.id])


def open_items_of(task_ids: list[int]) -> list[WorkItem]:
    """The open items of these tasks (a group's members), in the order they opened."""
    return list(db.session.scalars(select(WorkItem).where(
        WorkItem.task_id.in_(task_ids), WorkItem.status == "open").order_by(WorkItem.id)))


def history(task: Task) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.task_id == task.id)
                                   .options(selectinload(AuditEvent.work_item).joinedload(WorkItem.agency),
                                            selectinload(AuditEvent.acting_agency))
                                   .order_by(AuditEvent.at, AuditEvent.id)))


def pending_extension(task: Task) -> AuditEvent | None:
    """The extension request still waiting for its decision (its ``data`` holds the requested and the
    current due date, its ``comment`` the reason), if any."""
    running = exists().where(ProcessInstance.task_id == task.id, ProcessInstance.kind == "extension",
                             ProcessInstance.status == "running")
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.task_id == task.id, AuditEvent.action == "extension_request", running)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1)).first()


def pending_return(task: Task) -> tuple[AuditEvent, int] | None:
    """The return that sent the task's main process to where it waits now, and that instance's id, if the
    main process's last decision was a return (the banner belongs to its items, not an extension's)."""
    last = db.session.execute(select(AuditEvent, WorkItem.instance_id)
        .join(WorkItem, WorkItem.id == AuditEvent.work_item_id)
        .join(ProcessInstance, ProcessInstance.id == WorkItem.instance_id).where(
        AuditEvent.task_id == task.id, AuditEvent.action.in_(("submit", "approve", "return")),
        ProcessInstance.kind == "main")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(1)).first()
    return (last[0], last[1]) if last is not None and last[0].action == "return" else None


@dataclass
class RecordedValue:
    label: str
    kind: str  # text | date | number | user | file
    value: object  # the text, the date string, the user's name or the Attachment


def recorded_values(task: Task, events: list[AuditEvent], files: list[Attachment]) -> dict[int, list[RecordedValue]]:
    """What each completion recorded, in words: {audit event id: [RecordedValue, …]}; ``files`` are the
    task's attachments (``attachments(task)``)."""
    items = {i.id: i for i in db.session.scalars(select(WorkItem).where(WorkItem.task_id == task.id))}
    by_id = {a.id: a for a in files}
    usernames = {value for e in events if e.work_item_id in items for name, value in (e.data or {}).items()
                 if any(f["name"] == name and f["type"] == "user" for f in items[e.work_item_id].fields)}
    names = dict(db.session.execute(select(User.username, User.full_name).where(User.username.in_(usernames))).all())
    out: dict[int, list[RecordedValue]] = {}
    for event in events:
        item = items.get(event.work_item_id)
        if item is None or not event.data:
            continue
        declared = {f["name"]: f for f in item.fields}
        values = []
        for name, value in event.data.items():
            field = declared.get(name)
            if field is None:
                continue
            if field["type"] == "file":
                value = by_id.get(value)
            elif field["type"] == "user":
                value = names.get(value, value)
            if value is not None:
                values.append(RecordedValue(field["label"], field["type"], value))
        out[event.id] = values
    return out


def adjustments(task: Task) -> list[DeadlineAdjustment]:
    """Every change of the task's due date, oldest first (the original stays visible)."""
    return list(db.session.scalars(select(DeadlineAdjustment).where(DeadlineAdjustment.task_id == task.id)
                                   .order_by(DeadlineAdjustment.at, DeadlineAdjustment.id)))


def attachments(task: Task) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(Attachment.task_id == task.id)
                                   .options(selectinload(Attachment.work_item))
                                   .order_by(Attachment.field, Attachment.version.desc())))


def get_attachment(user: User, attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("Không tìm thấy tệp.")
    task = db.session.get(Task, attachment.task_id)
    if not access.can_download(user, task):
        raise NotAllowed("Bạn không có quyền tải tệp này.")
    return attachment


def agencies() -> list[Agency]:
    return sorted(db.session.scalars(select(Agency).where(Agency.active.is_(True))),
                  key=lambda a: text.sort_key(a.name))


def agency_people(agency_id: int, role: str) -> list[User]:
    """Active people of an agency holding a role (to hand an item to)."""
    users = db.session.scalars(select(User).where(User.agency_id == agency_id, User.active.is_(True))
                               .order_by(User.full_name))
    return [u for u in users if u.has_role(role)]


def agency_officers(agency_id: int) -> list[User]:
    users = db.session.scalars(select(User).where(User.agency_id == agency_id, User.active.is_(True))
                               .order_by(User.full_name))
    return [u for u in users if u.has_role("officer")]



def agency_by_name(name: str | None, loose: bool = True) -> Agency | None:
    """The agency of this name as the registry writes it, or (``loose``) written in other capitals or spacing ("Sở
    Công thương", "sở  tài chính"), never with other accents (two communes may differ only in them)."""
    if not name or not name.strip():
        return None
    exact = db.session.scalar(select(Agency).where(Agency.name == name.strip()))
    if exact is not None or not loose:
        return exact
    wanted = " ".join(name.split()).casefold()
    found = [a for a in db.session.scalars(select(Agency)) if " ".join(a.name.split()).casefold() == wanted]
    return found[0] if len(found) == 1 else None
