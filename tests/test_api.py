"""The JSON API contract of DESIGN.md §5."""

from __future__ import annotations

from sqlalchemy import func, select

from models import AuditEvent, Task, db
from tests.conftest import COLLAB_A, LEAD, act, item_at, new_task


def test_token(api, world):
    assert api.post("/api/v1/token", json={"username": "head", "password": "sai"}).status_code == 401
    assert api.post("/api/v1/token", data="x").status_code == 422
    assert "token" in api.post("/api/v1/token", json={"username": "head", "password": "mat-khau-1"}).get_json()


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
    assert item["fields"] == [{"name": "assignee", "type": "user", "required": False,
                               "label": "Chuyên viên thực hiện"}]
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
    # already done → 409 naming who did it
    r = api.post(f"/api/v1/work-items/{item['work_item_id']}/complete", json={"decision": "submit"},
                 headers=head)
    assert r.status_code == 409 and "Ông/Bà head" in r.get_json()["error"]


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


def test_claim_and_release_over_api(api, world):
    task = new_task(world, output_type="report", collaborators=())
    item = item_at(task, "draft")
    officer = api.token("officer")
    assert api.post(f"/api/v1/work-items/{item.id}/claim", headers=officer).get_json()["assignee"] == "officer"
    assert api.post(f"/api/v1/work-items/{item.id}/claim", headers=api.token("officer2")).status_code == 403
    assert api.post(f"/api/v1/work-items/{item.id}/release", headers=officer).get_json()["assignee"] is None
