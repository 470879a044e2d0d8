"""A later document takes a task off the list ("đưa ra khỏi danh mục, không tiếp tục thực hiện") or moves its
deadline: the coordinator withdraws it, by hand or by importing the amendment, and those working on it are told."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from models import Notification, ProcessInstance, Task, WorkItem, db
from tests.conftest import act, csrf_from, new_task
from workflows import access, clock
from workflows.accounts import people
from workflows.errors import Conflict, Invalid, NotAllowed
from workflows.importing import pipeline
from workflows.reporting import dashboard
from workflows.tasks import create, extensions, fanout, reads, status


def told(kind: str) -> dict[str, Notification]:
    notes = db.session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id))
    return {n.user.username: n for n in notes}


def test_a_withdrawn_task_stops_is_counted_nowhere_and_its_people_are_told(world, api):
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    before = dashboard.dashboard({}, clock.now()).total
    with pytest.raises(Invalid, match="lý do"):
        fanout.withdraw(world["coord"], task.id, "  ")
    with pytest.raises(NotAllowed):
        fanout.withdraw(world["head"], task.id, "Theo Công văn 200/CV-UBND")

    fanout.withdraw(world["coord"], task.id, "Theo Công văn số 200/CV-UBND: đưa ra khỏi danh mục")

    task = db.session.get(Task, task.id)
    assert status.compute(task, clock.today(), 3) == "withdrawn" and task.current_step is None
    assert db.session.scalars(select(WorkItem.status).where(WorkItem.task_id == task.id)
                              .order_by(WorkItem.id)).all() == ["done", "cancelled"]
    assert {i.status for i in db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.task_id == task.id))} == {"cancelled"}
    assert reads.inbox(world["officer"]).items == []
    assert dashboard.dashboard({}, clock.now()).total == before - 1
    [event] = [e for e in reads.history(task) if e.action == "withdrawn"]
    assert event.actor.username == "coord" and event.comment.startswith("Theo Công văn số 200/CV-UBND")
    notes = told("changed")
    assert sorted(notes) == ["head", "officer"]  # who held the draft, and the lead agency's head
    assert notes["officer"].title == f"Nhiệm vụ đã được rút, không tiếp tục thực hiện: {task.code} {task.title}"
    assert "Lý do: Theo Công văn số 200/CV-UBND: đưa ra khỏi danh mục" in notes["officer"].body
    with pytest.raises(Conflict, match="đã được rút trước đó"):
        fanout.withdraw(world["coord"], task.id, "Lần nữa")
    # the API says what happened to it (it spoke of a group's task this one never belonged to)
    r = api.get(f"/api/v1/tasks/{task.id}", headers=api.token("coord"))
    assert r.status_code == 404 and r.get_json()["error"].startswith(
        "Nhiệm vụ này đã được rút (không tiếp tục thực hiện): không còn được theo dõi")
    done = new_task(world, collaborators=())
    done.state = "done"
    with pytest.raises(Conflict, match="đã hoàn thành"):
        fanout.withdraw(world["coord"], done.id, "Theo Công văn 200/CV-UBND")


def test_the_coordinator_withdraws_a_task_on_its_page(world, browser):
    task = new_task(world, collaborators=())
    browser.login("coord")
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Rút nhiệm vụ (không tiếp tục thực hiện)" in page
    refused = browser.client.post(f"/tasks/{task.id}/withdraw", data={"csrf_token": csrf_from(page), "reason": ""})
    assert refused.status_code == 422 and "Vui lòng ghi lý do rút nhiệm vụ" in refused.get_data(as_text=True)
    done = browser.client.post(f"/tasks/{task.id}/withdraw", follow_redirects=True,
                               data={"csrf_token": csrf_from(page), "reason": "Quyết định 12/QĐ-BCĐ"})
    html = done.get_data(as_text=True)
    assert "Đã rút nhiệm vụ" in html and "Nhiệm vụ đã được rút, không tiếp tục thực hiện" in html
    assert "Quyết định 12/QĐ-BCĐ" in html and "Rút nhiệm vụ (không tiếp tục thực hiện)" not in html
    browser.login("head")
    assert "Rút nhiệm vụ (không tiếp tục thực hiện)" not in browser.client.get(f"/tasks/{task.id}").get_data(
        as_text=True)


PLAN = """Số: 150/KH-UBND
Thanh Hóa, ngày 01 tháng 12 năm 2026

