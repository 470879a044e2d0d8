"""The live process diagram: drawn from the BPMN file's own layout and the instance's work items."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from lxml import etree
from sqlalchemy import select

from models import ProcessInstance, ProcessModel, db
from tests.conftest import act, item_at, new_task
from workflows import holidays
from workflows.process import catalog, diagram, diagram_model
from workflows.tasks import extensions, reminders, work

SVG = "{http://www.w3.org/2000/svg}"
REASON = "Thiếu căn cứ <pháp lý> & số liệu \"năm 2025\""


def parse(svg: str):
    """The SVG as XML (it must be well-formed), standalone or inline."""
    return etree.fromstring(svg.encode("utf-8"))


def node(root, element_id: str):
    [found] = root.findall(f".//{SVG}g[@data-element='{element_id}']")
    return found


def tooltip(root, element_id: str) -> str:
    return node(root, element_id).findtext(f"{SVG}title")


def texts(element) -> list[str]:
    return [" ".join(t.itertext()) for t in element.iter(f"{SVG}text")]


def main_instance(task) -> ProcessInstance:
    return db.session.scalar(select(ProcessInstance).where(ProcessInstance.task_id == task.id,
                                                           ProcessInstance.kind == "main"))


@pytest.fixture
def returned_twice(world, frozen):
    """Appraisal returned the draft twice; the third appraisal waits. One hour between actions."""
    task = new_task(world)
    for step in ("assign", "draft", "give_opinion", "give_opinion", "sign_opinion", "sign_opinion"):
        act(world, task, step)
        frozen.advance(hours=1)
    for _ in range(2):
        for step in ("finalise", "signoff"):
            act(world, task, step)
            frozen.advance(hours=1)
        act(world, task, "appraise", decision="return", comment=REASON)
        frozen.advance(hours=1)
    for step in ("finalise", "signoff"):
        act(world, task, step)
        frozen.advance(hours=1)
    return task


def test_a_task_returned_twice_shows_where_it_is_the_loops_and_the_path(returned_twice):
    root = parse(diagram.instance_svg(main_instance(returned_twice), standalone=True))
    assert root.get("role") == "img" and root.get("viewBox")

    appraise = node(root, "appraise")
    assert appraise.get("data-state") == "current"
    assert "ĐANG XỬ LÝ" in texts(appraise)  # said in words, not only in colour
    assert max(float(r.get("stroke-width")) for r in appraise.iter(f"{SVG}rect")) >= 4
    # appraisal is met for the third time; drafting and sign-off went round three times
    assert "×3" in texts(appraise) and appraise.get("data-count") == "3"
    for step in ("finalise", "signoff"):
        assert node(root, step).get("data-state") == "done" and "×3" in texts(node(root, step))
    for step in ("assign", "draft", "give_opinion", "sign_opinion"):  # once: no badge (two opinions are one pass)
        assert node(root, step).get("data-count") == "1" and not any(t.startswith("×") for t in texts(node(root, step)))

    # the return branch carried the draft back twice, and says so
    back = node(root, "f_appraise_return")
    assert back.get("data-count") == "2" and "dg-return" in back.get("class")
    labels = " ".join(texts(root.find(f".//{SVG}g[@class='dg-flow-labels']")))
    assert "Trả lại · 2 lần" in labels

    # the path taken is shaded; the branches not taken are not
    for element in ("start", "gw_collab", "merge_finalise", "gw_signoff", "gw_appraisal", "gw_appraise"):
        assert node(root, element).get("data-state") == "done", element
    for element in ("approve", "report", "confirm", "merge_approve", "end"):
        assert node(root, element).get("data-state") == "todo", element
    for flow in ("f_start", "f_collab_yes", "f_opinion", "f_finalise_in", "f_signoff_ok", "f_appraisal_yes"):
        assert "dg-done" in node(root, flow).get("class") or "dg-return" in node(root, flow).get("class"), flow
    # into the opinion round and through it: each collaborator's head signed, none returned
    assert node(root, "opinion_round").get("data-state") == "done"
    for flow in ("f_opinion_start", "f_opinion_drafted", "f_opinion_signoff", "f_opinion_signed"):
        assert "dg-done" in node(root, flow).get("class"), flow
    for flow in ("f_opinion_return", "f_collab_no", "f_signoff_return", "f_appraisal_no", "f_appraise_ok",
                 "f_approve_return"):
        assert "dg-todo" in node(root, flow).get("class"), flow

    # tooltips name who acted and when (local time), with the decision and the reason; open steps their holder
    tip = tooltip(root, "appraise")
    assert tip.startswith("Thẩm định — Đang xử lý (lần 3)")
    assert "Lần 1: Trả lại — Ông/Bà justice (Sở Tư pháp), 01/03/2026 16:00" in tip
    assert "Lần 2: Trả lại — Ông/Bà justice (Sở Tư pháp), 01/03/2026 19:00" in tip
    assert f"Lý do: {REASON}" in tip
    assert "Lần 3: Đang xử lý: Sở Tư pháp (Cơ quan thẩm định), chưa ai nhận, từ 01/03/2026 21:00" in tip
    assert "Chuyển tiếp — Ông/Bà head (Sở Công Thương), 01/03/2026 08:00" in tooltip(root, "assign")
    opinions = tooltip(root, "give_opinion")
    assert "Ông/Bà collab_a (Sở Tài chính)" in opinions and "Ông/Bà collab_b (Sở Xây dựng)" in opinions
    signed = tooltip(root, "sign_opinion")
    assert "Đồng ý — Ông/Bà collab_a_head (Sở Tài chính)" in signed and "Ông/Bà collab_b_head (Sở Xây dựng)" in signed
    assert "Lần 3: Đồng ý — Ông/Bà head (Sở Công Thương), 01/03/2026 21:00" in tooltip(root, "signoff")
    assert "→ Trả lại: 2 lần" in tooltip(root, "gw_appraise")

    # the words for screen readers
    desc = root.findtext(f"{SVG}desc")
    assert "Đang xử lý: Thẩm định (Sở Tư pháp, chưa ai nhận, từ 01/03/2026 21:00)" in desc
    assert "Trả lại 2 lần ở bước “Thẩm định” về “Hoàn thiện dự thảo”" in desc
    title, desc_el = root[0], root[1]
    assert (root.get("aria-labelledby"), root.get("aria-describedby")) == (title.get("id"), desc_el.get("id"))


def test_text_is_escaped(returned_twice):
    svg = diagram.instance_svg(main_instance(returned_twice))
    assert "<pháp lý>" not in svg and "&lt;pháp lý&gt; &amp; số liệu" in svg
    assert REASON in tooltip(parse(svg), "appraise")


def test_an_open_claimed_step_names_its_holder_and_a_finished_process_its_end(world, frozen):
    task = new_task(world, output_type="report", collaborators=(), title="Báo cáo sơ kết")
    root = parse(diagram.instance_svg(main_instance(task)))
    assert node(root, "draft").get("data-state") == "current"
    assert node(root, "start").get("data-state") == "done"  # the start, always
    act(world, task, "draft")
    act(world, task, "signoff", decision="return", comment="Bổ sung số liệu quý I")
    item = item_at(task, "draft")
    work.claim(item.id, world["officer"])
    tip = tooltip(parse(diagram.instance_svg(main_instance(task))), "draft")
    assert "Lần 2: Đang xử lý: Ông/Bà officer (Sở Công Thương), từ 01/03/2026 08:00" in tip

    for step in ("draft", "signoff", "confirm"):
        act(world, task, step)
    root = parse(diagram.instance_svg(main_instance(task)))
    assert root.findall(f".//{SVG}g[@data-state='current']") == []
    assert node(root, "end").get("data-state") == "done" and "dg-done" in node(root, "f_confirm_ok").get("class")
    assert "dg-todo" in node(root, "f_confirm_return").get("class")
    assert "Trả lại · 1 lần" in " ".join(texts(root))
    assert "Quy trình đã kết thúc lúc 01/03/2026 08:00" in root.findtext(f"{SVG}desc")


def test_fired_reminders_and_escalations_are_marked(world, frozen):
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 3, 13))
    frozen.advance(days=15)  # Hà Nội, Monday 16/03/2026 08:00: the reminder and the first escalation are due
    reminders.run_due(frozen.moment)
    root = parse(diagram.instance_svg(main_instance(task)))
    assert tooltip(root, "assign_remind") == "Nhắc hạn — đã kích hoạt 1 lần\nKích hoạt lúc 16/03/2026 08:00"
    assert tooltip(root, "assign_overdue").startswith("Quá hạn: báo lãnh đạo đơn vị — đã kích hoạt 1 lần")
    assert tooltip(root, "assign_escalate") == "Quá hạn 2 ngày làm việc: báo Tổ giúp việc — hẹn giờ"
    assert tooltip(root, "draft_remind") == "Nhắc hạn — hẹn giờ"


@pytest.mark.parametrize("path", sorted(catalog.BPMN_DIR.glob("*.bpmn")), ids=lambda p: p.stem)
def test_every_bpmn_file_renders_alone(path):
    model = catalog.latest(path.stem)
    root = parse(diagram.model_svg(model, standalone=True))
    assert root.get("role") == "img" and root.findtext(f"{SVG}title").startswith("Sơ đồ quy trình")
    drawn = {g.get("data-element") for g in root.iter(f"{SVG}g") if g.get("data-element")}
    source = etree.fromstring(path.read_bytes())
    steps = {e.get("id") for e in source.iter(f"{{{diagram_model.BPMN_NS}}}userTask")}
    assert steps <= drawn
    assert root.findall(f".//{SVG}g[@data-state='current']") == []
    width = float(root.get("viewBox").split()[2])
    assert width == float(root.get("width")) > 0


def test_fresh_instances_of_every_running_process_render(world, frozen):
    holidays.ensure_defaults()
    plan = new_task(world)
    new_task(world, output_type="report", collaborators=(), title="Báo cáo tháng")
    extensions.request_extension(world["officer"], plan.id, date(2026, 8, 31), "Chờ ý kiến bộ")
    current = {}
    for instance in db.session.scalars(select(ProcessInstance)):
        root = parse(diagram.instance_svg(instance))
        current[instance.process_model.process_id] = {
            g.get("data-element") for g in root.findall(f".//{SVG}g[@data-state='current']")}
        assert node(root, "start").get("data-state") == "done"
    assert current == {"approval_cycle": {"assign"}, "report_cycle": {"draft"}, "extension_request": {"review"}}


def test_an_older_version_renders_after_a_new_one_is_deployed(world, tmp_path):
    old = new_task(world, collaborators=())
    act(world, old, "assign")
    bpmn = tmp_path / "bpmn"
    shutil.copytree(catalog.BPMN_DIR, bpmn)
    path = bpmn / "approval_cycle.bpmn"
    path.write_text(path.read_text().replace('name="Lãnh đạo đơn vị ký duyệt"', 'name="Giám đốc sở ký duyệt"'))
    catalog.sync_directory(bpmn, deployed_by="test")
    db.session.commit()
    new = new_task(world, collaborators=(), title="Nhiệm vụ mới sau khi đổi quy trình")

    old_svg = diagram.instance_svg(main_instance(old))
    assert "phiên bản 1" in parse(old_svg).findtext(f"{SVG}title")
    assert tooltip(parse(old_svg), "signoff").startswith("Lãnh đạo đơn vị ký duyệt — Chưa tới")
    assert "Giám đốc sở" not in old_svg
    assert node(parse(old_svg), "draft").get("data-state") == "current"
    new_svg = diagram.instance_svg(main_instance(new))
    assert "phiên bản 2" in parse(new_svg).findtext(f"{SVG}title")
    assert tooltip(parse(new_svg), "signoff").startswith("Giám đốc sở ký duyệt — Chưa tới")
    versions = db.session.scalars(select(ProcessModel.version).where(ProcessModel.process_id == "approval_cycle"))
    assert sorted(versions) == [1, 2]


def test_the_route_serves_the_svg_to_those_who_may_see_the_task(world, browser):
    task = new_task(world)
    other = new_task(world, output_type="report", collaborators=(), title="Việc khác")
    url = f"/tasks/{task.id}/diagram.svg"
    assert browser.client.get(url).status_code == 302  # log in first

    browser.login("coord")
    r = browser.client.get(url)
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    root = parse(r.get_data(as_text=True))
    assert node(root, "assign").get("data-state") == "current"
    assert r.get_data(as_text=True).startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert browser.client.get(f"/tasks/{task.id}/diagram.svg?instance={main_instance(other).id}").status_code == 404
    assert browser.client.get("/tasks/999999/diagram.svg").status_code == 404

    browser.login("x_officer")  # an agency with nothing to do with the task
    assert browser.client.get(url).status_code == 403


def test_the_task_page_shows_the_diagrams_inline(world, frozen, browser):
    holidays.ensure_defaults()
    task = new_task(world)
    act(world, task, "assign")
    browser.login("officer")
    html = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Sơ đồ quy trình" in html
    assert html.count('class="diagram-svg"') == 1
    assert 'data-element="draft" data-state="current"' in html
    assert f'href="/tasks/{task.id}/diagram.svg"' in html
    assert "Chú giải sơ đồ" in html and "Đang xử lý (viền đậm)" in html

    extensions.request_extension(world["officer"], task.id, date(2026, 8, 31), "Chờ ý kiến của bộ")
    html = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert html.count('class="diagram-svg"') == 2
    extension = db.session.scalar(select(ProcessInstance).where(ProcessInstance.kind == "extension"))
    assert f'href="/tasks/{task.id}/diagram.svg?instance={extension.id}"' in html
    assert "Đề nghị gia hạn: Đề nghị điều chỉnh thời hạn (phiên bản 1)" in html
    assert 'data-element="review" data-state="current"' in html


def test_a_task_without_a_process_says_so(world, browser):
    task = new_task(world, done_on=date(2026, 1, 15), due=date(2026, 1, 31))
    browser.login("coord")
    html = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Sơ đồ quy trình" in html and "không chạy quy trình nào" in html and "diagram-svg" not in html
    assert browser.client.get(f"/tasks/{task.id}/diagram.svg").status_code == 404
