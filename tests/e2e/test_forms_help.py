"""Forms that help (issue 16, item 6), in a real browser: the calendar beside a date box writes dd/mm/yyyy into
the box, and a task opened from "Việc cần xử lý" keeps that menu entry highlighted."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def test_the_calendar_writes_the_chosen_day_as_dd_mm_yyyy(login_as, shot):
    page = login_as("dieuphoi")
    page.goto("/tasks/new")
    box = page.get_by_label("Thời hạn hoàn thành")
    expect(page.get_by_role("button", name="Chọn ngày trên lịch")).to_be_visible()
    box.fill("15/5/2026")
    page.locator(".date-picker-native").first.fill("2026-06-30")  # what choosing 30 June in the calendar does
    expect(box).to_have_value("30/06/2026")
    shot(page, "date-picker")
    # the box still takes what is typed
    box.fill("01/07/2026")
    expect(box).to_have_value("01/07/2026")


def test_a_task_opened_from_the_inbox_keeps_the_inbox_highlighted(login_as, shot):
    page = login_as("pheduyet")  # UBND tỉnh: several demo files wait for its approval
    nav = page.get_by_role("navigation", name="Điều hướng chính")
    page.get_by_role("table", name="Danh sách việc cần xử lý").locator('a[href^="/tasks/"]').first.click()
    expect(page.get_by_role("heading", level=2, name=re.compile("^Việc của bạn"))).to_be_visible()
    expect(nav.get_by_role("link", name=re.compile("^Việc cần xử lý"))).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Danh sách nhiệm vụ")).not_to_have_attribute("aria-current", "page")
    shot(page, "task-from-inbox")


PHONE = {"width": 390, "height": 844}


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= page.viewport_size["height"]


def test_a_form_sent_back_opens_at_the_field_it_refused(login_as, shot):
    """An outside check on a phone: a new task with the day 31/06/2026 came back at the page's top, its message
    1,100 px below; a return without a reason, with the banner scrolled off and the field below the fold."""
    page = login_as("dieuphoi", viewport=PHONE)
    page.goto("/tasks/new")
    page.get_by_label("Tên nhiệm vụ").fill("Xây dựng kế hoạch thử nghiệm")
    page.get_by_label("Đơn vị chủ trì").select_option("Sở Tài chính")
    page.get_by_label("Loại sản phẩm").select_option("plan")
    due = page.get_by_label("Thời hạn hoàn thành")
    due.fill("31/06/2026")
    page.get_by_role("button", name="Giao nhiệm vụ").click()
    page.wait_for_load_state("domcontentloaded")
    expect(due).to_be_focused()
    assert _in_view(page, due)
    shot(page, "new-task-error-in-view")

    page = login_as("pheduyet", viewport=PHONE)
    page.get_by_role("table", name="Danh sách việc cần xử lý").locator('a[href^="/tasks/"]').first.click()
    page.get_by_role("button", name="Trả lại").first.click()
    page.wait_for_load_state("domcontentloaded")
    reason = page.locator("[aria-invalid='true']").first
    expect(reason).to_be_focused()
    assert _in_view(page, reason)
    shot(page, "return-without-reason-in-view")


def test_a_long_list_of_agencies_scrolls_down_filters_as_one_types_and_names_what_is_ticked(login_as, shot):
    """An outside check: the collaborators' box of a new task scrolled sideways with no scrollbar in sight — 16 of 57
    agencies seen at 1,280 px, 5 on a phone — and a choice scrolled away was out of mind."""
    for viewport in (None, PHONE):
        page = login_as("dieuphoi", viewport=viewport)
        page.goto("/tasks/new")
        group = page.get_by_role("group", name="Đơn vị phối hợp")
        listed = group.locator(".radio-list")
        assert listed.evaluate("ul => ul.scrollWidth <= ul.clientWidth")  # nothing out of sight sideways
        assert listed.evaluate("ul => ul.scrollHeight > ul.clientHeight")  # the rest is further down the box
        expect(group.locator(".pick-chosen")).to_have_text("Chưa chọn mục nào.")
        group.get_by_label("Lọc danh sách").fill("tu phap")  # typed without its diacritics
        expect(group.get_by_role("checkbox")).to_have_count(1)  # (the others hidden, out of the Tab order)
        expect(group.get_by_role("status")).to_have_text("1 mục khớp.")  # what a screen reader is told
        group.get_by_label("Lọc danh sách").press("Enter")  # a filter's Enter sends nothing
        group.get_by_role("checkbox", name="Sở Tư pháp").check()
        expect(group.get_by_role("status")).to_have_text("Đã chọn 1 mục.")
        group.get_by_label("Lọc danh sách").fill("")
        assert group.get_by_role("checkbox").count() > 50
        expect(group.locator(".pick-chosen")).to_have_text("Đã chọn: Sở Tư pháp")
        expect(page).to_have_url(re.compile("/tasks/new$"))
        shot(page, "agencies-filter" + ("-phone" if viewport else ""))


def test_a_form_refused_in_several_fields_lists_them_at_its_top(login_as, shot):
    """A keyboard check: a new task refused for three reasons opened at the first field with nothing to say two more
    waited further down the long form. The list at its top names each, and says how many to the first field; a
    line of it goes to its field."""
    page = login_as("dieuphoi")
    page.goto("/tasks/new")
    page.get_by_label("Tên nhiệm vụ").fill("Xây dựng kế hoạch thử nghiệm")
    page.get_by_label("Thời hạn hoàn thành").fill("31/02/2026")
    page.get_by_role("button", name="Giao nhiệm vụ").click()
    page.wait_for_load_state("load")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Còn 3 mục cần sửa trước khi gửi lại:")
    expect(summary.get_by_role("link")).to_have_text([
        "Đơn vị chủ trì: Vui lòng chọn đơn vị chủ trì.", "Loại sản phẩm: Vui lòng chọn loại sản phẩm.",
        "Thời hạn hoàn thành: Ngày 31/02/2026 không có trên lịch: tháng 2/2026 có 28 ngày."])
    lead = page.get_by_label("Đơn vị chủ trì")
    expect(lead).to_be_focused()
    expect(lead).to_have_accessible_description(
        re.compile("^Còn 3 mục cần sửa trước khi gửi lại: .*Vui lòng chọn đơn vị chủ trì"))
    shot(page, "new-task-error-summary")
    summary.get_by_role("link", name=re.compile("^Thời hạn hoàn thành")).click()
    expect(page.get_by_label("Thời hạn hoàn thành")).to_be_focused()
