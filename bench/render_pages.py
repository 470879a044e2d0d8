"""Render every page of the demo province, for every demo role, into a folder (a refactoring check).

    python bench/render_pages.py OUT_DIR

The demo is seeded on a fresh SQLite file under a frozen clock (05/12/2026 10:00 in Hà Nội), so two runs of
the same code write the same bytes. Run it before and after a change that must not change what users see,
then ``diff -r BEFORE AFTER``. CSRF is off (no random tokens in the forms); the exports are written as text
(every cell of the .xlsx, every paragraph and table cell of the .docx).
"""

from __future__ import annotations

import io
import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MOMENT = datetime(2026, 12, 5, 3, 0)  # naive UTC: 10:00 in Hà Nội
FIXTURES = ROOT / "tests" / "fixtures"
CSRF = re.compile(rb'name="csrf_token" value="[^"]*"')  # the logout form's token is made even with CSRF off


def _text_of_xlsx(content: bytes) -> str:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(content))
    lines = []
    for sheet in book.worksheets:
        lines.append(f"== {sheet.title}")
        for row in sheet.iter_rows(values_only=True):
            lines.append("\t".join("" if v is None else str(v) for v in row))
    return "\n".join(lines)


def _text_of_docx(content: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(content))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(c.text for c in row.cells))
    return "\n".join(lines)


def _pages(client, role: str, ids: dict) -> list[str]:
    pages = ["/", "/inbox", "/tasks", "/tasks?page=2", "/tasks?status=overdue", "/tasks?q=so+noi+vu",
             "/notifications", "/indicators", "/tasks/new", "/imports", "/dashboard", "/dashboard?sort=agency",
             "/dashboard?period=2026", "/exports", "/exports/week", "/reports", "/admin/models", "/admin/holidays",
             "/admin/mail", "/api/v1/inbox", "/api/v1/tasks", "/inbox?lang=en", "/dashboard?lang=en"]
    pages += [f"/tasks/{i}" for i in ids["tasks"]]
    pages += [f"/tasks/{i}/diagram.svg" for i in ids["tasks"][:8]]
    pages += [f"/api/v1/tasks/{i}" for i in ids["tasks"][:8]]
    pages += [f"/indicators/groups/{k}" for k in ids["groups"]] + [f"/indicators/{i}" for i in ids["indicators"]]
    pages += [f"/admin/models/{p}" for p in ids["processes"]]
    pages += [f"/admin/models/versions/{i}/diagram" for i in ids["models"]]
    pages += [f"/imports/{i}" for i in ids["batches"]]
    pages += ["/exports/register.xlsx", "/exports/report.docx?period=2026-11", "/exports/week.docx"]
    return pages


def main(out: Path) -> None:
    from app import create_app
    from models import Indicator, ProcessModel, Task, User, db
    from workflows import clock

    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'pages.db'}", "UPLOAD_FOLDER": str(tmp / "up"),
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SHOW_DEMO_ACCOUNTS": True,
                      "DEPLOY_MODELS_ON_START": False, "SECRET_KEY": "pages"})
    runner = app.test_cli_runner()
    for command in (["init-db"], ["seed-demo"], ["generate-reports"], ["run-timers"]):
        clock.set_clock(clock.FrozenClock(MOMENT))  # (seed-demo sets the clock back to the system's)
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    clock.set_clock(clock.FrozenClock(MOMENT))
    with app.app_context():
        coordinator = app.test_client()
        coordinator.post("/login", data={"username": "dieuphoi", "password": "demo1234"})
        for name in ("000_ab3eae2516c89758.txt", "003_14d8a83fabc51ce7.txt"):
            coordinator.post("/imports", data={"file": (io.BytesIO((FIXTURES / name).read_bytes()), name)},
                             content_type="multipart/form-data")
        from models import ImportBatch

        ids = {
            "tasks": list(db.session.scalars(db.select(Task.id).order_by(Task.id))),
            "groups": sorted({g for g, in db.session.execute(
                db.select(db.func.min(Indicator.id)).group_by(Indicator.directive_id, Indicator.group))}),
            "indicators": list(db.session.scalars(db.select(Indicator.id).order_by(Indicator.id).limit(5))),
            "processes": list(dict.fromkeys(db.session.scalars(db.select(ProcessModel.process_id)))),
            "models": list(db.session.scalars(db.select(ProcessModel.id))),
            "batches": list(db.session.scalars(db.select(ImportBatch.id))),
        }
        users = list(db.session.scalars(db.select(User.username).order_by(User.id)))
    roles = ["dieuphoi", "chuyenvien", "lanhdao", "thamdinh", "pheduyet", "theodoi", "quantri"]
    roles += [u for u in users if u.startswith(("cv.", "ld."))][:4]
    count = 0
    with app.app_context():
        for username in [None, *roles]:
            client = app.test_client()
            if username:
                client.post("/login", data={"username": username, "password": "demo1234"})
            folder = out / (username or "anonymous")
            folder.mkdir(exist_ok=True)
            for page in (_pages(client, username, ids) if username else ["/login", "/healthz"]):
                response = client.get(page)
                body = response.data
                if page.endswith(".xlsx") and response.status_code == 200:
                    body = _text_of_xlsx(body).encode()
                elif page.endswith(".docx") or ".docx?" in page:
                    body = _text_of_docx(body).encode() if response.status_code == 200 else body
                body = CSRF.sub(b'name="csrf_token" value="-"', body)
                name = re.sub(r"[^\w.-]+", "_", page.strip("/")) or "root"
                (folder / f"{name}.txt").write_bytes(f"{response.status_code}\n".encode() + body)
                count += 1
    print(f"{count} pages written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
