"""Exports: the task register (.xlsx), the period report (.docx) and the Friday review pack, downloaded
through the pages and reopened as the committee would open them."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from docx import Document
from docx.shared import Mm
from openpyxl import load_workbook
from sqlalchemy import func, select

from models import Agency, Directive, ExportPreference, db
from tests.conftest import COLLAB_A, LEAD, act, csrf_from, item_at
from workflows import holidays
from workflows.reporting import period_report, progress, signing, week_pack
from workflows.tasks import create, explanations, extensions, period_reports, periods, scope, work

PHU_LUC = "Phụ lục II. Danh mục nhiệm vụ năm 2026"
SECTION_1 = "I. Hoàn thiện thể chế, chính sách"
SECTION_2 = "II. Phát triển hạ tầng số"


def at(frozen, day: int, hour: int = 9) -> None:
    """Move the clock to ``day``/03/2026 at ``hour`` o'clock in Hà Nội."""
    frozen.moment = datetime(2026, 3, day, hour - 7)


def seed(world, frozen) -> dict[str, object]:
    """Thirteen tasks through March 2026; the clock ends on Friday 20/03/2026 10:00 (Hà Nội).

    Due in March (the "2026-03" report): t1 and t3 done on time, t2 done late, t13 in progress,
    t8 due soon, t4, t5 and t6 overdue. This week (16–22/03) t1 and t2 were completed, t7 returned,
    t12's deadline moved, t6 and t12 asked for more time, t10 was assigned, t5 and t6 became overdue;
    last week (09–15/03) t3 was completed, t4 returned and t11 assigned.
    """
    coord = world["coord"]

    def task(key, title, due, output_type="report", lead=LEAD, section=SECTION_1, **extra):
        return create.create_task(coord, title=title, lead_agency=lead, output_type=output_type, due_date=due,
                                 section=section, appendix=PHU_LUC, stt=str(len(tasks) + 1), **extra)

    tasks: dict[str, object] = {}
    at(frozen, 1, 8)
    tasks["t1"] = task("t1", "Báo cáo kết quả số hóa hồ sơ thủ tục hành chính", date(2026, 3, 31))
    tasks["t2"] = task("t2", "Báo cáo đánh giá hạ tầng mạng truyền dẫn", date(2026, 3, 12), section=SECTION_2)
    tasks["t3"] = task("t3", "Văn bản hướng dẫn chữ ký số", date(2026, 3, 31), output_type="letter")
    tasks["t4"] = task("t4", "Xây dựng Đề án chuyển đổi số ngành công thương", date(2026, 3, 13),
                       output_type="plan")
    tasks["t5"] = task("t5", "Báo cáo tình hình giải ngân vốn chuyển đổi số", date(2026, 3, 17), lead=COLLAB_A)
    tasks["t6"] = task("t6", "Báo cáo chỉ số thương mại điện tử", date(2026, 3, 16), section=SECTION_2)
    tasks["t7"] = task("t7", "Báo cáo kết quả khảo sát doanh nghiệp số", date(2026, 4, 15), section=SECTION_2)
    tasks["t8"] = task("t8", "Báo cáo kinh phí sự nghiệp khoa học", date(2026, 3, 23), lead=COLLAB_A)
    tasks["t9"] = create.create_task(coord, title="Tuyên truyền về chuyển đổi số", lead_agency=LEAD,
                                    output_type="result", deadline_text="Thường xuyên", recurrence="ongoing")
    tasks["t12"] = task("t12", "Báo cáo phân bổ ngân sách đổi mới sáng tạo", date(2026, 3, 20), lead=COLLAB_A,
                        section=SECTION_2)
    tasks["t13"] = task("t13", "Báo cáo nhân lực công nghệ thông tin", date(2026, 3, 31))
    at(frozen, 2)
    for key in ("t1", "t13", "t7"):
        act(world, tasks[key], "draft")
    act(world, tasks["t4"], "assign")
    act(world, tasks["t4"], "draft")
    act(world, tasks["t4"], "finalise")
    at(frozen, 5)
    act(world, tasks["t3"], "draft")
    act(world, tasks["t3"], "signoff")
    act(world, tasks["t2"], "draft")
    act(world, tasks["t2"], "signoff")
    at(frozen, 10)  # last week
    act(world, tasks["t3"], "confirm")
    tasks["t11"] = task("t11", "Báo cáo sơ kết Nghị quyết 57 của ngành", date(2026, 4, 30))
    at(frozen, 11)
    act(world, tasks["t4"], "signoff", "return", "Thiếu đánh giá tác động kinh phí.")
    at(frozen, 16)  # this week
    extensions.request_extension(world["collab_a"], tasks["t12"].id, date(2026, 4, 30),
                                 "Đợi hướng dẫn của Bộ Tài chính")
    act(world, tasks["t1"], "signoff")
    at(frozen, 17)
    act(world, tasks["t1"], "confirm")
    tasks["t10"] = task("t10", "Báo cáo triển khai nền tảng học tập số", date(2026, 4, 30))
    at(frozen, 18)
    act(world, tasks["t2"], "confirm")
    work.complete(item_at(tasks["t12"], "review").id, coord, "approve", "Đề nghị chấp thuận")
    work.complete(item_at(tasks["t12"], "decide").id, world["approver"], "approve", "Đồng ý gia hạn")
    at(frozen, 19)
    act(world, tasks["t7"], "signoff", "return", "Số liệu chưa khớp với báo cáo tháng 2.")
    extensions.request_extension(world["officer"], tasks["t6"].id, date(2026, 4, 10), "Chờ số liệu của Cục Thống kê")
    at(frozen, 20, 10)
    for t in tasks.values():
        db.session.refresh(t)
    return tasks


@pytest.fixture
def seeded(world, frozen):
    return seed(world, frozen)


def login(browser, username: str):
    browser.login(username)
    return browser.client


def workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.data))


