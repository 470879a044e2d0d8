"""The JSON API contract of DESIGN.md §5."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from models import ApiToken, AuditEvent, Task, db
from tests.conftest import COLLAB_A, LEAD, OTHER, act, item_at, new_task
from tests.test_openapi import checked
from workflows import clock
from workflows.accounts import groups
from workflows.tasks import agency_changes, create, fanout, status


@pytest.fixture
def api(api):
    """Every /api/v1 response in these tests must also match views/openapi.json."""
    return checked(api)


def test_token(api, world):
    assert api.post("/api/v1/token", json={"username": "head", "password": "sai"}).status_code == 401
    assert api.post("/api/v1/token", data="x").status_code == 422
    r = api.post("/api/v1/token", json={"username": "head", "password": "mat-khau-1"})
    # a client is told when to fetch a new token (it stopped working after 90 days without a word), and no cache
    # between keeps the secret
    body = r.get_json()
    assert body["token"] and r.headers["Cache-Control"] == "no-store"
    made = datetime.fromisoformat(body["expires_at"]) - timedelta(days=90)
    assert made.utcoffset() == timedelta(hours=7) and abs(made - clock.to_local(clock.now())) < timedelta(minutes=1)
    [listed] = api.get("/api/v1/tokens", headers={"Authorization": f"Bearer {body['token']}"}).get_json()["items"]
    assert listed["expires_at"] == body["expires_at"] and listed["current"]


def test_requests_without_a_valid_token_are_refused(api, world):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        r = api.get("/api/v1/inbox", headers=headers)
        assert r.status_code == 401 and "error" in r.get_json()


def test_create_list_get(api, world):
    coord = api.token("coord")
    body = {"title": "Xây dựng Kế hoạch chuyển đổi số", "lead_agency": LEAD,
            "collaborating_agencies": [COLLAB_A], "output_type": "plan",
            "expected_output": "Kế hoạch của UBND tỉnh", "due_date": "2026-06-30",
            "deadline_text": "Quý II năm 2026", "source_document": "Kế hoạch số 266-KH/TU"}
    r = api.post("/api/v1/tasks", json=body, headers=coord)
    assert r.status_code == 201, r.get_json()
    task = r.get_json()
    assert task["status"] in ("not_started", "due_soon", "overdue")
    assert task["due_date"] == "2026-06-30" and task["lead_agency"] == LEAD
    [step] = task["current_steps"]
    assert (step["step_id"], step["agency"], step["role"], step["assignee"]) == ("assign", LEAD, "agency_head", None)
    assert task["history"][0]["action"] == "create"

    listed = api.get("/api/v1/tasks", headers=coord).get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == task["id"]
    assert api.get(f"/api/v1/tasks?agency={LEAD}", headers=coord).get_json()["total"] == 1
    assert api.get("/api/v1/tasks?agency=Sở Y tế", headers=coord).get_json()["total"] == 0
    assert api.get("/api/v1/tasks?step=Phân công chuyên viên", headers=coord).get_json()["total"] == 1
    assert api.get("/api/v1/tasks?step=Thẩm định", headers=coord).get_json()["total"] == 0
    assert api.get("/api/v1/tasks?step=assign", headers=coord).get_json()["total"] == 1  # as current_steps name it
    # a step of the request for more time is a step too, open or not (review)
    assert api.get("/api/v1/tasks?step=review", headers=coord).get_json()["total"] == 0
    r = api.get("/api/v1/tasks?step=Thẩm đinh", headers=coord)  # a typo answered "no task" as if none were there
    assert r.status_code == 422 and r.get_json()["error"].startswith("Không có bước “Thẩm đinh” trong quy trình")
    # a filter not understood is said so, not answered with every task (or none)
    r = api.get("/api/v1/tasks?status=bogus", headers=coord)
    assert r.status_code == 422 and r.get_json()["error"].startswith("Trạng thái “bogus” không hợp lệ; dùng một")
    r = api.get("/api/v1/tasks?agency=So Cong Thuong", headers=coord)
    assert r.status_code == 422 and "Không có đơn vị “So Cong Thuong”" in r.get_json()["error"]
    got = api.get(f"/api/v1/tasks/{task['id']}", headers=coord).get_json()
    assert got["code"] == task["code"]
    assert api.get("/api/v1/tasks/999", headers=coord).status_code == 404


def test_create_validation(api, world):
    coord = api.token("coord")
    r = api.post("/api/v1/tasks", json={"title": "", "lead_agency": "Không có", "output_type": "plan"},
                 headers=coord)
    assert r.status_code == 422 and set(r.get_json()["fields"]) >= {"title", "lead_agency"}
    r = api.post("/api/v1/tasks", json={"title": "A", "lead_agency": LEAD, "output_type": "plan",
                                        "due_date": "31/12/2026"}, headers=coord)
    assert r.status_code == 422
    r = api.post("/api/v1/tasks", json={"title": "A", "lead_agency": LEAD, "output_type": "plan",
                                        "due_date": "2026-12-31"}, headers=api.token("officer"))
    assert r.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0


def test_inbox_and_complete(api, world):
    task = new_task(world)
    head = api.token("head")
    inbox = api.get("/api/v1/inbox", headers=head).get_json()
    [item] = inbox["items"]
    assert item["decisions"] == ["submit"]
    assert item["fields"] == [
        {"name": "assignee", "type": "user", "required": False, "label": "Chuyên viên thực hiện"},
        {"name": "internal_due", "type": "date", "required": False, "label": "Hạn nội bộ nộp dự thảo"},
        {"name": "instructions", "type": "text", "required": False, "label": "Chỉ đạo, yêu cầu đối với chuyên viên"}]
    assert item["task_title"] == task.title and item["due_date"] == "2026-06-30"
    r = api.post(f"/api/v1/work-items/{item['work_item_id']}/complete",
                 json={"decision": "submit", "data": {"assignee": "officer"}}, headers=head)
    assert r.status_code == 200, r.get_json()
    assert [s["step_id"] for s in r.get_json()["current_steps"]] == ["draft"]
    assert api.get("/api/v1/inbox", headers=head).get_json()["items"] == []
    officer_inbox = api.get("/api/v1/inbox", headers=api.token("officer")).get_json()["items"]
    assert [(i["step_id"], i["assignee"]) for i in officer_inbox] == [("draft", "officer")]
    # a file is never a required field in the API
    assert all(not f["required"] for f in officer_inbox[0]["fields"] if f["type"] == "file")
    # officer2 sees nothing: the draft is assigned to officer
    assert api.get("/api/v1/inbox", headers=api.token("officer2")).get_json()["items"] == []
    # already done → 409 naming who did it, or saying it was the caller's own
    r = api.post(f"/api/v1/work-items/{item['work_item_id']}/complete", json={"decision": "submit"},
                 headers=api.token("officer"))
    assert r.status_code == 409 and "Ông/Bà head" in r.get_json()["error"]
    r = api.post(f"/api/v1/work-items/{item['work_item_id']}/complete", json={"decision": "submit"},
                 headers=head)
    assert r.status_code == 409 and r.get_json()["error"].startswith("Bạn đã xử lý việc này lúc")


def test_complete_errors(api, world):
    task = new_task(world, collaborators=())
    for step in ("assign", "draft", "finalise"):
        act(world, task, step)
    item = item_at(task, "signoff")
    url = f"/api/v1/work-items/{item.id}/complete"
    head = api.token("head")
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert api.post(url, json={"decision": "return"}, headers=head).status_code == 422
    assert api.post(url, json={"decision": "return", "comment": "  "}, headers=head).status_code == 422
    assert api.post(url, json={"decision": "maybe"}, headers=head).status_code == 422
    assert api.post(url, json={"decision": "approve", "data": []}, headers=head).status_code == 422
    assert api.post(url, json=["x"], headers=head).status_code == 422
    assert api.post(url, json={"decision": "approve"}, headers=api.token("x_head")).status_code == 403
    assert api.post(url, json={"decision": "approve"}, headers=api.token("officer")).status_code == 403
    assert api.post("/api/v1/work-items/99999/complete", json={"decision": "approve"},
                    headers=head).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    r = api.post(url, json={"decision": "return", "comment": "Thiếu số liệu"}, headers=head)
    assert r.status_code == 200
    assert r.get_json()["history"][-1]["comment"] == "Thiếu số liệu"
    assign = item_at(new_task(world, collaborators=(), title="Nhiệm vụ khác"), "assign")  # the limit is said
    r = api.post(f"/api/v1/work-items/{assign.id}/complete", headers=head,
                 json={"decision": "submit", "data": {"instructions": "x" * 100_000}})
    assert r.status_code == 422 and "tối đa 5000 ký tự (nội dung gửi có 100000 ký tự)" in str(r.get_json())


def test_claim_and_release_over_api(api, world):
    task = new_task(world, output_type="report", collaborators=())
    item = item_at(task, "draft")
    officer = api.token("officer")
    assert api.post(f"/api/v1/work-items/{item.id}/claim", headers=officer).get_json()["assignee"] == "officer"
    assert api.post(f"/api/v1/work-items/{item.id}/claim", headers=api.token("officer2")).status_code == 403
    assert api.post(f"/api/v1/work-items/{item.id}/release", headers=officer).get_json()["assignee"] is None


def test_lists_are_paginated(api, world):
    for n in range(3):
        new_task(world, title=f"Nhiệm vụ số {n + 1}", collaborators=())
    coord = api.token("coord")
    first = api.get("/api/v1/tasks?per_page=2", headers=coord).get_json()
    assert (len(first["items"]), first["page"], first["per_page"], first["total"], first["pages"]) == (2, 1, 2, 3, 2)
    second = api.get("/api/v1/tasks?per_page=2&page=2", headers=coord).get_json()
    assert len(second["items"]) == 1
    assert {t["id"] for t in first["items"] + second["items"]} == {t.id for t in db.session.scalars(select(Task))}
    assert api.get("/api/v1/tasks?page=9", headers=coord).get_json()["items"] == []
    assert api.get("/api/v1/tasks?per_page=500", headers=coord).get_json()["per_page"] == 100  # at most 100
    assert api.get("/api/v1/tasks?per_page=1000000000", headers=coord).get_json()["per_page"] == 100  # any size
    for query in ("per_page=0", "per_page=abc", "page=-1", "page=0", "page=1.5"):
        r = api.get(f"/api/v1/tasks?{query}", headers=coord)
        assert r.status_code == 422 and "số nguyên dương" in r.get_json()["error"], query
    head = api.token("head")
    inbox = api.get("/api/v1/inbox?per_page=2", headers=head).get_json()
    assert (len(inbox["items"]), inbox["per_page"], inbox["total"], inbox["pages"]) == (2, 2, 3, 2)
    assert api.get("/api/v1/inbox?page=x", headers=head).status_code == 422


def test_tokens_are_listed_without_secrets_and_revoked(api, world):
    first, second = api.token("head"), api.token("head")
    mine = api.get("/api/v1/tokens", headers=second).get_json()
    assert mine["total"] == 2 and [t["current"] for t in mine["items"]] == [True, False]  # newest first
    assert all(set(t) == {"id", "username", "created_at", "expires_at", "revoked_at", "current"} for t in mine["items"])
    first_id = mine["items"][1]["id"]
    assert first["Authorization"].split()[1] not in str(mine)
    # nobody else sees or revokes them
    officer = api.token("officer")
    assert api.get("/api/v1/tokens", headers=officer).get_json()["total"] == 1
    assert api.get("/api/v1/tokens?user=head", headers=officer).status_code == 403
    assert api.delete(f"/api/v1/tokens/{first_id}", headers=officer).status_code == 404
    assert api.get("/api/v1/inbox", headers=first).status_code == 200
    # the owner revokes one: that token is refused from now on, the other still works
    r = api.delete(f"/api/v1/tokens/{first_id}", headers=second)
    assert r.status_code == 200 and r.get_json()["revoked_at"]
    assert api.get("/api/v1/inbox", headers=first).status_code == 401
    assert api.get("/api/v1/inbox", headers=second).status_code == 200
    assert api.delete(f"/api/v1/tokens/{first_id}", headers=second).get_json()["revoked_at"] == r.get_json()[
        "revoked_at"]  # twice: nothing changes
    assert api.delete("/api/v1/tokens/99999", headers=second).status_code == 404
    # an admin lists and revokes anyone's; a token can revoke itself
    admin = api.token("admin")
    listed = api.get("/api/v1/tokens?user=head", headers=admin).get_json()
    assert [t["revoked_at"] is None for t in listed["items"]] == [True, False]
    assert api.get("/api/v1/tokens?user=nobody", headers=admin).status_code == 404
    assert api.delete(f"/api/v1/tokens/{listed['items'][0]['id']}", headers=admin).status_code == 200
    assert api.get("/api/v1/inbox", headers=second).status_code == 401
    assert api.delete(f"/api/v1/tokens/{api.get('/api/v1/tokens', headers=officer).get_json()['items'][0]['id']}",
                      headers=officer).status_code == 200
    assert api.get("/api/v1/tokens", headers=officer).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_not(None))) == 3
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "revoke_token")) == 3


def test_monitoring_feed_lists_changes_since_a_moment(api, world, frozen):
    first = new_task(world, title="Nhiệm vụ A", collaborators=())  # 01/03/2026 08:00 Hà Nội
    frozen.advance(hours=1)
    second = new_task(world, title="Nhiệm vụ B", collaborators=())  # 09:00
    frozen.advance(hours=1)
    act(world, first, "assign")  # 10:00: A changes again
    viewer = api.token("viewer")
    url = "/api/v1/monitoring/tasks"
    everything = api.get(url, headers=viewer).get_json()
    assert [t["title"] for t in everything["items"]] == ["Nhiệm vụ B", "Nhiệm vụ A"]  # by last change
    a = everything["items"][1]
    assert a["changed_at"] == "2026-03-01T10:00:00+07:00" and a["current_step"] == "Xây dựng dự thảo"
    assert a["current_holder"] == "Ông/Bà officer" and a["due_date"] == "2026-06-30"
    assert a["status"] == "in_progress" and a["completed_on"] is None
    assert everything["items"][0]["changed_at"] == "2026-03-01T09:00:00+07:00"
    assert everything["items"][0]["id"] == second.id and everything["items"][0]["current_holder"] == LEAD
    # only what changed since the moment; offsets, UTC and Hà Nội time without an offset all work
    for since in ("2026-03-01T09:30:00+07:00", "2026-03-01T02:30:00Z", "2026-03-01T09:30:00"):
        got = api.get(f"{url}?since={quote(since)}", headers=viewer).get_json()
        assert [t["id"] for t in got["items"]] == [first.id], since
    unencoded = api.get(f"{url}?since=2026-03-01T09:30:00+07:00", headers=viewer).get_json()  # "+" read as " "
    assert [t["id"] for t in unencoded["items"]] == [first.id]
    assert api.get(f"{url}?since=2026-03-01T10:00:01%2B07:00", headers=viewer).get_json()["items"] == []
    # who may read it
    for username in ("coord", "admin"):
        assert api.get(url, headers=api.token(username)).status_code == 200
    for username in ("officer", "head", "approver"):
        r = api.get(url, headers=api.token(username))
        assert r.status_code == 403 and "giám sát" in r.get_json()["error"]
    assert api.get(url).status_code == 401
    for bad in ("hôm qua", "2026-13-01", "01/03/2026"):
        r = api.get(f"{url}?since={quote(bad)}", headers=viewer)
        assert r.status_code == 422 and "since phải là thời điểm" in r.get_json()["error"], bad
    assert api.get(f"{url}?cursor=không-hợp-lệ", headers=viewer).status_code == 422


def test_monitoring_feed_pages_with_a_cursor(api, world, frozen):
    tasks = [new_task(world, title=f"Nhiệm vụ {n}", collaborators=()) for n in range(5)]  # all at the same moment
    viewer = api.token("viewer")
    seen, url = [], "/api/v1/monitoring/tasks?since=2026-03-01&per_page=2"
    while url:
        body = api.get(url, headers=viewer).get_json()
        assert body["per_page"] == 2 and len(body["items"]) <= 2
        seen += [t["id"] for t in body["items"]]
        if body["next"]:
            assert body["next_cursor"] and "since=2026-03-01T00" in body["next"]
        url = body["next"]
        frozen.advance(minutes=1)
        if len(seen) == 2:
            act(world, tasks[0], "assign")  # changed after it was read: it comes again at the end
    assert seen == [t.id for t in tasks] + [tasks[0].id]
    page = api.get("/api/v1/monitoring/tasks?per_page=2&page=2", headers=viewer).get_json()
    assert (page["page"], page["total"], page["pages"]) == (2, 5, 3)


def test_input_the_database_cannot_hold_is_refused_cleanly(api, world):
    """Ids beyond 32 bits gave 500 (found by tests/test_api_fuzz.py); PostgreSQL cannot store NUL characters."""
    task = new_task(world, collaborators=())
    coord = api.token("coord")
    assert api.get(f"/api/v1/tasks/{2**63}", headers=coord).status_code == 404
    assert api.post(f"/api/v1/work-items/{10**30}/complete", json={"decision": "submit"},
                    headers=coord).status_code == 404
    assert api.delete(f"/api/v1/tokens/{2**40}", headers=coord).status_code == 404
    for r in (api.get("/api/v1/tasks?q=a%00b", headers=coord),
              api.post(f"/api/v1/tasks/{task.id}/comments", json={"body": "a\x00b"}, headers=coord)):
        assert r.status_code == 422 and "NUL" in r.get_json()["error"]


def test_a_route_that_names_an_agency_missing_from_the_registry_is_refused_at_creation(api, world, app):
    coord = api.token("coord")
    app.config["COORDINATING_AGENCY"] = "Văn phòng Tỉnh ủy"
    try:
        r = api.post("/api/v1/tasks", json={"title": "Báo cáo sơ kết", "lead_agency": LEAD, "output_type": "report",
                                            "due_date": "2026-12-31"}, headers=coord)
    finally:
        app.config["COORDINATING_AGENCY"] = "Sở Khoa học và Công nghệ"
    assert r.status_code == 422
    assert "Văn phòng Tỉnh ủy" in r.get_json()["fields"]["output_type"]
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0


def test_the_api_takes_no_longer_text_than_the_form(api, world):
    """A 20,000-character title was taken (the form stops at 2,000), and one word of 50,000 characters made the
    same-title check fail in the database, answered as "database unavailable"."""
    coord = api.token("coord")
    for title in ("x" * 20_000, "y" * 60_000):
        r = api.post("/api/v1/tasks", headers=coord, json={"title": title, "lead_agency": LEAD,
                                                           "output_type": "plan", "due_date": "2026-06-30"})
        assert r.status_code == 422, r.status_code
        assert r.get_json()["fields"]["title"] == f"Tối đa 2000 ký tự (nội dung gửi có {len(title)} ký tự)."


def test_an_agency_no_longer_working_is_refused_with_whom_to_choose(api, world):
    """An outside check: the API gave a task to a department merged into another (its first step waited where
    nobody works), and took one as a collaborator; the form offers only working agencies."""
    agency_changes.merge_agency(None, OTHER, LEAD, date(2026, 3, 1), "Nghị quyết số 01/NQ-HĐND")
    db.session.commit()
    headers = api.token("coord")
    body = {"title": "Kế hoạch y tế cơ sở", "output_type": "plan", "due_date": "2026-09-30"}
    lead = api.post("/api/v1/tasks", json={**body, "lead_agency": OTHER}, headers=headers)
    assert lead.status_code == 422
    assert lead.get_json()["fields"]["lead_agency"] == (f"“{OTHER}” đã sáp nhập vào “{LEAD}” từ 01/03/2026: chọn "
                                                        f"“{LEAD}”.")
    collab = api.post("/api/v1/tasks", json={**body, "lead_agency": COLLAB_A, "collaborating_agencies": [OTHER]},
                      headers=headers)
    assert collab.status_code == 422 and "đã sáp nhập vào" in collab.get_json()["fields"]["collaborating_agencies"]
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0


@pytest.mark.parametrize("day", ["9999-12-30", "0001-01-01", "3000-06-30"])
def test_a_year_the_form_refuses_is_refused_in_vietnamese(api, world, day):
    """The API took 3000-06-30, and answered 9999-12-30 with the engine's English ("Error evaluating expression")."""
    r = api.post("/api/v1/tasks", json={"title": "Nhiệm vụ", "lead_agency": LEAD, "output_type": "plan",
                                        "due_date": day}, headers=api.token("coord"))
    assert r.status_code == 422
    assert r.get_json()["fields"]["due_date"].startswith(f"Năm {int(day[:4])} của ngày ")
    assert "Error" not in r.get_json()["error"]


