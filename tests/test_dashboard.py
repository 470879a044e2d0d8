"""“Theo dõi tiến độ”: every figure against counts worked out by hand from a seeded province.

The scene is built with the real use cases on the frozen clock (01/03/2026 08:00, Hà Nội):
day 0 creates six tasks and moves some of them, day 15 two more, day 20 (today, 21/03/2026)
finishes one late and creates an overdue one, a periodic report that must not count, and a task
already done when it was assigned. DUE_SOON_DAYS is 3, so "sắp đến hạn" is 21/03–24/03.

    task  lead agency       type    due         where it is today               status
    A     Sở Công Thương    plan    30/06/2026  Phân công chuyên viên (day 0)   in_progress (its process started)
    B     Sở Công Thương    plan    30/06/2026  Xây dựng dự thảo (day 0)        in_progress
    C     Sở Công Thương    report  05/03/2026  done on 01/03                   done_on_time
    D     Sở Tài chính      report  05/03/2026  Lãnh đạo đơn vị ký duyệt (d 0)  overdue
    E     Sở Y tế           report  10/03/2026  done on 21/03                   done_late
    F     Sở Công Thương    report  thường xuyên Xây dựng báo cáo/văn bản (d 0)  ongoing
    G     Sở Tài chính      plan    23/03/2026  Phân công chuyên viên (day 15)  due_soon
    H     Sở Y tế           letter  31/12/2026  Lãnh đạo đơn vị ký duyệt (d 15) in_progress
    I     Sở Công Thương    report  20/03/2026  Xây dựng báo cáo/văn bản (d 20) overdue
    K     Sở Y tế           result  31/03/2026  done at issue (15/01)           done_on_time
    R     Sở Công Thương    agency report, overdue, waiting since day 20: never counted
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

import lxml.html
import pytest
from sqlalchemy import select

from models import Agency, Directive, db
from tests.conftest import COLLAB_A, LEAD, OTHER, act, item_at, new_task
from views.helpers import days_since
from workflows import clock
from workflows.reporting import filters, progress, register
from workflows.tasks import create, scope, status

SVG = "{http://www.w3.org/2000/svg}"
ALL = scope.Filters()
ZEROS = dict.fromkeys(status.STATUSES, 0)


def make(world, title, lead, output_type, due, **kwargs):
    return create.create_task(world["coord"], title=title, lead_agency=lead, output_type=output_type,
                             collaborating_agencies=[], due_date=due, **kwargs)


@pytest.fixture
def scene(world, frozen):
    directive = Directive(number="266-KH/TU", issued_on=date(2025, 4, 26), title="Kế hoạch 266")
    db.session.add(directive)
    db.session.commit()
    one = {"directive_id": directive.id, "section": "I. Nhiệm vụ chung"}
    t = {}
    # day 0: 01/03/2026
    t["A"] = make(world, "A Đề án chuyển đổi số", LEAD, "plan", date(2026, 6, 30), **one)
    t["B"] = make(world, "B Kế hoạch dữ liệu số", LEAD, "plan", date(2026, 6, 30), **one)
    act(world, t["B"], "assign")
    t["C"] = make(world, "C Báo cáo quý I", LEAD, "report", date(2026, 3, 5), **one)
    for step in ("draft", "signoff", "confirm"):
        act(world, t["C"], step)
    t["D"] = make(world, "D Báo cáo ngân sách", COLLAB_A, "report", date(2026, 3, 5), section="II. Chuyển đổi số")
    act(world, t["D"], "draft", user="collab_a")
    t["E"] = make(world, "E Báo cáo y tế số", OTHER, "report", date(2026, 3, 10), section="II. Chuyển đổi số")
    act(world, t["E"], "draft", user="x_officer")
    t["F"] = make(world, "F Báo cáo thường xuyên", LEAD, "report", None, recurrence="ongoing")
    # day 15: 16/03/2026
    frozen.advance(days=15)
    t["G"] = make(world, "G Đề án tài chính số", COLLAB_A, "plan", date(2026, 3, 23))
    t["H"] = make(world, "H Văn bản hướng dẫn", OTHER, "letter", date(2026, 12, 31))
    act(world, t["H"], "draft", user="x_officer")
    # day 20: 21/03/2026, today
    frozen.advance(days=5)
    act(world, t["E"], "signoff", user="x_head")
    act(world, t["E"], "confirm")
    t["I"] = make(world, "I Báo cáo tháng 3", LEAD, "report", date(2026, 3, 20))
    t["R"] = make(world, "R Báo cáo định kỳ của đơn vị", LEAD, "report", date(2026, 3, 20), kind="agency_report",
                  period="2026-03", period_key="agency:test:2026-03")
    t["K"] = make(world, "K Hội thảo đã tổ chức", OTHER, "result", date(2026, 3, 31), done_on=date(2026, 1, 15))
    assert clock.today() == date(2026, 3, 21)
    ids = {a.name: a.id for a in db.session.scalars(select(Agency))}
    return {"tasks": t, "directive": directive, "agency": ids}


def test_status_totals_count_real_tasks_by_the_status_rule(scene):
    assert progress.status_totals(ALL) == {
        "not_started": 0, "in_progress": 3, "due_soon": 1, "overdue": 2,
        "done_on_time": 2, "done_late": 1, "ongoing": 1}
    # the same rule as each task's own status (the periodic report R is left out)
    tasks = [t for key, t in scene["tasks"].items() if key != "R"]
    by_rule = dict(ZEROS)
    for task in tasks:
        by_rule[status.compute(task, clock.today(), 3)] += 1
    assert progress.status_totals(ALL) == by_rule


def test_agency_table_by_default_most_overdue_first(scene):
    rows = progress.agency_table(ALL)
    assert [(r.agency, r.assigned, r.done_on_time, r.done_late, r.in_progress, r.due_soon, r.overdue,
             r.not_started, r.ongoing) for r in rows] == [
        ("Sở Công Thương", 5, 1, 0, 2, 0, 1, 0, 1),  # overdue 1, ties broken A→Z
        ("Sở Tài chính", 2, 0, 0, 0, 1, 1, 0, 0),
        ("Sở Y tế", 3, 1, 1, 1, 0, 0, 0, 0),
    ]
    assert rows[0].agency_id == scene["agency"][LEAD]


@pytest.mark.parametrize(("sort", "descending", "expected"), [
    ("assigned", False, ["Sở Tài chính", "Sở Y tế", "Sở Công Thương"]),
    ("assigned", True, ["Sở Công Thương", "Sở Y tế", "Sở Tài chính"]),
    ("agency", False, ["Sở Công Thương", "Sở Tài chính", "Sở Y tế"]),
    ("agency", True, ["Sở Y tế", "Sở Tài chính", "Sở Công Thương"]),
    ("done_on_time", True, ["Sở Công Thương", "Sở Y tế", "Sở Tài chính"]),
    ("due_soon", True, ["Sở Tài chính", "Sở Công Thương", "Sở Y tế"]),
    ("nonsense", True, ["Sở Công Thương", "Sở Tài chính", "Sở Y tế"]),  # falls back to overdue
])
def test_agency_table_sorting(scene, sort, descending, expected):
    assert [r.agency for r in progress.agency_table(ALL, sort, descending)] == expected


def test_step_board_counts_waits_and_agencies(scene):
    rows = progress.step_board(ALL)
    assert [(r.step_name, r.waiting, r.median_wait_days, r.longest_wait_days, r.agencies) for r in rows] == [
        ("Lãnh đạo đơn vị ký duyệt", 2, 12.5, 20.0, ["Sở Tài chính", "Sở Y tế"]),  # D day 0, H day 15
        ("Phân công chuyên viên", 2, 12.5, 20.0, ["Sở Công Thương", "Sở Tài chính"]),  # A day 0, G day 15
        ("Xây dựng báo cáo/văn bản", 2, 10.0, 20.0, ["Sở Công Thương"]),  # F day 0, I day 20 (not R)
        ("Xây dựng dự thảo", 1, 20.0, 20.0, ["Sở Công Thương"]),  # B day 0
    ]


def test_step_board_counts_items_stuck_at_each_step(scene):
    assert [(r.step_name, r.stuck) for r in progress.step_board(ALL, stuck_days=3)] == [
        ("Lãnh đạo đơn vị ký duyệt", 2), ("Phân công chuyên viên", 2), ("Xây dựng báo cáo/văn bản", 1),
        ("Xây dựng dự thảo", 1)]
    assert sum(r.stuck for r in progress.step_board(ALL, stuck_days=10)) == progress.stuck_count(ALL, 10) == 4


def test_totals_of_the_agency_table_equal_the_status_totals(scene):
    for args in ({}, {"output_type": "report"}, {"period": "2026-03"}):
        f = scope.filters_from(args)
        assert progress.totals_of(progress.agency_table(f)) == progress.status_totals(f)


def test_step_board_median_of_an_odd_count(scene, world, frozen):
    frozen.advance(days=2)  # day 22: A waits 22 days, G 7, and L arrives today
    make(world, "L Đề án mới", OTHER, "plan", date(2026, 9, 30))
    row = next(r for r in progress.step_board(ALL) if r.step_name == "Phân công chuyên viên")
    assert (row.waiting, row.median_wait_days, row.longest_wait_days) == (3, 7.0, 22.0)
    assert row.agencies == ["Sở Công Thương", "Sở Tài chính", "Sở Y tế"]


def test_stuck_lists_items_waiting_longer_than_n_days_longest_first(scene):
    t = scene["tasks"]
    rows = progress.stuck(ALL, 10)
    assert [(r.code, r.step_name, r.holder, r.agency, r.days) for r in rows] == [
        (t["A"].code, "Phân công chuyên viên", "Sở Công Thương", "Sở Công Thương", 20.0),
        (t["B"].code, "Xây dựng dự thảo", "Ông/Bà officer", "Sở Công Thương", 20.0),
        (t["D"].code, "Lãnh đạo đơn vị ký duyệt", "Sở Tài chính", "Sở Tài chính", 20.0),
        (t["F"].code, "Xây dựng báo cáo/văn bản", "Sở Công Thương", "Sở Công Thương", 20.0),
    ]
    assert rows[0].task_id == t["A"].id and rows[0].title == t["A"].title
    assert rows[0].since == clock.now() - timedelta(days=20)
    assert [r.code for r in progress.stuck(ALL, 3)] == [t[k].code for k in "ABDFGH"]
    assert progress.stuck(ALL, 20) == []  # waiting exactly 20 days is not longer than 20
    assert progress.stuck_count(ALL, 3) == 6
    page = progress.stuck_page(ALL, 3, page=2, per_page=4)
    assert [r.code for r in page.items] == [t["G"].code, t["H"].code] and page.total == 6 and page.pages == 2


@pytest.mark.parametrize(("args", "expected"), [
    ({"output_type": "report"}, {"done_on_time": 1, "overdue": 2, "done_late": 1, "ongoing": 1}),
    ({"period": "2026-03"}, {"done_on_time": 2, "overdue": 2, "done_late": 1, "due_soon": 1}),
    ({"period": "2026-q2"}, {"in_progress": 2}),
    ({"period": "2026-H1"}, {"in_progress": 2, "done_on_time": 2, "overdue": 2, "done_late": 1,
                             "due_soon": 1}),
    ({"period": "2026-H2"}, {"in_progress": 1}),
    ({"period": "2026"}, {"in_progress": 3, "due_soon": 1, "overdue": 2, "done_on_time": 2,
                          "done_late": 1}),
    ({"period": "2025"}, {}),
    ({"section": "II. Chuyển đổi số"}, {"overdue": 1, "done_late": 1}),
    ({"section": "I.  Nhiệm vụ  chung "}, {"in_progress": 2, "done_on_time": 1}),
])
def test_filters(scene, args, expected):
    assert progress.status_totals(scope.filters_from(args)) == {**ZEROS, **expected}


def test_filters_by_directive_and_lead_agency(scene):
    by_directive = scope.filters_from({"directive": str(scene["directive"].id)})
    assert progress.status_totals(by_directive) == {**ZEROS, "in_progress": 2, "done_on_time": 1}
    by_agency = scope.filters_from({"agency": str(scene["agency"][COLLAB_A])})
    assert progress.status_totals(by_agency) == {**ZEROS, "overdue": 1, "due_soon": 1}
    assert [(r.agency, r.assigned) for r in progress.agency_table(by_agency)] == [("Sở Tài chính", 2)]
    assert [(r.step_name, r.waiting) for r in progress.step_board(by_agency)] == [
        ("Lãnh đạo đơn vị ký duyệt", 1), ("Phân công chuyên viên", 1)]
    assert [r.code for r in progress.stuck(by_agency, 10)] == [scene["tasks"]["D"].code]
    both = scope.filters_from({"agency": str(scene["agency"][LEAD]), "output_type": "report"})
    assert progress.status_totals(both) == {**ZEROS, "done_on_time": 1, "overdue": 1, "ongoing": 1}


def test_bad_filter_values_are_ignored_with_a_reason(scene):
    args = {"directive": "999", "agency": "abc", "output_type": "xyz", "period": "2026-13", "section": "  "}
    assert scope.filters_from(args) == ALL
    problems = scope.filter_problems(args)
    assert len(problems) == 4 and any("2026-13" in p for p in problems)
    assert scope.filters_from({"period": "2026-q4"}).period == "2026-Q4"
    assert filters.stuck_days_from("abc", 10) == (10, filters.stuck_days_from("0", 10)[1])
    assert filters.stuck_days_from(" 7 ", 10) == (7, None)


# ---------------------------------------------------------------- the page


def page_of(browser, username="coord", **params):
    browser.login(username)
    response = browser.client.get("/dashboard", query_string=params)
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    return html, lxml.html.fromstring(html)


def figure(doc, name) -> str:
    found = doc.xpath(f'//*[@data-figure="{name}"]')
    assert len(found) == 1, name
    return found[0].text_content().strip()


def agency_rows(doc) -> list[list[str]]:
    table = doc.xpath('//table[contains(@class,"agency-table")]')[0]
    return [[cell.text_content().strip() for cell in row.xpath("./th|./td")]
            for row in table.xpath("./tbody/tr|./tfoot/tr")]


def test_page_shows_every_figure(scene, browser):
    html, doc = page_of(browser)
    assert {s: figure(doc, f"total-{s}") for s in status.STATUSES} == {
        "not_started": "0", "in_progress": "3", "due_soon": "1", "overdue": "2",
        "done_on_time": "2", "done_late": "1", "ongoing": "1"}
    assert figure(doc, "total-assigned") == "10"
    assert [figure(doc, f"group-{i}") for i in (1, 2, 3)] == ["3", "6", "1"]  # done, not done, ongoing
    # agency, assigned, done on time, done late, in progress, not started, due soon, overdue, ongoing
    assert agency_rows(doc) == [
        ["Sở Công Thương", "5", "1", "0", "2", "0", "0", "1", "1"],
        ["Sở Tài chính", "2", "0", "0", "0", "0", "1", "1", "0"],
        ["Sở Y tế", "3", "1", "1", "1", "0", "0", "0", "0"],
        ["Tổng cộng (3 đơn vị)", "10", "2", "1", "3", "0", "1", "2", "1"],
    ]
    assert [doc.xpath('//table[contains(@class,"step-table")]//tbody/tr/th')[i].text_content() for i in range(4)] == [
        "Lãnh đạo đơn vị ký duyệt", "Phân công chuyên viên", "Xây dựng báo cáo/văn bản", "Xây dựng dự thảo"]
    columns = ("waiting", "median", "longest", "stuck")
    assert [[figure(doc, f"step-{i}-{c}") for c in columns] for i in (1, 2, 3, 4)] == [
        ["2", "12,5", "20,0", "1"], ["2", "12,5", "20,0", "1"], ["2", "10,0", "20,0", "1"], ["1", "20,0", "20,0", "1"]]
    stuck = doc.xpath('//table[contains(@class,"stuck-table")]//tbody/tr')
    t = scene["tasks"]
    assert [row.xpath(".//a/@href")[0] for row in stuck] == [f"/tasks/{t[k].id}" for k in "ABDF"]
    assert "Việc tồn đọng quá 10 ngày ở một bước" in html
    assert "R Báo cáo định kỳ" not in html


def listed(browser, href: str) -> int:
    """How many tasks "Danh sách nhiệm vụ" lists at a figure's link."""
    html = browser.client.get(href).get_data(as_text=True)
    return len(lxml.html.fromstring(html).xpath('//table[contains(@class,"data-table")]/tbody/tr'))


