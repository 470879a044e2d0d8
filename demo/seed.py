"""The demo province: real agencies and tasks from the fixtures, driven through the real use cases."""

from __future__ import annotations

import itertools
import random
import re
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from demo.data import (
    AGENCIES,
    COMMUNE_GROUP,
    DEMO_TASKS,
    DEPARTMENT_GROUP,
    GROUP_TASK,
    MERGED_2025,
    MERGED_BY,
    MERGED_ON,
    WARDS,
)
from models import ROLE_LABELS, Agency, Indicator, Notification, ProcessInstance, Task, User, WorkItem, db
from workflows import clock, holidays
from workflows.accounts import groups, people
from workflows.importing import pipeline
from workflows.tasks import (
    agency_changes,
    create,
    explanations,
    extensions,
    indicator_reports,
    period_reports,
    periods,
    reminders,
    work,
)
from workflows.tx import transaction

DEMO_PASSWORD = "demo1234"
SKHCN = "Sở Khoa học và Công nghệ"

DEMO_ACCOUNTS = [
    {"username": "dieuphoi", "full_name": "Nguyễn Thị Hà", "agency": SKHCN, "roles": ["coordinator"]},
    {"username": "chuyenvien", "full_name": "Trần Văn Bình", "agency": SKHCN, "roles": ["officer"]},
    {"username": "lanhdao", "full_name": "Lê Minh Cường", "agency": SKHCN, "roles": ["agency_head"]},
    {"username": "thamdinh", "full_name": "Phạm Thu Dung", "agency": "Sở Tư pháp", "roles": ["appraiser"]},
    {"username": "pheduyet", "full_name": "Đỗ Văn Đức", "agency": "UBND tỉnh", "roles": ["approver"]},
    {"username": "theodoi", "full_name": "Vũ Thị Giang", "agency": "Văn phòng UBND tỉnh", "roles": ["viewer"]},
    {"username": "quantri", "full_name": "Quản trị hệ thống", "agency": "Văn phòng UBND tỉnh", "roles": ["admin"]},
    {"username": "phuong", "full_name": "Lê Thị Mai", "agency": WARDS[0], "roles": ["officer"]},
]
for _account in DEMO_ACCOUNTS:
    _account["password"] = DEMO_PASSWORD
    _account["role_label"] = ", ".join(ROLE_LABELS[r] for r in _account["roles"])

# What happens to each demo task (index into DEMO_TASKS): the step it waits at ("done": finished), the steps that
# return it first, and how it stands today — done "on_time" or "late"; open and "overdue", "soon" (due within
# days, after an approved extension) or "within" (due weeks ahead, extended when the document's date has passed);
# "ongoing" tasks have no deadline (13, "- Tháng 8/2025 - Thường xuyên", has a first milestone: overdue today).
# ``waits`` is how many days the open step has been waiting.
SCENARIOS = {
    0: ("appraise", ["signoff"], "within", 6), 1: ("done", [], "on_time", 0),
    2: ("approve", ["appraise"], "overdue", 9), 3: ("done", [], "late", 0),
    4: ("draft", ["confirm"], "overdue", 4), 5: ("done", [], "on_time", 0),
    6: ("give_opinion", [], "within", 3), 7: ("appraise", ["appraise", "appraise"], "overdue", 2),
    8: ("done", [], "late", 0), 9: ("done", ["approve"], "on_time", 0),
    10: ("sign_opinion", [], "within", 8), 11: ("draft", [], "ongoing", 12),
    12: ("signoff", [], "overdue", 5), 13: ("finalise", [], "ongoing", 7), 14: ("approve", [], "overdue", 21),
    15: ("report", [], "overdue", 3), 16: ("confirm", [], "overdue", 1), 17: ("draft", [], "ongoing", 10),
    18: ("draft", [], "overdue", 40), 19: ("signoff", ["signoff"], "overdue", 2), 20: ("appraise", [], "soon", 5),
    21: ("assign", [], "ongoing", 30),
}
# The order of the approval cycle's steps, to spread a task's actions over its time (an estimate: give_opinion
# runs beside the draft, the routing skips some steps for some outputs).
STEP_ORDER = ["assign", "draft", "give_opinion", "sign_opinion", "signoff", "appraise", "approve", "finalise", "report",
              "confirm", "done"]
