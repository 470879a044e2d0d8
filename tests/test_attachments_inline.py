"""Attachments readable in place: PDF and images open in the browser (sandboxed, never sniffed), Office files
download, the same access checks as before; a decision's form shows what is decided on above its buttons."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from models import Attachment, db
from tests.conftest import act, actor_for, item_at, new_task, open_items
from workflows.tasks import files, work

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 24
ZIP = b"PK\x03\x04" + b"\x00" * 24


@pytest.fixture(autouse=True)
def no_files_left(app):
    """The upload folder is the session's: leave it empty (the backup tests count what is in it)."""
    yield
    for path in Path(app.config["UPLOAD_FOLDER"]).iterdir():
        path.unlink()


def fetch(client, url: str):
    """GET ``url`` and read the whole body (the file is streamed: closing the response closes it)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


@pytest.fixture
def stored(world):
    """One file of each kind on a task of the lead agency (Sở Công Thương)."""
    task = new_task(world)
    made = {}
    for key, name, content in (("pdf", "Dự thảo.pdf", PDF), ("png", "so-do.png", PNG), ("jpeg", "anh.JPEG", JPEG),
                               ("jpg", "anh.jpg", JPEG), ("docx", "Tờ trình.docx", ZIP),
                               ("xlsx", "Bảng.xlsx", ZIP), ("fake", "khong-phai.pdf", b"<html><script>")):
        made[key] = files.store(task, f"f_{key}", name, content, world["officer"]).id
    db.session.commit()
    return made


@pytest.mark.parametrize(("key", "media_type"), [("pdf", "application/pdf"), ("png", "image/png"),
                                                 ("jpeg", "image/jpeg"), ("jpg", "image/jpeg")])
def test_pdf_and_images_open_in_the_browser_sandboxed(browser, stored, key, media_type):
    browser.login("officer")
    r = fetch(browser.client, f"/attachments/{stored[key]}")
    assert r.status_code == 200 and r.mimetype == media_type
    assert r.headers["Content-Disposition"].startswith("inline")
    csp = r.headers["Content-Security-Policy"]
    assert re.match(r"sandbox(;|$)", csp) and "frame-ancestors 'none'" in csp  # no script, an opaque origin
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    # and it can still be saved
    saved = fetch(browser.client, f"/attachments/{stored[key]}?download=1")
    assert saved.headers["Content-Disposition"].startswith("attachment")
    assert saved.headers["Content-Security-Policy"].startswith("sandbox")


@pytest.mark.parametrize("key", ["docx", "xlsx", "fake"])
def test_office_files_and_disguised_files_download(browser, stored, key):
    browser.login("officer")
    r = fetch(browser.client, f"/attachments/{stored[key]}")
    assert r.status_code == 200 and r.mimetype == "application/octet-stream"
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert r.headers["Content-Security-Policy"].startswith("sandbox")
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_the_same_access_checks_as_the_download(browser, stored):
    browser.login("x_officer")  # an agency with nothing to do with the task
    r = fetch(browser.client, f"/attachments/{stored['pdf']}")
    assert r.status_code == 403 and b"%PDF" not in r.data
    browser.login("officer")
    assert fetch(browser.client, "/attachments/999999").status_code == 404
    anonymous = browser.client.application.test_client()
    r = fetch(anonymous, f"/attachments/{stored['pdf']}")
    assert r.status_code in (302, 401) and b"%PDF" not in r.data


def test_the_task_page_links_a_pdf_to_open_and_to_save(browser, stored):
    browser.login("officer")
    task_id = db.session.get(Attachment, stored["pdf"]).task_id
    html = browser.client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f'href="/attachments/{stored["pdf"]}?download=1"' in html
    assert f'href="/attachments/{stored["docx"]}?download=1"' not in html  # it downloads anyway


def upload(name: str, content: bytes) -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=name)


def act_with_file(world, task, step: str, name: str) -> None:
    item = item_at(task, step)
    work.complete(item.id, world[actor_for(item)], "submit", None, {}, {"draft_file": upload(name, PDF)})


def test_the_approval_form_shows_what_is_being_approved_above_its_buttons(world, browser):
    task = new_task(world, output_type="submission", collaborators=(),
                    expected_output="Tờ trình đề nghị UBND tỉnh ban hành quy chế")
    act(world, task, "assign")
    act_with_file(world, task, "draft", "Dự thảo v1.pdf")
    act_with_file(world, task, "finalise", "Dự thảo hoàn thiện v2.pdf")
    while not any(i.step_id == "approve" for i in open_items(task)):
        act(world, task, open_items(task)[0].step_id)
    browser.login("approver")
    html = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    buttons = html.index('name="decision" value="approve"')
    summary = html[html.index('class="approval-summary"'):buttons]
    assert "Nội dung cần xem xét" in summary
    assert task.title in summary and "Tờ trình đề nghị UBND tỉnh ban hành quy chế" in summary
    assert "Tờ trình:" in summary  # the output type
    latest = re.findall(r'<a href="/attachments/(\d+)">([^<]+)</a>', summary)
    assert [name for _id, name in latest] == ["Dự thảo hoàn thiện v2.pdf"]  # the latest version of the draft
    assert "phiên bản 2" in summary
    assert f'/attachments/{latest[0][0]}?download=1' in summary  # a PDF: opened in place, or saved


def test_a_step_that_is_not_a_decision_keeps_its_short_file_line(world, browser):
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    act_with_file(world, task, "draft", "Dự thảo v1.pdf")
    browser.login("officer")
    html = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'class="approval-summary"' not in html and 'class="small case-files"' in html
