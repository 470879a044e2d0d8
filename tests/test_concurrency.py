"""A work item is completed once, whatever the timing (run on PostgreSQL in CI, SQLite locally)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, func, inspect, select, text, update
from sqlalchemy.orm.exc import StaleDataError

from models import AuditEvent, ImportBatch, ProcessInstance, Task, User, WorkItem, db
from tests.conftest import FIXTURES, Browser, item_at, new_task
from workflows.errors import Conflict, NotAllowed
from workflows.importing import pipeline
from workflows.process import engine, runtime
from workflows.tasks import comments, urging, work
from workflows.tx import RACES, lost_race


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
            assert "Bạn đã xử lý việc này lúc" in body["error"] or "vừa được người khác cập nhật" in body["error"]

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



def test_a_workflow_kept_in_this_process_is_not_used_for_a_row_put_back_at_the_same_version(world):
    """A backup restored, and another worker acting on it, can bring an instance's row back to a version this
    process has kept a workflow of, with another state (in the tests: a fresh database giving the same ids). The
    row's moment tells them apart: the file goes on from the row's state."""
    task = new_task(world, collaborators=())
    row = db.session.scalar(select(ProcessInstance).where(ProcessInstance.task_id == task.id))
    at_assign, moment = row.state, row.updated_at
    work.complete(item_at(task, "assign").id, world["head"], "submit", data={"assignee": "officer"})
    db.session.expire_all()
    row = db.session.get(ProcessInstance, row.id)
    with db.engine.begin() as other:  # the row as another worker wrote it after a restore: same version
        other.execute(update(ProcessInstance.__table__).where(ProcessInstance.__table__.c.id == row.id)
                      .values(state=at_assign, updated_at=moment))
    db.session.expire_all()
    row = db.session.get(ProcessInstance, row.id)
    assert [s.step_id for s in runtime.load(row).ready_steps()] == ["assign"]

def test_a_completion_waiting_on_a_hand_over_sees_who_holds_the_file_after_it(app, world):
    """The head hands the draft to officer2 while officer presses Gửi: the hand-over commits first, so officer's
    completion is refused naming the new holder, and nothing of it is written. On PostgreSQL the completion
    waits on the instance's row lock; the items it then acts on are the ones after the hand-over, although the
    statement that waited began before it. On SQLite it reads without waiting and finds, when it writes, the
    instance's version moved on by the hand-over."""
    task = new_task(world, collaborators=())
    work.complete(item_at(task, "assign").id, world["head"], "submit", data={"assignee": "officer"})
    draft_id = item_at(task, "draft").id

    refused = _second_while_first_commits(
        app, lambda: work.reassign(draft_id, db.session.get(User, world["head"].id), "officer2"),
        lambda: work.complete(draft_id, db.session.get(User, world["officer"].id), "submit"))

    assert isinstance(refused, NotAllowed), refused
    assert str(refused) == "Việc này đang do Ông/Bà officer2 xử lý."
    db.session.expire_all()
    draft = db.session.get(WorkItem, draft_id)
    assert (draft.status, draft.claimed_by.username) == ("open", "officer2")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.work_item_id == draft_id, AuditEvent.action == "submit")) == 0


def test_two_officers_claiming_the_same_file_one_gets_it_the_other_is_told_who(app, world):
    task = new_task(world, collaborators=())
    work.complete(item_at(task, "assign").id, world["head"], "submit", data={"assignee": "officer"})
    draft_id = item_at(task, "draft").id
    work.release(draft_id, world["officer"])  # back in the agency's queue

    refused = _second_while_first_commits(
        app, lambda: work.claim(draft_id, db.session.get(User, world["officer"].id)),
        lambda: work.claim(draft_id, db.session.get(User, world["officer2"].id)))

    assert isinstance(refused, NotAllowed), refused
    assert str(refused) == "Việc này đang do Ông/Bà officer xử lý."
    db.session.expire_all()
    assert db.session.get(WorkItem, draft_id).claimed_by.username == "officer"
    claims = db.session.scalars(select(AuditEvent).where(AuditEvent.work_item_id == draft_id,
                                                         AuditEvent.action == "claim")).all()
    assert [e.actor.username for e in claims] == ["officer"]


