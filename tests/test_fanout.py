"""A task owed by a group (issue 18): "UBND các xã, phường" owes it as 166 communes, each with its own ordinary
task and process; the group's task has no work items and follows its members' tasks."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, update

from models import AuditEvent, Notification, ProcessInstance, Task, WorkItem, db
from tests.conftest import COLLAB_A, LEAD, OTHER, PASSWORD, act, csrf_from, open_items, user
from workflows import clock
from workflows.accounts import groups, people
from workflows.errors import Conflict, Invalid, NotAllowed
from workflows.process import catalog
from workflows.reporting import progress as progress_table
from workflows.tasks import create, fanout, reads, status
from workflows.tasks.scope import Filters

COMMUNES = "UBND các xã, phường"


def assign(world, lead: str, output_type: str = "plan", due: date = date(2026, 6, 30), **kwargs) -> Task:
    return create.create_task(world["coord"], title="Triển khai Mô hình chuyển đổi số cấp xã", lead_agency=lead,
                              output_type=output_type, due_date=due, **kwargs)


@pytest.fixture
def communes(world):
    names = [f"UBND xã Số {n:03d}" for n in range(1, 167)]
    for name in names:
        people.create_agency(name, kind="commune")
    groups.create_group(None, COMMUNES, names, aliases=["UBND các xã, phường, đặc khu", "Các xã, phường"])
    return names


@pytest.fixture
def pair(world):
    """A group of two agencies of the test province whose people can act on their tasks."""
    return groups.create_group(None, "Hai sở thử nghiệm", [LEAD, OTHER])


def test_a_task_for_a_group_becomes_one_task_per_member(world, communes):
    parent = assign(world, "Các xã, phường")  # an alias, as a document writes it
    assert (parent.kind, parent.lead_agency_id, parent.group.name) == ("group", None, COMMUNES)
    children = fanout.member_tasks(parent)
    assert sorted(t.lead_agency.name for t in children) == communes
    assert {(t.kind, t.title, t.due_date) for t in children} == {("task", parent.title, parent.due_date)}
    # each member runs its own process with its own work item at its own first step; the group's task has none
    assert db.session.scalar(select(func.count()).select_from(ProcessInstance)
                             .where(ProcessInstance.task_id.in_([t.id for t in children]))) == 166
    items = db.session.scalars(select(WorkItem).where(WorkItem.status == "open")).all()
    assert len(items) == 166 and {i.task.lead_agency_id for i in items} == {t.lead_agency_id for t in children}
    assert not open_items(parent)
    # each member's process is the ordinary approval cycle at its latest version, the one a lone task gets
    alone = create.create_task(world["coord"], title="Một nhiệm vụ riêng", lead_agency=LEAD, output_type="plan",
                               due_date=date(2026, 6, 30))
    models = {(i.process_model.process_id, i.process_model.version) for i in db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.task_id.in_([t.id for t in children] + [alone.id])))}
    assert models == {("approval_cycle", catalog.latest("approval_cycle").version)}
    assert (fanout.progress(parent).done, fanout.progress(parent).total) == (0, 166)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.task_id == parent.id)).one()
    assert (event.action, event.to_step) == ("create", "Giao 166 đơn vị")


def test_members_work_on_their_own_and_the_group_task_follows(world, pair):
    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[])
    mine, theirs = sorted(fanout.member_tasks(parent), key=lambda t: t.lead_agency.name != LEAD)
    # the lead's task goes its whole way, with a return on the way, while the other member's has not moved
    act(world, mine, "assign")
    act(world, mine, "draft")
    act(world, mine, "finalise")
    act(world, mine, "signoff", decision="return")
    act(world, mine, "finalise")
    for _ in range(10):
        items = open_items(mine)
        if not items:
            break
        act(world, mine, items[0].step_id)
    assert mine.state == "done" and theirs.state == "active"
    assert [i.step_id for i in open_items(theirs)] == ["assign"]
    progress = fanout.progress(parent)
    assert (progress.done, progress.total, [t.id for t in progress.not_done]) == (1, 2, [theirs.id])
    assert parent.state == "active"
    # the other member finishes too: the group's task is done, on the last member's day
    for _ in range(12):
        items = open_items(theirs)
        if not items:
            break
        step = items[0].step_id
        act(world, theirs, step, user={"assign": "x_head", "signoff": "x_head"}.get(
            step, "x_officer" if items[0].agency.name == OTHER else None),
            data={"assignee": "x_officer"} if step == "assign" else None)
    db.session.refresh(parent)
    assert theirs.state == "done" and parent.state == "done" and parent.completed_on == theirs.completed_on


def test_a_member_removed_mid_way_is_counted_nowhere_and_the_rest_decide(world, pair):
    # (a deadline still ahead on the real clock: a member added after it passes is asked for its own)
    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2099, 6, 30))
    mine, theirs = sorted(fanout.member_tasks(parent), key=lambda t: t.lead_agency.name != LEAD)
    with pytest.raises(Invalid):
        fanout.remove_member(world["coord"], parent.id, theirs.id, "  ")
    with pytest.raises(NotAllowed):
        fanout.remove_member(world["x_head"], parent.id, theirs.id, "Đơn vị đã sáp nhập")
    fanout.remove_member(world["coord"], parent.id, theirs.id, "Đơn vị đã sáp nhập vào Sở Công Thương")
    db.session.refresh(theirs)
    assert theirs.kind == fanout.WITHDRAWN and not open_items(theirs)
    assert db.session.scalar(select(ProcessInstance.status).where(ProcessInstance.task_id == theirs.id)) \
        == "cancelled"
    assert (fanout.progress(parent).done, fanout.progress(parent).total) == (0, 1)
    # the other member's officer no longer has it in their inbox
    assert not [i for i in reads.inbox(user("x_head")) if i.task_id == theirs.id]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.task_id == parent.id,
                                                        AuditEvent.action == "group_member_removed")).one()
    assert event.actor.username == "coord" and "sáp nhập" in event.comment
    # a member added back gets a task of its own from today; twice is refused
    again = fanout.add_member(world["coord"], parent.id, OTHER)
    assert again.parent_id == parent.id and [i.step_id for i in open_items(again)] == ["assign"]
    with pytest.raises(Conflict):
        fanout.add_member(world["coord"], parent.id, OTHER)


def test_giving_a_group_s_task_to_one_more_takes_registry_agencies_only(world, pair):
    """A security review: "Giao thêm" with a member's name in other capitals gave it a second share of the task,
    and with a group's name made a separate group's task of 19 wards that its page never showed; a reason of a
    million characters was kept and sent in every notice."""
    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2099, 6, 30))
    tasks_before = db.session.scalar(select(func.count()).select_from(Task))
    with pytest.raises(Conflict):
        fanout.add_member(world["coord"], parent.id, "  " + OTHER.upper() + " ")
    with pytest.raises(Invalid) as refused:
        fanout.add_member(world["coord"], parent.id, "Hai sở thử nghiệm")
    assert refused.value.fields["agency"] == \
        "Không tìm thấy đơn vị “Hai sở thử nghiệm” trong danh mục đơn vị đang hoạt động."
    assert db.session.scalar(select(func.count()).select_from(Task)) == tasks_before
    added = fanout.add_member(world["coord"], parent.id, COLLAB_A.lower())  # another spelling: the registry's name
    assert added.lead_agency.name == COLLAB_A
    member = next(t for t in fanout.member_tasks(parent) if t.lead_agency.name == OTHER)
    with pytest.raises(Invalid) as refused:
        fanout.remove_member(world["coord"], parent.id, member.id, "x" * 1001)
    assert refused.value.fields["reason"] == "Lý do dài 1001 ký tự; tối đa 1000 ký tự."
    with pytest.raises(Invalid):
        fanout.close(world["coord"], parent.id, "x" * 1001)
    fanout.remove_member(world["coord"], parent.id, member.id, "x" * 1000)  # (what the boxes take)


def test_a_member_officer_sees_only_their_own_task(world, pair):
    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[])
    mine, theirs = sorted(fanout.member_tasks(parent), key=lambda t: t.lead_agency.name != LEAD)
    assert reads.get_task(world["officer"], mine.id) is mine
    for task in (theirs, parent):
        with pytest.raises(NotAllowed):
            reads.get_task(world["officer"], task.id)
    assert reads.get_task(world["coord"], parent.id) is parent


def test_a_group_without_members_today_or_with_unknown_members_is_refused(world):
    with pytest.raises(Invalid) as unknown:
        groups.create_group(None, "Nhóm lạ", [LEAD, "Sở Không Có"])
    assert "“Sở Không Có”" in str(unknown.value.args[0]) or "Sở Không Có" in repr(unknown.value.__dict__)
    empty = groups.create_group(None, "Nhóm sau này", [LEAD], joined_on=date(2099, 1, 1))
    with pytest.raises(Invalid) as refused:
        assign(world, empty.name)
    assert refused.value.fields["lead_agency"].params["group"] == "Nhóm sau này"


def test_the_command_line_creates_a_group_of_existing_agencies(app, world):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["create-group", "Các sở thử nghiệm", "--member", LEAD, "--member", OTHER,
                               "--alias", "Các sở, ngành thử nghiệm"])
    assert made.exit_code == 0, made.output
    assert "Đã tạo nhóm “Các sở thử nghiệm” gồm 2 đơn vị." in made.output
    assert groups.group_named("các sở, ngành thử nghiệm").name == "Các sở thử nghiệm"
    refused = runner.invoke(args=["create-group", "Nhóm khác", "--member", "Sở Không Có"])
    assert refused.exit_code != 0 and "Sở Không Có" in refused.output


def test_the_api_creates_a_group_task_and_shows_its_progress(world, pair, api):
    headers = api.token("coord")
    response = api.post("/api/v1/tasks", headers=headers, json={
        "title": "Báo cáo kết quả chuyển đổi số", "lead_agency": pair.name, "output_type": "plan",
        "due_date": "2027-06-30"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert {(s["lead_agency"], s["status"]) for s in body["subtasks"]} == {(LEAD, "in_progress"),
                                                                           (OTHER, "in_progress")}
    assert body["lead_agency"] == pair.name and body["kind"] == "group"
    # the contract's "current_steps" (a client reads a task without them as finished): the members' open steps
    assert sorted((s["step_id"], s["agency"]) for s in body["current_steps"]) == [("assign", LEAD), ("assign", OTHER)]
    assert body["progress"] == {"done": 0, "total": 2, "overdue": 0}
    child = api.get(f"/api/v1/tasks/{body['subtasks'][0]['id']}", headers=headers).get_json()
    assert [s["step_id"] for s in child["current_steps"]] == ["assign"] and "subtasks" not in child
    again = api.get(f"/api/v1/tasks/{body['id']}", headers=headers).get_json()
    assert again["progress"] == body["progress"] and len(again["subtasks"]) == 2


def test_the_group_page_shows_progress_and_the_coordinator_changes_members(world, pair, browser):
    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2027, 6, 30))
    mine, theirs = sorted(fanout.member_tasks(parent), key=lambda t: t.lead_agency.name != LEAD)
    browser.login("coord")
    page = browser.client.get(f"/tasks/{parent.id}").get_data(as_text=True)
    assert "0/2 đơn vị đã hoàn thành" in page and "Đơn vị chưa hoàn thành (2)" in page
    assert LEAD in page and OTHER in page and "Giao cho nhóm: Hai sở thử nghiệm" in page
    csrf = browser.csrf(f"/tasks/{parent.id}")
    refused = browser.client.post(f"/tasks/{parent.id}/members/{theirs.id}/withdraw",
                                  data={"csrf_token": csrf, "reason": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Vui lòng ghi lý do rút nhiệm vụ của đơn vị." in html
    assert f'id="reason-{theirs.id}" name="reason" maxlength="1000" required aria-required="true" value="" ' \
        f'aria-invalid="true" aria-describedby="reason-{theirs.id}-reason-error">' in html  # its own form, open
    assert f'<details open><summary>Rút nhiệm vụ của đơn vị<span class="visually-hidden"> {OTHER}</span>' in html
    done = browser.client.post(f"/tasks/{parent.id}/members/{theirs.id}/withdraw",
                               data={"csrf_token": csrf, "reason": "Sáp nhập"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Đã rút nhiệm vụ của đơn vị" in page and "0/1 đơn vị đã hoàn thành" in page
    assert "Rút nhiệm vụ của đơn vị" in page and "Sáp nhập" in page  # the history says who and why
    child = browser.client.get(f"/tasks/{mine.id}").get_data(as_text=True)
    assert "Một phần của nhiệm vụ giao cho Hai sở thử nghiệm" in child
    officer = type(browser)(browser.client.application.test_client())
    officer.login("officer")
    assert officer.client.get(f"/tasks/{parent.id}").status_code == 403
    own = officer.client.get(f"/tasks/{mine.id}").get_data(as_text=True)
    assert "Một phần của nhiệm vụ giao cho" in own and f'href="/tasks/{parent.id}"' not in own


def preview_the_communes_row(coord, communes: int):
    """The plan of the fixtures previewed with ``communes`` wards grouped as "UBND các xã, phường": the batch and its
    row 7, the task owed by every ward."""
    from tests.test_import_pdf import PLAN, text_of
    from workflows.importing import pipeline

    names = [f"UBND phường Số {n:03d}" for n in range(1, communes + 1)]
    for name in names:
        people.create_agency(name, kind="commune")
    groups.create_group(None, COMMUNES, names)
    batch = pipeline.preview(coord, "ke-hoach.txt", text_of(PLAN).encode())
    [row] = [r for a in batch.report["appendices"] for r in a["rows"] if r["stt"] == "7"]
    return batch, row


def test_an_import_row_for_the_communes_fans_out_at_commit(province):
    from tests.test_import_pdf import PLAN, text_of
    from workflows.importing import pipeline

    batch, row = preview_the_communes_row(province["coord"], 166)
    assert row["lead_agencies"] == [COMMUNES] and row["action"] == "new", row["blocking"]
    assert f"Giao cho nhóm “{COMMUNES}”: mỗi đơn vị thành viên một nhiệm vụ (166 đơn vị)." in row["warnings"]
    counts = pipeline.commit(province["coord"], batch.id)
    parent = db.session.scalars(select(Task).where(Task.kind == "group")).one()
    assert parent.group.name == COMMUNES and parent.title == row["title"] and parent.import_key == row["key"]
    assert (counts["groups"], counts["shares"]) == (1, 166)  # what the coordinator is told was written
    assert len(fanout.member_tasks(parent)) == 166
    again = pipeline.preview(province["coord"], "ke-hoach.txt", text_of(PLAN).encode())
    [row] = [r for a in again.report["appendices"] for r in a["rows"] if r["stt"] == "7"]
    assert row["action"] == "unchanged" and row["target_task_id"] == parent.id  # imported once, found again


def test_the_dashboard_counts_members_as_units_and_lists_the_group_task(world, pair, browser):
    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2027, 6, 30))
    browser.login("coord")
    page = browser.client.get("/dashboard").get_data(as_text=True)
    assert "Nhiệm vụ giao cho nhóm đơn vị (1 nhiệm vụ)" in page
    assert f'data-figure="group-done-{parent.id}">0/2' in page
    assert "1 nhiệm vụ giao cho nhóm đơn vị được tính một lần cho mỗi đơn vị thành viên (2 đơn vị)" in page
    assert 'data-figure="total-in_progress">2<' in page  # the two members' tasks, as units
    other = db.session.scalar(select(Task.lead_agency_id).where(Task.parent_id == parent.id,
                                                                Task.lead_agency.has(name=OTHER)))
    filtered = browser.client.get(f"/dashboard?agency={other}").get_data(as_text=True)
    assert f'data-figure="group-done-{parent.id}"' in filtered  # the agency is a member


def test_the_administrator_manages_groups_on_a_page(world, browser):
    browser.login("admin")
    csrf = browser.csrf("/admin/groups")
    refused = browser.client.post("/admin/groups", data={"csrf_token": csrf, "name": "Nhóm lạ", "members": []},
                                  follow_redirects=True)
    assert "Nhóm cần ít nhất một đơn vị thành viên." in refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'value="Nhóm lạ"' in refused.get_data(as_text=True)  # kept, as refused
    made = browser.client.post("/admin/groups", data={"csrf_token": csrf, "name": "Các sở kinh tế",
                                                      "aliases": "Các sở ngành kinh tế", "members": [LEAD, OTHER]},
                               follow_redirects=True)
    page = made.get_data(as_text=True)
    assert "Đã tạo nhóm “Các sở kinh tế” gồm 2 đơn vị." in page and "Thành viên (2 hôm nay)" in page
    group = groups.group_named("các sở ngành kinh tế")
    other = next(m.agency_id for m in group.memberships if m.agency.name == OTHER)
    left = browser.client.post(f"/admin/groups/{group.id}/members", data={
        "csrf_token": csrf, "agency_id": other, "action": "leave"}, follow_redirects=True)
    assert "Thành viên (1 hôm nay)" in left.get_data(as_text=True)
    bad = browser.client.post(f"/admin/groups/{group.id}/members", data={
        "csrf_token": csrf, "agency_id": other, "action": "join", "on": "31/02/2026"}, follow_redirects=True)
    assert "Ngày không hợp lệ" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert [a.name for a in groups.get_group(group.id).members_on(clock.today())] == [LEAD]
    coord = type(browser)(browser.client.application.test_client())
    coord.login("coord")
    assert coord.client.get("/admin/groups").status_code == 403


def test_the_register_lists_the_group_task_with_its_members_under_it(world, pair, browser):
    import io

    import openpyxl

    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2027, 6, 30))
    new_task_ = create.create_task(world["coord"], title="Nhiệm vụ riêng của một sở", lead_agency=LEAD,
                                   output_type="plan", due_date=date(2027, 3, 31))
    browser.login("coord")
    export = browser.client.get("/exports/register.xlsx")
    assert export.status_code == 200, export.get_data(as_text=True)[:300]
    sheet = openpyxl.load_workbook(io.BytesIO(export.data)).active
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=5) if r[1].value]
    titles = [(r[0], (r[1] or "").split("\n")[0], (r[2] or "").split("\n")[0]) for r in rows]
    at = titles.index(("1", parent.title, "Hai sở thử nghiệm"))
    assert titles[at + 1:at + 3] == [("1.1", parent.title, LEAD), ("1.2", parent.title, OTHER)]
    assert rows[at][7] == "0/2 đơn vị đã hoàn thành"
    # the group's row has no status to filter on: "Quá hạn" counted it beside its members' rows (10 against 9)
    assert rows[at][6] == "Theo từng đơn vị" and [r[6] for r in rows[at + 1:at + 3]] == ["Đang thực hiện"] * 2
    status_cells = [r[6] for r in sheet.iter_rows(min_row=5) if r[1].value]
    assert status_cells[at].fill.fill_type is None and status_cells[at + 1].fill.fill_type == "solid"
    assert any(t[1] == new_task_.title for t in titles)


def test_the_coordinator_closes_a_group_task_and_the_open_members_are_not_done(world, pair, browser):
    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2027, 6, 30))
    mine, theirs = sorted(fanout.member_tasks(parent), key=lambda t: t.lead_agency.name != LEAD)
    for _ in range(12):  # the lead's own task is done; the other member's has not started
        items = open_items(mine)
        if not items:
            break
        act(world, mine, items[0].step_id)
    browser.login("coord")
    csrf = browser.csrf(f"/tasks/{parent.id}")
    closed = browser.client.post(f"/tasks/{parent.id}/close", data={"csrf_token": csrf, "reason": "Hết kỳ kế hoạch"},
                                 follow_redirects=True).get_data(as_text=True)
    assert "Đã kết thúc nhiệm vụ; 1 đơn vị không hoàn thành." in closed
    assert "Đơn vị không hoàn thành (1)" in closed and "Đã kết thúc, không hoàn thành" in closed
    db.session.expire_all()
    assert (db.session.get(Task, theirs.id).state, db.session.get(Task, mine.id).state) == ("closed", "done")
    assert not open_items(theirs) and not [i for i in reads.inbox(user("x_head")) if i.task_id == theirs.id]
    assert "Hết kỳ kế hoạch" in closed  # in the history
    # the member's own page says it was ended, not "Đang thực hiện" beside "Không có bước nào đang chờ"
    share = browser.client.get(f"/tasks/{theirs.id}").get_data(as_text=True)
    assert "Đã kết thúc, không hoàn thành" in share and "st-in_progress" not in share
    with pytest.raises(Conflict):
        fanout.add_member(world["coord"], parent.id, LEAD)


def test_the_period_report_says_group_tasks_are_counted_per_member(world, pair, browser):
    import io

    import docx

    assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2027, 6, 30))
    browser.login("coord")
    document = docx.Document(io.BytesIO(browser.client.get("/exports/report.docx?period=2027").data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Tổng số nhiệm vụ có thời hạn trong kỳ: 2 nhiệm vụ." in text
    assert ("Số liệu tính theo đơn vị thực hiện: 1 nhiệm vụ giao cho nhóm đơn vị (như “UBND các xã, phường”) được "
            "tính cho từng đơn vị thành viên (2 đơn vị), đã hoàn thành ở 0 đơn vị.") in text


def test_a_group_as_collaborator_gives_one_opinion_per_member(world, pair):
    task = create.create_task(world["coord"], title="Xây dựng Kế hoạch chuyển đổi số", lead_agency=LEAD,
                              output_type="plan", due_date=date(2027, 6, 30),
                              collaborating_agencies=["Hai sở thử nghiệm", "Sở Tài chính"])
    assert sorted(a.name for a in task.collaborating_agencies) == sorted([OTHER, "Sở Tài chính"])  # not the lead
    act(world, task, "assign")
    act(world, task, "draft")
    opinions = [i.agency.name for i in open_items(task) if i.step_id == "give_opinion"]
    assert sorted(opinions) == sorted([OTHER, "Sở Tài chính"])


def test_an_import_row_with_a_group_among_its_collaborators_asks_each_member(province):
    from workflows.importing import pipeline

    wards = ["UBND phường Số 1", "UBND phường Số 2"]
    for name in wards:
        people.create_agency(name, kind="commune")
    groups.create_group(None, COMMUNES, wards)
    text = ("STT\tTên nhiệm vụ\tĐơn vị chủ trì\tĐơn vị phối hợp\tThời hạn\n"
            f"1\tXây dựng Đề án chuyển đổi số cấp xã\tSở Khoa học và Công nghệ\t{COMMUNES}\t31/12/2027\n")
    batch = pipeline.preview(province["coord"], "danh-muc.txt", text.encode())
    [row] = batch.report["appendices"][0]["rows"]
    assert row["collaborating_agencies"] == [COMMUNES] and not row["groups"]
    pipeline.commit(province["coord"], batch.id)
    task = db.session.scalars(select(Task).where(Task.title == row["title"])).one()
    assert sorted(a.name for a in task.collaborating_agencies) == wards


def test_the_new_task_form_offers_groups_and_assigns_to_every_member(world, pair, browser):
    browser.login("coord")
    form = browser.client.get("/tasks/new").get_data(as_text=True)
    assert 'optgroup label="Nhóm đơn vị (mỗi đơn vị một nhiệm vụ)"' in form and "Hai sở thử nghiệm" in form
    response = browser.client.post("/tasks/new", data={
        "csrf_token": browser.csrf("/tasks/new"), "title": "Rà soát thủ tục hành chính",
        "lead_agency": "Hai sở thử nghiệm", "output_type": "report", "due_date": "30/06/2027",
        "submission": "f-1"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "0/2 đơn vị đã hoàn thành" in page, page[:2000]


def test_the_task_list_and_the_monitoring_feed_name_the_group(world, pair, browser, api):
    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2027, 6, 30))
    browser.login("coord")
    listed = browser.client.get("/tasks?q=chuyen doi so cap xa").get_data(as_text=True)
    assert parent.code in listed and "Hai sở thử nghiệm" in listed
    headers = api.token("coord")
    feed = api.get("/api/v1/monitoring/tasks?per_page=100", headers=headers)
    assert feed.status_code == 200
    assert {i["lead_agency"] for i in feed.get_json()["items"] if i["id"] == parent.id} == {"Hai sở thử nghiệm"}
    listed_api = api.get("/api/v1/tasks?per_page=100", headers=headers).get_json()
    assert {i["lead_agency"] for i in listed_api["items"] if i["id"] == parent.id} == {"Hai sở thử nghiệm"}


def test_a_new_deadline_for_the_group_task_reaches_every_member_still_at_work(world, pair):
    from workflows.tasks import deadlines

    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2027, 6, 30))
    members = fanout.member_tasks(parent)
    deadlines.adjust_deadline(world["coord"], parent, date(2027, 9, 30), "Quý III năm 2027", "Điều chỉnh theo Kế hoạch")
    db.session.commit()
    db.session.expire_all()
    assert {db.session.get(Task, t.id).due_date for t in members} == {date(2027, 9, 30)}
    assert {i.due_at.date() for t in members for i in open_items(t)} == {date(2027, 9, 30)}


def test_a_lead_cell_naming_the_departments_and_the_communes_gives_each_group_its_task(province):
    """002 writes "Các sở, ngành cấp tỉnh, các địa phương" (and "… và địa phương") as the lead of rows 12, 15, 25 and
    38: both groups owe the task. Only the communes got it; the departments' share vanished without a word, while
    "Các sở, ngành cấp tỉnh" alone (rows 28, 30) was refused as a collective though "Các sở, ban, ngành" is a group."""
    from tests.test_import import preview
    from workflows.importing import pipeline

    wards = ["UBND phường Hạc Thành", "UBND phường Quảng Phú"]
    for name in wards:
        people.create_agency(name, kind="commune")
    groups.create_group(None, COMMUNES, wards, ["Các xã, phường"])
    groups.create_group(None, "Các sở, ban, ngành", ["Sở Nội vụ", "Sở Tài chính", "Sở Y tế"], ["Các sở, ngành"])
    batch = preview(province, "002")
    rows = {r["stt"]: r for a in batch.report["appendices"] if a["title"].startswith("Phụ lục III")
            for r in a["rows"]}
    for stt in ("12", "15", "25", "38"):
        assert rows[stt]["lead_agencies"] == ["Các sở, ban, ngành", COMMUNES], (stt, rows[stt]["blocking"])
        assert ("Giao cho nhóm “Các sở, ban, ngành” và nhóm “UBND các xã, phường”: mỗi đơn vị thành viên một nhiệm vụ "
                "(5 đơn vị).") in rows[stt]["warnings"]
    for stt in ("28", "30"):  # the departments alone, in other words
        assert rows[stt]["lead_agencies"] == ["Các sở, ban, ngành"] and rows[stt]["action"] == "new"
    pipeline.commit(province["coord"], batch.id)
    title = rows["12"]["title"]
    owed = db.session.scalars(select(Task).where(Task.kind == "group", Task.title == title)).all()
    assert sorted(t.group.name for t in owed) == ["Các sở, ban, ngành", COMMUNES]
    assert sum(len(fanout.member_tasks(t)) for t in owed) == 5
    again = preview(province, "002")
    [row] = [r for a in again.report["appendices"] if a["title"].startswith("Phụ lục III") for r in a["rows"]
             if r["stt"] == "12"]
    assert row["action"] == "unchanged"  # found again, not imported twice


def test_a_lead_cell_with_a_collective_that_is_no_group_is_held_not_cut(province):
    from workflows.importing import pipeline

    people.create_agency("UBND phường Hạc Thành", kind="commune")
    groups.create_group(None, COMMUNES, ["UBND phường Hạc Thành"], ["Các xã, phường"])
    table = ("| STT | Nhiệm vụ | Đơn vị chủ trì | Thời hạn | Sản phẩm |\n|---|---|---|---|---|\n"
             "| 1 | Số hóa hồ sơ | Các sở, ngành cấp tỉnh, các địa phương | 30/6/2027 | Báo cáo |\n"
             "| 2 | Khám sức khỏe học đường | Sở Y tế, các địa phương | 30/6/2027 | Báo cáo |\n")
    first, second = pipeline.preview(province["coord"], pipeline.PASTED, table.encode()).report["appendices"][0]["rows"]
    assert first["action"] == "flagged" and [b["message"] for b in first["blocking"]] == [
        "Đơn vị chủ trì gồm cả “Các sở, ban, ngành cấp tỉnh”, chưa có nhóm đơn vị nào mang tên này: tạo nhóm ở mục "
        "“Đơn vị” rồi xem trước lại, hoặc chọn đơn vị chủ trì cho dòng này."]
    assert second["lead_agencies"] == ["Sở Y tế"]  # an agency leads; the collective beside it is said
    assert "Chủ trì có tên chung (ghi lại, không giao việc): UBND các xã, phường." in second["warnings"]


def test_the_localities_to_be_chosen_are_not_every_commune(province):
    """002 row 35 gives a pilot to "địa phương được lựa chọn" (one locality still to be chosen), row 36 a project to
    the localities that qualify: each became a task for every commune (19 in the demo). Some of a group is for a
    person to name; "the concerned departments" among the collaborators are not every department either."""
    from tests.test_import import preview

    wards = ["UBND phường Hạc Thành", "UBND phường Quảng Phú"]
    for name in wards:
        people.create_agency(name, kind="commune")
    groups.create_group(None, COMMUNES, wards, ["Các xã, phường", "Các địa phương"])
    groups.create_group(None, "Các sở, ban, ngành", ["Sở Nội vụ", "Sở Tài chính", "Sở Y tế"], ["Các sở, ngành"])
    rows = {r["stt"]: r for a in preview(province, "002").report["appendices"] if a["title"].startswith("Phụ lục III")
            for r in a["rows"]}
    pilot = rows["35"]
    assert pilot["action"] == "flagged" and pilot["lead_agencies"] == []
    assert [b["message"] for b in pilot["blocking"]] == [
        "Đơn vị chủ trì là “Địa phương được lựa chọn”: chỉ một số đơn vị, không phải mọi đơn vị của nhóm. Hãy chọn "
        "đơn vị chủ trì cho dòng này."]
    table = ("| STT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời hạn | Sản phẩm |\n|---|---|---|---|---|---|\n"
             "| 1 | Triển khai camera giám sát | Các địa phương có đủ điều kiện | | 30/6/2027 | Báo cáo |\n"
             "| 2 | Số hóa hồ sơ y tế | Sở Y tế | Các sở, ngành liên quan | 30/6/2027 | Báo cáo |\n")
    from workflows.importing import pipeline

    qualified, health = pipeline.preview(province["coord"], pipeline.PASTED, table.encode()).report[
        "appendices"][0]["rows"]
    assert qualified["action"] == "flagged" and qualified["lead_agencies"] == []
    assert (health["collaborating_agencies"], health["groups"]) == ([], ["Các sở, ngành liên quan"])
    assert "Phối hợp có tên chung (ghi lại, không giao việc): Các sở, ngành liên quan." in health["warnings"]
    # the chosen ones, once named as a group of their own, are that group
    groups.create_group(None, "Các xã thí điểm", ["UBND phường Hạc Thành"])
    pilot = table.replace("Các địa phương có đủ điều kiện", "Các xã thí điểm")
    [chosen, _] = pipeline.preview(province["coord"], pipeline.PASTED, pilot.encode()).report["appendices"][0]["rows"]
    assert (chosen["action"], chosen["lead_agencies"]) == ("new", ["Các xã thí điểm"])


def test_a_member_added_later_counts_in_the_period_its_group_s_deadline_is_written_for(world, pair):
    """A group's task due Saturday 29/05/2027 is judged by Monday 31/05 and counts in May, as every member's; a
    member added later took the Monday as its written deadline (and would have counted in June, had it fallen there)."""
    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2027, 5, 29))
    added = fanout.add_member(world["coord"], parent.id, COLLAB_A)
    saturday, monday = date(2027, 5, 29), date(2027, 5, 31)
    assert {(t.nominal_due, t.due_date) for t in fanout.member_tasks(parent)} == {(saturday, monday)}
    assert added.period_due == saturday


def test_a_withdrawn_member_s_task_is_no_longer_late_anywhere(world, frozen, pair, browser):
    """A ward withdrawn after its merge still read "Quá hạn", "Nhiệm vụ đã quá hạn … ngày", and stayed in the
    task list's overdue filter, with nothing on its page saying it was taken back."""
    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2026, 3, 31))
    theirs = next(t for t in fanout.member_tasks(parent) if t.lead_agency.name == OTHER)
    frozen.advance(days=60)  # both shares overdue
    fanout.remove_member(world["coord"], parent.id, theirs.id, "Đơn vị sáp nhập")
    browser.login("coord")
    page = " ".join(browser.client.get(f"/tasks/{theirs.id}").get_data(as_text=True).split())
    assert '<span class="chip st-withdrawn">Đã rút</span>' in page and "st-overdue" not in page
    assert "Nhiệm vụ đã quá hạn" not in page
    assert (f"Phần việc của {OTHER} đã được rút khỏi nhiệm vụ giao cho Hai sở thử nghiệm ({parent.code}) ngày "
            f'{clock.today():%d/%m/%Y}: <span class="prewrap">Đơn vị sáp nhập</span>.') in page
    overdue = browser.client.get("/tasks?status=overdue").get_data(as_text=True)
    assert theirs.code not in overdue and fanout.member_tasks(parent)[0].code in overdue


