"""Urging a task on (đôn đốc): a coordinator tells whoever holds a late file, and the heads of their agencies,
from the task's page — one task, or every late member of a group's task — once a day, in the history."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

import pytest
from docx import Document
from sqlalchemy import select

from models import AuditEvent, Notification, OutboxMail, db
from tests.conftest import LEAD, OTHER, act, csrf_from, new_task, open_items
from workflows.accounts import groups, people
from workflows.errors import Conflict, Invalid, NotAllowed
from workflows.reporting import week_pack
from workflows.tasks import create, fanout, urging

MESSAGE = "Đề nghị Sở khẩn trương hoàn thiện dự thảo, gửi Sở Tư pháp thẩm định trước ngày 27/03/2026."


def at(frozen, day: int, month: int = 3, hour: int = 9) -> None:
    frozen.moment = datetime(2026, month, day, hour - 7)


@pytest.fixture
def late(world, frozen):
    """A task of Sở Công Thương due 13/03/2026, its draft with the officer; the clock on 20/03/2026."""
    task = new_task(world, collaborators=(), due=date(2026, 3, 13), title="Xây dựng Đề án thương mại điện tử")
    at(frozen, 2)
    act(world, task, "assign")
    at(frozen, 20)
    return task


def told(kind: str = "urged") -> dict[str, Notification]:
    return {n.user.username: n for n in db.session.scalars(select(Notification).where(Notification.kind == kind))}


def test_the_holder_and_the_head_are_told_with_what_the_coordinator_wrote(world, late):
    urged = urging.urge(world["coord"], late.id, MESSAGE)
    notes = told()
    assert set(notes) == {"officer", "head"} and urged.told == 2  # the officer holds the draft; his head
    note = notes["officer"]
    assert note.title == f"Đôn đốc (quá hạn 7 ngày): {late.code} Xây dựng Đề án thương mại điện tử"
    assert "Người đôn đốc: Ông/Bà coord (Sở Khoa học và Công nghệ)" in note.body
    assert f"Nội dung: {MESSAGE}" in note.body
    assert "Thời hạn: 13/03/2026 (đã quá 7 ngày)" in note.body
    assert "Xây dựng dự thảo — Sở Công Thương (người giữ: Ông/Bà officer)" in note.body
    assert note.link.endswith("#giai-trinh")  # a late file its lead holds: the explanation is asked for
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "urged")).one()
    assert (event.task_id, event.actor_id, event.comment) == (late.id, world["coord"].id, MESSAGE)


def test_a_file_waiting_elsewhere_asks_those_holding_it_to_act(world, late, frozen):
    for step in ("draft", "finalise", "signoff"):
        act(world, late, step)
    urging.urge(world["coord"], late.id, "")
    notes = told()
    assert set(notes) == {"justice", "justice_head"}
    body = notes["justice"].body
    assert "Nội dung:" not in body  # nothing written: no empty line for it
    assert "Hồ sơ đang chờ Sở Tư pháp xử lý: đề nghị hoàn thành bước này sớm để nhiệm vụ không tiếp tục chậm." \
        in body and "giải trình" not in body
    assert not notes["justice"].link.endswith("#giai-trinh")


def test_a_task_not_late_yet_is_urged_without_asking_for_an_explanation(world, frozen):
    task = new_task(world, collaborators=(), due=date(2026, 3, 25))
    at(frozen, 20)
    urging.urge(world["coord"], task.id, "Sắp đến hạn.")
    note = told()["head"]
    assert note.title.startswith("Đôn đốc: ") and "quá hạn" not in note.title
    assert "Thời hạn: 25/03/2026\n" in note.body and "giải trình" not in note.body


def test_once_a_day_then_again_the_next_day(world, late, frozen):
    urging.urge(world["coord"], late.id, MESSAGE)
    at(frozen, 20, hour=16)
    with pytest.raises(Conflict) as refused:
        urging.urge(world["x_coord"], late.id, "Lần hai")
    assert str(refused.value) == ("Nhiệm vụ đã được đôn đốc hôm nay lúc 09:00 (Ông/Bà coord); mỗi nhiệm vụ được "
                                  "đôn đốc một lần mỗi ngày.")
    assert len(told()) == 2
    frozen.moment = datetime(2026, 3, 20, 23, 30)  # 06:30 on 21/03 in the province: a new day there
    urging.urge(world["x_coord"], late.id, "Lần hai")
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "urged")).all()) == 2


@pytest.mark.parametrize("username", ["officer", "head", "justice", "approver", "viewer", "admin"])
def test_only_coordinators_urge(world, late, username):
    with pytest.raises(NotAllowed):
        urging.urge(world[username], late.id, MESSAGE)
    assert not told()


def test_a_done_task_or_one_nobody_can_hear_is_refused_and_nothing_recorded(world, late, frozen):
    people.create_agency("Sở Du lịch")
    lonely = create.create_task(world["coord"], title="Kế hoạch phát triển du lịch", lead_agency="Sở Du lịch",
                                output_type="plan", due_date=date(2026, 3, 13))
    with pytest.raises(Conflict, match="chưa có tài khoản nào"):
        urging.urge(world["coord"], lonely.id, MESSAGE)
    with pytest.raises(Invalid) as long:
        urging.urge(world["coord"], late.id, "x" * 1001)
    assert "1000 ký tự" in str(long.value)
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "urged")) is None
    assert not told()


def test_a_message_the_box_took_is_taken_line_breaks_and_all(world, late):
    """The box counts a line break as one character and the browser sends two ("\r\n"): 999 characters in 100
    lines were refused as over 1000."""
    lines = "\r\n".join(["Dòng việc"] * 100)  # 999 characters as the box counts them, 1,098 as sent
    urging.urge(world["coord"], late.id, lines)
    body = told()["officer"].body
    assert "\r" not in body and "Nội dung: Dòng việc\nDòng việc" in body


def test_mail_goes_with_the_notice(world, late, app):
    world["officer"].email = "officer@congthuong.gov.vn"
    db.session.commit()
    app.config["MAIL_ENABLED"] = True
    try:
        urging.urge(world["coord"], late.id, MESSAGE)
    finally:
        app.config["MAIL_ENABLED"] = False
    mail = db.session.scalars(select(OutboxMail)).one()
    assert mail.to_address == "officer@congthuong.gov.vn" and mail.subject.startswith("Đôn đốc (quá hạn 7 ngày)")
    assert MESSAGE in mail.body


# ---------------------------------------------------------------- a group's task

@pytest.fixture
def group_task(world, frozen):
    """Three departments owe one task due 13/03/2026; Sở Công Thương's is done, the two others late on 20/03."""
    people.create_agency("Sở Du lịch")  # (no account)
    groups.create_group(None, "Ba sở", [LEAD, OTHER, "Sở Du lịch"])
    at(frozen, 2)
    parent = create.create_task(world["coord"], title="Báo cáo chuyển đổi số", lead_agency="Ba sở",
                                output_type="report", due_date=date(2026, 3, 13))
    mine = next(t for t in fanout.member_tasks(parent) if t.lead_agency.name == LEAD)
    while items := open_items(mine):
        act(world, mine, items[0].step_id)
    assert mine.state == "done"
    at(frozen, 20)
    return parent