def test_a_hand_over_racing_a_claim_either_follows_it_or_tells_the_head_who_took_the_file(app, world):
    """officer2 claims the queued draft while the head hands it to officer. PostgreSQL makes the hand-over wait and
    then apply to the claimed file (a head may take a file from a colleague); SQLite finds the hand-over read the
    file before the claim and refuses it naming who took it — not "Bạn không có quyền…", which a head would read
    as a rule against them."""
    task = new_task(world, collaborators=())
    work.complete(item_at(task, "assign").id, world["head"], "submit", data={"assignee": "officer"})
    draft_id = item_at(task, "draft").id
    work.release(draft_id, world["officer"])

    outcome = _second_while_first_commits(
        app, lambda: work.claim(draft_id, db.session.get(User, world["officer2"].id)),
        lambda: work.reassign(draft_id, db.session.get(User, world["head"].id), "officer"))

    db.session.expire_all()
    holder = db.session.get(WorkItem, draft_id).claimed_by.username
    if db.engine.dialect.name == "postgresql":
        assert isinstance(outcome, WorkItem) and holder == "officer", outcome
    else:
        assert isinstance(outcome, NotAllowed) and str(outcome) == "Việc này đang do Ông/Bà officer2 xử lý.", outcome
        assert holder == "officer2"


def test_an_import_committed_twice_at_once_writes_its_tasks_once(app, province):
    """The coordinator presses "Ghi danh mục" again while a plan's tasks are being written (a plan's 152 take
    seconds), or two coordinators commit the same import: both commits wrote every task — fixture 000's 17 tasks
    became 34. The second now waits for the first and is refused; the page it lands on shows what was written."""
    source = next(FIXTURES.glob("000_*.txt"))
    batch_id = pipeline.preview(province["coord"], source.name, source.read_bytes()).id
    coord_id = province["coord"].id

    def press():
        return pipeline.commit(db.session.get(User, coord_id), batch_id)

    refused = _second_while_first_commits(app, press, press)

    assert isinstance(refused, Conflict) and str(refused) == "Lượt nhập này đã được ghi hoặc đã hủy.", refused
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Task)) == 17
    assert db.session.get(ImportBatch, batch_id).status == "committed"
    browser = Browser(app.test_client())
    browser.login("coord")
    page = browser.client.post(f"/imports/{batch_id}/commit", data={"csrf_token": browser.csrf(f"/imports/{batch_id}")},
                               follow_redirects=True).get_data(as_text=True)
    assert "Lượt nhập này đã được ghi hoặc đã hủy." in page and "17" in page


def test_a_cancel_racing_the_commit_of_the_same_import_is_refused(app, province):
    """A colleague cancels the import while it is being written: the cancel waits, then is refused — not a batch
    marked cancelled whose tasks were all written."""
    source = next(FIXTURES.glob("000_*.txt"))
    batch_id = pipeline.preview(province["coord"], source.name, source.read_bytes()).id
    coord_id = province["coord"].id

    refused = _second_while_first_commits(app, lambda: pipeline.commit(db.session.get(User, coord_id), batch_id),
                                          lambda: pipeline.cancel(db.session.get(User, coord_id), batch_id))

    assert isinstance(refused, Conflict), refused
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch_id).status == "committed"
    assert db.session.scalar(select(func.count()).select_from(Task)) == 17


