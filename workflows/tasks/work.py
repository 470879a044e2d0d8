"""Acting on a work item: complete it with a decision, claim it, hand it to a colleague, release it.

Data flow of one completion (DESIGN.md §2): lock the instance row, restore the engine, check the work item
is READY and the user may act on it, run the step with whitelisted deep-copied data, save (the state, the
work items, the timers), dispatch what follows, append the audit event, commit — or roll back all of it.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, bindparam, literal_column, or_, select
from sqlalchemy.orm import aliased, joinedload, undefer

from models import ProcessInstance, Task, User, WorkItem, db
from workflows import access, audit, clock, rows
from workflows.errors import N_, Conflict, Invalid, Message, NotAllowed, NotFound
from workflows.notify import events
from workflows.process import engine, runtime
from workflows.signatures import check, evidence
from workflows.tasks import files, indicators, lifecycle, reads, search
from workflows.tx import RACES, lost_race, transaction

MAX_TEXT = 5000
MAX_LINE = 255  # a one-line field (a figure, a document's number): what the register columns that keep it hold


# ---------------------------------------------------------------- completing

def complete(work_item_id: int, user: User, decision: str, comment: str | None = None,
             data: dict[str, Any] | None = None, uploads: dict[str, Any] | None = None) -> Task:
    """Complete a work item with a decision; returns the task. One transaction.

    Raises NotFound, NotAllowed (not this user's item), Conflict (already done or changed
    meanwhile, with who did it) or Invalid (bad decision, return without reason, bad data).

    A race lost to another action on the same file that left this item open and this user's (two collaborators'
    heads signing at once: SQLite lets both read, the second finds the file's version moved on when it writes) is
    tried again on the file as it now stands, with the same input: the user did nothing wrong.
    """
    def attempt() -> Task:
        with _acting_on(work_item_id, user):
            return _complete(work_item_id, user, decision, (comment or "").strip(), data or {}, uploads or {})

    for _ in range(RETRIES - 1):
        try:
            return attempt()
        except Raced:
            for upload in (uploads or {}).values():  # read once already: read them again from their start
                if hasattr(upload, "seek"):
                    upload.seek(0)
    return attempt()


RETRIES = 3


class Raced(Conflict):
    """Another action on the same file committed first; the item is still open and not a colleague's."""


@contextlib.contextmanager
def _acting_on(work_item_id: int, user: User) -> Iterator[None]:
    """One transaction for an action on a work item. A race lost to another action on the same file is answered as
    the item now stands: done (and by whom), held by someone else (who), or else changed meanwhile."""
    try:
        with transaction():
            yield
    except RACES as exc:
        if not lost_race(exc):
            raise
        item = db.session.get(WorkItem, work_item_id)
        if item is not None and item.status != "open":
            raise access.already_done(item, user) from exc
        if item is not None and item.claimed_by_id not in (None, user.id):
            raise access.held_by_colleague(item) from exc
        raise Raced("Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang và thử lại.") from exc


def _complete(work_item_id: int, user: User, decision: str, comment: str,
              data: dict[str, Any], uploads: dict[str, Any]) -> Task:
    row, task_items = _locked_item_and_open_items(work_item_id)
    item = next(i for i in task_items if i.id == work_item_id)
    if item.status != "open":
        raise access.already_done(item, user)
    access.check_can_act(user, item)
    instance = runtime.load(row)
    step = instance.step(item.engine_task_id)
    if step is None:
        raise Conflict("Bước này không còn chờ xử lý. Vui lòng tải lại trang.")
    if decision == "approve" and step.submitted_by == user.username:  # (acting for a colleague included)
        raise NotAllowed("Bạn đã gửi hồ sơ này ở bước trước nên không tự duyệt được: người khác có thẩm quyền "
                         "xử lý, hoặc bạn trả lại.")
    clean, checked_files, reports = _checked_input(step, item, decision, comment, data, uploads)

    task = item.task
    labels = {f.name: f.label for f in step.fields}
    for name, (filename, content) in checked_files.items():
        clean[name] = files.store(task, name, filename, content, user, item.id, item.step_name, labels[name],
                                  reports.get(name)).id
    try:
        instance.complete(item.engine_task_id, {**clean, "decision": decision, "comment": comment,
                                                "actor": user.username})
    except engine.EngineError as exc:
        current_app.logger.exception("engine refused work item %s", item.id)
        raise Invalid("Quy trình không chuyển được bước: %(reason)s", reason=exc) from exc

    principal = _close_item(item, user, decision, comment)
    worked_on = {}
    if instance.kind == "main":  # (an extension review is not work on the task)
        worked_on["started_at"] = task.started_at or item.completed_at
        worked_on.update(_recorded_refs(task, [clean[f.name] for f in step.fields
                                               if f.type == "text" and not f.multiline and clean.get(f.name)]))
    returned = decision == "return"
    saved = runtime.save(instance, task, back_to_holders=returned, open_items=task_items)
    lifecycle.after_save(instance, task, saved, lifecycle.Return(item.step_name, comment, user) if returned else None,
                         _handed(step, clean), f"{item.step_name} — {audit.DECISION_LABELS.get(decision, decision)} "
                         f"({user.full_name})", **worked_on)
    # (a request for more time decided is no task finished: "→ Hoàn thành" after it read so in the history)
    to_step = lifecycle.step_names(saved.created) if saved.created or not saved.completed else \
        "Kết thúc đề nghị gia hạn" if instance.kind == "extension" else "Hoàn thành"
    data = {k: v for k, v in clean.items() if v is not None}
    if returned:  # the items it sent back to: the inbox marks them, with the reason (``reads.returned_items``)
        data[reads.RETURN_MADE] = [i.id for i in saved.created]
    audit.record(decision, user, task, item, from_step=item.step_name, to_step=to_step, comment=comment or None,
                 data=data, on_behalf_of=principal if principal is not None and principal.id != user.id else None)
    return task


