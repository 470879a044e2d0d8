"""Benchmark: the task register (.xlsx) and the task list's export at a province's size after some years.

    python bench/export_bench.py [--tasks 5000] [--pg URL | --no-pg] [--no-sqlite]

Makes 100 tasks with the real use cases (some run through their cycle), then copies their rows to ``--tasks`` (as a
province's years of them), and times the register of every task, the task list's export and the statements each
sends; each twice. Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, func, select, text  # noqa: E402

from bench.cycle_bench import Meter, database_options, drive, new_task, on_both_databases, prepare, vacuum  # noqa: E402
from models import Task, db  # noqa: E402
from workflows.reporting import register  # noqa: E402
from workflows.tasks import reads, scope  # noqa: E402


def grow(target: int) -> int:
    """Copy the tasks' rows (and their collaborators) until there are ``target``; the copies' codes are new."""
    have = db.session.scalar(select(func.count()).select_from(Task))
    unique = {c.name for c in Task.__table__.columns if c.unique or c.primary_key} | {"code"}
    columns = ", ".join(f'"{c.name}"' for c in Task.__table__.columns if c.name not in unique)
    while have < target:
        shift = db.session.scalar(select(func.max(Task.id)))  # (codes unlike any copied before)
        db.session.execute(text(f"INSERT INTO task ({columns}, code) SELECT {columns}, 'NV-X' || (id + :shift) "
                                f"FROM task ORDER BY id LIMIT :n"), {"n": target - have, "shift": shift})
        have = db.session.scalar(select(func.count()).select_from(Task))
    db.session.execute(text("UPDATE task SET code = 'NV-' || id WHERE code LIKE 'NV-X%'"))
    db.session.commit()
    vacuum()
    return have


def timed(label: str, make, runs: int = 2) -> None:
    statements = [0]

    def count(*_args) -> None:
        statements[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    times, size = [], 0
    try:
        for _ in range(runs):
            statements[0] = 0
            db.session.expire_all()
            start = time.perf_counter()
            size = len(make())
            times.append(time.perf_counter() - start)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    print(f"{label:<34}: {' / '.join(f'{t:6.2f} s' for t in times)}   median {statistics.median(times):.2f} s"
          f"   {statements[0]} statements   {size / 1024:.0f} KB")


def run(label: str, url: str, n_tasks: int) -> None:
    print(f"\n== {label}: {url.split('@')[-1]}")
    app, ctx, users = prepare(url)
    try:
        drive(users, Meter(), 20)  # tasks with a history (done, with their steps)
        for i in range(80):
            new_task(users, f"Nhiệm vụ đang làm {i}")
        total = grow(n_tasks)
        print(f"tasks: {total}")
        coord = users["coord"]
        timed("register of every task (.xlsx)", lambda: register.register_xlsx(coord, scope.Filters()))
        timed("task list export (.xlsx)", lambda: register.list_file(coord, reads.TaskFilters(), [], date.today()).data)
    finally:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=5000)
    database_options(parser)
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    on_both_databases(run, args.pg, args.no_pg, args.tasks, sqlite=not args.no_sqlite)


if __name__ == "__main__":
    main()
