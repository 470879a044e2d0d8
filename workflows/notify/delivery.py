"""How people are told: a notification (and its mail, queued in the outbox) for each person, written in the caller's
transaction; and who should act on a work item — its holder, or the holders of its role in its agency, and whoever
stands in for them today — worked out in SQL when many are told at once. ``workflows.notify.events`` says what
they are told of.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from sqlalchemy import DateTime, Integer, String, Text, and_, bindparam, case, false, func, insert, literal, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.elements import ColumnElement

from models import Delegation, Notification, OutboxMail, User, WorkItem, db
from workflows import access, clock, rows
from workflows.notify.outbox import mail_body, mail_enabled

TITLE_MAX = 500  # Notification.title, OutboxMail.subject
LINK_MAX = 500
KINDS = ("new_item", "returned", "reminder", "escalation", "extension", "comment", "mention", "reassigned", "urged",
         "delegated", "changed", "done")

def notify(users: Iterable[User | None], kind: str, title: str, body: str | None = None,
           link: str | None = None, task_id: int | None = None) -> list[Notification]:
    """Add a notification for each distinct active user and queue their mail: written at once, in the caller's
    transaction (``workflows.rows``), which a rollback undoes; returns the notifications.

    A user gets an immediate mail when mail is enabled, they have an address and they did not
    choose the daily digest (``_mail_now``); digest users' notifications wait for ``queue_digests``.
    """
    kind, title, body, link = _cleaned(kind, title, body, link)
    now = clock.now()
    send_mail = mail_enabled()
    notes, mails, users_told = [], [], []
    seen: set[int] = set()
    for user in users:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        mail_now = send_mail and _mail_now(user)
        notes.append(dict(user_id=user.id, kind=kind, title=title, body=body, link=link, task_id=task_id,
                          created_at=now, read_at=None, emailed=mail_now))
        users_told.append({"user": user})
        if mail_now:
            mails.append(dict(user_id=user.id, to_address=user.email.strip(), subject=title,
                              body=mail_body(title, body, link), status="pending", attempts=0,
                              next_attempt_at=now, created_at=now))
    created = rows.insert_rows(Notification, notes, users_told, distinct="user_id")
    rows.insert_plain(OutboxMail, mails)
    return created


def _cleaned(kind: str, title: str, body: str | None, link: str | None) -> tuple[str, str, str | None, str | None]:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    return kind, one_line(title, TITLE_MAX), (body or "").strip() or None, link[:LINK_MAX] if link else None


def _mail_now(user: User) -> bool:
    return bool(user.email) and not user.email_digest


def notify_holders(item: WorkItem, kind: str, title: str, body: str | None = None, link: str | None = None,
                   task_id: int | None = None, *, but: User | None = None) -> list[Notification]:
    """``notify`` the people who should act on ``item`` (``recipients_for_item``), except ``but``, by one INSERT …
    SELECT (and its mail by another), without loading the agency's people: the same rule in SQL (``_HOLDERS``,
    kept equal by a test), the notifications returned in the order of the users' ids, as ``notify`` gives them."""
    if item.agency_id is None:
        return notify([u for u in recipients_for_item(item) if but is None or u.id != but.id], kind, title, body,
                      link, task_id)
    kind, title, body, link = _cleaned(kind, title, body, link)
    now = clock.now()
    send_mail = mail_enabled()
    holder = item.claimed_by_id if holds(item) else None
    params = {"agency_id": item.agency_id, "role": f"%,{_like_escaped(item.role)},%", "but": but.id if but else -1,
              "holder": holder if holder is not None else -1, "queue": holder is None, "today": clock.today(),
              "kind": kind, "title": title, "body": body, "link": link, "task_id": task_id, "now": now}
    params.update(_stand_in_parts("body", "", body or ""))
    connection = db.session.connection()
    told = sorted(connection.execute(_holders_notifications(send_mail), params).all())
    if send_mail:
        mail, marked = mail_body(title, body, link), mail_body(title, "\0" + (body or ""), link)
        connection.execute(_HOLDERS_MAILS, {**params, "mail_body": mail,
                                            **_stand_in_parts("mail_body", *marked.split("\0"))})
    return [rows.attach(Notification, dict(id=note_id, user_id=user_id, kind=kind, title=title, body=text, link=link,
                                           task_id=task_id, created_at=now, read_at=None, emailed=bool(emailed)))
            for user_id, note_id, emailed, text in told]


