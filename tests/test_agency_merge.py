"""Agencies that merge (issue 18): the open work of the old agency follows its successor — tasks, work items, the
steps still to come — while finished tasks keep the old name; its people move, stay or are closed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models import Agency, AuditEvent, Notification, Task, User, db
from tests.conftest import LEAD, OTHER, act, csrf_from, item_at, new_task, open_items, user
from workflows import access
from workflows.errors import Invalid, NotFound
from workflows.tasks import agency_changes, create, reads, work

DOCUMENT = "Quyết định số 15/QĐ-UBND ngày 01/07/2026"


def finish(world, task: Task) -> None:
    for _ in range(20):
        items = open_items(task)
        if not items:
            return
        act(world, task, items[0].step_id)


@pytest.fixture
def at_draft(world):
    task = new_task(world, collaborators=())
    act(world, task, "assign")  # the head gives the draft to "officer" of the old agency
    return task


def test_a_merge_moves_the_open_work_and_the_old_officer_loses_it(world, at_draft):
    finished = new_task(world, collaborators=(), title="Nhiệm vụ đã xong trước khi sáp nhập")
    finish(world, finished)
    draft = item_at(at_draft, "draft")
    assert access.can_act(world["officer"], draft)
    done = agency_changes.merge_agency(None, LEAD, OTHER, date(2026, 7, 1), DOCUMENT, users="keep")
    assert (done.tasks, done.items, done.instances) == (1, 1, 1)
    db.session.expire_all()
    draft = item_at(at_draft, "draft")
    assert (draft.agency.name, draft.claimed_by) == (OTHER, None)  # back to the successor's queue
    assert at_draft.lead_agency.name == OTHER
    assert not access.can_act(user("officer"), draft)
    assert not [i for i in reads.inbox(user("officer")) if i.task_id == at_draft.id]
    assert [i.id for i in reads.inbox(user("x_officer")) if i.task_id == at_draft.id] == [draft.id]
    # the successor's officer drafts; the steps that come next are asked of the successor
    act(world, at_draft, "draft", user="x_officer")
    assert item_at(at_draft, "finalise").agency.name == OTHER
    act(world, at_draft, "finalise", user="x_officer")
    assert item_at(at_draft, "signoff").agency.name == OTHER
    # history is what it was: the finished task keeps the old agency, the move is on the task's history
    assert db.session.get(Task, finished.id).lead_agency.name == LEAD
    moved = db.session.scalars(select(AuditEvent).where(AuditEvent.task_id == at_draft.id,
                                                        AuditEvent.action == "agency_moved")).all()
    assert moved and all(DOCUMENT in e.comment for e in moved)
    old = db.session.scalar(select(Agency).where(Agency.name == LEAD))
    assert (old.active, old.end_kind, old.successor.name, old.ended_on) == (False, "merged", OTHER, date(2026, 7, 1))
    assert LEAD in old.successor.aliases


def test_the_old_agency_s_people_move_with_their_work(world, at_draft):
    agency_changes.merge_agency(None, LEAD, OTHER, date(2026, 7, 1), DOCUMENT, users="move")
    db.session.expire_all()
    officer = user("officer")
    draft = item_at(at_draft, "draft")
    assert officer.agency.name == OTHER and draft.claimed_by_id == officer.id
    assert access.can_act(officer, draft)


def test_an_import_naming_the_old_agency_finds_its_successor_and_says_so(province):
    from workflows.importing import pipeline

    agency_changes.merge_agency(None, "Sở Công Thương", "Sở Tài chính", date(2026, 7, 1), DOCUMENT)
    text = ("STT\tTên nhiệm vụ\tĐơn vị chủ trì\tThời hạn\n"
            "1\tXây dựng chương trình thúc đẩy tiêu dùng sản phẩm số\tSở Công Thương\t31/12/2027\n")
    batch = pipeline.preview(province["coord"], "danh-muc.txt", text.encode())
    [row] = batch.report["appendices"][0]["rows"]
    assert row["lead_agencies"] == ["Sở Tài chính"] and row["action"] == "new"
    assert ("Chủ trì: “Sở Công Thương” đã sáp nhập vào “Sở Tài chính” từ ngày 01/07/2026: giao cho Sở Tài chính."
            in row["warnings"])


def test_the_command_line_merges_and_refuses_what_cannot_be(app, world, at_draft):
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["merge-agency", "Sở Không Có", "--into", OTHER, "--on", "2026-07-01",
                                  "--document", DOCUMENT])
    assert unknown.exit_code != 0 and "Không tìm thấy đơn vị “Sở Không Có”" in unknown.output
    itself = runner.invoke(args=["merge-agency", LEAD, "--into", LEAD, "--on", "2026-07-01", "--document", DOCUMENT])
    assert itself.exit_code != 0 and "chính nó" in itself.output
    merged = runner.invoke(args=["merge-agency", LEAD, "--into", OTHER, "--on", "2026-07-01", "--document", DOCUMENT])
    assert merged.exit_code == 0, merged.output
    assert f"Đã sáp nhập “{LEAD}” vào “{OTHER}”: 1 nhiệm vụ chủ trì" in merged.output
    again = runner.invoke(args=["merge-agency", LEAD, "--into", OTHER, "--on", "2026-07-01", "--document", DOCUMENT])
    assert again.exit_code != 0 and "đã ngừng hoạt động" in again.output


def test_a_merge_needs_its_document_and_an_administrator(world):
    with pytest.raises(Invalid):
        agency_changes.merge_agency(None, LEAD, OTHER, date(2026, 7, 1), "  ")
    with pytest.raises(NotFound):
        agency_changes.merge_agency(None, LEAD, "Sở Không Có", date(2026, 7, 1), DOCUMENT)
    from workflows.errors import NotAllowed
    with pytest.raises(NotAllowed):
        agency_changes.merge_agency(world["coord"], LEAD, OTHER, date(2026, 7, 1), DOCUMENT)
    # a day still ahead: the work moved at once while every page said the agency worked until then
    with pytest.raises(Invalid) as caught:
        agency_changes.merge_agency(None, LEAD, OTHER, date(2099, 1, 1), DOCUMENT)
    assert "Ngày 01/01/2099 chưa đến" in str(caught.value.fields["on"])
    with pytest.raises(Invalid):
        agency_changes.end_agency(None, LEAD, "split", date(2099, 1, 1), DOCUMENT)
    assert db.session.scalar(select(Agency).where(Agency.name == LEAD)).active


def test_a_split_agency_s_tasks_wait_for_the_coordinator_s_choice(world, at_draft, browser):
    waiting = agency_changes.end_agency(None, LEAD, "split", date(2026, 7, 1), DOCUMENT)
    assert waiting == 1
    browser.login("coord")
    dashboard = browser.client.get("/dashboard").get_data(as_text=True)
    assert "1 nhiệm vụ của đơn vị đã chia tách, giải thể đang chờ giao lại." in dashboard
    page = browser.client.get("/tasks/waiting-reassignment").get_data(as_text=True)
    assert at_draft.code in page and DOCUMENT in page
    csrf = browser.csrf("/tasks/waiting-reassignment")
    moved = browser.client.post(f"/tasks/{at_draft.id}/reassign-agency", data={"csrf_token": csrf, "agency": OTHER},
                                follow_redirects=True).get_data(as_text=True)
    assert f"Đã giao lại {at_draft.code} cho {OTHER}." in moved and "Không có nhiệm vụ nào chờ giao lại" in moved
    db.session.expire_all()
    assert at_draft.lead_agency.name == OTHER and item_at(at_draft, "draft").agency.name == OTHER
    act(world, at_draft, "draft", user="x_officer")
    assert item_at(at_draft, "finalise").agency.name == OTHER  # the steps to come follow the choice
    history = db.session.scalars(select(AuditEvent).where(AuditEvent.task_id == at_draft.id,
                                                          AuditEvent.action == "agency_moved")).all()
    assert history and all("chia tách" in e.comment for e in history)


def test_an_agency_merged_into_its_own_collaborator_gives_itself_no_opinion(world):
    """The lead merged into a collaborator: the successor leads and is no collaborator of its own task (the page
    read "Chủ trì Sở Tài chính · Phối hợp Sở Tài chính"), and the opinion round to come asks only the others."""
    from tests.conftest import COLLAB_A, COLLAB_B
    task = new_task(world)  # led by LEAD, COLLAB_A and COLLAB_B give opinions
    act(world, task, "assign")
    agency_changes.merge_agency(None, LEAD, COLLAB_A, date(2026, 7, 1), DOCUMENT, users="keep")
    db.session.expire_all()
    assert task.lead_agency.name == COLLAB_A
    assert [a.name for a in task.collaborating_agencies] == [COLLAB_B]
    act(world, task, "draft", user="collab_a")  # the successor's officer drafts
    assert sorted(i.agency.name for i in open_items(task) if i.step_id == "give_opinion") == [COLLAB_B]


def test_the_agency_page_closes_no_agency_with_open_work_and_reopens_no_merged_one(world, at_draft, browser):
    """"Ngừng hoạt động" on an agency whose people had been moved left its open draft where nobody saw it (still
    counted overdue); "Mở lại" on a merged agency made two agencies answer to one name."""
    lead = db.session.scalar(select(Agency).where(Agency.name == LEAD))
    for person in db.session.scalars(select(User).where(User.agency_id == lead.id)):
        person.active = False
    db.session.commit()
    browser.login("admin")
    csrf = browser.csrf("/admin/agencies")
    r = browser.client.post(f"/admin/agencies/{lead.id}/active", data={"csrf_token": csrf, "active": "0"},
                            follow_redirects=True)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Dữ liệu đã thay đổi" not in page
    assert (f"Đơn vị “{LEAD}” còn 1 nhiệm vụ đang thực hiện và 1 việc đang chờ xử lý: hãy dùng “Sáp nhập, chia "
            "tách” để chuyển chúng cho đơn vị khác trước khi ngừng hoạt động.") in page
    assert db.session.get(Agency, lead.id).active
    agency_changes.merge_agency(None, LEAD, OTHER, date(2026, 7, 1), DOCUMENT, users="keep")
    page = browser.client.get(f"/admin/agencies?q={LEAD}").get_data(as_text=True)
    assert f"Đã sáp nhập vào {OTHER} từ 01/07/2026" in page and "Mở lại" not in page
    r = browser.client.post(f"/admin/agencies/{lead.id}/active", data={"csrf_token": csrf, "active": "1"},
                            follow_redirects=True)
    assert (f"Đơn vị “{LEAD}” đã sáp nhập vào “{OTHER}” từ 01/07/2026 theo {DOCUMENT}: không mở lại được."
            in r.get_data(as_text=True))
    assert not db.session.get(Agency, lead.id).active


def test_the_administrator_merges_an_agency_on_its_page(world, at_draft, browser):
    """A merge was a command only: the agency page, which refuses to close an agency with work, offers it."""
    lead = db.session.scalar(select(Agency).where(Agency.name == LEAD))
    browser.login("admin")
    listing = browser.client.get(f"/admin/agencies?q={LEAD}").get_data(as_text=True)
    assert f'href="/admin/agencies/{lead.id}/end"' in listing
    page = browser.client.get(f"/admin/agencies/{lead.id}/end").get_data(as_text=True)
    assert f"{LEAD} đang chủ trì hoặc phối hợp 1 nhiệm vụ chưa hoàn thành và có 1 việc đang chờ xử lý." in page
    csrf = csrf_from(page)
    form = {"csrf_token": csrf, "how": "merged", "successor": "", "on": "01/07/2026", "document": "", "users": "move"}
    refused = browser.client.post(f"/admin/agencies/{lead.id}/end", data=form)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Vui lòng ghi văn bản quyết định (số, ngày)." in text
    refused = browser.client.post(f"/admin/agencies/{lead.id}/end", data={**form, "document": DOCUMENT})
    assert refused.status_code == 422 and "Chọn đơn vị tiếp nhận công việc." in refused.get_data(as_text=True)
    refused = browser.client.post(f"/admin/agencies/{lead.id}/end", data={  # not in the list: at the field, not a 404
        **form, "document": DOCUMENT, "successor": "Sở Không Có"})
    assert refused.status_code == 422 and "Chọn đơn vị tiếp nhận công việc." in refused.get_data(as_text=True)
    refused = browser.client.post(f"/admin/agencies/{lead.id}/end", data={**form, "how": "split", "document": DOCUMENT})
    assert "Chia tách, giải thể không có một đơn vị tiếp nhận" in refused.get_data(as_text=True)
    refused = browser.client.post(f"/admin/agencies/{lead.id}/end", data={
        **form, "successor": OTHER, "document": DOCUMENT, "on": "01/01/2099"})
    assert refused.status_code == 422 and "Ngày 01/01/2099 chưa đến" in refused.get_data(as_text=True)
    # it cannot be undone: the first press says what it will do, and does nothing yet (an outside check: one click
    # merged a department)
    filled = {**form, "successor": OTHER, "document": DOCUMENT}
    asked = browser.client.post(f"/admin/agencies/{lead.id}/end", data=filled)
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert f"Sáp nhập {LEAD} vào {OTHER} từ ngày 01/07/2026 ({DOCUMENT})." in text
    assert f"1 nhiệm vụ chưa hoàn thành và 1 việc đang chờ chuyển ngay sang {OTHER}." in text
    assert "Việc này không hoàn tác được." in text and "Xác nhận sáp nhập" in text
    db.session.expire_all()
    assert db.session.get(Agency, lead.id).active and at_draft.lead_agency.name == LEAD
    # "Sửa lại" gives the form back as it was filled
    edit = browser.client.post(f"/admin/agencies/{lead.id}/end", data={**filled, "step": "edit"}).get_data(as_text=True)
    assert f'value="{DOCUMENT}"' in edit and "Xác nhận sáp nhập" not in edit
    done = browser.client.post(f"/admin/agencies/{lead.id}/end", data={**filled, "step": "confirm"},
                               follow_redirects=True)
    text = done.get_data(as_text=True)
    assert (f"Đã sáp nhập {LEAD} vào {OTHER}: 1 nhiệm vụ chủ trì, 0 nhiệm vụ phối hợp, 1 việc đang mở đã chuyển "
            "sang.") in text
    db.session.expire_all()
    assert at_draft.lead_agency.name == OTHER and user("officer").agency.name == OTHER  # people moved too


def test_a_collaborator_merged_while_its_head_signs_gets_its_opinion_back_as_the_successor(world):
    """A collaborator merged between its officer's opinion and its head's signature: the successor's head signs,
    and an opinion he returns goes to the successor's officers, not to the agency that is gone."""
    from tests.conftest import COLLAB_B
    task = new_task(world)
    for step in ("assign", "draft", "give_opinion", "give_opinion"):
        act(world, task, step)
    agency_changes.merge_agency(None, COLLAB_B, OTHER, date(2026, 7, 1), DOCUMENT, users="keep")
    db.session.expire_all()
    signing = next(i for i in open_items(task) if i.step_id == "sign_opinion" and i.agency.name == OTHER)
    # the successor's head is told the item now waits for him, and why
    told = db.session.scalars(select(Notification).where(Notification.user_id == user("x_head").id)).all()
    assert [(n.title, n.task_id) for n in told] == [
        (f"Việc chuyển đến: Lãnh đạo ký văn bản góp ý — {task.code} {task.title}", task.id)]
    assert "sáp nhập vào" in told[0].body and DOCUMENT in told[0].body
    work.complete(signing.id, user("x_head"), "return", "Đề nghị nêu rõ ý kiến về kinh phí.", {})
    again = item_at(task, "give_opinion")
    assert again.agency.name == OTHER
    work.complete(again.id, user("x_officer"), "submit", None, {"opinion_text": "Đề nghị bổ sung kinh phí."})
    assert [i.agency.name for i in open_items(task) if i.step_id == "sign_opinion"].count(OTHER) == 1


