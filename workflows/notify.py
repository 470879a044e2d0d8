"""In-app notifications and the mail outbox.

``notify`` and the convenience functions run inside the caller's transaction and only flush, so a
step that rolls back notifies nobody. Mails are queued in ``outbox_mail`` and sent later by
``send_pending`` (the worker): a failing mail server never blocks or rolls back a workflow step,
and its failures stay visible to administrators with the number of attempts and the last error.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app
from sqlalchemy import case, func, select, update

from models import Agency, Notification, OutboxMail, Task, User, WorkItem, db
from workflows import clock
from workflows.errors import Conflict, NotAllowed, NotFound
from workflows.tx import transaction

KINDS = ("new_item", "returned", "reminder", "escalation", "extension", "comment", "mention")
ESCALATION_LEVELS = ("holder", "agency_head", "coordinator")
PER_PAGE = 25
# Minutes to wait after the 1st, 2nd, … failed attempt; the last value repeats.
BACKOFF_MINUTES = (1, 5, 15, 60, 240, 720)
DIGEST_MAX_LINES = 100  # a digest lists at most this many notifications, then says how many more

CONFIG_DEFAULTS = {
    "MAIL_ENABLED": False,
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "theodoi@localhost",
    "MAIL_MAX_ATTEMPTS": 6,
    "APP_BASE_URL": "http://127.0.0.1:5000",
}
SMTP_TIMEOUT = 10
TITLE_MAX = 500  # Notification.title, OutboxMail.subject
LINK_MAX = 500
ERROR_MAX = 2000
MAIL_FOOTER = "Thư gửi tự động từ Hệ thống theo dõi nhiệm vụ. Vui lòng không trả lời thư này."


def config(key: str):
    """A mail setting from the application config, or its default."""
    return current_app.config.get(key, CONFIG_DEFAULTS[key])


def mail_enabled() -> bool:
    return bool(config("MAIL_ENABLED"))


# ---------------------------------------------------------------- creating notifications

def notify(users: Iterable[User | None], kind: str, title: str, body: str | None = None,
           link: str | None = None, task_id: int | None = None) -> list[Notification]:
    """Add a notification for each distinct active user and queue their mail (saved with the caller's
    transaction; the rows are written by its commit).

    A user gets an immediate mail when mail is enabled, they have an address and they did not
    choose the daily digest; digest users' notifications wait for ``queue_digests``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    title = _one_line(title, TITLE_MAX)
    body = (body or "").strip() or None
    link = link[:LINK_MAX] if link else None
    now = clock.now()
    send_mail = mail_enabled()
    created = []
    seen: set[int] = set()
    for user in users:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        mail_now = send_mail and bool(user.email) and not user.email_digest
        note = Notification(user_id=user.id, kind=kind, title=title, body=body, link=link, task_id=task_id,
                            created_at=now, emailed=mail_now)
        db.session.add(note)
        created.append(note)
        if mail_now:
            db.session.add(OutboxMail(user_id=user.id, to_address=user.email.strip(), subject=title,
                                      body=_mail_body(title, body, link), status="pending", attempts=0,
                                      next_attempt_at=now, created_at=now))
    return created


def recipients_for_item(item: WorkItem) -> list[User]:
    """Who should act on a work item: its claimer, else the agency's active holders of its role."""
    if item.claimed_by is not None and item.claimed_by.active:
        return [item.claimed_by]
    if item.agency_id is None:
        return []
    return _users_with_role(item.role, agency_ids={item.agency_id})


def work_item_created(item: WorkItem) -> list[Notification]:
    task = item.task
    lines = [f"Nhiệm vụ: {_task_label(task, full=True)}", f"Bước cần xử lý: {item.step_name}"]
    if item.agency is not None:
        lines.append(f"Đơn vị: {item.agency.name}")
    if task.due_date:
        lines.append(f"Thời hạn: {_date(task.due_date)}")
    return notify(recipients_for_item(item), "new_item", f"Việc mới: {item.step_name} — {_task_label(task)}",
                  "\n".join(lines), _task_link(task), task.id)


