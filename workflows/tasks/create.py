"""Registering a task and starting the process that ``routing.dmn`` chooses for its output type."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import OUTPUT_TYPES, Agency, AgencyGroup, Directive, ProcessInstance, Task, User, db
from workflows import audit, clock, holidays, settings
from workflows.accounts import groups
from workflows.errors import N_, Invalid, Message, NotAllowed
from workflows.process import catalog, runtime
from workflows.tasks import lifecycle, reads
from workflows.tasks.deadline_text import AMBIGUOUS, BAD_YEAR, MAX_YEAR, MIN_YEAR, Deadline, parse_deadline
from workflows.text import fold_words
from workflows.tx import serialize_on, transaction

GROUP_KIND = "group"  # a task owed by a group: its members' tasks (parent_id) do the work
UNNUMBERED = "Văn bản chưa ghi số"  # how an imported document without a number is recorded
DUE_REQUIRED = N_("Vui lòng nhập thời hạn hoàn thành, hoặc ghi thời hạn theo văn bản (ví dụ “Quý II năm 2026”).")
UNREAD_DEADLINE = N_("Chưa đọc được thời hạn “%(text)s”: nhập ngày ở ô Thời hạn hoàn thành, hoặc ghi như văn "
                     "bản thường ghi (“Quý II năm 2026”, “Tháng 6/2026”, “30/6/2026”, “Hằng tháng”, “Thường "
                     "xuyên”).")


# How to say "yes, another task of the same name": the form's checkbox, the API's flag
CONFIRM_IN_FORM = N_("đánh dấu ô xác nhận bên dưới rồi bấm “Giao nhiệm vụ”")
CONFIRM_IN_API = N_("gửi lại kèm \"duplicate_ok\": true")


def create_task(actor: User, *, submission: str | None = None, duplicate_ok: bool = False,
                confirm: str = CONFIRM_IN_FORM, **fields: Any) -> Task:
    """Register a task and start the process routing.dmn chooses for its output type. One transaction.

    Fields: title, lead_agency, output_type, collaborating_agencies, expected_output, due_date,
    deadline_text, source_document, section, recurrence (see ``add_task``).

    ``submission`` is the form's one-time key: a form sent twice (a double click, a repeated POST) gives the task
    the first sending created, not a second task. Unless ``duplicate_ok``, a task of the same title from the same
    document (``same_tasks``) refuses with an error on the title.
    """
    require_coordinator(actor)  # before anything is looked up or refused for what the form says
    if submission and (done := submitted(submission)) is not None:
        return done
    if too_long := {k: Message(TOO_LONG, max=n, count=len(fields[k])) for k, n in LIMITS.items()
                    if isinstance(fields.get(k), str) and len(fields[k]) > n}:
        raise Invalid("Thông tin nhiệm vụ chưa hợp lệ.", too_long)  # (the API's; the form says it at each field)
    due = fields.get("due_date")
    if due is not None and not MIN_YEAR <= due.year <= MAX_YEAR:  # a typo (9999, 0001): the form says it too
        raise Invalid("Thông tin nhiệm vụ chưa hợp lệ.", {"due_date": Message(
            BAD_YEAR, year=due.year, text=f"{due:%d/%m/%Y}")})
    text = (fields.get("deadline_text") or "").strip()
    if fields.get("due_date") is not None and "nominal_due" not in fields:
        # a date given as a date (the form's, the API's) that falls on a day off moves to the next working day, as
        # the same date written in words does; the task page says so
        fields.update(nominal_due=fields["due_date"], due_date=holidays.calendar().next_working_day(fields["due_date"]))
    elif text and fields.get("due_date") is None and fields.get("recurrence") is None:
        read = read_deadline(text, fields.get("source_document"))
        fields.update(due_date=read.effective_due, nominal_due=read.nominal_due, recurrence=read.recurrence,
                      recurrence_day=read.recurrence_day, recurrence_weekday=read.recurrence_weekday,
                      recurrence_starts=read.starts, milestones=read.to_json()["milestones"])
    try:
        with transaction():
            # one creation at a time by this account, so that the checks below see what the other one wrote: a
            # client retrying after a timeout, a form sent twice at once
            serialize_on(User, actor.id)
            if submission and (done := submitted(submission)) is not None:
                return done
            if not duplicate_ok and (same := same_tasks(fields.get("title") or "", fields.get("source_document"))):
                raise Invalid("Thông tin nhiệm vụ chưa hợp lệ.", {"title": Message(
                    "Văn bản này đã giao nhiệm vụ cùng tên (%(codes)s). Nếu đây là một nhiệm vụ khác, %(how)s.",
                    codes=", ".join(t.code for t in same), how=Message(confirm))})
            if fields.get("directive_id") is None:
                fields["directive_id"] = directive_for(fields.get("source_document"))
            return add_task(actor, submission=submission or None, **fields)
    except IntegrityError:
        done = submitted(submission) if submission else None
        if done is None:
            raise
        return done  # the same form, sent twice at once: the other sending created the task


FROM_THE_DOCUMENT = N_("Thời hạn “%(text)s” tính từ ngày ban hành văn bản: ghi ngày của văn bản ở ô Văn bản giao "
                       "(ví dụ “Kế hoạch số 12/KH-UBND ngày 01/11/2026”), hoặc nhập ngày ở ô Thời hạn hoàn thành.")
# The longest text each field takes (the form's Length validators say the same, views.forms.TaskForm)
LIMITS = {"title": 2000, "expected_output": 2000, "deadline_text": 500, "source_document": 500}
TOO_LONG = N_("Tối đa %(max)s ký tự (nội dung gửi có %(count)s ký tự).")


def read_deadline(text: str, source_document: str | None = None) -> Deadline:
    """The due date and recurrence a deadline written as the document writes it sets, read as an import reads it
    ("Quý II năm 2027": 30/06/2027, on the next working day when that is a day off), from the day of the document
    ``source_document`` names ("30 ngày kể từ ngày ký", "Hằng tháng" of a plan not yet in force), else today;
    Invalid on the field when it sets neither (a task without a deadline is never overdue and drops out of every
    report), or counts from a document's day that nothing gives."""
    issued = document_day(source_document)
    read = parse_deadline(text, issued=issued or clock.today(), calendar=holidays.calendar())
    if issued is None and read.recurrence is None and read.effective_due is not None \
            and parse_deadline(text, issued=None).effective_due is None:
        raise Invalid("Thông tin nhiệm vụ chưa hợp lệ.", {"deadline_text": Message(
            FROM_THE_DOCUMENT, text=" ".join(text.split())[:200])})
    if read.effective_due is None and read.recurrence is None:
        raise Invalid("Thông tin nhiệm vụ chưa hợp lệ.",
                      {"deadline_text": Message(UNREAD_DEADLINE, text=" ".join(text.split())[:200])})
    if read.ambiguity():
        raise Invalid("Thông tin nhiệm vụ chưa hợp lệ.", {"deadline_text": Message(AMBIGUOUS, **read.ambiguity())})
    return read


