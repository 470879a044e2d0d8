"""Every route × (anonymous, each role of the right agency, the same role of another agency).

Routes come from ``app.url_map``: a new route without a rule in RULES fails the test with a message
saying to add one. Nobody reaches what they should not (403/404, or the login page / 401 when signed
out), whoever may reach it gets an answer other than 403/404, and no request ends in a 500. Also:
audit events cannot be edited or deleted through any route, and every form POST without a CSRF token
is refused with 400.
"""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import select

from models import AgencyAlias, AgencyReview, AuditEvent, Indicator, Notification, db
from tests.conftest import COLLAB_A, LEAD, OTHER, PASSWORD, Browser, act, item_at, new_task
from workflows import holidays
from workflows.accounts import groups
from workflows.importing import pipeline
from workflows.process import catalog
from workflows.tasks import files, indicators

ANON = "anonymous"
RIGHT_AGENCY = ["head", "officer", "collab_a", "justice", "approver", "coord", "viewer", "admin"]
OTHER_AGENCY = ["x_head", "x_officer", "x_appraiser", "x_approver", "x_coord"]
PRINCIPALS = [ANON, *RIGHT_AGENCY, *OTHER_AGENCY]
SIGNED_IN = frozenset(RIGHT_AGENCY + OTHER_AGENCY)

PUBLIC = "public"  # anyone, signed in or not
OVERSIGHT = frozenset({"approver", "coord", "viewer", "admin", "x_approver", "x_coord"})  # sees every task
COORDINATORS = frozenset({"coord", "x_coord"})
ADMINS = frozenset({"admin"})
NOBODY = frozenset()  # the seeded id belongs to no one the matrix signs in as (or does not exist)
TASK_READERS = OVERSIGHT | {"head", "officer", "collab_a"}  # the lead and the collaborating agency
LEAD_OFFICER = frozenset({"officer"})  # the draft waits on the lead agency's officer
LEAD_PEOPLE = frozenset({"head", "officer"})
COMMENTERS = frozenset({"head", "officer", "collab_a", "coord", "x_coord"})  # involved agencies and coordinators
FILE_READERS = TASK_READERS - {"approver", "viewer", "x_approver"}  # access.can_download

