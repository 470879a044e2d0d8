"""Benchmark: tasks owed by a group (issue 18). A province of 20 departments and 166 communes, the group
"UBND các xã, phường"; through the real use case (``create.create_task``: every member's task with its process
started, one transaction):

1. one task fanned out to the 166 communes, committed — target under 3 s on SQLite;
2. 300 tasks of which 40 fan out to the 166 communes (about 6,900 tasks and their instances), then the
   coordinator's dashboard (target under 300 ms) and a commune officer's inbox (under 50 ms), through the Flask
   test client.

    python bench/fanout_bench.py [--runs 20] [--pg URL | --no-pg] [--parents 300 --fanned 40]

Prints the figures; asserts nothing. PostgreSQL runs with autovacuum off here: the tables are analysed after the
seeding, as autovacuum would.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402

from bench.cycle_bench import bench_app, database_options, fmt, on_both_databases  # noqa: E402
from models import ProcessInstance, Task, User, db  # noqa: E402
from workflows import holidays  # noqa: E402
from workflows.accounts import groups, people  # noqa: E402
from workflows.process import catalog  # noqa: E402
from workflows.tasks import create  # noqa: E402

GROUP = "UBND các xã, phường"
DEPARTMENTS = ["Sở Khoa học và Công nghệ", "UBND tỉnh", "Sở Tư pháp", "Sở Nội vụ", "Sở Tài chính"] + [
    f"Sở thử nghiệm {n:02d}" for n in range(1, 16)]
COMMUNES = [f"UBND xã Thử nghiệm {n:03d}" for n in range(1, 167)]


def province() -> dict:
    holidays.ensure_defaults()
    for name in DEPARTMENTS + COMMUNES:
        people.create_agency(name)
    groups.create_group(None, GROUP, COMMUNES)
    coord = people.create_user("coord", "bench-password", DEPARTMENTS[0], ["coordinator"])
    officer = people.create_user("xa001", "bench-password", COMMUNES[0], ["officer", "agency_head"])
    return {"coord": coord.id, "coord_session": coord.get_id(), "officer_session": officer.get_id()}


def assign(coord, lead: str, n: int):
    return create.create_task(coord, title=f"Nhiệm vụ thử nghiệm số {n}", lead_agency=lead, output_type="report",
                              due_date=date(2027, 6, 30), duplicate_ok=True)


def run(label: str, url: str, runs: int, parents: int, fanned: int) -> None:
    print(f"\n== {label}: {url.split('@')[-1]}")
    app = bench_app(url)
    with app.app_context():
        catalog.deploy()
        ids = province()
        coord = db.session.get(User, ids["coord"])
        single = []
        for n in range(2):  # the first pays the cold caches (process specs, registry): both shown
            start = time.perf_counter()
            assign(coord, GROUP, n)
            single.append(time.perf_counter() - start)
        print(f"one task fanned out to {len(COMMUNES)} communes, committed: first {single[0]:.2f} s, "
              f"second {single[1]:.2f} s (target < 3 s)")
        start = time.perf_counter()
        for n in range(2, parents):
            assign(coord, GROUP if n < fanned else DEPARTMENTS[n % len(DEPARTMENTS)], n)
        tasks = db.session.scalar(select(func.count()).select_from(Task))
        instances = db.session.scalar(select(func.count()).select_from(ProcessInstance))
        print(f"seeded {parents} tasks ({fanned} fanned out) in {time.perf_counter() - start:.0f} s: "
              f"{tasks} task rows, {instances} process instances")
        if db.engine.dialect.name == "postgresql":
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        db.session.remove()
    for who, path, target in (("coord", "/dashboard", "300"), ("officer", "/inbox", "50")):  # signed in
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = ids[f"{who}_session"]
            session["_fresh"] = True
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            client.get(path)
            timings.append((time.perf_counter() - start) * 1000)
        print(f"{who:>8} {path:<12}: {fmt(timings)}   (target < {target} ms; {len(response.data) / 1024:.0f} KB)")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--parents", type=int, default=300)
    parser.add_argument("--fanned", type=int, default=40)
    database_options(parser)
    args = parser.parse_args()
    on_both_databases(run, args.pg, args.no_pg, args.runs, args.parents, args.fanned)


if __name__ == "__main__":
    main()
