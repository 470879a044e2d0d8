"""Sign-in security: cookie flags, idle timeout, account lockout, rate limits, password rehashing."""

from __future__ import annotations

import pytest

from app import create_app
from models import db
from tests.conftest import PASSWORD, csrf_from, new_task, user

LOCKED = "Tài khoản tạm khóa đến"
WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."


def login_form(client, username, password=PASSWORD, next_url=""):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login" + next_url, data={"username": username, "password": password, "csrf_token": token})


def test_session_cookie_is_httponly_and_samesite(world, browser):
    r = browser.login("officer")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # COOKIE_SECURE=0: the embedded http default


def test_production_defaults_secure_cookies_and_scrypt(app, monkeypatch, world):
    monkeypatch.setenv("COOKIE_SECURE", "1")
    secure = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                         "DEPLOY_MODELS_ON_START": False, "RATELIMIT_ENABLED": False})
    _dispose(secure)
    assert secure.config["SESSION_COOKIE_SECURE"] and secure.config["REMEMBER_COOKIE_SECURE"]
    assert secure.config["PASSWORD_HASH_METHOD"] == "scrypt" and secure.config["IDLE_TIMEOUT_MINUTES"] == 30


def _dispose(other_app) -> None:
    """Close a second app's connections (PostgreSQL warns about connections left open)."""
    with other_app.app_context():
        db.engine.dispose()


def test_idle_session_is_logged_out_with_a_message_and_next(world, frozen, browser):
    browser.login("officer")
    frozen.advance(minutes=29)
    assert browser.client.get("/tasks").status_code == 200  # activity restarts the idle clock
    frozen.advance(minutes=29)
    assert browser.client.get("/tasks").status_code == 200
    frozen.advance(minutes=31)
    r = browser.client.get("/tasks?q=abc")
    assert r.status_code == 302
    assert "/login?next=" in r.headers["Location"] and "tasks" in r.headers["Location"]
    page = browser.client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Phiên làm việc đã hết hạn do không hoạt động. Vui lòng đăng nhập lại." in page
    assert browser.client.get("/tasks").status_code == 302  # really logged out


def test_session_status_keeps_a_writer_signed_in_and_renews_the_form_token(world, frozen, browser):
    """What static/keep.js relies on to lose no typed text (its browser test: tests/e2e/test_nothing_lost.py)."""
    task = new_task(world, collaborators=())
    browser.login("officer")
    served_token = csrf_from(browser.client.get(f"/tasks/{task.id}").get_data(as_text=True))
    for _ in range(3):  # 75 minutes of typing: the script asks every few minutes, and the session stays
        frozen.advance(minutes=25)
        r = browser.client.get("/session/status")
        assert r.status_code == 200 and r.get_json()["signed_in"] is True
        assert r.headers["Cache-Control"] == "no-store"

    frozen.advance(minutes=31)  # left alone: the session ends, and the script is told so, not redirected
    r = browser.client.get("/session/status")
    assert r.status_code == 200 and r.get_json() == {"signed_in": False}
    assert browser.client.get("/inbox").status_code == 302

    login_form(browser.client, "officer")  # signed in again (in another tab): the page's token is stale
    comment = {"comment-body": "Đề nghị bổ sung số liệu quý III."}
    stale = browser.client.post(f"/tasks/{task.id}/comments", data={**comment, "comment-csrf_token": served_token})
    assert stale.status_code == 400
    fresh = browser.client.get("/session/status").get_json()["csrf_token"]
    sent = browser.client.post(f"/tasks/{task.id}/comments", data={**comment, "comment-csrf_token": fresh})
    assert sent.status_code == 302
    assert "Đề nghị bổ sung số liệu quý III." in browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert browser.client.application.test_client().get("/session/status").get_json() == {"signed_in": False}


def test_a_viewer_starts_on_the_dashboard_everyone_else_on_the_inbox(world, app):
    """A viewer holds no work items: an always-empty inbox is a poor first page."""
    for username, home in (("viewer", "/dashboard"), ("officer", "/inbox"), ("coord", "/inbox"), ("admin", "/inbox")):
        client = app.test_client()
        assert login_form(client, username).headers["Location"] == home, username
        assert client.get("/").headers["Location"] == home and client.get("/login").headers["Location"] == home
    assert login_form(app.test_client(), "viewer", next_url="?next=/tasks").headers["Location"] == "/tasks"
    assert app.test_client().get("/").headers["Location"] == "/inbox"  # signed out: the inbox asks to sign in


def test_sign_out_from_a_page_left_open_after_the_session_ended(world, frozen, browser):
    browser.login("officer")
    token = csrf_from(browser.client.get("/inbox").get_data(as_text=True))
    frozen.advance(minutes=31)
    browser.client.get("/inbox")  # the session ends
    r = browser.client.post("/logout", data={"csrf_token": token})  # the old page's button
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert "Bạn đã đăng xuất." in browser.client.get("/login").get_data(as_text=True)