def test_a_withdrawn_members_task_is_not_listed_and_says_why(api, world):
    """Its status ("withdrawn") is none of the contract's: the list leaves it out, its page says it was withdrawn;
    the monitoring feed tells it, as documented (every response here is checked against views/openapi.json)."""
    groups.create_group(None, "Hai sở", [LEAD, OTHER])
    parent = create.create_task(world["coord"], title="Báo cáo chuyển đổi số", lead_agency="Hai sở",
                                output_type="report", due_date=date(2026, 9, 30))
    gone = next(t for t in fanout.member_tasks(parent) if t.lead_agency.name == OTHER)
    fanout.remove_member(world["coord"], parent.id, gone.id, "Đơn vị không còn nhiệm vụ này")
    headers = api.token("coord")
    listed = api.get("/api/v1/tasks?per_page=100", headers=headers).get_json()
    assert gone.id not in [t["id"] for t in listed["items"]]
    assert {t["status"] for t in listed["items"]} <= set(status.STATUSES)
    r = api.get(f"/api/v1/tasks/{gone.id}", headers=headers)
    assert r.status_code == 404 and "đã được rút khỏi nhiệm vụ giao cho nhóm" in r.get_json()["error"]
    feed = api.get("/api/v1/monitoring/tasks", headers=headers).get_json()
    assert {t["id"]: t["status"] for t in feed["items"]}[gone.id] == "withdrawn"


