"""Periodic reports: the periods and their due dates, one report instance per period, the coverage page."""

from __future__ import annotations

import io
from datetime import date, datetime

import docx
import pytest
from sqlalchemy import func, select

from models import AuditEvent, ProcessInstance, Task, WorkItem, db
from tests.conftest import COLLAB_A, LEAD, OTHER, Browser, act, open_items
from workflows import holidays
from workflows.errors import NotAllowed, NotFound
from workflows.importing import pipeline
from workflows.tasks import create, period_reports, periods

MONTHLY_DUE_2026 = [
    ("2026-01", date(2026, 1, 20)), ("2026-02", date(2026, 2, 20)), ("2026-03", date(2026, 3, 20)),
    ("2026-04", date(2026, 4, 20)), ("2026-05", date(2026, 5, 20)), ("2026-06", date(2026, 6, 20)),
    ("2026-07", date(2026, 7, 20)), ("2026-08", date(2026, 8, 20)), ("2026-09", date(2026, 9, 20)),
    ("2026-10", date(2026, 10, 20)), ("2026-11", date(2026, 11, 20)), ("2026-12", date(2026, 12, 20)),
]
# The next working day of each nominal date in the 2026 calendar: 20/02 is in Tết (16/02-20/02),
# 20/06 is a Saturday, 20/09 and 20/12 are Sundays.
MONTHLY_EFFECTIVE_2026 = [
    ("2026-01", date(2026, 1, 20)), ("2026-02", date(2026, 2, 23)), ("2026-03", date(2026, 3, 20)),
    ("2026-04", date(2026, 4, 20)), ("2026-05", date(2026, 5, 20)), ("2026-06", date(2026, 6, 22)),
    ("2026-07", date(2026, 7, 20)), ("2026-08", date(2026, 8, 20)), ("2026-09", date(2026, 9, 21)),
    ("2026-10", date(2026, 10, 20)), ("2026-11", date(2026, 11, 20)), ("2026-12", date(2026, 12, 21)),
]


def keys_and_dues(kind: str, year: int = 2026) -> list[tuple[str, date]]:
    return [(p.key, p.due) for p in periods.periods_in(kind, year)]


def recurring_task(world, recurrence: str, title: str, lead: str = LEAD) -> Task:
    text = {"ongoing": "Thường xuyên", "yearly": "Hàng năm"}.get(recurrence, recurrence)
    return create.create_task(world["coord"], title=title, lead_agency=lead, output_type="result",
                             deadline_text=text, recurrence=recurrence)


def reports(kind: str | None = None, parent: Task | None = None) -> list[Task]:
    query = select(Task).where(Task.kind.in_(periods.REPORT_KINDS)).order_by(Task.period, Task.id)
    if kind:
        query = query.where(Task.kind == kind)
    if parent is not None:
        query = query.where(Task.parent_id == parent.id)
    return list(db.session.scalars(query))


def engine_snapshot(task: Task):
    db.session.expire_all()
    instances = [(i.id, i.version, i.state, i.status) for i in db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.task_id == task.id).order_by(ProcessInstance.id))]
    items = [(i.id, i.status) for i in db.session.scalars(select(WorkItem).where(WorkItem.task_id == task.id))]
    return instances, items, db.session.get(Task, task.id).state


@pytest.fixture
def january(frozen):
    """The clock at 05/01/2026 08:00 (Hà Nội) and the 2025-2026 holiday calendar loaded."""
    frozen.moment = datetime(2026, 1, 5, 1, 0)
    holidays.ensure_defaults()
    return frozen


# ---------------------------------------------------------------- periods and due dates

def test_the_periods_of_2026_and_their_nominal_due_dates(app):
    assert keys_and_dues("monthly") == MONTHLY_DUE_2026
    assert keys_and_dues("quarterly") == [("2026-Q1", date(2026, 3, 20)), ("2026-Q2", date(2026, 6, 20)),
                                          ("2026-Q3", date(2026, 9, 20)), ("2026-Q4", date(2026, 12, 20))]
    assert keys_and_dues("half_yearly") == [("2026-H1", date(2026, 6, 15))]
    assert keys_and_dues("yearly") == [("2026", date(2026, 11, 25))]


def test_periods_have_vietnamese_labels_and_bounds(app):
    assert [p.label for p in periods.periods_in("monthly", 2026)][:2] == ["Tháng 01/2026", "Tháng 02/2026"]
    assert [p.label for p in periods.periods_in("quarterly", 2026)] == [
        "Quý I/2026", "Quý II/2026", "Quý III/2026", "Quý IV/2026"]
    [half] = periods.periods_in("half_yearly", 2026)
    assert (half.label, half.start, half.end) == ("6 tháng đầu năm 2026", date(2026, 1, 1), date(2026, 6, 30))
    [year] = periods.periods_in("yearly", 2026)
    assert (year.label, year.start, year.end) == ("Năm 2026", date(2026, 1, 1), date(2026, 12, 31))
    feb = periods.parse_key("2026-02")
    assert (feb.start, feb.end) == (date(2026, 2, 1), date(2026, 2, 28))
    q3 = periods.parse_key("2026-q3")
    assert (q3.key, q3.start, q3.end) == ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30))


