"""One fixture set: the app on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), a clean
database per test, a small province of agencies and users, and helpers to drive tasks."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from flask import g
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import select, text

from app import create_app
from demo.data import AGENCIES as FIXTURE_AGENCIES
from models import ProcessInstance, Task, User, WorkItem, db
from workflows import clock, holidays
from workflows.accounts import people
from workflows.process import catalog, runtime
from workflows.tasks import create, work

LEAD = "Sở Công Thương"
COLLAB_A = "Sở Tài chính"
COLLAB_B = "Sở Xây dựng"
JUSTICE = "Sở Tư pháp"
HOME_AFFAIRS = "Sở Nội vụ"
SCIENCE = "Sở Khoa học và Công nghệ"  # the standing agency (coordinator) and IT-project appraiser
AUTHORITY = "UBND tỉnh"
OTHER = "Sở Y tế"
AGENCIES = [LEAD, COLLAB_A, COLLAB_B, JUSTICE, HOME_AFFAIRS, SCIENCE, AUTHORITY, OTHER]

# username: (agency, roles)
USERS = {
    "head": (LEAD, ["agency_head"]),
    "officer": (LEAD, ["officer"]),
    "officer2": (LEAD, ["officer"]),
    "collab_a": (COLLAB_A, ["officer"]),
    "collab_b": (COLLAB_B, ["officer"]),
    "justice": (JUSTICE, ["appraiser"]),
    "home": (HOME_AFFAIRS, ["appraiser"]),
    "science": (SCIENCE, ["appraiser"]),
    "approver": (AUTHORITY, ["approver"]),
    "coord": (SCIENCE, ["coordinator"]),
    "viewer": (AUTHORITY, ["viewer"]),
    "admin": (SCIENCE, ["admin"]),
    "collab_a_head": (COLLAB_A, ["agency_head"]),
    "collab_b_head": (COLLAB_B, ["agency_head"]),
    "justice_head": (JUSTICE, ["agency_head"]),
    # the same roles in an agency that has nothing to do with the tasks
    "x_head": (OTHER, ["agency_head"]),
    "x_officer": (OTHER, ["officer"]),
    "x_appraiser": (OTHER, ["appraiser"]),
    "x_approver": (OTHER, ["approver"]),
    "x_coord": (OTHER, ["coordinator"]),
}
PASSWORD = "mat-khau-1"

# A commit on the test server does not wait for its WAL to reach the disk (libpq reads PGOPTIONS; the browser
# tests' servers and the CLI runs inherit it): what a test sees is the same, a crash of the server would lose
# the last commits of a database that is thrown away anyway. The benchmarks run as production does.
os.environ.setdefault("PGOPTIONS", "-c synchronous_commit=off")


class IsolatedClient(FlaskClient):
    """Requests share the test's app context and so ``g``, where Flask-Login keeps the user and
    Flask-WTF the CSRF token: empty it around each request so every client stands on its own."""

    def open(self, *args, **kwargs):
        g.__dict__.clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            g.__dict__.clear()


# The real official documents of ../shared/fixtures, copied byte for byte (tests/test_fixture_copies.py keeps
# the copy equal to the shared folder wherever that folder is beside the checkout): a clone anywhere runs them.
FIXTURES = Path(__file__).resolve().parent / "fixtures"

@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
        "DEPLOY_MODELS_ON_START": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashing: tests create many users
        "SHOW_DEMO_ACCOUNTS": True,
        "RATELIMIT_ENABLED": False,  # tests/test_auth_security.py builds its own app with limits on
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()  # close pooled connections before the interpreter warns about them


def empty_tables() -> None:
    """Delete every row of every table and start the identities at 1 again; the caller commits.

    DELETE, not TRUNCATE, on PostgreSQL too: TRUNCATE gives each table, index and TOAST table a new file, 95 ms
    a test against 8 ms here (``setval`` restarts a sequence without one). The dead rows DELETE leaves are
    vacuumed every VACUUM_EVERY tests (``clean_db``), as autovacuum would; CI's server runs without it."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(text(f'DELETE FROM "{table.name}"'))
    if db.engine.dialect.name == "postgresql":
        sequences = db.session.scalars(text(
            "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = current_schema()")).all()
        db.session.execute(text("SELECT " + ", ".join(f"setval('{s}', 1, false)" for s in sequences)))


VACUUM_EVERY = 50
_tests_since_vacuum = 0


def vacuum_now_and_then() -> None:
    global _tests_since_vacuum
    _tests_since_vacuum += 1
    if db.engine.dialect.name == "postgresql" and _tests_since_vacuum >= VACUUM_EVERY:
        _tests_since_vacuum = 0
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


@pytest.fixture(autouse=True)
def clean_db(app):
    """Empty tables and the upload folder and deploy bpmn/ before each test, inside an app context."""
    with app.app_context():
        empty_tables()
        db.session.commit()
        vacuum_now_and_then()
        runtime.forget_restored()  # (the workflows this process kept are of the rows just deleted)
        for path in Path(app.config["UPLOAD_FOLDER"]).iterdir():
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        catalog.sync_directory()
        db.session.commit()
        clock.set_clock(None)
        yield
        clock.set_clock(None)
        db.session.remove()


