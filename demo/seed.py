"""The demo province: real agencies and tasks from the fixtures, driven through the real use cases."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from demo.data import AGENCIES, DEMO_TASKS
from models import ROLE_LABELS, Agency, Indicator, Task, User, WorkItem, db
from workflows import clock
from workflows.accounts import people
from workflows.importing import pipeline
from workflows.tasks import create, indicator_reports, work

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
]
for _account in DEMO_ACCOUNTS:
    _account["password"] = DEMO_PASSWORD
    _account["role_label"] = ", ".join(ROLE_LABELS[r] for r in _account["roles"])

# Where each demo task stops (index into DEMO_TASKS) and the steps that return it first.
SCENARIOS = {
    0: ("appraise", ["signoff"]), 1: ("draft", []), 2: ("approve", ["appraise"]),
    3: ("confirm", []), 4: ("draft", ["confirm"]), 5: ("done", []),
    6: ("give_opinion", []), 7: ("appraise", ["appraise", "appraise"]), 8: ("done", []),
    9: ("done", ["approve"]), 10: ("give_opinion", []), 11: ("draft", []),
    12: ("signoff", []), 13: ("finalise", []), 14: ("approve", []), 15: ("report", []),
    16: ("confirm", []), 17: ("draft", []), 18: ("assign", []), 19: ("signoff", ["signoff"]),
    20: ("appraise", []), 21: ("assign", []),
}
RETURN_REASONS = {
    "signoff": "Dự thảo chưa nêu rõ nguồn kinh phí và lộ trình thực hiện; đề nghị bổ sung.",
    "appraise": "Chưa thuyết minh căn cứ pháp lý; đề nghị hoàn thiện theo ý kiến thẩm định.",
    "approve": "Đề nghị rà soát lại phạm vi, đối tượng áp dụng trước khi trình lại.",
    "confirm": "Báo cáo chưa kèm số liệu kết quả; đề nghị bổ sung minh chứng.",
}


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
    db.session.commit()
    for account in DEMO_ACCOUNTS:
        people.create_user(account["username"], DEMO_PASSWORD, account["agency"], account["roles"],
                           account["full_name"])
    staff = _agency_staff()
    coordinator = db.session.scalar(select(User).where(User.username == "dieuphoi"))
    rng = random.Random(2026)
    real_clock = clock.now()
    try:
        for index, row in enumerate(DEMO_TASKS):
            target, returns = SCENARIOS.get(index, ("draft", []))
            moment = clock.FrozenClock(real_clock - timedelta(days=rng.randint(25, 70)))
            clock.set_clock(moment)
            task = create.create_task(
                coordinator, title=row["title"], lead_agency=row["lead_agency"],
                collaborating_agencies=row["collaborating_agencies"], output_type=row["output_type"],
                expected_output=row["expected_output"],
                due_date=date.fromisoformat(row["due_date"]) if row["due_date"] else None,
                deadline_text=row["deadline_text"], source_document=row["source_document"],
                section=row["section"] or None, recurrence=row["recurrence"])
            _drive(task, target, list(returns), staff, moment, rng, real_clock)
        indicator_count = _seed_indicators(coordinator, staff, rng, real_clock)
    finally:
        clock.set_clock(None)
    for item in db.session.scalars(select(WorkItem).where(WorkItem.status == "open")):
        _ = staff[(item.agency_id, item.role)]  # whoever has work waiting can log in and do it
    users = db.session.scalar(select(db.func.count()).select_from(User))
    tasks = db.session.scalar(select(db.func.count()).select_from(Task))
    return (f"Đã tạo {len(AGENCIES)} đơn vị, {users} người dùng, {tasks} nhiệm vụ, {indicator_count} chỉ tiêu. "
            f"Mật khẩu các tài khoản mẫu: {DEMO_PASSWORD}")


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


def _drive(task: Task, target: str, returns: list[str], staff, moment: clock.FrozenClock,
           rng: random.Random, limit: datetime) -> None:
    """Act on the task's open work items as their holders would, until it waits at ``target``."""
    for _ in range(60):
        items = list(db.session.scalars(select(WorkItem).where(
            WorkItem.task_id == task.id, WorkItem.status == "open").order_by(WorkItem.id)))
        if not items:
            return  # done
        if not returns and any(i.step_id == target for i in items):
            return
        for item in items:
            if moment.moment + timedelta(days=3) < limit:
                moment.advance(days=rng.randint(1, 3), hours=rng.randint(0, 6))
            user = item.claimed_by or staff[(item.agency_id, item.role)]
            if returns and returns[0] == item.step_id:
                returns.pop(0)
                work.complete(item.id, user, "return", RETURN_REASONS[item.step_id])
                continue
            decision = "approve" if "approve" in item.decisions else "submit"
            data, uploads = _step_input(item, task, staff)
            work.complete(item.id, user, decision, "Đã xem, đề nghị chuyển bước tiếp theo."
                           if decision == "approve" else None, data, uploads)


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
        elif field["type"] == "date":
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
    clock.set_clock(clock.FrozenClock(limit - timedelta(days=75)))
    number, issued = INDICATOR_DIRECTIVE
    batch = pipeline.preview(coordinator, "Phu-luc-I-Ke-hoach-266-KH-TU.txt", INDICATOR_APPENDIX.read_bytes(),
                             number, issued)
    count = pipeline.commit(coordinator, batch.id)["indicators"]
    by_stt = {i.stt: i for i in db.session.scalars(
        select(Indicator).where(Indicator.directive_id == batch.directive_id))}
    moment = clock.FrozenClock(limit - timedelta(days=45))
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