def test_period_keys_navigation_and_kind_switching(app):
    assert periods.parse_key("2026-H1").kind == "half_yearly"
    assert periods.parse_key("2026").kind == "yearly"
    for bad in ("2026-13", "2026-Q5", "2026-H2", "tháng 3", ""):
        with pytest.raises(NotFound):
            periods.parse_key(bad)
    previous, following = periods.neighbours(periods.parse_key("2026-01"))
    assert (previous.key, following.key) == ("2025-12", "2026-02")
    previous, following = periods.neighbours(periods.parse_key("2026-Q4"))
    assert (previous.key, following.key) == ("2026-Q3", "2027-Q1")
    assert [p.key for p in periods.neighbours(periods.parse_key("2026-H1"))] == ["2025-H1", "2027-H1"]

    today = date(2026, 3, 10)
    assert periods.resolve(None, None, today).key == "2026-03"
    assert periods.resolve(None, "quarterly", today).key == "2026-Q1"
    assert periods.resolve("2026-03", "quarterly", today).key == "2026-Q1"
    assert periods.resolve("2025", "monthly", today).key == "2025-12"  # the shown year's nearest month
    assert periods.resolve("2026-05", "nonsense", today).key == "2026-05"


def test_the_rhythm_is_configurable(app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_RHYTHM", {"monthly": {"day": 31}, "yearly": {"month": 12, "day": 5}})
    assert keys_and_dues("monthly")[1] == ("2026-02", date(2026, 2, 28))  # a short month keeps its last day
    assert keys_and_dues("monthly")[3] == ("2026-04", date(2026, 4, 30))
    assert keys_and_dues("yearly") == [("2026", date(2026, 12, 5))]
    assert keys_and_dues("quarterly")[0] == ("2026-Q1", date(2026, 3, 20))  # not overridden
    monkeypatch.setitem(app.config, "REPORT_RHYTHM", {"weekly": {"day": 1}})
    with pytest.raises(ValueError, match="weekly"):
        periods.periods_in("monthly", 2026)


# ---------------------------------------------------------------- generating report instances

def test_a_year_of_reports_for_an_ongoing_and_a_yearly_task(world, january):
    calendar = holidays.calendar()
    assert calendar.next_working_day(date(2026, 2, 20)) == date(2026, 2, 23)  # Tết Bính Ngọ
    ongoing = recurring_task(world, "ongoing", "Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW")
    yearly = recurring_task(world, "yearly", "Đánh giá kết quả chuyển đổi số của ngành")

    result = period_reports.generate(world["coord"], through=date(2026, 12, 31))

    assert result == {"created": 25, "existing": 0}
    monthly = reports("period_report", ongoing)
    assert [(r.period, r.due_date) for r in monthly] == MONTHLY_EFFECTIVE_2026
    assert [(r.period, r.nominal_due) for r in monthly] == MONTHLY_DUE_2026
    assert [(r.period, r.due_date, r.nominal_due) for r in reports("period_report", yearly)] == [
        ("2026", date(2026, 11, 25), date(2026, 11, 25))]
    agency = reports("agency_report")
    assert [(r.period, r.due_date) for r in agency] == MONTHLY_EFFECTIVE_2026
    assert {r.lead_agency.name for r in agency} == {LEAD}
    assert {r.parent_id for r in agency} == {None}

    feb = monthly[1]
    assert feb.title == "Báo cáo tháng 02/2026: Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW"
    assert (feb.kind, feb.parent_id, feb.period_key) == ("period_report", ongoing.id, f"task:{ongoing.id}:2026-02")
    assert (feb.output_type, feb.lead_agency.name, feb.collaborating_agencies) == ("report", LEAD, [])
    assert (feb.original_due, feb.deadline_text, feb.recurrence) == (date(2026, 2, 23), "Trước ngày 20/02/2026", None)
    assert agency[1].title == f"Báo cáo định kỳ tháng 02/2026 của {LEAD}"
    assert agency[1].period_key == f"agency:{agency[1].lead_agency_id}:2026-02"
    assert reports("period_report", yearly)[0].title == "Báo cáo năm 2026: Đánh giá kết quả chuyển đổi số của ngành"


def test_generating_twice_creates_nothing_new(world, january):
    recurring_task(world, "ongoing", "Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW")
    first = period_reports.generate(world["coord"], through=date(2026, 3, 31))
    tasks = db.session.scalar(select(func.count()).select_from(Task))
    again = period_reports.generate(world["coord"], through=date(2026, 3, 31))
    assert first == {"created": 6, "existing": 0}  # January to March: the task's report and the agency's
    assert again == {"created": 0, "existing": 6}
    assert db.session.scalar(select(func.count()).select_from(Task)) == tasks
    later = period_reports.generate(world["coord"], through=date(2026, 4, 1))  # the next period only adds itself
    assert later == {"created": 2, "existing": 6}


def test_the_unique_period_key_is_the_last_guard(world, january, monkeypatch):
    recurring_task(world, "ongoing", "Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW")
    period_reports.generate(world["coord"], through=date(2026, 1, 31))
    found = period_reports._existing_keys
    calls = []

    def blind_once(keys):  # as if a concurrent run committed the same reports after our check
        calls.append(1)
        return set() if len(calls) == 1 else found(keys)

    monkeypatch.setattr(period_reports, "_existing_keys", blind_once)
    assert period_reports.generate(world["coord"], through=date(2026, 1, 31)) == {"created": 0, "existing": 2}
    assert len(calls) == 2 and len(reports()) == 2


def test_each_report_runs_its_own_process_and_the_parent_has_no_loop(world, january):
    ongoing = recurring_task(world, "ongoing", "Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW")
    before = engine_snapshot(ongoing)
    period_reports.generate(world["coord"], through=date(2026, 6, 30))
    created = reports()
    assert len(created) == 12
    for report in created:
        [instance] = db.session.scalars(select(ProcessInstance).where(ProcessInstance.task_id == report.id))
        assert (instance.status, instance.process_model.process_id) == ("running", "report_cycle")
        [item] = open_items(report)
        assert (item.step_id, item.role, item.agency.name, item.claimed_by_id) == ("draft", "officer", LEAD, None)
        assert report.current_step == "Xây dựng báo cáo/văn bản"
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.task_id == report.id)) == "create"
    assert engine_snapshot(ongoing) == before  # the parent's own process is untouched
    assert len(before[0]) == 1


