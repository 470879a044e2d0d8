"""Who is told of what: the in-app notifications a step, a timer or a comment creates, in words.

How they reach people is ``workflows.notify.delivery``: everything here runs inside the caller's transaction and
only adds rows, so a step that rolls back notifies nobody; a user who takes mail gets it queued in the outbox
(``workflows.notify.outbox``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select

from models import Agency, AuditEvent, Delegation, Notification, Task, User, WorkItem, db
from workflows import clock
from workflows.notify import delivery
from workflows.notify.delivery import notify

ESCALATION_LEVELS = ("holder", "agency_head", "coordinator")
EXPLANATION_ANCHOR = "giai-trinh"  # the explanation card on the task page (workflows.tasks.explanations.ANCHOR)


def work_item_created(item: WorkItem, handed: Iterable[tuple[str, str]] = (),
                      came_from: str | None = None) -> list[Notification]:
    """Tell whoever should act on a new item; where it came from (``came_from``: the step done, its decision and
    who made it — "Phê duyệt — Đồng ý": the officer reporting a result reads that it was approved) and what that
    step wrote for it (``handed``: label, text), so that an officer reads the head's internal deadline and
    instructions in the notice itself."""
    task = item.task
    lines = _item_lines(item)
    if came_from:
        lines.append(f"Chuyển từ bước: {came_from}")
    if handed:
        lines += ["Bước trước đã ghi:", *(f"- {label}: {delivery.one_line(said, 300)}" for label, said in handed)]
    return delivery.notify_holders(item, "new_item", f"Việc mới: {item.step_name} — {_task_label(task)}",
                           "\n".join(lines), _task_link(task), task.id)


def item_reassigned(item: WorkItem, head: User, previous: User | None) -> list[Notification]:
    """A head handed an item to someone: the new holder is told by whom (not as anonymous new work); whoever held
    it before, that it is no longer theirs."""
    task = item.task
    told = delivery.notify_holders(item, "new_item", f"Việc được giao: {item.step_name} — {_task_label(task)}",
                           "\n".join([*_item_lines(item), f"Người giao: {head.full_name}"]), _task_link(task),
                           task.id, but=head)
    if previous is not None and previous.id not in (head.id, item.claimed_by_id):
        told += notify([previous], "reassigned", f"Việc đã giao cho {item.claimed_by.full_name}: {item.step_name} — "
                       f"{_task_label(task)}", "\n".join([f"Nhiệm vụ: {_task_label(task, full=True)}",
                                                         f"Bước: {item.step_name}", f"Người giao: {head.full_name}"]),
                       _task_link(task), task.id)
    return told


def item_moved(item: WorkItem, why: str) -> list[Notification]:
    """Tell those who carry an open item on now that it waits for them, and why: the agency its agency merged into
    (or a coordinator's choice after a split), or the agency's queue when its holder left or moved."""
    task = item.task
    return delivery.notify_holders(item, "new_item", f"Việc chuyển đến: {item.step_name} — {_task_label(task)}",
                           "\n".join([*_item_lines(item), f"Lý do: {why}"]), _task_link(task), task.id)


def _item_lines(item: WorkItem) -> list[str]:
    task = item.task
    lines = [f"Nhiệm vụ: {_task_label(task, full=True)}", f"Bước cần xử lý: {item.step_name}"]
    if item.agency is not None:
        lines.append(f"Đơn vị: {item.agency.name}")
    if task.due_date:
        lines.append(f"Thời hạn: {_date(task.due_date)}")
    if item.instance is not None and item.instance.kind == "extension":
        lines += _extension_request_lines(task)
    return lines


def _extension_request_lines(task: Task) -> list[str]:
    """What the latest request for more time asks, for those who review and decide it (their notice said only
    "Việc mới: Tổ giúp việc xem xét đề nghị gia hạn")."""
    asked = db.session.scalar(select(AuditEvent).where(AuditEvent.task_id == task.id,
                                                       AuditEvent.action == "extension_request")
                              .order_by(AuditEvent.id.desc()).limit(1))
    if asked is None or not asked.data.get("requested_due"):
        return []
    lines = [f"Thời hạn đề nghị: {_date(date.fromisoformat(asked.data['requested_due']))}"]
    if asked.comment:
        lines.append(f"Lý do đề nghị: {delivery.one_line(asked.comment, 500)}")
    return lines


def item_returned(new_items: Iterable[WorkItem], from_step: str, reason: str, actor: User | None) -> list[Notification]:
    """Tell whoever holds the items a return created why the file came back (not the actor); and those of the item's
    agency who carried the file on since (``_passed_on_since``: the head who signed a draft the appraiser returned),
    where it is now."""
    created = []
    for item in new_items:
        task = item.task
        lines = [f"Nhiệm vụ: {_task_label(task, full=True)}",
                 f"Bước “{from_step}” đã trả lại hồ sơ về bước “{item.step_name}”."]
        if actor is not None:
            lines.append(f"Người trả lại: {actor.full_name}" + (f" ({actor.agency.name})" if actor.agency else ""))
        lines.append(f"Lý do: {reason}")
        label = _task_label(task)
        stop = "" if label.endswith(("…", ".")) else "."  # a title cut short ends in "…": not "…."
        title = f"Hồ sơ bị trả lại: {item.step_name} — {label}{stop} Lý do: {delivery.one_line(reason, 200)}"
        told = delivery.notify_holders(item, "returned", title, "\n".join(lines), _task_link(task), task.id, but=actor)
        others = [u for u in _passed_on_since(item) if u.id not in {n.user_id for n in told}
                  and (actor is None or u.id != actor.id)]
        holder = item.claimed_by.full_name if delivery.holds(item) else (item.agency.name if item.agency else "")
        created += told + notify(others, "returned", title,
                                 "\n".join([*lines, f"Hồ sơ đang ở bước “{item.step_name}”: {holder}."]),
                                 _task_link(task), task.id)
    return created


def _passed_on_since(item: WorkItem) -> list[User]:
    """The active people of ``item``'s agency who did a step of its file after the last pass of ``item``'s step:
    those who sent on the file a return brings back to that step."""
    if item.agency_id is None:
        return []
    last_pass = (select(func.max(WorkItem.id)).where(WorkItem.instance_id == item.instance_id,
                                                      WorkItem.step_id == item.step_id, WorkItem.status == "done")
                 .scalar_subquery())
    return list(db.session.scalars(
        select(User).join(WorkItem, WorkItem.completed_by_id == User.id)
        .where(WorkItem.instance_id == item.instance_id, WorkItem.agency_id == item.agency_id,
               WorkItem.status == "done", WorkItem.id > last_pass, User.active.is_(True),
               User.agency_id == item.agency_id)
        .distinct().order_by(User.id)))


def reminder(task: Task, items: Iterable[WorkItem]) -> list[Notification]:
    """Remind the holders of a task's open items that the due date is near."""
    items = list(items)
    due = _due_of(task, items)
    title = (f"Đến hạn hôm nay ({_date(due)}): {_task_label(task)}" if due == clock.today()
             else f"Sắp đến hạn ({_date(due)}): {_task_label(task)}" if due else f"Nhắc việc: {_task_label(task)}")
    lines = [f"Nhiệm vụ: {_task_label(task, full=True)}"]
    if due:
        lines.append(f"Thời hạn: {_date(due)}")
    lines += _waiting_lines(items)
    return notify(delivery.recipients(items), "reminder", title, "\n".join(lines), _task_link(task), task.id)


def escalation(task: Task, items: Iterable[WorkItem], level: str) -> list[Notification]:
    """Tell the holders themselves ("holder"), them and the agency heads of the items' agencies ("agency_head": the
    officer holding a late file is the one who writes the explanation asked for), or every coordinator
    ("coordinator") that a task is overdue."""
    items = list(items)
    if level == "agency_head":
        users = [*delivery.recipients(items),
                 *_users_with_role("agency_head", agency_ids={i.agency_id for i in items if i.agency_id})]
    elif level == "coordinator":
        users = _users_with_role("coordinator")
    elif level == "holder":
        users = delivery.recipients(items)
    else:
        raise ValueError(f"unknown escalation level {level!r}")
    lines, link = _chase_lines(task, items, to_lead=level != "coordinator")
    return notify(users, "escalation", f"Quá hạn: {_task_label(task)}", "\n".join(lines), link, task.id)


def urged(task: Task, items: Iterable[WorkItem], actor: User, message: str) -> list[Notification]:
    """A coordinator urges a task on (đôn đốc): whoever holds its open items and the heads of their agencies are
    told, with what the coordinator wrote; never the coordinator."""
    items = list(items)
    heads = _users_with_role("agency_head", agency_ids={i.agency_id for i in items if i.agency_id})
    users = [u for u in [*delivery.recipients(items), *heads] if u.id != actor.id]
    lines, link = _chase_lines(task, items)
    who = actor.full_name + (f" ({actor.agency.name})" if actor.agency else "")
    lines[1:1] = [f"Người đôn đốc: {who}", *([f"Nội dung: {message}"] if message else [])]
    late = _days_late(task, items)
    title = f"Đôn đốc{f' (quá hạn {late} ngày)' if late > 0 else ''}: {_task_label(task)}"
    return notify(users, "urged", title, "\n".join(lines), link, task.id)


def task_changed(task: Task, items: Iterable[WorkItem], actor: User | None, title: str,
                 lines: list[str]) -> list[Notification]:
    """A coordinator or a later document changed what a task asks (its deadline moved, the task taken off the list):
    whoever holds its open ``items`` and the heads of their agencies and of the lead agency are told; not the
    actor."""
    items = list(items)
    heads = _users_with_role("agency_head", agency_ids={i.agency_id for i in items if i.agency_id}
                             | ({task.lead_agency_id} if task.lead_agency_id else set()))
    users = [u for u in [*delivery.recipients(items), *heads]
             if actor is None or u.id != actor.id]
    return notify(users, "changed", f"{title}: {_task_label(task)}",
                  "\n".join([f"Nhiệm vụ: {_task_label(task, full=True)}", *lines]), _task_link(task), task.id)


def _days_late(task: Task, items: list[WorkItem]) -> int:
    due = _due_of(task, items)
    return (clock.today() - due).days if due else 0


def _chase_lines(task: Task, items: list[WorkItem], to_lead: bool = True) -> tuple[list[str], str]:
    """What a notice that chases a task says — its deadline and lateness, where it waits, what is asked — and where
    it links: those holding a file elsewhere (appraisal, approval, a request's review) are asked to act on it, not
    the lead agency to explain a delay that is not its own; the lead agency holding a late file, for an explanation
    (the link opens its form). Not ``to_lead`` (the coordinators' copy): what the lead agency was asked."""
    due, late = _due_of(task, items), _days_late(task, items)
    lines = [f"Nhiệm vụ: {_task_label(task, full=True)}"]
    if due:
        lines.append(f"Thời hạn: {_date(due)}" + (f" (đã quá {late} ngày)" if late > 0 else ""))
    lines += _waiting_lines(items)
    holding = sorted({i.agency.name for i in items if i.agency is not None and i.agency_id != task.lead_agency_id})
    if holding and not any(i.agency_id == task.lead_agency_id for i in items):
        lines += ["", f"Hồ sơ đang chờ {', '.join(holding)} xử lý: đề nghị hoàn thành bước này sớm"
                  + (" để nhiệm vụ không tiếp tục chậm." if late > 0 else ".")]
    elif late > 0:
        lead = task.lead_agency.name
        lines += ["", f"Đề nghị {lead} ghi giải trình (lý do chậm, ngày dự kiến hoàn thành) tại mục “Giải trình tiến "
                  "độ” trên trang nhiệm vụ (đường dẫn của thông báo này mở thẳng mục đó); báo cáo gửi UBND tỉnh trích "
                  "giải trình mới nhất." if to_lead else
                  f"{lead} đã được đề nghị ghi giải trình (lý do chậm, ngày dự kiến hoàn thành); giải trình của đơn "
                  "vị, nếu đã có, ở mục “Giải trình tiến độ” trên trang nhiệm vụ (đường dẫn của thông báo này mở "
                  "thẳng mục đó)."]
        return lines, _task_link(task) + "#" + EXPLANATION_ANCHOR
    return lines, _task_link(task)


def extension_decided(task: Task, approved: bool, new_due: date | None, requester: User | None, *,
                      asked_why: str | None = None, decided_why: str | None = None, decider: User | None = None,
                      document: str | None = None, reviewers: Iterable[User] = ()) -> list[Notification]:
    """Tell the person who asked for more time, the heads of the lead agency and whoever carried the request on to
    the decision (``reviewers``: the coordinator who recommended it), what was decided: the new date or the date
    kept, the document that granted it, the words of whoever decided (``decider``) and, apart, the reason asked."""
    if approved:
        title = f"Gia hạn được chấp thuận: {_task_label(task)}"
        if new_due:
            title += f" — hạn mới {_date(new_due)}"
        lines = [f"Nhiệm vụ: {_task_label(task, full=True)}", "Đề nghị gia hạn đã được chấp thuận."]
        if new_due:
            lines.append(f"Thời hạn mới: {_date(new_due)}")
        if document and document.strip():
            lines.append(f"Văn bản đồng ý gia hạn: {document.strip()}")
    else:
        title = f"Đề nghị gia hạn không được chấp thuận: {_task_label(task)}"
        lines = [f"Nhiệm vụ: {_task_label(task, full=True)}", "Đề nghị gia hạn không được chấp thuận."]
        if task.due_date:
            lines.append(f"Thời hạn giữ nguyên: {_date(task.due_date)}")
    if decided_why and decided_why.strip():  # (the support team refusing at review, or the authority deciding)
        who = f"{decider.full_name} ({decider.agency.name})" if decider and decider.agency else "người quyết định"
        lines.append(f"Ý kiến của {who}: {decided_why.strip()}")
    if asked_why and asked_why.strip():
        lines.append(f"Lý do đã đề nghị: {asked_why.strip()}")
    heads = _users_with_role("agency_head", {task.lead_agency_id}) if task.lead_agency_id else []
    reviewers = [u for u in reviewers if decider is None or u.id != decider.id]
    return notify([requester, *heads, *reviewers], "extension", title, "\n".join(lines), _task_link(task), task.id)


def task_done(task: Task, confirmed_by: User | None) -> list[Notification]:
    """The task is done (its result confirmed, a periodic report accepted): the lead agency's people who worked on
    it (and are still there) and its heads hear the outcome — it ended nowhere before, the last they heard was their
    own step. Not whoever confirmed it."""
    workers = db.session.scalars(select(User).join(WorkItem, WorkItem.completed_by_id == User.id).where(
        WorkItem.task_id == task.id, WorkItem.status == "done", WorkItem.agency_id == task.lead_agency_id,
        User.agency_id == task.lead_agency_id).distinct()).all()  # (not one moved to another agency since)
    heads = _users_with_role("agency_head", {task.lead_agency_id})
    when = task.completed_on or clock.today()
    lines = [f"Nhiệm vụ: {_task_label(task, full=True)}", f"Hoàn thành ngày {_date(when)}"
             + (f" (thời hạn {_date(task.due_date)}: " + ("đúng hạn)" if when <= task.due_date
                                                          else f"trễ {(when - task.due_date).days} ngày)")
                if task.due_date else "")]
    if confirmed_by is not None:
        lines.append(f"Người xác nhận: {confirmed_by.full_name}"
                     + (f" ({confirmed_by.agency.name})" if confirmed_by.agency else ""))
    users = [u for u in [*workers, *heads] if confirmed_by is None or u.id != confirmed_by.id]
    return notify(users, "done", f"Đã hoàn thành: {_task_label(task)}", "\n".join(lines), _task_link(task), task.id)


# Who of a mentioned agency is told: the people who work on tasks (not administrators or viewers).
MENTION_ROLES = ("agency_head", "officer", "coordinator", "appraiser", "approver")


def comment_posted(task: Task, author: User, text: str, mentioned: Iterable[Agency], items: Iterable[WorkItem],
                   link: str | None = None, involved_agency_ids: set[int] | None = None,
                   followers: Iterable[User] = ()) -> list[Notification]:
    """Tell the people of each mentioned agency who work on tasks ("mention"), then whoever holds an
    open work item of the task and the conversation's ``followers`` ("comment"), what was written; never the
    author, once each.

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
    told = delivery.recipients(items) + list(followers)
    created += notify([u for u in told if u.id not in done], "comment",
                      f"Trao đổi mới của {author.full_name} về nhiệm vụ {_task_label(task)}", body, link, task.id)
    return created


def _users_with_role(role: str, agency_ids: set[int] | None = None) -> list[User]:
    query = select(User).where(User.active.is_(True), User.roles_text.contains(role)).order_by(User.id)
    if agency_ids is not None:
        if not agency_ids:
            return []
        query = query.where(User.agency_id.in_(agency_ids))
    # roles are stored as "a,b"; the LIKE above only narrows, has_role decides
    return [u for u in db.session.scalars(query) if u.has_role(role)]


def _task_label(task: Task, full: bool = False) -> str:
    title = task.title if full else delivery.one_line(task.title, 120)
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


def delegated(delegation: Delegation, away: User, delegate: User) -> list[Notification]:
    """Tell a colleague named to stand in that they are, for whom and when: their inbox will hold the absent
    person's work, and the notices of it reach them (a mail about someone else's file read as sent by mistake)."""
    return notify([delegate], "delegated",
                  f"{away.full_name} ủy quyền cho bạn xử lý công việc từ {delegation.starts_on:%d/%m/%Y} "
                  f"đến {delegation.ends_on:%d/%m/%Y}",
                  "Trong thời gian này, các việc của người ủy quyền hiện trong “Việc cần xử lý” của bạn và bạn nhận "
                  "thông báo về các việc đó; việc bạn xử lý được ghi là “thay mặt” người ủy quyền.", link="/inbox")