REPORT_STEPS = ["draft", "signoff", "confirm", "done"]
RETURN_REASONS = {
    "signoff": "Dự thảo chưa nêu rõ nguồn kinh phí và lộ trình thực hiện; đề nghị bổ sung.",
    "appraise": "Chưa thuyết minh căn cứ pháp lý; đề nghị hoàn thiện theo ý kiến thẩm định.",
    "approve": "Đề nghị rà soát lại phạm vi, đối tượng áp dụng trước khi trình lại.",
    "confirm": "Báo cáo chưa kèm số liệu kết quả; đề nghị bổ sung minh chứng.",
}
EXTENSION_REASON = "Cần thêm thời gian lấy ý kiến các sở, ngành và hoàn thiện hồ sơ theo ý kiến thẩm định."
EXPLANATIONS = {  # overdue tasks whose lead agency has explained the delay
    2: "Đang chờ hướng dẫn của Bộ Công an về cơ cấu Tiểu ban; dự kiến trình ngay khi có hướng dẫn.",
    15: "Số liệu quyết toán năm chưa khóa sổ; đơn vị sẽ báo cáo ngay sau khi có số liệu chính thức.",
}
# Periodic reports: the demo province began reporting through the product on the first day of the month two
# months back (go-live); each month's reports were created by the worker on the month's first morning.
# Of the reports due, most were sent on time, some late, some are still on their way or not started.
REPORT_OUTCOMES = ("on_time", "on_time", "on_time", "late", "on_time", "signoff", "on_time", "late", "draft",
                   "on_time", "confirm", "on_time")


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


def seed() -> str:
    """Create the demo province unless it is there already; returns a summary line."""
    if db.session.scalar(select(User).where(User.username == "dieuphoi")):
        return "Dữ liệu mẫu đã có sẵn; không tạo thêm."
    for a in AGENCIES:
        agency = db.session.scalar(select(Agency).where(Agency.name == a["name"]))
        if agency is None:
            people.create_agency(a["name"], short_name=a["short_name"], kind=a["kind"],
                                 aliases=a["aliases"])
        elif not agency.short_name:  # added bare by init-db (a body the processes name): give it its details
            agency.short_name, agency.kind, agency.aliases = a["short_name"], a["kind"], a["aliases"]
    for ward in WARDS:
        if db.session.scalar(select(Agency).where(Agency.name == ward)) is None:
            people.create_agency(ward, kind="commune")
    db.session.commit()
    for old, successor in MERGED_2025.items():  # the 2025 departments' merges, as an administrator records them
        people.create_agency(old, kind="so" if old.startswith("Sở") else "ban")
        agency_changes.merge_agency(None, old, successor, MERGED_ON, MERGED_BY)
    for account in DEMO_ACCOUNTS:
        people.create_user(account["username"], DEMO_PASSWORD, account["agency"], account["roles"],
                           account["full_name"])
    staff = _agency_staff()
    coordinator = db.session.scalar(select(User).where(User.username == "dieuphoi"))
    rng = random.Random(2026)
    today = clock.now()
    try:
        for index, row in enumerate(DEMO_TASKS):
            _seed_task(coordinator, row, SCENARIOS.get(index, ("draft", [], "overdue", 5)), staff, rng, today,
                       EXPLANATIONS.get(index))
        _seed_group_task(coordinator, staff, rng, today)
        indicator_count = _seed_indicators(coordinator, staff, rng, today)
        _seed_period_reports(coordinator, staff, rng, today)
    finally:
        clock.set_clock(None)
    # people read their notices as they came: what is older than a week has been read, two hours after it came
    # (in Python: SQLite adds a timedelta to a date column as a number)
    for note in db.session.scalars(select(Notification).where(
            Notification.read_at.is_(None), Notification.created_at < today - timedelta(days=7))):
        note.read_at = note.created_at + timedelta(hours=2)
    db.session.commit()
    for item in db.session.scalars(select(WorkItem).where(WorkItem.status == "open")):
        _ = staff[(item.agency_id, item.role)]  # whoever has work waiting can log in and do it
    users = db.session.scalar(select(db.func.count()).select_from(User))
    tasks = db.session.scalar(select(db.func.count()).select_from(Task).where(Task.kind == "task",
                                                                          Task.parent_id.is_(None)))
    reports = db.session.scalar(select(db.func.count()).select_from(Task).where(
        Task.kind.in_(periods.REPORT_KINDS)))
    return (f"Đã tạo {len(AGENCIES) + len(WARDS)} đơn vị, {users} người dùng, {tasks} nhiệm vụ và 1 nhiệm vụ giao "
            f"cho {len(WARDS)} phường, {reports} báo cáo, "
            f"{indicator_count} chỉ tiêu. Mật khẩu các tài khoản mẫu: {DEMO_PASSWORD}")