def _second_while_first_commits(app, first, second):
    """Run the action ``first`` up to its commit and hold it there; meanwhile run ``second`` in another thread
    until the database makes it wait (or it has read what it reads); let ``first`` commit. What ``second``
    raised, or returned."""
    held, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def run_first():
        with app.app_context():
            session = db.session()

            def hold(_session):
                held.set()
                release.wait(30)
            event.listen(session, "before_commit", hold)
            try:
                first()
            finally:
                event.remove(session, "before_commit", hold)
                db.session.remove()

    def run_second():
        with app.app_context():
            try:
                outcome["second"] = second()
            except Exception as exc:  # noqa: BLE001 (the test reads what the user would be told)
                outcome["second"] = exc
            finally:
                db.session.remove()

    first_thread = threading.Thread(target=run_first)
    first_thread.start()
    assert held.wait(30)
    second_thread = threading.Thread(target=run_second)
    second_thread.start()
    _wait_until_blocked(second_thread)
    release.set()
    first_thread.join(30)
    second_thread.join(30)
    return outcome["second"]


def _wait_until_blocked(thread: threading.Thread) -> None:
    """Until the database makes ``thread``'s statement wait on a lock (PostgreSQL), or it has had time to read and
    reach its write (SQLite, where readers do not wait)."""
    if db.engine.dialect.name != "postgresql":
        thread.join(1.0)
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            if conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                "AND datname = current_database()")):
                return
        time.sleep(0.02)
    raise AssertionError("the completion never waited on the instance's lock")


def test_two_heads_signing_their_agencies_opinions_at_once_both_sign(app, world):
    """Each collaborator's head signs his own opinion at the same moment: different items of one file. On SQLite
    the second read the file before the first wrote it and was told "Hồ sơ vừa được người khác cập nhật" although
    nobody had touched his item; it is tried again on the file as it now stands."""
    from tests.conftest import act, open_items
    task = new_task(world)
    for step in ("assign", "draft", "give_opinion", "give_opinion"):
        act(world, task, step)
    first, second = (i.id for i in open_items(task) if i.step_id == "sign_opinion")
    heads = {i.id: i.agency.name for i in open_items(task)}
    by = {"Sở Tài chính": world["collab_a_head"].id, "Sở Xây dựng": world["collab_b_head"].id}

    signed = _second_while_first_commits(
        app, lambda: work.complete(first, db.session.get(User, by[heads[first]]), "approve"),
        lambda: work.complete(second, db.session.get(User, by[heads[second]]), "approve"))

    assert isinstance(signed, Task), signed
    db.session.expire_all()
    assert [i.step_id for i in open_items(task)] == ["finalise"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.task_id == task.id, AuditEvent.action == "approve")) == 2


def test_two_urges_and_a_comment_sent_twice_at_once_are_one_each(app, world, frozen):
    """The review found it: "once a day" and a form's one-time key were read and then written with nothing held in
    between, so a double press (or two coordinators) at the same moment told everyone twice."""
    from tests.conftest import act

    task = new_task(world, collaborators=())
    act(world, task, "assign")
    frozen.advance(days=200)  # late
    ids = {"task": task.id, "coord": world["coord"].id, "x_coord": world["x_coord"].id, "head": world["head"].id}
    barrier = threading.Barrier(4)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(what):
        with app.app_context():
            from workflows.clock import FrozenClock, set_clock
            set_clock(FrozenClock(frozen.moment))
            barrier.wait()
            try:
                if what in ("coord", "x_coord"):
                    urging.urge(db.session.get(User, ids[what]), ids["task"], "Khẩn trương hoàn thành.")
                else:
                    comments.add_comment(db.session.get(User, ids["head"]), db.session.get(Task, ids["task"]),
                                         "Đề nghị gửi lại dự thảo.", submission="one-key")
                result = "ok"
            except Conflict:
                result = "conflict"
            except Exception as exc:  # noqa: BLE001 - a lost race of SQLite's busy lock is a refusal too
                result = "raced" if isinstance(exc, RACES) and lost_race(exc) else repr(exc)
            with lock:
                outcomes.append(f"{what}:{result}")
            db.session.remove()

    threads = [threading.Thread(target=run, args=(w,)) for w in ("coord", "x_coord", "comment", "comment")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    db.session.expire_all()
    urges = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "urged")).all()
    comments_written = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "comment")).all()
    assert len(urges) == 1 and len(comments_written) == 1, outcomes
    assert sorted(o for o in outcomes if o.startswith("comment")) == ["comment:ok", "comment:ok"], outcomes