def test_a_member_added_after_the_group_s_deadline_is_given_its_own(world, frozen, browser):
    """"Giao thêm" after the group's deadline gave the new ward that deadline: overdue from its first day."""
    people.create_agency("UBND phường Tân Dân", kind="commune")
    groups.create_group(None, "Các phường thử", [LEAD], [])
    parent = assign(world, "Các phường thử", collaborating_agencies=[], due=date(2026, 3, 31))
    frozen.advance(days=60)
    browser.login("coord")
    page = browser.client.get(f"/tasks/{parent.id}").get_data(as_text=True)
    assert "(bắt buộc: thời hạn chung 31/03/2026 đã qua)" in page
    csrf = csrf_from(page)
    refused = browser.client.post(f"/tasks/{parent.id}/members", data={"csrf_token": csrf,
                                                                       "agency": "UBND phường Tân Dân"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Thời hạn chung (31/03/2026) đã qua: nhập thời hạn cho đơn vị được giao thêm." in html
    # said beside the date box, which takes the focus (first-error.js); the ward chosen stays chosen (an outside
    # check: the page went back to its top, the message in a banner out of view, the choice and the date lost)
    assert 'aria-invalid="true" aria-describedby="add-due_date-error"' in html
    assert '<span class="field-error" id="add-due_date-error">Thời hạn chung (31/03/2026) đã qua' in html
    assert '<option value="UBND phường Tân Dân" selected>' in html
    past = browser.client.post(f"/tasks/{parent.id}/members", data={
        "csrf_token": csrf, "agency": "UBND phường Tân Dân", "due_date": "01/04/2026"})
    assert "không thể trước hôm nay" in past.get_data(as_text=True) and 'value="01/04/2026"' in past.get_data(
        as_text=True)
    typo = browser.client.post(f"/tasks/{parent.id}/members", data={
        "csrf_token": csrf, "agency": "UBND phường Tân Dân", "due_date": "32/13/2026"}).get_data(as_text=True)
    assert 'id="add-due_date-error">Ngày 32/13/2026' in typo and 'value="32/13/2026"' in typo
    done = browser.client.post(f"/tasks/{parent.id}/members", data={
        "csrf_token": csrf, "agency": "UBND phường Tân Dân", "due_date": "30/06/2026"}, follow_redirects=True)
    assert "Đã giao thêm nhiệm vụ cho UBND phường Tân Dân." in done.get_data(as_text=True)
    # a ward registered without accounts yet: nobody would see the task, and the coordinator is told so
    assert ("UBND phường Tân Dân chưa có tài khoản lãnh đạo đơn vị nào nên chưa ai nhận được việc này"
            in done.get_data(as_text=True))
    added = next(t for t in fanout.member_tasks(parent) if t.lead_agency.name == "UBND phường Tân Dân")
    assert added.due_date == date(2026, 6, 30) and status.of(added) == "in_progress"
    # the group's page gives each member its own deadline and how late it is (the ward's date showed nowhere)
    rows = {r.split("</td>")[0]: r for r in browser.client.get(f"/tasks/{parent.id}").get_data(as_text=True)
            .split('<td data-label="Đơn vị">')[1:]}
    assert '<td data-label="Thời hạn" class="nowrap">30/06/2026</td>' in rows["UBND phường Tân Dân"]
    assert "31/03/2026<div class=\"small warning-text\">quá 30 ngày</div>" in rows[LEAD]


def test_after_a_merge_the_group_page_names_the_share_each_agency_was_given(world, pair, browser):
    """A share passed to a successor outside the group said nothing of whose it had been. (A successor in the group
    keeps its own share alone: test_a_ward_merged_into_another_of_its_group_leaves_one_share.)"""
    from workflows.tasks import agency_changes

    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2099, 6, 30))
    agency_changes.merge_agency(None, LEAD, COLLAB_A, date(2026, 7, 1), "Nghị quyết số 1/NQ", users="keep")
    browser.login("coord")
    page = " ".join(browser.client.get(f"/tasks/{parent.id}").get_data(as_text=True).split())
    assert page.count(f'<td data-label="Đơn vị">{COLLAB_A}') == 1
    assert f'{COLLAB_A} <span class="small muted">(trước đây: {LEAD})</span>' in page