def test_figures_link_to_exactly_the_tasks_they_count(scene, browser):
    _, doc = page_of(browser)
    lead = scene["agency"][LEAD]
    links = set(doc.xpath("//a/@href"))
    assert "/tasks?status=overdue&scope=dashboard" in links
    assert f"/tasks?scope=dashboard&lead={lead}&status=ongoing" in links
    assert "/tasks?step=Ph%C3%A2n+c%C3%B4ng+chuy%C3%AAn+vi%C3%AAn&scope=dashboard" in links
    [href] = doc.xpath('//a[.//*[@data-figure="total-done_late"]]/@href')
    assert href == "/tasks?status=done_late&scope=dashboard"
    lead_row = doc.xpath('//table[contains(@class,"agency-table")]/tbody/tr[th="Sở Công Thương"]')[0]
    assert lead_row.xpath("./td[3]/span") and not lead_row.xpath("./td[3]//a")  # done late: a zero is no link
    # following a figure lists that many tasks (the agency report the dashboard leaves out is not listed)
    for cell in doc.xpath('//table[contains(@class,"agency-table")]/tbody/tr/td[a]'):
        assert listed(browser, cell.xpath("./a/@href")[0]) == int(cell.text_content().strip())
    html = browser.client.get(f"/tasks?scope=dashboard&lead={lead}").get_data(as_text=True)
    assert "Đang xem các nhiệm vụ được tính trên trang “Theo dõi tiến độ”" in html
    assert "Đơn vị chủ trì: Sở Công Thương" in html