# (endpoint or "blueprint.*", method) -> PUBLIC or the principals who may reach it. Exact keys win.
RULES: dict[tuple[str, str], str | frozenset] = {
    ("static", "GET"): PUBLIC,
    ("health.*", "GET"): PUBLIC,
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.logout", "POST"): SIGNED_IN,
    ("auth.session_status", "GET"): PUBLIC,  # {"signed_in": false} to a stranger
    ("inbox.home", "GET"): PUBLIC,  # a redirect to the inbox, which asks to sign in
    ("inbox.index", "GET"): SIGNED_IN,
    ("inbox.delegate", "POST"): SIGNED_IN,
    ("inbox.cancel_delegation", "POST"): NOBODY,
    ("notifications.index", "GET"): SIGNED_IN,
    ("notifications.read_all", "POST"): SIGNED_IN,
    ("notifications.mail_choice", "POST"): SIGNED_IN,  # (their own choice)
    ("notifications.read", "POST"): frozenset({"head"}),  # the seeded notification is the head's
    ("notifications.mail_queue", "GET"): ADMINS,
    ("notifications.mail_retry_failed", "POST"): ADMINS,
    ("notifications.mail_retry", "POST"): NOBODY,  # no mail is queued: 404 for the admin, 403 for the rest
    ("admin.*", "GET"): ADMINS,
    ("admin.*", "POST"): ADMINS,
    ("admin.alias_list", "GET"): ADMINS,  # the aliases made on import review lists
    ("admin.alias_delete", "POST"): ADMINS,
    ("trust.root_list", "GET"): ADMINS,  # the trust roots of digital signatures (views/trust.py)
    ("trust.root_list", "POST"): ADMINS,
    ("trust.root_deactivate", "POST"): NOBODY,  # no root is seeded: 404 for the admin, 403 for the rest
    ("people.*", "GET"): ADMINS,  # users and agencies (views/people.py)
    ("people.*", "POST"): ADMINS,
    ("people.user_list", "GET"): ADMINS | {"head", "x_head"},  # a head sees their own agency's people
    ("people.user_deactivate", "POST"): ADMINS | {"head"},  # the seeded user is an officer of the lead agency
    ("people.user_deactivate", "GET"): ADMINS | {"head"},  # what closing would do
    ("people.change_password", "GET"): SIGNED_IN,
    ("people.change_password", "POST"): SIGNED_IN,
    ("dashboard.*", "GET"): OVERSIGHT,
    ("reports.*", "GET"): frozenset({"coord", "viewer", "admin", "x_coord"}),
    ("scorecards.*", "GET"): OVERSIGHT,
    ("reports.generate", "POST"): COORDINATORS,
    ("exports.*", "GET"): OVERSIGHT,
    ("exports.*", "POST"): OVERSIGHT,  # the export forms post the signer and Nơi nhận they choose
    ("imports.*", "GET"): COORDINATORS | ADMINS,
    ("imports.*", "POST"): COORDINATORS | ADMINS,
    ("indicators.index", "GET"): SIGNED_IN,
    ("indicators.export", "GET"): SIGNED_IN,  # (what the pages show every signed-in user)
    ("indicators.group", "GET"): SIGNED_IN,
    ("indicators.show", "GET"): SIGNED_IN,
    ("indicators.report", "GET"): COORDINATORS | {"head"},  # the head of a responsible agency may ask too
    ("indicators.report", "POST"): COORDINATORS | {"head"},
    ("tasks.index", "GET"): SIGNED_IN,
    ("tasks.new", "GET"): COORDINATORS,
    ("tasks.new", "POST"): COORDINATORS,
    ("tasks.show", "GET"): TASK_READERS,
    ("tasks.add_member", "POST"): COORDINATORS,  # of a task owed by a group (workflows.tasks.fanout)
    ("tasks.withdraw_member", "POST"): COORDINATORS,
    ("tasks.close_group_task", "POST"): COORDINATORS,
    ("tasks.urge", "POST"): COORDINATORS,  # đôn đốc (workflows.tasks.urging)
    ("tasks.withdraw", "POST"): COORDINATORS,  # rút nhiệm vụ (workflows.tasks.fanout.withdraw)
    ("tasks.export_list", "GET"): SIGNED_IN,  # the list as filtered, each reader's own tasks
    ("tasks.waiting_reassignment", "GET"): COORDINATORS,
    ("tasks.reassign_agency", "POST"): COORDINATORS,
    ("tasks.diagram_svg", "GET"): TASK_READERS,
    ("tasks.download", "GET"): FILE_READERS,
    ("tasks.comment", "POST"): COMMENTERS,
    ("tasks.request_extension", "POST"): LEAD_PEOPLE,
    ("tasks.explain", "POST"): LEAD_PEOPLE | COORDINATORS,  # workflows.tasks.explanations.may_explain
    ("tasks.claim", "POST"): LEAD_OFFICER,
    ("tasks.release", "POST"): LEAD_OFFICER,
    ("tasks.complete", "POST"): LEAD_OFFICER,
    ("tasks.reassign", "POST"): frozenset({"head"}),
    # JSON API: bearer tokens; signed out means 401
    ("api.token", "POST"): PUBLIC,
    ("api.openapi", "GET"): PUBLIC,
    ("api.list_tasks", "GET"): SIGNED_IN,
    ("api.inbox", "GET"): SIGNED_IN,
    ("api.create_task", "POST"): COORDINATORS,
    ("api.get_task", "GET"): TASK_READERS,
    ("api.add_comment", "POST"): COMMENTERS,
    ("api.claim", "POST"): LEAD_OFFICER,
    ("api.release", "POST"): LEAD_OFFICER,
    ("api.complete", "POST"): LEAD_OFFICER,
    ("api.list_tokens", "GET"): SIGNED_IN,
    ("api.revoke_token", "DELETE"): NOBODY,
    ("api.monitoring_tasks", "GET"): frozenset({"coord", "viewer", "admin", "x_coord"}),
}

OK = {200, 201, 204, 302, 303, 400, 409, 413, 422}
DENIED = {403, 404}
EXTRA_OK = {("api.token", "POST"): {401},  # the matrix posts no password
            ("auth.logout", "POST"): {"to login"}}
