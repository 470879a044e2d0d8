"""Security review, point 6 (issue 14): a restore that trusted its archive, zip bombs, input that overflowed the
database or Python's recursion, a full disk during a step, and a database that is down. Each test reproduces
what the review found."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import logging
import os
import shutil
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from models import AgencyReview, Attachment, AuditEvent, WorkItem, db
from tests.conftest import act, item_at, new_task
from tests.test_backup import seed, snapshot, wipe
from workflows.importing import file_formats, pipeline
from workflows.importing.parsed import ImportFormatError
from workflows.ops import backup as backups
from workflows.tasks import files

BIG = 2**70  # beyond 64 bits: SQLite overflows (PostgreSQL already past 2**31)


def text(response) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- restore trusts the archive

@pytest.fixture
def archive(app, world, frozen, tmp_path):
    seed(world)
    db.session.commit()
    path = tmp_path / "sao-luu.zip"
    result = app.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    yield path, result.output
    for file in Path(app.config["UPLOAD_FOLDER"]).iterdir():  # the folder outlives the test's database
        file.unlink()


def rewrite(path: Path, target: Path, change=None, add: dict | None = None, drop: str | None = None,
            fix_digests: bool = True) -> Path:
    """A copy of the archive with entries changed (``change(name, content) -> content``), added or dropped; with
    ``fix_digests`` the manifest's sha256 are recomputed, as someone forging an archive would."""
    with zipfile.ZipFile(path) as source:
        entries = {i.filename: source.read(i) for i in source.infolist()}
    manifest = json.loads(entries.pop("manifest.json"))
    entries = {n: (change(n, c) if change else c) for n, c in entries.items() if n != drop}
    entries.update(add or {})
    if fix_digests:
        manifest["sha256"] = {n: hashlib.sha256(c).hexdigest() for n, c in entries.items()}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, content in entries.items():
            out.writestr(name, content)
        out.writestr("manifest.json", json.dumps(manifest))
    return target


def with_stored_name(stored_name: str):
    def change(name, content):
        if name != "tables/attachment.jsonl":
            return content
        rows = [json.loads(line) for line in content.splitlines()]
        for row in rows:
            row["stored_name"] = stored_name
        return b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    return change


@pytest.mark.parametrize("stored_name", ["/etc/passwd", "../../etc/hostname", "ABC/../x", "a" * 31 + "\x00"])
def test_a_restored_attachment_cannot_point_outside_the_upload_folder(app, archive, tmp_path, stored_name):
    path, _output = archive
    forged = rewrite(path, tmp_path / "gia-mao.zip", change=with_stored_name(stored_name))
    wipe(app)

    result = app.test_cli_runner().invoke(args=["restore", str(forged)])

    assert result.exit_code != 0
    assert "bảng attachment" in result.output and "không do hệ thống đặt" in result.output
    assert snapshot()["tasks"] == [] and snapshot()["attachments"] == []  # nothing of it was written


def test_an_attachment_row_naming_another_file_is_never_served(app, world, browser):
    """Whatever put it there (an older restore, a hand edit), a row naming /etc/passwd downloads nothing."""
    task = act(world, new_task(world, collaborators=()), "assign")
    for stored_name in ("/etc/passwd", "../../../../etc/hostname"):
        row = Attachment(task_id=task.id, field="draft_file", version=1, filename="du-thao.txt",
                         stored_name=stored_name, sha256="0" * 64, size=1, uploaded_by_id=world["officer"].id)
        db.session.add(row)
        db.session.commit()
        browser.login("officer")

        r = browser.client.get(f"/attachments/{row.id}")

        assert r.status_code == 404 and "root:" not in text(r)
        db.session.delete(row)
        db.session.commit()


def test_a_tampered_archive_is_refused_before_anything_is_written(app, archive, tmp_path):
    path, _output = archive

    def retitle(name, content):
        return content.replace("Báo cáo sơ kết".encode(), "Báo cáo đã sửa".encode()) if "task." in name else content
    edited = rewrite(path, tmp_path / "sua.zip", change=retitle, fix_digests=False)
    extra = rewrite(path, tmp_path / "them.zip", add={"uploads/" + "f" * 32: b"#!/bin/sh"}, fix_digests=False)
    fewer = rewrite(path, tmp_path / "bot.zip", drop="tables/audit_event.jsonl", fix_digests=False)
    wipe(app)
    runner = app.test_cli_runner()

    for forged, words in ((edited, "tables/task.jsonl"), (extra, "uploads/ffff"), (fewer, "audit_event")):
        result = runner.invoke(args=["restore", str(forged)])
        assert result.exit_code != 0 and "đã bị thay đổi" in result.output and words in result.output, result.output
        assert snapshot()["tasks"] == []
    assert list(Path(app.config["UPLOAD_FOLDER"]).iterdir()) == []