def test_no_period_after_through_and_none_before_the_task(world, january):
    recurring_task(world, "ongoing", "Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW")
    period_reports.generate(world["coord"], through=date(2026, 2, 28))
    assert sorted({r.period for r in reports()}) == ["2026-01", "2026-02"]

    january.moment = datetime(2026, 5, 12, 2, 0)
    may = recurring_task(world, "monthly", "Cập nhật cơ sở dữ liệu chuyển đổi số", lead=COLLAB_A)
    period_reports.generate(world["coord"], through=date(2026, 6, 1))
    assert [r.period for r in reports("period_report", may)] == ["2026-05", "2026-06"]
    assert [r.period for r in reports("agency_report") if r.lead_agency.name == COLLAB_A] == ["2026-05", "2026-06"]
    assert [r.period for r in reports("agency_report") if r.lead_agency.name == LEAD] == [
        "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def test_a_task_assigned_after_a_due_date_owes_no_report_for_that_period(world, january):
    """Assigned on 25/11, after November's report was due (20/11): its first report is December's, and the
    agency is not shown late for a month it could not report on."""
    january.moment = datetime(2026, 11, 25, 2, 0)
    task = recurring_task(world, "ongoing", "Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW", lead=COLLAB_A)
    assert period_reports.generate(world["coord"], through=date(2026, 11, 25)) == {"created": 0, "existing": 0}
    assert not [r for r in period_reports.coverage("2026-11") if r.agency.name == COLLAB_A]
    period_reports.generate(world["coord"], through=date(2026, 12, 1))
    assert [r.period for r in reports("period_report", task)] == ["2026-12"]
    assert [(r.period, r.due_date) for r in reports("agency_report")] == [("2026-12", date(2026, 12, 21))]


def test_a_task_created_late_in_the_day_belongs_to_its_local_date(world, january):
    january.moment = datetime(2026, 1, 31, 18, 0)  # 01/02/2026 01:00 in Hà Nội
    task = recurring_task(world, "ongoing", "Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW")
    period_reports.generate(world["coord"], through=date(2026, 2, 28))
    assert [r.period for r in reports("period_report", task)] == ["2026-02"]


def test_who_gets_reports(world, january):
    quarterly = recurring_task(world, "quarterly", "Rà soát thủ tục hành chính")
    half = recurring_task(world, "half_yearly", "Sơ kết 6 tháng")
    weekly = recurring_task(world, "weekly", "Giao ban tuần")
    done = recurring_task(world, "ongoing", "Nhiệm vụ đã xong")
    done.state = "done"
    db.session.commit()
    create.create_task(world["coord"], title="Ban hành kế hoạch", lead_agency=COLLAB_A, output_type="plan",
                      due_date=date(2026, 6, 30))
    period_reports.generate(world["coord"], through=date(2026, 12, 31))
    assert [r.period for r in reports("period_report", quarterly)] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert [(r.period, r.due_date) for r in reports("period_report", half)] == [("2026-H1", date(2026, 6, 15))]
    assert reports("period_report", weekly) == [] and reports("period_report", done) == []
    # every lead agency of an active task reports monthly, whatever its tasks' rhythm
    agency = reports("agency_report")
    assert {r.lead_agency.name for r in agency} == {LEAD, COLLAB_A}
    assert len(agency) == 24
    # reports are not themselves reported on
    assert {r.parent_id for r in reports("period_report")} == {quarterly.id, half.id}


def test_agency_and_ongoing_rhythms_are_configurable(app, world, january, monkeypatch):
    monkeypatch.setitem(app.config, "AGENCY_REPORT_RHYTHM", "quarterly")
    monkeypatch.setitem(app.config, "ONGOING_REPORT_RHYTHM", "half_yearly")
    task = recurring_task(world, "ongoing", "Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW")
    period_reports.generate(world["coord"], through=date(2026, 12, 31))
    assert [r.period for r in reports("period_report", task)] == ["2026-H1"]
    assert [r.period for r in reports("agency_report")] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    monkeypatch.setitem(app.config, "AGENCY_REPORT_RHYTHM", None)
    assert periods.agency_report_kind() is None


def test_only_a_coordinator_generates_reports(world, january):
    recurring_task(world, "ongoing", "Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW")
    with pytest.raises(NotAllowed):
        period_reports.generate(world["officer"], through=date(2026, 3, 31))
    assert reports() == []
    assert period_reports.generator().username == "coord"
    assert period_reports.generator("x_coord").username == "x_coord"
    with pytest.raises(NotFound):
        period_reports.generator("khong-co")


def test_long_parent_titles_are_shortened_at_a_word(world, january):
    title = "Triển khai " + "nhiệm vụ chuyển đổi số " * 20
    task = recurring_task(world, "yearly", title)
    period_reports.generate(world["coord"], through=date(2026, 1, 31))
    [report] = reports("period_report", task)
    assert report.title.startswith("Báo cáo năm 2026: Triển khai nhiệm vụ") and report.title.endswith("…")
    assert len(report.title) <= len("Báo cáo năm 2026: ") + periods.MAX_PARENT_TITLE + 1
    assert not report.title[:-1].endswith(" ")


# ---------------------------------------------------------------- a task's own rule: its day and its start

def ruled_task(world, recurrence: str, text: str, title: str, **rule) -> Task:
    return create.create_task(world["coord"], title=title, lead_agency=LEAD, output_type="result",
                              deadline_text=text, recurrence=recurrence, **rule)


def test_a_monthly_task_due_before_the_10th_reports_on_the_10th(world, january):
    task = ruled_task(world, "monthly", "trước ngày 10 hằng tháng", "Cập nhật tiến độ chuyển đổi số",
                      recurrence_day=10)
    period_reports.generate(world["coord"], through=date(2026, 3, 31))
    # 10/01/2026 is a Saturday worked in exchange for 02/01 (Tết Dương lịch): due that very day
    assert [(r.period, r.nominal_due, r.due_date) for r in reports("period_report", task)] == [
        ("2026-01", date(2026, 1, 10), date(2026, 1, 10)), ("2026-02", date(2026, 2, 10), date(2026, 2, 10)),
        ("2026-03", date(2026, 3, 10), date(2026, 3, 10))]
    assert reports("period_report", task)[0].deadline_text == "Trước ngày 10/01/2026"
    # the agency's own report keeps the configured rhythm
    assert [r.nominal_due for r in reports("agency_report")] == [date(2026, 1, 20), date(2026, 2, 20),
                                                                 date(2026, 3, 20)]


def test_a_day_past_the_end_of_a_month_and_a_quarterly_day(world, january):
    monthly = ruled_task(world, "monthly", "trước ngày 31 hằng tháng", "Báo cáo số liệu", recurrence_day=31)
    quarterly = ruled_task(world, "quarterly", "Hằng quý, trước ngày 15 của tháng cuối quý", "Rà soát thủ tục",
                           recurrence_day=15)
    period_reports.generate(world["coord"], through=date(2026, 6, 30))
    assert [r.nominal_due for r in reports("period_report", monthly)][:4] == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert [(r.period, r.nominal_due, r.due_date) for r in reports("period_report", quarterly)] == [
        ("2026-Q1", date(2026, 3, 15), date(2026, 3, 16)), ("2026-Q2", date(2026, 6, 15), date(2026, 6, 15))]


def test_no_report_for_the_periods_before_the_start(world, january):
    monthly = ruled_task(world, "monthly", "Từ tháng 3/2026, hằng tháng", "Cập nhật cơ sở dữ liệu",
                         recurrence_starts=date(2026, 3, 1))
    half = ruled_task(world, "half_yearly", "Từ Quý III/2026, định kỳ 6 tháng", "Sơ kết 6 tháng",
                      recurrence_starts=date(2026, 7, 1))
    started = ruled_task(world, "monthly", "Từ ngày 15/02/2026, trước ngày 10 hằng tháng", "Báo cáo nhanh",
                         recurrence_day=10, recurrence_starts=date(2026, 2, 15))
    period_reports.generate(world["coord"], through=date(2027, 6, 30))
    assert [r.period for r in reports("period_report", monthly)][:3] == ["2026-03", "2026-04", "2026-05"]
    assert [r.period for r in reports("period_report", half)] == ["2027-H1"]  # 2026-H1 was due before July
    assert [r.period for r in reports("period_report", started)][:2] == ["2026-03", "2026-04"]  # 10/02 < 15/02
    assert reports("agency_report")[0].period == "2026-01"  # the agency reports from its first task on


def test_no_report_for_the_periods_before_go_live(app, world, january):
    """A province that enters last year's tasks with their own dates owes no backlog of the months before it
    began reporting through the product: the day set by `reports-since` is a floor for tasks and agencies."""
    january.moment = datetime(2025, 4, 28, 2, 0)  # assigned with the document's date
    task = recurring_task(world, "ongoing", "Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW")
    january.moment = datetime(2026, 3, 2, 2, 0)
    result = app.test_cli_runner().invoke(args=["reports-since", "2026-02-01", "--user", "x_coord"])
    assert result.exit_code == 0 and "từ ngày 01/02/2026" in result.output, result.output
    assert period_reports.reports_since() == date(2026, 2, 1)
    period_reports.generate(world["coord"], through=date(2026, 3, 2))
    assert [r.period for r in reports("period_report", task)] == ["2026-02", "2026-03"]
    assert [r.period for r in reports("agency_report")] == ["2026-02", "2026-03"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reports_since")).one()
    assert event.actor.username == "x_coord" and event.data == {"before": None, "after": "2026-02-01"}
    with pytest.raises(NotAllowed):
        period_reports.set_reports_since(world["officer"], date(2026, 1, 1))
    assert period_reports.reports_since() == date(2026, 2, 1)


def test_coverage_uses_the_task_s_own_day(world, january):
    task = ruled_task(world, "monthly", "trước ngày 10 hằng tháng", "Cập nhật tiến độ", recurrence_day=10)
    january.moment = datetime(2026, 3, 12, 1, 0)
    rows = {r.kind: r for r in period_reports.coverage("2026-03")}
    assert (rows["period_report"].parent.id, rows["period_report"].due, rows["period_report"].bucket) == (
        task.id, date(2026, 3, 10), "overdue")
    assert (rows["agency_report"].due, rows["agency_report"].bucket) == (date(2026, 3, 20), "not_reported")
    late = ruled_task(world, "monthly", "Từ tháng 4/2026, hằng tháng", "Nhiệm vụ từ tháng 4",
                      recurrence_starts=date(2026, 4, 1))
    assert late.id not in {r.parent.id for r in period_reports.coverage("2026-03") if r.parent}


RULED_PLAN = "\n".join([
    "Kế hoạch số 07-KH/BCĐ ngày 05/01/2026", "", "Phụ lục I", "DANH MỤC NHIỆM VỤ NĂM 2026", "",
    "STT\tTên nhiệm vụ\tĐơn vị chủ trì\tĐơn vị phối hợp\tKết quả/sản phẩm\tThời gian hoàn thành",
    f"1\tCập nhật tiến độ chuyển đổi số\t{LEAD}\t\tBáo cáo\ttrước ngày 10 hằng tháng",
    f"2\tGiao ban trực tuyến\t{LEAD}\t\tBáo cáo\thằng tuần, vào thứ Năm",
    f"3\tSơ kết thực hiện Đề án\t{LEAD}\t\tBáo cáo\tTừ Quý III/2026, định kỳ 6 tháng",
]) + "\n"


def test_an_imported_rule_reaches_the_task_its_reports_and_the_pages(app, browser: Browser, world, january):
    batch = pipeline.preview(world["coord"], "ke-hoach-07.txt", RULED_PLAN.encode())
    rows = batch.report["appendices"][0]["rows"]
    assert [(r["recurrence"], r["recurrence_day"], r["recurrence_weekday"], r["starts"], r["nominal_due"])
            for r in rows] == [("monthly", 10, None, None, "2026-01-10"), ("weekly", None, 4, None, "2026-01-08"),
                               ("half_yearly", None, None, "2026-07-01", "2026-11-25")]
    browser.login("coord")
    preview_page = text(browser.client.get(f"/imports/{batch.id}"))
    for label in ("Hằng tháng, trước ngày 10", "Hằng tuần, thứ Năm", "Định kỳ 6 tháng, từ 01/07/2026"):
        assert label in preview_page

    pipeline.commit(world["coord"], batch.id)
    tasks = {t.title: t for t in db.session.scalars(select(Task).where(Task.kind == "task"))}
    monthly, weekly, half = (tasks["Cập nhật tiến độ chuyển đổi số"], tasks["Giao ban trực tuyến"],
                             tasks["Sơ kết thực hiện Đề án"])
    assert (monthly.recurrence_day, monthly.recurrence_weekday, monthly.recurrence_starts) == (10, None, None)
    assert (weekly.recurrence, weekly.recurrence_weekday) == ("weekly", 4)
    assert (half.recurrence_starts, half.nominal_due) == (date(2026, 7, 1), date(2026, 11, 25))
    assert "Hằng tuần, thứ Năm" in text(browser.client.get(f"/tasks/{weekly.id}"))
    assert "Hằng tháng, trước ngày 10" in text(browser.client.get(f"/tasks/{monthly.id}"))

    period_reports.generate(world["coord"], through=date(2026, 2, 28))
    # January's is the task's own first cycle (due 10/01): its reports begin with February's
    assert [r.nominal_due for r in reports("period_report", monthly)] == [date(2026, 2, 10)]
    assert reports("period_report", weekly) == [] and reports("period_report", half) == []


# ---------------------------------------------------------------- coverage

@pytest.fixture
def march(world, frozen):
    """March 2026: an ongoing task and the agency report of Sở Công Thương, Sở Tài chính's agency
    report, and Sở Y tế leading a task created after the reports were generated."""
    frozen.moment = datetime(2026, 3, 10, 1, 0)
    holidays.ensure_defaults()
    ongoing = recurring_task(world, "ongoing", "Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW")
    create.create_task(world["coord"], title="Ban hành kế hoạch", lead_agency=COLLAB_A, output_type="plan",
                      due_date=date(2026, 6, 30))
    assert period_reports.generate(world["coord"], through=date(2026, 3, 31)) == {"created": 3, "existing": 0}
    create.create_task(world["coord"], title="Xây dựng cơ sở dữ liệu y tế", lead_agency=OTHER,
                      output_type="plan", due_date=date(2026, 9, 30))
    [lead_report] = [r for r in reports("agency_report") if r.lead_agency.name == LEAD]
    for step in ("draft", "signoff", "confirm"):
        act(world, lead_report, step)
    [task_report] = reports("period_report", ongoing)
    act(world, task_report, "draft")  # started, now with the head for sign-off
    return {"world": world, "ongoing": ongoing, "lead_report": lead_report, "task_report": task_report,
            "clock": frozen}


def test_coverage_lists_who_has_and_has_not_reported(march):
    rows = period_reports.coverage("2026-03")
    by_title = {r.title: r for r in rows}
    # agencies in Vietnamese order, each agency's own report before its tasks' reports
    assert [(r.agency.name, r.kind) for r in rows] == [
        (LEAD, "agency_report"), (LEAD, "period_report"), (COLLAB_A, "agency_report"), (OTHER, "agency_report")]
    done = by_title[f"Báo cáo định kỳ tháng 03/2026 của {LEAD}"]
    assert (done.status, done.bucket, done.step, done.task.id) == ("done_on_time", "reported", None,
                                                                   march["lead_report"].id)
    started = by_title["Báo cáo tháng 03/2026: Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW"]
    assert (started.bucket, started.step, started.parent.id) == ("in_progress", "Lãnh đạo đơn vị ký duyệt",
                                                                 march["ongoing"].id)
    assert started.holder == LEAD
    waiting = by_title[f"Báo cáo định kỳ tháng 03/2026 của {COLLAB_A}"]
    # its process started (the report waits at its first step): under way, not yet reported
    assert (waiting.status, waiting.bucket, waiting.step) == ("in_progress", "not_reported", "Xây dựng báo cáo/văn bản")
    missing = by_title[f"Báo cáo định kỳ tháng 03/2026 của {OTHER}"]
    assert (missing.status, missing.bucket, missing.task, missing.due) == (
        periods.NOT_CREATED, "not_reported", None, date(2026, 3, 20))
    assert period_reports.summary(rows) == {"reported": 1, "in_progress": 1, "not_reported": 2, "overdue": 0}

    march["clock"].moment = datetime(2026, 3, 25, 1, 0)  # past the 20th
    rows = period_reports.coverage("2026-03")
    assert period_reports.summary(rows) == {"reported": 1, "in_progress": 0, "not_reported": 0, "overdue": 3}
    assert period_reports.coverage("2026-02") == []  # nothing was active in February
    assert {r.agency.name for r in period_reports.coverage("2026-04")} == {LEAD, COLLAB_A, OTHER}  # all still to create


def test_a_report_done_after_its_due_date_counts_as_reported_late(march):
    march["clock"].moment = datetime(2026, 3, 25, 1, 0)
    [report] = [r for r in reports("agency_report") if r.lead_agency.name == COLLAB_A]
    for step, user in (("draft", "collab_a"), ("signoff", "collab_a_head"), ("confirm", "coord")):
        act(march["world"], report, step, user=user)
    [row] = [r for r in period_reports.coverage("2026-03") if r.task is not None and r.task.id == report.id]
    assert (row.status, row.bucket, row.step) == ("done_late", "reported", None)


def test_a_report_sent_back_says_so_beside_the_step_it_waits_at(march, browser: Browser):
    """Returned by the agency head, the report read "Đang thực hiện / Xây dựng báo cáo/văn bản" like one nobody had
    written yet: the coordinator could not tell a report being redone from one not begun."""
    task_report = march["task_report"]
    act(march["world"], task_report, "signoff", "return", "Đề nghị bổ sung số liệu tháng 3.")
    [row] = [r for r in period_reports.coverage("2026-03") if r.task is not None and r.task.id == task_report.id]
    assert (row.step, row.returned) == ("Xây dựng báo cáo/văn bản", True)
    assert [r.task.id for r in period_reports.coverage("2026-03") if r.returned] == [task_report.id]
    browser.login("coord")
    [line] = [r for r in text(browser.client.get("/reports?period=2026-03")).split("<tr")
              if "Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW" in r]
    assert "Xây dựng báo cáo/văn bản <span class=\"chip chip-temporary\">Bị trả lại</span>" in line


def text(response) -> str:
    return response.get_data(as_text=True)


def test_coverage_page_for_the_coordinator(app, browser: Browser, march):
    browser.login("coord")
    r = browser.client.get("/reports?period=2026-03&kind=monthly")
    assert r.status_code == 200
    page = text(r)
    assert "Báo cáo định kỳ: Tháng 03/2026" in page
    for label in ("Đã báo cáo", "Đang thực hiện", "Chưa báo cáo", "Quá hạn"):
        assert label in page
    assert f'href="/tasks/{march["lead_report"].id}"' in page
    assert "Hoàn thành đúng hạn" in page and "Đang thực hiện" in page and "Chưa khởi tạo" in page
    # the row says what the summary counts: a report nobody has touched is "Chưa báo cáo", not "Đang thực hiện"
    [waiting] = [row for row in page.split("<tr") if f"tháng 03/2026 của {COLLAB_A}" in row]
    assert "Chưa báo cáo" in waiting and "Đang thực hiện" not in waiting
    assert "Lãnh đạo đơn vị ký duyệt" in page and "20/03/2026" in page
    assert "1 báo cáo của kỳ này chưa được khởi tạo" in page  # Sở Y tế's report
    assert 'action="/reports/generate"' in page
    assert 'href="/reports?period=2026-02"' in page and 'href="/reports?period=2026-04"' in page
    assert "Tháng 03/2026" in text(browser.client.get("/reports"))  # today's period by default
    assert "Báo cáo định kỳ: Quý I/2026" in text(browser.client.get("/reports?period=2026-03&kind=quarterly"))
    assert browser.client.get("/reports?period=2026-13").status_code == 404


def test_coverage_page_is_for_coordinators_viewers_and_admins(app, browser: Browser, march):
    for username in ("viewer", "admin"):
        browser.login(username)
        assert browser.client.get("/reports?period=2026-03").status_code == 200, username
    for username in ("officer", "head", "approver"):
        browser.login(username)
        assert browser.client.get("/reports?period=2026-03").status_code == 403, username
    assert app.test_client().get("/reports").status_code == 302  # to the login page


def test_coverage_page_empty_state(app, browser: Browser, world, frozen):
    browser.login("coord")
    page = text(browser.client.get("/reports?period=2026-03"))
    assert "Kỳ này không có báo cáo nào phải nộp" in page and "06:00 mỗi sáng" in page


def test_the_coordinator_creates_the_missing_reports_from_the_page(app, browser: Browser, march):
    browser.login("coord")
    token = browser.csrf("/reports?period=2026-03")

    r = browser.client.post("/reports/generate", data={"csrf_token": token, "period": "2026-03"})

    assert r.status_code == 302 and r.headers["Location"].endswith("/reports?period=2026-03")
    page = text(browser.client.get(r.headers["Location"]))
    assert "Đã tạo 1 báo cáo định kỳ mới" in page  # Sở Y tế's, for March
    assert "chưa được khởi tạo" not in page and 'action="/reports/generate"' not in page
    again = browser.client.post("/reports/generate", data={"csrf_token": token, "period": "2026-03"})
    assert "Không có báo cáo nào cần tạo thêm" in text(browser.client.get(again.headers["Location"]))
    assert len(period_reports.coverage("2026-03")) == 4 and all(r.task for r in period_reports.coverage("2026-03"))


def test_only_coordinators_create_reports_and_not_for_a_period_yet_to_begin(app, browser: Browser, march):
    browser.login("viewer")
    page = text(browser.client.get("/reports?period=2026-03"))
    assert "chưa được khởi tạo" in page and 'action="/reports/generate"' not in page
    token = browser.csrf("/reports?period=2026-03")
    assert browser.client.post("/reports/generate", data={"csrf_token": token}).status_code == 403
    assert period_reports.coverage("2026-03")[-1].task is None  # nothing was created

    browser.login("coord")
    future = text(browser.client.get("/reports?period=2026-05"))
    assert "Kỳ này chưa bắt đầu" in future and 'action="/reports/generate"' not in future
    assert browser.client.post("/reports/generate", data={"period": "2026-03"}).status_code == 400  # no CSRF


# ---------------------------------------------------------------- command line

def test_generate_reports_command(app, world, january):
    from views.reports import register_cli

    if "generate-reports" not in app.cli.commands:
        register_cli(app)
    recurring_task(world, "ongoing", "Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["generate-reports", "--through", "2026-02-10"])
    assert result.exit_code == 0, result.output
    assert "Đã tạo 4 báo cáo định kỳ mới; 0 báo cáo đã có từ trước" in result.output
    assert "10/02/2026" in result.output
    again = runner.invoke(args=["generate-reports", "--through", "2026-02-10", "--user", "x_coord"])
    assert "Đã tạo 0 báo cáo định kỳ mới; 4 báo cáo đã có từ trước" in again.output
    today = runner.invoke(args=["generate-reports"])  # through today, 05/01/2026
    assert "Đã tạo 0 báo cáo định kỳ mới; 2 báo cáo đã có từ trước" in today.output
    refused = runner.invoke(args=["generate-reports", "--user", "officer"])
    assert refused.exit_code != 0 and "Chỉ Tổ giúp việc" in refused.output
    unknown = runner.invoke(args=["generate-reports", "--user", "khong-co"])
    assert unknown.exit_code != 0 and "Không tìm thấy người dùng" in unknown.output


def test_a_merged_agency_s_own_report_is_no_longer_owed_and_a_task_s_report_follows_the_task(march):
    """After a ward merged, its successor's officer had to file two reports of the month, one in the name of a
    ward that no longer exists."""
    from workflows.tasks import agency_changes, fanout, reads

    world = march["world"]
    [owed] = [r for r in reports("agency_report") if r.lead_agency.name == COLLAB_A]
    assert open_items(owed)
    march["clock"].moment = datetime(2026, 3, 12, 1, 0)  # (a merge is made on its day or after)
    done = agency_changes.merge_agency(None, COLLAB_A, OTHER, date(2026, 3, 12), "Nghị quyết số 1/NQ", users="keep")
    db.session.expire_all()
    assert owed.kind == fanout.WITHDRAWN and not open_items(owed) and done.withdrawn == 1
    assert not [i for i in reads.inbox(world["x_officer"]) if i.task_id == owed.id]
    assert all(r.task is None or r.task.id != owed.id for r in period_reports.coverage("2026-03"))
    assert "Không còn phải báo cáo" in db.session.scalars(select(AuditEvent.comment).where(
        AuditEvent.task_id == owed.id, AuditEvent.action == "withdrawn")).one()
    task_report = march["task_report"]
    agency_changes.merge_agency(None, LEAD, OTHER, date(2026, 3, 12), "Nghị quyết số 1/NQ", users="keep")
    db.session.expire_all()
    assert task_report.lead_agency.name == OTHER and task_report.kind == "period_report"


def test_a_report_of_a_month_over_before_the_merge_is_still_owed_by_the_successor(march):
    """The merged ward's report of a month that ended before the merge was owed then: withdrawing it hid an
    overdue report and lowered that month's count; it passes to the successor as it stands."""
    from workflows.tasks import agency_changes

    [owed] = [r for r in reports("agency_report") if r.lead_agency.name == COLLAB_A]
    assert owed.period == "2026-03" and open_items(owed)
    march["clock"].moment = datetime(2026, 4, 1, 1, 0)  # (a merge is made on its day or after)
    agency_changes.merge_agency(None, COLLAB_A, OTHER, date(2026, 4, 1), "Nghị quyết số 1/NQ", users="keep")
    db.session.expire_all()
    assert (owed.kind, owed.lead_agency.name, owed.former_leads) == ("agency_report", OTHER, [COLLAB_A])
    assert {i.agency.name for i in open_items(owed)} == {OTHER}


def test_the_friday_pack_names_the_periodic_reports_due_that_week_and_who_has_not_sent_his(march, browser: Browser):
    """The week of the 20th holds every monthly report: the pack said "0 completions, 0 newly overdue" while
    agencies' reports were due and not sent."""
    from workflows.reporting import week_pack

    march["clock"].moment = datetime(2026, 3, 27, 1, 0)
    pack = week_pack.week_pack(march["world"]["viewer"], date(2026, 3, 20))
    assert len(pack.reports_due) == 3  # Sở Công Thương's own (sent), its task's (under way), Sở Tài chính's
    assert [t.id for t in pack.reports_due][-1] == march["lead_report"].id  # the one sent comes last
    assert {t.lead_agency.name for t in pack.reports_missing} == {LEAD, COLLAB_A}
    assert (pack.counts["reports_due"], pack.counts["reports_missing"]) == (3, 2)
    browser.login("coord")
    page = text(browser.client.get("/exports/week?week=20/03/2026"))
    assert "9. Báo cáo định kỳ đến hạn trong tuần (3)" in page and page.count("<strong>Chưa gửi</strong>") == 2
    # printed on the Wednesday, the pack counts no Friday report as missing yet
    march["clock"].moment = datetime(2026, 3, 18, 1, 0)
    wednesday = week_pack.week_pack(march["world"]["viewer"], date(2026, 3, 18))
    assert wednesday.reports_missing == [] and {wednesday.report_state(t) for t in wednesday.reports_due} == {
        "not_due", "sent"}
    page = text(browser.client.get("/exports/week?week=18/03/2026"))
    assert "Chưa đến hạn" in page and "Gửi 10/03/2026" in page and "<strong>Chưa gửi</strong>" not in page


def test_the_friday_pack_still_names_the_reports_not_sent_after_their_week(march, browser: Browser, monkeypatch):
    """Ten reports of October and November still unsent, and the pack of December said "0 chưa gửi": a report was
    named only in the week its deadline fell in."""
    from workflows.reporting import week_pack

    march["clock"].moment = datetime(2026, 4, 3, 1, 0)
    pack = week_pack.week_pack(march["world"]["viewer"], date(2026, 3, 30))
    assert pack.reports_due == [] and {t.lead_agency.name for t in pack.reports_owed} == {LEAD, COLLAB_A}
    assert pack.counts["reports_owed"] == 2
    browser.login("coord")
    page = text(browser.client.get("/exports/week?week=30/03/2026"))
    assert "Báo cáo định kỳ các kỳ trước vẫn chưa gửi (2)" in page
    days = (date(2026, 4, 3) - pack.reports_owed[0].due_date).days
    assert page.count(f"<strong>quá {days} ngày</strong>") == 2
    document = docx.Document(io.BytesIO(browser.client.get("/exports/week.docx?week=30/03/2026").data))
    assert "2 báo cáo định kỳ các kỳ trước vẫn chưa gửi" in "\n".join(p.text for p in document.paragraphs)
    # 166 communes owing months: the longest owed are listed, the rest counted
    monkeypatch.setattr(week_pack, "OWED_LIMIT", 1)
    page = text(browser.client.get("/exports/week?week=30/03/2026"))
    assert page.count(f"<strong>quá {days} ngày</strong>") == 1 and "Và 1 báo cáo khác:" in page
    document = docx.Document(io.BytesIO(browser.client.get("/exports/week.docx?week=30/03/2026").data))
    assert "Và 1 báo cáo khác (trang “Báo cáo định kỳ”)." in "\n".join(p.text for p in document.paragraphs)


def test_the_period_report_counts_the_ongoing_tasks_apart(march, browser: Browser):
    """Every report read "Nhiệm vụ thường xuyên: 0 nhiệm vụ (0,0%)" while the dashboard showed three: no deadline
    puts an ongoing task in a period."""
    browser.login("coord")
    document = docx.Document(io.BytesIO(browser.client.get("/exports/report.docx?period=2026-03").data))
    body = "\n".join(p.text for p in document.paragraphs)
    assert ("- Nhiệm vụ thường xuyên (không có thời hạn trong kỳ, không tính vào tổng số trên): 1 nhiệm vụ đang "
            "thực hiện.") in body
    [figures] = [t for t in document.tables if t.rows[0].cells[0].text == "Chỉ tiêu"]
    assert ["Thường xuyên (ngoài tổng số)", "1", "—"] in [[c.text for c in r.cells] for r in figures.rows]
    [agencies] = [t for t in document.tables if t.rows[0].cells[1].text == "Đơn vị chủ trì"]
    rows = {r.cells[1].text: [c.text for c in r.cells[2:]] for r in agencies.rows if r.cells[-1].text.isdigit()}
    assert rows[LEAD][-1] == "1" and rows["Tổng cộng"][-1] == "1"
    assert sum(int(r[-1]) for name, r in rows.items() if name != "Tổng cộng") == 1


def test_a_monthly_task_s_own_cycle_is_its_first_month_and_no_report_repeats_it(world, january):
    """"Hằng tháng" is due on the first 20th (the task's own cycle delivers it), and the generator made December's
    report too: two work items, two reminders the same day, for one duty."""
    task = create.create_task(world["coord"], title="Cập nhật số liệu chuyển đổi số", lead_agency=LEAD,
                              output_type="report", deadline_text="Hằng tháng")
    assert (task.recurrence, task.nominal_due) == ("monthly", date(2026, 1, 20))
    closed = create.create_task(world["coord"], title="Phần việc đã kết thúc", lead_agency=COLLAB_A,
                                output_type="result", deadline_text="Thường xuyên")
    closed.state = "closed"  # (a member's share ended with its group's task owes no report either)
    db.session.commit()
    period_reports.generate(world["coord"], through=date(2026, 3, 31))
    assert [r.period for r in reports("period_report", task)] == ["2026-02", "2026-03"]
    assert reports("period_report", closed) == []