def test_a_user_of_no_agency_sees_no_group_task(world, pair, api):
    """A group's task has no lead agency: "None" among the agencies involved let anyone without an agency read it,
    and through the API its members' open steps and who holds them."""
    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2027, 6, 30))
    # (an officer without an agency is refused when an account is made; one may come from data kept before that)
    people.create_user("lac", PASSWORD, LEAD, ["officer"], full_name="Người chưa có đơn vị").agency_id = None
    db.session.commit()
    r = api.get(f"/api/v1/tasks/{parent.id}", headers=api.token("lac"))
    assert r.status_code == 403


def test_what_a_fix_on_the_preview_settles_is_said_no_more_and_a_group_chosen_says_it_fans_out(province):
    """After the coordinator typed a title, chose a lead and a type, the row still read "Tên nhiệm vụ trống", "Chủ
    trì có tên chung" and "có từ 'Kế hoạch'"; a group chosen as the lead did not say it gives every member a task."""
    from workflows.importing import pipeline

    wards = ["UBND phường Hạc Thành", "UBND phường Quảng Phú"]
    for name in wards:
        people.create_agency(name, kind="commune")
    groups.create_group(None, COMMUNES, wards, ["Các xã, phường"])
    table = ("| STT | Nhiệm vụ | Đơn vị chủ trì | Thời hạn | Sản phẩm |\n|---|---|---|---|---|\n"
             "| 1 | | Sở Y tế, các đoàn thể | 30/6/2027 | Kế hoạch |\n"
             "| 2 | Rà soát hạ tầng số cấp xã | Các cơ quan, đơn vị | 30/6/2027 | Báo cáo |\n")
    coord = province["coord"]
    batch = pipeline.preview(coord, pipeline.PASTED, table.encode())
    first, second = batch.report["appendices"][0]["rows"]
    assert "Tên nhiệm vụ trống." in first["warnings"] and "Kế hoạch" in first["output_reason"]
    assert any(w.startswith("Chủ trì có tên chung") for w in first["warnings"])
    pipeline.fix_row(coord, batch.id, 0, 1, {"title": "Lập kế hoạch khám sức khỏe học đường", "lead_agency": "Sở Y tế",
                                             "output_type": "report"})
    pipeline.fix_row(coord, batch.id, 0, 2, {"lead_agency": COMMUNES})
    first, second = db.session.get(type(batch), batch.id).report["appendices"][0]["rows"]
    assert first["action"] == "new" and first["output_reason"] == ""
    assert not any(w == "Tên nhiệm vụ trống." or w.startswith("Chủ trì có tên chung") for w in first["warnings"])
    assert second["lead_agencies"] == [COMMUNES]
    assert f"Giao cho nhóm “{COMMUNES}”: mỗi đơn vị thành viên một nhiệm vụ (2 đơn vị)." in second["warnings"]


