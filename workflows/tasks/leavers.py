"""Someone who left — their account closed, or moved to another agency or role —: the work they had claimed and can
no longer act on goes back to their agency's queue.

Here rather than in accounts/ because it writes work items and the tasks' cached holders (this room's rows);
the account side (who may, the audit words) reads like the rest of workflows/accounts/admin_people.py."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from models import User, WorkItem, db
from workflows import access, audit
from workflows.accounts import admin_people, people
from workflows.errors import Invalid, NotAllowed, NotFound
from workflows.notify import events
from workflows.process import runtime
from workflows.tasks import lifecycle
from workflows.tx import transaction

# What an agency head may close: the accounts of their own officers, never a head's, an admin's or their own.
HEAD_MAY_CLOSE = frozenset({"officer"})


def may_deactivate(actor: User, user: User) -> bool:
    if actor.id == user.id:
        return False
    if actor.has_role("admin"):
        return True
    return (actor.has_role("agency_head") and actor.agency_id is not None and user.agency_id == actor.agency_id
            and set(user.roles) <= HEAD_MAY_CLOSE)


def _closable(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy người dùng.")
    if actor.id == user.id:
        raise Invalid("Bạn không thể tự ngừng tài khoản của mình.")
    if not may_deactivate(actor, user):
        raise NotAllowed("Chỉ quản trị hệ thống, hoặc lãnh đạo đơn vị với chuyên viên của đơn vị mình, được "
                         "ngừng tài khoản.")
    return user


def claimed_items(actor: User, user_id: int) -> tuple[User, list[WorkItem]]:
    """Whom closing would concern and the open work items they hold (what would go back to the queue); the
    same permission as closing."""
    user = _closable(actor, user_id)
    return user, _claimed(user)


def _claimed(user: User) -> list[WorkItem]:
    return list(db.session.scalars(select(WorkItem).where(WorkItem.claimed_by_id == user.id,
                                                          WorkItem.status == "open").order_by(WorkItem.id)))


def deactivate_user(actor: User, user_id: int) -> tuple[User, int]:
    """Close an account: the person can no longer sign in, every session and API token of theirs ends, and
    each open work item they had claimed goes back to its agency's queue (an audit event on its task). An
    administrator closes anyone's but their own; an agency head their own agency's officers. Returns the
    user and how many items went back."""
    with transaction():
        user = _closable(actor, user_id)
        if not user.active:
            return user, 0
        user.active = False
        people.end_access(user)
        released = _release_claims(actor, user)
        audit.record("user_deactivate", actor, data={"user_id": user.id, "username": user.username,
                                                     "released": len(released)},
                     comment=f"Ngừng tài khoản {user.full_name} ({user.username}); {len(released)} việc đang "
                             "giữ được trả về hàng chờ của đơn vị")
    return user, len(released)


def update_user(actor: User, user_id: int, full_name: str, agency_id: int | None, roles: list[str],
                email: str | None = None) -> tuple[User, int]:
    """Change an account (``admin_people.change_account``); the open items it held and can no longer act on —
    moved to another agency, a role taken away — go back to their agency's queue, not stranded with someone who
    cannot act on them. Returns the user and how many items went back."""
    with transaction():
        user = admin_people.change_account(actor, user_id, full_name, agency_id, roles, email)
        released = _release_claims(actor, user, f"tài khoản {user.full_name} đã chuyển đơn vị hoặc đổi vai trò",
                                   lambda item: not access.may_act_itself(user, item))
    return user, len(released)


def _release_claims(actor: User, user: User, why: str | None = None,
                    which: Callable[[WorkItem], bool] = lambda item: True) -> list[WorkItem]:
    items = [item for item in _claimed(user) if which(item)]
    why = why or f"tài khoản {user.full_name} đã ngừng hoạt động"
    for item in items:
        runtime.changed_hands(item.instance)  # (a completion racing it is a lost race, as for any hand-over)
        item.claimed_by = None
        audit.record("release", actor, item.task, item, from_step=item.step_name,
                     comment=f"Trả về hàng chờ của đơn vị: {why}")
    db.session.flush()
    for item in items:  # the colleagues who may take it are told it waits for them
        events.item_moved(item, f"Trả về hàng chờ của đơn vị: {why}")
    for task in {item.task for item in items}:
        task.current_holder = lifecycle.holders(runtime.open_items_of_task(task.id))
    return items
