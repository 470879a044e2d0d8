"""Backup and restore: ``flask backup`` writes a portable zip, ``flask restore`` brings back the same tasks,
work items, history, process states and files into an empty database, and work goes on from there."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from models import Agency, Attachment, AuditEvent, ProcessInstance, Task, WorkItem, db
from tests.conftest import JUSTICE, act, empty_tables, item_at, new_task
from workflows import clock
from workflows.accounts import people
from workflows.ops import health
from workflows.tasks import comments, files, work


def seed(world):
    """Three tasks at different steps, with an uploaded draft and a comment, through the real use cases."""
    first = new_task(world)
    act(world, first, "assign")
    draft = FileStorage(io.BytesIO("Dự thảo Đề án chuyển đổi số".encode()), filename="Dự thảo đề án.txt")
    work.complete(item_at(first, "draft").id, world["officer"], "submit", None, {"note": "Bản đầu"},
                   {"draft_file": draft})
    act(world, first, "give_opinion", user="collab_a")
    justice = db.session.scalar(select(Agency.id).where(Agency.name == JUSTICE))
    comments.add_comment(world["coord"], first, "Đề nghị Sở Tư pháp lưu ý tiến độ.", [justice])
    second = new_task(world, title="Kế hoạch phát triển thương mại điện tử", collaborators=())
    act(world, second, "assign")
    third = new_task(world, title="Báo cáo sơ kết", output_type="report", collaborators=())
    return first, second, third


def snapshot() -> dict:
    db.session.expire_all()

    def rows(model, *columns):
        return [tuple(getattr(r, c) for c in columns) for r in db.session.scalars(select(model).order_by(model.id))]
    return {
        "tasks": rows(Task, "id", "code", "title", "state", "current_step", "current_holder", "due_date",
                      "created_at"),
        "work_items": rows(WorkItem, "id", "instance_id", "engine_task_id", "step_id", "status", "agency_id",
                           "claimed_by_id", "decision", "fields", "completed_at"),
        "audit": rows(AuditEvent, "id", "at", "actor_id", "task_id", "work_item_id", "action", "comment", "data"),
        "instances": rows(ProcessInstance, "id", "task_id", "process_model_id", "state", "status", "version"),
        "attachments": rows(Attachment, "id", "task_id", "filename", "stored_name", "sha256", "size"),
    }


def wipe(app) -> None:
    """An empty database at the same migration head, as the README's `init-db` leaves it on a new machine (process
    models deployed, holidays loaded, the agencies the processes name added)."""
    db.session.commit()
    empty_tables()
    for path in Path(app.config["UPLOAD_FOLDER"]).iterdir():
        path.unlink()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and "Đã thêm đơn vị mà quy trình cần" in result.output, result.output
    db.session.expire_all()


@pytest.fixture
def archive(app, world, frozen, tmp_path):
    tasks = seed(world)
    before = snapshot()
    path = tmp_path / "sao-luu.zip"
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "Đã sao lưu" in result.output
    return path, tasks, before


def test_restore_brings_back_tasks_history_states_and_files_and_work_goes_on(app, world, frozen, archive):
    path, (first, second, _third), before = archive
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("manifest.json"))
        assert manifest["tables"]["task"] == 3 and manifest["files"] == 1
        assert manifest["alembic_revision"]
    wipe(app)
    assert snapshot()["tasks"] == []

    result = app.test_cli_runner().invoke(args=["restore", str(path)])

    assert result.exit_code == 0, result.output
    # when the backup was made, as the province reads a time (it printed "2026-12-07T21:48:44+00:00")
    made = datetime.fromisoformat(manifest["created_at"]).astimezone(clock.LOCAL_TZ)
    assert made.utcoffset() == timedelta(hours=7)
    assert f"Đã khôi phục {sum(manifest['tables'].values())} dòng" in result.output
    assert f"từ bản sao lưu lúc {made:%d/%m/%Y %H:%M} (lược đồ" in result.output, result.output
    after = snapshot()
    assert after == before
    assert len(after["audit"]) > 5 and any(e[5] == "comment" for e in after["audit"])
    attachment = db.session.scalar(select(Attachment))
    assert files.path_of(attachment).read_text(encoding="utf-8") == "Dự thảo Đề án chuyển đổi số"
    task = db.session.get(Task, first.id)
    assert task.current_step == before["tasks"][0][4]

    # the restored engine state goes on: the second collaborator's opinion, then the lead officer finalises
    act(world, task, "give_opinion", user="collab_b")
    act(world, task, "sign_opinion", user="collab_a_head")
    act(world, task, "sign_opinion", user="collab_b_head")
    act(world, task, "finalise")
    assert [i.step_id for i in db.session.scalars(select(WorkItem).where(
        WorkItem.task_id == task.id, WorkItem.status == "open"))] == ["signoff"]
    newest = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert newest.id > max(e[0] for e in before["audit"])  # sequences moved past the restored ids
    assert new_task(world, title="Nhiệm vụ mới sau khôi phục").id > max(t[0] for t in before["tasks"])
    act(world, db.session.get(Task, second.id), "draft")


def test_restore_refuses_a_database_with_data_unless_forced(app, world, frozen, archive):
    path, _tasks, before = archive
    runner = app.test_cli_runner()

    refused = runner.invoke(args=["restore", str(path)])

    assert refused.exit_code != 0
    assert "đã có dữ liệu" in refused.output and "--force" in refused.output
    new_task(world, title="Nhiệm vụ thêm sau sao lưu")
    db.session.commit()
    forced = runner.invoke(args=["restore", str(path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert snapshot() == before


def test_restore_keeps_agencies_an_administrator_entered_unless_forced(app, world, frozen, archive):
    """init-db's agencies (those the processes name) leave a database "empty"; one an administrator typed in
    after init-db does not: restore would have erased it without --force."""
    path, _tasks, _before = archive
    wipe(app)
    people.create_agency("Sở Văn hóa, Thể thao và Du lịch")
    db.session.commit()
    refused = app.test_cli_runner().invoke(args=["restore", str(path)])
    assert refused.exit_code != 0 and "đã có dữ liệu (agency)" in refused.output


def test_restore_refuses_another_schema_revision_with_a_clear_message(app, world, frozen, archive, tmp_path):
    path, _tasks, _before = archive
    other = tmp_path / "cu.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(other, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "manifest.json":
                manifest = json.loads(content)
                manifest["alembic_revision"] = "0001"
                content = json.dumps(manifest).encode()
            target.writestr(info, content)
    wipe(app)

    result = app.test_cli_runner().invoke(args=["restore", str(other)])

    assert result.exit_code != 0
    # the way that works, not a loop between "restore with the same schema" and "run init-db first"
    assert (f"Bản sao lưu ở lược đồ 0001; phiên bản ứng dụng này (lược đồ {health.schema_head()}) chỉ khôi phục bản "
            "sao lưu cùng lược "
            "đồ. Khôi phục bằng phiên bản ứng dụng đã tạo ra nó (init-db rồi restore), sau đó cài phiên bản này và "
            "chạy init-db") in " ".join(result.output.split())
    assert snapshot()["tasks"] == []


def test_a_file_that_is_not_a_backup_is_refused(app, tmp_path):
    junk = tmp_path / "khong-phai.zip"
    junk.write_bytes(b"not a zip")

    result = app.test_cli_runner().invoke(args=["restore", str(junk)])

    assert result.exit_code != 0 and "Không đọc được tệp sao lưu" in result.output


def test_a_backup_missing_the_attachments_files_is_refused_or_says_so(app, world, frozen, tmp_path):
    # run without the service's UPLOAD_FOLDER (a cron job without its environment), the backup said "0 tệp", exit
    # 0, and its restore gave a province whose every attachment answered 404
    seed(world)
    db.session.commit()
    runner, path, real = app.test_cli_runner(), tmp_path / "sao-luu.zip", app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "khong-phai-thu-muc-that")
    try:
        refused = runner.invoke(args=["backup", str(path)])
        assert refused.exit_code != 0 and not path.exists()
        assert "1 tệp đính kèm có trong cơ sở dữ liệu nhưng không có trong thư mục tải lên" in refused.output
        assert "--allow-missing-files" in refused.output
        allowed = runner.invoke(args=["backup", str(path), "--allow-missing-files"])
    finally:
        app.config["UPLOAD_FOLDER"] = real
    assert allowed.exit_code == 0 and "và 0 tệp" in allowed.output
    assert "CẢNH BÁO: 1 tệp đính kèm không có trong bản sao lưu" in allowed.output
    wipe(app)
    restored = runner.invoke(args=["restore", str(path)])
    assert restored.exit_code == 0 and "CẢNH BÁO: 1 tệp đính kèm không có tệp" in restored.output


def test_a_forced_restore_leaves_no_file_that_no_restored_row_names(app, world, frozen, archive):
    path, _tasks, _before = archive
    folder = Path(app.config["UPLOAD_FOLDER"])
    orphan = folder / ("ab" * 16)
    orphan.write_bytes(b"uploaded after the backup")  # (its attachment row is replaced by the restore)
    result = app.test_cli_runner().invoke(args=["restore", str(path), "--force"])
    assert result.exit_code == 0, result.output
    stored = {a.stored_name for a in db.session.scalars(select(Attachment))}
    assert {p.name for p in folder.iterdir()} == stored and len(stored) == 1