@pytest.fixture
def world(app):
    """Agencies and users of a small province; returns {username: User}."""
    for name in AGENCIES:
        people.create_agency(name)
    users = {}
    for username, (agency, roles) in USERS.items():
        users[username] = people.create_user(username, PASSWORD, agency, roles, full_name=f"Ông/Bà {username}")
    return users


@pytest.fixture
def province(app):
    """The registry of real agencies named in the fixtures (with their aliases) and a coordinator: for imports."""
    holidays.ensure_defaults()
    for a in FIXTURE_AGENCIES:
        people.create_agency(a["name"], short_name=a["short_name"], kind=a["kind"], aliases=a["aliases"])
    return {"coord": people.create_user("coord", "mat-khau-1", "Sở Khoa học và Công nghệ", ["coordinator"],
                                        "Điều phối viên")}


@pytest.fixture
def frozen(app):
    """A settable clock starting at 01/03/2026 08:00 (Hà Nội)."""
    c = clock.FrozenClock(datetime(2026, 3, 1, 1, 0))
    clock.set_clock(c)
    return c


def new_task(world, output_type="plan", collaborators=(COLLAB_A, COLLAB_B), due=date(2026, 6, 30),
             title="Xây dựng Đề án chuyển đổi số ngành công thương", **kwargs) -> Task:
    """A task of the test province; scenes often hold several of the same title, so the "same title, same
    document" question is answered yes (tests/test_task_create.py tests the question itself)."""
    kwargs.setdefault("duplicate_ok", True)
    return create.create_task(world["coord"], title=title, lead_agency=LEAD, output_type=output_type,
                             collaborating_agencies=list(collaborators), due_date=due, **kwargs)


def waiting_timers(task: Task) -> list:
    """The timers waiting in the task's running instances, read from the engine states (the source of truth)."""
    rows = db.session.scalars(select(ProcessInstance).where(ProcessInstance.task_id == task.id,
                                                           ProcessInstance.status == "running"))
    return [t for row in rows for t in runtime.load(row).waiting_timers() if t.fire_at.year < 9999]


def open_items(task: Task) -> list[WorkItem]:
    return list(db.session.scalars(select(WorkItem).where(
        WorkItem.task_id == task.id, WorkItem.status == "open").order_by(WorkItem.id)))


def item_at(task: Task, step_id: str) -> WorkItem:
    items = [i for i in open_items(task) if i.step_id == step_id]
    assert items, f"no open item at {step_id}; open: {[i.step_id for i in open_items(task)]}"
    return items[0]


# Who acts on each step in the test province.
ACTOR = {"assign": "head", "draft": "officer", "finalise": "officer", "signoff": "head",
         "appraise": "justice", "approve": "approver", "report": "officer", "confirm": "coord"}
INPUT = {"assign": {"assignee": "officer"},
         "report": {"decision_number": "123/QĐ-UBND", "decision_date": "2026-05-20"}}


def actor_for(item: WorkItem) -> str:
    if item.step_id == "give_opinion":
        return {COLLAB_A: "collab_a", COLLAB_B: "collab_b"}[item.agency.name]
    if item.step_id == "sign_opinion":
        return {COLLAB_A: "collab_a_head", COLLAB_B: "collab_b_head"}[item.agency.name]
    if item.step_id == "appraise":
        return {JUSTICE: "justice", HOME_AFFAIRS: "home", SCIENCE: "science"}[item.agency.name]
    return ACTOR[item.step_id]


def act(world, task: Task, step_id: str, decision: str | None = None, comment: str | None = None,
        user: str | None = None, data: dict | None = None) -> Task:
    """Complete the open item at ``step_id`` as the person who holds it in the test province."""
    item = item_at(task, step_id)
    if decision is None:
        decision = "approve" if "approve" in item.decisions else "submit"
    if comment is None and decision == "return":
        comment = "Đề nghị bổ sung căn cứ pháp lý."
    if user is None:
        user = actor_for(item)
    payload = dict(INPUT.get(step_id, {}))
    if step_id == "give_opinion":
        payload["opinion_text"] = "Nhất trí với dự thảo."
    payload.update(data or {})
    return work.complete(item.id, world[user], decision, comment, payload)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """A test client that logs in through the real form (CSRF on)."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        self.client = self.client.application.test_client()  # a fresh cookie jar per person
        page = self.client.get("/login")
        token = csrf_from(page.get_data(as_text=True))
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": token})

    def csrf(self, url: str = "/inbox") -> str:
        return csrf_from(self.client.get(url).get_data(as_text=True))


@pytest.fixture
def browser(app):
    return Browser(app.test_client())


@pytest.fixture
def api(app):
    """A JSON API client: api.as_(username) returns headers with a fresh token."""
    client = app.test_client()

    class Api:
        def token(self, username):
            r = client.post("/api/v1/token", json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.get_json()
            return {"Authorization": f"Bearer {r.get_json()['token']}"}

        def __getattr__(self, name):
            return getattr(client, name)

    return Api()


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))