def test_every_late_member_is_urged_at_once_and_those_that_cannot_be_are_named(world, group_task):
    urged = urging.urge_late_members(world["coord"], group_task.id, MESSAGE)
    assert [t.lead_agency.name for t in urged.tasks] == [OTHER]
    assert [t.lead_agency.name for t in urged.nobody] == ["Sở Du lịch"]
    assert set(told()) == {"x_officer", "x_head"}  # Sở Y tế's officers hold its draft; its head
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "urged")).all()
    assert {(e.task_id, e.comment) for e in events} == {(urged.tasks[0].id, MESSAGE), (group_task.id, MESSAGE)}
    # the same day again: nobody is told twice
    again = urging.urge_late_members(world["coord"], group_task.id, MESSAGE)
    assert not again.tasks and [t.lead_agency.name for t in again.already] == [OTHER]
    assert len(told()) == 2


def test_a_group_with_no_late_member_has_nothing_to_urge(world, group_task, frozen):
    at(frozen, 10)
    with pytest.raises(Invalid, match="Không có đơn vị nào quá hạn"):
        urging.urge_late_members(world["coord"], group_task.id, MESSAGE)


# ---------------------------------------------------------------- the pages

def test_the_task_page_urges_and_shows_the_last_urge(world, late, browser):
    browser.login("coord")
    page = browser.client.get(f"/tasks/{late.id}").get_data(as_text=True)
    assert "Gửi đôn đốc" in page and "Đôn đốc gần nhất" not in page
    response = browser.client.post(f"/tasks/{late.id}/urge", data={"message": MESSAGE,
                                                                   "csrf_token": csrf_from(page)},
                                   follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Đã đôn đốc: 2 người nhận được thông báo (người đang giữ hồ sơ và lãnh đạo đơn vị)." in page
    assert "Đôn đốc gần nhất: 20/03/2026 09:00, Ông/Bà coord. Đôn đốc lại được từ ngày mai." in page
    assert "Gửi đôn đốc" not in page  # not offered again today
    # refused the same day: said why, and the text written is still in the box
    response = browser.client.post(f"/tasks/{late.id}/urge", data={"message": "Lần hai <b>gấp</b>",
                                                                   "csrf_token": csrf_from(page)})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "đã được đôn đốc hôm nay lúc 09:00" in page
    assert ">Lần hai &lt;b&gt;gấp&lt;/b&gt;</textarea>" in page
    # the officer reads the notice; the history names it
    browser.login("officer")
    page = browser.client.get(f"/tasks/{late.id}").get_data(as_text=True)
    assert "Gửi đôn đốc" not in page and "Đôn đốc" in page and MESSAGE in page


def test_the_urge_needs_a_coordinator_and_a_token(world, late, browser):
    browser.login("head")
    token = browser.csrf(f"/tasks/{late.id}")
    assert browser.client.post(f"/tasks/{late.id}/urge", data={"csrf_token": token}).status_code == 403
    browser.login("coord")
    assert browser.client.post(f"/tasks/{late.id}/urge", data={"message": MESSAGE}).status_code == 400
    assert not told()


def test_the_group_page_urges_its_late_members(world, group_task, browser):
    browser.login("coord")
    page = browser.client.get(f"/tasks/{group_task.id}").get_data(as_text=True)
    # the member nobody can be told of is named before the press, to telephone, not counted in the button
    assert "Đôn đốc 1 đơn vị quá hạn" in page
    assert ("Quá hạn nhưng chưa có tài khoản nào nhận được đôn đốc qua hệ thống, vui lòng liên hệ trực tiếp: "
            "Sở Du lịch.") in page
    page = browser.client.post(f"/tasks/{group_task.id}/urge", data={"csrf_token": csrf_from(page)},
                               follow_redirects=True).get_data(as_text=True)
    assert "Đã đôn đốc 1 đơn vị quá hạn; 2 người nhận được thông báo." in page
    assert "Chưa có tài khoản nhận đôn đốc, vui lòng liên hệ trực tiếp: Sở Du lịch." in page
    assert "đã đôn đốc 20/03/2026 09:00" in page
    assert "Gửi đôn đốc" not in page  # nobody left to urge today …
    assert "vui lòng liên hệ trực tiếp: Sở Du lịch." in page  # … but the one to telephone
    assert set(told()) == {"x_officer", "x_head"}


# ---------------------------------------------------------------- the Friday review pack

def test_the_week_pack_lists_the_weeks_urges_where_each_file_waited(world, group_task, late, frozen, browser):
    """Section 10 of the review pack: each urge of the week, where the file waited then, who urged and what they
    wrote; a group's late members urged together are one line naming them; last week's urges stay out."""
    at(frozen, 13)
    urging.urge(world["coord"], late.id, "Đề nghị báo cáo tiến độ.")  # the week before
    at(frozen, 20)
    urging.urge(world["coord"], late.id, MESSAGE)
    urging.urge_late_members(world["coord"], group_task.id, "Đề nghị các sở gửi báo cáo.")
    act(world, late, "draft")  # the file moves on after the urge: the pack says where it was when urged

    pack = week_pack.week_pack(world["viewer"], date(2026, 3, 20))
    assert [(e.task.id, e.extra, e.who, e.text) for e in pack.urged] == [
        (late.id, f"Xây dựng dự thảo ({LEAD})", "Ông/Bà coord", MESSAGE),
        (group_task.id, f"1 đơn vị quá hạn: {OTHER}", "Ông/Bà coord", "Đề nghị các sở gửi báo cáo.")]
    assert pack.counts["urged"] == 2
    assert [e.text for e in week_pack.week_pack(world["viewer"], date(2026, 3, 13)).urged] == [
        "Đề nghị báo cáo tiến độ."]

    browser.login("coord")
    page = browser.client.get("/exports/week?week=20/03/2026").get_data(as_text=True)
    section = page[page.index('id="w-urged"'):]
    assert "10. Đôn đốc thực hiện (2)" in section and f"1 đơn vị quá hạn: {OTHER}" in section
    assert f"Xây dựng dự thảo ({LEAD})" in section and MESSAGE in section
    assert '<a href="#w-urged">Lượt đôn đốc</a>' in page
    docx = Document(BytesIO(browser.client.get("/exports/week.docx?week=20/03/2026").data))
    words = "\n".join([p.text for p in docx.paragraphs]
                      + [c.text for t in docx.tables for r in t.rows for c in r.cells])
    assert "10. Đôn đốc thực hiện" in words and "2 lượt đôn đốc." in words and MESSAGE in words
