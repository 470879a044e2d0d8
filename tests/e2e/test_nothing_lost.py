"""Nothing typed is lost (static/keep.js): an officer writes a long comment, the session ends before it is
sent (here: the cookies are cleared, as an idle timeout or a sign-out in another tab would leave it), and the
text stays on the page with a message. Signed in again in another tab, the same button sends it."""

from __future__ import annotations

from playwright.sync_api import expect

TEXT = ("Đề nghị Sở Tài chính cho ý kiến về nguồn kinh phí trước ngày 05/12/2026; "
        "dự thảo đã cập nhật số liệu quý III theo góp ý của Sở Tư pháp.")


def test_a_comment_typed_when_the_session_ended_is_kept_and_sent_after_signing_in_again(login_as, shot):
    page = login_as("chuyenvien")
    page.locator("main a[href^='/tasks/']").first.click()
    task_url = page.url.split("#")[0]
    box = page.get_by_label("Nội dung trao đổi")
    box.fill(TEXT)
    page.context.clear_cookies()  # the session is gone while the text was being written

    page.get_by_role("button", name="Gửi trao đổi").click()
    alert = page.get_by_role("alert").filter(has_text="phiên làm việc đã hết hạn")
    expect(alert).to_be_visible()
    expect(box).to_have_value(TEXT)  # still there, and the page did not move
    assert page.url.split("#")[0] == task_url
    shot(page, "session-ended-text-kept")

    with page.context.expect_page() as opened:
        alert.get_by_role("link", name="Đăng nhập lại (mở thẻ mới)").click()
    login = opened.value
    login.get_by_label("Tên đăng nhập").fill("chuyenvien")
    login.get_by_label("Mật khẩu").fill("demo1234")
    login.get_by_role("button", name="Đăng nhập").click()
    expect(login.get_by_role("heading", level=1, name="Việc cần xử lý")).to_be_visible()
    login.close()

    page.get_by_role("button", name="Gửi trao đổi").click()  # same page, same text, the new session's token
    expect(page.get_by_role("status").filter(has_text="Đã gửi trao đổi.")).to_be_visible()
    expect(page.get_by_role("region", name="Lịch sử xử lý")).to_contain_text(TEXT)
    assert page.url.split("#")[0] == task_url
    shot(page, "sent-after-signing-in-again")

