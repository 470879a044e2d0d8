"""The product's main journeys, clicked through in a real browser by each person in their own session.

a) approval: the coordinator imports an official document and its task runs the whole approval cycle,
   with one return by the appraiser (and a return without a reason refused next to the field);
b) extension: the lead agency asks for more time, the coordinator reviews, UBND tỉnh approves;
c) monthly report: the coordinator creates the periodic reports, the agency reports, the coordinator accepts.

Every page visited is saved under test-output/e2e/<test>/ in journey order (see conftest.py).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from playwright.sync_api import Page, expect

from tests.conftest import FIXTURES

# "Danh mục bổ sung các nhiệm vụ trọng tâm … năm 2026", as published (tests/fixtures)
SUPPLEMENT_PATTERN = "003_*.txt"
# Its row 10: a decision (appraised by Sở Nội vụ, approved by UBND tỉnh), led by Sở Khoa học và Công nghệ
# with Sở Tài chính collaborating.
TASK_WORDS = "Quỹ phát triển khoa học công nghệ"
TASK_TITLE = "Nghiên cứu, tham mưu hình thành lại Quỹ phát triển khoa học công nghệ của tỉnh."
RETURN_REASON = "Chưa nêu căn cứ pháp lý thành lập Quỹ (Luật Khoa học, công nghệ và đổi mới sáng tạo 2025)."
NO_REASON_ERROR = "Khi trả lại, vui lòng ghi rõ lý do."
DECISION_LABELS = {"submit": "Gửi", "approve": "Đồng ý", "return": "Trả lại"}
DONE_FLASH = {"submit": "Đã gửi", "approve": "Đã đồng ý", "return": "Đã trả lại"}
INBOX_TABLE = "Danh sách việc cần xử lý"


SIGNED_DECISION = ("Quyet_dinh_so_1234_QD_UBND_ve_viec_thanh_lap_Quy_phat_trien_khoa_hoc_va_cong_nghe_tinh_Thanh_Hoa"
                   "_ban_chinh_thuc_da_ky_so_dong_dau_ngay_hom_nay.docx")


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, Path]:
    """Real .docx files to upload, one per document an officer attaches."""
    folder = tmp_path_factory.mktemp("documents")
    paths = {}
    for name, heading in [("du-thao-quyet-dinh.docx", "Dự thảo Quyết định thành lập Quỹ phát triển KH&CN"),
                          ("du-thao-hoan-thien.docx", "Dự thảo Quyết định (bản hoàn thiện)"),
                          ("du-thao-sua-theo-tham-dinh.docx", "Dự thảo Quyết định (sửa theo ý kiến thẩm định)"),
                          (SIGNED_DECISION, "Quyết định số 1234/QĐ-UBND"),
                          ("bao-cao-thang.docx", "Báo cáo tình hình thực hiện nhiệm vụ tháng")]:
        doc = Document()
        doc.add_heading(heading, level=1)
        doc.add_paragraph("Tài liệu dùng trong kiểm thử đầu cuối.")
        doc.save(folder / name)
        paths[name] = folder / name
    return paths


def today_vn() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def slug(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return re.sub(r"[^a-z0-9]+", "-", "".join(c for c in text.lower() if c.isascii())).strip("-")


def task_id_of(page: Page) -> int:
    match = re.search(r"/tasks/(\d+)", page.url)
    assert match, page.url
    return int(match.group(1))


def detail(page: Page, term: str) -> str:
    """The value of an entry of "Thông tin nhiệm vụ" on the task page."""
    details = page.get_by_role("region", name="Thông tin nhiệm vụ")
    term_cell = details.locator("dt", has_text=re.compile(rf"^{re.escape(term)}$"))
    return term_cell.locator("xpath=following-sibling::dd[1]").inner_text()


def current_steps(page: Page) -> str:
    return page.get_by_role("region", name="Đang ở bước").inner_text()


class Person:
    """One signed-in person (their own browser context) who works from "Việc cần xử lý".

    Every page they reach is screenshotted as ``<who>-<what>``.
    """

    actions = 0  # actions taken by anyone so far: a page showing the inbox after an older one is stale

    def __init__(self, page: Page, who: str, shot):
        self.page, self.who, self._shot = page, who, shot
        self._inbox_fresh_at: int | None = None  # the action after which this page landed on the inbox

    def shot(self, what: str) -> None:
        self._shot(self.page, f"{self.who}-{what}")

    def nav(self, name: str) -> None:
        """Click an entry of the main menu (its name may carry a count badge)."""
        menu = self.page.get_by_role("navigation", name="Điều hướng chính")
        menu.get_by_role("link", name=re.compile(rf"^{re.escape(name)}")).click()
        self._inbox_fresh_at = None

    def goto(self, path: str) -> None:
        self.page.goto(path)
        self._inbox_fresh_at = None

    def _to_inbox(self) -> None:
        if not (self._inbox_fresh_at == Person.actions and re.search(r"/inbox$", self.page.url)):
            self.nav("Việc cần xử lý")
        self._inbox_fresh_at = None
        expect(self.page.get_by_role("heading", level=1, name="Việc cần xử lý")).to_be_visible()

    def _next_inbox_page(self) -> bool:
        following = self.page.get_by_role("link", name="Sau ›")
        if not following.count():
            return False
        following.click()
        return True

    def inbox(self) -> list[tuple[str, str, str]]:
        """(link, step, row text) of every item on "Việc cần xử lý", all its pages (the step: the first line of its
        cell, which may say under it that the file was returned, and why)."""
        self._to_inbox()
        rows: list[tuple[str, str, str]] = []
        while True:
            table = self.page.get_by_role("table", name=INBOX_TABLE)
            if table.count():
                rows += [tuple(r) for r in table.get_by_role("row").filter(has=self.page.get_by_role("link"))
                         .evaluate_all("rows => rows.map(r => [r.querySelector('a').getAttribute('href'), "
                                       "r.cells[1].innerText.trim().split('\\n')[0], r.innerText])")]
            if not self._next_inbox_page():
                return rows

    def items_for(self, task_id: int) -> list[str]:
        """The rows of this person's inbox that belong to the task."""
        return [text for href, _, text in self.inbox() if href.startswith(f"/tasks/{task_id}#")]

    def open_item(self, task_id: int, step: str) -> None:
        """Open the task from the inbox, where it must wait for this person at ``step``."""
        self._to_inbox()
        while True:
            link = self.page.get_by_role("row").filter(has_text=step).locator(f'a[href^="/tasks/{task_id}#"]')
            if link.count():
                break
            assert self._next_inbox_page(), f"{step!r} of task {task_id} is not in {self.who}'s inbox"
        self.shot("inbox")
        link.first.click()
        expect(self.page.get_by_role("heading", level=2, name=f"Việc của bạn: {step}")).to_be_visible()
        self.shot(slug(step))

    def act(self, step: str, decision: str = "submit", fill: dict | None = None, choose: dict | None = None,
            attach: dict | None = None) -> None:
        """Fill the step's form (by label) on the open task page and press the decision; lands on the inbox."""
        form = self.page.get_by_role("region", name=f"Việc của bạn: {step}")
        for label, value in (fill or {}).items():
            form.get_by_label(label).fill(value)  # (strict: a label shared by two controls fails here)
        for label, option in (choose or {}).items():
            form.get_by_label(label).select_option(label=option)
        for label, path in (attach or {}).items():
            form.get_by_label(label).set_input_files(path)
        form.get_by_role("button", name=DECISION_LABELS[decision], exact=True).click()
        expect(self.page.get_by_role("status").filter(has_text=f"{DONE_FLASH[decision]}: {step}")).to_be_visible()
        expect(self.page.get_by_role("heading", level=1, name="Việc cần xử lý")).to_be_visible()
        Person.actions += 1
        self._inbox_fresh_at = Person.actions
        self.shot(f"{slug(step)}-{decision}-done")


