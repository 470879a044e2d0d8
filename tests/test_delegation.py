"""Reassignment by the agency head, out-of-office delegates, and who hears about new work."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Notification, db
from tests.conftest import act, csrf_from, item_at, new_task
from workflows import access, clock
from workflows.accounts import people
from workflows.errors import Conflict, Invalid, NotAllowed
from workflows.tasks import reads, work


def notes(username: str, kind: str) -> list[Notification]:
    return [n for n in db.session.scalars(select(Notification).where(Notification.kind == kind))
            if n.user.username == username]


def test_head_reassigns_an_item_within_the_agency(world):
    task = new_task(world, collaborators=())
    act(world, task, "assign")  # the draft goes to "officer"
    item = item_at(task, "draft")
    work.reassign(item.id, world["head"], "officer2")
    assert item.claimed_by.username == "officer2"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reassign")).one()
    assert event.data == {"from": "officer", "to": "officer2"} and event.actor.username == "head"
    [given] = notes("officer2", "new_item")  # by whom, not as anonymous new work; the one who had it is told
    assert given.title.startswith("Việc được giao: Xây dựng dự thảo — ") and "Người giao: Ông/Bà head" in given.body
    [taken] = notes("officer", "reassigned")
    assert taken.title.startswith("Việc đã giao cho Ông/Bà officer2: Xây dựng dự thảo — ")
    with pytest.raises(NotAllowed):
        work.reassign(item.id, world["officer"], "officer")
    with pytest.raises(NotAllowed):
        work.reassign(item.id, world["x_head"], "officer")
    with pytest.raises(Invalid):
        work.reassign(item.id, world["head"], "collab_a")


def test_a_delegate_acts_on_behalf_while_the_holder_is_away(world, frozen):
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    item = item_at(task, "draft")
    assert not access.can_act(world["officer2"], item)
    today = clock.today()
    people.set_delegate(world["officer"], world["officer"].id, "officer2", today, today + timedelta(days=3))
    # the colleague named is told (an outside check: their first word of it was a mail about another's file)
    [told] = notes("officer2", "delegated")
    assert told.title == "Ông/Bà officer ủy quyền cho bạn xử lý công việc từ 01/03/2026 đến 04/03/2026"
    assert told.link == "/inbox" and "“thay mặt” người ủy quyền" in told.body
    assert [i.id for i in reads.inbox(world["officer2"]).items] == [item.id]
    work.complete(item.id, world["officer2"], "submit", data={"note": "Thay anh officer"})
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.work_item_id == item.id)).one()
    assert (event.actor.username, event.on_behalf_of.username) == ("officer2", "officer")
    # the revision step is the officer's again; after the period the delegate no longer sees it
    frozen.advance(days=5)
    assert not access.can_act(world["officer2"], item_at(task, "finalise"))
    assert reads.inbox(world["officer2"]).items == []


def test_delegation_rules(world, frozen):
    today = clock.today()
    with pytest.raises(Invalid):
        people.set_delegate(world["officer"], world["officer"].id, "collab_a", today, today)
    with pytest.raises(Invalid):
        people.set_delegate(world["officer"], world["officer"].id, "officer2", today, today - timedelta(days=1))
    with pytest.raises(NotAllowed):
        people.set_delegate(world["officer2"], world["officer"].id, "officer2", today, today)
    # the agency head may set it for an officer who is away
    people.set_delegate(world["head"], world["officer"].id, "officer2", today, today)
    # for a leave, not for good: a year at most (01/01/0001 to 31/12/9999 was taken)
    with pytest.raises(Invalid) as caught:
        people.set_delegate(world["officer"], world["officer"].id, "officer2", today, today + timedelta(days=366))
    assert caught.value.fields["ends_on"] == "Mỗi lần ủy quyền tối đa một năm; khi hết hạn có thể ủy quyền lại."
    people.set_delegate(world["officer"], world["officer"].id, "officer2", today, today + timedelta(days=365))


def test_whoever_submitted_a_file_does_not_approve_it_even_acting_for_a_colleague(world, frozen, browser):
    """The head, the officer's delegate, drafted the report and then signed it off: one person both made and
    approved it, and the step meant to check it checked nothing."""
    task = new_task(world, output_type="report", collaborators=())
    today = clock.today()
    people.set_delegate(world["officer"], world["officer"].id, "head", today, today + timedelta(days=3))
    work.complete(item_at(task, "draft").id, world["head"], "submit", data={"note": "Thay chuyên viên"})
    signoff = item_at(task, "signoff")
    # the page offers the submitter no "Đồng ý" (it would be refused) and says why; "Trả lại" stays
    browser.login("head")
    html = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    form = html[html.index(f'id="wi{signoff.id}"'):]
    form = form[:form.index('<div class="grid-2">')]
    assert 'value="approve"' not in form and 'value="return"' in form
    assert "Bạn đã gửi hồ sơ này ở bước trước nên không tự duyệt" in form
    with pytest.raises(NotAllowed) as caught:
        work.complete(signoff.id, world["head"], "approve")
    assert str(caught.value).startswith("Bạn đã gửi hồ sơ này ở bước trước nên không tự duyệt được")
    assert item_at(task, "signoff").id == signoff.id  # nothing moved
    work.complete(signoff.id, world["head"], "return", "Chuyên viên kiểm tra lại số liệu.")  # a return is theirs
    work.complete(item_at(task, "draft").id, world["officer"], "submit", data={"note": "Đã kiểm tra"})
    work.complete(item_at(task, "signoff").id, world["head"], "approve")  # the officer's file: the head approves


def test_new_work_and_returns_are_announced(world):
    task = new_task(world, collaborators=())
    assert notes("head", "new_item")  # the assignment waits for the head
    act(world, task, "assign")
    assert notes("officer", "new_item") and not notes("officer2", "new_item")  # drafting went to "officer"
    for step in ("draft", "finalise"):
        act(world, task, step)
    act(world, task, "signoff", "return", "Bổ sung số liệu")
    [returned] = notes("officer", "returned")
    assert "Bổ sung số liệu" in (returned.title + (returned.body or ""))


def test_the_delegate_list_puts_colleagues_doing_the_same_work_first_with_their_roles(world, browser):
    browser.login("officer")
    page = browser.client.get("/inbox").get_data(as_text=True)
    start = page.index('name="delegate"')
    options = re.findall(r'<option value="([^"]+)">([^<]+)</option>', page[start:page.index("</select>", start)])
    assert options[0] == ("officer2", "Ông/Bà officer2 (Chuyên viên)")  # another officer first
    assert ("head", "Ông/Bà head (Lãnh đạo đơn vị)") in options


def test_delegation_and_reassignment_pages(world, browser):
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    browser.login("officer")
    page = browser.client.get("/inbox").get_data(as_text=True)
    assert "Ủy quyền khi vắng mặt" in page
    today = clock.today()
    r = browser.client.post("/delegations", data={"csrf_token": csrf_from(page), "delegate": "officer2",
                                                  "starts_on": today.strftime("%d/%m/%Y"),
                                                  "ends_on": (today + timedelta(days=2)).strftime("%d/%m/%Y")})
    assert r.status_code == 302
    assert "Bạn ủy quyền cho" in browser.client.get("/inbox").get_data(as_text=True)
    browser.login("head")
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Giao lại cho" in page
    item = item_at(task, "draft")
    r = browser.client.post(f"/work-items/{item.id}/reassign", data={"csrf_token": csrf_from(page),
                                                                     "username": "officer2"})
    assert r.status_code == 302 and item_at(task, "draft").claimed_by.username == "officer2"


def test_reassign_box_offers_only_someone_else(world, browser):
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    browser.login("head")
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    draft = item_at(task, "draft")
    choices = re.search(rf'<select id="ra{draft.id}" name="username">(.*?)</select>', page).group(1)
    assert ">Ông/Bà officer2<" in choices and ">Ông/Bà officer<" not in choices  # officer already holds it
    for step in ("draft", "finalise"):
        act(world, task, step)
    # the head's own sign-off: he is the only agency head, so there is nobody to hand it to
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Nhận xử lý" in page and "Giao lại cho" not in page


def test_a_finished_item_is_not_released(world):
    """Releasing an item one had completed cleared who did it and added "Trả về hàng chờ" to a finished file."""
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    item = item_at(task, "draft")
    work.claim(item.id, world["officer"])
    act(world, task, "draft")
    def events() -> int:
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.task_id == task.id))

    before = events()
    with pytest.raises(Conflict):
        work.release(item.id, world["officer"])
    db.session.refresh(item)
    assert item.claimed_by.username == "officer" and item.status == "done"
    assert events() == before



def test_a_head_standing_in_for_an_officer_takes_the_item_in_the_officer_s_name(world, frozen):
    """The officer away, the head stands in (a ward has one officer). "Nhận xử lý" used to give the item to the
    head, who has no officer role: nobody could act on it any more. It is taken in the officer's name: the head
    acts on it while standing in, puts it back in the queue if he likes, and it is the officer's when back."""
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    item = item_at(task, "draft")
    work.release(item.id, world["officer"])
    today = clock.today()
    people.set_delegate(world["officer"], world["officer"].id, "head", today, today + timedelta(days=2))
    work.claim(item.id, world["head"])
    assert item.claimed_by.username == "officer" and access.can_act(world["head"], item)
    claim = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "claim")).one()
    assert (claim.actor.username, claim.on_behalf_of.username) == ("head", "officer")
    work.release(item.id, world["head"])
    assert item.claimed_by is None
    work.claim(item.id, world["head"])
    frozen.advance(days=3)  # back at work: the item waits for him, not for the head
    assert access.can_act(world["officer"], item) and not access.can_act(world["head"], item)
    with pytest.raises(Conflict) as caught:  # claimed after it was done: said so, not "held by a colleague"
        act(world, task, "draft")
        work.claim(item.id, world["officer2"])
    assert "đã được" in caught.value.message