def item_returned(new_items: Iterable[WorkItem], from_step: str, reason: str, actor: User | None) -> list[Notification]:
    """Tell whoever holds the items a return created why the file came back (not the actor)."""
    created = []
    for item in new_items:
        task = item.task
        users = [u for u in recipients_for_item(item) if actor is None or u.id != actor.id]
        lines = [f"Nhiệm vụ: {_task_label(task, full=True)}",
                 f"Bước “{from_step}” đã trả lại hồ sơ về bước “{item.step_name}”."]
        if actor is not None:
            lines.append(f"Người trả lại: {actor.full_name}")
        lines.append(f"Lý do: {reason}")
        created += notify(users, "returned",
                          f"Hồ sơ bị trả lại: {item.step_name} — {_task_label(task)}. Lý do: {_one_line(reason, 200)}",
                          "\n".join(lines), _task_link(task), task.id)
    return created


def reminder(task: Task, items: Iterable[WorkItem]) -> list[Notification]:
    """Remind the holders of a task's open items that the due date is near."""
    items = list(items)
    due = _due_of(task, items)
    title = f"Sắp đến hạn ({_date(due)}): {_task_label(task)}" if due else f"Nhắc việc: {_task_label(task)}"
    lines = [f"Nhiệm vụ: {_task_label(task, full=True)}"]
    if due:
        lines.append(f"Thời hạn: {_date(due)}")
    lines += _waiting_lines(items)
    users = [u for item in items for u in recipients_for_item(item)]
    return notify(users, "reminder", title, "\n".join(lines), _task_link(task), task.id)


def escalation(task: Task, items: Iterable[WorkItem], level: str) -> list[Notification]:
    """Tell the agency heads of the items' agencies ("agency_head"), every coordinator
    ("coordinator") or the holders themselves ("holder") that a task is overdue."""
    items = list(items)
    if level == "agency_head":
        users = _users_with_role("agency_head", agency_ids={i.agency_id for i in items if i.agency_id})
    elif level == "coordinator":
        users = _users_with_role("coordinator")
    elif level == "holder":
        users = [u for item in items for u in recipients_for_item(item)]
    else:
        raise ValueError(f"unknown escalation level {level!r}")
    due = _due_of(task, items)
    lines = [f"Nhiệm vụ: {_task_label(task, full=True)}"]
    if due:
        late = (clock.today() - due).days
        lines.append(f"Thời hạn: {_date(due)}" + (f" (đã quá {late} ngày)" if late > 0 else ""))
    lines += _waiting_lines(items)
    return notify(users, "escalation", f"Quá hạn: {_task_label(task)}", "\n".join(lines), _task_link(task), task.id)


def extension_decided(task: Task, approved: bool, new_due: date | None, reason: str | None,
                      requester: User | None) -> list[Notification]:
    """Tell the person who asked for more time what was decided."""
    if approved:
        title = f"Gia hạn được chấp thuận: {_task_label(task)}"
        if new_due:
            title += f" — hạn mới {_date(new_due)}"
        lines = [f"Nhiệm vụ: {_task_label(task, full=True)}", "Đề nghị gia hạn đã được chấp thuận."]
        if new_due:
            lines.append(f"Thời hạn mới: {_date(new_due)}")
    else:
        title = f"Đề nghị gia hạn không được chấp thuận: {_task_label(task)}"
        lines = [f"Nhiệm vụ: {_task_label(task, full=True)}", "Đề nghị gia hạn không được chấp thuận."]
        if task.due_date:
            lines.append(f"Thời hạn giữ nguyên: {_date(task.due_date)}")
    if reason and reason.strip():
        lines.append(f"Lý do: {reason.strip()}")
    return notify([requester], "extension", title, "\n".join(lines), _task_link(task), task.id)


# Who of a mentioned agency is told: the people who work on tasks (not administrators or viewers).
MENTION_ROLES = ("agency_head", "officer", "coordinator", "appraiser", "approver")