def test_every_entry_and_the_whole_file_have_a_digest_checked_at_restore(app, archive):
    path, output = archive
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("manifest.json"))
        assert set(manifest["sha256"]) == set(z.namelist()) - {"manifest.json"}
        assert all(hashlib.sha256(z.read(n)).hexdigest() == d for n, d in manifest["sha256"].items())
    assert "SHA-256 của tệp: " in output  # the whole file's digest, to keep elsewhere
    digest = output.split("SHA-256 của tệp: ")[1].split()[0]
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    wipe(app)
    runner = app.test_cli_runner()

    refused = runner.invoke(args=["restore", str(path), "--sha256", "0" * 64])
    assert refused.exit_code != 0 and "không khớp" in refused.output and snapshot()["tasks"] == []
    restored = runner.invoke(args=["restore", str(path), "--sha256", digest])
    assert restored.exit_code == 0, restored.output and len(snapshot()["tasks"]) == 3


def test_restore_and_upload_agree_on_what_a_stored_name_is():
    # backup.py (ops) may not import files.py (tasks): the form is written twice and kept equal here
    assert backups.STORED_NAME.pattern == files.STORED_NAME.pattern


# ---------------------------------------------------------------- zip bombs

ZEROS_MB = 100


@pytest.fixture(scope="module")
def docx_bomb() -> bytes:
    """A .docx of about 100 KB whose document.xml inflates to 100 MB of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with z.open("word/document.xml", "w") as part:
            for _ in range(ZEROS_MB):
                part.write(bytes(1024 * 1024))
    return buf.getvalue()


def test_an_uploaded_docx_bomb_is_refused_without_inflating_it(app, world, browser, docx_bomb):
    assert len(docx_bomb) < 200_000
    browser.login("coord")
    token = browser.csrf("/imports")
    tracemalloc.start()
    try:
        r = browser.client.post("/imports", data={"csrf_token": token,
                                                  "file": (io.BytesIO(docx_bomb), "danh-muc.docx")},
                                content_type="multipart/form-data")
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert r.status_code == 422 and "bom nén" in text(r)
    assert peak < 20 * 1024 * 1024, f"{peak / 1e6:.0f} MB allocated: the file was inflated"


def test_an_xlsx_bomb_is_refused_too():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", bytes(5 * 1024 * 1024))  # 5 MB of zeros: a ratio of 1,000

    with pytest.raises(ImportFormatError, match="bom nén"):
        file_formats.xlsx_items(buf.getvalue())


def test_a_backup_bomb_is_refused_before_it_is_read(app, archive, tmp_path, monkeypatch):
    path, _output = archive
    bomb = tmp_path / "bom.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as out:
        manifest = json.loads(source.read("manifest.json"))
        for info in source.infolist():
            if info.filename != "manifest.json":
                out.writestr(info.filename, source.read(info))
        with out.open("uploads/" + "e" * 32, "w") as part:
            for _ in range(ZEROS_MB):
                part.write(bytes(1024 * 1024))
        zeros = hashlib.sha256(bytes(ZEROS_MB * 1024 * 1024)).hexdigest()
        manifest.setdefault("sha256", {})["uploads/" + "e" * 32] = zeros  # as honest as the rest
        out.writestr("manifest.json", json.dumps(manifest))
    wipe(app)
    opened = []
    zip_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, name, *a, **kw: (
        opened.append(getattr(name, "filename", name)), zip_open(self, name, *a, **kw))[1])

    result = app.test_cli_runner().invoke(args=["restore", str(bomb)])

    assert result.exit_code != 0 and "bom nén" in result.output and "uploads/eeee" in result.output
    assert "uploads/" + "e" * 32 not in opened  # refused on the sizes the zip declares, not after inflating
    assert snapshot()["tasks"] == [] and list(Path(app.config["UPLOAD_FOLDER"]).iterdir()) == []


# ---------------------------------------------------------------- numbers and JSON the database or Python cannot hold

@pytest.mark.parametrize(("user", "url"), [
    ("coord", f"/tasks?agency={BIG}&page={BIG}"),
    ("coord", f"/tasks?scope=dashboard&lead={BIG}"),
    ("coord", f"/tasks?scope=dashboard&directive={BIG}"),
    ("coord", f"/dashboard?agency={BIG}"),
    ("coord", f"/dashboard?directive={BIG}&page={BIG}"),
    ("coord", f"/exports?directive={BIG}"),
    ("coord", "/exports?agency=1_000_000_000_000_000_000_000"),  # int() reads it: so would the read model
    ("admin", f"/admin/holidays?year={BIG}"),
    ("admin", "/admin/holidays?year=99999999"),
])
def test_numbers_beyond_the_database_are_ignored_filters(world, browser, user, url):
    browser.login(user)
    r = browser.client.get(url)
    assert r.status_code == 200, (url, r.status_code)


def test_an_ignored_filter_says_so(world, browser):
    browser.login("coord")
    assert "bộ lọc này được bỏ qua" in text(browser.client.get(f"/dashboard?agency={BIG}"))
    r = browser.client.get(f"/exports/register.xlsx?agency={BIG}")
    assert r.status_code == 302 and "/exports" in r.headers["Location"]  # back to the form, with the reason


@pytest.mark.parametrize("path", [f"/tasks/{BIG}", f"/tasks/{BIG}/diagram.svg", f"/attachments/{BIG}",
                                  f"/indicators/{BIG}", f"/imports/{BIG}", f"/admin/models/versions/{BIG}/diagram"])
def test_ids_beyond_the_database_in_an_address_are_not_found(world, browser, path):
    browser.login("admin")
    assert browser.client.get(path).status_code == 404


def test_an_agency_id_beyond_the_database_in_a_form_is_refused(app, world, browser):
    coord = world["coord"]
    table = ("STT\tTên nhiệm vụ\tĐơn vị chủ trì\tThời gian hoàn thành\tKết quả/sản phẩm\n"
             "1\tXây dựng kế hoạch thử\tBan Không Có Thật\tQuý II năm 2026\tKế hoạch\n")
    batch = pipeline.preview(coord, "thu.txt", table.encode())
    review = db.session.scalars(select(AgencyReview).where(AgencyReview.status == "open")).first()
    browser.login("coord")
    r = browser.client.post(f"/imports/{batch.id}/reviews/{review.id}",
                            data={"csrf_token": browser.csrf(f"/imports/{batch.id}"), "agency_id": str(BIG)})
    assert r.status_code == 302
    assert db.session.get(AgencyReview, review.id).status == "open"


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("depth", [100_000, 500, 33])
def test_deeply_nested_json_is_a_400_in_vietnamese(api, world, depth):
    coord = api.token("coord")
    body = '{"username": ' + "[" * depth + "]" * depth + ', "password": "x"}'
    for url, headers in (("/api/v1/token", {}), ("/api/v1/tasks", coord)):
        r = api.post(url, data=body, content_type="application/json", headers=headers)
        assert r.status_code == 400, (url, depth, r.status_code)
        assert "JSON không hợp lệ" in r.get_json()["error"]
    r = api.post("/api/v1/tasks", data=DEEP, content_type="application/json", headers=coord)
    assert r.status_code == 400 and r.is_json


def test_broken_json_is_a_400_and_json_that_is_not_an_object_a_422(api, world):
    coord = api.token("coord")
    r = api.post("/api/v1/tasks", data='{"title": ', content_type="application/json", headers=coord)
    assert r.status_code == 400 and "JSON không hợp lệ" in r.get_json()["error"]
    r = api.post("/api/v1/tasks?lang=en", data="{", content_type="application/json", headers=coord)
    assert r.status_code == 400 and "JSON" in r.get_json()["error"] and "không" not in r.get_json()["error"]
    assert api.post("/api/v1/tasks", json=[1], headers=coord).status_code == 422
    assert api.post("/api/v1/token", data="x").status_code == 422  # not sent as JSON at all


@pytest.mark.parametrize("body", ['{"username": "\\ud800", "password": "x"}',
                                  '{"username": "coord", "password": "\\udfff"}',
                                  '{"\\udc00": 1}'])
def test_json_text_no_utf8_can_hold_is_a_400_even_before_signing_in(api, world, body):
    """Half of a surrogate pair passes JSON and fails in the database: a 500 for anyone, without a token."""
    r = api.post("/api/v1/token", data=body, content_type="application/json")
    assert r.status_code == 400 and "JSON không hợp lệ" in r.get_json()["error"]
    coord = api.token("coord")
    task = new_task(world, collaborators=())
    for url in ("/api/v1/tasks", f"/api/v1/tasks/{task.id}/comments"):
        r = api.post(url, data='{"title": "x\\ud800", "body": "x\\ud800"}', content_type="application/json",
                     headers=coord)
        assert r.status_code == 400, (url, r.status_code)


def test_ids_beyond_the_database_in_posted_forms_are_refused_not_500(world, browser):
    task = new_task(world, collaborators=())
    browser.login("coord")
    token = browser.csrf(f"/tasks/{task.id}")
    r = browser.client.post(f"/tasks/{task.id}/comments", data={
        "comment-csrf_token": token, "csrf_token": token, "comment-body": "Nhắc đơn vị", "comment-mentions": str(BIG)})
    assert r.status_code in (302, 422), r.status_code
    r = browser.client.post("/exports/report.docx", data={
        "csrf_token": browser.csrf("/exports"), "period": "2026-12", "signer_authority": "GIÁM ĐỐC",
        "recipients": "Như trên", "agency": str(BIG)})
    assert r.status_code in (200, 302), r.status_code
    browser.login("admin")
    for rows in ('[{"line": [1]}]', '[{"line": 1e400}]', '[{"line": {"a": 1}}]', '[{"line": 99999999999999999999}]'):
        r = browser.client.post("/admin/users/import", data={"csrf_token": browser.csrf("/admin/users/import"),
                                                             "rows": rows})
        assert r.status_code < 500, (rows, r.status_code)


# ---------------------------------------------------------------- a full disk during a step with a file

def fill_the_disk_after(monkeypatch, folder: Path, written: int):
    """os.write into the upload folder writes ``written`` bytes, then fails as a full disk does."""
    real_write = os.write

    def write(fd, data):
        if not os.readlink(f"/proc/self/fd/{fd}").startswith(str(folder)):
            return real_write(fd, data)
        if write.left <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        done = real_write(fd, bytes(data[:write.left]))
        write.left -= done
        return done
    write.left = written
    monkeypatch.setattr(os, "write", write)


def test_a_full_disk_during_a_step_leaves_nothing_behind(app, world, browser, monkeypatch):
    task = act(world, new_task(world, collaborators=()), "assign")
    item = item_at(task, "draft")
    folder = Path(app.config["UPLOAD_FOLDER"])
    before = (sorted(folder.iterdir()), db.session.scalar(select(func.count()).select_from(AuditEvent)))
    browser.login("officer")
    token = browser.csrf(f"/tasks/{task.id}")
    fill_the_disk_after(monkeypatch, folder, written=1000)

    r = browser.client.post(f"/work-items/{item.id}/complete", data={
        "csrf_token": token, "decision": "submit", f"wi{item.id}-note": "Bản đầu",
        f"wi{item.id}-draft_file": (io.BytesIO(b"%PDF-1.4 " + b"d" * 5000), "du-thao.pdf")},
        content_type="multipart/form-data")

    assert r.status_code == 507 and "hết chỗ lưu trữ" in text(r) and "du-thao.pdf" in text(r)
    db.session.expire_all()
    assert sorted(folder.iterdir()) == before[0]  # neither the partial file nor an empty one
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before[1]
    assert db.session.scalars(select(Attachment)).all() == []
    assert db.session.get(WorkItem, item.id).status == "open"


# ---------------------------------------------------------------- the database is down

DEAD_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/x"


@pytest.fixture(params=["postgresql", "sqlite"])
def dead_database(request, tmp_path):
    """An application whose database is unreachable: a PostgreSQL port nobody listens on, or a SQLite file
    whose folder was removed after start-up."""
    folder = tmp_path / "db"
    folder.mkdir()
    url = DEAD_POSTGRES if request.param == "postgresql" else f"sqlite:///{folder / 'app.db'}"
    yield url, folder


def test_start_up_says_one_line_when_the_database_is_down(dead_database, caplog, tmp_path):
    url, folder = dead_database
    shutil.rmtree(folder)
    with caplog.at_level(logging.ERROR):
        broken = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path)})
    lines = [r for r in caplog.records if "database unavailable at start-up" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None and "\n" not in lines[0].getMessage()
    with broken.app_context():
        db.engine.dispose()


def test_pages_and_the_api_answer_503_when_the_database_is_down(dead_database, tmp_path):
    url, folder = dead_database
    broken = create_app({"TESTING": True, "DEPLOY_MODELS_ON_START": False, "SQLALCHEMY_DATABASE_URI": url,
                         "UPLOAD_FOLDER": str(tmp_path), "RATELIMIT_ENABLED": False})
    shutil.rmtree(folder)
    client = broken.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"  # someone signed in before it went down
        session["_fresh"] = True

    page = client.get("/tasks")
    api = client.post("/api/v1/token", json={"username": "head", "password": "x"})
    health = broken.test_client().get("/healthz")  # a load balancer, without a session

    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
    assert "không kết nối được cơ sở dữ liệu" in text(page) and "<html" in text(page)
    assert api.status_code == 503 and "cơ sở dữ liệu" in api.get_json()["error"] and "Retry-After" in api.headers
    assert health.status_code == 503 and health.get_json()["reason"] == "OperationalError"
    for answer in (page, api, health):  # nothing of where the database is, to anyone
        for detail in ("127.0.0.1", "port 1", "refused", "unable to open", str(folder)):
            assert detail not in text(answer), (answer.request.path, detail)
    with broken.app_context():
        db.engine.dispose()
