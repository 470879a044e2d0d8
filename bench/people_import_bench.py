"""Benchmark: a province's officers imported from one sheet ("Người dùng → Nhập từ tệp Excel"), through the real use
case (``people_import.preview`` then ``commit``: every account with its temporary password, one transaction), with
the production password hashing (``PASSWORD_HASH_METHOD`` scrypt). An outside check imported 489 officers (three
for each of 163 communes) in 66 s, past the server's 60 s request limit (gunicorn.conf.py).

    python bench/people_import_bench.py [--rows 489] [--pg URL | --no-pg]

Prints the figures, and the cost of one hash at the full and at the temporary password's cost; asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from bench.cycle_bench import bench_app, database_options, on_both_databases  # noqa: E402
from models import User, db  # noqa: E402
from workflows.accounts import people, people_import, signin  # noqa: E402


def sheet(rows: int) -> bytes:
    """Three people per commune: an officer, a second officer, the head."""
    book = Workbook()
    page = book.active
    page.append(["Tên đăng nhập", "Họ và tên", "Đơn vị", "Vai trò", "Email"])
    for n in range(rows):
        commune, which = divmod(n, 3)
        page.append([f"xa{commune:03d}.{which}", f"Cán bộ {n}", f"UBND xã Thử nghiệm {commune:03d}",
                     "Lãnh đạo đơn vị" if which == 2 else "Chuyên viên", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def hash_cost(method: str, n: int = 10) -> float:
    start = time.perf_counter()
    for _ in range(n):
        generate_password_hash("abcd-efgh-jkmn", method=method)
    return (time.perf_counter() - start) / n * 1000


def run(label: str, url: str, rows: int) -> None:
    print(f"\n== {label}: {url.split('@')[-1]}")
    app = bench_app(url)
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"  # as in production (bench_app makes it fast for the others)
    with app.app_context():
        for commune in range((rows + 2) // 3):
            people.create_agency(f"UBND xã Thử nghiệm {commune:03d}", kind="commune")
        admin = people.create_user("quantri", "bench-password", None, ["admin"])
        data = sheet(rows)
        start = time.perf_counter()
        checked = people_import.preview(admin, data)
        previewed = time.perf_counter() - start
        start = time.perf_counter()
        issued = people_import.commit(admin, checked, "can-bo.xlsx")
        committed = time.perf_counter() - start
        assert len(issued) == rows and db.session.query(User).count() == rows + 1
        print(f"{rows} people: preview {previewed:.2f} s, commit {committed:.2f} s "
              f"(the server's request limit: 60 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=489)
    database_options(parser)
    args = parser.parse_args()
    full, temporary = hash_cost("scrypt"), hash_cost(signin.TEMPORARY_HASH_METHOD)
    print(f"one password hash: full cost (scrypt) {full:.1f} ms, a temporary password's "
          f"({signin.TEMPORARY_HASH_METHOD}) {temporary:.1f} ms, ratio {full / temporary:.1f}x")
    on_both_databases(run, args.pg, args.no_pg, args.rows)


if __name__ == "__main__":
    main()