def document(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return Document(io.BytesIO(response.data))


def all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def table_rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


# ---------------------------------------------------------------- the register

def test_register_groups_tasks_by_section_with_status_labels(browser, seeded):
    client = login(browser, "coord")
    wb = workbook(client.get("/exports/register.xlsx"))
    assert wb.sheetnames == ["Danh mục nhiệm vụ", "Tổng hợp"]
    ws = wb["Danh mục nhiệm vụ"]
    assert ws["A1"].value == "DANH MỤC NHIỆM VỤ VÀ TÌNH HÌNH THỰC HIỆN"
    assert "Số liệu tính đến ngày 20/03/2026" in ws["A2"].value
    header = [c.value for c in ws[4]]
    assert header == ["STT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Sản phẩm", "Thời hạn", "Trạng thái",
                      "Bước hiện tại", "Đang xử lý", "Số ngày ở bước này", "Ngày hoàn thành", "Ghi chú"]
    assert ws.freeze_panes == "A5"
    assert ws.auto_filter.ref == f"A4:L{ws.max_row}"  # filter buttons on the header, over every task row
    assert ws.column_dimensions["B"].width > ws.column_dimensions["A"].width
    merged = {str(r).split(":")[0] for r in ws.merged_cells.ranges}
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    bands = [r[0] for i, r in enumerate(rows, start=5) if f"A{i}" in merged]
    # no document assigned these tasks: one group for them; then the appendix, each section in numeral order, the
    # task without a section last
    assert bands == ["Nhiệm vụ giao trực tiếp", PHU_LUC.upper(), SECTION_1, SECTION_2, "Nhiệm vụ khác"]
    assert all(ws[f"A{i}"].font.b for i, r in enumerate(rows, start=5) if f"A{i}" in merged)
    by_title = {r[1].split("\n")[0]: r for r in rows if r[1]}
    overdue = by_title["Xây dựng Đề án chuyển đổi số ngành công thương"]
    assert overdue[2] == LEAD and overdue[5] == "13/03/2026" and overdue[6] == "Quá hạn"
    assert overdue[7] == "Hoàn thiện dự thảo" and overdue[9] == 9  # returned on 11/03, now 20/03
    done = by_title["Báo cáo kết quả số hóa hồ sơ thủ tục hành chính"]
    assert done[6] == "Hoàn thành đúng hạn" and done[7] == "Đã hoàn thành" and done[10] == datetime(2026, 3, 17)
    assert by_title["Báo cáo đánh giá hạ tầng mạng truyền dẫn"][6] == "Hoàn thành quá hạn"
    assert by_title["Báo cáo kinh phí sự nghiệp khoa học"][6] == "Sắp đến hạn"
    assert by_title["Tuyên truyền về chuyển đổi số"][5] == "Thường xuyên"
    assert by_title["Tuyên truyền về chuyển đổi số"][6] == "Thường xuyên"
    moved = by_title["Báo cáo phân bổ ngân sách đổi mới sáng tạo"]
    assert moved[5] == "Gia hạn đến 30/04/2026" and "Thời hạn ban đầu 20/03/2026" in moved[11]
    # rows follow their section: t2 sits under section II, after the section I rows
    order = [r[1].split("\n")[0] for r in rows if r[1]]
    assert order.index("Báo cáo đánh giá hạ tầng mạng truyền dẫn") > order.index("Báo cáo nhân lực công nghệ thông tin")
    # the status cell is filled with the status colour
    row_of = {r[1].split("\n")[0]: i for i, r in enumerate(rows, start=5) if r[1]}
    assert ws.cell(row_of["Xây dựng Đề án chuyển đổi số ngành công thương"], 7).fill.fgColor.rgb.endswith("F8D3D0")
    assert ws.cell(row_of["Báo cáo kết quả số hóa hồ sơ thủ tục hành chính"], 7).fill.fgColor.rgb.endswith("D3EDD9")
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=5, values_only=True)}
    assert summary == {"Hoàn thành đúng hạn": 2, "Hoàn thành quá hạn": 1, "Đang thực hiện": 5, "Chưa bắt đầu": 0,
                       "Sắp đến hạn": 1, "Quá hạn": 3, "Thường xuyên": 1, "Tổng cộng": 13}
    assert sum(1 for r in rows if r[6]) == 13


def test_register_follows_the_dashboard_filters(browser, seeded):
    client = login(browser, "viewer")
    agency = db.session.query(Agency).filter_by(name=COLLAB_A).one()
    wb = workbook(client.get(f"/exports/register.xlsx?agency={agency.id}&period=2026-03"))
    ws = wb["Danh mục nhiệm vụ"]
    titles = sorted(r[1].split("\n")[0] for r in ws.iter_rows(min_row=5, values_only=True) if r[6])
    assert titles == ["Báo cáo kinh phí sự nghiệp khoa học", "Báo cáo tình hình giải ngân vốn chuyển đổi số"]
    assert f"Đơn vị chủ trì: {COLLAB_A}" in ws["A2"].value
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=5, values_only=True)}
    assert summary["Tổng cộng"] == 2 and summary["Quá hạn"] == 1 and summary["Sắp đến hạn"] == 1


def test_the_task_list_downloads_as_filtered_every_row(browser, seeded):
    # "/tasks?q=…&status=overdue" showed 15 tasks; the only sheet, the register, ignored both and held 295
    client = login(browser, "coord")
    page = client.get("/tasks?status=overdue").get_data(as_text=True)
    shown = re.findall(r'<div class="small muted">(NV-\d+)', page)
    assert shown and "Tải danh sách này (" in page and "/tasks/export.xlsx?status=overdue" in page
    ws = workbook(client.get("/tasks/export.xlsx?status=overdue"))["Danh sách nhiệm vụ"]
    rows = [r for r in ws.iter_rows(min_row=5, values_only=True) if r[0]]
    assert [r[0] for r in rows] == shown and {r[5] for r in rows} == {"Quá hạn"}
    assert ws["A2"].value.startswith(f"Trạng thái: Quá hạn — {len(rows)} nhiệm vụ, tính đến ngày")
    searched = [r for r in workbook(client.get("/tasks/export.xlsx?q=kinh+phi"))["Danh sách nhiệm vụ"]
                .iter_rows(min_row=5, values_only=True) if r[0]]
    assert searched and all("kinh phí" in r[1].lower() for r in searched)
    everything = {r[0] for r in workbook(client.get("/tasks/export.xlsx"))["Danh sách nhiệm vụ"]
                  .iter_rows(min_row=5, values_only=True) if r[0]}
    # an officer's sheet holds the tasks their agency takes part in, as their list does
    officer = login(browser, "officer")
    mine = re.findall(r'<div class="small muted">(NV-\d+)', officer.get("/tasks").get_data(as_text=True))
    theirs = [r[0] for r in workbook(officer.get("/tasks/export.xlsx"))["Danh sách nhiệm vụ"]
              .iter_rows(min_row=5, values_only=True) if r[0]]
    assert theirs[:len(mine)] == mine and set(theirs) < everything