def test_a_document_withdraws_a_group_s_task_in_one_step(world, pair):
    """A document taking the communes' task off the list could only close it ("không hoàn thành": every commune
    counted as failing) or withdraw 166 shares one by one."""
    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2099, 6, 30))
    mine, theirs = sorted(fanout.member_tasks(parent), key=lambda t: t.lead_agency.name != LEAD)
    for _ in range(12):  # the lead's share is done before the document comes
        items = open_items(mine)
        if not items:
            break
        act(world, mine, items[0].step_id)
    with pytest.raises(NotAllowed):
        fanout.withdraw(world["x_head"], parent.id, "Theo Công văn 200/CV-UBND")

    fanout.withdraw(world["coord"], parent.id, "Theo Công văn 200/CV-UBND: đưa ra khỏi danh mục")

    db.session.expire_all()
    parent, mine, theirs = (db.session.get(Task, t.id) for t in (parent, mine, theirs))
    assert (parent.kind, theirs.kind, mine.kind, mine.state) == ("withdrawn", "withdrawn", "task", "done")
    assert status.of(theirs) == "withdrawn" and not open_items(theirs)
    assert db.session.scalar(select(ProcessInstance.status).where(ProcessInstance.task_id == theirs.id)) \
        == "cancelled"
    assert not [i for i in reads.inbox(user("x_head")) if i.task_id == theirs.id]
    notes = db.session.scalars(select(Notification).where(Notification.kind == "changed")).all()
    assert {n.user.username for n in notes} == {"x_head"} and {n.task_id for n in notes} == {theirs.id}
    [event] = [e for e in reads.history(parent) if e.action == "withdrawn"]
    assert event.data == {"withdrawn": [OTHER], "task_ids": [theirs.id], "done": 1}
    assert [e.comment for e in reads.history(theirs) if e.action == "withdrawn"] == [
        "Cả nhiệm vụ giao cho nhóm được rút — Theo Công văn 200/CV-UBND: đưa ra khỏi danh mục"]
    assert not progress_table.group_table(Filters())  # counted nowhere as a group's task
    with pytest.raises(Conflict, match="đã được rút trước đó"):
        fanout.withdraw(world["coord"], parent.id, "Lần nữa")
    with pytest.raises(Conflict, match="đã được rút"):
        fanout.add_member(world["coord"], parent.id, OTHER)


