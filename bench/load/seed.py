"""Seed the load-test database: 10 agencies of 4 officers and a head each, the coordinating, appraising
and approving agencies, and tasks already assigned to the officers (so they open at "Xây dựng dự thảo").
The officers draft and finalise, their head signs off (or returns), and the file then waits for appraisal.
Beside them, 200 officials of one more agency who only sign in (all at once, from one address: a province
behind one NAT at 8 am).

Run by ``bench/load/run.py`` with DATABASE_URL pointing at the fresh ``load`` database.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

PASSWORD = "tai-thu-1234"
SIGN_IN_AGENCY = "Văn phòng Thử tải đăng nhập"
SUPPORT = {"Sở Khoa học và Công nghệ": "coordinator", "Sở Tư pháp": "appraiser", "Sở Nội vụ": "appraiser",
           "UBND tỉnh": "approver"}


def user_names(agencies: int, officers: int) -> list[str]:
    """Each agency's head, then its officers, agency by agency (so any prefix mixes both roles)."""
    return [name for a in range(1, agencies + 1)
            for name in [f"ld{a:02d}"] + [f"cv{a:02d}.{o}" for o in range(1, officers + 1)]]


def sign_in_names(count: int) -> list[str]:
    """The officials who only sign in, in the load test's first phase."""
    return [f"nat{n:03d}" for n in range(1, count + 1)]


def seed(agencies: int, officers: int, tasks: int, sign_ins: int = 200) -> None:
    from sqlalchemy import select

    from app import create_app
    from models import WorkItem, db
    from workflows.accounts import people
    from workflows.tasks import create, work


    app = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:20000"})  # logins stay cheap under load
    with app.app_context():
        people.ensure_agencies(list(SUPPORT))  # init-db may have added those the processes name
        for i, (name, role) in enumerate(SUPPORT.items()):
            people.create_user(f"u{i}.{role}", PASSWORD, name, [role], full_name=f"Cán bộ {name}")
        coord = people.create_user("dieuphoi", PASSWORD, "Sở Khoa học và Công nghệ", ["coordinator"],
                                   full_name="Tổ giúp việc")
        heads, staff = {}, {}
        for a in range(1, agencies + 1):
            name = f"Sở Thử tải {a:02d}"
            people.create_agency(name)
            heads[name] = people.create_user(f"ld{a:02d}", PASSWORD, name, ["agency_head"],
                                             full_name=f"Lãnh đạo {a:02d}")
            staff[name] = [people.create_user(f"cv{a:02d}.{o}", PASSWORD, name, ["officer"],
                                              full_name=f"Chuyên viên {a:02d}.{o}").username
                           for o in range(1, officers + 1)]
        people.create_agency(SIGN_IN_AGENCY)
        for name in sign_in_names(sign_ins):
            people.create_user(name, PASSWORD, SIGN_IN_AGENCY, ["officer"], full_name=f"Cán bộ {name}")
        names = list(heads)
        started = time.perf_counter()
        for n in range(tasks):
            lead = names[n % len(names)]
            task = create.create_task(coord, title=f"Nhiệm vụ thử tải số {n + 1}: xây dựng kế hoạch", lead_agency=lead,
                                     output_type="plan", collaborating_agencies=[], due_date=date(2027, 6, 30))
            item = db.session.scalar(select(WorkItem).where(WorkItem.task_id == task.id, WorkItem.status == "open"))
            officer = staff[lead][(n // len(names)) % officers]
            work.complete(item.id, heads[lead], "submit", None, {"assignee": officer})
            if (n + 1) % 100 == 0:
                print(f"  {n + 1} tasks seeded ({time.perf_counter() - started:.0f} s)", flush=True)
        db.engine.dispose()
    vacuum(app.config["SQLALCHEMY_DATABASE_URI"])


def vacuum(url: str) -> None:
    """VACUUM ANALYZE, as autovacuum does in production after a bulk load and every minute under writes.
    The PostgreSQL server of this machine runs with autovacuum off; without this the run measures bloat
    (every step rewrites a 28 KB engine state row) and plans made on empty-table statistics."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agencies", type=int, default=10)
    parser.add_argument("--officers", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=1500)
    parser.add_argument("--sign-ins", type=int, default=200, help="officials who only sign in")
    args = parser.parse_args()
    seed(args.agencies, args.officers, args.tasks, args.sign_ins)