def test_register_with_nothing_to_list(browser, world, frozen):
    wb = workbook(login(browser, "admin").get("/exports/register.xlsx"))
    assert wb["Danh mục nhiệm vụ"]["A5"].value == "Không có nhiệm vụ nào theo bộ lọc đã chọn."
    assert wb["Danh mục nhiệm vụ"].auto_filter.ref is None  # nothing to filter
    assert {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=5, values_only=True)}["Tổng cộng"] == 0


def test_text_from_documents_stays_text(browser, world, frozen):
    """A title that looks like a formula, or carries a control character from a PDF, is written as text."""
    at(frozen, 20, 10)
    create.create_task(world["coord"], title='=HYPERLINK("http://x.invalid","Bấm")\x0bNhiệm vụ lạ', lead_agency=LEAD,
                      output_type="report", due_date=date(2026, 3, 2))
    client = login(browser, "coord")
    ws = workbook(client.get("/exports/register.xlsx"))["Danh mục nhiệm vụ"]
    assert ws["A5"].value == "Nhiệm vụ giao trực tiếp"
    cell = ws["B6"]
    assert cell.data_type == "s" and cell.value.startswith('=HYPERLINK("http://x.invalid","Bấm") Nhiệm vụ lạ')
    text = all_text(document(client.get("/exports/report.docx?period=2026-03")))
    assert '=HYPERLINK("http://x.invalid","Bấm") Nhiệm vụ lạ' in text


# ---------------------------------------------------------------- the period report

def test_period_report_has_the_figures_of_the_period(browser, seeded, world):
    explanations.explain(world["officer"], seeded["t6"].id, "Chờ số liệu của Cục Thống kê", date(2026, 4, 10))
    doc = document(login(browser, "coord").get("/exports/report.docx?period=2026-03"))
    text = all_text(doc)
    # the heading of NĐ 30/2020
    assert "UBND TỈNH THANH HÓA" in text and "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert re.search(r"Số:\s+/BC-SKHCN", text)
    date_line = next(p for t in doc.tables[:1] for c in t.rows[1].cells for p in c.paragraphs if "ngày" in p.text)
    assert date_line.text == "Thanh Hóa, ngày 20 tháng 3 năm 2026" and all(r.italic for r in date_line.runs)
    assert "BÁO CÁO" in text and "Tình hình thực hiện nhiệm vụ tháng 03/2026" in text
    # I. the figures of the eight tasks due in March
    assert "Tổng số nhiệm vụ có thời hạn trong kỳ: 8 nhiệm vụ" in text
    assert ("Đã hoàn thành: 3 nhiệm vụ (37,5%), gồm: hoàn thành đúng hạn 2 nhiệm vụ (25,0%); "
            "hoàn thành quá hạn 1 nhiệm vụ (12,5%).") in text
    assert ("Chưa hoàn thành: 5 nhiệm vụ (62,5%), gồm: trong hạn 2 nhiệm vụ (25,0%) (đang thực hiện 1, "
            "chưa bắt đầu 0, sắp đến hạn 1); quá hạn 3 nhiệm vụ (37,5%).") in text
    figures = table_rows(doc.tables[1])
    assert ["Tổng số nhiệm vụ", "8", "100%"] in figures and ["Quá hạn", "3", "37,5%"] in figures
    # II. one row per lead agency and the total (done on time, late; in time, overdue; ongoing)
    agencies = table_rows(doc.tables[2])
    assert agencies[0][3] == agencies[0][4] == "Đã hoàn thành"  # merged header cells
    # (the ongoing task running today, which no period holds, counted apart: the column read 0 in every report)
    assert ["1", LEAD, "6", "2", "1", "1", "2", "1"] in agencies
    assert ["2", COLLAB_A, "2", "0", "0", "1", "1", "0"] in agencies
    assert agencies[-1] == ["", "Tổng cộng", "8", "2", "1", "2", "3", "1"]
    # II. then the units ranked by on-time rate, as "Xếp hạng đơn vị" shows them (issue 18)
    assert table_rows(doc.tables[3])[0][:3] == ["Hạng", "Đơn vị", "Đến hạn trong kỳ"]
    # III. the overdue tasks, longest overdue first, with the lead agency's explanation, step and holder
    overdue = table_rows(doc.tables[4])[1:]
    assert [r[1].split(" (NV-")[0] for r in overdue] == [
        "Xây dựng Đề án chuyển đổi số ngành công thương", "Báo cáo chỉ số thương mại điện tử",
        "Báo cáo tình hình giải ngân vốn chuyển đổi số"]
    assert overdue[0][3] == "13/03/2026\n(quá 7 ngày)"
    assert overdue[0][4] == "Hoàn thiện dự thảo\n(Ông/Bà officer)"
    # a head's return note to their own officer stays inside the agency (issue 16)
    assert overdue[0][5] == "Chưa có giải trình" and "Thiếu đánh giá tác động kinh phí." not in text
    assert overdue[1][5] == "Chờ số liệu của Cục Thống kê\nDự kiến hoàn thành 10/04/2026"
    assert overdue[2][5] == "Chưa có giải trình"
    # IV. the lagging agencies, named; then "Nơi nhận" and the signature block, the name left blank
    assert "1. Sở Công Thương: 2 nhiệm vụ quá hạn trên tổng số 6 nhiệm vụ được giao (33,3%)." in text
    assert "2. Sở Tài chính: 1 nhiệm vụ quá hạn trên tổng số 2 nhiệm vụ được giao (50,0%)." in text
    signature = table_rows(doc.tables[-1])[0]
    assert signature[0].startswith("Nơi nhận:") and "Lưu: VT." in signature[0]
    assert signature[1].strip() == "GIÁM ĐỐC"  # the name is left blank for signing


def test_period_report_agrees_with_the_dashboard(seeded, world):
    f = scope.filters_from({"period": "2026-Q1"})
    report = period_report.period_report(world["coord"], f)
    assert report.totals == progress.status_totals(f)
    assert len(report.overdue) == report.totals["overdue"] == 3
    assert [r.agency for r in report.lagging] == [LEAD, COLLAB_A]