def test_parallel_opinions_count_as_items_and_say_how_many_tasks(world, frozen, browser):
    """Two agencies giving opinions on one task are two items waiting, and one task in the list they link to."""
    task = create.create_task(world["coord"], title="Đề án có hai đơn vị góp ý", lead_agency=LEAD, output_type="plan",
                             collaborating_agencies=[COLLAB_A, OTHER], due_date=date(2026, 6, 30))
    for step in ("assign", "draft"):
        act(world, task, step)
    [row] = [r for r in progress.step_board(ALL) if r.step_name == "Góp ý dự thảo"]
    assert (row.waiting, row.tasks) == (2, 1)
    _, doc = page_of(browser)
    [cell] = doc.xpath('//table[contains(@class,"step-table")]//tbody/tr[th="Góp ý dự thảo"]/td[1]')
    assert cell.xpath("./a")[0].text_content() == "2" and cell.xpath("./div")[0].text_content() == "của 1 nhiệm vụ"
    assert listed(browser, cell.xpath("./a/@href")[0]) == 1


def test_page_filters_and_stuck_days(scene, browser, app, monkeypatch):
    fin = scene["agency"][COLLAB_A]
    html, doc = page_of(browser, agency=fin, days=3)
    assert figure(doc, "total-overdue") == "1" and figure(doc, "total-due_soon") == "1"
    assert figure(doc, "total-assigned") == "2"
    assert "Đang lọc: Đơn vị chủ trì: Sở Tài chính" in html
    assert "Việc tồn đọng quá 3 ngày" in html
    assert len(doc.xpath('//table[contains(@class,"stuck-table")]//tbody/tr')) == 2  # D (20 days), G (5 days)
    # links keep the filters
    assert any(f"agency={fin}" in h and "sort=assigned" in h and "days=3" in h for h in doc.xpath("//th/a/@href"))
    monkeypatch.setitem(app.config, "STUCK_DAYS", 3)
    _, doc = page_of(browser)
    assert len(doc.xpath('//table[contains(@class,"stuck-table")]//tbody/tr')) == 6
    html, doc = page_of(browser, period="2026-Q2")
    assert figure(doc, "total-assigned") == "2" and "Quý II/2026" in html