def comment_posted(task: Task, author: User, text: str, mentioned: Iterable[Agency], items: Iterable[WorkItem],
                   link: str | None = None, involved_agency_ids: set[int] | None = None) -> list[Notification]:
    """Tell the people of each mentioned agency who work on tasks ("mention"), then whoever holds an
    open work item of the task ("comment"), what was written; never the author, once each.

    A mentioned agency outside ``involved_agency_ids`` cannot open the task: its people get the
    whole text in the notification and no link to a page they may not see.
    """
    who = author.full_name + (f" ({author.agency.name})" if author.agency else "")
    mentioned = list(mentioned)
    lines = [f"Nhiệm vụ: {_task_label(task, full=True)}", f"Người viết: {who}"]
    if mentioned:
        lines.append("Nhắc đến: " + "; ".join(a.name for a in mentioned))
    body = "\n".join([*lines, "", text])
    outside = body + ("\n\nĐơn vị của bạn không tham gia nhiệm vụ này nên không mở được trang nhiệm vụ; "
                      f"vui lòng trả lời trực tiếp {who}.")
    link = link or _task_link(task)
    done = {author.id}
    created = []
    for agency in mentioned:
        users = [u for role in MENTION_ROLES for u in _users_with_role(role, agency_ids={agency.id})
                 if u.id not in done]
        title = f"{author.full_name} nhắc đến {agency.name} trong trao đổi về nhiệm vụ {_task_label(task)}"
        if involved_agency_ids is None or agency.id in involved_agency_ids:
            created += notify(users, "mention", title, body, link, task.id)
        else:
            created += notify([u for u in users if u.sees_everything], "mention", title, body, link, task.id)
            created += notify([u for u in users if not u.sees_everything], "mention", title, outside, None, task.id)
        done.update(u.id for u in users)
    holders = [u for item in items for u in recipients_for_item(item) if u.id not in done]
    created += notify(holders, "comment", f"Trao đổi mới của {author.full_name} về nhiệm vụ {_task_label(task)}",
                      body, link, task.id)
    return created


# ---------------------------------------------------------------- reading and marking

def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def list_for(user: User, page: int = 1, per_page: int = PER_PAGE):
    """The user's notifications, newest first (a Flask-SQLAlchemy Pagination)."""
    query = (select(Notification).where(Notification.user_id == user.id)
             .order_by(Notification.created_at.desc(), Notification.id.desc()))
    return db.paginate(query, page=min(page, 100_000), per_page=per_page, error_out=False, count=True)


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read; someone else's is NotFound. One transaction."""
    with transaction():
        note = db.session.get(Notification, notification_id)
        if note is None or note.user_id != user.id:
            raise NotFound("Không tìm thấy thông báo.")
        if note.read_at is None:
            note.read_at = clock.now()
    return note


def mark_all_read(user: User) -> int:
    """Mark all the user's unread notifications read; returns how many. One transaction."""
    with transaction():
        result = db.session.execute(
            update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=clock.now()).execution_options(synchronize_session=False))
    return result.rowcount or 0


# ---------------------------------------------------------------- the outbox