def _handed(step: engine.Step, clean: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """What a step wrote for the next ones, as its notice says it: its dates, numbers and texts (not its files, nor
    the officer it named, whom the item itself goes to)."""
    said = []
    for f in step.fields:
        value = clean.get(f.name)
        if f.type in ("text", "date", "number") and value not in (None, ""):
            said.append((f.label, f"{date.fromisoformat(value):%d/%m/%Y}" if f.type == "date" else str(value)))
    return tuple(said)


def _checked_input(step: engine.Step, item: WorkItem, decision: str, comment: str, data: dict[str, Any],
                   uploads: dict[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]], dict[str, Any]]:
    """The step's declared data and files, checked, and the signature reports of the files that must be signed;
    Invalid with every problem found."""
    errors: dict[str, str] = {}
    if decision not in step.decisions:
        errors["decision"] = N_("Quyết định không hợp lệ cho bước này.")
    elif decision == "return" and not comment:
        errors["comment"] = N_("Khi trả lại, vui lòng ghi rõ lý do.")
    if len(comment) > MAX_TEXT:
        errors["comment"] = Message("Ý kiến dài quá %(max)s ký tự.", max=MAX_TEXT)
    clean = _clean_data(step, data, item, errors)
    if item.task.kind == indicators.KIND and clean.get("value"):  # (the officer's figure, beside its target)
        if problem := indicators.value_problem(item.task, clean["value"]):
            errors["value"] = problem
    checked_files, reports = {}, {}
    for f in step.fields:
        if f.type == "file" and uploads.get(f.name) is not None:
            try:
                checked_files[f.name] = files.check(uploads[f.name], f.label)
            except Invalid as exc:
                errors[f.name] = exc.message
            else:
                if f.signed:
                    reports[f.name], problem = _signed(f, *checked_files[f.name])
                    if problem:
                        errors[f.name] = problem
    if set(uploads) - {f.name for f in step.fields if f.type == "file"}:
        errors["files"] = N_("Tệp đính kèm không thuộc bước này.")
    if errors:
        raise Invalid("Chưa thể hoàn thành bước: %(problems)s", errors, problems=list(errors.values()))
    return clean, checked_files, reports


def _signed(f: engine.Field, filename: str, content: bytes) -> tuple[Any, Message | None]:
    """A file the step wants signed: a PDF whose every signature is valid and trusted."""
    if not evidence.is_pdf(filename):
        return None, Message("%(label)s: cần tệp PDF có chữ ký số.", label=f.label)
    report = evidence.read(content)
    if report.status != "valid":
        return report, Message("%(label)s: %(reason)s.", label=f.label, reason=check.LABELS[report.status])
    return report, None


def _close_item(item: WorkItem, user: User, decision: str, comment: str) -> User | None:
    """Mark the item done by ``user``; returns whom they acted for (themselves or an absent colleague)."""
    principal = access.acting_for(user, item)
    rows.update_row(item, status="done", decision=decision, comment=comment or None, completed_at=clock.now(),
                    completed_by=user, claimed_by=item.claimed_by or principal or user)
    return principal


def _recorded_refs(task: Task, texts: list[str]) -> dict[str, str]:
    """The task's columns that keep the one-line texts a step recorded (decision and document numbers) for search:
    the texts, and the search text they change (written with the task's other columns, not by a flush)."""
    if not texts:
        return {}
    known = [t for t in (task.recorded_refs or "").split(" | ") if t]
    refs = " | ".join(dict.fromkeys(known + texts))[:MAX_TEXT]
    return {"recorded_refs": refs, "search_text": search.task_text(task, recorded_refs=refs)}