# ---------------------------------------------------------------- a) the approval journey

def test_approval_journey(browser, live_server, login_as, shot, documents):
    page = browser.new_page(base_url=live_server)
    page.goto("/login")
    expect(page.get_by_role("heading", name="Tài khoản dùng thử")).to_be_visible()
    shot(page, "login")
    page.close()

    # The coordinator imports the supplementary list as published and reads the preview.
    coordinator = Person(login_as("dieuphoi"), "coordinator", shot)
    coordinator.nav("Nhập danh mục")
    expect(coordinator.page.get_by_role("heading", level=1, name="Nhập danh mục nhiệm vụ từ văn bản")).to_be_visible()
    supplement = next(FIXTURES.glob(SUPPLEMENT_PATTERN))
    coordinator.page.get_by_label("Tệp văn bản").set_input_files(supplement)
    coordinator.shot("import-form")
    coordinator.page.get_by_role("button", name="Đọc và xem trước").click()
    expect(coordinator.page.get_by_role("heading", level=2, name="Tổng hợp")).to_be_visible()
    # the rows to review come first; the ones that will be imported are folded below them
    rest = coordinator.page.get_by_text(re.compile(r"^Các dòng sẽ nhập hoặc đã có \(\d+ dòng\)"))
    for i in range(rest.count()):
        rest.nth(i).click()
    row = coordinator.page.get_by_role("row").filter(has_text=TASK_WORDS)
    expect(row).to_contain_text("Nhiệm vụ mới")
    expect(row).to_contain_text("Quyết định")
    expect(row).to_contain_text("Phối hợp: Sở Tài chính")
    expect(row).to_contain_text("31/12/2026")
    coordinator.shot("import-preview")
    coordinator.page.get_by_role("button", name="Ghi danh mục").click()
    expect(coordinator.page.get_by_role("status").filter(has_text="Đã ghi danh mục")).to_contain_text("nhiệm vụ mới")
    coordinator.shot("import-committed")

    # Committing assigned the task: its process waits for the lead agency's head.
    search = coordinator.page.get_by_role("search")
    search.get_by_label("Tìm nhiệm vụ").fill(TASK_WORDS)
    search.get_by_role("button", name="Tìm").click()
    coordinator.shot("search-results")
    coordinator.page.get_by_role("link", name=TASK_TITLE).click()
    expect(coordinator.page.get_by_role("heading", level=1, name=TASK_TITLE)).to_be_visible()
    task_id = task_id_of(coordinator.page)
    assert detail(coordinator.page, "Đơn vị chủ trì") == "Sở Khoa học và Công nghệ"
    assert detail(coordinator.page, "Đơn vị phối hợp") == "Sở Tài chính"
    assert detail(coordinator.page, "Loại sản phẩm") == "Quyết định"
    assert "Phân công chuyên viên" in current_steps(coordinator.page)
    coordinator.shot("task-assigned")
    assert coordinator.items_for(task_id) == []

    # The head of the lead agency assigns an officer.
    head = Person(login_as("lanhdao"), "head", shot)
    head.open_item(task_id, "Phân công chuyên viên")
    head.act("Phân công chuyên viên", choose={"Chuyên viên thực hiện": "Trần Văn Bình"})
    assert head.items_for(task_id) == []

    # The officer drafts and uploads the draft.
    officer = Person(login_as("chuyenvien"), "officer", shot)
    officer.open_item(task_id, "Xây dựng dự thảo")
    officer.act("Xây dựng dự thảo", attach={"Tệp dự thảo": documents["du-thao-quyet-dinh.docx"]},
                fill={"Ghi chú": "Dự thảo lần 1, gửi Sở Tài chính góp ý."})
    assert officer.items_for(task_id) == []

    # The collaborating agency's officer gives an opinion.
    collaborator = Person(login_as("cv.sotc"), "collaborator", shot)
    collaborator.open_item(task_id, "Góp ý dự thảo")
    collaborator.act("Góp ý dự thảo",
                     fill={"Nội dung góp ý": "Sở Tài chính thống nhất; đề nghị nêu rõ nguồn vốn điều lệ của Quỹ."})
    assert collaborator.items_for(task_id) == []

    # Nothing leaves an agency unsigned: the collaborating agency's head reads his officer's opinion and signs it.
    collaborator_head = Person(login_as("ld.sotc"), "collaborator-head", shot)
    collaborator_head.open_item(task_id, "Lãnh đạo ký văn bản góp ý")
    signing = collaborator_head.page.get_by_role("region", name="Việc của bạn: Lãnh đạo ký văn bản góp ý")
    expect(signing.locator(".handed-over")).to_contain_text("nguồn vốn điều lệ")
    collaborator_head.act("Lãnh đạo ký văn bản góp ý", "approve")
    assert collaborator_head.items_for(task_id) == []

    # The officer finalises; the head signs off.
    officer.open_item(task_id, "Hoàn thiện dự thảo")
    expect(officer.page.get_by_role("region", name="Lịch sử xử lý")).to_contain_text("nguồn vốn điều lệ")
    finalising = officer.page.get_by_role("region", name="Việc của bạn: Hoàn thiện dự thảo")
    expect(finalising.locator(".handed-over")).to_contain_text("nguồn vốn điều lệ")  # the opinion its head signed
    officer.act("Hoàn thiện dự thảo", attach={"Dự thảo hoàn thiện": documents["du-thao-hoan-thien.docx"]})
    head.open_item(task_id, "Lãnh đạo đơn vị ký duyệt")
    head.act("Lãnh đạo đơn vị ký duyệt", "approve")
    assert head.items_for(task_id) == []

    # The appraiser (Sở Nội vụ appraises decisions) first presses "Trả lại" without a reason: refused at the field.
    appraiser = Person(login_as("td.sonv"), "appraiser", shot)
    appraiser.open_item(task_id, "Thẩm định")
    appraisal = appraiser.page.get_by_role("region", name="Việc của bạn: Thẩm định")
    appraisal.get_by_role("button", name="Trả lại", exact=True).click()
    expect(appraiser.page.get_by_role("alert")).to_contain_text("Chưa thể gửi")
    # the refused form is where the page opens (on a phone its field was below the screen, under the task's head)
    assert re.search(r"/work-items/\d+/complete#wi\d+$", appraiser.page.url), appraiser.page.url
    expect(appraisal.get_by_role("heading", name="Việc của bạn: Thẩm định")).to_be_in_viewport()
    reason = appraisal.get_by_label("Ý kiến / lý do trả lại")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile(re.escape(NO_REASON_ERROR)))
    expect(reason.locator("xpath=..")).to_contain_text(NO_REASON_ERROR)  # right beside the field
    assert "Thẩm định" in current_steps(appraiser.page)
    expect(appraiser.page.get_by_role("region", name="Lịch sử xử lý")).not_to_contain_text("Lý do trả lại")
    appraiser.shot("return-without-reason")
    assert any("Thẩm định" in text for text in appraiser.items_for(task_id))  # nothing moved
    appraiser.open_item(task_id, "Thẩm định")
    appraiser.act("Thẩm định", "return", fill={"Ý kiến / lý do trả lại": RETURN_REASON})
    assert appraiser.items_for(task_id) == []

    # The officer sees the reason and revises; the head signs off again.
    officer.open_item(task_id, "Hoàn thiện dự thảo")
    expect(officer.page.get_by_role("region", name="Việc của bạn: Hoàn thiện dự thảo")).to_contain_text(RETURN_REASON)
    expect(officer.page.get_by_role("region", name="Lịch sử xử lý")).to_contain_text(
        f"Lý do trả lại: {RETURN_REASON}")
    officer.act("Hoàn thiện dự thảo", attach={"Dự thảo hoàn thiện": documents["du-thao-sua-theo-tham-dinh.docx"]},
                fill={"Ghi chú": "Đã bổ sung căn cứ pháp lý theo ý kiến thẩm định."})
    head.open_item(task_id, "Lãnh đạo đơn vị ký duyệt")
    head.act("Lãnh đạo đơn vị ký duyệt", "approve")

    # The appraiser passes it; the approver approves.
    appraiser.open_item(task_id, "Thẩm định")
    appraiser.act("Thẩm định", "approve", fill={"Ý kiến / lý do trả lại": "Đủ điều kiện trình phê duyệt."})
    assert appraiser.items_for(task_id) == []
    approver = Person(login_as("pheduyet"), "approver", shot)
    approver.open_item(task_id, "Phê duyệt")
    approver.act("Phê duyệt", "approve")
    assert approver.items_for(task_id) == []

    # The officer reports the decision issued; the coordinator confirms.
    officer.open_item(task_id, "Báo cáo kết quả")
    decision_day = today_vn().strftime("%d/%m/%Y")
    officer.act("Báo cáo kết quả", fill={"Số văn bản/quyết định": "1234/QĐ-UBND", "Ngày ban hành": decision_day},
                attach={"Tệp kết quả": documents[SIGNED_DECISION]})
    assert officer.items_for(task_id) == []
    coordinator.open_item(task_id, "Xác nhận hoàn thành")
    expect(coordinator.page.get_by_role("region", name="Lịch sử xử lý")).to_contain_text("1234/QĐ-UBND")
    coordinator.act("Xác nhận hoàn thành", "approve")
    assert coordinator.items_for(task_id) == []

    # Done: finished on time, with the decision, its file and the return reason in the history.
    coordinator.goto(f"/tasks/{task_id}")
    expect(coordinator.page.get_by_role("region", name="Kết quả")).to_contain_text("Nhiệm vụ đã hoàn thành.")
    expect(coordinator.page.get_by_text("Hoàn thành đúng hạn", exact=True)).to_be_visible()
    expect(coordinator.page.get_by_role("region", name="Tệp đính kèm")).to_contain_text(SIGNED_DECISION)
    # a file name without a space, as scanners and phones name them, wraps in its cell: the page keeps its width
    assert coordinator.page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    history = coordinator.page.get_by_role("region", name="Lịch sử xử lý")
    expect(history).to_contain_text(f"Ngày ban hành: {decision_day}")
    expect(history).to_contain_text(RETURN_REASON)
    coordinator.shot("task-done")
    officer.goto(f"/tasks/{task_id}")
    expect(officer.page.get_by_role("heading", level=2, name=re.compile("^Việc của bạn"))).to_have_count(0)
    officer.shot("task-done")


