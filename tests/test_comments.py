"""Comments (trao đổi) on a task: who may write, what is kept, who is told, and how the page shows it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, select, update

from models import Agency, AuditEvent, Notification, User, db
from tests.conftest import COLLAB_A, COLLAB_B, JUSTICE, LEAD, OTHER, SCIENCE, act, csrf_from, new_task, user
from workflows.errors import Invalid, NotAllowed
from workflows.tasks import comments, reads


def text(response) -> str:
    return response.get_data(as_text=True)


def agency_id(name: str) -> int:
    return db.session.scalar(select(Agency.id).where(Agency.name == name))


def forget_notifications() -> None:
    db.session.execute(delete(Notification))
    db.session.commit()


def told(kind: str) -> dict[str, Notification]:
    """{username: notification} of one kind."""
    notes = db.session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id))
    return {n.user.username: n for n in notes}


def comment_events(task) -> list[AuditEvent]:
    return [e for e in reads.history(task) if e.action == "comment"]


def post_comment(browser, task, body, mentions=(), other=""):
    token = browser.csrf(f"/tasks/{task.id}")
    data = {"comment-csrf_token": token, "comment-body": body, "comment-other_agency": other,
            "comment-mentions": [str(agency_id(name)) for name in mentions]}
    return browser.client.post(f"/tasks/{task.id}/comments", data=data)


# ---------------------------------------------------------------- the use case

def test_a_comment_is_kept_in_the_history_in_order_with_its_mentions(world):
    task = new_task(world)
    comments.add_comment(world["officer"], task, "  Đề nghị Sở Tư pháp\r\ncho ý kiến sớm.  ", [agency_id(JUSTICE)])
    act(world, task, "assign")
    comments.add_comment(world["coord"], task, "Tổ giúp việc đã nắm.")

    history = reads.history(task)
    assert [e.action for e in history] == ["create", "comment", "submit", "comment"]
    first = history[1]
    assert first.actor.username == "officer" and first.comment == "Đề nghị Sở Tư pháp\ncho ý kiến sớm."
    assert first.data == {"mentions": [{"id": agency_id(JUSTICE), "name": JUSTICE}]}
    assert history[3].data == {"mentions": []}


def test_mentions_tell_the_agency_and_a_comment_tells_the_holders_never_the_author(world):
    task = new_task(world)  # waits at "assign" for the lead agency's head
    forget_notifications()
    comments.add_comment(world["officer"], task, "Xin ý kiến về phạm vi đề án.", [agency_id(COLLAB_A)])

    mentioned = told("mention")
    assert sorted(mentioned) == ["collab_a", "collab_a_head"]  # its people, nobody else
    note = mentioned["collab_a_head"]
    assert note.title == f"Ông/Bà officer nhắc đến {COLLAB_A} trong trao đổi về nhiệm vụ {task.code} {task.title}"
    assert "Người viết: Ông/Bà officer (Sở Công Thương)" in note.body
    assert "Xin ý kiến về phạm vi đề án." in note.body
    assert re.fullmatch(rf"/tasks/{task.id}#e\d+", note.link) and note.task_id == task.id
    assert sorted(told("comment")) == ["head"]  # who holds the open item
    assert "officer" not in told("mention") | told("comment")

    # the holder writing tells nobody about their own comment; one notification per person
    forget_notifications()
    comments.add_comment(world["head"], task, "Đã nhận.", [agency_id("Sở Công Thương")])
    assert sorted(told("mention")) == ["officer", "officer2"] and told("comment") == {}


def test_the_standing_agency_mentioned_reaches_its_coordinators_not_its_administrators(world):
    task = new_task(world)
    forget_notifications()
    comments.add_comment(world["collab_a"], task, "Đề nghị Tổ giúp việc hướng dẫn.", [agency_id(SCIENCE)])
    assert sorted(told("mention")) == ["coord", "science"]


def test_who_may_comment(world):
    task = new_task(world)  # lead Sở Công Thương; collaborators Sở Tài chính, Sở Xây dựng
    for username in ("head", "officer", "collab_a", "coord"):
        comments.add_comment(world[username], task, f"Ý kiến của {username}")
    for username in ("x_officer", "x_head", "viewer", "justice"):  # not involved (the viewer only reads)
        with pytest.raises(NotAllowed, match="đơn vị tham gia nhiệm vụ"):
            comments.add_comment(world[username], task, "Xin chen vào")
    assert len(comment_events(task)) == 4


def test_bad_input_gets_a_clear_message_and_nothing_is_written(world):
    task = new_task(world)
    forget_notifications()
    cases = [
        (("   \n ", []), "body", "Vui lòng nhập nội dung trao đổi."),
        ((None, []), "body", "Vui lòng nhập nội dung trao đổi."),
        (("x" * 4001, []), "body", "Nội dung trao đổi tối đa 4.000 ký tự (hiện có 4.001 ký tự)"),
        (("Nội dung", [99999]), "mentions", "Không tìm thấy đơn vị được nhắc đến"),
        (("Nội dung", ["abc"]), "mentions", "Đơn vị được nhắc đến không hợp lệ."),
        (("Nội dung", list(range(1, 13))), "mentions", "tối đa 10 đơn vị"),
    ]
    for (body, mentions), field, message in cases:
        with pytest.raises(Invalid) as caught:
            comments.add_comment(world["officer"], task, body, mentions)
        assert message in caught.value.fields[field]
    comments.add_comment(world["officer"], task, "x" * 4000)  # the limit itself is fine
    assert len(comment_events(task)) == 1
    assert told("mention") == {} and sorted(told("comment")) == ["head"]


# ---------------------------------------------------------------- the task page

def test_the_task_page_offers_the_form_and_shows_the_comment_in_the_history(browser, world):
    task = new_task(world)
    browser.login("officer")
    page = text(browser.client.get(f"/tasks/{task.id}"))
    form = page[page.index('id="trao-doi"'):]
    assert "Chưa có trao đổi nào." in form and "Gửi trao đổi" in form
    # the task's own agencies as checkboxes, every other agency in the select
    assert f'type="checkbox" value="{agency_id(COLLAB_A)}"' in form
    labels = re.findall(r'<label for="comment-mentions-\d+">([^<]+)</label>', form)
    assert labels == [f"{LEAD} (chủ trì)", f"{SCIENCE} (Tổ giúp việc)", f"{COLLAB_A} (phối hợp)",
                      f"{COLLAB_B} (phối hợp)"]
    assert re.search(rf'<option value="{agency_id(OTHER)}">{OTHER}</option>', form)
    assert f'type="checkbox" value="{agency_id(OTHER)}"' not in form

    r = post_comment(browser, task, "Dòng một <script>alert(1)</script>\r\nDòng hai", mentions=[COLLAB_A],
                     other=str(agency_id(JUSTICE)))
    [event] = comment_events(task)
    assert r.status_code == 302 and r.headers["Location"] == f"/tasks/{task.id}#e{event.id}"
    page = text(browser.client.get(f"/tasks/{task.id}"))
    assert "Đã gửi trao đổi." in page
    item = page[page.index(f'<li id="e{event.id}" class="tl-comment">'):]
    item = item[:item.index("</li>\n")]
    assert "Trao đổi" in item and "Ông/Bà officer (Sở Công Thương)" in item
    assert "Dòng một &lt;script&gt;alert(1)&lt;/script&gt;\nDòng hai" in item and "<script>" not in item
    assert 'class="tl-body prewrap"' in item
    assert f'<li class="chip chip-mention">{COLLAB_A}</li>' in item
    assert f'<li class="chip chip-mention">{JUSTICE}</li>' in item
    assert "Đã có 1 trao đổi" in page


def test_errors_show_next_to_the_field(browser, world):
    task = new_task(world)
    browser.login("officer")
    r = post_comment(browser, task, "   ")
    assert r.status_code == 422
    page = text(r)
    form = page[page.index('id="trao-doi"'):]
    assert re.search(r'<span class="field-errors" id="comment-body-error"><span class="field-error">'
                     r"Vui lòng nhập nội dung trao đổi.</span>", form)
    assert "Chưa gửi được trao đổi" in page

    r = post_comment(browser, task, "Nhắc một đơn vị đã bị xóa", other="99999")
    form = text(r)[text(r).index('id="trao-doi"'):]
    assert r.status_code == 422 and "Không tìm thấy đơn vị được nhắc đến" in form
    assert "Nhắc một đơn vị đã bị xóa" in form  # what was typed is kept
    assert comment_events(task) == []


def test_only_people_involved_may_post(browser, world):
    task = new_task(world)
    browser.login("viewer")  # sees every task, takes no part in this one
    page = text(browser.client.get(f"/tasks/{task.id}"))
    assert 'id="trao-doi"' not in page
    assert post_comment(browser, task, "Ý kiến").status_code == 403
    browser.login("x_officer")  # may not even see the task
    token = browser.csrf("/inbox")
    r = browser.client.post(f"/tasks/{task.id}/comments", data={"comment-csrf_token": token, "comment-body": "A"})
    assert r.status_code == 403
    browser.login("officer")
    r = browser.client.post(f"/tasks/{task.id}/comments", data={"comment-body": "Không có mã CSRF"})
    assert r.status_code == 400 and comment_events(task) == []


def test_a_mention_notification_leads_to_the_comment(browser, world):
    task = new_task(world)
    browser.login("officer")
    post_comment(browser, task, "Mời Sở Tài chính góp ý phần kinh phí.", mentions=[COLLAB_A])
    [event] = comment_events(task)
    browser.login("collab_a_head")
    page = text(browser.client.get("/notifications"))
    assert f"Ông/Bà officer nhắc đến {COLLAB_A} trong trao đổi" in page
    note = told("mention")["collab_a_head"]
    r = browser.client.post(f"/notifications/{note.id}/read", data={"csrf_token": browser.csrf("/notifications")})
    assert r.headers["Location"] == f"/tasks/{task.id}#e{event.id}"
    assert "Mời Sở Tài chính góp ý phần kinh phí." in text(browser.client.get(r.headers["Location"]))


def test_an_agency_outside_the_task_gets_the_text_but_no_link_it_could_not_open(browser, world):
    task = new_task(world)
    browser.login("officer")
    post_comment(browser, task, "Đề nghị Sở Tư pháp cho ý kiến về thẩm quyền.", other=str(agency_id(JUSTICE)))
    assert sorted(told("mention")) == ["justice", "justice_head"]  # the appraiser works on tasks too
    note = told("mention")["justice_head"]
    assert note.link is None
    assert "Đề nghị Sở Tư pháp cho ý kiến về thẩm quyền." in note.body
    assert "không mở được trang nhiệm vụ; vui lòng trả lời trực tiếp Ông/Bà officer (Sở Công Thương)." in note.body
    browser.login("justice_head")
    page = text(browser.client.get("/notifications"))
    assert "Đề nghị Sở Tư pháp cho ý kiến về thẩm quyền." in page and "Đánh dấu đã đọc" in page
    assert browser.client.get(f"/tasks/{task.id}").status_code == 403  # a mention opens nothing


# ---------------------------------------------------------------- the JSON API

def test_api_comment_and_history(api, world):
    task = new_task(world)
    officer = api.token("officer")
    r = api.post(f"/api/v1/tasks/{task.id}/comments", json={"body": "Dòng 1\nDòng 2", "mentions": [JUSTICE]},
                 headers=officer)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["action"], body["actor"], body["agency"], body["comment"], body["mentions"]) == (
        "comment", "officer", "Sở Công Thương", "Dòng 1\nDòng 2", [JUSTICE])
    history = api.get(f"/api/v1/tasks/{task.id}", headers=officer).get_json()["history"]
    assert [h["action"] for h in history] == ["create", "comment"] and history[1]["mentions"] == [JUSTICE]

    bad = [({"body": ""}, 422, "Vui lòng nhập nội dung trao đổi."),
           ({"body": 5}, 422, "body phải là chuỗi"),
           ({"body": "A", "mentions": "Sở Tư pháp"}, 422, "mentions phải là danh sách"),
           ({"body": "A", "mentions": ["Sở Không Có"]}, 422, "Không tìm thấy đơn vị “Sở Không Có”")]
    for payload, status, message in bad:
        r = api.post(f"/api/v1/tasks/{task.id}/comments", json=payload, headers=officer)
        assert r.status_code == status and message in r.get_json()["error"], (payload, r.get_json())
    r = api.post(f"/api/v1/tasks/{task.id}/comments", json={"body": "A"}, headers=api.token("viewer"))
    assert r.status_code == 403
    r = api.post(f"/api/v1/tasks/{task.id}/comments", json={"body": "A"}, headers=api.token("x_officer"))
    assert r.status_code == 403
    assert len(comment_events(task)) == 1
    assert user("justice_head").id in {n.user_id for n in told("mention").values()}


def test_the_same_comment_form_sent_twice_is_one_comment(browser, world):
    """An outside check: the comment form posted twice with the same token (a network retry) wrote two identical
    comments and told everyone twice; a step sent twice was refused already."""
    task = new_task(world)
    browser.login("officer")
    page = text(browser.client.get(f"/tasks/{task.id}"))
    key = re.search(r'name="comment-submission" type="hidden" value="(\w+)"', page)[1]
    form = {"csrf_token": csrf_from(page), "comment-submission": key,
            "comment-body": "Đề nghị Sở Tài chính cho ý kiến.", "comment-mentions": str(agency_id(COLLAB_A))}
    first = browser.client.post(f"/tasks/{task.id}/comments", data=form)
    again = browser.client.post(f"/tasks/{task.id}/comments", data=form)
    [event] = comment_events(task)
    assert first.headers["Location"] == again.headers["Location"] == f"/tasks/{task.id}#e{event.id}"
    told = db.session.scalars(select(Notification).where(Notification.kind == "mention")).all()
    assert len(told) == len({n.user_id for n in told}) > 0
    # the page drawn again has a new key: the same words written again are a new comment
    page = text(browser.client.get(f"/tasks/{task.id}"))
    form["comment-submission"] = re.search(r'name="comment-submission" type="hidden" value="(\w+)"', page)[1]
    browser.client.post(f"/tasks/{task.id}/comments", data=form)
    assert len(comment_events(task)) == 2


def test_a_comment_keeps_the_agency_its_author_wrote_for_after_they_move(browser, api, world):
    """The history is what happened: an officer of the lead agency who later moves to another agency still wrote
    that comment for the lead agency (the page and the API showed their agency of today)."""
    task = new_task(world)
    comments.add_comment(world["officer"], task, "Sở đang tổng hợp ý kiến.")
    world["officer"].agency_id = agency_id(JUSTICE)
    db.session.commit()

    [event] = comment_events(task)
    assert event.agency.name == LEAD
    browser.login("coord")
    page = text(browser.client.get(f"/tasks/{task.id}"))
    item = page[page.index(f'<li id="e{event.id}" class="tl-comment">'):]
    assert f"Ông/Bà officer ({LEAD})" in item[:item.index("</li>\n")]
    history = api.get(f"/api/v1/tasks/{task.id}", headers=api.token("coord")).get_json()["history"]
    assert history[1]["agency"] == LEAD


def test_the_lead_agencys_people_and_earlier_writers_hear_of_a_remark_made_at_appraisal(world):
    # the file waits at the appraising agency: its appraiser's remark reached only the appraisers (the holders),
    # and the officer who drafted it, the head who signed it and the collaborator who asked first heard nothing
    task = new_task(world, collaborators=(COLLAB_A,))
    comments.add_comment(world["collab_a"], task, "Đề nghị làm rõ phạm vi.")
    for step in ("assign", "draft", "give_opinion", "sign_opinion", "finalise", "signoff"):
        act(world, task, step)
    assert {i.step_id for i in reads.open_items(task)} == {"appraise"}
    forget_notifications()
    comments.add_comment(world["justice"], task, "Hồ sơ thiếu báo cáo đánh giá tác động.")
    assert sorted(told("comment")) == ["collab_a", "head", "officer"]  # not the author, not officer2 who did nothing
    assert "Hồ sơ thiếu báo cáo đánh giá tác động." in told("comment")["officer"].body
    # one who left the product is not told
    db.session.execute(update(User).where(User.username == "collab_a").values(active=False))
    db.session.commit()
    forget_notifications()
    comments.add_comment(world["coord"], task, "Đề nghị Sở Tư pháp thẩm định trong tuần.")
    assert sorted(told("comment")) == ["head", "justice", "officer"]