def send_pending(limit: int = 50) -> dict[str, int]:
    """Send up to ``limit`` due mails in one transaction; returns counts of sent, failed, retried.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` so that several workers never send the same
    mail (PostgreSQL; SQLite runs one writer anyway). A failed attempt is retried after a growing
    delay and given up ("failed") after MAIL_MAX_ATTEMPTS. Nothing is sent while mail is disabled.
    """
    result = {"sent": 0, "failed": 0, "retried": 0}
    if not mail_enabled():
        return result
    last_error = None
    with transaction():
        now = clock.now()
        mails = list(db.session.scalars(
            select(OutboxMail).where(OutboxMail.status == "pending", OutboxMail.next_attempt_at <= now)
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id).limit(limit)
            .with_for_update(skip_locked=True)))
        if not mails:
            return result
        max_attempts = int(config("MAIL_MAX_ATTEMPTS"))
        smtp: smtplib.SMTP | None = None
        # Once the server cannot be reached, the rest of the batch fails the same way without
        # waiting for one connection timeout per mail.
        unreachable: str | None = None
        try:
            for mail in mails:
                error = unreachable
                if error is None:
                    try:
                        message = _message(mail)
                    except Exception as exc:  # a malformed address or header: this mail only
                        error = _describe(exc)
                if error is None and smtp is None:
                    try:
                        smtp = _connect()
                    except Exception as exc:
                        error = unreachable = _describe(exc)
                if error is None:
                    try:
                        smtp.send_message(message)
                    except Exception as exc:
                        error = _describe(exc)
                        if not isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
                            _close(smtp)  # the connection may be unusable; reconnect for the next mail
                            smtp = None
                mail.attempts += 1
                if error is None:
                    mail.status, mail.sent_at = "sent", clock.now()
                    result["sent"] += 1
                    continue
                mail.last_error = error
                last_error = error
                if mail.attempts >= max_attempts:
                    mail.status = "failed"
                    result["failed"] += 1
                else:
                    mail.next_attempt_at = now + timedelta(minutes=_backoff(mail.attempts))
                    result["retried"] += 1
        finally:
            _close(smtp)
    if result["failed"] or result["retried"]:
        current_app.logger.warning("outbox: %s sent, %s to retry, %s given up; last error: %s",
                                   result["sent"], result["retried"], result["failed"], last_error)
    return result


def queue_digests(now: datetime | None = None) -> int:
    """Queue one mail per digest user listing their notifications not yet mailed; returns how many.

    The notifications are marked mailed in the same transaction. The worker calls it once a day.
    """
    if not mail_enabled():
        return 0
    now = now or clock.now()
    queued = 0
    with transaction():
        rows = db.session.execute(
            select(Notification, User).join(User, User.id == Notification.user_id)
            .where(User.email_digest.is_(True), User.active.is_(True), User.email.is_not(None), User.email != "",
                   Notification.emailed.is_(False), Notification.created_at <= now)
            .order_by(User.id, Notification.created_at, Notification.id)).all()
        by_user: dict[int, tuple[User, list[Notification]]] = {}
        for note, user in rows:
            by_user.setdefault(user.id, (user, []))[1].append(note)
        for user, notes in by_user.values():
            subject = f"Tổng hợp thông báo ngày {_date(clock.to_local(now).date())}: {len(notes)} thông báo"
            db.session.add(OutboxMail(user_id=user.id, to_address=user.email.strip(), subject=subject,
                                      body=_digest_body(notes), status="pending", attempts=0,
                                      next_attempt_at=now, created_at=now))
            for note in notes:
                note.emailed = True
            queued += 1
    return queued


def mail_queue(page: int = 1, per_page: int = 50):
    """Mails not sent yet, the given-up ones first (a Flask-SQLAlchemy Pagination)."""
    query = (select(OutboxMail).where(OutboxMail.status.in_(("pending", "failed")))
             .order_by(case((OutboxMail.status == "failed", 0), else_=1), OutboxMail.next_attempt_at, OutboxMail.id))
    return db.paginate(query, page=min(page, 100_000), per_page=per_page, error_out=False, count=True)


def mail_counts() -> dict[str, int]:
    counts = dict(db.session.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())
    return {status: counts.get(status, 0) for status in ("pending", "failed", "sent")}


def retry_mail(user: User, mail_id: int) -> OutboxMail:
    """Put a pending or given-up mail back in the queue for the next run (administrators). One transaction.

    The attempt count is kept: a given-up mail gets one more attempt per manual retry.
    """
    if not user.has_role("admin"):
        raise NotAllowed("Chỉ quản trị hệ thống được gửi lại thư.")
    with transaction():
        mail = db.session.get(OutboxMail, mail_id)
        if mail is None:
            raise NotFound("Không tìm thấy thư.")
        if mail.status == "sent":
            raise Conflict("Thư này đã được gửi.")
        mail.status = "pending"
        mail.next_attempt_at = clock.now()
    return mail


# ---------------------------------------------------------------- helpers