def _like_escaped(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _holds_role(user) -> ColumnElement:
    """``user`` (the table or an alias) holds the role ``:role`` (roles are stored "a,b": the role between commas)."""
    return (literal(",") + user.roles_text + literal(",")).like(bindparam("role"), escape="/")


# ``recipients_for_item`` in SQL: of the item's agency, active, not ``:but``: its holder ``:holder`` — or, with
# ``:queue``, the holders of its role — and whoever stands in for one of them today (``access.delegators``).
_AWAY = aliased(User)


def _away(*columns) -> Select:
    """The item's holders who are away today and named a stand-in: ``columns`` of them and their delegation."""
    return (select(*columns).select_from(Delegation).join(_AWAY, _AWAY.id == Delegation.user_id)
            .where(access.covering(bindparam("today")), _AWAY.active.is_(True),
                   _AWAY.agency_id == bindparam("agency_id"),
                   or_(_AWAY.id == bindparam("holder"), and_(bindparam("queue"), _holds_role(_AWAY)))))


_OWN = or_(User.id == bindparam("holder"), and_(bindparam("queue"), _holds_role(User)))
_HOLDERS = and_(User.agency_id == bindparam("agency_id"), User.active.is_(True), User.id != bindparam("but"),
                or_(_OWN, User.id.in_(_away(Delegation.delegate_id))))
# A stand-in's notice and mail open with for whom they receive it ("Bạn nhận … vì đang làm thay Ông/Bà …"):
# ``:<text>_head`` + the names of those they stand in for + ``:<text>_tail`` (``_stand_in_parts``).
_FOR_WHOM = func.coalesce(_away(func.aggregate_strings(_AWAY.full_name, ", "))
                          .where(Delegation.delegate_id == User.id).scalar_subquery(), "")


def _as_stand_in(text: str) -> ColumnElement:
    return case((_OWN, bindparam(text, type_=Text)),
                else_=bindparam(f"{text}_head", type_=Text) + _FOR_WHOM + bindparam(f"{text}_tail", type_=Text))


def _stand_in_parts(name: str, before: str, after: str) -> dict[str, str]:
    """The parameters of ``_as_stand_in(name)``: the for-whom line goes between ``before`` and ``after``."""
    return {f"{name}_head": before + STAND_IN_LINE, f"{name}_tail": f".\n{after}" if after else "."}


STAND_IN_LINE = "Bạn nhận việc này vì đang làm thay "
_MAIL_NOW = and_(User.email.is_not(None), User.email != "", User.email_digest.is_(False))  # ``_mail_now``


@functools.cache
def _holders_notifications(send_mail: bool) -> ReturningInsert:
    table = Notification.__table__
    emailed = _MAIL_NOW if send_mail else false()
    picked = select(User.id, bindparam("kind", type_=String), bindparam("title", type_=String), _as_stand_in("body"),
                    bindparam("link", type_=String), bindparam("task_id", type_=Integer),
                    bindparam("now", type_=DateTime), emailed).where(_HOLDERS)
    return (insert(table).from_select(["user_id", "kind", "title", "body", "link", "task_id", "created_at", "emailed"],
                                      picked)
            .returning(table.c.user_id, table.c.id, table.c.emailed, table.c.body))


_HOLDERS_MAILS = insert(OutboxMail.__table__).from_select(
    ["user_id", "to_address", "subject", "body", "status", "attempts", "next_attempt_at", "created_at"],
    select(User.id, func.trim(User.email), bindparam("title", type_=String), _as_stand_in("mail_body"),
           literal("pending"), literal(0), bindparam("now", type_=DateTime), bindparam("now", type_=DateTime))
    .where(_HOLDERS, _MAIL_NOW))


def recipients_for_item(item: WorkItem) -> list[User]:
    """Who should act on a work item: its claimer, else the agency's active holders of its role; and whoever
    stands in for one of them today (an officer away: the colleague he named hears of the work he acts on)."""
    if holds(item):
        holders = [item.claimed_by]
    elif item.agency is None:
        return []
    else:
        holders = [u for u in item.agency.people if u.active and u.has_role(item.role)]
    if item.agency_id is None:
        return holders
    return sorted({u.id: u for u in [*holders, *access.stand_ins(holders, item.agency_id)]}.values(),
                  key=lambda u: u.id)


def recipients(items: Iterable[WorkItem]) -> list[User]:
    """Whoever should act on any of ``items`` (``recipients_for_item``; ``notify`` tells each once)."""
    return [u for item in items for u in recipients_for_item(item)]


def holds(item: WorkItem) -> bool:
    """Its claimer holds it: active and of its agency (one moved elsewhere does not: the queue is told)."""
    return item.claimed_by is not None and item.claimed_by.active and item.claimed_by.agency_id == item.agency_id


def one_line(text: str | None, limit: int) -> str:
    """Collapse whitespace (mail headers cannot hold line breaks) and cut to ``limit`` characters."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