def test_the_stand_in_is_told_in_whose_name_the_item_is_taken(world, browser, frozen):
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    item = item_at(task, "draft")
    work.release(item.id, world["officer"])
    today = clock.today()
    people.set_delegate(world["officer"], world["officer"].id, "head", today, today)
    browser.login("head")
    token = csrf_from(browser.client.get(f"/tasks/{task.id}").get_data(as_text=True))
    page = browser.client.post(f"/work-items/{item.id}/claim", data={"csrf_token": token}, follow_redirects=True)
    assert "Bạn đã nhận xử lý thay mặt Ông/Bà officer: Xây dựng dự thảo." in page.get_data(as_text=True)


def test_a_draft_taken_by_a_colleague_meanwhile_gives_back_what_was_typed(world, browser):
    """The officer types a note on a draft of the agency's queue; meanwhile a colleague takes it. The refusal
    names who holds it — not "your account has no rights", which reads as a rule against the officer — and gives
    back the text typed, to keep."""
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    item = item_at(task, "draft")
    work.release(item.id, world["officer"])
    browser.login("officer")
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    work.claim(item.id, world["officer2"])
    typed = "Dự thảo đã chỉnh theo ý kiến của Sở Tài chính về nguồn vốn."
    r = browser.client.post(f"/work-items/{item.id}/complete", data={
        "csrf_token": csrf_from(page), f"wi{item.id}-note": typed, "decision": "submit"})
    html = r.get_data(as_text=True)
    assert r.status_code == 403 and "Việc này đang do Ông/Bà officer2 xử lý." in html
    assert "không được phân quyền" not in html and f">{typed}</textarea>" in html


def test_cancelling_a_delegation_is_in_the_history_as_giving_it_was(world, frozen):
    today = clock.today()
    given = people.set_delegate(world["officer"], world["officer"].id, "officer2", today, today)
    people.cancel_delegation(world["officer"], given.id)
    people.cancel_delegation(world["officer"], given.id)  # twice: once in the history
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delegate_cancel")).all()
    assert event.comment.startswith("Hủy ủy quyền cho Ông/Bà officer2") and event.on_behalf_of.username == "officer"
