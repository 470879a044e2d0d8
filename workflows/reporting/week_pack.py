"""The Friday review pack (“Tài liệu giao ban tuần”): what changed in one week — tasks completed, files returned,
deadlines moved, extensions asked for, new tasks, tasks that became overdue, the longest waits, the periodic reports
due, the tasks urged on — as a page
and as a .docx for the support team's meeting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from models import AuditEvent, DeadlineAdjustment, ProcessInstance, Task, User, WorkItem, db
from workflows import clock, settings, text
from workflows.reporting import nd30, progress
from workflows.reporting.exporting import DOCX_MIME, ExportFile, deadline_text, dmy, ensure_reader, local_date
from workflows.tasks import scope, status
from workflows.tasks.periods import REPORT_KINDS

STUCK_LIMIT = 10
OWED_LIMIT = 30  # the reports of earlier periods still owed, listed (the longest owed first; the rest counted)


@dataclass
class WeekEvent:
    task: Task
    at: datetime | None
    who: str | None
    text: str | None
    extra: str | None = None  # the step returned from, the old and new dates, …
    internal: bool = False  # a return inside the lead agency (its head to its officer): never in a .docx


@dataclass
class WeekPack:
    start: date  # Monday
    end: date  # Sunday
    as_of: datetime  # naive UTC: the end of the week, or now for the current week
    completed_on_time: list[Task]
    completed_late: list[Task]
    returned: list[WeekEvent]
    adjustments: list[WeekEvent]
    extension_requests: list[WeekEvent]
    new_tasks: list[Task]
    became_overdue: list[Task]
    stuck: list  # the longest waits, at most STUCK_LIMIT
    stuck_days: int
    stuck_total: int  # every wait longer than stuck_days: the figure the summary gives
    today: date
    reports_due: list[Task] = field(default_factory=list)  # the periodic reports due in the week, done or not
    urged: list[WeekEvent] = field(default_factory=list)  # the urges (đôn đốc) made in the week
    # the periodic reports due before the week and still not sent at its end (or today): the debt the meeting chases
    reports_owed: list[Task] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"từ ngày {dmy(self.start)} đến ngày {dmy(self.end)}"

    @property
    def previous(self) -> date:
        return self.start - timedelta(days=7)

    @property
    def following(self) -> date:
        return self.start + timedelta(days=7)

    @property
    def current_week(self) -> date:
        """Monday of this week, where the page's "this week" link leads."""
        return week_of(self.today)[0]

    @property
    def filename(self) -> str:
        return f"Giao ban tuần {self.start:%d-%m} đến {self.end:%d-%m-%Y}.docx"

    @property
    def document_filename(self) -> str:
        """The name of the pack as a document to issue (a report of the week)."""
        return f"Báo cáo tuần {self.start:%d-%m} đến {self.end:%d-%m-%Y}.docx"

    @property
    def counts(self) -> dict[str, int]:
        return {"completed_on_time": len(self.completed_on_time), "completed_late": len(self.completed_late),
                "returned": len(self.returned), "adjustments": len(self.adjustments),
                "extension_requests": len(self.extension_requests), "new_tasks": len(self.new_tasks),
                "became_overdue": len(self.became_overdue), "stuck": self.stuck_total,
                "reports_due": len(self.reports_due), "reports_missing": len(self.reports_missing),
                "reports_owed": len(self.reports_owed), "urged": len(self.urged)}

    @property
    def by(self) -> date:
        """The day the pack counts to: the week's end, or today in the current week."""
        return min(self.end, self.today)

    @property
    def reports_missing(self) -> list[Task]:
        """The periodic reports due in the week, by today, that were not sent by then (a pack printed on
        Wednesday does not count Friday's reports as missing)."""
        by = self.by
        return [t for t in self.reports_due if t.due_date <= by and (t.completed_on is None or t.completed_on > by)]

    def report_state(self, task: Task) -> str:
        """What section 9 says of a report: "sent" (by the week's end, or today), "missing" or "not_due" yet."""
        if task.completed_on is not None and task.completed_on <= self.by:
            return "sent"
        return "missing" if task in self.reports_missing else "not_due"


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _iso(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _who(user: User | None) -> str | None:
    return user.full_name if user else None


# ---------------------------------------------------------------- the reads

def week_pack(user: User, day: date | None = None) -> WeekPack:
    """What changed in the week (Monday–Sunday, Asia/Ho_Chi_Minh) containing ``day`` (default: this week)."""
    ensure_reader(user)
    today = clock.today()
    start, end = week_of(day or today)
    since, until = clock.day_start(start), clock.day_start(end + timedelta(days=1))
    as_of = min(until, clock.now())
    everything = scope.Filters()
    tasks = scope.tasks_clause(everything)
    on_time, late = _completed(tasks, start, end, today)
    stuck_days = settings.stuck_days()
    stuck = sorted(progress.stuck(everything, stuck_days, now=as_of, past=as_of < clock.now()),
                   key=lambda r: -r.days)
    return WeekPack(start, end, as_of, on_time, late, _returned(tasks, since, until), _adjustments(tasks, since, until),
                    _extension_requests(tasks, since, until), _new_tasks(tasks, since, until),
                    _became_overdue(tasks, start, end, today), stuck[:STUCK_LIMIT], stuck_days, len(stuck), today,
                    _reports_due(start, end), _urged(since, until), _reports_owed(start, min(end, today)))


def _reports_owed(start: date, by: date) -> list[Task]:
    """The periodic reports due before ``start`` and not sent by ``by``: longest owed first, then by agency."""
    owed = db.session.scalars(select(Task).where(
        Task.kind.in_(REPORT_KINDS), Task.due_date < start, or_(Task.completed_on.is_(None), Task.completed_on > by))
        .options(selectinload(Task.lead_agency)))
    return sorted(owed, key=lambda t: (t.due_date, text.sort_key(t.lead_agency.name if t.lead_agency else ""), t.id))


def _reports_due(start: date, end: date) -> list[Task]:
    """The periodic reports (an agency's, a task's) due in the week: the Friday meeting asks who has not sent his
    (the week of the 20th holds every monthly report). Not sent first, then by agency."""
    due = list(db.session.scalars(select(Task).where(
        Task.kind.in_(REPORT_KINDS), Task.due_date >= start, Task.due_date <= end)
        .options(selectinload(Task.lead_agency))))
    return sorted(due, key=lambda t: (t.completed_on is not None and t.completed_on <= min(end, clock.today()),
                                      text.sort_key(t.lead_agency.name if t.lead_agency else ""), t.id))


def _completed(tasks, start: date, end: date, today: date) -> tuple[list[Task], list[Task]]:
    """The tasks completed in the week (not those done when their directive was issued): on time, late."""
    completed = list(db.session.scalars(select(Task).where(
        tasks, Task.state == "done", Task.done_at_issue.is_(False),
        Task.completed_on >= start, Task.completed_on <= end).order_by(Task.completed_on, Task.id)))
    soon = settings.due_soon_days()
    on_time = [t for t in completed if status.compute(t, today, soon) == "done_on_time"]
    late = [t for t in completed if status.compute(t, today, soon) == "done_late"]
    return on_time, late


def _returned(tasks, since: datetime, until: datetime) -> list[WeekEvent]:
    """Returns for revision in the main process (a returned extension request is not a returned file)."""
    returns = db.session.execute(
        select(AuditEvent, Task, WorkItem.agency_id).join(Task, Task.id == AuditEvent.task_id)
        .outerjoin(WorkItem, WorkItem.id == AuditEvent.work_item_id)
        .outerjoin(ProcessInstance, ProcessInstance.id == WorkItem.instance_id)
        .where(tasks, AuditEvent.action == "return", AuditEvent.at >= since, AuditEvent.at < until,
               (ProcessInstance.kind == "main") | ProcessInstance.id.is_(None))
        .order_by(AuditEvent.at, AuditEvent.id)).all()
    return [WeekEvent(task, e.at, _who(e.actor), e.comment,
                      f"{e.from_step} → {e.to_step}" if e.from_step and e.to_step else e.from_step,
                      internal=agency_id == task.lead_agency_id)
            for e, task, agency_id in returns]


def _adjustments(tasks, since: datetime, until: datetime) -> list[WeekEvent]:
    changes = db.session.execute(
        select(DeadlineAdjustment, Task).join(Task, Task.id == DeadlineAdjustment.task_id)
        .where(tasks, DeadlineAdjustment.at >= since, DeadlineAdjustment.at < until)
        .order_by(DeadlineAdjustment.at, DeadlineAdjustment.id)).all()
    return [WeekEvent(task, a.at, _who(a.decided_by), a.reason,
                      f"{dmy(a.old_due) or '—'} → {dmy(a.new_due) or '—'}"
                      + (f" ({a.source_document})" if a.source_document else ""))
            for a, task in changes]


def _extension_requests(tasks, since: datetime, until: datetime) -> list[WeekEvent]:
    requests = db.session.execute(
        select(AuditEvent, Task).join(Task, Task.id == AuditEvent.task_id)
        .where(tasks, AuditEvent.action == "extension_request", AuditEvent.at >= since, AuditEvent.at < until)
        .order_by(AuditEvent.at, AuditEvent.id)).all()
    return [WeekEvent(task, e.at, _who(e.actor), e.comment,
                      f"{dmy(_iso(e.data.get('old_due'))) or '—'} → {dmy(_iso(e.data.get('requested_due')))}")
            for e, task in requests]


def _urged(since: datetime, until: datetime) -> list[WeekEvent]:
    """The urges of the week, whatever was urged (a task, a periodic or an indicator report): one line per task
    urged, and one per group's task for the late members urged with it (naming them) rather than a line per member."""
    urges = db.session.execute(
        select(AuditEvent, Task).join(Task, Task.id == AuditEvent.task_id)
        .where(AuditEvent.action == "urged", AuditEvent.at >= since, AuditEvent.at < until)
        .order_by(AuditEvent.at, AuditEvent.id)).all()
    return [WeekEvent(task, e.at, _who(e.actor), e.comment,
                      f"{len(e.data['agencies'])} đơn vị quá hạn: {', '.join(e.data['agencies'])}"
                      if "agencies" in e.data else e.data.get("waiting"))
            for e, task in urges if "group" not in e.data]


def _new_tasks(tasks, since: datetime, until: datetime) -> list[Task]:
    return list(db.session.scalars(select(Task).where(
        tasks, Task.created_at >= since, Task.created_at < until).order_by(Task.id)))


def _became_overdue(tasks, start: date, end: date, today: date) -> list[Task]:
    """The tasks whose first overdue day (the day after the due date) fell in the week, by today, and whose
    status today is overdue or done late (an ongoing task's first milestone too)."""
    last_due = min(end - timedelta(days=1), today - timedelta(days=1))
    soon = settings.due_soon_days()
    return list(db.session.scalars(select(Task).where(
        tasks, Task.due_date >= start - timedelta(days=1),
        Task.due_date <= last_due, status.clause("overdue", today, soon) | status.clause("done_late", today, soon))
        .order_by(Task.due_date, Task.id)))


# ---------------------------------------------------------------- the .docx

def week_file(user: User, day: date | None = None, form: str = "note", signer: nd30.Signer | None = None,
              number: str = "") -> ExportFile:
    """The review pack of the week containing ``day`` as a file to download: an internal note for the meeting
    (``form`` "note") or a numbered document with "Nơi nhận" and ``signer`` (``form`` "document")."""
    pack = week_pack(user, day)
    if form == "document":
        return ExportFile(week_docx(pack, form, signer, number), pack.document_filename, DOCX_MIME)
    return ExportFile(week_docx(pack), pack.filename, DOCX_MIME)


def week_docx(pack: WeekPack, form: str = "note", signer: nd30.Signer | None = None, number: str = "") -> bytes:
    """The Friday review pack: what changed in the week. As a "note", for the support team's meeting: no number,
    motto or signature. As a "document", the NĐ 30/2020 report of the week: number, "Nơi nhận" and signature."""
    document = nd30.new_document()
    as_of = _as_of_text(pack)
    if form == "document":
        nd30.heading_block(document, "BÁO CÁO", f"Tình hình thực hiện nhiệm vụ trong tuần {pack.label}", pack.today,
                           number=number)
        nd30.para(document, f"{settings.get('COORDINATING_AGENCY')} báo cáo tình hình thực hiện nhiệm vụ trong tuần "
                            f"{pack.label}, số liệu tính đến {as_of}, như sau:")
    else:
        nd30.note_heading(document, "TÀI LIỆU GIAO BAN TUẦN", f"Tình hình thực hiện nhiệm vụ {pack.label}",
                          f"Tài liệu nội bộ phục vụ họp giao ban, số liệu tính đến {as_of}")
    _week_body(document, pack)
    if form == "document":
        nd30.signature(document, signer or nd30.configured_signer())
    return nd30.save(document)


def _as_of_text(pack: WeekPack) -> str:
    """"10:00 ngày 20/03/2026" during the week; "hết ngày 22/03/2026" once it is over."""
    moment = clock.to_local(pack.as_of)
    if moment.hour == moment.minute == 0:
        return f"hết ngày {dmy(moment.date() - timedelta(days=1))}"
    return f"{moment:%H:%M} ngày {dmy(moment.date())}"


def _week_body(document, pack: WeekPack) -> None:
    """The summary line and the ten sections. Neither form carries the returns made inside the lead agency: a
    head's note to their own officer stays in the agency (the page of the week shows them to the coordinators)."""
    c = pack.counts
    returned = [e for e in pack.returned if not e.internal]
    c["returned"] = len(returned)
    nd30.para(document, f"Trong tuần: {c['completed_on_time'] + c['completed_late']} nhiệm vụ hoàn thành "
                        f"({c['completed_on_time']} đúng hạn, {c['completed_late']} quá hạn); "
                        f"{c['returned']} lượt trả lại; "
                        f"{c['adjustments']} lượt điều chỉnh thời hạn; {c['extension_requests']} đề nghị gia hạn mới; "
                        f"{c['new_tasks']} nhiệm vụ mới; {c['became_overdue']} nhiệm vụ chuyển sang quá hạn; "
                        f"{c['reports_due']} báo cáo định kỳ đến hạn ({c['reports_missing']} chưa gửi); "
                        f"{c['reports_owed']} báo cáo định kỳ các kỳ trước vẫn chưa gửi; "
                        f"{c['urged']} lượt đôn đốc.")
    due_and_done = ("Thời hạn / ngày hoàn thành", lambda t: f"{dmy(t.due_date) or '—'}\n{dmy(t.completed_on)}")
    _tasks_table(document, "1. Nhiệm vụ hoàn thành đúng hạn", pack.completed_on_time, due_and_done)
    _tasks_table(document, "2. Nhiệm vụ hoàn thành quá hạn", pack.completed_late, due_and_done)
    _events_table(document, "3. Hồ sơ bị trả lại (giữa các cơ quan)", returned,
                  ("Từ bước → về bước", "Ngày, người trả lại", "Lý do trả lại"))
    _events_table(document, "4. Điều chỉnh thời hạn", pack.adjustments,
                  ("Thời hạn cũ → mới (văn bản)", "Ngày, người quyết định", "Lý do"))
    _events_table(document, "5. Đề nghị gia hạn mới", pack.extension_requests,
                  ("Thời hạn hiện tại → đề nghị", "Ngày, người đề nghị", "Lý do"))
    _tasks_table(document, "6. Nhiệm vụ mới được giao", pack.new_tasks,
                 ("Thời hạn", lambda t: deadline_text(t) or "—"))
    _tasks_table(document, "7. Nhiệm vụ chuyển sang quá hạn trong tuần", pack.became_overdue,
                 ("Thời hạn", lambda t: dmy(t.due_date)))
    _stuck_section(document, pack)
    _tasks_table(document, "9. Báo cáo định kỳ đến hạn trong tuần", pack.reports_due,
                 ("Hạn / ngày gửi", lambda t: f"{dmy(t.due_date)}\n" + {
                     "sent": f"Gửi {dmy(t.completed_on)}", "missing": "Chưa gửi", "not_due": "Chưa đến hạn"}[
                     pack.report_state(t)]))
    _tasks_table(document, "Báo cáo định kỳ các kỳ trước vẫn chưa gửi", pack.reports_owed[:OWED_LIMIT],
                 ("Hạn", lambda t: f"{dmy(t.due_date)}\nquá {(pack.by - t.due_date).days} ngày"))
    if len(pack.reports_owed) > OWED_LIMIT:
        nd30.para(document, f"Và {len(pack.reports_owed) - OWED_LIMIT} báo cáo khác (trang “Báo cáo định kỳ”).")
    _events_table(document, "10. Đôn đốc thực hiện", pack.urged,
                  ("Hồ sơ đang ở (khi đôn đốc)", "Ngày, người đôn đốc", "Nội dung đôn đốc"))


def _task_cell(task: Task) -> str:
    return f"{' '.join(task.title.split())} ({task.code})"


def _tasks_table(document, title: str, tasks: list[Task], last: tuple[str, Callable[[Task], str]]) -> None:
    """One row per task: its title, its lead agency and ``last`` (a header and what to write under it)."""
    nd30.section_title(document, title)
    if not tasks:
        nd30.para(document, "Không có.")
        return
    widths = [11, 74, 40, 40]
    table = nd30.table(document, widths)
    nd30.row(table, ["STT", "Nhiệm vụ", "Đơn vị chủ trì", last[0]], widths, header=True, size=11)
    for number, task in enumerate(tasks, start=1):
        nd30.row(table, [number, _task_cell(task), task.lead_agency.name, last[1](task)], widths,
                 align=[nd30.CENTER, nd30.LEFT, nd30.LEFT, nd30.CENTER], size=11)


def _events_table(document, title: str, events: list[WeekEvent], headers: tuple[str, str, str]) -> None:
    """One row per event: the task, what changed, when and by whom, and why."""
    nd30.section_title(document, title)
    if not events:
        nd30.para(document, "Không có.")
        return
    widths = [11, 48, 37, 28, 41]
    table = nd30.table(document, widths)
    nd30.row(table, ["STT", "Nhiệm vụ", *headers[:2], headers[2]], widths, header=True, size=11)
    for number, e in enumerate(events, start=1):
        nd30.row(table, [number, _task_cell(e.task), e.extra or "",
                         "\n".join(x for x in (dmy(local_date(e.at)), e.who) if x), e.text or ""],
                 widths, align=[nd30.CENTER] + [nd30.LEFT] * 4, size=11)


def _stuck_section(document, pack: WeekPack) -> None:
    nd30.section_title(document, f"8. Việc tồn đọng lâu nhất (chờ quá {pack.stuck_days} ngày ở một bước)")
    if not pack.stuck:
        nd30.para(document, "Không có.")
        return
    if pack.stuck_total > len(pack.stuck):
        nd30.para(document, f"{len(pack.stuck)} việc chờ lâu nhất trong tổng số {pack.stuck_total} việc tồn đọng:")
    widths = [11, 64, 45, 25, 20]
    table = nd30.table(document, widths)
    nd30.row(table, ["STT", "Nhiệm vụ", "Bước, nơi đang xử lý", "Từ ngày", "Số ngày"], widths, header=True, size=11)
    for number, s in enumerate(pack.stuck, start=1):
        nd30.row(table, [number, f"{' '.join(s.title.split())} ({s.code})", f"{s.step_name}\n({s.holder or s.agency})",
                         dmy(local_date(s.since)), s.day_count],
                 widths, align=[nd30.CENTER, nd30.LEFT, nd30.LEFT, nd30.CENTER, nd30.CENTER], size=11)
