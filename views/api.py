"""JSON API /api/v1 (DESIGN.md §5, views/openapi.json). Bearer tokens only; errors are {"error": "..."}."""

from __future__ import annotations

import re
from datetime import date
from functools import cache, wraps
from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext

from models import ApiToken, AuditEvent, Task, WorkItem, db
from views import parsing
from workflows import clock
from workflows.accounts import people
from workflows.errors import N_, Invalid, NotFound
from workflows.reporting import monitoring
from workflows.tasks import comments, create, fanout, reads, status, work
from workflows.text import fold_words

bp = Blueprint("api", __name__, url_prefix="/api/v1")
SPEC = Path(__file__).with_name("openapi.json")  # the contract; tests/test_openapi.py keeps it true
MAX_PER_PAGE = 100
# Path ids beyond the database's integers are 404 for every blueprint (views/parsing.py, views/errors.py);
# NUL characters are refused in views/auth.py.


def token_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        row = people.live_token(token.strip()) if scheme.lower() == "bearer" and token else None
        if row is None:
            return jsonify({"error": gettext("Chưa đăng nhập hoặc mã truy cập không hợp lệ.")}), 401
        g.api_user, g.api_token_id = row.user, row.id
        return view(*args, **kwargs)
    return wrapper


def _int_arg(name: str, default: int, message: str) -> int:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    value = parsing.number(raw, high=999_999_999)
    if value is None:
        raise Invalid(message, {name: N_("Số không hợp lệ.")})
    return value


def _paging(default_per_page: int) -> tuple[int, int]:
    """``page`` (from 1) and ``per_page`` (at most 100; more is read as 100) from the query string."""
    page = _int_arg("page", 1, N_("page phải là số nguyên dương (trang đầu là 1)."))
    raw = (request.args.get("per_page") or "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) > 9 and raw.strip("0"):  # (any size: more is read as 100)
        return page, MAX_PER_PAGE
    per_page = _int_arg("per_page", default_per_page,
                        N_("per_page phải là số nguyên dương (tối đa 100 mục mỗi trang)."))
    return page, min(per_page, MAX_PER_PAGE)


def _page_json(page, items: list) -> dict:
    return {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total, "pages": page.pages}


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
        "id": task.id, "code": task.code, "title": task.title, "status": status.of(task),
        "lead_agency": task.lead_name,
        "collaborating_agencies": [a.name for a in task.collaborating_agencies],
        "central_agencies": list(task.central_agencies or []),
        "output_type": task.output_type, "expected_output": task.expected_output,
        "due_date": _iso(task.due_date), "deadline_text": task.deadline_text,
        "source_document": task.source_document,
        "current_step": task.current_step, "current_holder": task.current_holder,
        "completed_at": clock.to_local(task.completed_at).isoformat() if task.completed_at else None,
    }
    if detail and fanout.owed_by_group(task):  # no steps of its own: its members' tasks have them
        members = fanout.member_tasks(task)
        progress = fanout.progress(task, members)
        body["kind"] = "group"  # "lead_agency" names the group; each subtask its member agency
        body["subtasks"] = [{"id": t.id, "code": t.code, "lead_agency": t.lead_agency.name, "status": status.of(t)}
                            for t in members]
        body["progress"] = {"done": progress.done, "total": progress.total, "overdue": progress.overdue}
        # where it stands: its members' open steps (a finished group task has none, as the contract says)
        body["current_steps"] = [step_json(i) for i in reads.open_items_of([t.id for t in members])]
        body["history"] = [event_json(e) for e in reads.history(task)]
    elif detail:
        body["current_steps"] = [step_json(i) for i in reads.open_items(task)]
        body["history"] = [event_json(e) for e in reads.history(task)]
    return body


def event_json(event: AuditEvent) -> dict:
    body = {"id": event.id, "at": clock.to_local(event.at).isoformat(),
            "actor": event.actor.username if event.actor else None, "action": event.action,
            "step_name": event.from_step or event.to_step, "to_step": event.to_step, "comment": event.comment}
    if event.action == "comment":
        body["agency"] = event.agency.name if event.agency else None
        body["mentions"] = [m["name"] for m in comments.mentions_of(event)]
    return body


def _api_fields(item: WorkItem) -> list[dict]:
    # Files are uploaded through the web form; over the API they are never required.
    return [{"name": f["name"], "type": f["type"], "required": f["required"] and f["type"] != "file",
             "label": f["label"]} for f in item.fields]


@bp.post("/token")
def token():
    body = parsing.json_object()
    user = people.authenticate(str(body.get("username", "")), str(body.get("password", "")))
    if user is None:
        return jsonify({"error": gettext("Tên đăng nhập hoặc mật khẩu không đúng.")}), 401
    token, expires_at = people.create_token(user)
    # a secret: kept by no cache between here and the client
    return jsonify({"token": token, "expires_at": clock.to_local(expires_at).isoformat()}), 200, \
        {"Cache-Control": "no-store", "Pragma": "no-cache"}


