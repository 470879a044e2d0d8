"""The screens, through the real forms (CSRF on), as each person would use them."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from models import Agency, Attachment, Task, WorkItem, db
from tests.conftest import COLLAB_A, COLLAB_B, LEAD, Browser, act, csrf_from, item_at, new_task, open_items, user
from workflows.accounts import people
from workflows.tasks import extensions, reads, work


def text(response) -> str:
    return response.get_data(as_text=True)


def test_login_logout(browser, world):
    assert browser.client.get("/inbox").status_code == 302
    r = browser.login("head", "sai-mat-khau")
    assert r.status_code == 200 and "Tên đăng nhập hoặc mật khẩu không đúng." in text(r)
    r = browser.login("head")
    assert r.status_code == 302 and r.headers["Location"] == "/inbox"
    page = text(browser.client.get("/inbox"))
    assert "Việc cần xử lý" in page and "Ông/Bà head" in page
    r = browser.client.post("/logout", data={"csrf_token": browser.csrf()})
    assert r.status_code == 302 and browser.client.get("/inbox").status_code == 302


def test_login_page_names_demo_accounts(browser):
    page = text(browser.client.get("/login"))
    assert "Tài khoản dùng thử" in page and "dieuphoi" in page


def test_forms_need_csrf(browser, world):
    r = browser.client.post("/login", data={"username": "head", "password": "mat-khau-1"})
    assert r.status_code == 400 and "Phiên làm việc đã hết hạn" in text(r)
    assert browser.client.get("/inbox").status_code == 302  # not logged in
    browser.login("head")
    task = new_task(world)
    r = browser.client.post(f"/work-items/{item_at(task, 'assign').id}/complete", data={"decision": "submit"})
    assert r.status_code in (400, 422)
    assert item_at(task, "assign").status == "open"


def test_inbox_lists_my_items_soonest_first(browser, world):
    from datetime import date
    late = new_task(world, due=date(2026, 9, 30), title="Nhiệm vụ hạn muộn")
    soon = new_task(world, due=date(2026, 4, 15), title="Nhiệm vụ hạn sớm")
    browser.login("head")
    page = text(browser.client.get("/inbox"))
    assert page.index(soon.title) < page.index(late.title)
    assert "15/04/2026" in page and "Phân công chuyên viên" in page
    browser.login("x_head")
    assert "Không có việc nào đang chờ bạn" in text(browser.client.get("/inbox"))


def test_work_sent_back_is_marked_in_the_inbox_with_its_reason(browser, world):
    """An outside check: a file returned with a reason looked, in its holder's inbox, like any other — the reason
    only on the task's page. Marked until it is sent again; work arriving for the first time is not."""
    returned = new_task(world, collaborators=(), title="Đề án bị trả lại")
    fresh = new_task(world, collaborators=(), title="Đề án mới giao")
    for task in (returned, fresh):
        act(world, task, "assign")
    act(world, returned, "draft")
    act(world, returned, "finalise")
    act(world, returned, "signoff", "return", "Đề nghị bổ sung <b>số liệu</b> năm 2025.")
    browser.login("officer")
    page = text(browser.client.get("/inbox"))
    row = page[page.index("Đề án bị trả lại"):]
    row = row[:row.index("</tr>")]
    assert "Bị trả lại</span>" in row and "Đề nghị bổ sung &lt;b&gt;số liệu&lt;/b&gt; năm 2025." in row
    assert "từ bước “" in row
    other = page[page.index("Đề án mới giao"):]
    assert "Bị trả lại" not in other[:other.index("</tr>")]
    act(world, returned, open_items(returned)[0].step_id)  # sent again: the head holds it, not marked
    browser.login("head")
    page = text(browser.client.get("/inbox"))
    row = page[page.index("Đề án bị trả lại"):]
    assert "Bị trả lại" not in row[:row.index("</tr>")]


def test_a_return_inside_one_collaborator_marks_its_own_item_only(world):
    """The review found it: a head returning their own agency's opinion to their officer marked the other
    collaborator's first opinion item "Bị trả lại" too (the same step in the same process), with that agency's
    internal reason."""
    task = new_task(world)  # two collaborators: COLLAB_A, COLLAB_B
    act(world, task, "assign")
    act(world, task, "draft")
    mine = next(i for i in open_items(task) if i.step_id == "give_opinion" and i.agency.name == COLLAB_A)
    work.complete(mine.id, user("collab_a"), "submit", None, {"opinion_text": "Nhất trí."})
    sign = next(i for i in open_items(task) if i.step_id == "sign_opinion")
    work.complete(sign.id, user("collab_a_head"), "return", "Bổ sung ý kiến về kinh phí.")
    waiting = [i for i in open_items(task) if i.step_id == "give_opinion"]
    marked = reads.returned_items(waiting)
    assert {i.agency.name for i in waiting} == {COLLAB_A, COLLAB_B}
    assert [i.agency.name for i in waiting if i.id in marked] == [COLLAB_A]
    assert next(iter(marked.values())).comment == "Bổ sung ý kiến về kinh phí."