def test_the_coordinator_withdraws_a_group_s_task_on_its_page(world, pair, browser):
    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2099, 6, 30))
    theirs = next(t for t in fanout.member_tasks(parent) if t.lead_agency.name == OTHER)
    browser.login("coord")
    page = browser.client.get(f"/tasks/{parent.id}").get_data(as_text=True)
    assert "Rút nhiệm vụ (không tiếp tục thực hiện)" in page
    refused = browser.client.post(f"/tasks/{parent.id}/withdraw", data={"csrf_token": csrf_from(page),
                                                                         "reason": " "})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Vui lòng ghi lý do rút nhiệm vụ" in html
    assert "Giao cho nhóm: Hai sở thử nghiệm" in html  # the group's page again, not a lone task's
    done = browser.client.post(f"/tasks/{parent.id}/withdraw", follow_redirects=True,
                               data={"csrf_token": csrf_from(page), "reason": "Quyết định 12/QĐ-BCĐ"})
    html = " ".join(done.get_data(as_text=True).split())
    assert "Đã rút nhiệm vụ giao cho nhóm: phần việc chưa hoàn thành của các đơn vị đã dừng" in html
    assert "Nhiệm vụ đã được rút, không tiếp tục thực hiện ngày" in html and "Quyết định 12/QĐ-BCĐ" in html
    assert "Rút khi 0/2 đơn vị đã hoàn thành" in html and "Đơn vị dừng thực hiện (2)" in html
    assert html.count('<span class="chip st-withdrawn">Đã rút</span>') == 3  # the group's task and both shares
    assert "Rút nhiệm vụ (không tiếp tục thực hiện)" not in html and "Giao thêm" not in html
    share = " ".join(browser.client.get(f"/tasks/{theirs.id}").get_data(as_text=True).split())
    assert (f"Phần việc của {OTHER} đã được rút khỏi nhiệm vụ giao cho Hai sở thử nghiệm ({parent.code}) ngày "
            f"{clock.today():%d/%m/%Y}") in share and "Cả nhiệm vụ giao cho nhóm được rút — Quyết định" in share


