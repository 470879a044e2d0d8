"""Sign-in security: cookie flags, idle timeout, growing delays after wrong passwords (per name and address, per
address, per name from many addresses), rate limits per address and per name, sessions bound to the user's session
secret (sign-out, a new password, an administrator's sign-out everywhere), password rehashing, gunicorn's shared
limits."""

from __future__ import annotations

import json
import os
import re
import runpy
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app import create_app
from models import AuditEvent, db
from models.people import LoginThrottle
from tests.conftest import PASSWORD, csrf_from, new_task, user
from workflows.accounts import people, signin
from workflows.errors import NotAllowed

WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."
SLOWED = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau"
ROOT = Path(__file__).resolve().parent.parent


def login_form(client, username, password=PASSWORD, next_url="", address="127.0.0.1", remember=False):
    where = {"REMOTE_ADDR": address}
    token = csrf_from(client.get("/login", environ_base=where).get_data(as_text=True))
    data = {"username": username, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    return client.post("/login" + next_url, data=data, environ_base=where)


def slowed_until(response) -> str | None:
    """The HH:MM:SS a slowed answer names (page or JSON), else None."""
    text = response.get_json()["error"] if response.is_json else response.get_data(as_text=True)
    match = re.search(SLOWED + r" (\d\d:\d\d:\d\d)\.", text)
    return match.group(1) if match else None


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


def test_guessing_one_name_is_slowed_with_doubling_delays_and_the_owner_gets_in_after(world, frozen, app):
    """Replaces the 15-minute lockout (issue 14): the owner is slowed like the guesser, never locked out."""
    guesser = "203.0.113.5"
    client = app.test_client()
    for _ in range(4):
        r = login_form(client, "officer", "sai", address=guesser)
        assert r.status_code == 200 and WRONG in r.get_data(as_text=True)
    r = login_form(client, "officer", "sai", address=guesser)  # the fifth: a delay of 30 s starts
    assert r.status_code == 429 and slowed_until(r) == "08:00:30"  # 08:00 Hà Nội
    refused = login_form(client, "officer", address=guesser)  # even the right password waits: it is not checked
    assert refused.status_code == 429 and slowed_until(refused) == "08:00:30"
    # the person at the office, another address, is not slowed by someone else's guessing
    assert login_form(app.test_client(), "officer", address="10.0.0.8").status_code == 302

    delays = []
    for _ in range(3):  # each wrong password once the delay has passed doubles it: 60 s, 2 min, 4 min
        frozen.advance(seconds=1 + (delays[-1] if delays else 30))
        r = login_form(client, "officer", "sai", address=guesser)
        ends = datetime.strptime(slowed_until(r), "%H:%M:%S")
        now = frozen.moment + timedelta(hours=7)
        delays.append(round((ends - ends.replace(hour=now.hour, minute=now.minute, second=now.second)).total_seconds()))
    assert delays == [60, 120, 240]

    frozen.advance(seconds=241)  # the delay over, the owner's right password from that address signs in
    assert login_form(app.test_client(), "officer", address=guesser).status_code == 302
    r = login_form(app.test_client(), "officer", "sai", address=guesser)  # and the count starts again
    assert r.status_code == 200 and WRONG in r.get_data(as_text=True)


def test_real_and_unknown_names_get_byte_identical_answers(world, frozen, app):
    """Nothing tells whether a name exists: not the message, not the delays, not the status (form and API)."""
    def api_answers(username, address):
        client = app.test_client()
        answers = []
        for _ in range(8):
            r = client.post("/api/v1/token", json={"username": username, "password": "sai"},
                            environ_base={"REMOTE_ADDR": address})
            answers.append((r.status_code, r.data))
        return answers

    def page_answers(username, address):
        client = app.test_client()
        answers = []
        for _ in range(8):
            r = login_form(client, username, "sai", address=address)
            page = r.get_data(as_text=True).replace(f'value="{username}"', 'value="…"')
            answers.append((r.status_code, re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", page)))
        return answers

    real, unknown = api_answers("officer", "198.51.100.1"), api_answers("khong-co-ai", "198.51.100.2")
    assert real == unknown
    assert [status for status, _ in real] == [401] * 4 + [429] * 4 and SLOWED in json.loads(real[-1][1])["error"]
    real, unknown = page_answers("head", "198.51.100.3"), page_answers("khong-co-ai-nua", "198.51.100.4")
    assert real == unknown
    assert [status for status, _ in real] == [200] * 4 + [429] * 4 and SLOWED in real[-1][1]


def test_guessing_from_many_addresses_slows_the_name_except_where_its_owner_signs_in(world, frozen, app):
    assert login_form(app.test_client(), "officer", address="10.1.0.1").status_code == 302  # the office
    for n in range(4):  # 4 addresses × 5 wrong passwords reach the name's own threshold (20)
        client = app.test_client()
        for _ in range(5):
            login_form(client, "officer", "sai", address=f"192.0.2.{n}")
    r = login_form(app.test_client(), "officer", address="192.0.2.99")  # any new address waits, right or not
    assert r.status_code == 429 and slowed_until(r) == "08:00:30"
    assert login_form(app.test_client(), "officer", address="10.1.0.1").status_code == 302  # the office does not
    assert login_form(app.test_client(), "head", address="192.0.2.99").status_code == 302  # nor other names


def test_one_address_trying_many_names_is_slowed_there_only(world, frozen, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_MAX_FAILURES", 10)
    for n in range(9):
        r = login_form(app.test_client(), f"ten-{n}", "123456", address="192.0.2.50")
        assert r.status_code == 200 and WRONG in r.get_data(as_text=True)
    r = login_form(app.test_client(), "ten-9", "123456", address="192.0.2.50")
    assert r.status_code == 429 and slowed_until(r) == "08:00:30"
    assert login_form(app.test_client(), "head", address="192.0.2.50").status_code == 429
    assert login_form(app.test_client(), "head", address="192.0.2.51").status_code == 302
    frozen.advance(seconds=31)
    assert login_form(app.test_client(), "head", address="192.0.2.50").status_code == 302


def test_an_ipv6_guesser_cannot_dodge_the_delay_within_its_own_64(world, frozen, app):
    client = app.test_client()
    for n in range(5):  # each guess from a new address of the same /64, as any IPv6 host can
        login_form(client, "officer", "sai", address=f"2001:db8:7:1::{n + 1:x}")
    r = login_form(client, "officer", "sai", address="2001:db8:7:1:abcd::99")
    assert r.status_code == 429 and slowed_until(r) == "08:00:30"
    assert login_form(app.test_client(), "officer", address="2001:db8:7:2::1").status_code == 302  # another /64


def test_made_up_names_cannot_fill_the_database(world, frozen, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_MAX_ROWS", 30)
    for n in range(60):
        signin.attempt(f"khong-co-{n}", "sai", f"192.0.2.{n}")
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) <= 30
    frozen.advance(days=2)  # every count and delay has expired: the next new row sweeps them away
    signin.attempt("khong-co-ai", "sai", "192.0.2.200")
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 3  # name, address, both


def test_a_right_password_resets_the_count(world, app):
    client = app.test_client()
    for _ in range(4):
        login_form(client, "officer", "sai")
    assert login_form(client, "officer").status_code == 302
    client = app.test_client()
    for _ in range(4):
        assert WRONG in login_form(client, "officer", "sai").get_data(as_text=True)


def test_api_token_is_slowed_like_the_form(world, frozen, api):
    for _ in range(4):
        r = api.post("/api/v1/token", json={"username": "officer", "password": "sai"})
        assert r.status_code == 401 and r.get_json()["error"] == WRONG
    r = api.post("/api/v1/token", json={"username": "officer", "password": "sai"})
    assert r.status_code == 429 and slowed_until(r) == "08:00:30"
    assert r.headers["Retry-After"] == "30"  # (a program waits the seconds, not a clock time in Vietnamese)
    frozen.advance(seconds=10)
    r = api.post("/api/v1/token", json={"username": "officer", "password": PASSWORD})
    assert r.status_code == 429 and slowed_until(r) == "08:00:30" and r.headers["Retry-After"] == "20"
    frozen.advance(seconds=21)
    assert api.post("/api/v1/token", json={"username": "officer", "password": PASSWORD}).status_code == 200


def test_login_starts_a_fresh_session_and_refuses_open_redirects(world, app):
    client = app.test_client()
    r = login_form(client, "officer", next_url="?next=//evil.example/x")
    assert r.status_code == 302 and r.headers["Location"] == "/inbox"
    client = app.test_client()
    r = login_form(client, "officer", next_url="?next=/tasks")
    assert r.headers["Location"] == "/tasks"
    # a security review: a line break in the address signed in and answered 500 (a header refused)
    client = app.test_client()
    r = login_form(client, "officer", next_url="?next=/tasks%0D%0AX:%20y")
    assert r.status_code == 302 and r.headers["Location"] == "/inbox"


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
                          "LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute", "LOGIN_MAX_FAILURES": 1000})
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
        assert 0 < int(r.headers["Retry-After"]) <= 60


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


def test_one_name_is_limited_per_minute_except_where_its_owner_signed_in(world, app):
    named = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "DEPLOY_MODELS_ON_START": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                        "RATELIMIT_ENABLED": True, "LOGIN_ACCOUNT_RATE_LIMIT": "3 per minute",
                        "LOGIN_MAX_FAILURES": 1000, "LOGIN_ACCOUNT_MAX_FAILURES": 1000})
    named.test_client_class = app.test_client_class
    with named.app_context():
        assert login_form(named.test_client(), "officer", address="10.1.0.1").status_code == 302  # the office
        guesser = named.test_client()
        assert [login_form(guesser, "officer", "sai", address="192.0.2.7").status_code
                for _ in range(3)] == [200, 200, 429]
        r = guesser.post("/api/v1/token", json={"username": "officer", "password": PASSWORD},
                         environ_base={"REMOTE_ADDR": "192.0.2.8"})
        assert r.status_code == 429 and "quá nhiều lần" in r.get_json()["error"]  # per name, from any address
        assert login_form(named.test_client(), "officer", address="10.1.0.1").status_code == 302  # but the office
        assert login_form(named.test_client(), "head", address="192.0.2.7").status_code == 302  # other names
    _dispose(named)


