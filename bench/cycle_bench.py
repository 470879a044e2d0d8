"""Benchmark: complete-a-work-item latency and inbox latency, on SQLite and PostgreSQL.

    python bench/cycle_bench.py [--tasks 1000] [--inbox-rows 100000] [--pg URL | --no-pg] [--no-sqlite]

Drives N tasks through the full approval cycle with the real use cases (engine, locking, save, audit),
timing every ``complete``, the time spent inside the engine (restore, step, serialize, reads of its steps
and timers) and the SQL statements it sends; then the same completions with the restored-workflow cache
emptied before each one (as when the next action lands on another worker process); then completions of the
final pass of files returned 0, 5 and 20 times at appraisal; then replays the same writes as bare SQL; then
fills work_item to 100,000 rows and times one user's inbox. Prints figures only; nothing is asserted.
Other scripts read the lines "ratio use case / bare SQL", "ratio use case / engine" and
"statements per complete".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import URL, create_engine, event, func, insert, make_url, select, text  # noqa: E402

from app import create_app  # noqa: E402
from models import AuditEvent, ProcessInstance, Task, User, WorkItem, db  # noqa: E402
from workflows.accounts import people  # noqa: E402
from workflows.process import catalog, engine, engine_loops, runtime  # noqa: E402
from workflows.tasks import create, reads, work  # noqa: E402
from workflows.tasks import page as task_page  # noqa: E402

LEAD, COLLABS = "Sở Công Thương", ["Sở Tài chính", "Sở Xây dựng"]
AGENCIES = [LEAD, *COLLABS, "Sở Tư pháp", "UBND tỉnh", "Sở Khoa học và Công nghệ"]
USERS = {"head": (LEAD, "agency_head"), "officer": (LEAD, "officer"), "c1": (COLLABS[0], "officer"),
         "c2": (COLLABS[1], "officer"), "h1": (COLLABS[0], "agency_head"), "h2": (COLLABS[1], "agency_head"),
         "justice": ("Sở Tư pháp", "appraiser"),
         "approver": ("UBND tỉnh", "approver"), "coord": ("Sở Khoa học và Công nghệ", "coordinator")}


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def fmt(values: list[float]) -> str:
    return f"median {statistics.median(values):6.2f} ms   p95 {pct(values, 95):6.2f} ms   (n={len(values)})"


def bench_app(url: str, upload_folder: str | None = None):
    """The application on ``url`` with an empty, migrated database (PostgreSQL: the schema dropped first), and
    fast password hashing: what every benchmark starts from."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DEPLOY_MODELS_ON_START": False,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "UPLOAD_FOLDER": upload_folder or tempfile.mkdtemp(prefix="bench-uploads-")})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            _create_database(db.engine.url)
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    return app


def _create_database(url: URL) -> None:
    """The benchmark's PostgreSQL database, created on a server that does not have it yet (a new machine)."""
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}):
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    server.dispose()


def database_options(parser: argparse.ArgumentParser) -> None:
    """--pg URL (BENCH_DATABASE_URL) and --no-pg, as every benchmark takes them."""
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/bench"))
    parser.add_argument("--no-pg", action="store_true")


def prepare(url: str):
    app = bench_app(url)
    ctx = app.app_context()
    ctx.push()
    catalog.deploy()
    for name in AGENCIES:
        people.create_agency(name)
    users = {u: people.create_user(u, "bench-password", a, [r]) for u, (a, r) in USERS.items()}
    return app, ctx, users


def who(item: WorkItem) -> str:
    if item.step_id in ("give_opinion", "sign_opinion"):
        return ("c" if item.step_id == "give_opinion" else "h") + ("1" if item.agency.name == COLLABS[0] else "2")
    return {"assign": "head", "draft": "officer", "finalise": "officer", "signoff": "head",
            "appraise": "justice", "approve": "approver", "report": "officer", "confirm": "coord"}[item.step_id]