Phụ lục II
DANH MỤC NHIỆM VỤ NĂM 2027

STT\tNhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tMô tả kết quả, sản phẩm đầu ra\tThời gian hoàn thành
1\tXây dựng kế hoạch chuyển đổi số năm 2027\tSở Nội vụ\tSở Tư pháp\tKế hoạch\tQuý I/2027
2\tBan hành Quy chế quản lý dữ liệu số\tSở Y tế\tSở Tư pháp\tQuy chế\tQuý II/2027
3\tXây dựng Đề án phát triển nhân lực số\tSở Giáo dục và Đào tạo\tSở Nội vụ\tĐề án\tTháng 3/2027
"""
HEADER = ("STT\tNhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tMô tả kết quả, sản phẩm đầu ra\tThời gian hoàn thành"
          "\tNội dung điều chỉnh")
AMENDMENT = "\n".join([
    "Số: 200/CV-UBND", "Thanh Hóa, ngày 05 tháng 12 năm 2026", "", "Phụ lục", "DANH MỤC ĐIỀU CHỈNH", "", HEADER,
    "\t".join(["1", "Xây dựng kế hoạch chuyển đổi số năm 2027", "Sở Nội vụ", "Sở Tư pháp", "Kế hoạch", "Quý I/2027",
               "Đưa ra khỏi danh mục, không tiếp tục thực hiện"]),
    "\t".join(["2", "Ban hành Quy chế quản lý dữ liệu số", "Sở Y tế", "Sở Tư pháp; Công an tỉnh", "Quy chế",
               "Quý II/2027", "Bổ sung cơ quan phối hợp: Công an tỉnh"]),
    "\t".join(["3", "Xây dựng Đề án phát triển nhân lực số", "Sở Giáo dục và Đào tạo", "Sở Nội vụ", "Đề án",
               "Tháng 01/2027", "Điều chỉnh thời gian hoàn thành"])]) + "\n"


def test_an_amendment_withdraws_moves_and_leaves_for_a_person_what_it_cannot_do(province, frozen):
    # "Đưa ra khỏi danh mục" and "Bổ sung cơ quan phối hợp" each became a new task beside the old one; a deadline
    # moved two months earlier told nobody
    coord = province["coord"]
    people.create_user("gd.head", "mat-khau-1", "Sở Giáo dục và Đào tạo", ["agency_head"], full_name="Lãnh đạo GD")
    pipeline.commit(coord, pipeline.preview(coord, "150.txt", PLAN.encode()).id)
    tasks = {t.lead_agency.name: t for t in db.session.scalars(select(Task))}
    before = db.session.scalar(select(func.count()).select_from(Task))
    batch = pipeline.preview(coord, "200.txt", AMENDMENT.encode())
    rows = batch.report["appendices"][0]["rows"]
    assert [(r["action"], r["target_task_id"]) for r in rows] == [
        ("withdraw", tasks["Sở Nội vụ"].id), ("flagged", None), ("adjust", tasks["Sở Giáo dục và Đào tạo"].id)]
    assert "Dòng này điều chỉnh đơn vị phối hợp của nhiệm vụ đã giao: chưa làm được khi nhập" in \
        rows[1]["blocking"][0]["message"]

    result = pipeline.commit(coord, batch.id)

    assert (result["withdrawn"], result["adjusted"], result["flagged"], result["created"]) == (1, 1, 1, 0)
    assert db.session.scalar(select(func.count()).select_from(Task)) == before  # no new task
    withdrawn = db.session.get(Task, tasks["Sở Nội vụ"].id)
    assert withdrawn.kind == "withdrawn" and status.compute(withdrawn, clock.today(), 3) == "withdrawn"
    [event] = [e for e in reads.history(withdrawn) if e.action == "withdrawn"]
    assert event.comment == "Theo 200/CV-UBND ngày 05/12/2026: Đưa ra khỏi danh mục, không tiếp tục thực hiện"
    moved = db.session.get(Task, tasks["Sở Giáo dục và Đào tạo"].id)
    assert moved.due_date <= date(2027, 2, 1)
    [note] = db.session.scalars(select(Notification).where(Notification.kind == "changed",
                                                           Notification.task_id == moved.id))
    assert note.user.username == "gd.head"  # the lead agency's head (its head also holds the "assign" step)
    assert note.title == f"Thời hạn nhiệm vụ thay đổi: {moved.code} {moved.title}"
    assert "Thời hạn cũ: 31/03/2027" in note.body and f"Thời hạn mới: {moved.due_date:%d/%m/%Y}" in note.body
    assert "Thời hạn sớm hơn trước: các hạn nội bộ đã giao trong đơn vị cần xem lại." in note.body


def amendment(*rows: tuple[str, str, str, str]) -> bytes:
    """An amending letter of ``rows``: (title, lead, deadline, what it changes)."""
    lines = ["Số: 201/CV-UBND", "Thanh Hóa, ngày 06 tháng 12 năm 2026", "", "Phụ lục", "DANH MỤC ĐIỀU CHỈNH", "",
             HEADER]
    lines += ["\t".join([str(n), title, lead, "", "Kế hoạch", deadline, change])
              for n, (title, lead, deadline, change) in enumerate(rows, 1)]
    return ("\n".join(lines) + "\n").encode()


def test_what_an_amendment_says_is_read_as_it_means(province):
    # a pause withdrew the task for good; "theo đề nghị của cơ quan chủ trì" read as a change of lead; last year's
    # finished task of the same title stopped the amendment of this year's; a withdrawal asked for a deadline
    coord = province["coord"]
    pipeline.commit(coord, pipeline.preview(coord, "150.txt", PLAN.encode()).id)
    tasks = {t.lead_agency.name: t for t in db.session.scalars(select(Task))}
    done = create.create_task(coord, title="Ban hành Quy chế quản lý dữ liệu số", lead_agency="Sở Y tế",
                              output_type="plan", due_date=date(2026, 6, 30), duplicate_ok=True)
    done.state = "done"
    db.session.commit()
    rows = pipeline.preview(coord, "201.txt", amendment(
        ("Xây dựng kế hoạch chuyển đổi số năm 2027", "Sở Nội vụ", "Quý I/2027", "Tạm dừng thực hiện, chờ hướng dẫn"),
        ("Ban hành Quy chế quản lý dữ liệu số", "Sở Y tế", "Quý III/2027",
         "Điều chỉnh thời gian hoàn thành theo đề nghị của cơ quan chủ trì"),
        ("Xây dựng Đề án phát triển nhân lực số", "Sở Giáo dục và Đào tạo", "", "Đưa ra khỏi danh mục"),
        ("Nhiệm vụ chưa từng giao", "Sở Nội vụ", "", "Đưa ra khỏi danh mục"),
        ("Xây dựng kế hoạch chuyển đổi số năm 2027", "Sở Y tế", "", "Đưa ra khỏi danh mục"),
    )).report["appendices"][0]["rows"]
    pause, later, removed, unknown, others = rows
    assert pause["action"] == "flagged" and "Chưa rõ dòng này điều chỉnh gì (“Tạm dừng thực hiện" in \
        pause["blocking"][0]["message"]
    assert (later["action"], later["target_task_id"]) == ("adjust", tasks["Sở Y tế"].id)  # the running one
    assert (removed["action"], removed["target_task_id"], removed["blocking"]) == (
        "withdraw", tasks["Sở Giáo dục và Đào tạo"].id, [])  # no deadline asked of a task the document ends
    assert unknown["action"] == "flagged" and unknown["blocking"][0]["code"] == "withdraw"  # never a new task
    assert "không có gì để rút" in unknown["blocking"][0]["message"]
    [why] = others["blocking"]  # another agency's task of that title: not withdrawn, not offered as a new task
    assert others["action"] == "flagged" and why["code"] == "withdraw" and "nhiệm vụ mới" not in why["message"]
    assert why["message"].endswith("không rút nhiệm vụ của đơn vị khác. Kiểm tra văn bản gốc. Bỏ qua dòng này.")


def test_a_withdrawn_task_takes_no_request_for_more_time(world):
    task = new_task(world, collaborators=())
    fanout.withdraw(world["coord"], task.id, "Theo Công văn 200/CV-UBND")
    assert not access.can_request_extension(world["officer"], task)
    with pytest.raises(Invalid) as caught:
        extensions.request_extension(world["officer"], task.id, date(2026, 9, 30), "Chờ hướng dẫn")
    assert "Nhiệm vụ đã được rút, không tiếp tục thực hiện." in str(caught.value.fields)
