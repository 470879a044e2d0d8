"""Use cases on a real database: creating, claiming, completing, returning, refusing."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from models import Agency, AuditEvent, Directive, ProcessInstance, Task, WorkItem, db
from tests.conftest import AUTHORITY, COLLAB_A, COLLAB_B, LEAD, SCIENCE, act, item_at, new_task, open_items
from workflows.errors import Conflict, Invalid, NotAllowed
from workflows.process import engine, runtime
from workflows.tasks import create, work


def snapshot(task: Task):
    """Everything a completion may change: engine state, work items, audit, cached step."""
    db.session.expire_all()
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.task_id == task.id))
    items = [(i.id, i.status, i.claimed_by_id, i.decision) for i in db.session.scalars(
        select(WorkItem).where(WorkItem.task_id == task.id).order_by(WorkItem.id))]
    audit = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.task_id == task.id))
    t = db.session.get(Task, task.id)
    return instance.version, instance.state, items, audit, t.current_step


def test_creating_a_task_starts_its_process_at_the_lead_agency_head(world):
    task = new_task(world)
    assert task.code == f"NV-{task.id:05d}"
    [item] = open_items(task)
    assert (item.step_id, item.role, item.agency.name) == ("assign", "agency_head", LEAD)
    assert task.current_step == "Phân công chuyên viên"
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.task_id == task.id))
    assert instance.process_model.process_id == "approval_cycle"
    assert instance.serializer_version == engine.SERIALIZER_VERSION
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.task_id == task.id))
    assert (event.action, event.actor.username, event.to_step) == ("create", "coord", "Phân công chuyên viên")


def test_report_outputs_run_the_report_cycle(world):
    task = new_task(world, output_type="report", collaborators=())
    [item] = open_items(task)
    assert (item.step_id, item.role, item.agency.name) == ("draft", "officer", LEAD)


def test_only_coordinators_create_tasks_and_input_is_checked(world):
    with pytest.raises(NotAllowed):
        new_task({**world, "coord": world["officer"]})
    with pytest.raises(Invalid) as exc:
        create.create_task(world["coord"], title=" ", lead_agency="Sở Không Có", output_type="x",
                          collaborating_agencies=["Sở Ma"])
    assert set(exc.value.fields) == {"title", "lead_agency", "output_type", "collaborating_agencies", "due_date"}
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0


def test_assignment_routes_the_drafting_to_the_chosen_officer(world):
    task = new_task(world)
    act(world, task, "assign", data={"assignee": "officer2"})
    draft = item_at(task, "draft")
    assert draft.claimed_by.username == "officer2"
    # the other officer of the same agency cannot take it
    with pytest.raises(NotAllowed, match="đang do Ông/Bà officer2 xử lý"):
        work.complete(draft.id, world["officer"], "submit")


def test_assignee_must_be_an_officer_of_the_agency(world):
    task = new_task(world)
    before = snapshot(task)
    with pytest.raises(Invalid) as exc:
        act(world, task, "assign", data={"assignee": "collab_a"})
    assert "assignee" in exc.value.fields
    assert snapshot(task) == before


def test_full_cycle_with_opinions_appraisal_approval_and_confirmation(world):
    task = new_task(world)
    act(world, task, "assign")
    act(world, task, "draft")
    opinions = [i for i in open_items(task) if i.step_id == "give_opinion"]
    assert sorted(i.agency.name for i in opinions) == [COLLAB_A, COLLAB_B]
    assert task.current_holder == f"{COLLAB_A}; {COLLAB_B}" or task.current_holder == f"{COLLAB_B}; {COLLAB_A}"
    act(world, task, "give_opinion")
    act(world, task, "give_opinion")
    signing = [i for i in open_items(task) if i.step_id == "sign_opinion"]  # each head signs its agency's opinion
    assert sorted((i.agency.name, i.role) for i in signing) == [(COLLAB_A, "agency_head"), (COLLAB_B, "agency_head")]
    act(world, task, "sign_opinion")
    act(world, task, "sign_opinion")
    for step in ("finalise", "signoff", "appraise", "approve", "report", "confirm"):
        act(world, task, step)
    db.session.refresh(task)
    assert task.state == "done" and task.current_step is None and task.completed_on is not None
    assert open_items(task) == []
    actions = [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.task_id == task.id).order_by(AuditEvent.id))]
    assert actions == ["create", "submit", "submit", "submit", "submit", "approve", "approve", "submit", "approve",
                       "approve", "approve", "submit", "approve"]
    assert db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first().to_step == "Hoàn thành"


def test_return_needs_a_reason_and_changes_nothing_without_one(world):
    task = new_task(world)
    for step in ("assign", "draft", "give_opinion", "give_opinion", "sign_opinion", "sign_opinion", "finalise"):
        act(world, task, step)
    before = snapshot(task)
    for reason in ("", "   ", None):
        with pytest.raises(Invalid) as exc:
            work.complete(item_at(task, "signoff").id, world["head"], "return", reason)
        assert exc.value.fields == {"comment": "Khi trả lại, vui lòng ghi rõ lý do."}
    assert snapshot(task) == before
    act(world, task, "signoff", "return", "Thiếu phần kinh phí.")
    assert [i.step_id for i in open_items(task)] == ["finalise"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "return")).one()
    assert (event.from_step, event.to_step, event.comment) == (
        "Lãnh đạo đơn vị ký duyệt", "Hoàn thiện dự thảo", "Thiếu phần kinh phí.")


@pytest.mark.parametrize(("issued", "typed", "refusal", "accepted"), [
    (None, "2030-01-01", "Ngày ban hành không thể sau hôm nay (01/03/2026).", "2026-03-01"),
    # a decision "issued" on 01/01/2020 for a task a document of 15/02/2026 gave was taken
    (date(2026, 2, 15), "2020-01-01", "Ngày ban hành không thể trước ngày văn bản giao nhiệm vụ (15/02/2026).",
     "2026-02-15"),
], ids=["after-today", "before-the-document"])
def test_an_issue_date_lies_between_the_document_that_gave_the_task_and_today(world, frozen, issued, typed, refusal,
                                                                            accepted):
    """“Ngày ban hành” is declared ``past`` in the BPMN: a typo like 2030 is refused, today is fine; nor may it
    come before the document that gave the task, that day is fine."""
    task = new_task(world, collaborators=())
    if issued:
        task.directive = Directive(number="15/KH-UBND", issued_on=issued)
        db.session.commit()
    for step in ("assign", "draft", "finalise", "signoff", "appraise", "approve"):
        act(world, task, step)
    report = item_at(task, "report")
    with pytest.raises(Invalid) as exc:
        work.complete(report.id, world["officer"], "submit", None,
                      {"decision_number": "12/QĐ-UBND", "decision_date": typed})
    assert exc.value.fields == {"decision_date": refusal}
    assert item_at(task, "report").status == "open"
    work.complete(report.id, world["officer"], "submit", None,
                  {"decision_number": "12/QĐ-UBND", "decision_date": accepted})
    assert [i.step_id for i in open_items(task)] == ["confirm"]


def test_a_returned_file_goes_back_to_whoever_did_that_step(world):
    """A report has no assignment step: its draft waits in the agency's queue. Returned, it goes straight back
    to the officer who drafted it, not to the queue where any colleague may pick it up."""
    task = new_task(world, output_type="report", collaborators=())
    act(world, task, "draft", user="officer2")
    act(world, task, "signoff", "return", "Bổ sung số liệu quý III.")
    [again] = [i for i in open_items(task) if i.step_id == "draft"]
    assert again.claimed_by.username == "officer2"
    other = new_task(world, output_type="report", collaborators=(), title="Báo cáo tháng")
    act(world, other, "draft", user="officer2")
    world["officer2"].active = False  # left the agency meanwhile: the return goes to the queue
    db.session.commit()
    act(world, other, "signoff", "return", "Thiếu chữ ký.")
    assert [i for i in open_items(other) if i.step_id == "draft"][0].claimed_by is None


def test_unknown_decision_done_item_and_other_agency_are_refused(world):
    task = new_task(world)
    item = item_at(task, "assign")
    before = snapshot(task)
    with pytest.raises(Invalid):
        work.complete(item.id, world["head"], "approve")  # assign only offers "submit"
    with pytest.raises(NotAllowed):
        work.complete(item.id, world["x_head"], "submit")
    with pytest.raises(NotAllowed):
        work.complete(item.id, world["officer"], "submit")
    assert snapshot(task) == before
    act(world, task, "assign")
    with pytest.raises(Conflict, match="^Bạn đã xử lý việc này lúc .*; lần gửi này không được ghi thêm"):
        work.complete(item.id, world["head"], "submit")  # the same form sent twice: not "someone else"
    with pytest.raises(Conflict, match="^Việc này đã được Ông/Bà head xử lý lúc"):
        work.complete(item.id, world["officer"], "submit")


def test_form_data_is_whitelisted_and_deep_copied(world):
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    act(world, task, "draft", data={"note": "Bản 1", "needs_appraisal": False, "typename": "x",
                                    "lead_agency": "Sở Y tế"})
    act(world, task, "finalise")
    act(world, task, "signoff")
    # The attempt to skip appraisal and to move the task to another agency had no effect.
    item = item_at(task, "appraise")
    assert item.agency.name == "Sở Tư pháp"
    instance = item.instance
    data = engine.result_data(runtime.load(instance).workflow)
    assert data == {}  # the process is still running: nothing merged into the workflow yet
    wf = runtime.load(instance).workflow
    step = engine.step(wf, item.engine_task_id)
    assert step.agency == "Sở Tư pháp"
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.from_step == "Xây dựng dự thảo"))
    assert event.data == {"note": "Bản 1"}


def test_claim_and_release(world):
    task = new_task(world, output_type="report", collaborators=())
    item = item_at(task, "draft")
    work.claim(item.id, world["officer"])
    assert task.current_holder == "Ông/Bà officer"
    with pytest.raises(NotAllowed):
        work.claim(item.id, world["officer2"])
    with pytest.raises(NotAllowed):
        work.release(item.id, world["officer2"])
    work.release(item.id, world["officer"])
    assert item.claimed_by_id is None and task.current_holder == LEAD
    with pytest.raises(NotAllowed):
        work.claim(item.id, world["x_officer"])


def test_no_appraisal_for_submissions(world):
    task = new_task(world, output_type="submission", collaborators=())
    for step in ("assign", "draft", "finalise", "signoff"):
        act(world, task, step)
    assert [i.step_id for i in open_items(task)] == ["approve"]


def test_it_projects_are_appraised_by_the_science_department(world):
    task = new_task(world, output_type="project", collaborators=())
    for step in ("assign", "draft", "finalise", "signoff"):
        act(world, task, step)
    assert item_at(task, "appraise").agency.name == SCIENCE


def test_an_agency_the_process_needs_missing_from_the_registry_is_refused_at_creation(world, app):
    """The route names a body the registry lacks: the task is refused when it is created, on the field that
    chose the route — not accepted and stopped one step before the body is needed (issue 14, defect 2)."""
    app.config["COORDINATING_AGENCY"] = "Văn phòng Tỉnh ủy"
    try:
        with pytest.raises(Invalid) as refused:
            new_task(world, output_type="report", collaborators=())
        assert "Văn phòng Tỉnh ủy" in refused.value.fields["output_type"]
        assert "chưa có trong danh mục" in refused.value.fields["output_type"]
        assert db.session.scalar(select(func.count()).select_from(Task)) == 0
    finally:
        app.config["COORDINATING_AGENCY"] = SCIENCE
    db.session.scalar(select(Agency).where(Agency.name == AUTHORITY)).name = "UBND tỉnh Thanh Hóa"
    db.session.commit()
    with pytest.raises(Invalid) as refused:  # a plan is approved by "UBND tỉnh", no longer in the registry
        new_task(world, output_type="plan")
    assert "UBND tỉnh" in refused.value.fields["output_type"]


def test_due_date_is_kept_on_the_work_items(world):
    task = new_task(world, due=date(2026, 4, 15))
    assert item_at(task, "assign").due_at.date() == date(2026, 4, 15)


def test_each_step_shows_what_the_step_before_wrote_for_it(world, browser):
    """The officer read the head's instructions, the collaborators' opinions and the decision's number only in the
    history at the bottom of the page; each now stands at the top of the step that needs it."""
    task = new_task(world)

    def said(user: str) -> str:
        """The "Bước trước đã ghi" box of ``user``'s work item on the task page ("" when there is none)."""
        browser.login(user)
        page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
        card = page[page.index("Việc của bạn:"):]
        card = card[:card.index("</section>")]
        return card[card.index('class="handed-over"'):card.index("</ul>")] if 'class="handed-over"' in card else ""

    act(world, task, "assign", data={"assignee": "officer", "instructions": "Bám sát Kế hoạch 266-KH/TU;\n"
                                                                             "xin ý kiến Sở Tài chính trước."})
    box = said("officer")
    assert "Phân công" in box and "Bám sát Kế hoạch 266-KH/TU;\nxin ý kiến Sở Tài chính trước." in box
    act(world, task, "draft")
    act(world, task, "give_opinion", data={"opinion_text": "Đề nghị bổ sung lộ trình."})
    act(world, task, "give_opinion", data={"opinion_text": "Nhất trí, không bổ sung."})
    # each collaborator's head reads what his own officer wrote before signing it, not the other agency's
    heads = [said("collab_a_head"), said("collab_b_head")]
    assert sorted(("Đề nghị bổ sung lộ trình." in box, "Nhất trí, không bổ sung." in box) for box in heads) == [
        (False, True), (True, False)]
    act(world, task, "sign_opinion")
    act(world, task, "sign_opinion")
    box = said("officer")  # at "Hoàn thiện dự thảo": both opinions of the round, not the assignment
    assert "Đề nghị bổ sung lộ trình." in box and "Nhất trí, không bổ sung." in box and "Bám sát" not in box
    act(world, task, "finalise")
    act(world, task, "signoff", "return", "Thiếu phần kinh phí.")
    assert said("officer") == ""  # a return: its banner says why
    for step in ("finalise", "signoff", "appraise", "approve"):
        act(world, task, step)
    act(world, task, "report", comment="Kèm QĐ phê duyệt.",
        data={"decision_number": "1234/QĐ-UBND", "decision_date": "2026-05-20"})
    box = said("coord")  # at "Xác nhận hoàn thành"
    assert "1234/QĐ-UBND" in box and "20/05/2026" in box
    # the note is named as such after the values ("Ngày ban hành: 20/05/2026 Kèm QĐ phê duyệt." read as one)
    assert '20/05/2026; Ghi chú: <span class="prewrap">Kèm QĐ phê duyệt.</span>' in box


