"""Logging: JSON lines on stderr (``LOG_FORMAT=json``, the default under gunicorn) or plain text
(``flask run``), a request id per request and one access line per request.

The request id comes from the ``X-Request-ID`` header when it is sane, otherwise it is generated; it
is echoed in the response and written on every log line of the request, with the user's id.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime

from flask import Flask, g, has_request_context, request

PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("access")


class RequestContextFilter(logging.Filter):
    """Adds request_id, user_id, method and path to records made while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = getattr(g, "request_id", None)
            record.user_id = _user_id()
            if not hasattr(record, "method"):
                record.method = request.method
                record.path = request.path
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (ISO 8601 with offset), level, logger, message and context."""

    FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms", "remote_addr")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in self.FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(fmt: str, level: int = logging.INFO, stream=None) -> None:
    """Point the root logger at stderr in the chosen format (replaces earlier stream handlers)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler:  # ours or basicConfig's; never pytest's capture handlers
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(PLAIN))
    handler.addFilter(RequestContextFilter())
    root.addHandler(handler)
    root.setLevel(level)


def init_app(app: Flask) -> None:
    app.config.setdefault("LOG_FORMAT", "plain")
    if app.config["LOG_FORMAT"] == "json":
        configure_logging("json")

    @app.before_request
    def _start():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers["X-Request-ID"] = request_id
        if app.config["LOG_FORMAT"] == "json" and request_id:  # `flask run` prints its own access lines
            duration = (time.perf_counter() - g.request_started) * 1000
            access_log.info("%s %s %s", request.method, request.path, response.status_code, extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "duration_ms": round(duration, 1), "remote_addr": request.remote_addr,
                "request_id": request_id, "user_id": _user_id()})
        return response


def _user_id() -> int | None:
    user = g.get("_login_user")  # set by Flask-Login once the request asked for current_user
    return getattr(user, "id", None) if user is not None and getattr(user, "is_authenticated", False) else None