# ---------------------------------------------------------------- b) the extension request

def test_extension_journey(login_as, shot):
    # The officer of the lead agency picks a task his agency leads from his inbox.
    officer = Person(login_as("chuyenvien"), "officer", shot)
    own = [(href, step) for href, step, text in officer.inbox() if "Chủ trì: Sở Khoa học và Công nghệ" in text]
    assert own, "the demo officer has work on a task his agency leads"
    href, step = own[0]
    task_id = int(re.match(r"/tasks/(\d+)#", href).group(1))
    officer.open_item(task_id, step)
    old_due = datetime.strptime(detail(officer.page, "Thời hạn").split()[0], "%d/%m/%Y").date()
    new_due = max(old_due, today_vn()) + timedelta(days=45)
    new_due_text = new_due.strftime("%d/%m/%Y")

    extension = officer.page.get_by_role("region", name="Đề nghị điều chỉnh thời hạn")
    extension.get_by_text("Gửi đề nghị gia hạn").first.click()  # opens the <details>
    extension.get_by_label("Thời hạn đề nghị").fill(new_due_text)
    extension.get_by_label("Lý do").fill("Chờ ý kiến thống nhất của Sở Tài chính về nguồn kinh phí.")
    officer.shot("extension-form")
    extension.get_by_role("button", name="Gửi đề nghị gia hạn").click()
    expect(officer.page.get_by_role("status").filter(has_text="Đã gửi đề nghị gia hạn")).to_be_visible()
    expect(officer.page.get_by_role("region", name="Lịch sử xử lý")).to_contain_text(
        f"Thời hạn đề nghị: {new_due_text}")
    assert detail(officer.page, "Thời hạn").startswith(old_due.strftime("%d/%m/%Y"))  # unchanged until decided
    officer.shot("extension-sent")

    coordinator = Person(login_as("dieuphoi"), "coordinator", shot)
    coordinator.open_item(task_id, "Tổ giúp việc xem xét đề nghị gia hạn")
    # the reviewer reads what is asked beside the form, not only in the history
    expect(coordinator.page.locator("#pending-extension")).to_contain_text(
        f"đến {new_due_text} (thời hạn hiện tại {old_due:%d/%m/%Y})")
    expect(coordinator.page.locator("#pending-extension")).to_contain_text("Chờ ý kiến thống nhất của Sở Tài chính")
    coordinator.act("Tổ giúp việc xem xét đề nghị gia hạn", "approve",
                    fill={"Ý kiến / lý do trả lại": "Lý do xác đáng; đề nghị UBND tỉnh đồng ý gia hạn."})
    assert not any("gia hạn" in text for text in coordinator.items_for(task_id))

    authority = Person(login_as("pheduyet"), "authority", shot)
    authority.open_item(task_id, "Cấp giao nhiệm vụ quyết định")
    expect(authority.page.get_by_role("region", name="Lịch sử xử lý")).to_contain_text("Lý do xác đáng")
    # Enter in the form's text box decides nothing: the decision is a button pressed
    form = authority.page.get_by_role("region", name="Việc của bạn: Cấp giao nhiệm vụ quyết định")
    posted = []
    authority.page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    form.get_by_label("Văn bản đồng ý gia hạn").fill("Công văn 12/UBND-KT")
    form.get_by_label("Văn bản đồng ý gia hạn").press("Enter")
    authority.page.wait_for_timeout(500)  # (a submission would have been sent by now)
    assert posted == []
    expect(form.get_by_label("Văn bản đồng ý gia hạn")).to_have_value("Công văn 12/UBND-KT")
    authority.act("Cấp giao nhiệm vụ quyết định", "approve")
    # what was done is where the focus is, so that a screen reader says it (a status there at load is not read)
    expect(authority.page.locator(".flashes")).to_be_focused()
    assert authority.items_for(task_id) == []

    officer.goto(f"/tasks/{task_id}")
    due = detail(officer.page, "Thời hạn")
    assert due.startswith(new_due_text), due
    assert f"Thời hạn ban đầu: {old_due:%d/%m/%Y}" in due
    officer.shot("new-deadline")