def test_an_amendment_withdraws_the_communes_task(province):
    from tests.test_withdraw import HEADER
    from workflows.importing import pipeline

    batch, row = preview_the_communes_row(province["coord"], 5)
    pipeline.commit(province["coord"], batch.id)
    parent = db.session.scalars(select(Task).where(Task.kind == "group")).one()
    letter = ["Số: 201/CV-UBND", "Thanh Hóa, ngày 06 tháng 12 năm 2026", "", "Phụ lục", "DANH MỤC ĐIỀU CHỈNH", "",
              HEADER, "\t".join(["1", row["title"], COMMUNES, "", "Kế hoạch", "", "Đưa ra khỏi danh mục"])]
    amendment = pipeline.preview(province["coord"], "201.txt", ("\n".join(letter) + "\n").encode())
    [withdrawal] = amendment.report["appendices"][0]["rows"]
    assert (withdrawal["action"], withdrawal["target_task_id"], withdrawal["blocking"]) == ("withdraw", parent.id, [])
    # nothing said of the empty deadline cell, nor that each commune gets a task: the document ends theirs
    assert withdrawal["warnings"] == [], withdrawal["warnings"]
    assert pipeline.commit(province["coord"], amendment.id)["withdrawn"] == 1
    db.session.expire_all()
    assert {t.kind for t in db.session.scalars(select(Task).where(Task.parent_id == parent.id))} == {"withdrawn"}
    assert db.session.get(Task, parent.id).kind == "withdrawn"