def directive_named(source_document: str | None, numbers: list[tuple[str, int]] | None = None) -> int | None:
    """The imported document whose number a task's "Văn bản giao" names ("Kế hoạch số 266-KH/TU ngày 26/4/2025"
    names "Kế hoạch số 266-KH/TU"), as whole words, the longest number that fits; a document recorded without a
    number never. So that a task added by hand from a plan counts with the plan's tasks in every filter and
    report. ``numbers``: ``directive_numbers()``, when the caller asks for many."""
    source = f" {fold_words(source_document or '')} "
    named = [(len(number), id_) for number, id_ in (numbers if numbers is not None else directive_numbers())
             if f" {number} " in source]
    return max(named)[1] if named else None


# "Kế hoạch số 04-KH/BCĐTW ngày 15/3/2025 của …": the document's kind and number (a code after it), and its day
_NAMED = re.compile(r"^(?:(?:theo|thực hiện|căn cứ|tại)\s+)?"  # (how a sentence leads to it: not its name)
                    r"(?P<name>[^\d;]{0,80}?\bsố\s*:?\s*\d+[\w&.]*(?:\s*[-/]\s*[\w&.]+)+)", re.IGNORECASE)
_ISSUED = re.compile(r"\bngày\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})", re.IGNORECASE)


def _document(text: str) -> tuple[re.Match | None, re.Match | None, date | None]:
    """A "Văn bản giao" read: the document's kind and number, the words giving its day, and the day."""
    named = _NAMED.match(text)
    day = _ISSUED.search(text, named.end()) if named else None
    try:
        issued = date(int(day[3]), int(day[2]), int(day[1])) if day else None
    except ValueError:  # not a day of the calendar: the number alone
        issued = None
    return named, day, issued


