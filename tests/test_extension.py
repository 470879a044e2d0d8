"""Asking for more time: the lead agency asks, the coordinator reviews, the assigning authority decides."""

from __future__ import annotations

import io
import re
from datetime import UTC, date

import pytest
from sqlalchemy import select

from models import AuditEvent, DeadlineAdjustment, Notification, ProcessInstance, db
from tests.conftest import act, csrf_from, item_at, new_task, waiting_timers
from tests.test_timers import local
from workflows import clock, holidays
from workflows.errors import Invalid, NotAllowed
from workflows.process import runtime
from workflows.tasks import extensions, work


@pytest.fixture
def running(world, frozen):
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 3, 13))
    act(world, task, "assign")
    return task


def test_approved_extension_moves_the_date_and_the_timers(world, running):
    task = running
    extensions.request_extension(world["officer"], task.id, date(2026, 4, 10), "Chờ ý kiến của bộ, ngành trung ương")
    review = item_at(task, "review")
    assert (review.role, review.agency.name) == ("coordinator", "Sở Khoa học và Công nghệ")
    # the reviewers' notices say what is asked (an outside check: "Việc mới: … xem xét đề nghị gia hạn" only)
    told = db.session.scalars(select(Notification).where(Notification.kind == "new_item")
                              .order_by(Notification.id.desc())).first()
    assert "Thời hạn đề nghị: 10/04/2026" in told.body
    assert "Lý do đề nghị: Chờ ý kiến của bộ, ngành trung ương" in told.body
    assert item_at(task, "draft").status == "open"  # the work goes on meanwhile
    work.complete(review.id, world["coord"], "approve", "Đề nghị chấp thuận")
    decide = item_at(task, "decide")
    assert (decide.role, decide.agency.name) == ("approver", "UBND tỉnh")
    told = db.session.scalars(select(Notification).where(Notification.kind == "new_item")
                              .order_by(Notification.id.desc())).first()
    assert told.user.username == "approver" and "Thời hạn đề nghị: 10/04/2026" in told.body
    work.complete(decide.id, world["approver"], "approve", "Đồng ý gia hạn")
    db.session.refresh(task)
    assert task.due_date == date(2026, 4, 10) and task.original_due == date(2026, 3, 13)
    [adj] = db.session.scalars(select(DeadlineAdjustment))
    assert (adj.old_due, adj.new_due, adj.decided_by.username) == (date(2026, 3, 13), date(2026, 4, 10), "approver")
    assert "Chờ ý kiến của bộ, ngành trung ương" in adj.reason
    # the draft step's timers follow the new date
    timers = {t.action + ":" + t.notify: t.fire_at for t in waiting_timers(task) if t.step_name == "Xây dựng dự thảo"}
    assert timers["escalate:agency_head"] == local(2026, 4, 13).replace(tzinfo=UTC)
    assert task.state == "active"  # the extension finishing does not finish the task
    assert [i.step_id for i in runtime.open_items_of_task(task.id)] == ["draft"]
    notes = db.session.scalars(select(Notification).where(Notification.kind == "extension")).all()
    # the requester, the lead's head and the coordinator who recommended it (an outside check: the reviewer who
    # carried the request on never learnt what became of it)
    assert sorted(n.user.username for n in notes) == ["coord", "head", "officer"]


@pytest.mark.parametrize("refused_at", ["review", "decide"])
def test_refused_extension_keeps_the_date(world, running, refused_at):
    task = running
    extensions.request_extension(world["head"], task.id, date(2026, 5, 29), "Khối lượng lớn")
    work.complete(item_at(task, "review").id, world["coord"],
                   "return" if refused_at == "review" else "approve", "Chưa có căn cứ")
    if refused_at == "decide":
        work.complete(item_at(task, "decide").id, world["approver"], "return", "Không đồng ý")
    db.session.refresh(task)
    assert task.due_date == date(2026, 3, 13)
    assert db.session.scalars(select(DeadlineAdjustment)).all() == []
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.kind == "extension")).one()
    assert instance.status == "completed"
    # whoever refused knows it; the reviewer who recommended it to the authority is told it was refused
    notes = db.session.scalars(select(Notification).where(Notification.kind == "extension")).all()
    assert sorted(n.user.username for n in notes) == (["head"] if refused_at == "review" else ["coord", "head"])
    assert all(n.title.startswith("Đề nghị gia hạn không được chấp thuận") for n in notes)
    # the history's line of the decision does not read as the task finished (an outside check: "→ Hoàn thành")
    last = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(("approve", "return")))
                              .order_by(AuditEvent.id.desc())).first()
    assert last.to_step == "Kết thúc đề nghị gia hạn" and task.state == "active"