def test_period_report_is_an_a4_page_in_times_new_roman(browser, seeded):
    doc = document(login(browser, "approver").get("/exports/report.docx?period=2026-03"))
    section = doc.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    assert Mm(20) - Mm(0.5) <= section.top_margin <= Mm(25) and Mm(20) - Mm(0.5) <= section.bottom_margin <= Mm(25)
    assert Mm(30) - Mm(0.5) <= section.left_margin <= Mm(35) and Mm(15) - Mm(0.5) <= section.right_margin <= Mm(20)
    assert doc.styles["Normal"].font.name == "Times New Roman"
    assert 13 <= doc.styles["Normal"].font.size.pt <= 14
    runs = [r for p in doc.paragraphs for r in p.runs] + [
        r for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert runs and {r.font.name for r in runs} == {"Times New Roman"}
    body = [r for p in doc.paragraphs for r in p.runs if r.text.strip()]
    assert all(13 <= r.font.size.pt <= 14 for r in body)


def test_a_period_with_nothing_overdue(browser, seeded):
    text = all_text(document(login(browser, "coord").get("/exports/report.docx?period=2026-01")))
    assert "Tổng số nhiệm vụ có thời hạn trong kỳ: 0 nhiệm vụ" in text
    assert "Không có nhiệm vụ quá hạn." in text and "không có đơn vị nào có nhiệm vụ quá hạn" in text


def test_a_later_period_still_names_the_overdue_tasks_of_earlier_ones(browser, seeded):
    """May has nothing due yet, but March's three overdue tasks are not done: "nothing overdue" would mislead."""
    doc = document(login(browser, "coord").get("/exports/report.docx?period=2026-05"))
    text = all_text(doc)
    assert "Tổng số nhiệm vụ có thời hạn trong kỳ: 0 nhiệm vụ" in text
    assert "Ngoài ra, còn 3 nhiệm vụ có thời hạn trước kỳ này đã quá hạn mà chưa hoàn thành" in text
    assert "Trong kỳ không có nhiệm vụ quá hạn." in text and "Không có nhiệm vụ quá hạn." not in text
    assert ("Các nhiệm vụ có thời hạn trước kỳ này vẫn quá hạn, chưa hoàn thành "
            "(3 nhiệm vụ, tính đến ngày 20/03/2026)") in text
    earlier = table_rows(doc.tables[-2])[1:]
    assert [r[1].split(" (NV-")[0] for r in earlier] == [
        "Xây dựng Đề án chuyển đổi số ngành công thương", "Báo cáo chỉ số thương mại điện tử",
        "Báo cáo tình hình giải ngân vốn chuyển đổi số"]
    assert earlier[0][3] == "13/03/2026\n(quá 7 ngày)"


# ---------------------------------------------------------------- the Friday review pack

def test_friday_pack_lists_this_weeks_changes_and_not_last_weeks(browser, seeded):
    client = login(browser, "coord")
    page = client.get("/exports/week").get_data(as_text=True)  # this week by default
    assert "Giao ban tuần 16/03/2026 – 22/03/2026" in page
    # no periodic report due this week: not "(trên 0 báo cáo đến hạn)"
    assert "Báo cáo định kỳ đến hạn chưa gửi</a>" in page and "trên 0 báo cáo" not in page
    docx = all_text(document(client.get("/exports/week.docx?week=18/03/2026")))
    for text in (page, docx):
        assert "Báo cáo kết quả số hóa hồ sơ thủ tục hành chính" in text  # completed on time
        assert "Báo cáo đánh giá hạ tầng mạng truyền dẫn" in text  # completed late
        assert "20/03/2026 → 30/04/2026" in text  # the deadline adjustment
        assert "Chờ số liệu của Cục Thống kê" in text  # a request for more time
        assert "Báo cáo triển khai nền tảng học tập số" in text  # a new task
        assert "Báo cáo tình hình giải ngân vốn chuyển đổi số" in text  # became overdue this week
        # last week's changes stay out
        assert "Văn bản hướng dẫn chữ ký số" not in text
        assert "Thiếu đánh giá tác động kinh phí." not in text
    # the week's one return is the head's to their own officer: the coordinators see it on the page, the .docx
    # (a report) leaves it in the agency
    assert "Số liệu chưa khớp với báo cáo tháng 2." in page and "Số liệu chưa khớp với báo cáo tháng 2." not in docx
    assert "Trong tuần: 2 nhiệm vụ hoàn thành (1 đúng hạn, 1 quá hạn); 0 lượt trả lại; 1 lượt điều chỉnh thời hạn; " \
           "2 đề nghị gia hạn mới; 1 nhiệm vụ mới; 2 nhiệm vụ chuyển sang quá hạn; 0 báo cáo định kỳ đến hạn " \
           "(0 chưa gửi); 0 báo cáo định kỳ các kỳ trước vẫn chưa gửi; 0 lượt đôn đốc." in docx
    assert "TÀI LIỆU GIAO BAN TUẦN" in docx and "từ ngày 16/03/2026 đến ngày 22/03/2026" in docx
    last_week = client.get("/exports/week?week=2026-03-10").get_data(as_text=True)
    assert "Giao ban tuần 09/03/2026 – 15/03/2026" in last_week
    assert "Văn bản hướng dẫn chữ ký số" in last_week and "Thiếu đánh giá tác động kinh phí." in last_week
    assert "Báo cáo sơ kết Nghị quyết 57 của ngành" in last_week
    assert "Số liệu chưa khớp với báo cáo tháng 2." not in last_week


def test_friday_pack_sections(seeded, world):
    pack = week_pack.week_pack(world["viewer"], date(2026, 3, 20))
    t = seeded
    assert (pack.start, pack.end) == (date(2026, 3, 16), date(2026, 3, 22))
    assert [x.id for x in pack.completed_on_time] == [t["t1"].id]
    assert [x.id for x in pack.completed_late] == [t["t2"].id]
    assert [(e.task.id, e.text, e.who) for e in pack.returned] == [
        (t["t7"].id, "Số liệu chưa khớp với báo cáo tháng 2.", "Ông/Bà head")]
    assert [(e.task.id, e.who) for e in pack.adjustments] == [(t["t12"].id, "Ông/Bà approver")]
    assert [e.task.id for e in pack.extension_requests] == [t["t12"].id, t["t6"].id]
    assert [x.id for x in pack.new_tasks] == [t["t10"].id]
    assert [x.id for x in pack.became_overdue] == [t["t6"].id, t["t5"].id]
    # waiting since 01/03 at the first step: stuck longest, over the 10-day threshold
    assert pack.stuck and pack.stuck[0].days >= 19 and pack.stuck_days == 10
    assert all(s.days > 10 for s in pack.stuck)
    last = week_pack.week_pack(world["viewer"], date(2026, 3, 9))
    assert [x.id for x in last.completed_on_time] == [t["t3"].id]
    assert [x.id for x in last.became_overdue] == [t["t2"].id, t["t4"].id]  # t2 was done late after it
    # last week's backlog as it stood at its end (16/03 00:00), not as it stands today: t1 waited at its head's
    # sign-off from 02/03 and was signed on 16/03 (a past week's pack shrank as work moved on)
    assert t["t1"].id in {s.task_id for s in last.stuck} and t["t1"].id not in {s.task_id for s in pack.stuck}
    [waited] = [s for s in last.stuck if s.task_id == t["t1"].id]
    assert waited.day_count == 14


def test_the_week_summary_counts_every_stuck_item_though_the_table_shows_the_longest(browser, seeded, world,
                                                                                    monkeypatch):
    every = len(week_pack.week_pack(world["viewer"], date(2026, 3, 20)).stuck)
    assert every >= 2
    monkeypatch.setattr(week_pack, "STUCK_LIMIT", 1)
    pack = week_pack.week_pack(world["viewer"], date(2026, 3, 20))
    assert len(pack.stuck) == 1 and pack.counts["stuck"] == pack.stuck_total == every
    page = login(browser, "coord").get("/exports/week?week=20/03/2026").get_data(as_text=True)
    assert f"1 việc chờ lâu nhất trong tổng số {every} việc tồn đọng" in page


# ---------------------------------------------------------------- the page, permissions, names, bad input

def test_export_page_offers_the_three_exports(browser, seeded):
    page = login(browser, "coord").get("/exports").get_data(as_text=True)
    assert "Xuất báo cáo" in page and 'href="/exports"' in page  # in the navigation
    assert 'action="/exports/register.xlsx"' in page and 'action="/exports/report.docx"' in page
    assert 'action="/exports/week.docx"' in page and 'formaction="/exports/week"' in page  # download, preview
    assert '<option value="2026-03" selected>Tháng 03/2026</option>' in page  # this month by default
    assert "6 tháng cuối năm 2025" in page


@pytest.mark.parametrize("username", ["coord", "viewer", "approver", "admin"])
def test_readers_may_export(browser, seeded, username):
    client = login(browser, username)
    for url in ("/exports", "/exports/register.xlsx", "/exports/report.docx?period=2026-03", "/exports/week",
                "/exports/week.docx"):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("username", ["officer", "head", "justice", "collab_a"])
def test_others_may_not(browser, seeded, username):
    client = login(browser, username)
    for url in ("/exports", "/exports/register.xlsx", "/exports/report.docx?period=2026-03", "/exports/week",
                "/exports/week.docx"):
        assert client.get(url).status_code == 403, url
    assert 'href="/exports"' not in client.get("/inbox").get_data(as_text=True)


def test_anonymous_users_are_sent_to_login(app, seeded):
    r = app.test_client().get("/exports/register.xlsx")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_file_names_are_safe_ascii_with_the_vietnamese_name_beside(browser, seeded):
    client = login(browser, "coord")
    names = {url: client.get(url).headers["Content-Disposition"] for url in (
        "/exports/register.xlsx", "/exports/report.docx?period=2026-Q1", "/exports/week.docx?week=2026-03-20",
        "/exports/register.xlsx?period=2026-Q1")}
    assert 'filename="Danh-muc-nhiem-vu-Quy-I-2026-20-03-2026.xlsx"' in names["/exports/register.xlsx?period=2026-Q1"]
    assert names["/exports/register.xlsx"] == (
        "attachment; filename=\"Danh-muc-nhiem-vu-20-03-2026.xlsx\"; "
        "filename*=UTF-8''Danh%20m%E1%BB%A5c%20nhi%E1%BB%87m%20v%E1%BB%A5%2020-03-2026.xlsx")
    quarter = names["/exports/report.docx?period=2026-Q1"]
    assert 'filename="Bao-cao-tinh-hinh-thuc-hien-nhiem-vu-Quy-I-2026.docx"' in quarter
    assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20" in quarter
    assert 'filename="Giao-ban-tuan-16-03-den-22-03-2026.docx"' in names["/exports/week.docx?week=2026-03-20"]
    for value in names.values():
        value.encode("ascii")  # the header itself stays ASCII


def test_bad_input_gets_a_clear_message(browser, seeded):
    client = login(browser, "coord")
    r = client.get("/exports/report.docx?period=2026-13")
    assert r.status_code == 302 and r.headers["Location"].startswith("/exports")
    assert "Không hiểu kỳ “2026-13”" in client.get(r.headers["Location"]).get_data(as_text=True)
    r = client.get("/exports/week?week=31/02/2026")
    assert r.status_code == 302
    assert "Ngày không hợp lệ" in client.get(r.headers["Location"]).get_data(as_text=True)
    r = client.get("/exports/week.docx?week=hôm qua")
    assert r.status_code == 302 and "Ngày không hợp lệ" in client.get(r.headers["Location"]).get_data(as_text=True)
    r = client.get("/exports/register.xlsx?agency=999999")
    assert r.status_code == 302
    assert "Đơn vị chủ trì đã chọn không có trong danh mục" in client.get(r.headers["Location"]).get_data(as_text=True)


# ---------------------------------------------------------------- exports a văn thư can send (issue 16, item 5)

def band_rows(ws) -> list[tuple[str, object]]:
    """The merged rows under the header (document, appendix and section rows) and the tasks, in order:
    ("band", text) or ("task", title)."""
    merged = {str(r).split(":")[0] for r in ws.merged_cells.ranges}
    out = []
    for i, row in enumerate(ws.iter_rows(min_row=5, values_only=True), start=5):
        if f"A{i}" in merged:
            out.append(("band", row[0]))
        elif row[1]:
            out.append(("task", row[1].split("\n")[0]))
    return out


def test_register_groups_by_assigning_document_then_section(browser, world, frozen):
    """Two documents' sections II and III no longer interleave: each document is named in a row of its own, its
    sections follow in numeral order, a task naming the document in words joins it, direct tasks come last."""
    at(frozen, 20, 10)
    coord = world["coord"]
    plan = Directive(number="Kế hoạch số 266-KH/TU", issued_on=date(2025, 4, 26), issuer="Ban Thường vụ Tỉnh ủy",
                     title="Thực hiện Nghị quyết số 57-NQ/TW")
    later = Directive(number="Kế hoạch số 07-KH/BCĐ", issued_on=date(2026, 1, 10))
    db.session.add_all([plan, later])
    db.session.commit()

    def task(title, directive=None, section=None, source=None):
        return create.create_task(coord, title=title, lead_agency=LEAD, output_type="report",
                                 due_date=date(2026, 4, 30), section=section, source_document=source,
                                 **({"directive": directive} if directive else {}))

    # registered in an order that mixes the two documents
    task("Nhiệm vụ B-III", later, "III. Hoàn thiện thể chế")
    task("Nhiệm vụ A-III", plan, "III. Hoàn thiện thể chế, chính sách")
    task("Nhiệm vụ giao trong cuộc họp")
    task("Nhiệm vụ B-II", later, "II. Tuyên truyền")
    task("Nhiệm vụ A-II", plan, "II. Nâng cao nhận thức")
    task("Nhiệm vụ A ngoài mục", plan)
    task("Nhiệm vụ theo công văn", source="Công văn số 724-CV/VPTU ngày 17/3/2026 của Văn phòng Tỉnh ủy")
    task("Nhiệm vụ nhập tay của 266", source="Kế hoạch số 266-KH/TU ngày 26/4/2025")
    ws = workbook(login(browser, "coord").get("/exports/register.xlsx"))["Danh mục nhiệm vụ"]
    plan_row = ("Kế hoạch số 266-KH/TU ngày 26/04/2025 của Ban Thường vụ Tỉnh ủy: "
                "Thực hiện Nghị quyết số 57-NQ/TW")
    assert band_rows(ws) == [
        ("band", plan_row),
        ("band", "II. Nâng cao nhận thức"), ("task", "Nhiệm vụ A-II"),
        ("band", "III. Hoàn thiện thể chế, chính sách"), ("task", "Nhiệm vụ A-III"),
        ("band", "Nhiệm vụ khác"), ("task", "Nhiệm vụ A ngoài mục"), ("task", "Nhiệm vụ nhập tay của 266"),
        ("band", "Kế hoạch số 07-KH/BCĐ ngày 10/01/2026"),
        ("band", "II. Tuyên truyền"), ("task", "Nhiệm vụ B-II"),
        ("band", "III. Hoàn thiện thể chế"), ("task", "Nhiệm vụ B-III"),
        # a document never imported, recorded from the task's words (create.directive_for)
        ("band", "Công văn số 724-CV/VPTU ngày 17/03/2026 của Văn phòng Tỉnh ủy"), ("task", "Nhiệm vụ theo công văn"),
        ("band", "Nhiệm vụ giao trực tiếp"), ("task", "Nhiệm vụ giao trong cuộc họp"),
    ]
    document_row = next(i for i, r in enumerate(ws.iter_rows(min_row=5, values_only=True), start=5) if r[0] == plan_row)
    assert ws.cell(document_row, 1).font.b and ws.cell(document_row, 1).font.sz == 12
    section_row = document_row + 1
    assert ws.cell(section_row, 1).font.sz == 11  # a section row is a step below its document


def signature_block(doc) -> tuple[list[str], list[str]]:
    """The "Nơi nhận" lines and the signer's lines (empty ones dropped) of a document's last table."""
    left, right = doc.tables[-1].rows[0].cells
    return ([p.text for p in left.paragraphs if p.text.strip()], [p.text for p in right.paragraphs if p.text.strip()])


def post_export(client, url: str, **fields):
    token = csrf_from(client.get("/exports").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **fields})