def test_each_head_signs_his_own_agencys_letter_and_the_lead_reads_every_one(world, browser):
    """Two collaborators each attach an opinion letter (the same field): a head's "Hồ sơ trình" lists the draft and
    his own officer's letter, not the other agency's; the lead's officer has both letters at hand, not only the
    last one filed."""
    import io

    from werkzeug.datastructures import FileStorage

    task = new_task(world)
    act(world, task, "assign")
    act(world, task, "draft")
    for username in ("collab_a", "collab_b"):
        item = next(i for i in open_items(task) if i.step_id == "give_opinion"
                    and i.agency.name == {"collab_a": COLLAB_A, "collab_b": COLLAB_B}[username])
        letter = FileStorage(io.BytesIO(f"Văn bản góp ý của {username}".encode()), filename=f"gop-y-{username}.txt")
        work.complete(item.id, world[username], "submit", None, {"opinion_text": "Có ý kiến."},
                      {"opinion_file": letter})

    def files(username: str) -> str:
        browser.login(username)
        page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
        card = page[page.index("Việc của bạn:"):]
        return card[:card.index('class="form-actions"')]  # the card down to its buttons

    head_a = files("collab_a_head")
    assert "gop-y-collab_a.txt" in head_a and "gop-y-collab_b.txt" not in head_a
    for step in ("sign_opinion", "sign_opinion"):
        act(world, task, step)
    lead = files("officer")  # at "Hoàn thiện dự thảo"
    assert "gop-y-collab_a.txt" in lead and "gop-y-collab_b.txt" in lead


