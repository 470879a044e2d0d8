"""Errors in one place: domain exceptions and HTTP errors, as pages or as JSON for the API."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, render_template, request
from flask_babel import gettext
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from models import db, login_manager
from views import parsing
from views.i18n import domain_message, field_messages
from workflows.errors import N_, DomainError
from workflows.ops import health

bp = Blueprint("errors", __name__)
bp.record_once(lambda state: parsing.install(state.app))  # JSON too deep to read is a 400, app-wide
bp.before_app_request(parsing.refuse_ids_beyond_the_database)  # every <int:…> of every blueprint
# before every other hook (who is signed in, idle sessions: they read the schema the code expects)
bp.record_once(lambda state: state.app.before_request_funcs.setdefault(None, []).insert(0, schema_upgraded))
RETRY_AFTER_SECONDS = 30

MESSAGES = {
    400: N_("Yêu cầu không hợp lệ."),
    401: N_("Chưa đăng nhập hoặc mã truy cập không hợp lệ."),
    403: N_("Bạn không có quyền thực hiện thao tác này."),
    404: N_("Không tìm thấy trang hoặc dữ liệu."),
    405: N_("Phương thức không được hỗ trợ."),
    409: N_("Dữ liệu đã thay đổi."),
    422: N_("Dữ liệu chưa hợp lệ."),
    500: N_("Đã xảy ra lỗi hệ thống."),
    503: N_("Hệ thống tạm thời không kết nối được cơ sở dữ liệu. Thao tác chưa được ghi nhận; vui lòng thử lại "
            "sau ít phút."),
}
UPGRADING = N_("Hệ thống đang được nâng cấp và chưa sẵn sàng. Thao tác chưa được ghi nhận; vui lòng thử lại sau ít "
               "phút.")
# The page of each status; the others read as a refused request (400.html). 507 (no room left to store a
# file) is, like 503, the server's trouble and not the user's.
TEMPLATES = {403: "403", 404: "404", 409: "409", 500: "500", 503: "503", 507: "503"}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _respond(status: int, message: str, fields: dict | None = None, rule: bool = False):
    """The error's page or JSON; ``rule``: a use case refused it (its message says what to do), not a broken
    request (the page advises to reload and try again)."""
    if wants_json():
        body = {"error": message}
        if fields:
            body["fields"] = fields
        return jsonify(body), status
    template = f"errors/{TEMPLATES.get(status, '400')}.html"
    typed = _typed() if status in (403, 409) and request.method == "POST" else []
    if status in (403, 404) and message == gettext(MESSAGES[status]):
        message = None  # nothing said beyond the page's heading: its own paragraph explains instead
    return render_template(template, message=message, status=status, typed=typed, rule=rule), status


def _typed() -> list[str]:
    """The free text of a form that came too late (someone else acted first, or took the item meanwhile), to copy
    into the next try: nothing typed is lost. Words, not the ids, dates and choices a form also sends."""
    return [value.strip() for name, value in request.form.items(multi=True)
            if name not in ("csrf_token", "decision", "submission") and " " in value.strip()][:10]


@bp.app_errorhandler(DomainError)
def domain_error(exc: DomainError):
    response = current_app.make_response(_respond(exc.status, domain_message(exc), field_messages(exc), rule=True))
    if getattr(exc, "retry_after", None):  # (a sign-in slowed down after wrong passwords)
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    status = exc.code or 500
    message = gettext(MESSAGES[status]) if status in MESSAGES else (exc.description or gettext("Lỗi"))
    if status == 413 and wants_json():  # no file goes through the API: its bodies are small (parsing.API_BODY_MAX)
        message = gettext("Nội dung yêu cầu quá lớn: API nhận tối đa %(kb)s KB mỗi yêu cầu; tệp đính kèm gửi qua "
                          "giao diện web.", kb=parsing.API_BODY_MAX // 1024)
    elif status == 413:  # the body was never read: nothing typed can be given back here, the browser's Back can
        message = gettext("Tệp tải lên quá lớn: mỗi tệp tối đa %(mb)s MB. Nội dung vừa nhập chưa được gửi; bấm "
                          "“Quay lại” trên trình duyệt để lấy lại, rồi chọn tệp nhỏ hơn.",
                          mb=current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024))
    if status == 400 and "CSRF" in (exc.description or ""):
        message = gettext("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và thử lại.")
    # (too large: its message says what to do; "reload and try again" would lose what was typed)
    response = current_app.make_response(_respond(status, message, rule=status == 413))
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:  # what the address does take
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def one_line(exc: BaseException) -> str:
    """The error class and the first line of the driver's message: for the logs, which may name hosts."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return exc.__class__.__name__ + (f": {detail[0][:300]}" if detail else "")


@bp.app_errorhandler(OperationalError)
@bp.app_errorhandler(InterfaceError)
def database_unavailable(exc: SQLAlchemyError):
    """The database is down, unreachable or refusing connections: 503 and when to come back, not a 500
    (nothing was recorded, and trying again later is the right thing to do)."""
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is already gone
        pass
    current_app.logger.error("database unavailable on %s %s: %s", request.method, request.path, one_line(exc))
    # the page is drawn for nobody: who is signed in, their inbox count and bell all live in the database
    g._login_user = login_manager.anonymous_user()
    response, status = _respond(503, gettext(MESSAGES[503]))
    response = current_app.make_response((response, status))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def schema_upgraded():
    """Until the database's schema is the code's, a 503 that says so (and ``/healthz`` too), not a 500 on a column
    the schema lacks: the code was upgraded and ``init-db`` not yet run. Checked until it is, then never again."""
    if current_app.extensions.get("schema_current") or request.endpoint == "static":
        return None
    try:
        behind = health.schema_behind()
    except SQLAlchemyError:  # the database out of reach: the handlers above answer
        db.session.rollback()
        return None
    if behind is None:
        current_app.extensions["schema_current"] = True
        return None
    ahead = health.schema_ahead(behind)
    current_app.logger.error(health.SCHEMA_AHEAD_LOG if ahead else health.SCHEMA_LOG,
                             {"here": behind, "head": health.schema_head()})
    if request.endpoint == "health.healthz":
        response = current_app.make_response((jsonify({"status": "error", "database": "schema_outdated",
                                                        "schema": behind, "needs": health.schema_head()}), 503))
    else:
        g._login_user = login_manager.anonymous_user()
        response = current_app.make_response(_respond(503, gettext(UPGRADING)))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_errorhandler(Exception)
def unexpected_error(exc: Exception):
    db.session.rollback()
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return _respond(500, gettext(MESSAGES[500]))
