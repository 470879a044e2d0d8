"""``GET /healthz``: is the database answering? For load balancers and monitoring; no login.

Cheap on purpose: one round trip with a few counts (see workflows.health). 200 when the database
answers, 503 with the reason (the error class and its first line) when it does not. A stalled background
worker (timers or mail due for over 10 minutes) shows as ``"worker": "late"`` with a 200: this instance
still serves pages, so a load balancer keeps it, and monitoring alerts on the field.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from models import db
from workflows.ops import health

bp = Blueprint("health", __name__)
NO_STORE = {"Cache-Control": "no-store"}


@bp.route("/healthz")
def healthz():
    try:
        figures = health.figures()
    except SQLAlchemyError as exc:
        db.session.rollback()
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        reason = exc.__class__.__name__ + (f": {detail[0][:200]}" if detail else "")
        current_app.logger.warning("health check: database unavailable: %s", reason)
        return jsonify({"status": "error", "database": "unavailable", "reason": reason}), 503, NO_STORE
    return jsonify({"status": "ok", "database": "ok", **figures}), 200, NO_STORE