# ---------------------------------------------------------------- the simulated clock

def _issued_on(source_document: str) -> date:
    """The issue date a document's name states ("Kế hoạch số 266-KH/TU ngày 26/4/2025")."""
    day, month, year = re.search(r"ngày (\d{1,2})/(\d{1,2})/(\d{4})", source_document).groups()
    return date(int(year), int(month), int(day))


def _morning(day: date, rng: random.Random) -> datetime:
    """A moment of a working morning on or after ``day``, as naive UTC (Asia/Ho_Chi_Minh is UTC+7)."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 1, rng.randint(0, 59)) + timedelta(hours=rng.randint(0, 3))


def _at_work(moment: datetime) -> datetime:
    """``moment``, or the next working morning when it falls on a weekend or outside 07:30–17:00 local."""
    local = moment + timedelta(hours=7)
    if local.weekday() < 5 and 7 <= local.hour < 17:
        return moment
    day = local.date() + timedelta(days=1 if local.hour >= 17 else 0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 1, 30) + timedelta(minutes=local.minute)


class _Pace:
    """Spreads a task's actions between its assignment and ``end``: each action waits a share of the time left,
    as estimated from the steps still to come."""

    def __init__(self, moment: clock.FrozenClock, end: datetime, target: str, returns: list[str],
                 rng: random.Random, order: list[str] = STEP_ORDER):
        self.moment, self.end, self.target, self.returns, self.rng = moment, end, target, returns, rng
        self.order = order

    def _actions_left(self, step: str) -> int:
        at = self.order.index(step) if step in self.order else 1
        left = max(1, self.order.index(self.target) - at)
        draft = self.order.index("draft")
        # halved: the routing skips steps for some outputs and an overestimate would end the history early; an
        # underestimate only makes the last steps come closer together
        return max(1, (left + sum(self.order.index(r) - draft + 1 for r in self.returns)) // 2)

    def before(self, task: Task, step: str) -> None:
        share = (self.end - self.moment.moment) / self._actions_left(step)
        wait = share * self.rng.uniform(0.6, 0.95)
        if wait > timedelta(hours=2):
            then = _at_work(self.moment.moment + wait)
        else:
            then = self.moment.moment + timedelta(minutes=self.rng.randint(10, 50))
        _timers_until(task, self.moment, then)
        self.moment.moment = then


def _timers_until(task: Task, moment: clock.FrozenClock, until: datetime) -> None:
    """Fire the task's reminders and overdue notices due before ``until``, each at its own moment, as the worker
    would have while the task's history played (``moment`` is the installed clock; it ends at ``until``)."""
    for _ in range(30):
        row = db.session.scalar(select(ProcessInstance).where(
            ProcessInstance.task_id == task.id, ProcessInstance.status == "running",
            ProcessInstance.next_timer_at <= until).order_by(ProcessInstance.next_timer_at).limit(1))
        if row is None:
            break
        moment.moment = max(moment.moment, row.next_timer_at)
        with transaction():
            reminders.fire_timers(row, moment.moment)
    moment.moment = until


def _plan(row: dict, scenario: tuple, rng: random.Random, today: datetime) -> tuple[datetime, datetime]:
    """When the task is assigned (its document's issue date, or the next working day) and when its last action
    before today happens."""
    target, _, outcome, waits = scenario
    start = _morning(_issued_on(row["source_document"]) + timedelta(days=rng.randint(0, 2)), rng)
    due = date.fromisoformat(row["due_date"]) if row["due_date"] else None
    if target != "done":
        end = today - timedelta(days=waits, hours=rng.randint(1, 6))
    elif outcome == "late" or due is None:
        end = _morning((due or start.date() + timedelta(days=60)) + timedelta(days=rng.randint(9, 40)), rng)
    else:
        end = _morning(due - timedelta(days=rng.randint(3, 15)), rng)
    latest = today - timedelta(days=2)
    end = min(max(end, start + timedelta(days=3)), latest)
    return start, max(start, end)