def test_two_hundred_officials_behind_one_address_all_get_in(world, app):
    """8 am in a province behind one NAT address: with the limiter on at its defaults, nobody is refused, even
    with a few typing mistakes among them."""
    names = [f"cb{n:03d}" for n in range(200)]
    for name in names:
        people.create_user(name, PASSWORD, "Sở Y tế", ["officer"])
    nat = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                      "DEPLOY_MODELS_ON_START": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "RATELIMIT_ENABLED": True, "WTF_CSRF_ENABLED": False})
    nat.test_client_class = app.test_client_class
    province = {"REMOTE_ADDR": "203.0.113.80"}
    statuses = []
    with nat.app_context():
        for n, name in enumerate(names):
            client = nat.test_client()
            if n % 10 == 0:  # one in ten mistypes first
                statuses.append(client.post("/login", data={"username": name, "password": "sai"},
                                            environ_base=province).status_code)
            statuses.append(client.post("/login", data={"username": name, "password": PASSWORD},
                                        environ_base=province).status_code)
        for name in names[:20]:  # and a few scripts take API tokens through the same address
            statuses.append(nat.test_client().post("/api/v1/token", json={"username": name, "password": PASSWORD},
                                                   environ_base=province).status_code)
    _dispose(nat)
    assert 429 not in statuses
    assert statuses.count(302) == 200 and statuses.count(200) == 20 + 20