class Meter:
    """Per completion: the statements sent to the database and the milliseconds spent inside the engine."""

    ENGINE_CALLS = ("restore", "complete", "serialize", "waiting_timers", "ready_steps", "step", "is_completed",
                    "result_data", "fire_timers")

    def __init__(self) -> None:
        self.statements = 0
        self.engine_ms = 0.0
        event.listen(db.engine, "before_cursor_execute", self._count)
        for name in self.ENGINE_CALLS:
            setattr(engine, name, self._timed(getattr(engine, name)))
        engine_loops.fold_passes = self._timed(engine_loops.fold_passes)

    def _count(self, *_args) -> None:
        self.statements += 1

    def _timed(self, fn):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.engine_ms += (time.perf_counter() - start) * 1000
        return timed

    def reset(self) -> None:
        self.statements, self.engine_ms = 0, 0.0


def step_input(item: WorkItem) -> tuple[str, dict]:
    data = {"assignee": "officer"} if item.step_id == "assign" else {}
    if item.step_id == "give_opinion":
        data = {"opinion_text": "Nhất trí"}
    if item.step_id == "report":
        data = {"decision_number": "1/QĐ", "decision_date": "2026-05-01"}
    return ("approve" if "approve" in item.decisions else "submit"), data


def open_items(task_id: int) -> list[WorkItem]:
    return list(db.session.scalars(select(WorkItem).where(
        WorkItem.task_id == task_id, WorkItem.status == "open").order_by(WorkItem.id)))


def new_task(users, title: str):
    # the cold pass repeats the first pass's titles: a second task of a title is meant here
    return create.create_task(users["coord"], title=title, lead_agency=LEAD, output_type="plan",
                              collaborating_agencies=COLLABS, due_date=date(2027, 12, 31), duplicate_ok=True)


def timed_complete(meter: Meter, users, item: WorkItem, decision: str, data: dict, samples: dict,
                   cold: bool = False) -> None:
    if cold:
        runtime.forget_restored()
    user = db.session.get(User, users[who(item)].id)  # as a request has its user loaded before it acts
    item_id = item.id
    meter.reset()
    start = time.perf_counter()
    work.complete(item_id, user, decision, "ok" if decision != "return" else "Đề nghị bổ sung.", data)
    samples["total"].append((time.perf_counter() - start) * 1000)
    samples["engine"].append(meter.engine_ms)
    samples["statements"].append(meter.statements)


def drive(users, meter: Meter, n_tasks: int, cold: bool = False) -> tuple[dict, int]:
    samples: dict[str, list] = {"total": [], "engine": [], "statements": []}
    state_bytes = 0
    for i in range(n_tasks):
        task = new_task(users, f"Nhiệm vụ {i}")
        while items := open_items(task.id):
            decision, data = step_input(items[0])
            timed_complete(meter, users, items[0], decision, data, samples, cold)
        state_bytes = max(state_bytes, len(task.instances[0].state))
        if (i + 1) % 100 == 0:
            vacuum()
            recent = samples["total"][-1000:]
            print(f"  … {i + 1} tasks, recent complete median {statistics.median(recent):.2f} ms",
                  file=sys.stderr, flush=True)
    return samples, state_bytes


def after_returns(users, meter: Meter, counts: tuple[int, ...], n_tasks: int) -> dict[int, list[float]]:
    """Completion times of the final pass (appraisal passed, approval, report, confirmation) of files first
    returned N times at appraisal, for each N in ``counts``; the files are made in turn (one of each N, then the
    next), so that a machine busier at one moment than another weighs on every N alike."""
    samples: dict[int, dict[str, list]] = {n: {"total": [], "engine": [], "statements": []} for n in counts}
    for i in range(n_tasks):
        for returns in counts:
            task = new_task(users, f"Trả lại {returns} lần {i}")
            left, final = returns, False
            while items := open_items(task.id):
                item = items[0]
                decision, data = step_input(item)
                if item.step_id == "appraise" and left:
                    left, decision = left - 1, "return"
                elif item.step_id == "appraise":
                    final = True
                if final:
                    timed_complete(meter, users, item, decision, data, samples[returns])
                else:
                    work.complete(item.id, users[who(item)], decision, "Đề nghị bổ sung." if decision == "return"
                                  else "ok", data)
    return {n: s["total"] for n, s in samples.items()}


