"""End-to-end tests: the real application in a real browser (Playwright driving Debian's chromium).

Fixtures and helpers for every test file under tests/e2e/ (names are stable; other files import them):

``live_server`` (session) -> str
    Base URL (``http://127.0.0.1:<port>``, no trailing slash) of the application served by
    ``flask --app app run`` in a subprocess, on a fresh database holding the demo province
    (``flask --app app init-db`` then ``seed-demo``, as ``make run`` does; periodic reports are *not*
    generated: the report journey does that itself). Environment: SHOW_DEMO_ACCOUNTS=1,
    RATELIMIT_ENABLED=0 (everyone logs in from 127.0.0.1), MAIL_ENABLED=0, a temporary UPLOAD_FOLDER.
    The database is a temporary SQLite file, or, when TEST_DATABASE_URL is set, a PostgreSQL database
    named ``<that database>_e2e`` dropped and re-created for the run (never the test database itself,
    which tests/conftest.py truncates). The server's log is copied to ``test-output/e2e/server.log`` at the end.

``browser`` (session) -> playwright ``Browser``
    Headless chromium (/usr/bin/chromium, ``--no-sandbox --disable-gpu``).

``login_as`` (function) -> callable(username, password=DEMO_PASSWORD) -> playwright ``Page``
    A fresh browser context (its own cookies) signed in through the real login form; the page is on
    "Việc cần xử lý". Every context opened is closed when the test ends. ``open_as(browser, base_url,
    username)`` does the same outside a test (the caller closes ``page.context``).

``shot`` (function) -> callable(page, name) -> Path
    Saves a full-page screenshot as ``test-output/e2e/<test name>/NN-<name>.png`` (NN counts up within
    the test, so the files sort in journey order). The test's folder is emptied when the test starts.

Demo accounts (README, password ``demo1234``): dieuphoi (coordinator), chuyenvien (officer), lanhdao
(agency head) of Sở Khoa học và Công nghệ; thamdinh (appraiser, Sở Tư pháp); pheduyet (approver, UBND
tỉnh); theodoi (viewer); quantri (admin); other agencies' staff are cv.<agency> / ld.<agency>
(e.g. cv.sotc, ld.sotc for Sở Tài chính) and appraisers td.<agency> (td.sonv for Sở Nội vụ).

tests/conftest.py's autouse ``clean_db`` (which builds the in-process test app and empties its database)
is replaced here by a no-op: these tests talk to the live server only.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "test-output" / "e2e"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
DEMO_PASSWORD = "demo1234"
DEFAULT_TIMEOUT_MS = 15_000


@pytest.fixture(autouse=True)
def clean_db():
    """Overrides tests/conftest.py's autouse fixture: nothing here uses the in-process app."""
    yield


# ---------------------------------------------------------------- the server

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_database(test_url: str) -> str:
    """Drop and re-create ``<test db>_e2e`` on the TEST_DATABASE_URL server; returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(test_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    name = f"{url.database}_e2e"
    assert re.fullmatch(r"[A-Za-z0-9_]+", name), name
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url_text: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(url_text)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def server_env(tmp_path_factory):
    """Environment of the live server and of its setup commands (one database for both)."""
    work = tmp_path_factory.mktemp("e2e")
    test_url = os.environ.get("TEST_DATABASE_URL")
    database_url = _postgres_database(test_url) if test_url else f"sqlite:///{work / 'e2e.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "WERKZEUG_"))}
    env.update({
        "DATABASE_URL": database_url,
        "UPLOAD_FOLDER": str(work / "uploads"),
        "SECRET_KEY": secrets.token_hex(32),
        "SHOW_DEMO_ACCOUNTS": "1",
        "RATELIMIT_ENABLED": "0",
        "MAIL_ENABLED": "0",
        "IDLE_TIMEOUT_MINUTES": "0",
        "PYTHONUNBUFFERED": "1",
    })
    yield env
    if test_url:
        _drop_postgres_database(database_url)


def _flask(env: dict, *args: str, timeout: float = 120) -> str:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="session")
def live_server(server_env):
    """Base URL of the application with the demo province, served in a subprocess."""
    _flask(server_env, "init-db")
    _flask(server_env, "seed-demo")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = dict(server_env, APP_BASE_URL=base_url)
    log_path = Path(env["UPLOAD_FOLDER"]).parent / "server.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "run", "--host", "127.0.0.1", "--port", str(port),
             "--no-reload", "--no-debugger"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited ({server.returncode}):\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer in 60 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        OUTPUT.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log_path, OUTPUT / "server.log")  # copied at the end: parallel sessions do not mix


# ---------------------------------------------------------------- the browser

@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; "
                    "`make test` and .ci/run do it)")
    manager = sync_playwright().start()
    yield manager
    manager.stop()


@pytest.fixture(scope="session")
def browser(playwright_instance):
    """Headless Debian chromium driven by Playwright."""
    instance = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                  args=["--no-sandbox", "--disable-gpu"])
    yield instance
    instance.close()


def open_as(browser, base_url: str, username: str, password: str = DEMO_PASSWORD, viewport: dict | None = None):
    """A new context signed in as ``username`` through the login form; returns its page (on the inbox). A
    ``viewport`` other than 1280×900 (a phone) is the context's from the start."""
    from playwright.sync_api import expect

    context = browser.new_context(base_url=base_url, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                  viewport=viewport or {"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1, name="Việc cần xử lý")).to_be_visible()
    return page


@pytest.fixture
def login_as(browser, live_server):
    contexts = []

    def login(username: str, password: str = DEMO_PASSWORD, viewport: dict | None = None):
        page = open_as(browser, live_server, username, password, viewport)
        contexts.append(page.context)
        return page

    yield login
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request):
    """``shot(page, "coordinator-import-preview")`` -> test-output/e2e/<test>/NN-coordinator-import-preview.png"""
    folder = OUTPUT / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = 0

    def take(page, name: str) -> Path:
        nonlocal count
        count += 1
        path = folder / f"{count:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        # (a picture for people to look at, not a check: a long page on a machine running two suites took 15 s)
        page.screenshot(path=str(path), full_page=True, timeout=60_000)
        return path

    return take