def test_task_list_filters_and_pagination(browser, world):
    for i in range(30):
        new_task(world, collaborators=(), title=f"Nhiệm vụ số {i:02d}")
    report = new_task(world, output_type="report", collaborators=(), title="Báo cáo sơ kết")
    browser.login("coord")
    first = text(browser.client.get("/tasks"))
    assert "Trang 1/2 (31 mục)" in first
    assert "Nhiệm vụ số 29" not in first or "Nhiệm vụ số 00" not in first
    by_step = text(browser.client.get("/tasks?step=Xây dựng báo cáo/văn bản"))
    assert report.title in by_step and "Nhiệm vụ số 01" not in by_step
    assert "Không có nhiệm vụ nào khớp bộ lọc" in text(browser.client.get("/tasks?status=done_late"))
    agency = text(browser.client.get("/tasks?agency=99999"))  # naming nothing: said, and not applied
    assert "Không có đơn vị “99999” trong danh mục: bộ lọc này được bỏ qua." in agency and "(31 mục)" in agency
    # an officer of an uninvolved agency sees none of them
    browser.login("x_officer")
    assert "Chưa có nhiệm vụ nào" in text(browser.client.get("/tasks"))


def test_task_list_agency_filter_says_it_covers_every_taking_part(browser, world):
    task = new_task(world, collaborators=(COLLAB_A,), title="Nhiệm vụ có Sở phối hợp")
    collab = db.session.scalar(select(Agency.id).where(Agency.name == COLLAB_A))
    browser.login("coord")
    page = text(browser.client.get(f"/tasks?agency={collab}"))
    # the row shows the lead agency, so the label must say why a collaborator's filter lists it
    assert task.title in page and f'data-label="Đơn vị chủ trì">{LEAD}<' in page
    assert re.search(r'<label for="f-agency">Đơn vị tham gia <span class="label-note">'
                     r"\(chủ trì, phối hợp hoặc xử lý một bước\)</span></label>", page)

def test_create_task_form(browser, world, frozen):
    browser.login("coord")
    token = browser.csrf("/tasks/new")
    r = browser.client.post("/tasks/new", data={"csrf_token": token, "title": "", "output_type": "plan",
                                                "due_date": "31/02/2026"})
    assert r.status_code == 422
    assert "Vui lòng nhập tên nhiệm vụ." in text(r) and "Vui lòng chọn đơn vị chủ trì." in text(r)
    assert "Ngày 31/02/2026 không có trên lịch: tháng 2/2026 có 28 ngày." in text(r)
    assert 'value="31/02/2026"' in text(r)  # what was typed is kept
    for typed, said in (("31/06/2026", "Ngày 31/06/2026 không có trên lịch: tháng 6/2026 có 30 ngày."),
                        ("12/13/2026", "Ngày 12/13/2026 không có trên lịch: tháng chỉ từ 1 đến 12."),
                        ("2026-02-29", "Ngày 2026-02-29 không có trên lịch: tháng 2/2026 có 28 ngày."),
                        ("29/02/0000", "Năm 0 của ngày 29/02/0000 không hợp lệ: kiểm tra lại năm.")):
        r = browser.client.post("/tasks/new", data={"csrf_token": token, "due_date": typed})
        assert said in text(r), typed  # (before: "ví dụ tháng 2 chỉ có 28 hoặc 29 ngày" for every one of them)
    # an empty form lists every missing field at once, the deadline included
    r = browser.client.post("/tasks/new", data={"csrf_token": token})
    for message in ("Vui lòng nhập tên nhiệm vụ.", "Vui lòng chọn đơn vị chủ trì.", "Vui lòng chọn loại sản phẩm.",
                    "Vui lòng nhập thời hạn hoàn thành, hoặc ghi thời hạn theo văn bản"):
        assert message in text(r), message
    # the document's wording alone is enough
    assert "Vui lòng nhập thời hạn" not in text(browser.client.post("/tasks/new", data={
        "csrf_token": token, "deadline_text": "Quý II năm 2026"}))
    r = browser.client.post("/tasks/new", data={
        "csrf_token": token, "title": "Xây dựng Đề án <b>thí điểm</b>", "lead_agency": LEAD,
        "collaborating_agencies": [COLLAB_A], "output_type": "plan", "due_date": "30/06/2026",
        "deadline_text": "Quý II năm 2026"})
    assert r.status_code == 302
    task = db.session.scalars(select(Task)).one()
    page = text(browser.client.get(r.headers["Location"]))
    assert "Xây dựng Đề án &lt;b&gt;thí điểm&lt;/b&gt;" in page  # escaped
    assert "Phân công chuyên viên" in page and "30/06/2026" in page
    assert task.collaborating_agencies[0].name == COLLAB_A
    browser.login("officer")
    assert browser.client.get("/tasks/new").status_code == 403


