"""People and agencies in the UI, in a real browser: the administrator creates an agency and people, each new
person signs in with the temporary password and must change it first; an agency head closes the account of an
officer who left, whose claimed work goes back to the agency's queue.

The demo's own officer (chuyenvien) stays active for the other browser tests: a fresh officer is created here."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

AGENCY = "Trung tâm Chuyển đổi số tỉnh"
SCIENCE = "Sở Khoa học và Công nghệ"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Điều hướng chính").get_by_role(
        "link", name=re.compile(rf"^{re.escape(name)}")).click()


def both_widths(page: Page, shot, name: str) -> None:
    shot(page, f"{name}-1280")
    page.set_viewport_size(PHONE)
    shot(page, f"{name}-390")
    page.set_viewport_size(DESKTOP)


def create_user(page: Page, username: str, full_name: str, agency: str, role: str) -> str:
    """Fill "Thêm người dùng" and return the temporary password shown once."""
    nav(page, "Người dùng")
    page.get_by_role("link", name="Thêm người dùng").click()
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Họ và tên").fill(full_name)
    page.get_by_label("Đơn vị", exact=True).select_option(label=agency)
    page.get_by_label(role, exact=True).check()
    page.get_by_role("button", name="Tạo tài khoản").click()
    expect(page.get_by_role("heading", level=1, name="Đã tạo 1 tài khoản")).to_be_visible()
    return page.locator("code.temp-password").inner_text().strip()


def first_sign_in(browser, base_url: str, username: str, password: str, shot=None) -> Page:
    """Sign in with a temporary password: the only page offered is "Đổi mật khẩu", until it is changed."""
    context = browser.new_context(base_url=base_url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                  viewport=DESKTOP)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1, name="Đổi mật khẩu")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="mật khẩu tạm thời")).to_be_visible()
    page.goto("/tasks")  # any other page sends them back
    expect(page.get_by_role("heading", level=1, name="Đổi mật khẩu")).to_be_visible()
    if shot:
        both_widths(page, shot, "forced-change")
    page.get_by_label("Mật khẩu hiện tại").fill(password)
    page.get_by_label(re.compile(r"^Mật khẩu mới")).fill("mat-khau-rieng-2026")
    page.get_by_label("Nhập lại mật khẩu mới").fill("mat-khau-rieng-2026")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.get_by_role("heading", level=1, name="Việc cần xử lý")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Đã đổi mật khẩu")).to_be_visible()
    return page


def test_admin_creates_an_agency_and_a_user_who_must_change_the_temporary_password(login_as, browser, live_server,
                                                                                    shot):
    admin = login_as("quantri")
    nav(admin, "Đơn vị")
    expect(admin.get_by_role("heading", level=1, name="Đơn vị")).to_be_visible()
    admin.get_by_role("link", name="Thêm đơn vị").click()
    admin.get_by_label("Tên đơn vị").fill(AGENCY)
    admin.get_by_label("Tên viết tắt").fill("TTCĐS")
    admin.get_by_label("Loại đơn vị").select_option(label="Ban")
    admin.get_by_label("Tên gọi khác").fill("Trung tâm CĐS\nTT Chuyển đổi số")
    admin.get_by_role("button", name="Thêm đơn vị").click()
    expect(admin.get_by_role("status").filter(has_text=f"Đã lưu đơn vị {AGENCY}.")).to_be_visible()
    expect(admin.get_by_role("table")).to_contain_text("TT Chuyển đổi số")
    admin.goto("/admin/agencies")
    both_widths(admin, shot, "agencies")

    nav(admin, "Người dùng")
    admin.get_by_role("link", name="Thêm người dùng").click()
    both_widths(admin, shot, "user-form")
    password = create_user(admin, "cv.ttcds", "Hoàng Thị Lan", AGENCY, "Chuyên viên")
    assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password)
    shot(admin, "user-created")
    nav(admin, "Người dùng")
    search = admin.get_by_role("search", name="Tìm người dùng")
    search.get_by_label("Tìm kiếm").fill("hoang thi lan")  # no accents needed
    search.get_by_role("button", name="Tìm").click()
    expect(admin.get_by_role("table")).to_contain_text("Chờ đổi mật khẩu tạm")
    expect(admin.get_by_role("table").get_by_role("row")).to_have_count(2)  # the header and her
    admin.goto("/admin/users")
    both_widths(admin, shot, "users")

    page = first_sign_in(browser, live_server, "cv.ttcds", password, shot)
    expect(page.locator(".user-box")).to_contain_text(AGENCY)
    page.context.close()


def test_a_head_closes_an_officers_account_and_their_work_goes_back_to_the_queue(login_as, browser, live_server,
                                                                                shot):
    admin = login_as("quantri")
    password = create_user(admin, "cv.nghiviec", "Đinh Văn Nghỉ", SCIENCE, "Chuyên viên")

    # the new officer takes an item waiting in the agency's queue
    officer = first_sign_in(browser, live_server, "cv.nghiviec", password)
    row = officer.get_by_role("row").filter(has_text="Chưa ai nhận").first
    row.locator("a[href^='/tasks/']").first.click()
    task_url = officer.url.split("#")[0]
    officer.get_by_role("button", name="Nhận xử lý").click()
    expect(officer.get_by_text("Bạn đang giữ việc này.")).to_be_visible()
    # the page opens on the work item, which a screen reader reads with what was done (the status itself, there
    # when the page loaded, was never announced: keyboard check)
    officer.wait_for_load_state("load")
    assert "Bạn đã nhận xử lý" in officer.evaluate(DESCRIBED_FOCUS)
    expect(officer.get_by_role("region", name="Đang ở bước")).to_contain_text("Đinh Văn Nghỉ")

    head = login_as("lanhdao")
    nav(head, "Cán bộ đơn vị")
    expect(head.get_by_role("heading", level=1, name="Cán bộ của đơn vị")).to_be_visible()
    table = head.get_by_role("table")
    expect(table).to_contain_text("Trần Văn Bình")
    expect(table).not_to_contain_text("Phạm Thu Dung")  # another agency's appraiser
    shot(head, "head-people")
    table.get_by_role("row").filter(has_text="Đinh Văn Nghỉ").get_by_role("link", name="Ngừng tài khoản…").click()
    expect(head.get_by_role("heading", level=1, name="Ngừng tài khoản của Đinh Văn Nghỉ?")).to_be_visible()
    expect(head.get_by_text("1 việc họ đang giữ trở về hàng chờ của đơn vị")).to_be_visible()
    shot(head, "head-confirm")
    head.get_by_role("button", name="Ngừng tài khoản").click()
    expect(head.get_by_role("status").filter(has_text="1 việc đang giữ đã trả về hàng chờ của đơn vị")).to_be_visible()
    expect(head.get_by_role("row").filter(has_text="Đinh Văn Nghỉ")).to_contain_text("Đã ngừng")
    shot(head, "head-closed-account")

    head.goto(task_url)
    expect(head.get_by_role("region", name="Đang ở bước")).to_contain_text("chưa ai nhận")
    expect(head.get_by_role("region", name="Lịch sử xử lý")).to_contain_text("đã ngừng hoạt động")
    shot(head, "task-back-in-queue")

    officer.goto("/inbox")  # their session has ended, and the password no longer opens one
    expect(officer.get_by_role("heading", level=1, name="Đăng nhập")).to_be_visible()
    officer.get_by_label("Tên đăng nhập").fill("cv.nghiviec")
    officer.get_by_label("Mật khẩu").fill("mat-khau-rieng-2026")
    officer.get_by_role("button", name="Đăng nhập").click()
    expect(officer.get_by_role("heading", level=1, name="Đăng nhập")).to_be_visible()
    officer.context.close()


# the text of what describes the focused element (its aria-describedby)
DESCRIBED_FOCUS = """() => (document.activeElement.getAttribute('aria-describedby') || '').split(/\\s+/)
  .map(id => (document.getElementById(id) || {}).textContent || '').join(' ')"""