# A plausible body, so that a refusal comes from the permission check rather than from validation.
PAYLOADS = {
    "tasks.request_extension": {"new_due": "30/09/2026", "reason": "Cần thêm thời gian lấy ý kiến các sở."},
    "tasks.comment": {"comment-body": "Đề nghị bổ sung số liệu."},
    "tasks.explain": {"explain-text": "Chờ ý kiến của Bộ.", "explain-expected_on": "31/12/2099"},
    "api.add_comment": {"body": "Đề nghị bổ sung số liệu."},
    "api.create_task": {"title": "Nhiệm vụ thử", "lead_agency": LEAD, "output_type": "plan",
                        "due_date": "2026-09-30"},
}


def rule_for(endpoint: str, method: str):
    if (endpoint, method) in RULES:
        return RULES[(endpoint, method)]
    return RULES.get((endpoint.split(".")[0] + ".*", method))


def routes(app) -> list[tuple[str, str, object]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    # signing out last, so every other request still has its session
    return sorted(found, key=lambda r: (r[0] == "auth.logout", r[2].rule, r[1]))


def test_every_route_has_a_rule(app):
    missing = [f"{e} {m} {r.rule}" for e, m, r in routes(app) if rule_for(e, m) is None]
    assert not missing, ("add a rule to RULES in tests/test_security_matrix.py for: " + ", ".join(missing))


@pytest.fixture
def seeded(world, app):
    """One task of the lead agency with COLLAB_A collaborating, its draft waiting on the officer."""
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(COLLAB_A,))
    task = act(world, task, "assign")
    draft = item_at(task, "draft")
    attachment = files.store(task, "draft_file", "du-thao.txt", "Dự thảo".encode(), world["officer"])
    indicator = Indicator(group="I. PHÁT TRIỂN HẠ TẦNG", stt="1", name="Tỷ lệ phủ sóng 5G trên địa bàn",
                          unit="%", targets={"2025": "60%"}, responsible=[LEAD])
    db.session.add(indicator)
    db.session.commit()
    note = Notification(user_id=world["head"].id, kind="comment", title="Ý kiến mới")
    db.session.add(note)
    db.session.commit()
    text = ("STT\tTên nhiệm vụ\tĐơn vị chủ trì\tThời gian hoàn thành\tKết quả/sản phẩm\n"
            "1\tXây dựng kế hoạch\tSở Tư pháp\tNăm 2026\tKế hoạch\n"
            "2\tRà soát quy hoạch\tBan Quản lý chưa có\tNăm 2026\tBáo cáo\n")
    batch = pipeline.preview(world["coord"], "danh-muc.txt", text.encode())
    review = db.session.scalars(select(AgencyReview)).first()
    alias = AgencyAlias(agency_id=world["head"].agency_id, text="Sở CT tỉnh", normalized="so ct tinh",
                        created_by_id=world["coord"].id, batch_id=batch.id, document="danh-muc.txt")
    db.session.add(alias)
    db.session.commit()
    day = holidays.days()[0].day
    return {"task_id": task.id, "item_id": draft.id, "attachment_id": attachment.id, "indicator_id": indicator.id,
            "key": indicators.group_key_of(indicator), "notification_id": note.id, "batch_id": batch.id,
            "review_id": review.id if review else 999999, "appendix": 1, "number": 1, "delegation_id": 999999,
            "mail_id": 999999, "token_id": 999999, "root_id": 999999, "alias_id": alias.id, "day": str(day),
            "filename": "style.css",
            "process_id": "approval_cycle", "model_id": catalog.latest("approval_cycle").id,
            "user_id": world["officer2"].id, "agency_id": world["head"].agency_id, "member_task_id": 999999,
            "group_id": groups.create_group(None, "Nhóm thử quyền", [LEAD, OTHER]).id}


def url_for_rule(rule, values: dict) -> str:
    def fill(match):
        name = match.group(2)
        assert name in values, f"no seeded value for <{name}> in {rule.rule}: add it to the seeded fixture"
        return str(values[name])
    return re.sub(r"<(?:([a-z]+):)?([a-z_]+)>", fill, rule.rule)


class Principal:
    def __init__(self, app, name: str):
        self.name = name
        self.browser = Browser(app.test_client())
        self.api_headers = {}
        if name != ANON:
            r = self.browser.login(name)
            assert r.status_code == 302, name
            token = app.test_client().post("/api/v1/token", json={"username": name, "password": PASSWORD})
            self.api_headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
        self.csrf = self.browser.csrf("/inbox" if name != ANON else "/login")

    def request(self, method: str, url: str, api: bool, endpoint: str = ""):
        client = self.browser.client
        payload = PAYLOADS.get(endpoint, {})
        if api:
            response = client.open(url, method=method, headers=self.api_headers,
                                   json=payload if method != "GET" else None)
        else:
            data = {"csrf_token": self.csrf, **payload} if method == "POST" else None
            response = client.open(url, method=method, data=data)
        response.close()  # static files are streamed
        return response


