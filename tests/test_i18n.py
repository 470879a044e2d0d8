"""The English interface for partners (``?lang=en``): Vietnamese stays the default and the source text,
the choice is kept in the session, and the English catalogue covers every message the application shows."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, act, csrf_from, item_at, new_task

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "translations"))
import catalog  # noqa: E402  (translations/catalog.py: extraction with babel.cfg, .po and .mo)


def text(response) -> str:
    return response.get_data(as_text=True)


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([a-z]+)">', page).group(1)


def sign_in(app, username: str, lang: str | None = None):
    """A client that chose ``lang`` on the login page (or never chose) and then signed in."""
    client = app.test_client()
    page = text(client.get("/login", query_string={"lang": lang} if lang else None))
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page)})
    assert r.status_code == 302
    return client


# ---------------------------------------------------------------- choosing the language

def test_vietnamese_is_the_default_whatever_the_browser_asks(app, world):
    client = app.test_client()
    page = text(client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert html_lang(page) == "vi"
    assert "Đăng nhập hệ thống theo dõi nhiệm vụ" in page and "Tên đăng nhập" in page
    assert '<a href="/login?lang=en" lang="en" hreflang="en">English</a>' in page
    assert "Sign in" not in page


@pytest.mark.parametrize("path", ["/%5Cevil.example/x", "/%09/evil.example/x", "//evil.example/x"])
def test_the_language_link_of_a_page_not_found_stays_on_the_site(app, path):
    """It was copied from the request's path: "/\\evil.example/x" gave href="/\\evil.example/x?lang=en", which a
    browser opens as http://evil.example/x."""
    page = text(app.test_client().get(path))
    link = re.search(r'<a href="([^"]*)" lang="en" hreflang="en">English</a>', page).group(1)
    assert link == "?lang=en"


def test_login_page_in_english_and_back(app, world):
    client = app.test_client()
    page = text(client.get("/login?lang=en"))
    assert html_lang(page) == "en"
    assert "Sign in to the task tracking system" in page
    assert ">Username<" in page and ">Password<" in page and "Remember me" in page
    assert "Demo accounts" in page and "Secretariat" in page  # role labels of the demo accounts
    assert '<a href="/login?lang=vi" lang="vi" hreflang="vi">Tiếng Việt</a>' in page
    # the choice stays for the next pages, without ?lang=
    page = text(client.get("/login"))
    assert html_lang(page) == "en" and "Sign in to the task tracking system" in page
    # a wrong password reads in English too
    r = client.post("/login", data={"username": "head", "password": "sai", "csrf_token": csrf_from(page)})
    assert "Wrong username or password." in text(r)
    # switching back
    page = text(client.get("/login?lang=vi"))
    assert html_lang(page) == "vi" and "Đăng nhập hệ thống theo dõi nhiệm vụ" in page
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in text(client.post("/login", data={
        "username": "head", "password": "sai", "csrf_token": csrf_from(page)}))
    assert html_lang(text(client.get("/login"))) == "vi"


def test_an_unknown_language_is_ignored(app, world):
    page = text(app.test_client().get("/login?lang=fr"))
    assert html_lang(page) == "vi" and "Đăng nhập" in page


def test_the_choice_survives_signing_in(app, world):
    client = sign_in(app, "head", "en")
    page = text(client.get("/inbox"))
    assert html_lang(page) == "en" and "Welcome, Ông/Bà head." in page
    assert "<h1>My work items</h1>" in page
    assert "Agency head" in page  # the role under the user's name
    assert "Sign out" in page and "Tiếng Việt</a>" in page


# ---------------------------------------------------------------- the main screens

def test_inbox_task_list_and_task_page_in_english(app, world):
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    officer = sign_in(app, "officer", "en")
    inbox = text(officer.get("/inbox"))
    assert "<h1>My work items</h1>" in inbox
    assert "Held by" in inbox and "Days waiting" in inbox and "Lead:" in inbox
    assert re.search(r'class="chip st-\w+">(Not started|In progress|Due soon|Overdue)</span>', inbox)
    assert task.title in inbox  # data stays as it is
    assert "Delegation while away" in inbox

    tasks = text(officer.get("/tasks"))
    assert "<h1>Tasks</h1>" in tasks and "Lead agency" in tasks and "Days waiting" in tasks
    assert "All statuses" in tasks and ">Done on time<" in tasks  # the status filter's choices
    searched = text(officer.get("/tasks?q=zzzz"))
    assert "No task matches “zzzz”" in searched

    page = text(officer.get(f"/tasks/{task.id}"))
    assert "Task details" in page and "Lead agency" in page and "Expected output" in page
    assert "Plan, programme, scheme, resolution, regulation" in page  # the output type
    assert "Process diagram" in page and "History" in page and "Discussion" in page
    assert "Assign task" in page and "Step completed" in page  # the history's action labels
    assert ">Submit</button>" in page  # the decision button
    assert "30/06/2026" in page  # dates stay dd/mm/yyyy
    assert "Thông tin nhiệm vụ" not in page and "Lịch sử xử lý" not in page


