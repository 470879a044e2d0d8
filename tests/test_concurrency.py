"""A work item is completed once, whatever the timing (run on PostgreSQL in CI, SQLite locally)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, inspect, select, update
from sqlalchemy.orm.exc import StaleDataError

from models import AuditEvent, ProcessInstance, WorkItem, db
from tests.conftest import item_at, new_task
from workflows.process import engine, runtime


def test_eight_threads_complete_the_same_work_item(app, api, world):
    task = new_task(world, collaborators=())
    item = item_at(task, "assign")
    version_before = item.instance.version
    token = api.token("head")
    url = f"/api/v1/work-items/{item.id}/complete"  # read here: ORM objects stay in this thread
    barrier = threading.Barrier(8)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def complete():
        client = app.test_client()
        with app.app_context():  # a thread has its own context, session and connection
            barrier.wait()
            r = client.post(url, json={"decision": "submit", "data": {"assignee": "officer"}}, headers=token)
            with lock:
                results.append((r.status_code, r.get_json()))
            db.session.remove()

    threads = [threading.Thread(target=complete) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = sorted(code for code, _ in results)
    assert codes == [200] + [409] * 7, results
    for code, body in results:
        if code == 409:
            assert "đã được Ông/Bà head xử lý" in body["error"] or "vừa được người khác cập nhật" in body["error"]

    # engine state, work items and audit agree: one completion, one new draft item
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.work_item_id == item.id)) == 1
    items = list(db.session.scalars(select(WorkItem).where(WorkItem.task_id == task.id).order_by(WorkItem.id)))
    assert [(i.step_id, i.status) for i in items] == [("assign", "done"), ("draft", "open")]
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.task_id == task.id))
    wf = runtime.load(instance).workflow
    assert [s.step_id for s in engine.ready_steps(wf)] == ["draft"]
    assert engine.ready_steps(wf)[0].task_id == items[1].engine_task_id
    assert instance.version == version_before + 1  # saved once


def test_a_workflow_restored_from_a_row_read_earlier_is_the_one_of_that_version(world):
    """The state is read apart from the row where a use case did not read it with the row: what is restored is
    the state of the version the row was read at, never a newer one another writer saved meanwhile (SQLite has
    no row lock to hold it) — that writer wins, this action is a lost race (409)."""
    task = new_task(world, collaborators=())
    runtime.forget_restored()
    db.session.expire_all()
    row = db.session.scalar(select(ProcessInstance).where(ProcessInstance.task_id == task.id))
    assert "state" not in inspect(row).dict
    with db.engine.begin() as other:  # another process saves the instance
        other.execute(update(ProcessInstance.__table__).where(ProcessInstance.__table__.c.id == row.id)
                      .values(version=row.version + 1))
    with pytest.raises(StaleDataError):
        runtime.load(row)
    db.session.rollback()
    assert [s.step_id for s in runtime.load(db.session.get(ProcessInstance, row.id)).ready_steps()] == ["assign"]