def test_the_lead_ticked_as_collaborator_too_is_said_not_silently_dropped(browser, world, frozen):
    browser.login("coord")
    r = browser.client.post("/tasks/new", data={
        "csrf_token": browser.csrf("/tasks/new"), "title": "Kế hoạch thí điểm", "lead_agency": LEAD,
        "collaborating_agencies": [LEAD, COLLAB_A], "output_type": "plan", "due_date": "30/06/2026"})
    page = text(browser.client.get(r.headers["Location"]))
    assert f"{LEAD} chủ trì nhiệm vụ nên không ghi thêm là đơn vị phối hợp." in page
    assert [a.name for a in db.session.scalars(select(Task)).one().collaborating_agencies] == [COLLAB_A]


def test_a_due_date_already_past_is_taken_only_once_confirmed(browser, world, frozen):
    """2020 typed for 2026 would make the task overdue from its first minute: asked once, then accepted."""
    browser.login("coord")
    token = browser.csrf("/tasks/new")
    form = {"csrf_token": token, "title": "Kế hoạch giao muộn", "lead_agency": LEAD, "output_type": "plan",
            "due_date": "01/01/2020"}
    r = browser.client.post("/tasks/new", data=form)
    assert r.status_code == 422 and "Thời hạn 01/01/2020 đã qua: nhiệm vụ sẽ quá hạn ngay khi giao." in text(r)
    assert "Đúng, thời hạn này đã qua (nhiệm vụ được giao muộn)" in text(r)  # the box appears only now
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0
    assert browser.client.post("/tasks/new", data={**form, "past_due_ok": "y"}).status_code == 302
    assert db.session.scalars(select(Task)).one().due_date == date(2020, 1, 1)
    assert "Đúng, thời hạn này đã qua" not in text(browser.client.get("/tasks/new"))


def test_a_refused_date_says_whether_the_day_or_the_format_is_wrong(browser, world):
    browser.login("coord")
    token = browser.csrf("/tasks/new")
    for typed in ("29/02/2027", "31-04-2026", "30.13.2026", "2026-02-30"):
        r = browser.client.post("/tasks/new", data={"csrf_token": token, "due_date": typed})
        assert f"Ngày {typed} không có trên lịch" in text(r) and "Ngày không hợp lệ" not in text(r)
    for typed in ("30/6", "hôm qua", "30/06-2026", "1/2/26"):
        r = browser.client.post("/tasks/new", data={"csrf_token": token, "due_date": typed})
        assert "Ngày không hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 30/06/2026." in text(r)
        assert "không có trên lịch" not in text(r)

def _form_token(browser, task_id):
    return csrf_from(text(browser.client.get(f"/tasks/{task_id}")))