def test_the_opinions_of_a_merged_collaborator_reach_its_successors_head_and_the_lead(world, browser):
    """Merged between its officer's opinion and its head's signature (its people stay where they were): the
    successor's head reads that opinion — not the other collaborator's — and the lead's officer reads both once
    signed; the history still names the agency each was written for."""
    from tests.conftest import COLLAB_A, COLLAB_B
    task = new_task(world)
    act(world, task, "assign")
    act(world, task, "draft")
    act(world, task, "give_opinion", user="collab_a", data={"opinion_text": "Ý kiến Sở Tài chính về vốn."})
    act(world, task, "give_opinion", user="collab_b", data={"opinion_text": "Ý kiến Sở Xây dựng về mặt bằng."})
    agency_changes.merge_agency(None, COLLAB_B, OTHER, date(2026, 7, 1), DOCUMENT, users="keep")
    db.session.expire_all()

    def handed_over(username: str) -> str:
        browser.login(username)
        page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
        return page[page.index('class="handed-over"'):page.index("</ul>", page.index('class="handed-over"'))]

    box = handed_over("x_head")
    assert "mặt bằng" in box and "về vốn" not in box and f"({COLLAB_B})" in box
    signing = next(i for i in open_items(task) if i.step_id == "sign_opinion" and i.agency.name == OTHER)
    work.complete(signing.id, user("x_head"), "approve", None, {})
    act(world, task, "sign_opinion", user="collab_a_head")
    box = handed_over("officer")  # at "Hoàn thiện dự thảo"
    assert "về vốn" in box and "mặt bằng" in box and f"({COLLAB_A})" in box and f"({COLLAB_B})" in box


