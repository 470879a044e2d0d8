"""Errors in one place: domain exceptions and HTTP errors, as pages or as JSON for the API."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from models import db
from views.i18n import domain_message, field_messages
from workflows.errors import N_, DomainError

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: N_("Yêu cầu không hợp lệ."),
    401: N_("Chưa đăng nhập hoặc mã truy cập không hợp lệ."),
    403: N_("Bạn không có quyền thực hiện thao tác này."),
    404: N_("Không tìm thấy trang hoặc dữ liệu."),
    405: N_("Phương thức không được hỗ trợ."),
    409: N_("Dữ liệu đã thay đổi."),
    413: N_("Tệp tải lên quá lớn."),
    422: N_("Dữ liệu chưa hợp lệ."),
    500: N_("Đã xảy ra lỗi hệ thống."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _respond(status: int, message: str, fields: dict | None = None):
    if wants_json():
        body = {"error": message}
        if fields:
            body["fields"] = fields
        return jsonify(body), status
    template = f"errors/{status if status in (403, 404, 409, 500) else 400}.html"
    return render_template(template, message=message, status=status), status


@bp.app_errorhandler(DomainError)
def domain_error(exc: DomainError):
    return _respond(exc.status, domain_message(exc), field_messages(exc))


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    status = exc.code or 500
    message = gettext(MESSAGES[status]) if status in MESSAGES else (exc.description or gettext("Lỗi"))
    if status == 400 and "CSRF" in (exc.description or ""):
        message = gettext("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và thử lại.")
    return _respond(status, message)


@bp.app_errorhandler(Exception)
def unexpected_error(exc: Exception):
    db.session.rollback()
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return _respond(500, gettext(MESSAGES[500]))
