"""The changes feed for the provincial monitoring system: tasks in the order of their last change.

A task changes when it is created and whenever an audit event for it is written; its ``changed_at`` is
the later of the two. The feed is ordered by (changed_at, task id) and resumes from an opaque cursor
naming the last task seen, so a poller neither misses nor repeats a change while tasks keep changing
(a task that changes again simply comes back later in the feed).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, case, func, or_, select

from models import MAX_ID, AuditEvent, Task, User, db
from workflows import clock
from workflows.errors import N_, Invalid, NotAllowed

ROLES = ("viewer", "coordinator", "admin")
SINCE_HELP = N_("since phải là thời điểm dạng ISO 8601, ví dụ 2026-03-01T08:00:00+07:00 "
                "(không ghi múi giờ: giờ Hà Nội).")
_EARLIEST = datetime(1900, 1, 1)


@dataclass
class Cursor:
    changed_at: datetime  # naive UTC
    task_id: int

    def encode(self) -> str:
        raw = f"{self.changed_at.isoformat()}|{self.task_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            moment, _, task_id = raw.partition("|")
            cursor = cls(datetime.fromisoformat(moment), int(task_id))
            if cursor.changed_at.tzinfo is not None or not 0 < cursor.task_id <= MAX_ID:
                raise ValueError(raw)
            return cursor
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise Invalid("cursor không hợp lệ: hãy dùng đúng giá trị next_cursor của trang trước.",
                          {"cursor": "Con trỏ không hợp lệ."}) from None


@dataclass
class Feed:
    rows: list[tuple[Task, datetime]]  # (task, changed_at naive UTC)
    total: int
    next_cursor: str | None


def ensure_can_read(user: User) -> None:
    if not user.has_role(*ROLES):
        raise NotAllowed("Chỉ tài khoản lãnh đạo theo dõi, tổ giúp việc hoặc quản trị được đọc dữ liệu giám sát.")


def parse_since(text: str | None) -> datetime | None:
    """An ISO 8601 moment as naive UTC; without an offset it is Hà Nội time. None or blank: no lower bound."""
    text = (text or "").strip()
    if not text:
        return None
    # "+07:00" arrives as " 07:00" when the client forgets to URL-encode the plus sign
    text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(SINCE_HELP, {"since": N_("Thời điểm không hợp lệ.")}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.LOCAL_TZ)
    try:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise Invalid(SINCE_HELP, {"since": N_("Thời điểm không hợp lệ.")}) from None
    return max(moment, _EARLIEST)


def changes(user: User, since: datetime | None, cursor: Cursor | None, page: int, per_page: int) -> Feed:
    """Tasks changed at or after ``since`` (and after ``cursor``), oldest change first, one page."""
    ensure_can_read(user)
    lower = max(since or _EARLIEST, cursor.changed_at if cursor else _EARLIEST)
    # Only events from the lower bound on matter: a task with one of them changed then or later, and
    # the newest of them is its newest event overall.
    recent = (select(AuditEvent.task_id.label("task_id"), func.max(AuditEvent.at).label("at"))
              .where(AuditEvent.task_id.is_not(None), AuditEvent.at >= lower)
              .group_by(AuditEvent.task_id).subquery())
    changed_at = case((recent.c.at > Task.created_at, recent.c.at), else_=Task.created_at)
    conditions = [changed_at >= lower]
    if cursor is not None:
        conditions.append(or_(changed_at > cursor.changed_at,
                              and_(changed_at == cursor.changed_at, Task.id > cursor.task_id)))
    base = select(Task, changed_at.label("changed_at")).outerjoin(recent, recent.c.task_id == Task.id).where(
        *conditions)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = [(task, moment) for task, moment in db.session.execute(
        base.order_by(changed_at, Task.id).offset((page - 1) * per_page).limit(per_page))]
    more = (page - 1) * per_page + len(rows) < total
    next_cursor = Cursor(rows[-1][1], rows[-1][0].id).encode() if rows and more else None
    return Feed(rows, total, next_cursor)