def test_a_ward_merged_into_another_of_its_group_leaves_one_share(world, pair, browser):
    """Tân Lập 31 merged into Tân Lập 32: the successor then owed two shares of the same group task, each to be
    signed off apart, and the page counted the merged ward twice."""
    from workflows.tasks import agency_changes

    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2099, 6, 30))
    mine, theirs = sorted(fanout.member_tasks(parent), key=lambda t: t.lead_agency.name != LEAD)
    done = agency_changes.merge_agency(None, OTHER, LEAD, clock.today(), "Nghị quyết số 1686/NQ-UBTVQH15")
    assert done.shares == 1 and done.tasks == 0
    db.session.expire_all()
    assert (db.session.get(Task, theirs.id).kind, not open_items(db.session.get(Task, theirs.id))) == (
        "withdrawn", True)
    assert [t.id for t in fanout.member_tasks(parent)] == [mine.id]
    assert fanout.progress(parent).total == 1
    [removed] = [e for e in reads.history(parent) if e.action == "group_member_removed"]
    assert removed.comment.startswith(f"Rút nhiệm vụ của {OTHER}: {OTHER} sáp nhập vào {LEAD}")


def test_the_period_report_gives_a_group_s_late_members_one_row_and_names_the_laggards_above_their_tie(world):
    """166 communes late on one group task: section III had one row per commune (five pages of the same task) and
    section IV named 160 units, each "1 nhiệm vụ quá hạn"."""
    import io

    import docx

    from workflows.reporting import period_report

    names = [f"UBND xã Số {n:02d}" for n in range(1, 13)]
    for name in names:
        people.create_agency(name, kind="commune")
    groups.create_group(None, "Các xã thử nghiệm", names)
    parent = assign(world, "Các xã thử nghiệm", collaborating_agencies=[], due=date(2026, 3, 31))
    march = Filters(period="2026-03")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(period_report.report_file(world["coord"], march)
                                                              .data)).paragraphs)
    assert "Có 12 đơn vị cùng có 1 nhiệm vụ quá hạn, nhiều nhất trong kỳ (danh sách ở mục III)." in text
    for n in range(2):  # a department late twice: the one to name
        create.create_task(world["coord"], title=f"Nhiệm vụ của sở số {n}", lead_agency=LEAD, output_type="plan",
                           due_date=date(2026, 3, 20))
    report = period_report.period_report(world["coord"], Filters(period="2026-03"))
    assert ([r.agency for r in report.lagging], report.lagging_more) == ([LEAD], 12)
    document = docx.Document(io.BytesIO(period_report.report_file(world["coord"], Filters(period="2026-03")).data))
    [overdue] = [t for t in document.tables if t.rows[0].cells[-1].text == "Lý do, giải trình"]
    rows = [[c.text for c in r.cells] for r in overdue.rows[1:]]
    assert len(rows) == 3  # the department's two tasks, due first, and the group's
    shares = rows[2]
    assert shares[1] == f"{' '.join(parent.title.split())} ({parent.code}, giao cho nhóm)"
    # (ten named: a row never breaks across pages, and 146 names ran over nine)
    assert shares[2] == (f"Các xã thử nghiệm: 12/12 đơn vị quá hạn ({'; '.join(names[:10])} và 2 đơn vị khác, xem "
                         f"trang nhiệm vụ {parent.code})")
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Ngoài ra, 12 đơn vị khác có nhiệm vụ quá hạn (mục III)." in text