# ---------------------------------------------------------------- c) the monthly report

def test_monthly_report_journey(login_as, shot, documents):
    agency = "Sở Khoa học và Công nghệ"
    coordinator = Person(login_as("dieuphoi"), "coordinator", shot)
    coordinator.nav("Báo cáo định kỳ")
    heading = coordinator.page.get_by_role("heading", level=1, name=re.compile("^Báo cáo định kỳ: Tháng "))
    expect(heading).to_be_visible()
    month = heading.inner_text().split(": ", 1)[1]  # "Tháng 11/2026"
    title = f"Báo cáo định kỳ {month[0].lower()}{month[1:]} của {agency}"
    table = coordinator.page.get_by_role("table", name=f"Các báo cáo phải nộp trong kỳ {month}")
    expect(table.get_by_role("row").filter(has_text=title)).to_contain_text("Chưa khởi tạo")
    expect(coordinator.page.get_by_role("main")).to_contain_text("chưa được khởi tạo")
    coordinator.shot("reports-before-generation")

    # What the background worker does every morning at 06:00, done now from the page.
    coordinator.page.get_by_role("button", name="Tạo ngay các báo cáo còn thiếu").click()
    expect(coordinator.page.get_by_role("status").filter(has_text="báo cáo định kỳ mới")).to_be_visible()
    row = table.get_by_role("row").filter(has_text=title)
    expect(row.get_by_role("link", name=title)).to_be_visible()
    expect(row).to_contain_text("Xây dựng báo cáo/văn bản")
    coordinator.shot("reports-generated")
    row.get_by_role("link", name=title).click()
    task_id = task_id_of(coordinator.page)
    coordinator.shot("report-task")

    officer = Person(login_as("chuyenvien"), "officer", shot)
    officer.open_item(task_id, "Xây dựng báo cáo/văn bản")
    officer.act("Xây dựng báo cáo/văn bản", attach={"Tệp báo cáo/văn bản": documents["bao-cao-thang.docx"]},
                fill={"Số văn bản (nếu đã ban hành)": "215/BC-SKHCN"})
    assert officer.items_for(task_id) == []

    head = Person(login_as("lanhdao"), "head", shot)
    head.open_item(task_id, "Lãnh đạo đơn vị ký duyệt")
    head.act("Lãnh đạo đơn vị ký duyệt", "approve")
    assert head.items_for(task_id) == []

    coordinator.open_item(task_id, "Tiếp nhận kết quả")
    expect(coordinator.page.get_by_role("region", name="Tệp đính kèm")).to_contain_text("bao-cao-thang.docx")
    coordinator.act("Tiếp nhận kết quả", "approve")
    assert coordinator.items_for(task_id) == []

    coordinator.nav("Báo cáo định kỳ")
    row = coordinator.page.get_by_role("table", name=f"Các báo cáo phải nộp trong kỳ {month}").get_by_role("row") \
        .filter(has_text=title)
    expect(row).to_contain_text("Đã hoàn thành")
    expect(row).to_contain_text(re.compile("Hoàn thành (đúng|quá) hạn"))
    coordinator.shot("reports-accepted")
