"""Scorecards (issue 18): per unit and period, the tasks due, done on time and late, within and past the
deadline, the on-time rate, days late and returns; ranked; every figure links to its tasks; as .xlsx."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest

from models import db
from tests.conftest import LEAD, OTHER, act, new_task, open_items
from workflows import clock
from workflows.reporting import scorecard
from workflows.tasks import create, status


def finish(world, task, user_for=None, decided: str = "2026-05-20") -> None:
    for _ in range(20):
        items = open_items(task)
        if not items:
            return
        step = items[0].step_id
        data = {"report": {"decision_date": decided}, "assign": {"assignee": (user_for or {}).get("draft",
                                                                                                 "officer")}}
        act(world, task, step, user=(user_for or {}).get(step), data=data.get(step))


@pytest.fixture
def year(world, frozen):
    """Sở Công Thương: one task done on time, one done late after a return, one overdue, one within its
    deadline; Sở Y tế: one done on time. Today is 01/09/2026."""
    on_time = new_task(world, collaborators=(), due=date(2026, 6, 30), title="Đúng hạn")
    late = new_task(world, collaborators=(), due=date(2026, 3, 31), title="Trễ hạn")
    overdue = new_task(world, collaborators=(), due=date(2026, 8, 31), title="Nhiệm vụ chưa xong, đã qua hạn")
    within = new_task(world, collaborators=(), due=date(2026, 12, 31), title="Nhiệm vụ chưa xong, còn hạn")
    other = create.create_task(world["coord"], title="Sở khác", lead_agency=OTHER, output_type="plan",
                               due_date=date(2026, 6, 30))
    act(world, late, "assign")
    act(world, late, "draft")
    act(world, late, "finalise")
    act(world, late, "signoff", decision="return")
    frozen.moment = datetime(2026, 4, 10, 2, 0)  # 10/04/2026: ten days after its deadline
    finish(world, late, decided="2026-04-09")
    frozen.moment = datetime(2026, 5, 25, 2, 0)
    finish(world, on_time)
    finish(world, other, {"assign": "x_head", "signoff": "x_head", "draft": "x_officer", "finalise": "x_officer",
                          "report": "x_officer"})
    frozen.moment = datetime(2026, 9, 1, 2, 0)
    db.session.commit()
    return {"overdue": overdue.code, "within": within.code}


def test_a_unit_s_figures_and_the_ranking(year):
    rows = {r.agency: r for r in scorecard.scorecard("2026", clock.today())}
    mine = rows[LEAD]
    assert (mine.due, mine.on_time, mine.late, mine.within, mine.overdue) == (4, 1, 1, 1, 1)
    assert mine.rate == pytest.approx(100 / 3)
    assert mine.average_days_late == pytest.approx((10 + 1) / 2)  # 10 days late, 1 day overdue (31/08 → 01/09)
    assert mine.returns_per_task == pytest.approx(1 / 4)
    assert (rows[OTHER].rate, rows[OTHER].rank, mine.rank) == (100.0, 1, 2)
    assert scorecard.scorecard("2025", clock.today()) == []  # nothing due that year


def test_the_page_links_each_figure_to_its_tasks_and_exports_the_ranking(year, browser, app):
    browser.login("coord")
    page = browser.client.get("/scorecards?period=2026").get_data(as_text=True)
    assert "Xếp hạng đơn vị: Năm 2026" in page and "33,3%" in page and "Tỷ lệ đúng hạn" in page  # decimal comma
    lead_id = scorecard.scorecard("2026")[1].agency_id
    links = {parse_qs(urlsplit(unescape(h)).query)["status"][0]: unescape(h) for h in re.findall(
        rf'href="(/tasks\?[^"]*lead={lead_id}[^"]*status=[^"]*)"', page)}
    assert set(links) == {"done_on_time", "done_late", "within", "overdue"}
    within = browser.client.get(links["within"]).get_data(as_text=True)
    assert year["within"] in within and year["overdue"] not in within
    overdue = browser.client.get(links["overdue"]).get_data(as_text=True)
    assert year["overdue"] in overdue and year["within"] not in overdue
    export = browser.client.get("/scorecards/xlsx?period=2026")
    assert export.status_code == 200 and export.headers["Cache-Control"] == "no-store"  # (as every export)
    sheet = openpyxl.load_workbook(io.BytesIO(export.data)).active
    assert sheet["A1"].value == "BẢNG XẾP HẠNG KẾT QUẢ THỰC HIỆN NHIỆM VỤ CỦA CÁC ĐƠN VỊ"
    assert [c.value for c in sheet[5]][:8] == [1, OTHER, 1, 1, 0, 0, 0, 100]
    assert [c.value for c in sheet[6]][1:8] == [LEAD, 4, 1, 1, 1, 1, 33.3]
    empty = openpyxl.load_workbook(io.BytesIO(browser.client.get("/scorecards/xlsx?period=2025-08").data)).active
    assert empty["A5"].value == "Không có nhiệm vụ nào có thời hạn trong kỳ này."  # as the page says, not a bare table
    officer = type(browser)(app.test_client())
    officer.login("officer")
    assert officer.client.get("/scorecards").status_code == 403


def test_the_period_report_carries_the_same_ranking(year, browser):
    import docx

    browser.login("coord")
    response = browser.client.get("/exports/report.docx?period=2026")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    document = docx.Document(io.BytesIO(response.data))
    ranking = next(t for t in document.tables if t.rows[0].cells[0].text == "Hạng")
    rows = [[c.text for c in r.cells] for r in ranking.rows[1:]]
    # the columns of the page, so that a row adds up (without "Trong hạn", Sở Công Thương read "Đến hạn 4" beside
    # 1 + 1 + 1); the decimal comma, as in its other tables
    assert rows == [["1", OTHER, "1", "1", "0", "0", "0", "100,0%", "0,0"],
                    ["2", LEAD, "4", "1", "1", "1", "1", "33,3%", "5,5"]]


def test_a_period_report_of_one_unit_ranks_the_tasks_it_reports(year, browser):
    """A report narrowed by its filters (here: the tasks Sở Y tế leads) ranks what it reports, not every unit."""
    import docx

    other = next(r for r in scorecard.scorecard("2026") if r.agency == OTHER)
    browser.login("coord")
    response = browser.client.get(f"/exports/report.docx?period=2026&agency={other.agency_id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    document = docx.Document(io.BytesIO(response.data))
    ranking = next(t for t in document.tables if t.rows[0].cells[0].text == "Hạng")
    assert [[c.text for c in r.cells] for r in ranking.rows[1:]] == [["1", OTHER, "1", "1", "0", "0", "0",
                                                                      "100,0%", "0,0"]]


def test_an_ongoing_task_beside_a_first_date_counts_by_that_date_everywhere(year, world):
    """002's "- Tháng 8/2025 - Thường xuyên": the plan is due at the end of August, then the work goes on. It was
    "Thường xuyên" on the dashboard and in the report but "Trong hạn" here (whose link then listed no task); it
    is due, and on 01/09/2026 overdue, on every page alike — and the row adds up."""
    ongoing = create.create_task(world["coord"], title="Cập nhật dữ liệu thường xuyên", lead_agency=LEAD,
                                 output_type="report", deadline_text="- Tháng 8/2026 - Thường xuyên")
    assert ongoing.recurrence == "ongoing" and ongoing.due_date is not None
    assert status.of(ongoing) == "overdue"
    mine = {r.agency: r for r in scorecard.scorecard("2026", clock.today())}[LEAD]
    assert (mine.due, mine.on_time, mine.late, mine.within, mine.overdue) == (5, 1, 1, 1, 2)
    assert mine.due == mine.on_time + mine.late + mine.within + mine.overdue


def test_units_that_tie_are_in_vietnamese_order():
    """"UBND phường Đông Tiến" came after "UBND phường Tĩnh Gia": byte order puts Đ after every Latin letter."""
    rows = [scorecard.ScoreRow(i, name) for i, name in enumerate(
        ["UBND phường Tĩnh Gia", "UBND phường Đông Tiến", "UBND phường Đào Duy Từ", "UBND phường Bỉm Sơn"])]
    assert [r.agency for r in scorecard.rank(rows)] == [
        "UBND phường Bỉm Sơn", "UBND phường Đào Duy Từ", "UBND phường Đông Tiến", "UBND phường Tĩnh Gia"]