def test_a_moved_task_is_found_and_told_apart_by_the_lead_it_had(world, browser):
    """People remember a merged ward's task by the ward's name: the search finds the tasks that passed from it,
    not the successor's own, and the task page and the inbox say which agency the task was given to."""
    moved = new_task(world, collaborators=(), title="Kế hoạch phát triển du lịch biển")  # no word of LEAD's name
    act(world, moved, "assign")
    own = create.create_task(world["coord"], title="Nhiệm vụ riêng của đơn vị tiếp nhận", lead_agency=OTHER,
                             output_type="plan", collaborating_agencies=[], due_date=date(2026, 6, 30))
    agency_changes.merge_agency(None, LEAD, OTHER, date(2026, 7, 1), DOCUMENT, users="keep")
    db.session.expire_all()
    browser.login("coord")
    listing = browser.client.get("/tasks", query_string={"q": LEAD}).get_data(as_text=True)
    assert moved.code in listing and own.code not in listing
    assert f'{OTHER} <span class="small muted">(trước đây: {LEAD})</span>' in listing  # why it was found
    page = browser.client.get(f"/tasks/{moved.id}").get_data(as_text=True)
    assert f"{OTHER} <span class=\"muted\">(trước đây: {LEAD})</span>" in page
    browser.login("x_officer")
    inbox = browser.client.get("/inbox").get_data(as_text=True)
    assert f"Chủ trì: {OTHER} (trước đây: {LEAD})" in inbox


