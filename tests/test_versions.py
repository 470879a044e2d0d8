"""A changed bpmn/ file becomes a new version; running instances finish on their own."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from models import ProcessInstance, ProcessModel, db
from tests.conftest import act, item_at, new_task, open_items
from workflows.process import catalog
from workflows.process.engine import ModelError


def versions(process_id: str) -> list[int]:
    return list(db.session.scalars(select(ProcessModel.version).where(
        ProcessModel.process_id == process_id).order_by(ProcessModel.version)))


def test_unchanged_files_are_not_redeployed():
    assert catalog.sync_directory() == []
    assert versions("approval_cycle") == [1]


def test_changed_file_is_a_new_version_and_old_instances_finish_on_theirs(world, tmp_path):
    old = new_task(world, collaborators=())
    for step in ("assign", "draft", "finalise"):
        act(world, old, step)
    assert item_at(old, "signoff").step_name == "Lãnh đạo đơn vị ký duyệt"

    bpmn = tmp_path / "bpmn"
    shutil.copytree(catalog.BPMN_DIR, bpmn)
    path = bpmn / "approval_cycle.bpmn"
    text = path.read_text().replace('name="Lãnh đạo đơn vị ký duyệt"', 'name="Giám đốc sở ký duyệt"')
    text = text.replace('name="Phê duyệt"', 'name="Chủ tịch UBND tỉnh phê duyệt"')
    path.write_text(text)
    deployed = catalog.sync_directory(bpmn, deployed_by="test")
    db.session.commit()
    assert [(m.process_id, m.version) for m in deployed] == [("approval_cycle", 2)]

    new = new_task(world, collaborators=(), title="Nhiệm vụ mới sau khi đổi quy trình")
    for step in ("assign", "draft", "finalise"):
        act(world, new, step)
    assert item_at(new, "signoff").step_name == "Giám đốc sở ký duyệt"

    # the old instance keeps its version: its steps keep their old names to the end
    for step in ("signoff", "appraise"):
        act(world, old, step)
    assert item_at(old, "approve").step_name == "Phê duyệt"
    for step in ("approve", "report", "confirm"):
        act(world, old, step)
    assert open_items(old) == [] and old.state == "done"
    instances = {i.task_id: i.process_model.version for i in db.session.scalars(select(ProcessInstance))}
    assert instances == {old.id: 1, new.id: 2}


def test_an_invalid_file_is_refused(tmp_path):
    bpmn = tmp_path / "bpmn"
    shutil.copytree(catalog.BPMN_DIR, bpmn)
    (bpmn / "report_cycle.bpmn").write_text(
        (bpmn / "report_cycle.bpmn").read_text().replace("<bpmn:incoming>f_draft_in</bpmn:incoming>", "<x/>"))
    with pytest.raises(ModelError):
        catalog.sync_directory(bpmn)
    db.session.rollback()
    assert versions("report_cycle") == [1]