def test_a_merged_ward_s_share_leaves_with_its_reports_and_the_group_s_task_can_finish(world, frozen, pair):
    """The review: merging a ward whose successor's share was done left the group's task open (1/1 done) forever;
    the withdrawn share's monthly reports passed to the successor, who owed two; nobody holding it was told."""
    from workflows.tasks import agency_changes, period_reports

    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=date(2026, 6, 30),
                    deadline_text="Tháng 6/2026; thường xuyên", recurrence="ongoing")
    mine, theirs = sorted(fanout.member_tasks(parent), key=lambda t: t.lead_agency.name != LEAD)
    period_reports.generate(world["coord"], through=date(2026, 3, 31))
    assert [r.period for r in db.session.scalars(select(Task).where(Task.parent_id == theirs.id))] == ["2026-03"]
    frozen.moment = datetime(2026, 6, 1, 1, 0)  # (the decision the lead's share reports is of 20/05/2026)
    for _ in range(12):
        items = open_items(mine)
        if not items:
            break
        act(world, mine, items[0].step_id)
    assert mine.state == "done"
    done = agency_changes.merge_agency(None, OTHER, LEAD, clock.today(), "Nghị quyết số 1686/NQ-UBTVQH15",
                                       users="keep")
    db.session.expire_all()
    assert done.shares == 1 and db.session.get(Task, parent.id).state == "done"
    [report] = db.session.scalars(select(Task).where(Task.parent_id == theirs.id))
    assert (report.kind, report.lead_agency.name) == ("withdrawn", OTHER) and not open_items(report)
    assert {n.user.username for n in db.session.scalars(select(Notification).where(
        Notification.kind == "changed", Notification.task_id == theirs.id))} == {"x_head"}


def test_a_withdrawn_group_s_page_counts_the_shares_withdrawn_with_it_and_their_reports_stop(world, frozen, pair):
    from workflows.reporting import week_pack
    from workflows.tasks import period_reports

    parent = assign(world, "Hai sở thử nghiệm", collaborating_agencies=[], due=None, deadline_text="Thường xuyên",
                    recurrence="ongoing")
    mine, theirs = sorted(fanout.member_tasks(parent), key=lambda t: t.lead_agency.name != LEAD)
    period_reports.generate(world["coord"], through=date(2026, 3, 31))
    fanout.remove_member(world["coord"], parent.id, theirs.id, "Đơn vị sáp nhập")  # taken back before
    fanout.withdraw(world["coord"], parent.id, "Theo Công văn 200/CV-UBND")
    db.session.expire_all()
    parent = db.session.get(Task, parent.id)
    assert [t.id for t in fanout.member_tasks(parent)] == [mine.id]  # not the share taken back before
    assert (fanout.progress(parent).done, fanout.progress(parent).total) == (0, 1)
    assert {r.kind for r in db.session.scalars(select(Task).where(Task.kind.in_(("period_report", "withdrawn")),
                                                                  Task.parent_id.in_([mine.id, theirs.id])))} \
        == {"withdrawn"}
    frozen.moment = datetime(2026, 4, 10, 1, 0)  # the March reports of the shares would be owed now
    pack = week_pack.week_pack(world["coord"], date(2026, 4, 6))
    assert not [t for t in pack.reports_owed if t.parent_id in (mine.id, theirs.id)]


def test_the_communes_page_lists_its_members_a_page_at_a_time_and_finds_one_by_name(world, communes, browser):
    """166 communes were one table of 166 rows, each with its own withdrawal form, and 166 more under "đã hoàn
    thành": the page is paged like every list, and a commune is found by name without its accents."""
    parent = assign(world, COMMUNES, due=date(2099, 6, 30))
    shares = fanout.member_tasks(parent)
    # sixty communes have finished (their own cycle is run by the tests above; here only the count matters)
    db.session.execute(update(Task).where(Task.id.in_([t.id for t in shares[:60]]))
                       .values(state="done", completed_on=date(2026, 5, 4)))
    db.session.commit()
    browser.login("coord")

    def rows(html: str, section: str) -> list[str]:  # the communes in the first table after ``section``
        start = html.index(section)
        return re.findall(r'<td data-label="Đơn vị">([^<]+)<', html[start:html.index("</table>", start)])

    first = browser.client.get(f"/tasks/{parent.id}").get_data(as_text=True)
    assert "60/166 đơn vị đã hoàn thành" in first and "Đơn vị chưa hoàn thành (106)" in first
    assert rows(first, 'id="members-title"') == communes[60:110]  # fifty, in order
    assert "Trang 1/3 (106 mục)" in first and f'href="/tasks/{parent.id}?page=2#members"' in first
    assert "Đơn vị đã hoàn thành (60)" in first and "Trang 1/2 (60 mục)" in first
    assert f'href="/tasks/{parent.id}?done_page=2#members-done"' in first
    last = browser.client.get(f"/tasks/{parent.id}?page=9").get_data(as_text=True)  # a page past the end: the last
    assert "Trang 3/3 (106 mục)" in last and rows(last, 'id="members-title"') == communes[160:]
    # the address's arguments named as url_for's own made other links, or a 500 (a security review)
    odd = browser.client.get(f"/tasks/{parent.id}?_external=1&_scheme=https&endpoint=x&_method=POST")
    assert odd.status_code == 200 and f'href="/tasks/{parent.id}?page=2#members"' in odd.get_data(as_text=True)
    done = browser.client.get(f"/tasks/{parent.id}?page=2&done_page=2").get_data(as_text=True)
    assert rows(done, 'id="members-title"') == communes[110:160]
    assert rows(done, 'id="members-done"') == communes[50:60] and '<details id="members-done" open>' in done

    # a withdrawal refused on page 2 comes back to page 2, its form open and saying why (review: it came back to
    # page 1, where that form is not)
    share = next(t for t in shares if t.lead_agency.name == communes[120])
    second = browser.client.get(f"/tasks/{parent.id}?page=2").get_data(as_text=True)
    assert f'action="/tasks/{parent.id}/members/{share.id}/withdraw?page=2"' in second
    refused = browser.client.post(f"/tasks/{parent.id}/members/{share.id}/withdraw?page=2",
                                  data={"csrf_token": csrf_from(second), "reason": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Trang 2/3 (106 mục)" in html
    assert f'aria-invalid="true" aria-describedby="reason-{share.id}-reason-error"' in html

    found = browser.client.get(f"/tasks/{parent.id}?q=xa so 142").get_data(as_text=True)
    assert "1/166 đơn vị khớp “xa so 142”." in found and rows(found, 'id="members-title"') == ["UBND xã Số 142"]
    assert "Đơn vị đã hoàn thành khớp tìm kiếm" not in found and "Xem tất cả đơn vị" in found
    early = browser.client.get(f"/tasks/{parent.id}?q=Số 00").get_data(as_text=True)
    assert "Không có đơn vị chưa hoàn thành nào khớp “Số 00”" in early
    assert "Đơn vị đã hoàn thành khớp tìm kiếm (9/60)" in early
    assert rows(early, 'id="members-done"') == communes[:9]