def _clean_data(step: engine.Step, data: dict[str, Any], item: WorkItem,
                errors: dict[str, str]) -> dict[str, Any]:
    """Keep only the step's declared fields, converted to JSON-safe values."""
    clean: dict[str, Any] = {}
    for f in step.fields:
        if f.type == "file":
            continue
        raw = data.get(f.name)
        value = raw.strip() if isinstance(raw, str) else raw
        if value in (None, ""):
            if f.required:
                errors[f.name] = Message("Vui lòng nhập %(what)s.", what=f.label.lower())
            continue
        converted, problem = _CONVERTERS[f.type](f, value, item)
        if problem is not None:
            errors[f.name] = problem
        else:
            clean[f.name] = converted
    return clean


def _text(f: engine.Field, value: Any, item: WorkItem) -> tuple[Any, Message | None]:
    if not isinstance(value, str):
        return None, Message("%(label)s: nội dung không hợp lệ.", label=f.label)
    limit = MAX_TEXT if f.multiline else MAX_LINE
    if len(value) > limit:  # (the API's; the form stops at the same limit)
        return None, Message("%(label)s: tối đa %(max)s ký tự (nội dung gửi có %(count)s ký tự).", label=f.label,
                             max=limit, count=len(value))
    return value, None


def _date(f: engine.Field, value: Any, item: WorkItem) -> tuple[Any, Message | None]:
    try:
        day = value if isinstance(value, date) else datetime.strptime(str(value), "%Y-%m-%d").date()
    except ValueError:
        return None, Message("%(label)s: ngày không hợp lệ (định dạng YYYY-MM-DD).", label=f.label)
    if f.past and day > clock.today():
        return None, Message("%(label)s không thể sau hôm nay (%(today)s).", label=f.label,
                             today=f"{clock.today():%d/%m/%Y}")
    issued = item.task.directive.issued_on if f.past and item.task.directive_id else None
    if issued is not None and day < issued:  # a decision made before the task was given
        return None, Message("%(label)s không thể trước ngày văn bản giao nhiệm vụ (%(date)s).", label=f.label,
                             date=f"{issued:%d/%m/%Y}")
    if f.future and day < clock.today():
        return None, Message("%(label)s không thể trước hôm nay (%(today)s).", label=f.label,
                             today=f"{clock.today():%d/%m/%Y}")
    due = item.task.due_date
    if f.future and due is not None and clock.today() <= due < day:  # (a task already overdue: any day to come)
        return None, Message("%(label)s không thể sau thời hạn của nhiệm vụ (%(due)s).", label=f.label,
                             due=f"{due:%d/%m/%Y}")
    return day.isoformat(), None


def _number(f: engine.Field, value: Any, item: WorkItem) -> tuple[Any, Message | None]:
    try:
        return float(value), None
    except (TypeError, ValueError):
        return None, Message("%(label)s: phải là một số.", label=f.label)


def _user(f: engine.Field, value: Any, item: WorkItem) -> tuple[Any, Message | None]:
    officer = db.session.scalar(select(User).where(User.username == str(value)))
    if officer is None or not officer.active or officer.agency_id != item.agency_id or not officer.has_role("officer"):
        return None, Message("%(label)s: phải là chuyên viên của đơn vị.", label=f.label)
    return officer.username, None


_CONVERTERS = {"text": _text, "date": _date, "number": _number, "user": _user}


# ---------------------------------------------------------------- claiming and handing over

def claim(work_item_id: int, user: User) -> WorkItem:
    """Take an item of the agency's queue (or one's own, again): the others no longer see it. A stand-in without
    the step's role takes it in the absent colleague's name (``access.acting_for``): it stays theirs when they are
    back, not held by someone nobody lets act on it; one with the role takes it as their own."""
    with _acting_on(work_item_id, user):
        row, item = _locked_item(work_item_id)
        if item.status != "open":
            raise access.already_done(item, user)
        access.check_can_act(user, item)
        holder = access.acting_for(user, item)
        if item.claimed_by_id == holder.id:
            return item
        runtime.changed_hands(row)
        item.claimed_by = holder
        audit.record("claim", user, item.task, item, from_step=item.step_name,
                     on_behalf_of=holder if holder.id != user.id else None)
        item.task.current_holder = lifecycle.holders(runtime.open_items_of_task(item.task_id))
    return item


