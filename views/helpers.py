"""Template filters, globals and the user loader."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, request, url_for
from flask_login import current_user, login_required

from models import OUTPUT_TYPES, ROLE_LABELS
from workflows import clock, text
from workflows.audit import ACTION_LABELS, DECISION_LABELS
from workflows.notify import bell
from workflows.reporting.charts import number_vn
from workflows.signatures.check import LABELS as SIGNATURE_LABELS
from workflows.tasks import reads, status
from workflows.tasks.status import STATUS_LABELS


def restrict_to(bp: Blueprint, roles: tuple[str, ...]) -> None:
    """Every route of ``bp`` needs a signed-in user holding one of ``roles`` (else 403)."""

    @bp.before_request
    @login_required
    def _roles_only():
        if not current_user.has_role(*roles):
            abort(403)


def home_url(user) -> str:
    """Where a signed-in person starts: a viewer, who holds no work items, on the progress dashboard;
    everyone else on their inbox."""
    if user.is_authenticated and set(user.roles) == {"viewer"}:
        return url_for("dashboard.index")
    return url_for("inbox.index")


def date_vn(value: date | datetime | str | None) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = clock.to_local(value)
    return value.strftime("%d/%m/%Y")


def datetime_vn(value: datetime | None) -> str:
    return clock.to_local(value).strftime("%d/%m/%Y %H:%M") if value else ""


def filesize(size: int) -> str:
    if size < 1024:
        return f"{size} byte"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB".replace(".", ",")


def days_since(value: datetime | None) -> int | None:
    if value is None:
        return None
    return (clock.today() - clock.to_local(value).date()).days


# A task page belongs to no menu entry of its own: it stays in the section it was opened from (a task opened from
# "Việc cần xử lý" keeps that entry highlighted), else in "Danh sách nhiệm vụ".
_OPENED_FROM = (("/inbox", "inbox.index"), ("/dashboard", "dashboard.index"), ("/reports", "reports.index"),
                ("/notifications", "notifications.index"), ("/indicators", "indicators.index"))


def menu_endpoint() -> str:
    """The endpoint whose menu entry the page highlights: its own, or for a task page the section it came from
    (the same-origin Referer the app's Referrer-Policy sends)."""
    endpoint = request.endpoint or ""
    if endpoint == "tasks.show" and request.referrer:
        came = urlsplit(request.referrer)
        if came.netloc == request.host:
            return next((section for path, section in _OPENED_FROM if came.path.startswith(path)), endpoint)
    return endpoint


def names_in_order(items) -> list[str]:
    """The names of agencies (anything with a ``name``) in Vietnamese alphabetical order (Đ after D, "Bảo" after
    "Báo"), not the database's byte order."""
    return sorted((item.name for item in items), key=text.sort_key)


def register(app: Flask) -> None:
    app.add_template_filter(date_vn)
    app.add_template_filter(datetime_vn)
    app.add_template_filter(filesize)
    app.add_template_filter(names_in_order)
    app.add_template_global(days_since)
    app.add_template_global(number_vn)  # 45,5 and 1.234: as Vietnamese readers write numbers
    app.add_template_global(menu_endpoint)
    app.add_template_global(status.of, "task_status")
    app.jinja_env.globals.update(
        STATUS_LABELS=STATUS_LABELS, OUTPUT_TYPES=OUTPUT_TYPES, ROLE_LABELS=ROLE_LABELS,
        DECISION_LABELS=DECISION_LABELS, ACTION_LABELS=ACTION_LABELS, SIGNATURE_LABELS=SIGNATURE_LABELS)

    @app.context_processor
    def _inbox_count():
        if current_user.is_authenticated:
            agency = current_user.agency
            return {"inbox_count": reads.inbox_count(current_user),
                    "notification_count": bell.unread_count(current_user),
                    # an account left in an agency that has ended: every page says where its work went
                    "ended_agency": agency if agency is not None and agency.ended_on is not None else None}
        return {}