def test_complete_with_upload_and_download_rights(browser, world, app):
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    item = item_at(task, "draft")
    browser.login("officer")
    page = text(browser.client.get(f"/tasks/{task.id}"))
    assert "Việc của bạn: Xây dựng dự thảo" in page and "Tệp dự thảo" in page
    token = _form_token(browser, task.id)
    # the draft file is required on the page
    r = browser.client.post(f"/work-items/{item.id}/complete",
                            data={f"wi{item.id}-csrf_token": token, "decision": "submit"})
    assert r.status_code == 422 and "Vui lòng đính kèm tệp dự thảo." in text(r)
    # a file whose content does not match its type is refused with a message
    r = browser.client.post(f"/work-items/{item.id}/complete", data={
        f"wi{item.id}-csrf_token": token, "decision": "submit",
        f"wi{item.id}-draft_file": (io.BytesIO(b"MZ\x90\x00"), "du-thao.pdf")},
        content_type="multipart/form-data")
    assert r.status_code == 422 and "không đúng định dạng .pdf" in text(r)
    r = browser.client.post(f"/work-items/{item.id}/complete", data={
        f"wi{item.id}-csrf_token": token, "decision": "submit", f"wi{item.id}-note": "Bản đầu",
        f"wi{item.id}-draft_file": (io.BytesIO(b"%PDF-1.4 du thao"), "Dự thảo đề án.pdf")},
        content_type="multipart/form-data")
    assert r.status_code == 302, text(r)
    attachment = db.session.scalars(select(Attachment)).one()
    assert (attachment.filename, attachment.version, attachment.label) == ("Dự thảo đề án.pdf", 1, "Tệp dự thảo")
    assert attachment.stored_name not in attachment.filename
    with browser.client.get(f"/attachments/{attachment.id}") as got:
        assert got.status_code == 200 and got.data == b"%PDF-1.4 du thao"
        assert got.headers["Content-Disposition"].startswith("inline;")  # a PDF opens in the browser, sandboxed
        assert got.headers["Content-Security-Policy"].startswith("sandbox")
    with browser.client.get(f"/attachments/{attachment.id}?download=1") as got:
        assert "attachment;" in got.headers["Content-Disposition"]
    browser.login("x_officer")
    assert browser.client.get(f"/attachments/{attachment.id}").status_code == 403
    browser.login("justice")  # not involved yet
    assert browser.client.get(f"/attachments/{attachment.id}").status_code == 403
    browser.login("coord")
    with browser.client.get(f"/attachments/{attachment.id}") as got:
        assert got.status_code == 200


def test_the_head_signing_off_has_the_draft_at_hand_in_his_card(browser, world):
    """The file being decided on is linked in the decision card, not only in the list two screens below."""
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    item = item_at(task, "draft")
    browser.login("officer")
    r = browser.client.post(f"/work-items/{item.id}/complete", data={
        f"wi{item.id}-csrf_token": _form_token(browser, task.id), "decision": "submit",
        f"wi{item.id}-draft_file": (io.BytesIO(b"%PDF-1.4 du thao"), "Dự thảo đề án.pdf")},
        content_type="multipart/form-data")
    assert r.status_code == 302
    act(world, task, "finalise")
    files = list(db.session.scalars(select(Attachment).order_by(Attachment.id)))
    browser.login("head")
    page = text(browser.client.get(f"/tasks/{task.id}"))
    card = page[page.index("Việc của bạn: Lãnh đạo đơn vị ký duyệt"):page.index("</section>",
                                                                          page.index("Việc của bạn:"))]
    assert "Hồ sơ trình" in card and f'href="/attachments/{files[-1].id}"' in card


def test_return_without_reason_shows_the_error_beside_the_field(browser, world):
    task = new_task(world, collaborators=())
    for step in ("assign", "draft", "finalise"):
        act(world, task, step)
    item = item_at(task, "signoff")
    browser.login("head")
    token = _form_token(browser, task.id)
    r = browser.client.post(f"/work-items/{item.id}/complete",
                            data={f"wi{item.id}-csrf_token": token, "decision": "return"})
    assert r.status_code == 422
    assert re.search(r'class="field-error">Khi trả lại, vui lòng ghi rõ lý do.', text(r))
    assert item_at(task, "signoff").status == "open"
    r = browser.client.post(f"/work-items/{item.id}/complete", data={
        f"wi{item.id}-csrf_token": token, "decision": "return", f"wi{item.id}-comment": "Thiếu kinh phí"})
    assert r.status_code == 302
    browser.login("officer")
    page = text(browser.client.get(f"/tasks/{task.id}"))
    assert "Hồ sơ bị trả lại ở bước “Lãnh đạo đơn vị ký duyệt”" in page and "Thiếu kinh phí" in page
    assert "Lý do trả lại:" in page
    # the banner belongs to the returned file's step, not to the coordinator reviewing an extension meanwhile
    extensions.request_extension(world["officer"], task.id, date(2099, 9, 30), "Chờ ý kiến Sở Tài chính")
    browser.login("coord")
    page = text(browser.client.get(f"/tasks/{task.id}"))
    assert "Việc của bạn: Tổ giúp việc xem xét đề nghị gia hạn" in page and "Hồ sơ bị trả lại" not in page