class _Staff(dict):
    """One user per (agency id, role), the named demo accounts first, created when first needed."""

    def __missing__(self, key: tuple[int, str]) -> User:
        agency_id, role = key
        agency = db.session.get(Agency, agency_id)
        prefix, title = {"officer": ("cv", "Chuyên viên"), "agency_head": ("ld", "Lãnh đạo"),
                         "appraiser": ("td", "Thẩm định"), "approver": ("pd", "Phê duyệt")}[role]
        short = agency.short_name or agency.name
        self[key] = people.create_user(f"{prefix}.{_slug(short)[:20] or agency.id}", DEMO_PASSWORD,
                                       agency.name, [role], f"{title} {short}")
        return self[key]


def _agency_staff() -> _Staff:
    staff = _Staff()
    for user in db.session.scalars(select(User)):
        for role in user.roles:
            staff.setdefault((user.agency_id, role), user)
    return staff


def _seed_task(coordinator: User, row: dict, scenario: tuple, staff, rng: random.Random, today: datetime,
               explanation: str | None) -> Task:
    """Assign one task on its document's date and play its history up to today."""
    target, returns, outcome, _ = scenario
    start, end = _plan(row, scenario, rng, today)
    moment = clock.FrozenClock(start)
    clock.set_clock(moment)
    task = create.create_task(
        coordinator, title=row["title"], lead_agency=row["lead_agency"],
        collaborating_agencies=row["collaborating_agencies"], output_type=row["output_type"],
        expected_output=row["expected_output"],
        due_date=date.fromisoformat(row["due_date"]) if row["due_date"] else None,
        deadline_text=row["deadline_text"], source_document=row["source_document"],
        section=row["section"] or None, recurrence=row["recurrence"])
    _drive(task, target, list(returns), staff, _Pace(moment, end, target, list(returns), rng))
    if outcome in ("soon", "within"):
        _extend(task, outcome, staff, moment, today)
    if explanation:
        _timers_until(task, moment, _at_work(moment.moment + timedelta(hours=rng.randint(20, 30))))
        explanations.explain(staff[(task.lead_agency_id, "agency_head")], task.id, explanation,
                             today.date() + timedelta(days=rng.randint(15, 30)))
    _timers_until(task, moment, today)
    return task


# How each ward stands on the group task today (by its place in WARDS; the demo ward officer's first: open)
WARD_OUTCOMES = ("draft", "on_time", "on_time", "late", "signoff", "on_time", "draft", "confirm", "on_time",
                 "late", "draft", "on_time", "signoff", "on_time", "draft", "on_time", "late", "on_time", "draft")


def _seed_group_task(coordinator: User, staff, rng: random.Random, today: datetime) -> Task:
    """The groups (the wards, the departments) and the plan's task owed by every ward: each ward's own report
    played on the clock from the plan's day — done on time, late, waiting at a step, not started."""
    two_levels = date(2025, 7, 1)  # the wards as they are since the two-level local government began
    groups.create_group(None, COMMUNE_GROUP["name"], WARDS, COMMUNE_GROUP["aliases"], joined_on=two_levels)
    groups.create_group(None, DEPARTMENT_GROUP["name"], [a["name"] for a in AGENCIES if a["kind"] == "so"],
                        DEPARTMENT_GROUP["aliases"], joined_on=two_levels)
    start = _morning(_issued_on(GROUP_TASK["source_document"]) + timedelta(days=3), rng)
    clock.set_clock(clock.FrozenClock(start))
    parent = create.create_task(coordinator, lead_agency=COMMUNE_GROUP["name"], duplicate_ok=True, **{
        **GROUP_TASK, "due_date": date.fromisoformat(GROUP_TASK["due_date"])})
    due = parent.due_date
    members = {t.lead_agency.name: t for t in db.session.scalars(select(Task).where(Task.parent_id == parent.id))}
    _ = staff[(members[WARDS[0]].lead_agency_id, "agency_head")]  # the demo ward's head signs its report
    for ward, outcome in zip(WARDS, WARD_OUTCOMES, strict=True):
        task = members[ward]
        moment = clock.FrozenClock(start)
        clock.set_clock(moment)
        if outcome == "on_time":
            end, target = _morning(due - timedelta(days=rng.randint(3, 40)), rng), "done"
        elif outcome == "late":
            end, target = _morning(due + timedelta(days=rng.randint(10, 60)), rng), "done"
        else:
            end, target = today - timedelta(days=rng.randint(3, 50)), outcome
        if outcome != "draft":  # "draft": the ward has not started its report
            _drive(task, target, [], staff, _Pace(moment, min(end, today - timedelta(days=2)), target, [], rng,
                                                  REPORT_STEPS))
        _timers_until(task, moment, today)
    return parent