DEPUTY = {"signing_prefix": "KT.", "signer_authority": "Giám đốc", "signer_position": "Phó Giám đốc",
          "signer_name": "Nguyễn Văn An",
          "recipients": "UBND tỉnh (để b/c);\n- Ban Chỉ đạo tỉnh (để b/c);\nLưu: VT, KHTC."}


def test_the_friday_pack_as_an_internal_note(browser, seeded):
    doc = document(login(browser, "coord").get("/exports/week.docx?week=18/03/2026&week_form=note"))
    text = all_text(doc)
    assert "TÀI LIỆU GIAO BAN TUẦN" in text and "Tài liệu nội bộ phục vụ họp giao ban, số liệu tính đến 10:00 ngày " \
           "20/03/2026" in text
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in text
    # not a document that is issued: no motto, number, "Nơi nhận" or signature
    for absent in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số:", "Nơi nhận", "GIÁM ĐỐC"):
        assert absent not in text, absent
    assert not doc.tables[-1].rows[0].cells[0].text.startswith("Nơi nhận")
    assert "Số liệu chưa khớp với báo cáo tháng 2." not in text  # a return inside Sở Công Thương stays there
    page = login(browser, "coord").get("/exports/week?week=18/03/2026").get_data(as_text=True)
    assert "week=2026-03-16&amp;week_form=note" in page and "week=2026-03-16&amp;week_form=document" in page


