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

from models import Agency, db
from tests.conftest import COLLAB_A, LEAD, act, item_at
from workflows.reporting import period_report, progress, week_pack
from workflows.tasks import create, extensions, scope, work

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
    assert ws.column_dimensions["B"].width > ws.column_dimensions["A"].width
    merged = {str(r).split(":")[0] for r in ws.merged_cells.ranges}
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    bands = [r[0] for i, r in enumerate(rows, start=5) if f"A{i}" in merged]
    # the appendix, then each section in the order the tasks were registered, the task without a section last
    assert bands == [PHU_LUC.upper(), SECTION_1, SECTION_2, "Nhiệm vụ khác"]
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
    assert summary == {"Hoàn thành đúng hạn": 2, "Hoàn thành quá hạn": 1, "Đang thực hiện": 2, "Chưa bắt đầu": 3,
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


def test_register_with_nothing_to_list(browser, world, frozen):
    wb = workbook(login(browser, "admin").get("/exports/register.xlsx"))
    assert wb["Danh mục nhiệm vụ"]["A5"].value == "Không có nhiệm vụ nào theo bộ lọc đã chọn."
    assert {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=5, values_only=True)}["Tổng cộng"] == 0


def test_text_from_documents_stays_text(browser, world, frozen):
    """A title that looks like a formula, or carries a control character from a PDF, is written as text."""
    at(frozen, 20, 10)
    create.create_task(world["coord"], title='=HYPERLINK("http://x.invalid","Bấm")\x0bNhiệm vụ lạ', lead_agency=LEAD,
                      output_type="report", due_date=date(2026, 3, 2))
    client = login(browser, "coord")
    ws = workbook(client.get("/exports/register.xlsx"))["Danh mục nhiệm vụ"]
    cell = ws["B5"]
    assert cell.data_type == "s" and cell.value.startswith('=HYPERLINK("http://x.invalid","Bấm") Nhiệm vụ lạ')
    text = all_text(document(client.get("/exports/report.docx?period=2026-03")))
    assert '=HYPERLINK("http://x.invalid","Bấm") Nhiệm vụ lạ' in text


# ---------------------------------------------------------------- the period report

def test_period_report_has_the_figures_of_the_period(browser, seeded):
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
    assert ["1", LEAD, "6", "2", "1", "1", "2", "0"] in agencies
    assert ["2", COLLAB_A, "2", "0", "0", "1", "1", "0"] in agencies
    assert agencies[-1] == ["", "Tổng cộng", "8", "2", "1", "2", "3", "0"]
    # III. the overdue tasks, longest overdue first, with their explanation, step and holder
    overdue = table_rows(doc.tables[3])[1:]
    assert [r[1].split(" (NV-")[0] for r in overdue] == [
        "Xây dựng Đề án chuyển đổi số ngành công thương", "Báo cáo chỉ số thương mại điện tử",
        "Báo cáo tình hình giải ngân vốn chuyển đổi số"]
    assert overdue[0][3] == "13/03/2026\n(quá 7 ngày)"
    assert overdue[0][4] == "Hoàn thiện dự thảo\n(Ông/Bà officer)"
    assert overdue[0][5] == "Trả lại ngày 11/03/2026: Thiếu đánh giá tác động kinh phí."
    assert overdue[1][5] == "Đề nghị gia hạn ngày 19/03/2026: Chờ số liệu của Cục Thống kê"
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
    docx = all_text(document(client.get("/exports/week.docx?week=18/03/2026")))
    for text in (page, docx):
        assert "Báo cáo kết quả số hóa hồ sơ thủ tục hành chính" in text  # completed on time
        assert "Báo cáo đánh giá hạ tầng mạng truyền dẫn" in text  # completed late
        assert "Số liệu chưa khớp với báo cáo tháng 2." in text  # returned, with the reason
        assert "20/03/2026 → 30/04/2026" in text  # the deadline adjustment
        assert "Chờ số liệu của Cục Thống kê" in text  # a request for more time
        assert "Báo cáo triển khai nền tảng học tập số" in text  # a new task
        assert "Báo cáo tình hình giải ngân vốn chuyển đổi số" in text  # became overdue this week
        # last week's changes stay out
        assert "Văn bản hướng dẫn chữ ký số" not in text
        assert "Thiếu đánh giá tác động kinh phí." not in text
    assert "Trong tuần: 2 nhiệm vụ hoàn thành (1 đúng hạn, 1 quá hạn); 1 lượt trả lại; 1 lượt điều chỉnh thời hạn; " \
           "2 đề nghị gia hạn mới; 1 nhiệm vụ mới; 2 nhiệm vụ chuyển sang quá hạn." in docx
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
    assert 'action="/exports/week"' in page and 'formaction="/exports/week.docx"' in page
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
        "/exports/register.xlsx", "/exports/report.docx?period=2026-Q1", "/exports/week.docx?week=2026-03-20")}
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
    r = client.get("/exports/report.docx")
    assert "Vui lòng chọn kỳ báo cáo." in client.get(r.headers["Location"]).get_data(as_text=True)
    r = client.get("/exports/week?week=31/02/2026")
    assert r.status_code == 302
    assert "Ngày không hợp lệ" in client.get(r.headers["Location"]).get_data(as_text=True)
    r = client.get("/exports/week.docx?week=hôm qua")
    assert r.status_code == 302 and "Ngày không hợp lệ" in client.get(r.headers["Location"]).get_data(as_text=True)
    r = client.get("/exports/register.xlsx?agency=999999")
    assert r.status_code == 302
    assert "Đơn vị chủ trì đã chọn không có trong danh mục" in client.get(r.headers["Location"]).get_data(as_text=True)