def named_document(source_document: str | None) -> Directive | None:
    """The document recorded before that a task's "Văn bản giao" names by number (``same_number``), if any."""
    named, _, issued = _document(" ".join((source_document or "").split()))
    return same_number(named["name"], issued) if named else None


def document_day(source_document: str | None) -> date | None:
    """The day of the document a task's "Văn bản giao" names: written after its number ("… ngày 01/11/2026"), or
    that of the document recorded before under that number."""
    named, _, issued = _document(" ".join((source_document or "").split()))
    if issued is not None or named is None:
        return issued
    # numbers start again every year: of two documents "12/KH-UBND" (2024's, 2026's), the day is not known
    days = {d.issued_on for d in _numbered(_code(named["name"]))}
    return days.pop() if len(days) == 1 else None


def directive_for(source_document: str | None) -> int | None:
    """The document a task's "Văn bản giao" names: one imported or recorded before under the same number (and day,
    when both are known: ``same_number``), or one recorded now ("Kế hoạch số 04-KH/BCĐTW", of 15/03/2025) — so that
    every document tasks come from is a choice of the filters and the reports, and importing it later finds it.
    Flushes."""
    text = " ".join((source_document or "").split())
    named, day, issued = _document(text)
    if named is None:  # no number where a document's name gives it: one named anywhere in the words, if any
        return directive_named(source_document)
    if (same := same_number(named["name"], issued)) is not None:  # "KH số 266-KH/TU" is "Kế hoạch số 266-KH/TU"
        return same.id
    issuer = re.search(r"\bcủa\s+(.+)$", text[(day or named).end():], re.IGNORECASE)
    directive = Directive(number=named["name"].strip()[:120], issued_on=issued,
                          issuer=issuer[1].strip(" .;")[:255] if issuer else None)
    db.session.add(directive)
    db.session.flush()
    return directive.id


def same_number(number: str | None, issued: date | None) -> Directive | None:
    """The document recorded under the same number — its code after "số", whatever words come before it ("266-KH/TU",
    "KH số 266-KH/TU" and "Kế hoạch số 266-KH/TU" are one) — and of the same day when both days are known, since
    numbers start again every year; a document recorded without a number never."""
    numbered = _numbered(_code(number))
    # the one of that very day first; one whose day is not known (or a number given without its day) else
    return next((d for d in numbered if issued is not None and d.issued_on == issued), None) or next(
        (d for d in numbered if issued is None or d.issued_on is None), None)


def _numbered(code: str | None) -> list[Directive]:
    """The documents recorded under the code ``code`` (``_code``), oldest first."""
    if code is None:
        return []
    return [d for d in db.session.scalars(select(Directive).where(~Directive.number.startswith(UNNUMBERED))
                                          .order_by(Directive.id)) if _code(d.number) == code]


def _code(number: str | None) -> str | None:
    """A document number's code, folded: what follows the last "số" ("266 kh tu"), if it has a digit and more."""
    code = " ".join(word.lstrip("0") or "0" for word in f" {fold_words(number or '')}".rpartition(" so ")[2].split())
    return code if re.search(r"\d", code) and len(code.split()) > 1 else None  # ("04-KH/BCĐ" is "4-KH/BCĐ")