def vacuum() -> None:
    """What autovacuum does in production. The PostgreSQL server on the CI machine runs with
    autovacuum off, and every step rewrites a 28 KB state row: without this the bench measures bloat."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def bare_sql(n: int, state_size: int) -> list[float]:
    """The rows one completion writes, as plain SQL in one transaction (no engine, no ORM)."""
    blob = "x" * state_size
    timings = []
    conn = db.engine.connect()
    inst_id, task_id = conn.execute(text("SELECT id, task_id FROM process_instance LIMIT 1")).one()
    item_id = conn.execute(text("SELECT id FROM work_item LIMIT 1")).scalar()
    conn.commit()
    for _ in range(n):
        start = time.perf_counter()
        with conn.begin():
            conn.execute(text("SELECT id FROM process_instance WHERE id = :i" +
                              (" FOR UPDATE" if db.engine.dialect.name == "postgresql" else "")), {"i": inst_id})
            conn.execute(text("UPDATE process_instance SET state = :s, version = version + 1, updated_at = :t "
                              "WHERE id = :i"), {"s": blob, "t": datetime.utcnow(), "i": inst_id})
            conn.execute(text("UPDATE work_item SET decision = 'submit', completed_at = :t WHERE id = :i"),
                         {"t": datetime.utcnow(), "i": item_id})
            conn.execute(insert(WorkItem.__table__).values(
                instance_id=inst_id, task_id=task_id, engine_task_id="bench", step_id="x", step_name="x",
                role="officer", status="cancelled", decisions=[], fields=[], created_at=datetime.utcnow()))
            conn.execute(text("UPDATE task SET current_step = 'x', step_since = :t WHERE id = :i"),
                         {"t": datetime.utcnow(), "i": task_id})
            conn.execute(text("INSERT INTO notification (user_id, kind, title, task_id, created_at, emailed) "
                              "VALUES (1, 'new_item', 'x', :i, :t, :f)"),
                         {"t": datetime.utcnow(), "i": task_id, "f": False})
            conn.execute(text("INSERT INTO audit_event (at, task_id, action, data) VALUES (:t, :i, 'submit', '{}')"),
                         {"t": datetime.utcnow(), "i": task_id})
        timings.append((time.perf_counter() - start) * 1000)
    conn.close()
    return timings


def inbox(users, rows: int) -> tuple[list[float], list[float], int]:
    """Fill work_item to ``rows`` rows over many agencies, a page of them the head's on the tasks returned most;
    time the head's inbox page (its rows and the returns that made them) and count."""
    have = db.session.scalar(select(func.count()).select_from(WorkItem))
    inst_id, task_id = db.session.execute(text("SELECT id, task_id FROM process_instance LIMIT 1")).one()
    for i in range(300):  # more agencies, as in a province
        people.create_agency(f"Đơn vị {i}")
    agency_ids = list(db.session.scalars(text("SELECT id FROM agency")))
    roles = ["officer", "agency_head", "appraiser", "approver", "coordinator"]
    batch = []
    for i in range(rows - have):
        open_ = i % 10 == 0  # one in ten still open, the rest history
        batch.append(dict(instance_id=inst_id, task_id=task_id, engine_task_id=f"b{i}", step_id="draft",
                          step_name="Xây dựng dự thảo", role=roles[i % len(roles)],
                          agency_id=agency_ids[i % len(agency_ids)], status="open" if open_ else "done",
                          decisions=["submit"], fields=[], created_at=datetime.utcnow()))
        if len(batch) == 5000:
            db.session.execute(insert(WorkItem.__table__), batch)
            batch = []
    if batch:
        db.session.execute(insert(WorkItem.__table__), batch)
    # a full page for the head: files of the tasks returned most often (their marks read every return of them)
    head = users["head"]
    returned = db.session.execute(
        select(ProcessInstance.id, ProcessInstance.task_id, func.min(AuditEvent.at))
        .join(AuditEvent, AuditEvent.task_id == ProcessInstance.task_id).where(AuditEvent.action == "return")
        .group_by(ProcessInstance.id, ProcessInstance.task_id)
        .order_by(func.count().desc()).limit(reads.PER_PAGE)).all()
    db.session.execute(insert(WorkItem.__table__), [  # made by each task's first return: every return since is read
        dict(instance_id=instance_id, task_id=returned_task, engine_task_id=f"h{instance_id}", step_id="signoff",
             step_name="Lãnh đạo đơn vị ký duyệt", role="agency_head", agency_id=head.agency_id, status="open",
             decisions=["approve", "return"], fields=[], created_at=first_return)
        for instance_id, returned_task, first_return in returned])
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    user = db.session.get(User, users["head"].id)
    timings, marks = [], []
    for _ in range(50):
        db.session.expire_all()
        start = time.perf_counter()
        page = reads.inbox(user)
        [(i.task.title, i.step_name) for i in page.items]
        before_marks = time.perf_counter()
        returned = reads.returned_items(page.items)  # (the page marks the work a return sent back, and sent again)
        task_page.resubmitted_items(page.items, returned)
        marks.append((time.perf_counter() - before_marks) * 1000)
        reads.inbox_count(user)
        timings.append((time.perf_counter() - start) * 1000)
    total = db.session.scalar(select(func.count()).select_from(WorkItem))
    return timings, marks, total