def test_a_session_cookie_copied_before_logout_is_dead_after_it(world, app, browser):
    browser.login("officer")
    thief = app.test_client()
    thief.set_cookie("session", browser.client.get_cookie("session").value)
    assert thief.get("/inbox").status_code == 200  # a copy works while the session lives
    assert browser.client.post("/logout", data={"csrf_token": browser.csrf()}).status_code == 302
    assert thief.get("/inbox").status_code == 302
    assert browser.client.get("/inbox").status_code == 302


def test_a_remember_cookie_lasts_two_weeks_and_dies_with_a_password_change(world, app):
    client = app.test_client()
    r = login_form(client, "officer", remember=True)
    cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert timedelta(days=13.9) < expires - datetime.now(UTC) < timedelta(days=14.1)  # REMEMBER_DAYS, not 365
    remember = client.get_cookie("remember_token").value

    later = app.test_client()  # the browser reopened: the cookie alone signs in
    later.set_cookie("remember_token", remember)
    assert later.get("/inbox").status_code == 200

    token, _ = people.create_token(world["officer"])
    db.session.commit()
    api = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/inbox", headers=api).status_code == 200

    people.change_password(world["officer"], world["officer"].id, "mat-khau-moi-2", current_password=PASSWORD)
    stolen = app.test_client()
    stolen.set_cookie("remember_token", remember)
    assert stolen.get("/inbox").status_code == 302
    assert later.get("/inbox").status_code == 302  # the session it made ends too
    assert app.test_client().get("/api/v1/inbox", headers=api).status_code == 401  # and the API token (it lived on)
    assert login_form(app.test_client(), "officer", "mat-khau-moi-2").status_code == 302


