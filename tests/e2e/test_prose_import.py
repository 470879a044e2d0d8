"""A plan whose responsibilities are written in sentences (002, "V. TỔ CHỨC THỰC HIỆN"), imported in a real browser:
the coordinator reads the proposed tasks beside their source sentences, edits one, drops one, adds back a sentence
the reader did not take for a task, and commits; the three choices are what the register then holds."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import FIXTURES

PROSE_SECTION = "Nhiệm vụ giao trong nội dung văn bản"
EDITED_FROM = "Giúp Ban Thường vụ Tỉnh ủy lãnh đạo, chỉ đạo, điều hành thống nhất"
EDITED_TO = "Giúp Ban Thường vụ Tỉnh ủy chỉ đạo thực hiện Kế hoạch hành động (đã sửa khi nhập)"
DROPPED = "Kịp thời đề xuất, tham mưu cho Ban Thường vụ Tỉnh ủy"
ADDED_BACK = "Quán triệt, triển khai thực hiện nghiêm túc, hiệu quả Nghị quyết số 57"


def open_rest(section) -> None:
    """Unfold the rows that will be imported (the rows to review come first, open)."""
    rest = section.locator("details.rows-rest")
    if rest.count() and rest.get_attribute("open") is None:
        rest.locator("> summary").click()
        expect(rest).to_have_attribute("open", "")


def test_coordinator_edits_drops_and_adds_back_prose_tasks_then_commits(login_as, shot):
    page = login_as("dieuphoi")
    page.get_by_role("navigation").get_by_role("link", name=re.compile("^Nhập danh mục")).first.click()
    page.get_by_label("Tệp văn bản").set_input_files(next(FIXTURES.glob("002_*.txt")))
    page.get_by_role("button", name="Đọc và xem trước").click()
    body = page.get_by_role("region", name=PROSE_SECTION)
    expect(body).to_be_visible(timeout=60_000)  # reading a 20-page plan takes a while on a busy machine
    open_rest(body)
    # a bullet under "Trách nhiệm của Ban Chỉ đạo cấp tỉnh" inherits its lead from the heading; a sentence that
    # names its lead or deadline stands under its task with them marked
    first = body.get_by_role("row").filter(has_text=EDITED_FROM).first
    # (its 300-odd rows are searched by text: on a busy machine that alone took more than the default 5 s)
    expect(first).to_contain_text("Ban Chỉ đạo cấp tỉnh", timeout=30_000)
    expect(first).to_contain_text("Trách nhiệm của Ban Chỉ đạo cấp tỉnh")
    expect(body.locator("blockquote mark.mark-lead").first).to_be_visible()
    expect(body.locator("blockquote mark.mark-deadline").first).to_be_visible()
    shot(page, "prose-preview")

    # edit one: its title
    first.get_by_text("Sửa dòng này", exact=True).click()
    first.get_by_label("Tên nhiệm vụ").fill(EDITED_TO)
    with page.expect_navigation():  # the flash of the step before says the same words
        first.get_by_role("button", name="Lưu sửa").click()
    expect(page.get_by_role("status").filter(has_text="Đã cập nhật dòng")).to_be_visible()
    body = page.get_by_role("region", name=PROSE_SECTION)
    open_rest(body)
    expect(body.get_by_role("row").filter(has_text=EDITED_TO)).to_contain_text("Nhiệm vụ mới")

    # drop one
    dropped = body.get_by_role("row").filter(has_text=DROPPED).first
    dropped.get_by_text("Sửa dòng này", exact=True).click()
    with page.expect_navigation():  # the flash of the step before says the same words
        dropped.get_by_role("button", name="Bỏ qua dòng này").click()
    expect(page.get_by_role("status").filter(has_text="Đã cập nhật dòng")).to_be_visible()
    body = page.get_by_role("region", name=PROSE_SECTION)
    expect(body.get_by_role("row").filter(has_text=DROPPED).first).to_contain_text("Bỏ qua")  # to review: first

    # add back a sentence that names nobody: it is listed, folded, with its text
    body.get_by_text(re.compile(r"^Câu không phải nhiệm vụ \(\d+\)")).click()
    sentence = body.get_by_role("listitem").filter(has_text=ADDED_BACK).first
    sentence.get_by_label("Đơn vị chủ trì").fill("Sở Khoa học và Công nghệ")
    shot(page, "prose-add-back")
    with page.expect_navigation():  # the flash of the step before says the same words
        sentence.get_by_role("button", name="Thêm thành nhiệm vụ").click()
    expect(page.get_by_role("status").filter(has_text="Đã cập nhật dòng")).to_be_visible()
    body = page.get_by_role("region", name=PROSE_SECTION)
    open_rest(body)
    added = body.get_by_role("row").filter(has_text=ADDED_BACK).first
    expect(added).to_contain_text("Sở Khoa học và Công nghệ")
    expect(added).to_contain_text("Nhiệm vụ mới")
    shot(page, "prose-fixed")

    # the commit creates the plan's 152 tasks, each with its process started: 3.6 s on an idle PostgreSQL here, four
    # times that with the two test runs and the browsers sharing two cores (the click waits for its navigation)
    page.get_by_role("button", name="Ghi danh mục").click(timeout=60_000)
    expect(page.get_by_role("status").filter(has_text="Đã ghi danh mục")).to_contain_text("nhiệm vụ mới")

    # the register of tasks holds the edited and the added task, not the dropped one
    for words, found in ((EDITED_TO, True), (ADDED_BACK, True), (DROPPED, False)):
        search = page.get_by_role("search")
        search.get_by_label("Tìm nhiệm vụ").fill(words)
        search.get_by_role("button", name="Tìm").click()
        results = page.get_by_role("link", name=re.compile(re.escape(words[:40])))
        if found:
            expect(results.first).to_be_visible()
        else:
            expect(results).to_have_count(0)
    shot(page, "prose-committed")
