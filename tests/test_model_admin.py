"""Process-model administration: validating and deploying an uploaded BPMN file, versions and their
use, and moving running instances to a new version in bulk (dry run, audit, the ones left behind)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from models import AuditEvent, ProcessInstance, ProcessModel, Task, WorkItem, db
from tests.conftest import PASSWORD, act, item_at, new_task, open_items
from workflows import clock
from workflows.errors import Invalid, NotAllowed
from workflows.process import catalog, deploy, diagram, engine
from workflows.tasks import migration

SOURCE = (catalog.BPMN_DIR / "approval_cycle.bpmn").read_text("utf-8")


def v2_source() -> str:
    """approval_cycle with the head's sign-off step under a new id (the old step is gone) and two
    harmless label changes elsewhere."""
    text = re.sub(r'(["> ])signoff(["<_.])', r"\1signoff_v2\2", SOURCE)
    text = text.replace('name="Hoàn thiện dự thảo"', 'name="Hoàn thiện dự thảo sau góp ý"')
    return text.replace('name="Phê duyệt"', 'name="Chủ tịch UBND tỉnh phê duyệt"')


def deploy_v2(world) -> ProcessModel:
    return deploy.deploy_upload(world["admin"], "approval_cycle.bpmn", v2_source().encode("utf-8"))


def errors_for(content: str | bytes, filename: str = "approval_cycle.bpmn", process_id: str | None = None):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return deploy.validate_upload(filename, data, process_id)


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize(("content", "filename", "expected"), [
    ("", "approval_cycle.bpmn", "Vui lòng chọn tệp BPMN"),
    (SOURCE, "quy_trinh.docx", "không phải tệp BPMN"),
    ("<definitions><process", "approval_cycle.bpmn", "không phải XML hợp lệ (dòng 1)"),
    ("Quy trình phê duyệt", "approval_cycle.bpmn",  # (said in Vietnamese first: an outside check read only English)
     "Tệp không phải XML hợp lệ (dòng 1): lỗi cú pháp ở cột 1 — tệp BPMN là XML do công cụ vẽ quy trình xuất ra "
     "(chi tiết kỹ thuật: Start tag expected, '<' not found)."),
    ("<html/>", "approval_cycle.bpmn", "không phải BPMN 2.0"),
    (SOURCE.replace('isExecutable="true"', 'isExecutable="false"'), "approval_cycle.bpmn",
     "không có quy trình nào được đánh dấu thực thi"),
    (SOURCE.replace('bpmn:process id="approval_cycle"', 'bpmn:process id="quy_trinh_moi"')
     .replace('processRef="approval_cycle"', 'processRef="quy_trinh_moi"'), "approval_cycle.bpmn",
     "Mã quy trình quy_trinh_moi chưa có trong hệ thống"),
    (SOURCE, "approval_cycle.bpmn", "giống hệt phiên bản hiện hành (phiên bản 1)"),
    (SOURCE.replace('<spiffworkflow:property name="role" value="approver"/>', ""), "approval_cycle.bpmn",
     "Bước “Phê duyệt” (approve) chưa khai báo vai trò"),
    (SOURCE.replace('value="approver"', 'value="chu_tich"'), "approval_cycle.bpmn",
     "Bước “Phê duyệt” (approve) có vai trò không hợp lệ “chu_tich”"),
    (SOURCE.replace('value="date|required|Ngày ban hành|past"', 'value="datetime|required|Ngày ban hành|past"'),
     "approval_cycle.bpmn", "trường “decision_date” có kiểu không hợp lệ “datetime”"),
    (re.sub(r'<bpmndi:BPMNShape id="[^"]*" bpmnElement="approve"[^>]*>.*?</bpmndi:BPMNShape>', "", SOURCE,
            flags=re.S), "approval_cycle.bpmn", "Thiếu tọa độ trên sơ đồ (bpmndi) cho: “Phê duyệt” (approve)"),
    (SOURCE.replace('default="f_collab_no"', 'default="khong_co"', 1), "approval_cycle.bpmn",
     "SpiffWorkflow không đọc được quy trình ở phần tử “f_collab_no”"),
    (SOURCE.replace('decision == "return"', 'decision ==== "return"', 1), "approval_cycle.bpmn",
     "Điều kiện của luồng “Trả lại” (f_opinion_return) không phải biểu thức Python hợp lệ"),
])
def test_bad_uploads_are_refused_with_a_vietnamese_reason(world, content, filename, expected):
    errors = errors_for(content, filename)
    assert any(expected in e for e in errors), errors
    with pytest.raises(Invalid) as caught:
        deploy.deploy_upload(world["admin"], filename, content.encode("utf-8") if content else b"")
    assert expected in caught.value.fields["file"]
    assert db.session.scalar(select(ProcessModel.version).where(
        ProcessModel.process_id == "approval_cycle").order_by(ProcessModel.version.desc()).limit(1)) == 1


# A DOCTYPE declares entities: a file of the server (XXE), or entities nested to expand a billion times.
EXTERNAL_ENTITY = '<!DOCTYPE bpmn:definitions [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
BILLION_LAUGHS = "<!DOCTYPE bpmn:definitions [<!ENTITY l0 \"ha\">" + "".join(
    f"<!ENTITY l{i} \"{('&l' + str(i - 1) + ';') * 10}\">" for i in range(1, 10)) + "]>"


def with_entities(doctype: str, reference: str) -> str:
    head, rest = SOURCE.split("\n", 1)
    return f"{head}\n{doctype}\n{rest}".replace('name="Phê duyệt"', f'name="Phê duyệt {reference}"')


@pytest.mark.parametrize("content", [with_entities(EXTERNAL_ENTITY, "&x;"), with_entities(BILLION_LAUGHS, "&l9;")])
def test_an_upload_with_a_doctype_is_refused_before_any_entity_is_read(world, content):
    errors = errors_for(content)
    assert errors == [engine.DOCTYPE_REFUSED]
    assert errors[0].startswith("Tệp có khai báo DOCTYPE (định nghĩa kiểu tài liệu, thực thể XML)")
    with pytest.raises(Invalid) as caught:
        deploy.deploy_upload(world["admin"], "approval_cycle.bpmn", content.encode("utf-8"))
    assert caught.value.fields["file"] == engine.DOCTYPE_REFUSED
    assert catalog.latest("approval_cycle").version == 1


def test_code_outside_the_sandbox_is_refused_on_the_upload_page(world, browser):
    browser.login("admin", PASSWORD)
    token = browser.csrf("/admin/models/approval_cycle")
    bad = SOURCE.replace("len(collaborators) &gt; 0", "__import__('os').system('id') == 0")
    page = browser.client.post("/admin/models/approval_cycle", data={
        "csrf_token": token, "file": (io.BytesIO(bad.encode()), "approval_cycle.bpmn")},
        content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 422, html
    assert "Điều kiện của luồng “Có” (f_collab_yes), dòng 1: không được dùng tên “__import__”" in html.replace(
        "&#34;", '"').replace("&#39;", "'")
    assert catalog.latest("approval_cycle").version == 1


def test_an_upload_must_replace_the_process_of_its_page(world):
    errors = errors_for(v2_source(), process_id="report_cycle")
    assert errors == ["Mã quy trình trong tệp (approval_cycle) khác với quy trình đang cập nhật (report_cycle)."]


def test_only_an_admin_deploys(world):
    with pytest.raises(NotAllowed):
        deploy.deploy_upload(world["coord"], "approval_cycle.bpmn", v2_source().encode("utf-8"))


# ---------------------------------------------------------------- deploying

def test_deploying_an_upload_makes_the_next_version_that_new_tasks_use(world):
    old = new_task(world, collaborators=())
    v2 = deploy_v2(world)
    assert (v2.version, v2.deployed_by, v2.filename) == (2, "admin", "approval_cycle.bpmn")
    # who deployed each version, as a person reads it (not a login name, nor the command of a start-up)
    assert deploy.deployers(deploy.process("approval_cycle").versions) == {"admin": "Ông/Bà admin",
                                                                         "system": "Hệ thống"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "deploy", AuditEvent.actor_id.is_not(None)))
    assert event.actor.username == "admin" and event.data["version"] == 2 and event.task_id is None

    new = new_task(world, collaborators=(), title="Nhiệm vụ giao sau khi triển khai phiên bản 2")
    for step in ("assign", "draft"):
        act(world, new, step)
    assert item_at(new, "finalise").step_name == "Hoàn thiện dự thảo sau góp ý"
    act(world, new, "finalise")
    assert [i.step_id for i in open_items(new)] == ["signoff_v2"]
    instances = {i.task_id: i.process_model.version for i in db.session.scalars(select(ProcessInstance))}
    assert instances == {old.id: 1, new.id: 2}

    rows = {r.process_id: r for r in deploy.versions()}
    counts = [(v.model.version, v.running, v.completed) for v in rows["approval_cycle"].versions]
    assert counts == [(2, 1, 0), (1, 1, 0)]
    # the unchanged file of the checkout does not take the uploaded version's place at the next start-up
    assert catalog.sync_directory() == []


def test_a_release_s_new_file_replacing_an_upload_is_recorded_and_init_db_warns(app, world, tmp_path):
    # a new release's changed file took the place of the administrator's version with no word anywhere
    deploy_v2(world)
    bpmn = tmp_path / "bpmn"
    bpmn.mkdir()
    (bpmn / "approval_cycle.bpmn").write_text(SOURCE.replace('name="Phê duyệt"', 'name="Phê duyệt (bản mới)"'))
    [v3] = catalog.sync_directory(bpmn, deployed_by="init-db")
    db.session.commit()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "deploy")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.actor is None and event.comment == ("Triển khai approval_cycle phiên bản 3 từ tệp approval_cycle.bpmn "
                                                     "của phiên bản ứng dụng (thay phiên bản 2 do admin tải lên)")
    assert [(used.version, replaced.version) for used, replaced in catalog.replaced_uploads()] == [(3, 2)]
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0
    assert ("CẢNH BÁO: approval_cycle dùng phiên bản 3 (tệp của phiên bản ứng dụng" in result.output
            and "thay phiên bản 2 do admin tải lên" in result.output)
    # the administrator uploads theirs again: nothing more to say
    deploy.deploy_upload(world["admin"], "approval_cycle.bpmn", v2_source().replace("góp ý", "góp ý.").encode())
    assert catalog.replaced_uploads() == []


# ---------------------------------------------------------------- bulk migration (acceptance)

STEP_USER = {"signoff_v2": "head"}


def drive_to_end(world, task: Task) -> None:
    for _ in range(20):
        items = open_items(task)
        if not items:
            return
        act(world, task, items[0].step_id, user=STEP_USER.get(items[0].step_id))
    raise AssertionError(f"{task.code} did not finish: {[i.step_id for i in open_items(task)]}")


def test_bulk_migration_moves_what_can_move_and_reports_the_rest(world):
    tasks = []
    for n in range(100):
        task = new_task(world, collaborators=(), title=f"Nhiệm vụ số {n + 1}")
        for step in ("assign", "draft", "finalise")[:n % 4]:
            act(world, task, step)
        tasks.append(task)
    at_signoff = {t.id for t in tasks if open_items(t)[0].step_id == "signoff"}
    assert len(at_signoff) == 25
    v1 = catalog.latest("approval_cycle")
    v2 = deploy_v2(world)
    admin = world["admin"]

    plan = migration.plan_migration(admin, v1, v2)
    assert len(plan.rows) == 100
    assert {r.instance.task_id for r in plan.blocked} == at_signoff
    blocked = plan.blocked[0]
    assert blocked.steps == "Lãnh đạo đơn vị ký duyệt"
    assert blocked.reasons == ("Đang chờ ở bước “Lãnh đạo đơn vị ký duyệt” (signoff) mà phiên bản mới không còn "
                               "(hoặc đã đổi mã, đổi loại).",)
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "migrate")) is None  # a dry run

    result = migration.migrate(admin, v1, v2)
    assert len(result.moved) == 75 and set(result.left) == {r.instance.id for r in plan.blocked}
    version_of = {i.task_id: i.process_model_id for i in db.session.scalars(select(ProcessInstance))}
    assert {t for t, m in version_of.items() if m == v1.id} == at_signoff
    audits = {e.task_id: e for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "migrate"))}
    assert set(audits) == {t.id for t in tasks} - at_signoff
    sample = audits[tasks[2].id]
    assert (sample.actor.username, sample.data["from_version"], sample.data["to_version"]) == ("admin", 1, 2)
    assert sample.from_step == "Hoàn thiện dự thảo" and sample.to_step == "Hoàn thiện dự thảo sau góp ý"
    # the open work items stayed (same ids, same holders); names follow the new version
    assert item_at(tasks[2], "finalise").step_name == "Hoàn thiện dự thảo sau góp ý"
    assert db.session.scalar(select(WorkItem.id).where(WorkItem.status == "cancelled")) is None

    driven = tasks  # all of them: the 75 moved finish on v2, the 25 left behind on v1
    for task in driven:
        drive_to_end(world, task)
        db.session.refresh(task)
        assert task.state == "done", task.code
    for task in driven:
        steps = list(db.session.scalars(select(WorkItem.step_id).where(
            WorkItem.task_id == task.id, WorkItem.status == "done").order_by(WorkItem.id)))
        if task.id in at_signoff:  # finished on v1, through its own sign-off step
            assert "signoff" in steps and "signoff_v2" not in steps
        else:
            assert steps[-5:] == ["signoff_v2", "appraise", "approve", "report", "confirm"]
            approve = db.session.scalar(select(WorkItem).where(WorkItem.task_id == task.id,
                                                               WorkItem.step_id == "approve"))
            assert approve.step_name == "Chủ tịch UBND tỉnh phê duyệt"
    # migrating again moves nothing: the ones left behind still cannot move
    again = migration.migrate(admin, v1, v2)
    assert again.moved == [] and again.left == {}  # all finished: nothing runs on v1 any more


def test_an_instance_that_passed_a_removed_step_stays(world):
    task = new_task(world, collaborators=())
    for step in ("assign", "draft", "finalise", "signoff"):
        act(world, task, step)
    v1 = catalog.latest("approval_cycle")
    v2 = deploy_v2(world)
    plan = migration.plan_migration(world["admin"], v1, v2)
    assert [r.reasons for r in plan.rows] == [
        ("Đã đi qua bước “Lãnh đạo đơn vị ký duyệt” (signoff) mà phiên bản mới đã bỏ.",)]
    with pytest.raises(NotAllowed):
        migration.plan_migration(world["coord"], v1, v2)
    with pytest.raises(NotAllowed):
        migration.migrate(world["coord"], v1, v2)


def test_an_instance_waiting_for_opinions_keeps_each_collaborator_item(world):
    task = new_task(world)
    for step in ("assign", "draft"):
        act(world, task, step)
    before = [(i.id, i.engine_task_id, i.agency.name) for i in open_items(task)]
    assert len(before) == 2
    v1 = catalog.latest("approval_cycle")
    v2 = deploy_v2(world)
    assert migration.migrate(world["admin"], v1, v2).moved
    assert [(i.id, i.engine_task_id, i.agency.name) for i in open_items(task)] == before
    drive_to_end(world, task)
    db.session.refresh(task)
    assert task.state == "done"


# ---------------------------------------------------------------- pages

def test_non_admins_get_403_on_every_model_page(world, browser):
    v1 = catalog.latest("approval_cycle")
    urls = ["/admin/models", "/admin/models/approval_cycle", f"/admin/models/versions/{v1.id}/diagram",
            f"/admin/models/versions/{v1.id}/migrate", f"/admin/models/versions/{v1.id}/file"]
    browser.login("coord", PASSWORD)
    for url in urls:
        assert browser.client.get(url).status_code == 403, url
    token = browser.csrf()
    for url in ["/admin/models/approval_cycle", f"/admin/models/versions/{v1.id}/migrate"]:
        assert browser.client.post(url, data={"csrf_token": token}).status_code == 403, url
    assert catalog.latest("approval_cycle").version == 1


def test_admin_deploys_and_migrates_through_the_pages(world, browser):
    task = new_task(world, collaborators=())
    browser.login("admin", PASSWORD)
    page = browser.client.get("/admin/models")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Quy trình xây dựng và phê duyệt sản phẩm" in html
    assert "Định tuyến theo loại sản phẩm (routing.dmn)" in html  # a decision table by its name too
    detail = browser.client.get("/admin/models/approval_cycle").get_data(as_text=True)
    assert "<svg" in detail and "Phiên bản 1" in detail

    token = browser.csrf("/admin/models/approval_cycle")
    bad = browser.client.post("/admin/models/approval_cycle", data={
        "csrf_token": token, "file": (io.BytesIO(b"<html/>"), "approval_cycle.bpmn")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and "không phải BPMN 2.0" in bad.get_data(as_text=True)
    ok = browser.client.post("/admin/models/approval_cycle", data={
        "csrf_token": token, "file": (io.BytesIO(v2_source().encode()), "approval_cycle.bpmn")},
        content_type="multipart/form-data", follow_redirects=True)
    assert ok.status_code == 200 and "Đã triển khai phiên bản 2" in ok.get_data(as_text=True)

    v1 = db.session.scalar(select(ProcessModel).where(ProcessModel.process_id == "approval_cycle",
                                                      ProcessModel.version == 1))
    v2 = catalog.latest("approval_cycle")
    report = browser.client.get(f"/admin/models/versions/{v1.id}/migrate?target={v2.id}").get_data(as_text=True)
    assert "Chuyển được" in report and task.code in report
    done = browser.client.post(f"/admin/models/versions/{v1.id}/migrate", data={
        "csrf_token": token, "target": str(v2.id)}, follow_redirects=True)
    assert done.status_code == 200 and "Đã chuyển 1 hồ sơ" in done.get_data(as_text=True)
    assert db.session.scalar(select(ProcessInstance.process_model_id)) == v2.id


def test_the_admin_downloads_a_version_s_file_and_is_told_an_upload_repeats_an_older_one(world, browser):
    """An outside check: renaming a step meant taking the file from the server's bpmn/ folder (no version could be
    downloaded), and going back by uploading version 1 again made a "Phiên bản 3" that said nothing of being it."""
    deploy.deploy_upload(world["admin"], "approval_cycle.bpmn", v2_source().encode(), "approval_cycle")
    deploy.deploy_upload(world["admin"], "approval_cycle.bpmn", SOURCE.encode(), "approval_cycle")
    v1 = db.session.scalar(select(ProcessModel).where(ProcessModel.process_id == "approval_cycle",
                                                      ProcessModel.version == 1))
    browser.login("admin", PASSWORD)
    got = browser.client.get(f"/admin/models/versions/{v1.id}/file")
    assert got.status_code == 200 and got.get_data(as_text=True) == SOURCE
    assert got.headers["Content-Disposition"] == 'attachment; filename="approval_cycle-v1.bpmn"'
    page = browser.client.get("/admin/models/approval_cycle").get_data(as_text=True)
    assert page.count("(giống hệt phiên bản 1)") == 1 and f'href="/admin/models/versions/{v1.id}/file"' in page
    assert "Tải tệp BPMN" in page


def test_opinions_given_after_a_restart_still_move_the_task_on(world):
    """A fresh parse of the spec (a restart) must still merge the opinions started before it."""
    from workflows.process import engine

    task = new_task(world)
    for step in ("assign", "draft"):
        act(world, task, step)
    engine._spec_cache.clear()  # as after a restart: the next restore parses the file again
    for step in ("give_opinion", "give_opinion", "sign_opinion", "sign_opinion"):
        act(world, task, step)
    assert [i.step_id for i in open_items(task)] == ["finalise"]


def test_an_upgrade_to_signed_opinions_moves_what_has_not_reached_the_opinions(world):
    """The shipped model before each collaborator's head signed its opinion (tests/data/…unsigned_opinions):
    a province upgrading has tasks on it. Those not yet at the opinions move and their opinions are signed, those
    past them move on; a round under way stays on its version and finishes as it began."""
    old_text = (Path(__file__).parent / "data" / "approval_cycle_unsigned_opinions.bpmn").read_text("utf-8")

    def version(text: str, number: int) -> ProcessModel:
        model = ProcessModel(process_id="approval_cycle", version=number, filename="approval_cycle.bpmn", kind="bpmn",
                             sha256=f"v{number}", source=text, deployed_at=clock.now(), deployed_by="system")
        db.session.add(model)
        db.session.commit()
        return model

    old = version(old_text, 2)
    at_draft, in_round, past = (new_task(world, title=f"Nhiệm vụ {n}") for n in range(3))
    for task, steps in ((at_draft, ["assign"]), (in_round, ["assign", "draft", "give_opinion"]),
                        (past, ["assign", "draft", "give_opinion", "give_opinion"])):
        for step in steps:
            act(world, task, step)
    assert [i.step_id for i in open_items(past)] == ["finalise"]  # the old model: nobody signed the opinions
    new = version(SOURCE, 3)

    plan = migration.plan_migration(world["admin"], old, new)
    [blocked] = plan.blocked
    assert blocked.instance.task_id == in_round.id and "Góp ý dự thảo" in " ".join(blocked.reasons)
    moved = migration.migrate(world["admin"], old, new).moved
    assert sorted(db.session.get(ProcessInstance, i).task_id for i in moved) == [at_draft.id, past.id]

    for step in ("draft", "give_opinion", "give_opinion"):
        act(world, at_draft, step)
    assert sorted((i.step_id, i.role) for i in open_items(at_draft)) == [("sign_opinion", "agency_head")] * 2
    act(world, in_round, "give_opinion")
    assert [i.step_id for i in open_items(in_round)] == ["finalise"]
    for task in (at_draft, in_round, past):
        drive_to_end(world, task)
        db.session.refresh(task)
        assert task.state == "done"
        assert [s.state for s in diagram.task_diagrams(task)[0].steps if s.step_id == "give_opinion"] == ["done"]


def test_the_model_s_commonest_mistakes_are_said_in_vietnamese(world):
    # the schema's and SpiffWorkflow's English reached the administrator as written
    misplaced = SOURCE.replace('''      <bpmn:incoming>f_signoff_ok</bpmn:incoming>
      <bpmn:outgoing>f_appraisal_yes</bpmn:outgoing>''', '''      <bpmn:outgoing>f_appraisal_yes</bpmn:outgoing>
      <bpmn:incoming>f_signoff_ok</bpmn:incoming>''')
    [said] = errors_for(misplaced)
    assert "phần tử “incoming” không được đặt ở đây (cần “outgoing”)" in said and "not expected" not in said
    no_default = SOURCE.replace(' name="Cần thẩm định?" default="f_appraisal_no"', ' name="Cần thẩm định?"')
    [said] = errors_for(no_default)
    assert "luồng ra của cổng rẽ nhánh không có điều kiện mà cũng không phải luồng mặc định" in said
    [said] = errors_for(SOURCE.replace("len(collaborators) &gt; 0", "len(collaborators) &gt;"))
    assert said.endswith("không phải biểu thức Python hợp lệ: sai cú pháp."), said