def run(label: str, url: str, n_tasks: int, rows: int) -> None:
    print(f"\n== {label}: {url.split('@')[-1]}")
    app, ctx, users = prepare(url)
    try:
        meter = Meter()
        start = time.perf_counter()
        samples, state = drive(users, meter, n_tasks)
        elapsed = time.perf_counter() - start
        timings = samples["total"]
        tasks = db.session.scalar(select(func.count()).select_from(Task).where(Task.state == "done"))
        print(f"full cycles: {tasks} tasks done, {len(timings)} work items completed in {elapsed:.1f} s")
        print(f"complete a work item (use case) : {fmt(timings)}   final state {state / 1024:.1f} KB")
        print(f"  of which inside the engine    : {fmt(samples['engine'])}")
        cold, _ = drive(users, meter, max(10, n_tasks // 10), cold=True)
        print(f"complete, no workflow kept      : {fmt(cold['total'])}   "
              f"(engine {statistics.median(cold['engine']):.2f} ms)")
        returned = {n: statistics.median(t) for n, t in after_returns(users, meter, (0, 5, 20),
                                                                        max(10, n_tasks // 5)).items()}
        for returns, median in returned.items():
            print(f"complete after {returns} returns{' ' * (2 - len(str(returns)))}       : median {median:.1f} ms")
        print(f"ratio 20 returns / 0 returns    : median {returned[20] / returned[0]:.2f}x   (target <= 1.2x)")
        bare = bare_sql(2000, state)
        print(f"same writes as bare SQL         : {fmt(bare)}")
        print(f"ratio use case / bare SQL       : median {statistics.median(timings) / statistics.median(bare):.1f}x")
        print(f"ratio use case / engine         : median "
              f"{statistics.median(timings) / statistics.median(samples['engine']):.1f}x")
        print(f"statements per complete         : median {statistics.median(samples['statements']):.0f}"
              f"   (cold: {statistics.median(cold['statements']):.0f})")
        inbox_t, marks_t, total = inbox(users, rows)
        print(f"inbox page + count, {total} work items in table: {fmt(inbox_t)}")
        print(f"  of which marks of returned work: {fmt(marks_t)}")  # (returned, and sent again)
    finally:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--inbox-rows", type=int, default=100_000)
    database_options(parser)
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    on_both_databases(run, args.pg, args.no_pg, args.tasks, args.inbox_rows, sqlite=not args.no_sqlite)


def on_both_databases(run, pg_url: str, no_pg: bool, *args, sqlite: bool = True) -> None:
    """``run(label, url, *args)`` on a temporary SQLite file (unless not ``sqlite``), then on PostgreSQL at
    ``pg_url`` (its database created if missing: ``bench_app``) unless ``no_pg`` or no server answers."""
    if sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite", f"sqlite:///{tmp}/bench.db", *args)
    if no_pg:
        return
    try:
        create_engine(make_url(pg_url).set(database="postgres")).connect().close()
    except Exception as exc:  # no server here: the SQLite figures only
        print(f"\nPostgreSQL not reachable ({exc.__class__.__name__}): skipped")
        return
    run("PostgreSQL", pg_url, *args)


if __name__ == "__main__":
    main()
