"""JSON API /api/v1 (DESIGN.md §5). Bearer tokens only; errors are {"error": "..."}."""

from __future__ import annotations

from datetime import date
from functools import wraps

from flask import Blueprint, g, jsonify, request

from models import AuditEvent, Task, WorkItem
from workflows import clock, comments, cycle, people, queries
from workflows.errors import Invalid

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user = people.user_for_token(token.strip()) if scheme.lower() == "bearer" and token else None
        if user is None:
            return jsonify({"error": "Chưa đăng nhập hoặc mã truy cập không hợp lệ."}), 401
        g.api_user = user
        return view(*args, **kwargs)
    return wrapper


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid("Nội dung yêu cầu phải là một đối tượng JSON.")
    return body


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _waiting_since(item: WorkItem) -> str | None:
    return clock.to_local(item.created_at).isoformat() if item.created_at else None


def step_json(item: WorkItem) -> dict:
    return {
        "work_item_id": item.id, "step_id": item.step_id, "step_name": item.step_name,
        "agency": item.agency.name if item.agency else None, "role": item.role,
        "assignee": item.claimed_by.username if item.claimed_by else None,
        "waiting_since": _waiting_since(item),
    }


def task_json(task: Task, detail: bool = False) -> dict:
    body = {
        "id": task.id, "code": task.code, "title": task.title, "status": queries.task_status(task),
        "lead_agency": task.lead_agency.name,
        "collaborating_agencies": [a.name for a in task.collaborating_agencies],
        "output_type": task.output_type, "expected_output": task.expected_output,
        "due_date": _iso(task.due_date), "deadline_text": task.deadline_text,
        "source_document": task.source_document,
        "current_step": task.current_step, "current_holder": task.current_holder,
        "completed_at": clock.to_local(task.completed_at).isoformat() if task.completed_at else None,
    }
    if detail:
        body["current_steps"] = [step_json(i) for i in queries.open_items(task)]
        body["history"] = [event_json(e) for e in queries.history(task)]
    return body


def event_json(event: AuditEvent) -> dict:
    body = {"id": event.id, "at": clock.to_local(event.at).isoformat(),
            "actor": event.actor.username if event.actor else None, "action": event.action,
            "step_name": event.from_step or event.to_step, "to_step": event.to_step, "comment": event.comment}
    if event.action == "comment":
        body["agency"] = event.actor.agency.name if event.actor and event.actor.agency else None
        body["mentions"] = [m["name"] for m in comments.mentions_of(event)]
    return body


def _api_fields(item: WorkItem) -> list[dict]:
    # Files are uploaded through the web form; over the API they are never required.
    return [{"name": f["name"], "type": f["type"], "required": f["required"] and f["type"] != "file",
             "label": f["label"]} for f in item.fields]


@bp.post("/token")
def token():
    body = _json_body()
    user = people.authenticate(str(body.get("username", "")), str(body.get("password", "")))
    if user is None:
        return jsonify({"error": "Tên đăng nhập hoặc mật khẩu không đúng."}), 401
    return jsonify({"token": people.create_token(user)})


@bp.get("/tasks")
@token_required
def list_tasks():
    filters = queries.TaskFilters(
        agency_id=None, status=request.args.get("status") or None,
        step=request.args.get("step") or None, q=(request.args.get("q") or "").strip()[:200] or None)
    agency_name = request.args.get("agency")
    if agency_name:
        agency = queries.agency_by_name(agency_name)
        filters.agency_id = agency.id if agency else -1
    page = queries.list_tasks(g.api_user, filters, page=request.args.get("page", 1, type=int),
                              per_page=min(request.args.get("per_page", 50, type=int), 200))
    return jsonify({"items": [task_json(t) for t in page.items], "total": page.total,
                    "page": page.page, "pages": page.pages})


@bp.post("/tasks")
@token_required
def create_task():
    body = _json_body()
    due = body.get("due_date")
    try:
        due_date = date.fromisoformat(due) if due else None
    except (TypeError, ValueError):
        raise Invalid("due_date phải có dạng YYYY-MM-DD.", {"due_date": "Ngày không hợp lệ."}) from None
    collaborators = body.get("collaborating_agencies") or []
    if not isinstance(collaborators, list) or not all(isinstance(a, str) for a in collaborators):
        raise Invalid("collaborating_agencies phải là danh sách tên đơn vị.")
    fields = {k: body.get(k) for k in ("title", "lead_agency", "output_type", "expected_output",
                                        "deadline_text", "source_document")}
    if not all(v is None or isinstance(v, str) for v in fields.values()):
        raise Invalid("Các trường văn bản phải là chuỗi ký tự.")
    task = cycle.create_task(g.api_user, title=fields["title"] or "", lead_agency=fields["lead_agency"],
                             output_type=fields["output_type"] or "", collaborating_agencies=collaborators,
                             expected_output=fields["expected_output"], due_date=due_date,
                             deadline_text=fields["deadline_text"], source_document=fields["source_document"])
    return jsonify(task_json(task, detail=True)), 201


@bp.get("/tasks/<int:task_id>")
@token_required
def get_task(task_id: int):
    return jsonify(task_json(queries.get_task(g.api_user, task_id), detail=True))


@bp.post("/tasks/<int:task_id>/comments")
@token_required
def add_comment(task_id: int):
    body = _json_body()
    text, mentions = body.get("body"), body.get("mentions") or []
    if not isinstance(text, str):
        raise Invalid("body phải là chuỗi ký tự: nội dung trao đổi.", {"body": "Vui lòng nhập nội dung trao đổi."})
    if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
        raise Invalid("mentions phải là danh sách tên đơn vị.")
    task = queries.get_task(g.api_user, task_id)
    comments.ensure_can_comment(g.api_user, task)  # 403 before 422 for an unknown agency
    event = comments.add_comment(g.api_user, task, text, comments.agency_ids_by_name(mentions))
    return jsonify(event_json(event)), 201


@bp.get("/inbox")
@token_required
def inbox():
    page = queries.inbox(g.api_user, page=request.args.get("page", 1, type=int),
                         per_page=min(request.args.get("per_page", 100, type=int), 500))
    items = [{
        "work_item_id": i.id, "task_id": i.task_id, "task_title": i.task.title,
        "step_id": i.step_id, "step_name": i.step_name, "agency": i.agency.name if i.agency else None,
        "role": i.role, "assignee": i.claimed_by.username if i.claimed_by else None,
        "due_date": _iso(i.task.due_date), "waiting_since": _waiting_since(i),
        "decisions": i.decisions, "fields": _api_fields(i),
    } for i in page.items]
    return jsonify({"items": items, "total": page.total, "page": page.page, "pages": page.pages})


@bp.post("/work-items/<int:item_id>/complete")
@token_required
def complete(item_id: int):
    body = _json_body()
    data = body.get("data")
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise Invalid("data phải là một đối tượng JSON.")
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise Invalid("comment phải là chuỗi ký tự.")
    item = queries.get_work_item(g.api_user, item_id)
    task = cycle.complete(item.id, g.api_user, str(body.get("decision") or ""), comment, data)
    return jsonify(task_json(task, detail=True))


@bp.post("/work-items/<int:item_id>/claim")
@token_required
def claim(item_id: int):
    item = cycle.claim(queries.get_work_item(g.api_user, item_id).id, g.api_user)
    return jsonify(step_json(item))


@bp.post("/work-items/<int:item_id>/release")
@token_required
def release(item_id: int):
    item = cycle.release(queries.get_work_item(g.api_user, item_id).id, g.api_user)
    return jsonify(step_json(item))