def test_page_sorts_by_the_clicked_column(scene, browser):
    _, doc = page_of(browser, sort="assigned", dir="asc")
    assert [row[0] for row in agency_rows(doc)] == ["Sở Tài chính", "Sở Y tế", "Sở Công Thương", "Tổng cộng (3 đơn vị)"]
    sorted_th = doc.xpath('//table[contains(@class,"agency-table")]//th[@aria-sort]')
    assert len(sorted_th) == 1 and sorted_th[0].get("aria-sort") == "ascending"
    assert "sort=assigned&dir=desc" in sorted_th[0].xpath(".//a/@href")[0]  # clicking again reverses
    _, doc = page_of(browser)
    default = doc.xpath('//table[contains(@class,"agency-table")]//th[@aria-sort]')[0]
    assert "Quá hạn" in default.text_content() and default.get("aria-sort") == "descending"


def test_bad_values_get_a_message_and_the_page_still_shows(scene, browser):
    html, doc = page_of(browser, agency="abc", period="2026-13", output_type="xyz", days="0")
    assert "Không hiểu kỳ “2026-13”" in html
    assert "Số ngày tồn đọng phải là số nguyên từ 1 đến 3650; đang dùng mặc định 10 ngày." in html
    assert "Loại sản phẩm đã chọn không hợp lệ" in html and "Đơn vị chủ trì đã chọn không có" in html
    assert figure(doc, "total-assigned") == "10"