def _drive(task: Task, target: str, returns: list[str], staff, pace: _Pace) -> None:
    """Act on the task's open work items as their holders would, until it waits at ``target``."""
    for _ in range(60):
        items = list(db.session.scalars(select(WorkItem).where(
            WorkItem.task_id == task.id, WorkItem.status == "open").order_by(WorkItem.id)))
        if not items:
            return  # done
        if not returns and any(i.step_id == target for i in items):
            return
        for item in items:
            pace.before(task, item.step_id)
            user = item.claimed_by or staff[(item.agency_id, item.role)]
            if returns and returns[0] == item.step_id:
                returns.pop(0)
                pace.returns.pop(0)
                work.complete(item.id, user, "return", RETURN_REASONS[item.step_id])
                continue
            _act(item, task, user, staff)


def _act(item: WorkItem, task: Task, user: User, staff) -> None:
    decision = "approve" if "approve" in item.decisions else "submit"
    data, uploads = _step_input(item, task, staff)
    work.complete(item.id, user, decision, "Đã xem, đề nghị chuyển bước tiếp theo."
                  if decision == "approve" else None, data, uploads)


def _extend(task: Task, outcome: str, staff, moment: clock.FrozenClock, today: datetime) -> None:
    """The lead agency asks for more time and gets it, a day apart each: due within days ("soon") or weeks
    ("within"). A task whose own deadline is still weeks ahead needs none."""
    if outcome == "within" and task.due_date and task.due_date >= today.date() + timedelta(days=15):
        return
    new_due = holidays.calendar().next_working_day(today.date() + timedelta(days=2 if outcome == "soon" else 30))
    _timers_until(task, moment, _at_work(moment.moment + timedelta(hours=20)))
    request = extensions.request_extension(staff[(task.lead_agency_id, "officer")], task.id, new_due,
                                           EXTENSION_REASON)
    for _ in range(5):
        items = list(db.session.scalars(select(WorkItem).where(
            WorkItem.instance_id == request.id, WorkItem.status == "open")))
        if not items:
            return
        _timers_until(task, moment, _at_work(moment.moment + timedelta(hours=20)))
        _act(items[0], task, items[0].claimed_by or staff[(items[0].agency_id, items[0].role)], staff)


class _DemoFile:
    def __init__(self, filename: str, text: str):
        self.filename = filename
        self._content = text.encode("utf-8")

    def read(self, size: int = -1) -> bytes:
        return self._content


def _step_input(item: WorkItem, task: Task, staff) -> tuple[dict, dict]:
    data: dict = {}
    uploads: dict = {}
    for field in item.fields:
        name = field["name"]
        if field["type"] == "user":
            data[name] = staff[(item.agency_id, "officer")].username
        elif field["type"] == "date" and field.get("future"):  # an internal deadline: weeks ahead, not after the task's
            ahead = clock.today() + timedelta(days=20)
            data[name] = min(ahead, max(task.due_date or ahead, clock.today())).isoformat()
        elif field["type"] == "date":  # a decision's date
            data[name] = clock.today().isoformat()
        elif field["type"] == "text" and field["required"]:
            data[name] = (f"{task.lead_agency.short_name}/{clock.today().year}/QĐ"
                          if name == "decision_number" else "Thống nhất với dự thảo; đề nghị bổ sung lộ trình.")
        elif field["type"] == "file" and (field["required"] or item.step_id == "finalise"):
            uploads[name] = _DemoFile(f"{name}-{task.code}.txt",
                                      f"{field['label']} — {task.title}\n(tệp mẫu)")
    return data, uploads


# ---------------------------------------------------------------- indicators

# Phụ lục I "Danh mục các chỉ tiêu cụ thể" of Kế hoạch 266-KH/TU, as the fixture's text export has it.
INDICATOR_APPENDIX = Path(__file__).with_name("indicators.txt")
INDICATOR_DIRECTIVE = ("Kế hoạch số 266-KH/TU", date(2025, 4, 26))
# (STT, value reported for 2025, steps that return it first, step where it stops: None = accepted).
# Indicator 1 is reported twice: the later accepted value wins, the history keeps both.
INDICATOR_REPORTS = [
    ("1", "55%", [], None), ("3", "62,5%", ["confirm"], None), ("7", "86%", [], None),
    ("4", "Đạt", [], None), ("15", "33", ["signoff"], None), ("44", "68,2%", [], None),
    ("1", "58%", [], None), ("27", "41", [], "confirm"),
]
INDICATOR_RETURNS = {
    "signoff": "Đề nghị đối chiếu lại với số liệu thống kê chính thức trước khi gửi.",
    "confirm": "Đề nghị bổ sung biểu tổng hợp có xác nhận của đơn vị làm minh chứng.",
}