def test_idle_timeout_does_not_touch_api_tokens(world, frozen, api):
    headers = api.token("officer")
    frozen.advance(hours=5)
    assert api.get("/api/v1/tasks", headers=headers).status_code == 200


def test_wrong_password_and_unknown_user_read_the_same(world, app):
    client = app.test_client()
    assert WRONG in login_form(client, "officer", "sai").get_data(as_text=True)
    assert WRONG in login_form(client, "khong-co-ai", "sai").get_data(as_text=True)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(world, frozen, app):
    client = app.test_client()
    for _ in range(4):
        assert WRONG in login_form(client, "officer", "sai").get_data(as_text=True)
    page = login_form(client, "officer", "sai").get_data(as_text=True)
    assert f"{LOCKED} 08:15 do đăng nhập sai nhiều lần" in page  # 08:00 Hà Nội + 15 minutes
    refused = login_form(client, "officer")  # even the right password waits
    assert refused.status_code == 200 and LOCKED in refused.get_data(as_text=True)
    assert user("officer").locked_until is not None
    # another user is not affected, and neither is an unknown name (no hint that it exists)
    assert login_form(app.test_client(), "head").status_code == 302
    frozen.advance(minutes=16)
    assert login_form(client, "officer").status_code == 302
    db.session.expire_all()
    assert user("officer").failed_logins == 0 and user("officer").locked_until is None


def test_a_right_password_resets_the_count(world, app):
    client = app.test_client()
    for _ in range(4):
        login_form(client, "officer", "sai")
    assert login_form(client, "officer").status_code == 302
    client = app.test_client()
    for _ in range(4):
        assert WRONG in login_form(client, "officer", "sai").get_data(as_text=True)


def test_api_token_honours_the_lockout(world, api):
    for _ in range(5):
        assert api.post("/api/v1/token", json={"username": "officer", "password": "sai"}).status_code == 401
    r = api.post("/api/v1/token", json={"username": "officer", "password": PASSWORD})
    assert r.status_code == 401


def test_login_starts_a_fresh_session_and_refuses_open_redirects(world, app):
    client = app.test_client()
    r = login_form(client, "officer", next_url="?next=//evil.example/x")
    assert r.status_code == 302 and r.headers["Location"] == "/inbox"
    client = app.test_client()
    r = login_form(client, "officer", next_url="?next=/tasks")
    assert r.headers["Location"] == "/tasks"


def test_old_pbkdf2_hash_is_upgraded_on_login(world, app, monkeypatch, browser):
    assert user("officer").password_hash.startswith("pbkdf2:")
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "scrypt")
    assert browser.login("officer").status_code == 302
    db.session.expire_all()
    assert user("officer").password_hash.startswith("scrypt:")
    assert user("officer").check_password(PASSWORD)


@pytest.fixture
def limited(app):
    """A second app on the same database with the rate limiter on (the shared test app has it off)."""
    limited = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "DEPLOY_MODELS_ON_START": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                          "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "10 per minute",
                          "LOGIN_MAX_FAILURES": 1000})
    limited.test_client_class = app.test_client_class
    yield limited
    _dispose(limited)


def test_login_posts_are_rate_limited_per_ip(world, limited):
    client = limited.test_client()
    with limited.app_context():
        for _ in range(10):
            assert login_form(client, "officer", "sai").status_code == 200
        r = login_form(client, "officer")
        assert r.status_code == 429
        page = r.get_data(as_text=True)
        assert "Bạn đã thử đăng nhập quá nhiều lần" in page and "<html" in page
        assert client.get("/login").status_code == 200  # reading the form is not limited
        other_ip = client.post("/login", data={}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other_ip.status_code != 429


def test_token_posts_are_rate_limited_with_json(world, limited):
    client = limited.test_client()
    with limited.app_context():
        for _ in range(10):
            client.post("/api/v1/token", json={"username": "officer", "password": "sai"})
        r = client.post("/api/v1/token", json={"username": "officer", "password": PASSWORD})
        assert r.status_code == 429
        assert "quá nhiều lần" in r.get_json()["error"]


def test_behind_a_proxy_the_limit_counts_per_client(world, app):
    proxied = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                          "DEPLOY_MODELS_ON_START": False, "RATELIMIT_ENABLED": True,
                          "LOGIN_RATE_LIMIT": "2 per minute", "TRUST_PROXY_HOPS": 1, "WTF_CSRF_ENABLED": False})
    proxied.test_client_class = app.test_client_class
    client = proxied.test_client()
    with proxied.app_context():
        def post(ip):
            return client.post("/login", data={"username": "officer", "password": "sai"},
                               headers={"X-Forwarded-For": ip}).status_code
        assert [post("203.0.113.1") for _ in range(3)] == [200, 200, 429]
        assert post("203.0.113.2") == 200
    _dispose(proxied)