def test_charts_are_well_formed_svg_with_text(scene, browser):
    html, _ = page_of(browser)
    charts = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(charts) == 2
    agencies, steps = (ET.fromstring(c) for c in charts)
    for chart in (agencies, steps):
        assert chart.tag == f"{SVG}svg" and chart.get("role") == "img"
        assert chart.find(f"{SVG}title").text and chart.find(f"{SVG}desc").text
    bars = [g.find(f"{SVG}title").text for g in agencies.iter(f"{SVG}g") if g.get("class") == "bar"]
    assert bars == [
        "Sở Công Thương — tổng 5: Hoàn thành đúng hạn 1, Đang thực hiện 2, Quá hạn 1, Thường xuyên 1",
        "Sở Tài chính — tổng 2: Sắp đến hạn 1, Quá hạn 1",
        "Sở Y tế — tổng 3: Hoàn thành đúng hạn 1, Hoàn thành quá hạn 1, Đang thực hiện 1",
    ]
    legend = [t.text for t in agencies.iter(f"{SVG}text")]
    assert all(status.STATUS_LABELS[s] in legend for s in status.STATUSES)  # every colour is named
    step_tips = [g.find(f"{SVG}title").text for g in steps.iter(f"{SVG}g") if g.get("class") == "bar"]
    assert len(step_tips) == 4
    assert step_tips[0] == "Lãnh đạo đơn vị ký duyệt: 2 việc đang chờ; trung vị 12,5 ngày, lâu nhất 20,0 ngày"