def directive_numbers() -> list[tuple[str, int]]:
    """Each imported document's number as folded words, with its id; those recorded without a number left out."""
    numbers = ((fold_words(d.number), d.id) for d in db.session.scalars(select(Directive))
               if not d.number.startswith(UNNUMBERED))
    return [(number, id_) for number, id_ in numbers if any(c.isdigit() for c in number)]


def link_to_directive(directive: Directive) -> int:
    """Tasks added by hand before ``directive`` was imported, whose "Văn bản giao" names it: counted with it now.
    Returns how many."""
    numbers = directive_numbers()
    tasks = [t for t in db.session.scalars(select(Task).where(Task.directive_id.is_(None),
                                                              Task.source_document.is_not(None)))
             if directive_named(t.source_document, numbers) == directive.id]
    for task in tasks:
        task.directive_id = directive.id
    return len(tasks)


def require_coordinator(actor: User) -> None:
    if not actor.has_role("coordinator"):
        raise NotAllowed("Chỉ Tổ giúp việc được giao nhiệm vụ.")


def submitted(submission: str) -> Task | None:
    """The task a form with this one-time key created, if any."""
    return db.session.scalar(select(Task).where(Task.submission == submission[:64]))


def same_tasks(title: str, source_document: str | None) -> list[Task]:
    """The tasks that have this title (accents, case and spacing aside) and come from the same document: the
    same assigning text, or a directive whose number the text names; without a document, the tasks without
    one."""
    wanted = fold_words(title)
    if not wanted:
        return []
    source = fold_words(source_document or "")
    document = named_document(source_document)  # "KH số 779-KH/UBND" is "Kế hoạch số 779-KH/UBND"
    found = []
    longest = max(wanted.split(), key=len)  # search_text keeps punctuation: narrow by one word, compare in Python
    for task in db.session.scalars(select(Task).where(Task.search_text.contains(longest, autoescape=True))
                                   .order_by(Task.id).limit(500)):
        if fold_words(task.title) != wanted:
            continue
        theirs = fold_words(task.source_document or "")
        number = fold_words(task.directive.number) if task.directive is not None else ""
        if theirs == source or (number and number in source) or (source and theirs and source in theirs) \
                or (document is not None and task.directive_id == document.id):
            found.append(task)
    return found


def add_task(actor: User, *, title: str, lead_agency: str, output_type: str,
             collaborating_agencies: list[str] | tuple[str, ...] = (),
             expected_output: str | None = None, due_date: date | None = None,
             deadline_text: str | None = None, source_document: str | None = None,
             section: str | None = None, recurrence: str | None = None,
             done_on: date | None = None, **extra: Any) -> Task:
    """Validate, register and start one task; flushes only (the caller commits).

    ``done_on`` records a task already done when it was assigned (no process is started).
    ``extra`` sets further Task columns (directive, appendix, stt, import_key, nominal_due, …).
    A ``lead_agency`` that names a group (and no agency) makes a group's task: see ``assign_group``.
    """
    require_coordinator(actor)
    if reads.agency_by_name(lead_agency) is None and (group := groups.group_named(lead_agency)) is not None:
        return assign_group(actor, group, title=title, output_type=output_type,
                            collaborating_agencies=collaborating_agencies, expected_output=expected_output,
                            due_date=due_date, deadline_text=deadline_text, source_document=source_document,
                            section=section, recurrence=recurrence, done_on=done_on, **extra)
    title = (title or "").strip()
    lead, collaborators, route = _check(title, lead_agency, output_type, collaborating_agencies,
                                        _no_deadline(due_date, deadline_text, recurrence, done_on), done_on is None)
    now = clock.now()
    task = Task(title=title, lead_agency=lead, collaborating_agencies=collaborators,
                output_type=output_type, expected_output=(expected_output or "").strip() or None,
                due_date=due_date, nominal_due=extra.pop("nominal_due", due_date), deadline_text=deadline_text,
                recurrence=recurrence, source_document=source_document, section=section,
                created_at=now, created_by_id=actor.id, state="active", original_due=due_date, **extra)
    db.session.add(task)
    db.session.flush()
    task.code = code_for(task)
    if done_on is not None:
        task.state, task.completed_on, task.done_at_issue = "done", done_on, True
        task.completed_at = now
        audit.record("create", actor, task, to_step="Hoàn thành", comment="Đã hoàn thành khi ban hành văn bản.")
        return task
    start_process(actor, task, route["process"], {
        "collaborators": [{"agency": a.name} for a in collaborators],
        "needs_appraisal": bool(route.get("needs_appraisal")),
        "appraising_agency": route.get("appraising_agency"),
        "competent_authority": route.get("competent_authority"),
    })
    return task