def test_the_friday_pack_as_a_document_to_send(browser, seeded, world):
    """Number, "Nơi nhận" and the signer chosen on the form; the head's return to their own officer stays out, the
    standing agency's return to the lead agency stays in."""
    sent_back = create.create_task(world["coord"], title="Báo cáo kết quả chuyển đổi số doanh nghiệp",
                                   lead_agency=LEAD, output_type="report", due_date=date(2026, 3, 31))
    act(world, sent_back, "draft")
    act(world, sent_back, "signoff")
    act(world, sent_back, "confirm", "return", "Thiếu số liệu kèm theo.")
    client = login(browser, "coord")
    r = post_export(client, "/exports/week.docx", week="18/03/2026", week_form="document", number="125", **DEPUTY)
    assert 'filename="Bao-cao-tuan-16-03-den-22-03-2026.docx"' in r.headers["Content-Disposition"]
    doc = document(r)
    text = all_text(doc)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "Số: 125/BC-SKHCN" in text and "Thanh Hóa, ngày 20 tháng 3 năm 2026" in text
    assert "BÁO CÁO" in text
    assert "Tình hình thực hiện nhiệm vụ trong tuần từ ngày 16/03/2026 đến ngày 22/03/2026" in text
    recipients, signer = signature_block(doc)
    assert recipients == ["Nơi nhận:", "- UBND tỉnh (để b/c);", "- Ban Chỉ đạo tỉnh (để b/c);", "- Lưu: VT, KHTC."]
    assert signer == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn An"]
    assert "Số liệu chưa khớp với báo cáo tháng 2." not in text  # internal to Sở Công Thương
    assert "3. Hồ sơ bị trả lại (giữa các cơ quan)" in text and "1 lượt trả lại" in text
    assert "Thiếu số liệu kèm theo." in text
    # the note for the meeting leaves it out too (issue 16: internal returns never leave the agency in a report)
    note = all_text(document(client.get("/exports/week.docx?week=18/03/2026&week_form=note")))
    assert "1 lượt trả lại" in note and "Số liệu chưa khớp với báo cáo tháng 2." not in note