def test_chart_text_is_escaped():
    from workflows.reporting import charts

    svg = charts.bar_chart([charts.Bar("<b>Sở “A” & B</b>", 3)], chart_id="x", title="T & <t>", description="d")
    root = ET.fromstring(str(svg))
    assert root.find(f"{SVG}title").text == "T & <t>"
    assert "<b>" not in str(svg)


@pytest.mark.parametrize(("username", "code"), [
    ("officer", 403), ("head", 403), ("collab_a", 403), ("justice", 403),
    ("coord", 200), ("viewer", 200), ("approver", 200), ("admin", 200), ("x_approver", 200),
])
def test_who_may_see_the_dashboard(world, browser, username, code):
    browser.login(username)
    assert browser.client.get("/dashboard").status_code == code
    nav = browser.client.get("/inbox").get_data(as_text=True)
    assert ("Theo dõi tiến độ" in nav) == (code == 200)


def test_anonymous_is_sent_to_login(world, app):
    response = app.test_client().get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_empty_state_without_tasks(world, frozen, browser):
    assert progress.status_totals(ALL) == ZEROS
    assert progress.agency_table(ALL) == [] and progress.step_board(ALL) == [] and progress.stuck(ALL, 1) == []
    html, doc = page_of(browser)
    assert "Chưa có nhiệm vụ nào để theo dõi" in html and "<svg" not in html