def verdict(principal: str, rule, api: bool, response, extra=()) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"{status} (server error)"
    location = response.headers.get("Location", "")
    to_login = status in (302, 303) and "/login" in location
    allowed = rule == PUBLIC or principal in rule
    if allowed:
        if (status in OK or status in extra) and (not to_login or "to login" in extra):
            return None
        return f"{status} {location} but this principal should reach it"
    if principal == ANON:
        if (api and status == 401) or (not api and to_login):
            return None
        return f"{status} {location} but signed-out users should be sent to sign in"
    if status in DENIED:
        return None
    return f"{status} {location} but this principal should be refused (403/404)"


def test_route_matrix(app, seeded):
    people_by_name = {name: Principal(app, name) for name in PRINCIPALS}
    failures = []
    for endpoint, method, rule in routes(app):
        expected = rule_for(endpoint, method)
        if expected is None:
            continue  # test_every_route_has_a_rule names it
        url = url_for_rule(rule, seeded)
        api = url.startswith("/api/")
        for name in PRINCIPALS:
            if endpoint == "auth.logout" and name != ANON:
                people_by_name[name] = Principal(app, name)  # the last request of this session
            response = people_by_name[name].request(method, url, api, endpoint)
            problem = verdict(name, expected, api, response, EXTRA_OK.get((endpoint, method), ()))
            if problem:
                failures.append(f"{method} {url} ({endpoint}) as {name}: {problem}")
    assert not failures, "\n".join(failures)


def audit_rows() -> dict:
    return {e.id: (e.action, e.at, e.actor_id, e.task_id, e.comment, e.data)
            for e in db.session.scalars(select(AuditEvent))}


def test_no_route_can_edit_or_delete_audit_events(app, seeded):
    for endpoint, method, rule in routes(app):
        if method in ("PUT", "PATCH", "DELETE"):
            assert "audit" not in rule.rule and "audit" not in endpoint, f"{method} {rule.rule}"
    # every POST/DELETE route, as the admin and as the coordinator: audit rows only ever grow, unchanged
    before = audit_rows()
    for name in ("admin", "coord", "officer"):
        principal = Principal(app, name)
        for endpoint, method, rule in routes(app):
            if method in ("POST", "DELETE") and endpoint != "auth.logout":
                url = url_for_rule(rule, seeded)
                principal.request(method, url, url.startswith("/api/"), endpoint)
    db.session.expire_all()
    after = audit_rows()
    assert set(before) < set(after)  # the comments and the claim were appended
    assert all(after[i] == before[i] for i in before)


def test_every_form_post_without_csrf_is_refused(app, seeded):
    admin_and_coord = [Principal(app, "admin"), Principal(app, "coord"), Principal(app, ANON)]
    checked = 0
    for endpoint, method, rule in routes(app):
        url = url_for_rule(rule, seeded)
        if method != "POST" or url.startswith("/api/"):
            continue
        for principal in admin_and_coord:
            response = principal.browser.client.post(url, data={"title": "x"})
            if endpoint == "auth.logout" and principal.name == ANON:  # no session left to protect
                assert response.status_code == 302 and response.headers["Location"] == "/login"
                continue
            assert response.status_code == 400, f"POST {url} as {principal.name}: {response.status_code}"
            assert "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ" in response.get_data(as_text=True)
        checked += 1
    assert checked >= 20


def test_every_page_is_served_under_the_security_headers(app, seeded):
    readers = [Principal(app, "coord"), Principal(app, "admin"), Principal(app, "officer")]
    for (_endpoint, method, rule), reader in itertools.product(routes(app), readers):
        url = url_for_rule(rule, seeded)
        if method != "GET" or url.startswith("/api/"):
            continue
        response = reader.browser.client.get(url)
        response.close()
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        if response.mimetype == "text/html":
            html = response.get_data(as_text=True)
            assert " style=" not in html and "<style" not in html, url  # CSP forbids inline styles
            assert not re.search(r"<script(?![^>]*\bsrc=)", html), url  # and inline scripts
            assert not re.search(r"\son[a-z]+=", html), url