def test_the_flash_after_an_opinion_names_the_step_it_opened_and_what_the_round_still_waits_for(world, browser):
    """"Bước tiếp theo: Góp ý dự thảo, Lãnh đạo ký văn bản góp ý (Sở Xây dựng; Sở Tài chính)" named the other
    agency's work beside the step the opinion went to."""
    from tests.conftest import csrf_from

    task = new_task(world)
    act(world, task, "assign")
    act(world, task, "draft")

    def post(username: str, item: WorkItem, decision: str, **fields) -> str:
        browser.login(username)
        token = csrf_from(browser.client.get(f"/tasks/{task.id}").get_data(as_text=True))
        data = {f"wi{item.id}-csrf_token": token, "decision": decision,
                **{f"wi{item.id}-{k}": v for k, v in fields.items()}}
        return browser.client.post(f"/work-items/{item.id}/complete", data=data,
                                   follow_redirects=True).get_data(as_text=True)

    mine = next(i for i in open_items(task) if i.step_id == "give_opinion" and i.agency.name == COLLAB_A)
    done = post("collab_a", mine, "submit", opinion_text="Nhất trí.")
    assert f"Bước tiếp theo: Lãnh đạo ký văn bản góp ý ({COLLAB_A})." in done
    act(world, task, "give_opinion")  # the other collaborator's
    signing = next(i for i in open_items(task) if i.step_id == "sign_opinion" and i.agency.name == COLLAB_A)
    done = post("collab_a_head", signing, "approve")
    assert f"Còn chờ: Lãnh đạo ký văn bản góp ý ({COLLAB_B})." in done


def test_a_returned_opinion_comes_back_with_what_its_officer_wrote(world, browser):
    """After his head returned it, the officer's opinion form was blank: he copied his text back from the history.
    It starts from what he wrote, to be corrected; a first opinion starts blank."""
    task = new_task(world)
    act(world, task, "assign")
    act(world, task, "draft")
    browser.login("collab_a")
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Đề nghị bổ sung nguồn vốn" not in page
    act(world, task, "give_opinion", user="collab_a", data={"opinion_text": "Đề nghị bổ sung nguồn vốn."})
    signing = next(i for i in open_items(task) if i.step_id == "sign_opinion" and i.agency.name == COLLAB_A)
    work.complete(signing.id, world["collab_a_head"], "return", "Nêu rõ nguồn vốn nào.")
    [again] = [i for i in open_items(task) if i.step_id == "give_opinion" and i.agency.name == COLLAB_A]
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert re.search(rf'<textarea[^>]*name="wi{again.id}-opinion_text"[^>]*>\s*Đề nghị bổ sung nguồn vốn.</textarea>',
                     page)
