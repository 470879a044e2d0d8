"""Issue 16: an overdue task's explanation (giải trình) reaches the period report, a return note does not.

The head of Sở Khoa học và Công nghệ (lanhdao) returns an overdue file of the agency to the officer with an
internal note; the officer (chuyenvien) writes the agency's explanation and expected completion date on the task
page; the coordinator (dieuphoi) downloads the period report from "Xuất báo cáo" and reads it with python-docx.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

from docx import Document
from playwright.sync_api import Page, expect

from demo.seed import RETURN_REASONS
from tests.e2e.test_journeys import today_vn

AGENCY = "Sở Khoa học và Công nghệ"
SIGNOFF = "Lãnh đạo đơn vị ký duyệt"
RETURN_NOTE = "Cần chỉnh sửa bố cục"
EXPLANATION = ("Đơn vị đang chờ ý kiến góp ý của Sở Tài chính về nguồn kinh phí; đã có văn bản đôn đốc, "
               "sẽ trình ký ngay khi nhận được ý kiến.")


def overdue_task_of_the_agency(page: Page, step: str | None = None) -> int | None:
    """The id of an overdue task led by the agency (waiting at ``step``, if given), from the task list."""
    page.goto("/tasks?status=overdue" + (f"&step={step}" if step else ""))
    rows = page.locator("table tbody tr").filter(has=page.locator("td", has_text=re.compile(rf"^{AGENCY}$")))
    if rows.count() == 0:
        return None
    href = rows.first.get_by_role("link").first.get_attribute("href")
    return int(re.search(r"/tasks/(\d+)", href).group(1))


def report_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    return "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for t in doc.tables for row in t.rows for c in row.cells])


def test_an_explanation_reaches_the_period_report_and_a_return_note_does_not(login_as, shot):
    # The head returns an overdue file of the agency to the officer, with a note meant for the officer only.
    head = login_as("lanhdao")
    task_id = overdue_task_of_the_agency(head, SIGNOFF)
    returned = task_id is not None
    if returned:
        head.goto(f"/tasks/{task_id}")
        form = head.get_by_role("region", name=f"Việc của bạn: {SIGNOFF}")
        form.get_by_label("Ý kiến / lý do trả lại").fill(RETURN_NOTE)
        form.get_by_role("button", name="Trả lại", exact=True).click()
        expect(head.get_by_role("status").filter(has_text=f"Đã trả lại: {SIGNOFF}")).to_be_visible()
    else:  # the demo holds no such file today: any overdue task of the agency, with the demo's own return notes
        task_id = overdue_task_of_the_agency(head)
    assert task_id is not None, "the demo has no overdue task led by " + AGENCY

    # The officer opens the task: the card asks for the agency's explanation; an empty form is refused at its fields.
    officer = login_as("chuyenvien")
    officer.goto(f"/tasks/{task_id}")
    card = officer.get_by_role("region", name="Giải trình tiến độ")
    expect(card).to_contain_text(re.compile(r"Nhiệm vụ đã quá hạn \d+ ngày\."))
    card.get_by_role("button", name="Ghi giải trình").click()
    card = officer.get_by_role("region", name="Giải trình tiến độ")
    text_box = card.get_by_label("Lý do chậm, những việc đơn vị đang làm")
    date_box = card.get_by_label("Dự kiến hoàn thành")
    for box, message in [(text_box, "Vui lòng nêu lý do chậm và những việc đơn vị đang làm."),
                         (date_box, "Vui lòng nhập ngày dự kiến hoàn thành.")]:
        expect(box).to_have_attribute("aria-invalid", "true")
        expect(box).to_have_accessible_description(re.compile(re.escape(message)))  # read out beside the field
    shot(officer, "explanation-refused")
    expected_on = (today_vn() + timedelta(days=20)).strftime("%d/%m/%Y")
    text_box.fill(EXPLANATION)
    date_box.fill(expected_on)
    card.get_by_role("button", name="Ghi giải trình").click()
    expect(officer.get_by_role("status").filter(has_text="Đã ghi giải trình.")).to_be_visible()
    assert officer.url.endswith(f"/tasks/{task_id}#giai-trinh")
    card = officer.get_by_role("region", name="Giải trình tiến độ")
    expect(card).to_contain_text(EXPLANATION)
    expect(card).to_contain_text(f"Dự kiến hoàn thành {expected_on}")
    card.screenshot(path=str(shot(officer, "task-page").parent / "02b-explanation-card.png"))

    # The coordinator downloads this month's report: the explanation is quoted, the return notes are not.
    coordinator = login_as("dieuphoi")
    coordinator.goto("/exports")
    shot(coordinator, "exports-page")
    report = coordinator.get_by_role("region", name="Báo cáo tình hình thực hiện nhiệm vụ (.docx)")
    with coordinator.expect_download() as download:
        report.get_by_role("button", name="Tải báo cáo (.docx)").click()
    text = report_text(download.value.path().read_bytes())
    assert "Lý do, giải trình" in text
    assert f"{EXPLANATION}\nDự kiến hoàn thành {expected_on}" in text
    if returned:
        assert RETURN_NOTE not in text
    for note in RETURN_REASONS.values():
        assert note not in text
    assert "Trả lại ngày" not in text