def test_two_collaborators_merged_into_one_are_told_apart_and_still_found(world, browser):
    """Both collaborators merged into one agency while their heads sign: its head holds two runs of the same step,
    each saying whose part it is — a return keeps saying so —, and the task is still found by either old name."""
    from tests.conftest import COLLAB_A, COLLAB_B
    task = new_task(world)
    control = new_task(world, collaborators=())
    act(world, task, "assign")
    act(world, task, "draft")
    act(world, task, "give_opinion", user="collab_a", data={"opinion_text": "Ý kiến Sở Tài chính về vốn."})
    act(world, task, "give_opinion", user="collab_b", data={"opinion_text": "Ý kiến Sở Xây dựng về mặt bằng."})
    for old in (COLLAB_A, COLLAB_B):
        agency_changes.merge_agency(None, old, OTHER, date(2026, 7, 1), DOCUMENT, users="keep")
    db.session.expire_all()
    signing = {i.on_behalf_of: i for i in open_items(task) if i.step_id == "sign_opinion"}
    assert set(signing) == {COLLAB_A, COLLAB_B} and {i.agency.name for i in signing.values()} == {OTHER}
    browser.login("x_head")
    inbox = browser.client.get("/inbox").get_data(as_text=True)
    for old in (COLLAB_A, COLLAB_B):
        assert f"phần việc của {old} (đã hợp nhất)" in inbox
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert f"Việc của bạn: Lãnh đạo ký văn bản góp ý <span class=\"small muted\">— phần việc của {COLLAB_A}" in page
    assert f"{OTHER} <span class=\"muted\">(trước đây: {COLLAB_A}, {COLLAB_B})</span>" in page
    for old, opinion, other in ((COLLAB_A, "về vốn", "mặt bằng"), (COLLAB_B, "mặt bằng", "về vốn")):
        card = page[page.index(f'id="wi{signing[old].id}"'):]
        card = card[:card.index("</section>")]
        assert opinion in card and other not in card  # the head signs what that agency's officer wrote

    work.complete(signing[COLLAB_A].id, user("x_head"), "return", "Đề nghị nêu rõ ý kiến về kinh phí.", {})
    again = item_at(task, "give_opinion")
    assert (again.agency.name, again.on_behalf_of) == (OTHER, COLLAB_A)

    browser.login("coord")
    listing = browser.client.get("/tasks", query_string={"q": COLLAB_A}).get_data(as_text=True)
    assert task.code in listing and control.code not in listing