def test_dashboard_in_english(app, world):
    new_task(world)
    viewer = sign_in(app, "viewer", "en")
    page = text(viewer.get("/dashboard"))
    assert html_lang(page) == "en"
    assert "<h1>Progress dashboard</h1>" in page
    assert "Totals by status" in page and "Progress by lead agency" in page and "Not started" in page
    assert "Periodic reports are not counted." in page


def test_error_pages_in_english(app, world):
    officer = sign_in(app, "officer", "en")
    r = officer.get("/tasks/new")
    assert r.status_code == 403 and "You are not allowed to do this" in text(r)
    r = officer.get("/tasks/999999")
    assert r.status_code == 404 and "Page or data not found" in text(r)
    vi = sign_in(app, "officer")
    r = vi.get("/tasks/new")
    assert r.status_code == 403 and "Bạn không có quyền thực hiện thao tác này" in text(r)


def test_form_error_in_english(app, world):
    coord = sign_in(app, "coord", "en")
    page = text(coord.get("/tasks/new"))
    assert "Task title" in page and "— Choose an output type —" in page
    r = coord.post("/tasks/new", data={"csrf_token": csrf_from(page), "title": ""})
    assert r.status_code in (200, 422)
    assert "Please enter the task title." in text(r) and "Please choose the lead agency." in text(r)


def test_domain_error_in_english_return_without_a_reason(app, world):
    task = new_task(world, collaborators=())
    for step in ("assign", "draft", "finalise"):
        act(world, task, step)
    item = item_at(task, "signoff")
    head = sign_in(app, "head", "en")
    token = csrf_from(text(head.get(f"/tasks/{task.id}")))
    r = head.post(f"/work-items/{item.id}/complete", data={f"wi{item.id}-csrf_token": token, "decision": "return"})
    assert r.status_code == 422
    assert re.search(r'class="field-error">When returning, please give the reason.', text(r))
    assert "Not sent yet: please see the errors marked below." in text(r)
    # the same in Vietnamese, unchanged
    vi = sign_in(app, "head")
    token = csrf_from(text(vi.get(f"/tasks/{task.id}")))
    r = vi.post(f"/work-items/{item.id}/complete", data={f"wi{item.id}-csrf_token": token, "decision": "return"})
    assert re.search(r'class="field-error">Khi trả lại, vui lòng ghi rõ lý do.', text(r))


def test_domain_error_with_parameters_in_english(app, world):
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    item = item_at(task, "draft")
    act(world, task, "draft")
    officer = sign_in(app, "officer", "en")
    token = csrf_from(text(officer.get("/inbox")))
    r = officer.post(f"/work-items/{item.id}/complete", data={f"wi{item.id}-csrf_token": token, "decision": "submit"})
    assert r.status_code == 409
    assert re.search(r"You already handled this at \d\d:\d\d on \d\d/\d\d/\d{4}; this second submission", text(r))
    head = sign_in(app, "head", "en")  # someone else: named
    token = csrf_from(text(head.get("/inbox")))
    r = head.post(f"/work-items/{item.id}/complete", data={f"wi{item.id}-csrf_token": token, "decision": "submit"})
    assert re.search(r"This item was already handled by Ông/Bà officer at \d\d:\d\d on \d\d/\d\d/\d{4}\.", text(r))


def test_api_errors_follow_lang(app, world, api):
    headers = api.token("officer")
    assert api.get("/api/v1/tasks/999999", headers=headers).get_json() == {"error": "Không tìm thấy nhiệm vụ."}
    assert api.get("/api/v1/tasks/999999?lang=en", headers=headers).get_json() == {"error": "Task not found."}


# ---------------------------------------------------------------- the catalogue

def test_every_message_has_an_english_translation():
    """Every msgid extracted from templates/, views/, workflows/ (babel.cfg, with the DomainError classes as
    keywords) and the Python vocabulary has English: a new untranslated string fails here. Fix it with
    ``.venv/bin/python translations/catalog.py update``, translate the new entries in messages.po, then
    ``translations/catalog.py compile``."""
    extracted = catalog.extract()
    assert len([m for m in extracted if m.id]) > 700
    assert catalog.untranslated() == []


def test_compiled_catalogue_is_current():
    assert catalog.MO.exists(), "run translations/catalog.py compile"
    assert catalog.MO.read_bytes() == catalog.compiled(), "messages.mo is stale: run translations/catalog.py compile"


def test_translations_keep_their_placeholders():
    """Babel's checks: every %(name)s placeholder of a msgid is in its English, and nothing more."""
    assert [(message.id, errors) for message, errors in catalog.read().check() if errors] == []


@pytest.mark.parametrize("msgid, english", [
    ("Việc cần xử lý", "My work items"),
    ("Đơn vị chủ trì", "Lead agency"),
    ("Cấp có thẩm quyền", "Competent authority"),
    ("Tổ giúp việc", "Secretariat"),
    ("Thường xuyên", "Ongoing"),
])
def test_glossary(msgid, english):
    assert catalog.read().get(msgid).string == english
