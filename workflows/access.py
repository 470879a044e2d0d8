"""Who may read what and act on which work item: the one place views and use cases ask.

"May act on this item" exists twice, as it must: ``may_act_itself`` for one item in Python and
``inbox_clause`` for the inbox query in SQL; ``tests/test_access.py`` keeps them equal.
"""

from __future__ import annotations

from sqlalchemy import and_, false, or_, select, union
from sqlalchemy.sql.elements import ColumnElement

from models import OVERSIGHT_ROLES, Delegation, ProcessInstance, Task, User, WorkItem, db, task_collaborators
from workflows import clock
from workflows.errors import N_, Conflict, NotAllowed

# Those who see every task: the dashboard, the exports and the monitoring feed are theirs.
OVERSIGHT_READERS = tuple(sorted(OVERSIGHT_ROLES))
# The periodic reports page: the standing agency, the committee's readers and administrators.
REPORT_READERS = ("coordinator", "viewer", "admin")


# ---------------------------------------------------------------- reading a task

def involved_agency_ids(task: Task) -> set[int]:
    """The lead, the collaborators and every agency that has held a work item of the task."""
    ids = {task.lead_agency_id, *(a.id for a in task.collaborating_agencies)}
    ids.update(db.session.scalars(select(WorkItem.agency_id).where(
        WorkItem.task_id == task.id, WorkItem.agency_id.is_not(None)).distinct()))
    ids.discard(None)  # a group's task has no lead agency: a user of no agency is not "involved" in it
    return ids


def involved_clause(agency_id: int):
    """SQL: the tasks ``agency_id`` is involved in (as ``involved_agency_ids``). The tasks it collaborates on or
    worked on are one set read by its indexes (two correlated EXISTS made PostgreSQL scan both tables for every
    task: 280 ms at 150,000 work items, 6 ms so)."""
    return or_(Task.lead_agency_id == agency_id, Task.id.in_(union(
        select(task_collaborators.c.task_id).where(task_collaborators.c.agency_id == agency_id),
        select(WorkItem.task_id).where(WorkItem.agency_id == agency_id))))


def can_view(user: User, task: Task) -> bool:
    return user.sees_everything or user.agency_id in involved_agency_ids(task)


def can_download(user: User, task: Task) -> bool:
    """People of the agencies involved, and the coordinators."""
    return user.has_role("coordinator", "admin") or user.agency_id in involved_agency_ids(task)


def can_request_extension(user: User, task: Task) -> bool:
    """Officers and heads of the lead agency, while the task runs and no request is pending."""
    if task.state == "done" or task.kind == "withdrawn" or task.lead_agency_id != user.agency_id \
            or not user.has_role("officer", "agency_head"):
        return False
    return db.session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.task_id == task.id, ProcessInstance.kind == "extension",
        ProcessInstance.status == "running")) is None


# ---------------------------------------------------------------- acting on a work item

def covering(today) -> ColumnElement:
    """SQL: a delegation in force on ``today`` (a date, or a bound parameter)."""
    return and_(Delegation.cancelled_at.is_(None), Delegation.starts_on <= today, Delegation.ends_on >= today)


def delegators(user: User) -> list[User]:
    """Colleagues away today who named ``user`` to act on their behalf."""
    return list(db.session.scalars(select(User).join(Delegation, Delegation.user_id == User.id).where(
        Delegation.delegate_id == user.id, covering(clock.today()), User.active.is_(True),
        User.agency_id == user.agency_id)))


def stand_ins(people: list[User], agency_id: int) -> list[User]:
    """Those who act today for one of ``people`` (away), of ``agency_id`` like them: ``delegators``' other side."""
    ids = [p.id for p in people if p.active and p.agency_id == agency_id]
    if not ids:
        return []
    return list(db.session.scalars(select(User).join(Delegation, Delegation.delegate_id == User.id).where(
        Delegation.user_id.in_(ids), covering(clock.today()), User.active.is_(True), User.agency_id == agency_id)))


def may_act_itself(user: User, item: WorkItem) -> bool:
    """The rule for one person, without delegations: an open item of their agency and role, unclaimed or theirs."""
    return (user.is_authenticated and user.active and item.status == "open"
            and item.role in user.roles and item.agency_id is not None
            and item.agency_id == user.agency_id
            and item.claimed_by_id in (None, user.id))


def inbox_clause(user: User):
    """SQL: the open items ``user`` may act on, themselves or for an absent colleague (``acting_for``):
    ``may_act_itself`` of one of those people, written as a WHERE clause."""
    if not (user.is_authenticated and user.active) or user.agency_id is None:
        return false()
    people = [user, *delegators(user)]  # (delegators are active people of the same agency)
    each = [and_(WorkItem.role.in_(sorted(p.roles)),
                 or_(WorkItem.claimed_by_id.is_(None), WorkItem.claimed_by_id == p.id)) for p in people if p.roles]
    if not each:
        return false()
    return and_(WorkItem.status == "open", WorkItem.agency_id == user.agency_id, or_(*each))


def acting_for(user: User, item: WorkItem) -> User | None:
    """Whom ``user`` acts for on ``item``: themselves, an absent colleague who delegated to them, or no one."""
    if may_act_itself(user, item):
        return user
    if not (user.is_authenticated and user.active) or item.agency_id != user.agency_id:
        return None
    return next((d for d in delegators(user) if may_act_itself(d, item)), None)


def can_act(user: User, item: WorkItem) -> bool:
    return acting_for(user, item) is not None


NOT_YOURS = N_("Nhiệm vụ này không thuộc đơn vị của bạn.")


def already_done(item: WorkItem, user: User) -> Conflict | NotAllowed:
    """The conflict to answer ``user`` when an item is no longer open, naming who completed it and when: ``user``
    themself on a form sent twice. Someone who may not see the task learns nothing of it."""
    if item.completed_by_id != user.id and not can_view(user, item.task):
        return NotAllowed(NOT_YOURS)
    if item.status == "done" and item.completed_by is not None:
        when = clock.to_local(item.completed_at)
        at = {"time": when.strftime("%H:%M"), "date": when.strftime("%d/%m/%Y")}
        if item.completed_by_id == user.id:
            return Conflict("Bạn đã xử lý việc này lúc %(time)s ngày %(date)s; lần gửi này không được ghi thêm.", **at)
        return Conflict("Việc này đã được %(name)s xử lý lúc %(time)s ngày %(date)s.", name=item.completed_by.full_name,
                        **at)
    return Conflict("Việc này không còn chờ xử lý (quy trình đã chuyển sang bước khác).")


def held_by_colleague(item: WorkItem) -> NotAllowed:
    """The refusal to answer when a colleague holds the item, naming them."""
    return NotAllowed("Việc này đang do %(name)s xử lý.", name=item.claimed_by.full_name)


def check_can_act(user: User, item: WorkItem) -> None:
    """Raise NotAllowed, saying who holds the item when a colleague does, unless ``user`` may act on it."""
    if can_act(user, item):
        return
    if (item.claimed_by_id not in (None, user.id) and item.role in user.roles
            and item.agency_id == user.agency_id):
        raise held_by_colleague(item)
    raise NotAllowed("Bạn không có quyền xử lý việc này.")


def ensure_can_act(item: WorkItem, user: User) -> None:
    """Raise Conflict (already done, naming who) or NotAllowed unless ``user`` may act now."""
    if item.status != "open":
        raise already_done(item, user)
    check_can_act(user, item)
