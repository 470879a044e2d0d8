"""The bell: a user's notifications, the unread count, marking them read."""

from __future__ import annotations

from sqlalchemy import func, select, update

from models import Notification, User, db
from workflows import clock
from workflows.errors import NotFound
from workflows.paging import page_of
from workflows.tx import transaction

PER_PAGE = 25


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def list_for(user: User, page: int = 1, per_page: int = PER_PAGE):
    """The user's notifications, newest first (a Flask-SQLAlchemy Pagination)."""
    query = (select(Notification).where(Notification.user_id == user.id)
             .order_by(Notification.created_at.desc(), Notification.id.desc()))
    return page_of(query, page, per_page)


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read; someone else's is NotFound. One transaction."""
    with transaction():
        note = db.session.get(Notification, notification_id)
        if note is None or note.user_id != user.id:
            raise NotFound("Không tìm thấy thông báo.")
        if note.read_at is None:
            note.read_at = clock.now()
    return note


def seen_task(user: User, task_id: int) -> int:
    """The user opened a task: its notices to them are read (those of work they then did no longer wait unread
    in the bell). Returns how many; writes only when there are some (opening a page is no write on SQLite, whose
    one writer is the completions')."""
    unread = (Notification.user_id == user.id, Notification.task_id == task_id, Notification.read_at.is_(None))
    if db.session.scalar(select(Notification.id).where(*unread).limit(1)) is None:
        return 0
    with transaction():
        result = db.session.execute(update(Notification).where(*unread).values(read_at=clock.now())
                                    .execution_options(synchronize_session=False))
    return result.rowcount or 0


def mark_all_read(user: User) -> int:
    """Mark all the user's unread notifications read; returns how many. One transaction."""
    with transaction():
        result = db.session.execute(
            update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=clock.now()).execution_options(synchronize_session=False))
    return result.rowcount or 0


def set_mail_digest(user: User, digest: bool) -> None:
    """How the user's notices come by mail: each as it happens, or one digest a day (at 16:30, the unread notices
    of its day). One transaction."""
    with transaction():
        db.session.get(User, user.id).email_digest = bool(digest)