def test_each_sign_in_after_a_sign_out_makes_a_new_remember_cookie(world, app):
    client = app.test_client()
    login_form(client, "officer", remember=True)
    first = client.get_cookie("remember_token").value
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/inbox").get_data(as_text=True))})
    login_form(client, "officer", remember=True)
    assert client.get_cookie("remember_token").value != first
    old = app.test_client()
    old.set_cookie("remember_token", first)
    assert old.get("/inbox").status_code == 302


def test_an_administrator_signs_a_user_out_everywhere(world, app, browser, api):
    browser.login("officer")
    remembered = app.test_client()
    login_form(remembered, "officer", remember=True)
    cookie = remembered.get_cookie("remember_token").value
    headers = api.token("officer")
    with pytest.raises(NotAllowed):
        people.sign_out_everywhere(world["coord"], world["officer"].id)
    assert browser.client.get("/inbox").status_code == 200

    people.sign_out_everywhere(world["admin"], world["officer"].id)
    assert browser.client.get("/inbox").status_code == 302
    reopened = app.test_client()
    reopened.set_cookie("remember_token", cookie)
    assert reopened.get("/inbox").status_code == 302
    assert api.get("/api/v1/inbox", headers=headers).status_code == 401
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_out_everywhere"))
    assert event.actor_id == world["admin"].id and event.data == {"user_id": world["officer"].id, "tokens_revoked": 1}


def test_sign_out_user_from_the_command_line(world, app, browser):
    browser.login("officer")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sign-out-user", "officer"])
    assert result.exit_code == 0 and "Đã đăng xuất officer khỏi mọi nơi." in result.output
    assert browser.client.get("/inbox").status_code == 302
    unknown = runner.invoke(args=["sign-out-user", "khong-co-ai"])
    assert unknown.exit_code != 0 and "Không tìm thấy người dùng" in unknown.output


def test_a_session_without_the_secret_signs_nobody_in(world, app):
    """Sessions made before the upgrade (the bare id) or with a made-up secret: signed out, never a 500."""
    for forged in (str(world["officer"].id), f"{world['officer'].id}:made-up", "1e9:x", "", "x:y"):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert client.get("/inbox").status_code == 302, forged