def reassign(work_item_id: int, head: User, username: str) -> WorkItem:
    """An agency head hands an open item of the agency to another of its people (with the item's role)."""
    with _acting_on(work_item_id, head):
        row, item = _locked_item(work_item_id)
        if item.status != "open":
            raise access.already_done(item, head)
        if not (head.has_role("agency_head") and head.agency_id == item.agency_id):
            raise NotAllowed("Chỉ lãnh đạo đơn vị đang giữ việc được giao lại việc này.")
        target = db.session.scalar(select(User).where(User.username == username))
        if target is None or not target.active or target.agency_id != item.agency_id or item.role not in target.roles:
            raise Invalid("Người nhận phải là người của đơn vị có vai trò phù hợp với bước này.",
                          {"assignee": "Chọn một người trong đơn vị."})
        previous = item.claimed_by
        runtime.changed_hands(row)
        item.claimed_by = target
        audit.record("reassign", head, item.task, item, from_step=item.step_name,
                     comment=f"Giao lại cho {target.full_name}",
                     data={"from": previous.username if previous else None, "to": target.username})
        item.task.current_holder = lifecycle.holders(runtime.open_items_of_task(item.task_id))
        events.item_reassigned(item, head, previous)
    return item


def release(work_item_id: int, user: User) -> WorkItem:
    """Put one's own item back in the agency's queue."""
    with _acting_on(work_item_id, user):
        row, item = _locked_item(work_item_id)
        if item.status != "open":  # done: who did it stays on it, and the history gains nothing
            raise access.already_done(item, user)
        holder = access.acting_for(user, item)
        if item.claimed_by_id is None or holder is None or holder.id != item.claimed_by_id:
            raise NotAllowed("Chỉ người đang giữ việc (hoặc người được ủy quyền thay) mới trả việc về hàng chờ.")
        runtime.changed_hands(row)
        item.claimed_by = None
        audit.record("release", user, item.task, item, from_step=item.step_name)
        item.task.current_holder = lifecycle.holders(runtime.open_items_of_task(item.task_id))
    return item


# ---------------------------------------------------------------- locking

def _locked_item(work_item_id: int) -> tuple[ProcessInstance, WorkItem]:
    """Lock the item's process instance, then read the item as it is now."""
    row, items = _locked_item_and_open_items(work_item_id)
    return row, next(i for i in items if i.id == work_item_id)


def _locked_item_and_open_items(work_item_id: int) -> tuple[ProcessInstance, list[WorkItem]]:
    """Lock the item's process instance and read, as they are now, the item and the open items of its task (the
    ones a completion may cancel or keep), in one statement.

    On PostgreSQL a statement that waited on the row lock sees the locked row as it is now but the other rows as
    they were when it began: the statement also reads the row as its snapshot has it, and where the two differ
    (``xmin``: another transaction wrote the row meanwhile — every writer of a task's items writes its instance)
    the items are read again. SQLite takes no row locks: the version column of the instance catches the race when
    the action is written.
    """
    read, read_again = _lock_queries(db.session.get_bind().dialect.name)
    params = {"item_id": work_item_id}
    found = db.session.execute(read, params).unique().all()
    if not found:
        raise NotFound("Không tìm thấy việc cần xử lý.")
    items, row = [i for i, *_ in found], found[0][1]
    if read_again is not None and found[0][2]:
        items = list(db.session.scalars(read_again, params).unique())
    return row, items


@functools.cache
def _lock_queries(dialect: str) -> tuple[Select, Select | None]:
    """The locking read of the instance and the items, for any ``item_id``, and (PostgreSQL) the items' read after
    a wait; built once. The state is read with the row (a workflow this process keeps does not need it, but one
    the next action restores reads it at the same version without another statement); the items' agencies and the
    task's lead come with them, so that a next step in one of those agencies reads none (``runtime._agencies``)."""
    item_id = bindparam("item_id")
    instance_id = select(WorkItem.instance_id).where(WorkItem.id == item_id).scalar_subquery()
    task_id = select(WorkItem.task_id).where(WorkItem.id == item_id).scalar_subquery()
    items = (select(WorkItem).where(or_(WorkItem.id == item_id, and_(WorkItem.task_id == task_id,
                                                                      WorkItem.status == "open")))
             .options(joinedload(WorkItem.task)).order_by(WorkItem.id)
             .execution_options(populate_existing=True))
    read = (items.add_columns(ProcessInstance).join(ProcessInstance, ProcessInstance.id == instance_id)
            .options(undefer(ProcessInstance.state)))
    if dialect != "postgresql":
        return read, None
    seen = aliased(ProcessInstance, name="seen")  # (not locked: the row as the statement's snapshot has it)
    written_meanwhile = literal_column("process_instance.xmin").op("<>")(literal_column("seen.xmin"))
    return (read.add_columns(written_meanwhile).join(seen, seen.id == ProcessInstance.id)
            .with_for_update(of=ProcessInstance)), items