def test_second_completion_gets_the_conflict_page(browser, world, app):
    task = new_task(world, collaborators=())
    item = item_at(task, "assign")
    browser.login("head")
    token = _form_token(browser, task.id)
    data = {f"wi{item.id}-csrf_token": token, "decision": "submit"}
    assert browser.client.post(f"/work-items/{item.id}/complete", data=data).status_code == 302
    r = browser.client.post(f"/work-items/{item.id}/complete",
                            data={**data, f"wi{item.id}-comment": "Đề nghị bổ sung <số liệu>\nquý III."})
    assert r.status_code == 409 and "Bạn đã xử lý việc này lúc" in text(r)  # sent twice: not "người khác"
    # and nothing beside it says the action was not recorded (a tired head would do it again)
    assert "chưa được ghi nhận" not in text(r) and "Lần gửi này không được ghi thêm" in text(r)
    # what was typed, to copy into the next try (it was lost)
    assert ">Đề nghị bổ sung &lt;số liệu&gt;\nquý III.</textarea>" in text(r)


def test_claim_and_release_buttons(browser, world):
    task = new_task(world, output_type="report", collaborators=())
    item = item_at(task, "draft")
    browser.login("officer")
    assert "Nhận xử lý" in text(browser.client.get(f"/tasks/{task.id}"))
    token = browser.csrf(f"/tasks/{task.id}")
    r = browser.client.post(f"/work-items/{item.id}/claim", data={"csrf_token": token})
    assert r.headers["Location"] == f"/tasks/{task.id}#wi{item.id}"  # back at the item's form, not the page's top
    assert "Bạn đang giữ việc này" in text(browser.client.get(f"/tasks/{task.id}"))
    other = Browser(browser.client.application.test_client())
    other.login("officer2")
    assert f'id="wi{item.id}"' not in text(other.client.get(f"/tasks/{task.id}"))
    assert "Không có việc nào đang chờ bạn" in text(other.client.get("/inbox"))
    r = browser.client.post(f"/work-items/{item.id}/release", data={"csrf_token": token})
    assert r.headers["Location"] == f"/tasks/{task.id}#wi{item.id}"
    assert f'id="wi{item.id}"' in text(other.client.get(f"/tasks/{task.id}"))


def test_error_pages(browser, world):
    browser.login("officer")
    r = browser.client.get("/tasks/424242")
    assert r.status_code == 404 and "Không tìm thấy" in text(r)
    task = new_task(world)
    browser.login("x_officer")
    r = browser.client.get(f"/tasks/{task.id}")
    assert r.status_code == 403 and "không có quyền" in text(r)
    assert db.session.scalar(select(func.count()).select_from(Task)) == 1


def test_security_headers(browser):
    r = browser.client.get("/login")
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert "HttpOnly" in browser.client.post("/login", data={}).headers.get("Set-Cookie", "HttpOnly")


def test_a_failed_step_leaves_no_uploaded_file_behind(browser, world, app):
    """The upload is written, then the step fails (the confirming agency was deleted from the registry
    after the task was assigned): the transaction rolls back and the file goes with it."""
    people.create_agency("Văn phòng Tỉnh ủy")
    app.config["COORDINATING_AGENCY"] = "Văn phòng Tỉnh ủy"
    try:
        task = new_task(world, collaborators=(), output_type="submission")
    finally:
        app.config["COORDINATING_AGENCY"] = "Sở Khoa học và Công nghệ"
    db.session.delete(db.session.scalar(select(Agency).where(Agency.name == "Văn phòng Tỉnh ủy")))
    db.session.commit()
    for step in ("assign", "draft", "finalise", "signoff", "approve"):
        act(world, task, step)
    item = item_at(task, "report")
    folder = Path(app.config["UPLOAD_FOLDER"])
    before = set(folder.iterdir())
    browser.login("officer")
    r = browser.client.post(f"/work-items/{item.id}/complete", data={
        f"wi{item.id}-csrf_token": _form_token(browser, task.id), "decision": "submit",
        f"wi{item.id}-decision_number": "12/QĐ", f"wi{item.id}-decision_date": "2026-05-20",
        f"wi{item.id}-result_file": (io.BytesIO(b"%PDF-1.7 ket qua"), "ket-qua.pdf")},
        content_type="multipart/form-data")
    assert r.status_code == 422 and "chưa có trong danh mục" in text(r)
    assert set(folder.iterdir()) == before
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert item_at(task, "report").status == "open"


def test_history_shows_what_each_step_recorded(browser, world):
    task = new_task(world, collaborators=(COLLAB_A,))
    for step in ("assign", "draft", "give_opinion", "sign_opinion"):
        act(world, task, step)
    browser.login("officer")
    page = text(browser.client.get(f"/tasks/{task.id}"))
    assert "Nội dung góp ý:" in page and "Nhất trí với dự thảo." in page
    assert "Chuyên viên thực hiện:" in page
    # a submit-only step asks for a note, not for a reason to return
    assert "Ý kiến / lý do trả lại" not in page and "Ghi chú" in page