def test_gunicorn_shares_the_limits_in_redis_and_warns_about_memory_with_several_workers(monkeypatch):
    for name in ("RATELIMIT_STORAGE_URI", "RATELIMIT_ENABLED", "LOG_FORMAT", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)  # restored after the test: the config file sets some
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert os.environ["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    lines = []
    server = SimpleNamespace(cfg=SimpleNamespace(workers=4),
                             log=SimpleNamespace(warning=lambda message, *args: lines.append(message % args)))
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    conf["when_ready"](server)
    assert len(lines) == 1 and "4 workers each count in their own memory" in lines[0]
    server.cfg.workers = 1  # one process: its memory is the only count
    conf["when_ready"](server)
    assert len(lines) == 1
    server.cfg.workers = 4
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:1/0")  # nothing listens there
    conf["when_ready"](server)
    assert len(lines) == 2 and "does not answer" in lines[1]


def _redis_answers() -> bool:
    from limits.storage import storage_from_string

    try:
        return storage_from_string("redis://127.0.0.1:6379/0").check()
    except Exception:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis at 127.0.0.1:6379")
def test_workers_sharing_redis_share_one_count_per_name(world, app):
    """Two apps stand for two gunicorn workers: guesses at one name from several addresses, spread over both
    workers, use up one budget."""
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
              "DEPLOY_MODELS_ON_START": False, "RATELIMIT_ENABLED": True, "LOGIN_ACCOUNT_RATE_LIMIT": "2 per minute",
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,
              "WTF_CSRF_ENABLED": False, "LOGIN_MAX_FAILURES": 1000}
    workers = [create_app(config), create_app(config)]
    statuses = []
    for n, worker in enumerate(workers * 2):
        worker.test_client_class = app.test_client_class
        with worker.app_context():
            statuses.append(worker.test_client().post("/login", data={"username": "officer", "password": "sai"},
                                                      environ_base={"REMOTE_ADDR": f"192.0.2.{70 + n}"}).status_code)
    for worker in workers:
        _dispose(worker)
    assert statuses == [200, 200, 429, 429]


def test_an_api_token_ends_after_api_token_days(world, app, frozen):
    """A token lived for ever: one copied into a forgotten script worked years later."""
    token, _ = people.create_token(world["officer"])
    db.session.commit()
    api = {"Authorization": f"Bearer {token}"}
    frozen.advance(days=89)
    assert app.test_client().get("/api/v1/inbox", headers=api).status_code == 200
    frozen.advance(days=2)
    assert app.test_client().get("/api/v1/inbox", headers=api).status_code == 401



def test_every_sign_in_checks_once_at_the_full_cost_and_once_at_a_temporary_password_s(world, app, monkeypatch):
    """A temporary password is hashed at a sixteenth of the cost (bench/people_import_bench.py): checked alone, it
    answered in 31 ms against 257 ms for an unknown name, telling anyone which imported accounts were still unused.
    Each answer now pays both costs, whichever hash the account holds (the time itself is the benchmark's)."""
    import models.people
    from workflows.accounts import admin_people

    schemes = []

    def recording(check):
        def checked(stored, password):
            schemes.append(stored.split("$", 1)[0])
            return check(stored, password)
        return checked

    monkeypatch.setattr(signin, "check_password_hash", recording(signin.check_password_hash))
    monkeypatch.setattr(models.people, "check_password_hash", recording(models.people.check_password_hash))
    fresh = admin_people.create_user(user("admin"), "cv.moi", "Cán bộ mới", user("officer").agency_id, ["officer"])
    for name, password in (("khong-co-ai", "x"), ("cv.moi", "sai"), ("cv.moi", fresh.password),
                           ("officer", "sai"), ("officer", PASSWORD)):
        schemes.clear()
        signin.attempt(name, password, "10.0.0.9")
        assert sorted(schemes) == sorted([app.config["PASSWORD_HASH_METHOD"], signin.TEMPORARY_HASH_METHOD]), name


def test_what_a_signed_in_person_reads_is_not_kept_by_the_browser(world, browser, api):
    """A security review: pages, the API's answers and the scorecard export carried no Cache-Control: on a shared
    office computer "Back" after signing out showed the last pages, and the browser kept them on disk."""
    anonymous = browser.client.get("/login")
    assert "Cache-Control" not in anonymous.headers
    browser.login("officer")
    for url in ("/inbox", "/tasks", "/notifications"):
        assert browser.client.get(url).headers["Cache-Control"] == "private, no-store", url
    with browser.client.get("/static/style.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")
    answer = api.get("/api/v1/tasks", headers=api.token("officer"))
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "private, no-store"