@bp.get("/tasks")
@token_required
def list_tasks():
    # (a member's task withdrawn from a group's task is counted nowhere, and has none of the contract's statuses)
    filters = reads.TaskFilters(
        agency_id=None, status=request.args.get("status") or None, withdrawn=False,
        step=request.args.get("step") or None, q=(request.args.get("q") or "").strip()[:200] or None)
    if filters.status is not None and filters.status not in status.STATUSES:  # not every task, silently
        raise Invalid("Trạng thái “%(status)s” không hợp lệ; dùng một trong: %(known)s.",
                      status=filters.status[:50], known=", ".join(status.STATUSES))
    if filters.step is not None and not reads.known_step(filters.step):  # (not "no task is at it")
        raise Invalid("Không có bước “%(step)s” trong quy trình; ghi tên bước hoặc mã bước như current_steps ghi "
                      "(ví dụ “Thẩm định” hoặc “appraise”).", step=filters.step[:60])
    agency_name = request.args.get("agency")
    if agency_name:
        agency = reads.agency_by_name(agency_name)
        if agency is None:
            raise Invalid("Không có đơn vị “%(name)s” trong danh mục (ghi đúng tên đầy đủ, có dấu).",
                          name=agency_name[:200])
        filters.agency_id = agency.id
    number, per_page = _paging(50)
    page = reads.list_tasks(g.api_user, filters, page=number, per_page=per_page, past_end_is_last=False,
                            with_collaborators=True)
    return jsonify(_page_json(page, [task_json(t) for t in page.items]))


@bp.post("/tasks")
@token_required
def create_task():
    body = parsing.json_object()
    due = body.get("due_date")
    try:
        due_date = date.fromisoformat(due) if due else None
    except (TypeError, ValueError):
        raise Invalid("due_date phải có dạng YYYY-MM-DD.", {"due_date": N_("Ngày không hợp lệ.")}) from None
    collaborators = body.get("collaborating_agencies") or []
    if not isinstance(collaborators, list) or not all(isinstance(a, str) for a in collaborators):
        raise Invalid("collaborating_agencies phải là danh sách tên đơn vị.")
    fields = {k: body.get(k) for k in ("title", "lead_agency", "output_type", "expected_output",
                                        "deadline_text", "source_document")}
    if not all(v is None or isinstance(v, str) for v in fields.values()):
        raise Invalid("Các trường văn bản phải là chuỗi ký tự.")
    submission = _idempotency_key()
    if submission and (done := create.submitted(submission)) is not None \
            and fold_words(done.title) != fold_words(fields["title"] or ""):
        raise Invalid("Idempotency-Key này đã dùng cho nhiệm vụ khác (%(code)s): mỗi nhiệm vụ một khóa.",
                      code=done.code)
    task = create.create_task(g.api_user, title=fields["title"] or "", lead_agency=fields["lead_agency"],
                             output_type=fields["output_type"] or "", collaborating_agencies=collaborators,
                             expected_output=fields["expected_output"], due_date=due_date,
                             deadline_text=fields["deadline_text"], source_document=fields["source_document"],
                             duplicate_ok=body.get("duplicate_ok") is True, confirm=create.CONFIRM_IN_API,
                             submission=submission)
    return jsonify(task_json(task, detail=True)), 201


IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,40}")