def test_a_finished_task_says_the_day_it_was_finished_in_the_province(browser, world, frozen):
    """Finished at half past midnight in Hà Nội (17:30 the day before in UTC): the task page gives the local day."""
    task = new_task(world, collaborators=())
    frozen.advance(days=91, hours=16, minutes=30)  # 01/03 08:00 → 01/06 00:30 Hà Nội (31/05 17:30 UTC)
    while items := open_items(task):
        act(world, task, items[0].step_id)
    assert task.state == "done"
    browser.login("coord")
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Hoàn thành ngày 01/06/2026" in page


def test_a_long_pasted_text_comes_back_whole_with_its_count(browser, world):
    """A 7,080-character note pasted into "Ghi chú" was cut to 5,000 mid-word by the browser (the field's
    maxlength), without a word; the text now reaches the server and comes back whole, with how long it is."""
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    item = item_at(task, "draft")
    browser.login("officer")
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "maxlength" not in page[page.index(f'id="wi{item.id}-note"') - 200:][:400]
    long_note = "Tình hình thực hiện " * 354  # 7,080 characters
    r = browser.client.post(f"/work-items/{item.id}/complete", data={
        f"wi{item.id}-csrf_token": _form_token(browser, task.id), "decision": "submit", f"wi{item.id}-note": long_note,
        f"wi{item.id}-draft_file": (io.BytesIO(b"%PDF-1.4 du thao"), "du-thao.pdf")},
        content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Tối đa 5.000 ký tự (nội dung gửi có 7.080 ký tự)" in html
    assert long_note.strip() in html  # (kept whole to be shortened there)


def test_the_folded_phone_menu_says_how_many_notices_are_unread(browser, world):
    """On a phone the header showed "Menu 2" (the work items) and nothing of an unread mention asking for a reply by
    a date, visible only once the menu was opened."""
    task = new_task(world, collaborators=())
    act(world, task, "assign")  # the officer is told of the draft waiting for them
    browser.login("officer")
    page = text(browser.client.get("/inbox"))
    toggle = page[page.index('class="menu-toggle"'):page.index("</button>", page.index('class="menu-toggle"'))]
    assert "1 tin mới" in toggle and "(thông báo chưa đọc)" in toggle


def _upload(world, task, step: str, username: str, decision: str, comment: str | None = None, **files):
    from werkzeug.datastructures import FileStorage
    item = item_at(task, step)
    uploads = {name: FileStorage(io.BytesIO(b"%PDF-1.4 " + filename.encode()), filename=filename)
               for name, filename in files.items()}
    return work.complete(item.id, world[username], decision, comment, {}, uploads)


def _card(browser, username: str, task) -> str:
    """The text of ``username``'s work card on the task page, down to its buttons."""
    browser.login(username)
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    card = page[page.index("Việc của bạn:"):]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card[:card.index('class="form-actions"')]))


