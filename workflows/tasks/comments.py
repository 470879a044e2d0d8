"""Comments (trao đổi) on a task, with mentions of agencies.

A comment is an append-only ``AuditEvent`` with action "comment": the text in ``comment`` and the
mentioned agencies in ``data["mentions"]`` as ``[{"id": …, "name": …}]`` (the name as it was when
written). It shows in the task's history in order with the steps, so no table of its own. The
people of a mentioned agency and whoever holds an open work item of the task are notified.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from models import MAX_ID, Agency, AuditEvent, Task, User, db
from workflows import access, audit, settings
from workflows.errors import N_, Invalid, Message, NotAllowed
from workflows.notify import events
from workflows.tasks import reads
from workflows.tx import serialize_on, transaction

MAX_BODY = 4000  # characters
MAX_MENTIONS = 10


def can_comment(user: User, task: Task) -> bool:
    """People of the agencies involved in the task (lead, collaborating, holding a step), and coordinators."""
    if user.has_role("coordinator"):
        return True
    return user.agency_id is not None and user.agency_id in access.involved_agency_ids(task)


def ensure_can_comment(user: User, task: Task) -> None:
    if not can_comment(user, task):
        raise NotAllowed("Chỉ người của các đơn vị tham gia nhiệm vụ và Tổ giúp việc được trao đổi về nhiệm vụ này.")


def mention_choices(task: Task) -> tuple[list[tuple[Agency, str]], list[Agency]]:
    """Agencies to mention: the task's own with their part in it (lead first, then in Vietnamese
    alphabetical order) and every other active agency."""
    parts = {agency_id: N_("xử lý một bước") for agency_id in access.involved_agency_ids(task)}
    standing = reads.agency_by_name(settings.get("COORDINATING_AGENCY"))
    if standing is not None:
        parts[standing.id] = N_("Tổ giúp việc")
    parts.update({a.id: N_("phối hợp") for a in task.collaborating_agencies})
    parts[task.lead_agency_id] = N_("chủ trì")
    own, others = [], []
    for agency in reads.agencies():
        if agency.id in parts:
            own.append((agency, parts[agency.id]))
        else:
            others.append(agency)
    own.sort(key=lambda pair: pair[0].id != task.lead_agency_id)  # stable: the rest stay alphabetical
    return own, others


def agency_ids_by_name(names: Iterable[str]) -> list[int]:
    """The ids of agencies given by their full names (as the JSON API takes them)."""
    ids = []
    for name in names:
        agency = reads.agency_by_name(name)
        if agency is None or not agency.active:
            raise Invalid("Không tìm thấy đơn vị “%(name)s” trong danh mục.",
                          {"mentions": f"Không tìm thấy đơn vị “{name}” trong danh mục."}, name=name)
        ids.append(agency.id)
    return ids


def add_comment(user: User, task: Task, body: str | None,
                mention_agency_ids: Iterable[int | str] = (), submission: str | None = None) -> AuditEvent:
    """Write a comment on ``task`` mentioning some agencies, and notify. One transaction.

    ``submission`` is the form's one-time key: the same form sent again (a network retry, a page refreshed) gives
    the comment the first sending wrote, not a second one nor a second round of notifications."""
    with transaction():
        ensure_can_comment(user, task)
        if submission:
            serialize_on(Task, task.id)  # (the retry may arrive while the first sending is being written)
            if (sent := _sent(user, task, submission)) is not None:
                return sent
        errors = {}
        text = _clean(body)
        if not text:
            errors["body"] = N_("Vui lòng nhập nội dung trao đổi.")
        elif len(text) > MAX_BODY:
            errors["body"] = Message("Nội dung trao đổi tối đa %(max)s ký tự "
                                     "(hiện có %(n)s ký tự); hãy rút gọn hoặc đính kèm văn bản.",
                                     max=_number(MAX_BODY), n=_number(len(text)))
        try:
            mentioned = _agencies(mention_agency_ids)
        except Invalid as exc:
            errors["mentions"] = exc.message
            mentioned = []
        if errors:
            raise Invalid(next(iter(errors.values())), errors)
        event = db.session.get(AuditEvent, audit.record(
            "comment", user, task, comment=text, data={"mentions": [{"id": a.id, "name": a.name} for a in mentioned],
                                                       **({"submission": submission} if submission else {})}))
        involved = access.involved_agency_ids(task)
        events.comment_posted(task, user, text, mentioned, reads.open_items(task), f"/tasks/{task.id}#e{event.id}",
                              involved, _followers(task, involved))
    return event


_DECISIONS = ("submit", "approve", "return")


def _followers(task: Task, involved: set[int]) -> list[User]:
    """Who follows the conversation on ``task`` besides the holders of its open items: whoever wrote in it before,
    and the lead agency's people who acted on its steps (the drafter hears of the appraiser's remark while the file
    waits at appraisal); of an agency still taking part, or overseeing everything."""
    acted = select(AuditEvent.actor_id).where(
        AuditEvent.task_id == task.id, AuditEvent.actor_id.is_not(None),
        (AuditEvent.action == "comment")
        | (AuditEvent.action.in_(_DECISIONS) & (AuditEvent.agency_id == task.lead_agency_id)))
    people = db.session.scalars(select(User).where(User.id.in_(acted), User.active.is_(True)).order_by(User.id))
    return [u for u in people if u.agency_id in involved or u.sees_everything]


def _sent(user: User, task: Task, submission: str) -> AuditEvent | None:
    """The comment ``user`` wrote on ``task`` with the form of key ``submission``, if any (among their latest)."""
    latest = db.session.scalars(select(AuditEvent).where(
        AuditEvent.task_id == task.id, AuditEvent.actor_id == user.id, AuditEvent.action == "comment")
        .order_by(AuditEvent.id.desc()).limit(20))
    return next((e for e in latest if (e.data or {}).get("submission") == submission), None)


def mentions_of(event: AuditEvent) -> list[dict]:
    """The agencies a comment mentioned, as written: [{"id", "name"}]."""
    found = (event.data or {}).get("mentions") or []
    return [m for m in found if isinstance(m, dict) and m.get("name")]


def _clean(body: str | None) -> str:
    if not isinstance(body, str):
        return ""
    # one kind of line break; NUL cannot be stored in PostgreSQL text
    return body.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def _agencies(values: Iterable[int | str]) -> list[Agency]:
    ids: list[int] = []
    for value in values or ():
        try:
            agency_id = int(value)
        except (TypeError, ValueError):
            raise Invalid("Đơn vị được nhắc đến không hợp lệ.") from None
        if not 1 <= agency_id <= MAX_ID:  # beyond what the database holds: it names nothing
            raise Invalid("Không tìm thấy đơn vị được nhắc đến trong danh mục; vui lòng chọn lại.")
        if agency_id not in ids:
            ids.append(agency_id)
    if len(ids) > MAX_MENTIONS:
        raise Invalid("Mỗi trao đổi chỉ nhắc đến tối đa %(n)s đơn vị.", n=MAX_MENTIONS)
    if not ids:
        return []
    found = {a.id: a for a in db.session.scalars(select(Agency).where(Agency.id.in_(ids), Agency.active.is_(True)))}
    if len(found) != len(ids):
        raise Invalid("Không tìm thấy đơn vị được nhắc đến trong danh mục; vui lòng chọn lại.")
    return [found[i] for i in ids]


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")  # 4.000, as Vietnamese readers write it
