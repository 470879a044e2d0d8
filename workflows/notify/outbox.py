"""The mail outbox: queued in the step's transaction, sent later by the worker.

A failing mail server never blocks or rolls back a workflow step; its failures stay visible to
administrators with the number of attempts and the last error.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr

from flask import current_app
from sqlalchemy import case, func, select, update

from models import Notification, OutboxMail, User, db
from workflows import clock, settings
from workflows.errors import Conflict, NotAllowed, NotFound
from workflows.paging import page_of
from workflows.tx import RACES, lost_race, transaction

# Minutes to wait after the 1st, 2nd, … failed attempt; the last value repeats.
BACKOFF_MINUTES = (1, 5, 15, 60, 240, 720)
DIGEST_MAX_LINES = 100  # a digest lists at most this many notifications, then says how many more
SMTP_TIMEOUT = 10
CLAIM_MINUTES = 10  # a claimed mail not marked sent by then (its sender stopped) is tried again
GIVEN_UP = ("failed", "refused")  # not tried again unless an administrator asks
CLOSED_ACCOUNT = "Tài khoản người nhận đã ngừng hoạt động trước khi thư được gửi."
UNREACHABLE = "Không kết nối được máy chủ thư: "  # a failure of the server, not of the mail (``_wake_retries``)






ERROR_MAX = 2000
DATE_KEPT = timedelta(hours=6)  # a mail sent within this of its notice is dated when the notice was made
MAIL_FOOTER = "Thư gửi tự động từ Hệ thống theo dõi nhiệm vụ. Vui lòng không trả lời thư này."


def config(key: str):
    """A mail setting from the application config, or its default."""
    return settings.get(key)


def mail_enabled() -> bool:
    return bool(config("MAIL_ENABLED"))


def send_pending(limit: int = 50) -> dict[str, int]:
    """Send up to ``limit`` due mails; returns counts of sent, failed, retried.

    Each mail is claimed before it is sent ("sending", its next attempt moved ``CLAIM_MINUTES`` ahead: an UPDATE
    only one of several senders can make — workers, a ``run-timers`` beside them) and marked in a transaction of its
    own as soon as the server answered, by the sender whose claim it still is. No lock is held while the server is
    talked to, and a batch stops taking mail before its first claims could run out. Neither two senders nor one
    stopped mid-batch send a mail twice — except a sender stopped between the server's answer and its mark: that
    mail goes again, with the same Message-ID, once its claim runs out (at least once, never lost).

    A failed attempt is retried after a growing delay and given up ("failed") after MAIL_MAX_ATTEMPTS; an address
    the server refuses is not tried again ("refused": the address is wrong, not the server); a mail to an account
    closed since it was queued is dropped ("cancelled"). Nothing is sent while mail is disabled.
    """
    result = {"sent": 0, "failed": 0, "retried": 0}
    if not mail_enabled():
        return result
    with transaction():  # (ended: none is held while the server is talked to)
        due = list(db.session.scalars(
            select(OutboxMail.id).where(_DUE, OutboxMail.next_attempt_at <= clock.now())
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id).limit(limit)))
    started, max_attempts = clock.now(), int(config("MAIL_MAX_ATTEMPTS"))
    connection, last_error, woken = _Connection(), None, False
    try:
        while due:
            mail_id = due.pop(0)
            if clock.now() - started > timedelta(minutes=CLAIM_MINUTES / 2):  # the rest waits for the next run
                break
            letter = _claim(mail_id)
            if letter is None:
                continue  # another sender has it, or it was dropped
            error = connection.send(letter)
            outcome = _mark(letter, error, max_attempts)
            if outcome is not None:
                result[outcome] += 1
            last_error = error or last_error
            if outcome == "sent" and not woken:  # the server answers again: what waited for it goes now, oldest first
                woken = True
                due = sorted(set(due) | set(_wake_retries(limit)))
    finally:
        _close(connection.smtp)
    if result["failed"] or result["retried"]:
        current_app.logger.warning("outbox: %s sent, %s to retry, %s given up; last error (mail server %s:%s): %s",
                                   result["sent"], result["retried"], result["failed"], config("MAIL_SERVER"),
                                   config("MAIL_PORT"), last_error)
    return result


# a mail waiting to be sent: never tried yet or to be tried again, or claimed by a sender whose claim ran out
_DUE = OutboxMail.status.in_(("pending", "sending"))


def _wake_retries(limit: int) -> list[int]:
    """Mails waiting out a retry delay because the server could not be reached, made due now (their ids): such a
    mail went out up to an hour after the newer ones once the server was back, announcing work done meanwhile. A
    mail the server refused for itself (a full mailbox, greylisting) keeps its delay."""
    with transaction():
        waiting = list(db.session.scalars(
            select(OutboxMail.id).where(OutboxMail.status == "pending", OutboxMail.attempts > 0,
                                        OutboxMail.next_attempt_at > clock.now(),
                                        OutboxMail.last_error.startswith(UNREACHABLE, autoescape=True))
            .order_by(OutboxMail.id).limit(limit)))
        if waiting:
            db.session.execute(update(OutboxMail).where(OutboxMail.id.in_(waiting), OutboxMail.status == "pending")
                               .values(next_attempt_at=clock.now()).execution_options(synchronize_session=False))
    return waiting


def _claim(mail_id: int) -> _Letter | None:
    """Take one due mail for this sender (None when another took it first), or drop it when its account has been
    closed since it was queued. One transaction."""
    now = clock.now()
    lease = now + timedelta(minutes=CLAIM_MINUTES)
    with transaction():
        taken = db.session.execute(
            update(OutboxMail).where(OutboxMail.id == mail_id, _DUE, OutboxMail.next_attempt_at <= now)
            .values(status="sending", next_attempt_at=lease)
            .execution_options(synchronize_session=False)).rowcount
        if not taken:
            return None
        mail = db.session.get(OutboxMail, mail_id, populate_existing=True)
        recipient = db.session.get(User, mail.user_id) if mail.user_id is not None else None
        if recipient is not None and not recipient.active:
            mail.status, mail.last_error = "cancelled", CLOSED_ACCOUNT
            return None
        return _Letter(mail.id, mail.to_address, mail.subject, mail.body, mail.created_at, lease)


def _mark(letter: _Letter, error: str | None, max_attempts: int) -> str | None:
    """Record what the server answered, if the mail is still this sender's (its claim did not run out and pass to
    another); "sent", "failed" or "retried", or None. A busy database is waited for a few times: a mail the server
    took and that stays unmarked would go again."""
    for attempt in range(3):
        try:
            with transaction():
                mail = db.session.scalar(select(OutboxMail).where(
                    OutboxMail.id == letter.id, OutboxMail.status == "sending",
                    OutboxMail.next_attempt_at == letter.lease))
                if mail is None:
                    return None
                mail.attempts += 1
                now = clock.now()
                if error is None:
                    mail.status, mail.sent_at = "sent", now
                    return "sent"
                mail.last_error = str(error)
                if isinstance(error, _Refused) or mail.attempts >= max_attempts:
                    mail.status, mail.next_attempt_at = ("refused" if isinstance(error, _Refused) else "failed"), now
                    return "failed"
                mail.status, mail.next_attempt_at = "pending", now + timedelta(minutes=_backoff(mail.attempts))
                return "retried"
        except RACES as exc:
            if not lost_race(exc) or attempt == 2:
                raise
    return None


class _Refused(str):
    """An error that is about the recipient's address, not the server: the mail is not tried again."""