def test_extension_requests_are_checked(world, running):
    task = running
    with pytest.raises(NotAllowed):
        extensions.request_extension(world["x_officer"], task.id, date(2026, 4, 10), "x")
    with pytest.raises(NotAllowed):
        extensions.request_extension(world["coord"], task.id, date(2026, 4, 10), "x")
    with pytest.raises(Invalid) as exc:
        extensions.request_extension(world["officer"], task.id, date(2026, 3, 1), "")
    assert set(exc.value.fields) == {"new_due", "reason"}
    extensions.request_extension(world["officer"], task.id, date(2026, 4, 10), "Lý do")
    with pytest.raises(Invalid) as exc:
        extensions.request_extension(world["officer"], task.id, date(2026, 4, 20), "Lý do khác")
    assert "đang có một đề nghị" in exc.value.fields["new_due"]


def test_extension_from_the_task_page(world, running, browser):
    task = running
    browser.login("officer")
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Gửi đề nghị gia hạn" in page
    token = csrf_from(page)
    r = browser.client.post(f"/tasks/{task.id}/extension", data={"csrf_token": token, "new_due": "31/02/2026",
                                                                 "reason": ""})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Ngày 31/02/2026 không có trên lịch" in page
    # the error is far down the page: a message at the top says where to look
    notice = "Chưa gửi được đề nghị gia hạn: vui lòng xem lỗi ở mục “Đề nghị điều chỉnh thời hạn”."
    assert page.index(notice) < page.index('id="extension-title"')
    # a year no plan writes (31/12/9999 was taken, and the approver's decision then failed with a 500)
    r = browser.client.post(f"/tasks/{task.id}/extension", data={"csrf_token": token, "new_due": "31/12/9999",
                                                                 "reason": "Chờ ý kiến bộ"})
    assert r.status_code == 422 and "Năm 9999 của ngày 31/12/9999 không hợp lệ" in r.get_data(as_text=True)
    # a date too early says the two days it must follow (it said "sau thời hạn hiện tại và sau hôm nay" alone), and
    # the example beside the box lies ahead (copying "30/06/2026" in December was refused)
    r = browser.client.post(f"/tasks/{task.id}/extension", data={"csrf_token": token, "new_due": "02/01/2026",
                                                                 "reason": "Chờ ý kiến bộ"})
    page = r.get_data(as_text=True)
    assert (f"Thời hạn đề nghị phải sau thời hạn hiện tại ({task.due_date:%d/%m/%Y}) và sau hôm nay "
            f"({clock.today():%d/%m/%Y}).") in page
    example = re.search(r"Ngày/tháng/năm, ví dụ (\d\d)/(\d\d)/(\d{4})\.", page)
    assert date(int(example[3]), int(example[2]), int(example[1])) > clock.today()
    # a file chosen beside a wrong date cannot come back in its box: it says so, not an empty box (an outside
    # check sent the request on without its letter)
    r = browser.client.post(f"/tasks/{task.id}/extension", data={
        "csrf_token": token, "new_due": "31/02/2026", "reason": "Chờ ý kiến bộ",
        "file": (io.BytesIO(b"%PDF-1.4 de nghi"), "Công văn đề nghị.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 422
    assert "Tệp “Công văn đề nghị.pdf” chưa được gửi: chọn lại tệp trước khi gửi." in r.get_data(as_text=True)
    # a file of a kind not taken is named as such beside the file field (it said only "exe"), the text kept
    r = browser.client.post(f"/tasks/{task.id}/extension", data={
        "csrf_token": token, "new_due": "10/04/2026", "reason": "Chờ ý kiến bộ",
        "file": (io.BytesIO(b"MZ"), "virus.exe")}, content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Chờ ý kiến bộ</textarea>" in page
    field = page[page.index('id="extension-title"'):]
    assert "Văn bản đề nghị: chỉ nhận tệp doc, docx" in field and "⚠ exe<" not in page
    r = browser.client.post(f"/tasks/{task.id}/extension", data={"csrf_token": token, "new_due": "10/04/2026",
                                                                 "reason": "Chờ ý kiến bộ"})
    assert r.status_code == 302
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Thời hạn đề nghị: <strong>10/04/2026</strong>" in page and "Gửi đề nghị gia hạn" not in page
    browser.login("coord")
    assert "Việc của bạn: Tổ giúp việc xem xét đề nghị gia hạn" in browser.client.get(
        f"/tasks/{task.id}").get_data(as_text=True)


def test_the_reviewers_see_what_is_asked_beside_their_form_until_it_is_decided(world, running, browser):
    task = running
    extensions.request_extension(world["officer"], task.id, date(2026, 4, 10), "Chờ ý kiến của bộ, ngành trung ương")
    browser.login("coord")
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    notice = page[page.index('id="pending-extension"'):page.index("Việc của bạn: Tổ giúp việc xem xét")]
    assert "đến 10/04/2026 (thời hạn hiện tại 13/03/2026)" in notice
    assert "Chờ ý kiến của bộ, ngành trung ương" in notice and "Ông/Bà officer" in notice
    start = page.index("Việc của bạn: Tổ giúp việc xem xét")
    form = page[start:page.index("</section>", start)]
    assert form.count("<textarea") == 1  # one box: the opinion, or the reason of a return
    work.complete(item_at(task, "review").id, world["coord"], "approve", "Đề nghị chấp thuận")
    work.complete(item_at(task, "decide").id, world["approver"], "approve", "Đồng ý gia hạn")
    assert 'id="pending-extension"' not in browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_the_reviewer_is_told_where_the_request_went_not_where_the_file_is(world, running, browser):
    """"Bước tiếp theo: Xây dựng báo cáo/văn bản, Cấp giao nhiệm vụ quyết định" named the file's step beside the
    request's; and the task page said the document wrote "Gia hạn đến …", which no document did."""
    task = running
    extensions.request_extension(world["officer"], task.id, date(2026, 4, 10), "Chờ ý kiến của bộ")
    review = item_at(task, "review")
    browser.login("coord")
    token = csrf_from(browser.client.get(f"/tasks/{task.id}").get_data(as_text=True))
    done = browser.client.post(f"/work-items/{review.id}/complete", data={
        f"wi{review.id}-csrf_token": token, "decision": "approve"}, follow_redirects=True).get_data(as_text=True)
    decide = item_at(task, "decide")
    assert f"Bước tiếp theo: {decide.step_name} ({decide.agency.name})." in done
    work.complete(decide.id, world["approver"], "approve", "Đồng ý gia hạn")
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "10/04/2026" in page and "văn bản ghi: “Gia hạn đến" not in page


def test_a_request_for_an_overdue_task_is_not_overdue_the_morning_after(world, running, frozen):
    """Due 13/03/2026, more time asked on Monday 20/04: the coordinator's review took the task's past date as its
    own, and was escalated as "đã quá 38 ngày" the next morning. It is to be decided within five working days (by
    Tuesday 28/04, the Hùng Kings' day observed on Monday 27/04): reminded on 22/04, escalated from 29/04."""
    frozen.moment = local(2026, 4, 20, 9)
    extensions.request_extension(world["officer"], running.id, date(2026, 5, 29), "Chờ ý kiến của bộ")
    review = [t for t in waiting_timers(running) if t.step_name == "Tổ giúp việc xem xét đề nghị gia hạn"]
    assert sorted((t.action, t.notify, t.fire_at.astimezone(UTC).replace(tzinfo=None)) for t in review) == [
        ("escalate", "agency_head", local(2026, 4, 29)), ("escalate", "coordinator", local(2026, 5, 5)),
        ("remind", "holder", local(2026, 4, 22))]


def test_a_reviewer_s_return_says_the_request_is_refused_and_the_date_stands(world, running, browser):
    """"Trả lại" on a request for more time ends it ("Không chấp thuận" for the requester): the reviewer was told
    only "Đã trả lại", as if the request went back to be completed. The page says what the button does, and the
    message after it what happened."""
    extensions.request_extension(world["officer"], running.id, date(2026, 4, 10), "Chờ ý kiến của bộ")
    review = item_at(running, "review")
    browser.login("coord")
    page = browser.client.get(f"/tasks/{running.id}").get_data(as_text=True)
    assert "“Trả lại” là không đồng ý gia hạn: thời hạn giữ nguyên" in page
    done = browser.client.post(f"/work-items/{review.id}/complete", data={
        f"wi{review.id}-csrf_token": csrf_from(page), "decision": "return",
        f"wi{review.id}-comment": "Chưa có văn bản của bộ."}, follow_redirects=True).get_data(as_text=True)
    assert f"Không đồng ý gia hạn (thời hạn giữ nguyên): {review.step_name} — {running.code}." in done


def test_the_authority_names_the_document_that_grants_more_time(world, running):
    """The date moved with "Đề nghị điều chỉnh thời hạn" as its source: the Friday pack cited that where the
    document that changed the deadline belongs (DOMAIN.md: keep every deadline with the document that changed it)."""
    extensions.request_extension(world["officer"], running.id, date(2026, 4, 10), "Chờ ý kiến của bộ")
    work.complete(item_at(running, "review").id, world["coord"], "approve", "Đề nghị chấp thuận")
    work.complete(item_at(running, "decide").id, world["approver"], "approve", "Đồng ý",
                  {"decision_document": "Công văn số 512/UBND-TH ngày 20/03/2026"})
    adj = db.session.scalars(select(DeadlineAdjustment)).one()
    assert (adj.new_due, adj.source_document) == (date(2026, 4, 10), "Công văn số 512/UBND-TH ngày 20/03/2026")
