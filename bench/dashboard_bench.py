"""Benchmark: the “Theo dõi tiến độ” page and its step board query, on SQLite and PostgreSQL.

    python bench/dashboard_bench.py [--tasks 10000] [--events 100000] [--pg URL | --no-pg]

Seeds, with bulk INSERTs (this measures reads, not writes): a province of 120 agencies, N tasks in
every status across them, the open work items N tasks at various steps would have (one per task,
two or three at the collaborators' opinion step), three times as many finished items as history,
and the audit events. Then times the whole page through the Flask test client, logged in as a
coordinator (unfiltered and filtered), and each query alone. Prints figures only; nothing is
asserted. Targets: page < 300 ms, step board < 100 ms.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text  # noqa: E402

from bench.cycle_bench import bench_app, database_options, fmt, on_both_databases  # noqa: E402
from models import (  # noqa: E402
    OUTPUT_TYPES,
    Agency,
    AuditEvent,
    Directive,
    ProcessInstance,
    ProcessModel,
    Task,
    WorkItem,
    db,
)
from workflows import clock, settings  # noqa: E402
from workflows.accounts import people  # noqa: E402
from workflows.process import catalog  # noqa: E402
from workflows.reporting import progress  # noqa: E402
from workflows.tasks import scope  # noqa: E402

COORDINATING = "Sở Khoa học và Công nghệ"
# (step id, step name, role, whose agency): lead, collaborators, or a fixed agency
STEPS = [
    ("assign", "Phân công chuyên viên", "agency_head", "lead"),
    ("draft", "Xây dựng dự thảo", "officer", "lead"),
    ("give_opinion", "Góp ý dự thảo", "officer", "collaborators"),
    ("sign_opinion", "Lãnh đạo ký văn bản góp ý", "agency_head", "collaborators"),
    ("finalise", "Hoàn thiện dự thảo", "officer", "lead"),
    ("signoff", "Lãnh đạo đơn vị ký duyệt", "agency_head", "lead"),
    ("appraise", "Thẩm định", "appraiser", "Sở Tư pháp"),
    ("approve", "Phê duyệt", "approver", "UBND tỉnh"),
    ("report", "Báo cáo kết quả", "officer", "lead"),
    ("confirm", "Xác nhận hoàn thành", "coordinator", COORDINATING),
    ("review", "Tổ giúp việc xem xét đề nghị gia hạn", "coordinator", COORDINATING),
]
ACTIONS = ["create", "submit", "approve", "return", "remind", "escalate", "comment"]
BATCH = 5000


def bulk(table, rows: list[dict]) -> None:
    for i in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[i:i + BATCH])


def seed(n_tasks: int, n_events: int, rng: random.Random) -> dict:
    """The province and its tasks; returns the coordinator's id and a few ids to filter by."""
    catalog.deploy()
    for name in (COORDINATING, "Sở Tư pháp", "UBND tỉnh"):
        people.create_agency(name)
    for i in range(117):
        people.create_agency(f"Đơn vị số {i + 1:03d}")
    coord = people.create_user("coord", "bench-password", COORDINATING, ["coordinator"], full_name="Điều phối")
    agencies = {a.name: a.id for a in db.session.scalars(select(Agency))}
    agency_ids = list(agencies.values())
    model_id = db.session.scalar(select(ProcessModel.id).where(ProcessModel.process_id == "approval_cycle"))
    now = clock.now()
    today = clock.today()
    bulk(Directive.__table__, [dict(number=f"{100 + i}-KH/TU", issued_on=date(2025, 1 + i, 10), title=f"Kế hoạch {i}")
                               for i in range(6)])
    directive_ids = list(db.session.scalars(select(Directive.id)))
    sections = [f"{roman}. Nhóm nhiệm vụ {roman}" for roman in ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")]
    types = list(OUTPUT_TYPES)

    tasks = []
    for i in range(n_tasks):
        created = now - timedelta(days=rng.uniform(30, 400))
        ongoing = rng.random() < 0.06
        due = None if ongoing else today + timedelta(days=rng.randint(-200, 400))
        done = not ongoing and rng.random() < 0.3
        completed_on = (due + timedelta(days=rng.randint(-40, 30))) if done else None
        started = done or rng.random() < 0.7
        tasks.append(dict(
            code=f"NV-{i + 1:05d}", title=f"Nhiệm vụ thử số {i + 1}", kind="task",
            section=rng.choice(sections), directive_id=rng.choice(directive_ids),
            lead_agency_id=rng.choice(agency_ids), output_type=rng.choice(types),
            due_date=due, original_due=due, nominal_due=due, recurrence="ongoing" if ongoing else None,
            milestones=[], done_at_issue=False, state="done" if done else "active",
            started_at=created + timedelta(days=1) if started else None,
            completed_on=completed_on,
            completed_at=datetime.combine(completed_on, datetime.min.time()) if done else None,
            created_at=created, created_by_id=coord.id))
    bulk(Task.__table__, tasks)
    task_rows = db.session.execute(select(Task.id, Task.state, Task.lead_agency_id, Task.created_at)
                                   .order_by(Task.id)).all()
    bulk(ProcessInstance.__table__, [dict(task_id=t.id, process_model_id=model_id, state="{}",
                                          serializer_version="bench", status="running", kind="main", version=1,
                                          created_at=t.created_at, updated_at=t.created_at) for t in task_rows])
    instance_of = dict(db.session.execute(select(ProcessInstance.task_id, ProcessInstance.id)).all())

    def item(t, step, agency_id, status, created, completed=None):
        step_id, name, role, _ = step
        return dict(instance_id=instance_of[t.id], task_id=t.id, engine_task_id=f"e{t.id}-{rng.random():.9f}",
                    step_id=step_id, step_name=name, role=role, agency_id=agency_id, status=status,
                    decisions=["submit"], fields=[], created_at=created, completed_at=completed,
                    claimed_by_id=None, decision="submit" if status == "done" else None)

    items = []
    for t in task_rows:
        for _ in range(3):  # history: finished items
            created = t.created_at + timedelta(days=rng.uniform(0, 20))
            items.append(item(t, rng.choice(STEPS[:10]), t.lead_agency_id, "done", created,
                              created + timedelta(days=2)))
        if t.state == "done":
            continue
        step = rng.choices(STEPS, weights=[8, 14, 10, 4, 5, 8, 6, 6, 5, 4, 1])[0]
        waiting_since = now - timedelta(days=rng.expovariate(1 / 12))
        where = step[3]
        if where == "lead":
            items.append(item(t, step, t.lead_agency_id, "open", waiting_since))
        elif where == "collaborators":
            for agency_id in rng.sample(agency_ids, rng.randint(2, 3)):
                items.append(item(t, step, agency_id, "open", waiting_since))
        else:
            items.append(item(t, step, agencies[where], "open", waiting_since))
    bulk(WorkItem.__table__, items)
    task_ids = [t.id for t in task_rows]
    bulk(AuditEvent.__table__, [dict(at=now - timedelta(days=rng.uniform(0, 400)), actor_id=coord.id,
                                     task_id=rng.choice(task_ids), action=rng.choice(ACTIONS),
                                     from_step="Xây dựng dự thảo", to_step="Lãnh đạo đơn vị ký duyệt", data={})
                                for _ in range(n_events)])
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {"coord": coord.get_id(), "agency": agencies["Đơn vị số 007"], "directive": directive_ids[0]}


def timed(fn, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        db.session.expire_all()
        start = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def run(label: str, url: str, n_tasks: int, n_events: int, runs: int) -> None:
    print(f"\n== {label}: {url.split('@')[-1]}")
    app = bench_app(url)
    rng = random.Random(57)
    with app.app_context():
        start = time.perf_counter()
        ids = seed(n_tasks, n_events, rng)
        counts = {m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
                  for m in (Task, WorkItem, AuditEvent)}
        opened = db.session.scalar(select(func.count()).select_from(WorkItem).where(WorkItem.status == "open"))
        print(f"seeded in {time.perf_counter() - start:.1f} s: {counts['task']} tasks, {counts['work_item']} work "
              f"items ({opened} open), {counts['audit_event']} audit events")

    client = app.test_client()
    with client.session_transaction() as session:  # logged in as the coordinator
        session["_user_id"] = ids["coord"]  # "id:session secret", as Flask-Login keeps it
        session["_fresh"] = True
    pages = {
        "dashboard page (all tasks)": "/dashboard",
        "dashboard page (agency + year)": f"/dashboard?agency={ids['agency']}&period={clock.today().year}",
        "dashboard page (directive, sorted by name, page 3)":
            f"/dashboard?directive={ids['directive']}&sort=agency&dir=asc&page=3",
    }
    for name, path in pages.items():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            client.get(path)
            timings.append((time.perf_counter() - start) * 1000)
        print(f"{name:<52}: {fmt(timings)}   ({len(response.data) / 1024:.0f} KB)")

    with app.app_context():
        everything = scope.Filters()
        days = settings.stuck_days()
        queries = {
            "step board query": lambda: progress.step_board(everything),
            "status totals query": lambda: progress.status_totals(everything),
            "agency table query": lambda: progress.agency_table(everything),
            "stuck: one page of 25 + count": lambda: progress.stuck_page(everything, days).items,
            "stuck: the whole list (exports)": lambda: progress.stuck(everything, days),
        }
        for name, fn in queries.items():
            print(f"{name:<52}: {fmt(timed(fn, runs * 2))}")
        rows = progress.step_board(everything)
        print(f"  ({len(rows)} steps, {sum(r.waiting for r in rows)} items waiting; "
              f"{progress.stuck_count(everything, days)} stuck over {days} days)")
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    database_options(parser)
    args = parser.parse_args()
    on_both_databases(run, args.pg, args.no_pg, args.tasks, args.events, args.runs)


if __name__ == "__main__":
    main()