def test_empty_state_when_filters_match_nothing(scene, browser):
    html, _ = page_of(browser, period="2025-Q1")
    assert "Không có nhiệm vụ nào khớp bộ lọc" in html


def test_every_page_counts_the_days_an_item_waited_alike(world, frozen):
    """The same item waited 238 days in the inbox, 237,7 on the dashboard and 237 in the weekly pack: calendar days
    since the day it arrived, everywhere."""
    frozen.moment = frozen.moment.replace(hour=9)  # 16:00 in Hà Nội
    task = create.create_task(world["coord"], title="Báo cáo chờ lâu", lead_agency=LEAD, output_type="report",
                              due_date=date(2026, 12, 31))
    frozen.advance(days=2, hours=14)  # 06:00 three days later: 2.6 days have passed
    [row] = progress.stuck(ALL, 2)
    assert round(row.days, 1) == 2.6 and row.day_count == 3
    assert days_since(row.since) == 3
    [group] = register.register_groups(ALL, clock.today())
    assert [r.days_at_step for r in group.rows] == [3]
    assert task.id == row.task_id


def test_more_than_ten_days_counts_the_calendar_days_the_list_shows(world, frozen):
    """Waiting 10.1 days (since 09:00 ten days ago) was listed under "quá 10 ngày" with "10" beside it. Days are
    counted as the list shows them, calendar days in the province: it is listed from the eleventh day."""
    def local(d: int, hh: int) -> datetime:  # December 2026 (or 26–27/11), Hà Nội time, as stored (naive UTC)
        month = 12 if d < 20 else 11
        return datetime(2026, month, d, hh, tzinfo=clock.LOCAL_TZ).astimezone(clock.UTC).replace(tzinfo=None)

    item = item_at(new_task(world, collaborators=()), "assign")
    frozen.moment = local(7, 11)
    item.created_at = local(27, 9)  # 10 days and 2 hours ago: the tenth calendar day
    db.session.commit()
    assert progress.stuck(ALL, 10) == [] and progress.stuck_count(ALL, 10) == 0
    item.created_at = local(26, 23)  # 10 days and 12 hours ago, but the eleventh calendar day
    db.session.commit()
    [row] = progress.stuck(ALL, 10)
    assert row.day_count == 11 and [r.stuck for r in progress.step_board(ALL, stuck_days=10)] == [1]
