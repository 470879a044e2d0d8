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