def assign_group(actor: User, group: AgencyGroup, **fields: Any) -> Task:
    """A task owed by every member of ``group`` on the assignment day: the group's task (kind "group", no process
    and no work items of its own) and, under it, one ordinary task per member, each with its own process, work
    items, deadline, timers and reports. Flushes only."""
    members = group.members_on(clock.to_local(clock.now()).date())
    if not members:
        raise Invalid("Thông tin nhiệm vụ chưa hợp lệ.", {"lead_agency": Message(
            "Nhóm “%(group)s” chưa có đơn vị thành viên nào.", group=group.name)})
    shared = {k: v for k, v in fields.items() if k not in ("import_key", "submission")}
    # the form's problems said once, before any member's task (as the first member's would say them)
    _check((fields.get("title") or "").strip(), members[0].name, fields.get("output_type") or "",
           fields.get("collaborating_agencies") or (), _no_deadline(
               fields.get("due_date"), fields.get("deadline_text"), fields.get("recurrence"), fields.get("done_on")),
           fields.get("done_on") is None)
    due = fields.get("due_date")
    parent = Task(kind=GROUP_KIND, group=group, lead_agency=None, title=fields["title"].strip(),
                  output_type=fields["output_type"], expected_output=(fields.get("expected_output") or "").strip()
                  or None, due_date=due, nominal_due=fields.get("nominal_due", due), original_due=due,
                  deadline_text=fields.get("deadline_text"), recurrence=fields.get("recurrence"),
                  source_document=fields.get("source_document"), section=fields.get("section"),
                  directive_id=fields.get("directive_id"), appendix=fields.get("appendix"), stt=fields.get("stt"),
                  import_key=fields.get("import_key"), submission=fields.get("submission"),
                  created_at=clock.now(), created_by_id=actor.id, state="active")
    db.session.add(parent)
    db.session.flush()
    parent.code = code_for(parent)
    for agency in members:
        add_task(actor, **{**shared, "lead_agency": agency.name, "parent_id": parent.id})
    if fields.get("done_on") is not None:  # done when the document was issued, by every member
        parent.state, parent.completed_on, parent.completed_at = "done", fields["done_on"], parent.created_at
        parent.done_at_issue = True
    audit.record("create", actor, parent, to_step=f"Giao {len(members)} đơn vị",
                 data={"group": group.name, "members": len(members)})
    return parent


def _no_deadline(due_date: date | None, deadline_text: str | None, recurrence: str | None,
                 done_on: date | None) -> bool:
    """Whether a task would have no deadline at all: no date, no text of one, no rhythm, not done already."""
    return due_date is None and not (deadline_text or "").strip() and recurrence is None and done_on is None


def code_for(task: Task) -> str:
    """The task's code: "NV-00042" for an assigned task; a periodic report by its period, "BC-2026-11-00042"
    ("BC-2026-Q3-…", "BC-2026-H1-…", "BC-2026-…" for a year), so that the two never share a numbering."""
    return f"BC-{task.period}-{task.id:05d}" if task.period else f"NV-{task.id:05d}"