def test_the_period_report_signed_by_order_of_the_head(browser, seeded):
    client = login(browser, "coord")
    doc = document(post_export(client, "/exports/report.docx", period="2026-03", signing_prefix="TL.",
                               signer_authority="GIÁM ĐỐC", signer_position="CHÁNH VĂN PHÒNG",
                               signer_name="Lê Thị Bình", recipients="UBND tỉnh;\nLưu: VT."))
    text = all_text(doc)
    assert re.search(r"Số:\s+/BC-SKHCN", text)  # no number typed: left for the văn thư
    assert signature_block(doc) == (["Nơi nhận:", "- UBND tỉnh;", "- Lưu: VT."],
                                    ["TL. GIÁM ĐỐC", "CHÁNH VĂN PHÒNG", "Lê Thị Bình"])
    # an acting head signs with the title alone: a position typed for it is not printed
    doc = document(post_export(client, "/exports/report.docx", period="2026-03", signing_prefix="Q.",
                               signer_authority="Giám đốc", signer_position="Phó Giám đốc", signer_name="",
                               recipients="Lưu: VT."))
    assert signature_block(doc)[1] == ["Q. GIÁM ĐỐC"]


def test_choices_are_remembered_per_user_and_default_to_the_settings(app, browser, seeded, world, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_SIGNER_TITLE", "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC")
    monkeypatch.setitem(app.config, "REPORT_SIGNER_NAME", "Trần Văn Cường")
    # nobody has chosen anything: the settings' signer and the default "Nơi nhận"
    for username in ("coord", "viewer"):
        choice = signing.preference(world[username])
        assert choice.signer.title_lines() == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"] and choice.week_form == "note"
        assert choice.signer.name == "Trần Văn Cường" and choice.signer.recipients[-1] == "Lưu: VT."
    coord = login(browser, "coord")
    post_export(coord, "/exports/week.docx", week="18/03/2026", week_form="document", **DEPUTY)
    # the coordinator's next downloads (plain links) and the form use what they chose
    recipients, signer = signature_block(document(coord.get("/exports/report.docx?period=2026-03")))
    assert signer == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn An"] and recipients[-1] == "- Lưu: VT, KHTC."
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in all_text(document(coord.get("/exports/week.docx?week=18/03/2026")))
    page = coord.get("/exports").get_data(as_text=True)
    assert 'value="Nguyễn Văn An"' in page and 'value="document" checked' in page
    assert page.count("Lưu: VT, KHTC.</textarea>") == 2  # in both .docx forms
    # another user still gets the settings
    viewer = login(browser, "viewer")
    assert signature_block(document(viewer.get("/exports/report.docx?period=2026-03")))[1] == [
        "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Trần Văn Cường"]
    assert "Nguyễn Văn An" not in viewer.get("/exports").get_data(as_text=True)
    # a second choice replaces the first (one row per user)
    post_export(coord, "/exports/report.docx", period="2026-03", **{**DEPUTY, "signing_prefix": "",
                                                                     "signer_position": ""})
    assert signing.preference(world["coord"]).signer.title_lines() == ["GIÁM ĐỐC"]
    assert signing.preference(world["coord"]).week_form == "document"  # the report form does not change it
    assert db.session.scalar(select(func.count()).select_from(ExportPreference)) == 1


def test_a_bad_choice_is_shown_next_to_its_field_and_not_remembered(browser, seeded, world):
    client = login(browser, "coord")
    r = post_export(client, "/exports/report.docx", period="2026-03", signing_prefix="KT.", signer_authority="GIÁM ĐỐC",
                    signer_position="", signer_name="Nguyễn Văn An", recipients=" \n ", number="12a")
    assert r.status_code == 422 and r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert 'id="p-signer_position-error"' in page and "Khi ký thay (KT.) hoặc thừa lệnh (TL.), nhập chức vụ" in page
    assert 'id="p-recipients-error"' in page and "Nhập ít nhất một nơi nhận" in page
    assert 'id="p-number-error"' in page and "Số văn bản là một số" in page
    assert 'value="Nguyễn Văn An"' in page  # what was typed stays
    assert 'id="w-signer_position-error"' not in page  # the other form is untouched
    assert signing.preference(world["coord"]).signer.name == ""
    r = post_export(client, "/exports/week.docx", week="31/02/2026", **{**DEPUTY, "week_form": "document"})
    assert r.status_code == 422 and 'id="w-week-error"' in r.get_data(as_text=True)


def test_the_preview_button_shows_the_week_typed(browser, seeded):
    client = login(browser, "coord")
    r = post_export(client, "/exports/week", week="10/03/2026", week_form="note", **DEPUTY)
    assert r.status_code == 302 and r.headers["Location"] == "/exports/week?week=10/03/2026"


def test_the_report_without_a_period_is_this_months(browser, seeded):
    client = login(browser, "coord")
    for r in (client.get("/exports/report.docx"), post_export(client, "/exports/report.docx", period="", **DEPUTY)):
        assert 'filename="Bao-cao-tinh-hinh-thuc-hien-nhiem-vu-Thang-03-2026.docx"' in r.headers["Content-Disposition"]
        assert "Tình hình thực hiện nhiệm vụ tháng 03/2026" in all_text(document(r))


# ---------------------------------------------------------------- the reports page's due date

def due_cells(page: str) -> list[str]:
    """The "Hạn nộp" cell of every row of the coverage table."""
    body = page.split("<tbody>")[-1]
    return re.findall(r'<td[^>]*><span class="nowrap">([0-9/]+)</span>', body)


def test_the_reports_page_heading_and_rows_give_the_same_due_date(browser, world, frozen):
    """December 2026's reports are due on the 20th, a Sunday: heading and rows say 21/12/2026, and why."""
    frozen.moment = datetime(2026, 12, 1, 1, 0)
    holidays.ensure_defaults()
    create.create_task(world["coord"], title="Tuyên truyền về chuyển đổi số", lead_agency=LEAD,
                       output_type="result", deadline_text="Thường xuyên", recurrence="ongoing")
    period_reports.generate(world["coord"], date(2026, 12, 1))
    create.create_task(world["coord"], title="Phổ biến kỹ năng số", lead_agency=COLLAB_A,
                       output_type="result", deadline_text="Thường xuyên", recurrence="ongoing")  # not created yet
    page = login(browser, "coord").get("/reports?period=2026-12").get_data(as_text=True)
    heading = page.split('<p class="muted">', 1)[1].split("</p>", 1)[0]
    assert "hạn nộp ngày 21/12/2026" in heading
    assert "ngày 20/12/2026 là Chủ nhật nên hạn chuyển sang ngày làm việc kế tiếp" in heading
    assert "trước ngày 20/12" not in page
    cells = due_cells(page)
    assert len(cells) == 4 and set(cells) == {"21/12/2026"}  # two task reports, two agency reports
    assert "Chưa khởi tạo" in page


def test_a_due_date_moved_by_a_holiday_names_it(app, world):
    holidays.ensure_defaults()
    due = period_reports.due_of(periods.parse_key("2026-02"))  # 20/02/2026 is in the Tết holiday
    assert (due.nominal, due.effective, due.why, due.moved) == (date(2026, 2, 20), date(2026, 2, 23), "holiday", True)
    assert due.holiday
    assert period_reports.due_of(periods.parse_key("2026-06")).why == "saturday"
    march = period_reports.due_of(periods.parse_key("2026-03"))
    assert (march.effective, march.moved, march.why) == (date(2026, 3, 20), False, None)


def test_section_iv_names_every_agency_tied_with_the_last_and_those_late_from_earlier_periods():
    """Quý II: nine agencies had overdue tasks, five were named — three wards as late as the five (all their
    tasks overdue) silently left out by alphabetical order; and a month whose own tasks were on time read "Trong
    kỳ không có đơn vị nào có nhiệm vụ quá hạn" beside 17 tasks carried over overdue."""
    from types import SimpleNamespace as Row
    wards = [Row(agency=f"UBND phường {name}", overdue=1, assigned=1) for name in
             ("Bỉm Sơn", "Đông Sơn", "Hạc Thành", "Nghi Sơn", "Quang Trung", "Sầm Sơn", "Tân Dân", "Tĩnh Gia")]
    named, more = period_report.laggards([*wards, Row(agency=LEAD, overdue=1, assigned=4),
                                          Row(agency=COLLAB_A, overdue=0, assigned=3)], [])
    assert [r.agency for r in named] == [w.agency for w in wards] + [LEAD] and more == 0  # all tied, all named
    carried = [Row(task=Row(lead_agency=Row(name=COLLAB_A))), Row(task=Row(lead_agency=Row(name=COLLAB_A)))]
    named, more = period_report.laggards([Row(agency=LEAD, overdue=0, assigned=2)], carried)
    assert [(r.agency, r.overdue, r.carried) for r in named] == [(COLLAB_A, 0, 2)] and more == 0
    seven = [Row(agency=f"Sở {n}", overdue=n, assigned=10) for n in range(1, 8)]
    named, more = period_report.laggards(seven, [])
    assert [r.overdue for r in named] == [7, 6, 5, 4, 3] and more == 2
    # a tie of many (every commune late on its share of one group's task) is counted, not named one by one
    communes = [Row(agency=f"UBND xã {n}", overdue=1, assigned=1) for n in range(1, 161)]
    assert period_report.laggards(communes, []) == ([], 160)


def test_a_deadline_moved_past_a_day_off_counts_in_the_period_it_was_written_for(world, frozen, browser):
    """"Tháng 8/2025" is due 31/08/2025, a Sunday before the 2/9 holidays: judged by 03/09/2025, but the August
    report is where it belongs. Every period figure read the shifted day: the August report said "0 nhiệm vụ" and
    the task sat in September's. A date granted by an extension then counts where it now falls."""
    task = create.create_task(world["coord"], title="Báo cáo chuyển đổi số tháng 2", lead_agency=LEAD,
                              output_type="report", due_date=date(2026, 2, 28))  # a Saturday
    assert (task.nominal_due, task.due_date) == (date(2026, 2, 28), date(2026, 3, 2))
    february, march = scope.Filters(period="2026-02"), scope.Filters(period="2026-03")
    assert sum(progress.status_totals(february).values()) == 1 and sum(progress.status_totals(march).values()) == 0
    client = login(browser, "coord")
    register = load_workbook(io.BytesIO(client.get("/exports/register.xlsx?period=2026-02").data))
    assert any(task.title in str(cell.value) for sheet in register for row in sheet.iter_rows() for cell in row)
    for period, count in (("2026-02", 1), ("2026-03", 0)):
        report = all_text(document(client.get(f"/exports/report.docx?period={period}")))
        assert f"Tổng số nhiệm vụ có thời hạn trong kỳ: {count} nhiệm vụ" in report
    extensions.request_extension(world["officer"], task.id, date(2026, 4, 15), "Chờ số liệu quý I")
    work.complete(item_at(task, "review").id, world["coord"], "approve", "Đề nghị chấp thuận")
    work.complete(item_at(task, "decide").id, world["approver"], "approve", "Đồng ý gia hạn")
    assert (task.nominal_due, task.due_date) == (date(2026, 4, 15), date(2026, 4, 15))
    assert sum(progress.status_totals(february).values()) == 0
    assert sum(progress.status_totals(scope.Filters(period="2026-04")).values()) == 1