def _post_at_once(app, token: dict, body: dict, n: int, headers: dict | None = None) -> list[tuple[int, dict]]:
    """``n`` POSTs of ``body`` to /api/v1/tasks released together, each on its own connection."""
    barrier, lock, results = threading.Barrier(n), threading.Lock(), []

    def post():
        client = app.test_client()
        with app.app_context():
            barrier.wait()
            r = client.post("/api/v1/tasks", json=body, headers={**token, **(headers or {})})
            with lock:
                results.append((r.status_code, r.get_json()))
            db.session.remove()

    threads = [threading.Thread(target=post) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_a_task_sent_twice_at_once_is_made_once(app, api, world):
    # a client retrying after a timeout made NV-00182 and NV-00183; eight sendings at once, eight tasks
    body = {"title": "Báo cáo chuyển đổi số quý", "lead_agency": LEAD, "output_type": "report",
            "due_date": "2030-03-29", "source_document": "Kế hoạch số 79-KH/UBND"}
    coord = api.token("coord")
    results = _post_at_once(app, coord, body, 6)
    assert sorted(code for code, _ in results) == [201] + [422] * 5, results
    assert all("Văn bản này đã giao nhiệm vụ cùng tên" in r["fields"]["title"] for code, r in results if code == 422)
    # with a key of its own, the same request sent again is answered with the task the first one made
    keyed = {**body, "title": "Báo cáo chuyển đổi số tháng"}
    results = _post_at_once(app, coord, keyed, 6, {"Idempotency-Key": "evn-2030-0042"})
    assert {code for code, _ in results} == {201} and len({r["id"] for _, r in results}) == 1, results
    again = api.post("/api/v1/tasks", json=keyed, headers={**coord, "Idempotency-Key": "evn-2030-0042"})
    assert again.status_code == 201 and again.get_json()["id"] == results[0][1]["id"]
    assert db.session.scalar(select(func.count()).select_from(Task).where(Task.title == keyed["title"])) == 1
    other = api.post("/api/v1/tasks", json={**keyed, "title": "Một nhiệm vụ khác"},
                     headers={**coord, "Idempotency-Key": "evn-2030-0042"})  # a key used again for another task
    assert other.status_code == 422 and "Idempotency-Key này đã dùng cho nhiệm vụ khác" in other.get_json()["error"]
    bad = api.post("/api/v1/tasks", json=keyed, headers={**coord, "Idempotency-Key": "khóa có dấu"})
    assert bad.status_code == 422 and "Idempotency-Key phải có từ 1 đến 40 ký tự" in bad.get_json()["error"]


def test_one_document_written_two_ways_is_one_document_to_the_duplicate_check(api, world):
    coord = api.token("coord")
    body = {"title": "Rà soát thủ tục hành chính", "lead_agency": LEAD, "output_type": "report",
            "due_date": "2030-03-29", "source_document": "KH số 779-KH/UBND"}
    assert api.post("/api/v1/tasks", json=body, headers=coord).status_code == 201
    again = api.post("/api/v1/tasks", json={**body, "source_document": "Kế hoạch số 779-KH/UBND"}, headers=coord)
    assert again.status_code == 422 and "Văn bản này đã giao nhiệm vụ cùng tên" in again.get_json()["fields"]["title"]


def test_a_deadline_written_from_the_document_s_day_counts_from_it(api, world):
    # "30 ngày kể từ ngày ký" counted from the day the task was entered; "Hằng tháng" of a plan that takes effect in
    # March was due in December, before the plan existed
    coord = api.token("coord")

    def due(deadline: str, document: str | None):
        body = {"title": f"Nhiệm vụ {deadline} {document}", "lead_agency": LEAD, "output_type": "report",
                "deadline_text": deadline, "source_document": document}
        r = api.post("/api/v1/tasks", json=body, headers=coord)
        return r.get_json()["due_date"] if r.status_code == 201 else r.get_json()["fields"]["deadline_text"]

    assert due("30 ngày kể từ ngày ký", "Kế hoạch số 12/KH-UBND ngày 02/11/2030") == "2030-12-02"
    assert due("Hằng tháng", "Kế hoạch số 13/KH-UBND ngày 01/03/2030") == "2030-03-20"
    assert due("30 ngày kể từ ngày ký", None) == (
        "Thời hạn “30 ngày kể từ ngày ký” tính từ ngày ban hành văn bản: ghi ngày của văn bản ở ô Văn bản giao (ví dụ "
        "“Kế hoạch số 12/KH-UBND ngày 01/11/2026”), hoặc nhập ngày ở ô Thời hạn hoàn thành.")
    # a document recorded before under that number gives its day; of two such (numbers restart every year), none
    assert due("trong thời hạn 6 tháng", "Kế hoạch số 12/KH-UBND") == "2031-05-02"
    assert due("Hằng quý", "Kế hoạch số 12/KH-UBND ngày 05/01/2031").startswith("2031-03")
    assert due("trong thời hạn 3 tháng", "Kế hoạch số 12/KH-UBND").startswith("Thời hạn “trong thời hạn 3 tháng” tính "
                                                                         "từ ngày ban hành văn bản")


def test_a_file_sent_through_the_api_is_refused_not_dropped(api, world):
    # the step moved on and the task page said "Chưa có tệp nào": the client believed the draft was attached
    task = new_task(world, collaborators=())
    act(world, task, "assign")
    act(world, task, "draft")
    item = item_at(task, "finalise")  # (its file is optional: the step went on without it)
    r = api.post(f"/api/v1/work-items/{item.id}/complete", headers=api.token("officer"),
                 json={"decision": "submit", "data": {"draft_file": "SGVsbG8="}})
    assert r.status_code == 422 and r.get_json()["error"] == ("Tệp đính kèm chưa gửi được qua API: gửi tệp ở trang "
                                                              "nhiệm vụ.")
    assert r.get_json()["fields"] == {"draft_file": "Trường này là tệp: gửi ở trang nhiệm vụ."}
    assert item_at(task, "finalise").status == "open"


def test_an_agency_written_in_other_capitals_or_spacing_is_found_and_every_unknown_one_named(api, world):
    coord = api.token("coord")
    body = {"title": "Tổng hợp báo cáo năm", "lead_agency": "  " + LEAD.lower().replace(" ", "  "),
            "collaborating_agencies": [COLLAB_A.upper()], "output_type": "report", "due_date": "2030-03-29"}
    r = api.post("/api/v1/tasks", json=body, headers=coord)
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["lead_agency"], r.get_json()["collaborating_agencies"]) == (LEAD, [COLLAB_A])
    r = api.post("/api/v1/tasks", json={**body, "title": "Khác", "collaborating_agencies": ["Sở Một", COLLAB_A,
                                                                                           "Sở Hai"]}, headers=coord)
    assert r.get_json()["fields"]["collaborating_agencies"] == "Không tìm thấy đơn vị phối hợp “Sở Một”, “Sở Hai”."