def _check(title: str, lead_agency: str, output_type: str, collaborating_agencies, no_deadline: bool,
           runs: bool):
    """The lead agency, the collaborators (without the lead) and the route of the output type (when the task
    ``runs`` a process), or Invalid with every problem found — among them an agency the route names that is not
    in the registry, which would otherwise stop the file at the step that needs it."""
    errors = {}
    route = None
    if not title:
        errors["title"] = N_("Vui lòng nhập tên nhiệm vụ.")
    if output_type not in OUTPUT_TYPES:
        errors["output_type"] = N_("Loại sản phẩm không hợp lệ.")
    elif runs:
        route = catalog.route(output_type)
        missing = [n for n in [*catalog.parties(route), settings.get("COORDINATING_AGENCY")]
                   if reads.agency_by_name(n) is None]
        if missing:
            errors["output_type"] = Message(runtime.UNKNOWN_AGENCY, agency=missing[0])
    lead = reads.agency_by_name(lead_agency)
    if lead is None:
        errors["lead_agency"] = N_("Không tìm thấy đơn vị chủ trì trong danh mục.")
    elif not lead.active:
        errors["lead_agency"] = _ended(lead)
    collaborators, unknown, ended = [], [], []
    for name in dict.fromkeys(collaborating_agencies):
        # (a group's name, which each of its 166 members' tasks checks again, is no agency's: no loose search)
        agency = reads.agency_by_name(name, loose=False)
        group = groups.group_named(name) if agency is None else None
        agency = reads.agency_by_name(name) if agency is None and group is None else agency
        if agency is None and group is None:
            unknown.append(name)
        elif agency is not None and not agency.active:
            ended.append(agency)
        # a group collaborates as its members today: the opinion step asks each of them
        for one in [agency] if agency is not None else group.members_on(clock.today()) if group else []:
            if (lead is None or one.id != lead.id) and one not in collaborators:
                collaborators.append(one)
    if unknown:  # every name not found, then an agency no longer working
        errors["collaborating_agencies"] = Message("Không tìm thấy đơn vị phối hợp “%(name)s”.",
                                                   name="”, “".join(unknown))
    elif ended:
        errors["collaborating_agencies"] = _ended(ended[0])
    if no_deadline:
        errors["due_date"] = DUE_REQUIRED
    if errors:
        raise Invalid("Thông tin nhiệm vụ chưa hợp lệ.", errors)
    return lead, collaborators, route


def _ended(agency: Agency) -> Message:
    """Why a task cannot be given to an agency no longer working, and whom to give it to instead."""
    if agency.successor is not None and agency.ended_on is not None:
        return Message("“%(name)s” đã sáp nhập vào “%(successor)s” từ %(date)s: chọn “%(successor)s”.",
                       name=agency.name, successor=agency.successor.name, date=f"{agency.ended_on:%d/%m/%Y}")
    return Message("“%(name)s” đã ngừng hoạt động: chọn đơn vị đang đảm nhận công việc của đơn vị này.",
                   name=agency.name)


def start_process(actor: User, task: Task, process_id: str, data: dict[str, Any] | None = None) -> ProcessInstance:
    """Start the latest version of ``process_id`` as the task's main process; flushes only.

    The process data gets the task's id, output type, lead agency, the coordinating agency and the
    due date (read by the steps' boundary timers), plus ``data``. Records who started it.
    """
    model = catalog.latest(process_id)
    instance = runtime.start(task, model, {
        "task_id": task.id,
        "output_type": task.output_type,
        "lead_agency": task.lead_agency.name,
        "coordinating_agency": settings.get("COORDINATING_AGENCY"),
        "due_date": task.due_date.isoformat() if task.due_date else None,
        **(data or {}),
    })
    saved = runtime.save(instance, task)
    lifecycle.after_save(instance, task, saved)
    audit.record("create", actor, task, to_step=lifecycle.step_names(saved.created),
                 data={"process": model.process_id, "version": model.version})
    return instance.row