def test_a_file_sent_again_after_a_return_says_so_to_whoever_decides_on_it(world, browser, frozen):
    """An outside check of the reviewers' side: after a return the file came back to the head, the appraiser and
    the approver as if new — nothing said it had been returned, why, what the officer answered or whether any
    file changed; the appraiser's "Không đạt" report, filed with the return, was listed to the approver as the
    appraisal of the file; the collaborators' opinions were nowhere in a decision's card."""
    task = new_task(world)
    for step in ("assign", "draft", "give_opinion", "give_opinion", "sign_opinion", "sign_opinion", "finalise",
                 "signoff"):
        act(world, task, step)
    _upload(world, task, "appraise", "justice", "return", "Thiếu đánh giá tác động chính sách.",
            appraisal_file="tham-dinh-khong-dat.pdf")
    item = item_at(task, "finalise")
    work.complete(item.id, world["officer"], "submit", None, {"note": "Đã bổ sung mục đánh giá tác động."})

    head = _card(browser, "head", task)
    assert "Hồ sơ trình lại." in head
    assert "Lần trước bị trả lại ở bước “Thẩm định” (01/03/2026 08:00, Ông/Bà justice — Sở Tư pháp): " \
           "Thiếu đánh giá tác động chính sách." in head
    assert "Trả lời (Hoàn thiện dự thảo · Ông/Bà officer): Ghi chú: Đã bổ sung mục đánh giá tác động." in head
    assert "Không có tệp mới kể từ lần trả lại." in head
    assert head.count("Đã bổ sung mục đánh giá tác động.") == 1  # (not again under "Bước trước đã ghi")
    assert "giữ nguyên như lần trình trước" not in head
    assert "tham-dinh-khong-dat.pdf" not in head  # the appraiser's report of the return is not the file signed
    assert "Ý kiến đơn vị phối hợp" in head and f"{COLLAB_A} (Ông/Bà collab_a; ký: Ông/Bà collab_a_head): " \
           "Nhất trí với dự thảo." in head and f"{COLLAB_B} (Ông/Bà collab_b; ký: Ông/Bà collab_b_head)" in head
    act(world, task, "signoff")
    justice = _card(browser, "justice", task)
    assert "Hồ sơ trình lại." in justice and "Đã bổ sung mục đánh giá tác động." in justice
    assert f"Lãnh đạo đơn vị ký duyệt · Ông/Bà head ({LEAD}): Đã đồng ý" in justice
    act(world, task, "appraise")
    approver = _card(browser, "approver", task)
    assert "tham-dinh-khong-dat.pdf" not in approver and "Hồ sơ trình lại." not in approver  # (never theirs before)
    assert "Thẩm định · Ông/Bà justice (Sở Tư pháp): Đã đồng ý" in approver
    act(world, task, "approve", "return", "Rà soát lại kinh phí.")
    item = item_at(task, "finalise")  # sent again with the note of the time before, as its form offers it
    work.complete(item.id, world["officer"], "submit", None, {"note": "Đã bổ sung mục đánh giá tác động."})
    head = _card(browser, "head", task)
    assert "Rà soát lại kinh phí." in head and "(ghi chú giữ nguyên như lần trình trước)" in head
    act(world, task, "signoff")
    # the officer a return reaches has that return's report at hand, not an earlier one's
    _upload(world, task, "appraise", "justice", "return", "Chưa đạt.", appraisal_file="tham-dinh-lan-2.pdf")
    officer = _card(browser, "officer", task)
    assert "tham-dinh-lan-2.pdf" in officer and "tham-dinh-khong-dat.pdf" not in officer


def test_an_answer_to_a_return_shows_every_value_it_wrote(world, browser, frozen):
    """A code review: a result reported again after the coordinator's return showed its new number in the note,
    and its date nowhere (taken out of "Bước trước đã ghi", not written in the note)."""
    task = new_task(world, collaborators=())
    frozen.advance(days=90)  # 30/05/2026: the decisions of May are past
    while (step := open_items(task)[0].step_id) != "confirm":
        act(world, task, step)
    act(world, task, "confirm", "return", "Số quyết định chưa đúng.")
    act(world, task, "report", data={"decision_number": "124/QĐ-UBND", "decision_date": "2026-05-21"})
    coord = _card(browser, "coord", task).replace(" ;", ";")
    assert "Số văn bản/quyết định: 124/QĐ-UBND; Ngày ban hành: 21/05/2026" in coord


def test_the_inbox_marks_a_file_sent_again_to_whoever_returned_it_before(world, browser):
    task = new_task(world, collaborators=())
    for step in ("assign", "draft", "finalise", "signoff"):
        act(world, task, step)
    act(world, task, "appraise", "return", "Thiếu đánh giá tác động chính sách.")
    act(world, task, "finalise")
    browser.login("head")
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", browser.client.get("/inbox").get_data(as_text=True)))
    assert "Trình lại sau khi bị trả lại ở bước “Thẩm định”: Thiếu đánh giá tác động chính sách." in page
    act(world, task, "signoff")
    browser.login("justice")
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", browser.client.get("/inbox").get_data(as_text=True)))
    assert "Trình lại sau khi bị trả lại ở bước “Thẩm định”" in page
    act(world, task, "appraise")
    browser.login("approver")
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", browser.client.get("/inbox").get_data(as_text=True)))
    assert "Trình lại" not in page  # the approver never had it before