def test_a_collaborator_merged_into_another_before_the_round_gives_one_opinion_of_its_own(world):
    """Sở Tài chính merged into Sở Xây dựng, both collaborators, before the opinions were asked: one opinion is
    asked of Sở Xây dựng — as its own, not labelled "phần việc của Sở Tài chính" (the merged entry was kept
    and the successor's own dropped)."""
    from tests.conftest import COLLAB_A, COLLAB_B
    task = new_task(world)
    act(world, task, "assign")
    agency_changes.merge_agency(None, COLLAB_A, COLLAB_B, date(2026, 7, 1), DOCUMENT, users="keep")
    db.session.expire_all()
    act(world, task, "draft")
    [opinion] = [i for i in open_items(task) if i.step_id == "give_opinion"]
    assert (opinion.agency.name, opinion.on_behalf_of) == (COLLAB_B, None)


def test_an_account_left_in_a_merged_agency_is_told_where_its_work_went(world, at_draft, browser):
    """Kept in its agency by "Giữ nguyên", an officer found an empty inbox and a bare "not your agency" on the task
    it had held, with no word of the merge: every page now says where the agency's work went and what to do."""
    agency_changes.merge_agency(None, LEAD, OTHER, date(2026, 7, 1), DOCUMENT, users="keep")
    browser.login("officer")
    page = browser.client.get("/inbox").get_data(as_text=True)
    assert (f"Đơn vị của bạn ({LEAD}) đã sáp nhập vào {OTHER} từ ngày 01/07/2026: việc của đơn vị đã chuyển sang "
            f"{OTHER}. Liên hệ quản trị viên để được chuyển tài khoản sang đơn vị mới.") in page
    browser.login("x_officer")
    assert "Đơn vị của bạn" not in browser.client.get("/inbox").get_data(as_text=True)