@dataclass(frozen=True)
class _Letter:
    """A claimed mail as it is sent: read in its claim's transaction, so that sending it holds none."""

    id: int
    to_address: str
    subject: str
    body: str
    created_at: datetime
    lease: datetime | None = None  # until when the claim is this sender's


class _Connection:
    """One SMTP connection for a batch, opened on the first mail. Once the server cannot be reached, the
    rest of the batch fails the same way without waiting for one connection timeout per mail."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None
        self.unreachable: str | None = None

    def send(self, mail: _Letter) -> str | None:
        """Send one mail; the error, described (``_Refused`` when it is the address's), or None when sent."""
        if self.unreachable is not None:
            return self.unreachable
        try:
            message = _message(mail)
        except Exception as exc:  # a malformed address or header: this mail only
            return _describe(exc)
        if self.smtp is None:
            try:
                self.smtp = _connect()
            except Exception as exc:
                self.unreachable = UNREACHABLE + _describe(exc)
                return self.unreachable
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:  # this address, not the server
            if all(400 <= code < 500 for code, _said in exc.recipients.values()):  # for now (a full mailbox): later
                return _describe(exc)
            return _Refused(_describe(exc))
        except Exception as exc:
            if not isinstance(exc, smtplib.SMTPResponseException):
                _close(self.smtp)  # the connection may be unusable; reconnect for the next mail
                self.smtp = None
            return _describe(exc)
        return None


def queue_digests(now: datetime | None = None) -> int:
    """Queue one mail per digest user listing their notifications of the last day still unread; returns how many.

    Every notification not mailed yet is marked mailed in the same transaction: one read already, or older than a
    day (made while the user had no address, or took each mail as it came), is not news to send. The worker calls
    it once a day.
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
        since = now - timedelta(days=1)
        for user, notes in list(by_user.values()):
            for note in notes:
                note.emailed = True
            notes[:] = [n for n in notes if n.read_at is None and n.created_at >= since]
            if not notes:
                continue
            subject = f"Tổng hợp thông báo ngày {clock.to_local(now).date():%d/%m/%Y}: {len(notes)} thông báo"
            db.session.add(OutboxMail(user_id=user.id, to_address=user.email.strip(), subject=subject,
                                      body=_digest_body(notes), status="pending", attempts=0,
                                      next_attempt_at=now, created_at=now))
            queued += 1
    return queued


def mail_queue(page: int = 1, per_page: int = 50):
    """Mails not sent yet, the given-up ones first (a Flask-SQLAlchemy Pagination)."""
    query = (select(OutboxMail).where(OutboxMail.status.in_(("pending", "sending", *GIVEN_UP)))
             .order_by(case((OutboxMail.status.in_(GIVEN_UP), 0), else_=1), OutboxMail.next_attempt_at, OutboxMail.id))
    return page_of(query, page, per_page)


def mail_counts() -> dict[str, int]:
    """Mails waiting (being sent included), given up (a refused address included), sent."""
    counts = dict(db.session.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())
    return {"pending": counts.get("pending", 0) + counts.get("sending", 0),
            "failed": sum(counts.get(s, 0) for s in GIVEN_UP), "sent": counts.get("sent", 0)}


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
        if mail.status == "sending" and mail.next_attempt_at > clock.now():
            raise Conflict("Thư này đang được gửi; vui lòng xem lại sau ít phút.")
        if mail.status == "cancelled":
            raise Conflict(CLOSED_ACCOUNT)
        mail.status = "pending"
        mail.next_attempt_at = clock.now()
    return mail


def send_test(address: str) -> str | None:
    """Send one mail to ``address`` at once, through the configured server (the operator's check of the settings,
    whether MAIL_ENABLED is on or not); the error, described, or None when the server took it."""
    letter = _Letter(0, address.strip(), "Thư thử của Hệ thống theo dõi nhiệm vụ",
                     mail_body("Thư thử của Hệ thống theo dõi nhiệm vụ",
                               f"Máy chủ thư {config('MAIL_SERVER')}:{config('MAIL_PORT')} đã nhận thư này lúc "
                               f"{clock.to_local(clock.now()):%H:%M ngày %d/%m/%Y}: cấu hình gửi thư hoạt động.",
                               None), clock.now())
    connection = _Connection()
    try:
        return connection.send(letter)
    finally:
        _close(connection.smtp)


def retry_failed(user: User) -> int:
    """Put every given-up mail back in the queue (administrators, once the mail server is mended: an overnight
    outage gives up dozens). One transaction; returns how many."""
    if not user.has_role("admin"):
        raise NotAllowed("Chỉ quản trị hệ thống được gửi lại thư.")
    with transaction():
        return db.session.execute(
            update(OutboxMail).where(OutboxMail.status.in_(GIVEN_UP))
            .values(status="pending", next_attempt_at=clock.now())
            .execution_options(synchronize_session=False)).rowcount or 0


def _absolute(link: str) -> str:
    if link.startswith(("http://", "https://")):
        return link
    return str(config("APP_BASE_URL")).rstrip("/") + "/" + link.lstrip("/")


def mail_body(title: str, body: str | None, link: str | None) -> str:
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
    """A connection to the configured server, logged in: TLS from the first byte (MAIL_USE_SSL, port 465) or after
    STARTTLS (MAIL_USE_TLS), the server's certificate checked against the system's CAs or MAIL_CA_FILE."""
    host, port = config("MAIL_SERVER"), int(config("MAIL_PORT"))
    context = ssl.create_default_context(cafile=config("MAIL_CA_FILE"))
    if config("MAIL_USE_SSL"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    try:
        if config("MAIL_USE_TLS") and not config("MAIL_USE_SSL"):
            smtp.starttls(context=context)
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


def _message(mail: _Letter) -> Message:
    """The mail as sent: plain text, UTF-8 quoted-printable (7-bit whatever the server says of 8BITMIME). Its
    headers are written by the email package's older encoder: the newer one, folding a long Vietnamese subject,
    drops the space between two encoded words (about one mail in four read "Hàvề", "chếhỗ")."""
    name, address = parseaddr(str(config("MAIL_FROM")))
    domain = address.rpartition("@")[2] or "localhost"
    msg = MIMEText(mail.body, "plain", _UTF8_QP)
    msg["Subject"] = Header(mail.subject, "utf-8")
    msg["From"] = formataddr((name, address), charset="utf-8")
    msg["To"] = mail.to_address
    # when it happened, while that is recent: a mail held up by the server sorts among the others by it; one an
    # administrator sends again days later is dated now (spam filters score a Date long past)
    sent = mail.created_at if clock.now() - mail.created_at < DATE_KEPT else clock.now()
    msg["Date"] = format_datetime(sent.replace(tzinfo=UTC))
    # one mail, one Message-ID however often it is tried (a client merges a copy sent twice); an explicit domain:
    # make_msgid() would ask DNS for this host's name
    msg["Message-ID"] = f"<outbox-{mail.id}-{mail.created_at:%Y%m%d%H%M%S}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    return msg


_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