def test_an_agency_collaborating_and_appraising_has_the_whole_file_at_appraisal(world, browser):
    """An outside check: an agency that is both a collaborator and the appraiser (or the coordinator confirming)
    had at its appraisal only its own files and the draft, as on its own opinion step: another collaborator's
    letter was missing from the file it appraised."""
    from tests.conftest import JUSTICE
    from workflows.accounts import people as accounts
    world["justice_officer"] = accounts.create_user("justice_officer", "mat-khau-1", JUSTICE, ["officer"])
    task = new_task(world, collaborators=(COLLAB_A, JUSTICE))
    act(world, task, "assign")
    act(world, task, "draft")
    by = {COLLAB_A: ("collab_a", "collab_a_head"), JUSTICE: ("justice_officer", "justice_head")}
    for agency, (officer, _head) in by.items():
        item = next(i for i in open_items(task) if i.step_id == "give_opinion" and i.agency.name == agency)
        _complete_with_file(world, item, officer, {"opinion_text": "Có ý kiến."}, opinion_file=f"gop-y-{officer}.txt")
    for agency, (_officer, head) in by.items():
        item = next(i for i in open_items(task) if i.step_id == "sign_opinion" and i.agency.name == agency)
        work.complete(item.id, world[head], "approve", None, {})
    act(world, task, "finalise")
    act(world, task, "signoff")
    appraisal = _card(browser, "justice", task)
    assert "gop-y-collab_a.txt" in appraisal and "gop-y-justice_officer.txt" in appraisal


def _complete_with_file(world, item, username: str, data: dict, **files):
    from werkzeug.datastructures import FileStorage
    uploads = {name: FileStorage(io.BytesIO(filename.encode()), filename=filename) for name, filename in files.items()}
    return work.complete(item.id, world[username], "submit", None, data, uploads)


def test_a_collaborator_s_own_return_is_its_branch_s_alone(world, browser):
    """A code review: one collaborating agency's head returned its officer's opinion; the other agency's head, and
    then the lead's, read it as their own file "sent again", with that agency's reason."""
    task = new_task(world)
    act(world, task, "assign")
    act(world, task, "draft")

    def opinion_of(agency: str, step: str) -> WorkItem:
        return next(i for i in open_items(task) if i.step_id == step and i.agency.name == agency)

    work.complete(opinion_of(COLLAB_B, "give_opinion").id, world["collab_b"], "submit", None,
                  {"opinion_text": "Có ý kiến."})
    work.complete(opinion_of(COLLAB_B, "sign_opinion").id, world["collab_b_head"], "return", "Viết lại cho rõ.")
    work.complete(opinion_of(COLLAB_B, "give_opinion").id, world["collab_b"], "submit", None,
                  {"opinion_text": "Có ý kiến, đã viết rõ."})
    work.complete(opinion_of(COLLAB_A, "give_opinion").id, world["collab_a"], "submit", None,
                  {"opinion_text": "Nhất trí."})

    def inbox(username: str) -> str:
        browser.login(username)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", browser.client.get("/inbox").get_data(as_text=True)))

    assert "Hồ sơ trình lại." not in _card(browser, "collab_a_head", task)
    assert "Trình lại" not in inbox("collab_a_head")
    b_head = _card(browser, "collab_b_head", task)
    assert "Hồ sơ trình lại." in b_head and "Viết lại cho rõ." in b_head and "đã viết rõ" in b_head
    assert "Trình lại sau khi bị trả lại ở bước “Lãnh đạo ký văn bản góp ý”: Viết lại cho rõ." in inbox("collab_b_head")
    for step in ("sign_opinion", "sign_opinion", "finalise"):
        act(world, task, step)
    assert "Hồ sơ trình lại." not in _card(browser, "head", task) and "Trình lại" not in inbox("head")


def test_a_step_refused_in_several_fields_lists_them_above_its_form(world, browser, frozen):
    """A code review: the report step (number, date, file) refused for three reasons said so field by field only."""
    task = new_task(world, collaborators=())
    while (step := open_items(task)[0].step_id) != "report":
        act(world, task, step)
    item = item_at(task, "report")
    browser.login("officer")
    token = csrf_from(browser.client.get(f"/tasks/{task.id}").get_data(as_text=True))
    r = browser.client.post(f"/work-items/{item.id}/complete", data={f"wi{item.id}-csrf_token": token,
                                                                     "decision": "submit"})
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.get_data(as_text=True)))
    assert r.status_code == 422 and "Còn 3 mục cần sửa trước khi gửi lại:" in page
    summary = page[page.index("Còn 3 mục"):][:400]
    assert "Số văn bản/quyết định:" in summary and "Ngày ban hành:" in summary and "Tệp kết quả:" in summary


def test_the_inbox_shows_a_decision_on_a_file_nothing_was_done_to_yet(world, browser):
    """A file whose process has no decision yet (a request for more time waiting for its first review) beside the
    marks of files sent again: the inbox answered 500 while reading those marks."""
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    extensions.request_extension(world["officer"], task.id, date(2027, 3, 31), "Chờ ý kiến của bộ")
    browser.login("coord")
    page = browser.client.get("/inbox")
    assert page.status_code == 200 and "xem xét đề nghị gia hạn" in page.get_data(as_text=True)