def _idempotency_key() -> str | None:
    """The client's ``Idempotency-Key`` header as the task's one-time key, kept apart per account: a request sent
    again with it (a retry after a timeout, two at once) answers with the task the first one created."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key.strip()):
        raise Invalid("Idempotency-Key phải có từ 1 đến 40 ký tự: chữ cái không dấu, chữ số hoặc . _ : -")
    return f"api:{g.api_user.id}:{key.strip()}"


@bp.get("/tasks/<int:task_id>")
@token_required
def get_task(task_id: int):
    task = reads.get_task(g.api_user, task_id)
    if task.kind == fanout.WITHDRAWN and task.parent_id is not None:
        raise NotFound("Nhiệm vụ này đã được rút khỏi nhiệm vụ giao cho nhóm: không còn được theo dõi (lịch sử xem "
                       "trên trang nhiệm vụ).")
    if task.kind == fanout.WITHDRAWN:  # (a task a document took off the list, not a group's share)
        raise NotFound("Nhiệm vụ này đã được rút (không tiếp tục thực hiện): không còn được theo dõi (lịch sử xem "
                       "trên trang nhiệm vụ).")
    return jsonify(task_json(task, detail=True))


@bp.post("/tasks/<int:task_id>/comments")
@token_required
def add_comment(task_id: int):
    body = parsing.json_object()
    text, mentions = body.get("body"), body.get("mentions") or []
    if not isinstance(text, str):
        raise Invalid("body phải là chuỗi ký tự: nội dung trao đổi.", {"body": N_("Vui lòng nhập nội dung trao đổi.")})
    if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
        raise Invalid("mentions phải là danh sách tên đơn vị.")
    task = reads.get_task(g.api_user, task_id)
    comments.ensure_can_comment(g.api_user, task)  # 403 before 422 for an unknown agency
    event = comments.add_comment(g.api_user, task, text, comments.agency_ids_by_name(mentions))
    return jsonify(event_json(event)), 201


@bp.get("/inbox")
@token_required
def inbox():
    number, per_page = _paging(100)
    page = reads.inbox(g.api_user, page=number, per_page=per_page, past_end_is_last=False)
    items = [{
        "work_item_id": i.id, "task_id": i.task_id, "task_title": i.task.title,
        "step_id": i.step_id, "step_name": i.step_name, "agency": i.agency.name if i.agency else None,
        "role": i.role, "assignee": i.claimed_by.username if i.claimed_by else None,
        "due_date": _iso(i.task.due_date), "waiting_since": _waiting_since(i),
        "decisions": i.decisions, "fields": _api_fields(i),
    } for i in page.items]
    return jsonify(_page_json(page, items))


@bp.post("/work-items/<int:item_id>/complete")
@token_required
def complete(item_id: int):
    body = parsing.json_object()
    data = body.get("data")
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise Invalid("data phải là một đối tượng JSON.")
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise Invalid("comment phải là chuỗi ký tự.")
    item = reads.get_work_item(g.api_user, item_id)
    if files := [f["name"] for f in item.fields if f["type"] == "file" and f["name"] in data]:
        # (no file goes through the API: one given here would be dropped and the step taken as sent without it)
        raise Invalid("Tệp đính kèm chưa gửi được qua API: gửi tệp ở trang nhiệm vụ.",
                      {name: N_("Trường này là tệp: gửi ở trang nhiệm vụ.") for name in files})
    task = work.complete(item.id, g.api_user, str(body.get("decision") or ""), comment, data)
    return jsonify(task_json(task, detail=True))


@bp.post("/work-items/<int:item_id>/claim")
@token_required
def claim(item_id: int):
    item = work.claim(reads.get_work_item(g.api_user, item_id).id, g.api_user)
    return jsonify(step_json(item))


@bp.post("/work-items/<int:item_id>/release")
@token_required
def release(item_id: int):
    item = work.release(reads.get_work_item(g.api_user, item_id).id, g.api_user)
    return jsonify(step_json(item))



def token_json(row: ApiToken) -> dict:
    return {"id": row.id, "username": row.user.username, "created_at": clock.to_local(row.created_at).isoformat(),
            "expires_at": clock.to_local(people.token_expiry(row)).isoformat(),
            "revoked_at": clock.to_local(row.revoked_at).isoformat() if row.revoked_at else None,
            "current": row.id == g.api_token_id}


@bp.get("/tokens")
@token_required
def list_tokens():
    """The caller's tokens (an admin: ``?user=username``); the secrets themselves are never stored."""
    number, per_page = _paging(50)
    page = db.paginate(people.tokens_query(g.api_user, (request.args.get("user") or "").strip() or None),
                       page=number, per_page=per_page, error_out=False, count=True)
    return jsonify(_page_json(page, [token_json(t) for t in page.items]))


@bp.delete("/tokens/<int:token_id>")
@token_required
def revoke_token(token_id: int):
    return jsonify(token_json(people.revoke_token(g.api_user, token_id)))


def monitoring_json(task: Task, changed_at) -> dict:
    return {
        "id": task.id, "code": task.code, "title": task.title, "status": status.of(task),
        "lead_agency": task.lead_name, "current_step": task.current_step,
        "current_holder": task.current_holder, "due_date": _iso(task.due_date),
        "completed_on": _iso(task.completed_on),
        "completed_at": clock.to_local(task.completed_at).isoformat() if task.completed_at else None,
        "changed_at": clock.to_local(changed_at).isoformat(),
    }


@bp.get("/monitoring/tasks")
@token_required
def monitoring_tasks():
    """Read-only changes feed for the provincial monitoring system (workflows/monitoring.py)."""
    monitoring.ensure_can_read(g.api_user)  # 403 before 422
    since = monitoring.parse_since(request.args.get("since"))
    cursor_text = (request.args.get("cursor") or "").strip()
    cursor = monitoring.Cursor.decode(cursor_text) if cursor_text else None
    number, per_page = _paging(50)
    feed = monitoring.changes(g.api_user, since, cursor, number, per_page)
    next_url = None
    if feed.next_cursor:
        args = {"cursor": feed.next_cursor, "per_page": per_page}
        if since is not None:
            args["since"] = clock.to_local(since).isoformat()
        next_url = url_for("api.monitoring_tasks", **args)
    pages = -(-feed.total // per_page)
    return jsonify({"items": [monitoring_json(t, at) for t, at in feed.rows], "page": number, "per_page": per_page,
                    "total": feed.total, "pages": pages, "next_cursor": feed.next_cursor, "next": next_url})


@cache
def _spec_bytes() -> bytes:
    return SPEC.read_bytes()


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.0 description of this API (views/openapi.json); no token needed."""
    return current_app.response_class(_spec_bytes(), mimetype="application/json")