def _users_with_role(role: str, agency_ids: set[int] | None = None) -> list[User]:
    query = select(User).where(User.active.is_(True), User.roles_text.contains(role)).order_by(User.id)
    if agency_ids is not None:
        if not agency_ids:
            return []
        query = query.where(User.agency_id.in_(agency_ids))
    # roles are stored as "a,b"; the LIKE above only narrows, has_role decides
    return [u for u in db.session.scalars(query) if u.has_role(role)]


def _task_label(task: Task, full: bool = False) -> str:
    title = task.title if full else _one_line(task.title, 120)
    return f"{task.code} {title}" if task.code else title


def _task_link(task: Task) -> str:
    return f"/tasks/{task.id}"


def _due_of(task: Task, items: list[WorkItem]) -> date | None:
    if task.due_date:
        return task.due_date
    dues = [i.due_at.date() for i in items if i.due_at]
    return min(dues) if dues else None


def _waiting_lines(items: list[WorkItem]) -> list[str]:
    if not items:
        return []
    lines = ["Đang chờ xử lý:"]
    for item in items:
        holder = item.claimed_by.full_name if item.claimed_by else "chưa ai nhận"
        agency = item.agency.name if item.agency else "?"
        lines.append(f"- {item.step_name} — {agency} (người giữ: {holder}), "
                     f"từ {_date(clock.to_local(item.created_at).date())}")
    return lines


def _date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _one_line(text: str | None, limit: int) -> str:
    """Collapse whitespace (mail headers cannot hold line breaks) and cut to ``limit`` characters."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _absolute(link: str) -> str:
    if link.startswith(("http://", "https://")):
        return link
    return str(config("APP_BASE_URL")).rstrip("/") + "/" + link.lstrip("/")


def _mail_body(title: str, body: str | None, link: str | None) -> str:
    parts = [title]
    if body:
        parts += ["", body]
    if link:
        parts += ["", f"Xem chi tiết: {_absolute(link)}"]
    parts += ["", "--", MAIL_FOOTER]
    return "\n".join(parts) + "\n"


def _digest_body(notes: list[Notification]) -> str:
    lines = [f"Bạn có {len(notes)} thông báo mới trên Hệ thống theo dõi nhiệm vụ:", ""]
    for note in notes[:DIGEST_MAX_LINES]:
        when = clock.to_local(note.created_at).strftime("%H:%M %d/%m/%Y")
        lines.append(f"- {when}: {note.title}")
        if note.link:
            lines.append(f"  {_absolute(note.link)}")
    if len(notes) > DIGEST_MAX_LINES:
        lines.append(f"… và {len(notes) - DIGEST_MAX_LINES} thông báo khác.")
    lines += ["", f"Xem tất cả thông báo: {_absolute('/notifications')}", "", "--", MAIL_FOOTER]
    return "\n".join(lines) + "\n"


def _backoff(attempts: int) -> int:
    return BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1]


def _describe(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__)[:ERROR_MAX]


def _connect() -> smtplib.SMTP:
    smtp = smtplib.SMTP(config("MAIL_SERVER"), int(config("MAIL_PORT")), timeout=SMTP_TIMEOUT)
    try:
        if config("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config("MAIL_USERNAME"):
            smtp.login(config("MAIL_USERNAME"), config("MAIL_PASSWORD") or "")
    except Exception:
        _close(smtp)
        raise
    return smtp


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


def _message(mail: OutboxMail) -> EmailMessage:
    sender = str(config("MAIL_FROM"))
    msg = EmailMessage()
    msg["Subject"] = mail.subject
    msg["From"] = sender
    msg["To"] = mail.to_address
    msg["Date"] = format_datetime(clock.now().replace(tzinfo=UTC))
    # an explicit domain: make_msgid() would otherwise ask DNS for this host's name
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("<> ") or "localhost")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    # quoted-printable keeps the body 7-bit, whatever the server says about 8BITMIME
    msg.set_content(mail.body, charset="utf-8", cte="quoted-printable")
    return msg
