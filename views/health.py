"""``GET /healthz``: is the database answering? For load balancers and monitoring; no login.

Cheap on purpose: one round trip with a few counts (see workflows.health). 200 when the database
answers, 503 with the error's class when it does not. The driver's message names the database's host and
port (and sometimes the user): it goes to the log, never to this anonymous answer. A stalled background
worker (timers or mail due for over 10 minutes) shows as ``"worker": "late"`` with a 200: this instance
still serves pages, so a load balancer keeps it, and monitoring alerts on the field.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from models import db
from views.errors import RETRY_AFTER_SECONDS, one_line
from workflows.ops import health

bp = Blueprint("health", __name__)
NO_STORE = {"Cache-Control": "no-store"}


@bp.route("/healthz")
def healthz():
    try:
        figures = health.figures()
    except SQLAlchemyError as exc:
        try:
            db.session.rollback()
        except SQLAlchemyError:  # the connection is already gone
            pass
        current_app.logger.warning("health check: database unavailable: %s", one_line(exc))
        return jsonify({"status": "error", "database": "unavailable", "reason": exc.__class__.__name__}), 503, {
            **NO_STORE, "Retry-After": str(RETRY_AFTER_SECONDS)}
    return jsonify({"status": "ok", "database": "ok", **figures}), 200, NO_STORE