def _seed_indicators(coordinator: User, staff, rng: random.Random, limit: datetime) -> int:
    """Import the indicator appendix, then drive a few 2025 reports: most accepted, one waiting for the coordinator."""
    number, issued = INDICATOR_DIRECTIVE
    clock.set_clock(clock.FrozenClock(_morning(issued + timedelta(days=2), rng)))
    batch = pipeline.preview(coordinator, "Phu-luc-I-Ke-hoach-266-KH-TU.txt", INDICATOR_APPENDIX.read_bytes(),
                             number, issued)
    count = pipeline.commit(coordinator, batch.id)["indicators"]
    by_stt = {i.stt: i for i in db.session.scalars(
        select(Indicator).where(Indicator.directive_id == batch.directive_id))}
    moment = clock.FrozenClock(limit - timedelta(days=45))  # the year's values, asked for this autumn
    clock.set_clock(moment)
    for stt, value, returns, stop in INDICATOR_REPORTS:
        indicator = by_stt[stt]
        task = indicator_reports.start_report(coordinator, indicator.id, 2025, indicator.responsible[0])
        returns = list(returns)
        for _ in range(20):
            items = list(db.session.scalars(select(WorkItem).where(
                WorkItem.task_id == task.id, WorkItem.status == "open").order_by(WorkItem.id)))
            if not items or (items[0].step_id == stop and not returns):
                break
            item = items[0]
            if moment.moment + timedelta(days=2) < limit:
                moment.advance(days=rng.randint(0, 1), hours=rng.randint(1, 6))
            user = item.claimed_by or staff[(item.agency_id, item.role)]
            if returns and returns[0] == item.step_id:
                work.complete(item.id, user, "return", INDICATOR_RETURNS[returns.pop(0)])
            elif item.step_id == "draft":
                work.complete(item.id, user, "submit", None,
                               {"value": value, "note": f"Số liệu năm 2025 của {task.lead_agency.name}."},
                               {"evidence_file": _DemoFile(f"minh-chung-{task.code}.txt",
                                                           f"Biểu tổng hợp số liệu: {indicator.name}\n(tệp mẫu)")})
            else:
                work.complete(item.id, user, "approve", "Nhất trí số liệu." if item.step_id == "signoff" else None)
    return count


# ---------------------------------------------------------------- periodic reports

def _seed_period_reports(coordinator: User, staff, rng: random.Random, today: datetime) -> None:
    """Go-live two months back; each month since, the worker's 06:00 run on the 1st creates the month's reports
    and the agencies answer them (``REPORT_OUTCOMES``). The current month's are left to the worker."""
    this_month = today.date().replace(day=1)
    go_live = (this_month - timedelta(days=40)).replace(day=1)
    clock.set_clock(clock.FrozenClock(_morning(go_live - timedelta(days=3), rng)))
    period_reports.set_reports_since(coordinator, go_live)
    outcomes = itertools.cycle(REPORT_OUTCOMES)
    month = go_live
    while month < this_month:
        clock.set_clock(clock.FrozenClock(datetime(month.year, month.month, month.day) - timedelta(hours=1)))
        period_reports.generate(coordinator, month)
        for report in db.session.scalars(select(Task).where(Task.period == f"{month:%Y-%m}").order_by(Task.id)):
            _answer_report(report, next(outcomes), staff, rng, today)
        month = (month + timedelta(days=32)).replace(day=1)


def _answer_report(report: Task, outcome: str, staff, rng: random.Random, today: datetime) -> None:
    if outcome == "on_time":
        end = _morning(report.due_date - timedelta(days=rng.randint(1, 8)), rng)
    else:
        end = _morning(report.due_date + timedelta(days=rng.randint(2, 10)), rng)
    start = _at_work(datetime(report.due_date.year, report.due_date.month, 1, 1, 0))
    moment = clock.FrozenClock(start)
    clock.set_clock(moment)
    end = min(max(end, start + timedelta(days=1)), today - timedelta(days=1))
    target = "done" if outcome in ("on_time", "late") else outcome
    _drive(report, target, [], staff, _Pace(moment, end, target, [], rng, REPORT_STEPS))
    _timers_until(report, moment, today)
