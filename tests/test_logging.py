"""Structured logs: one JSON object per line with the request id, user, path, status and duration;
the request id is taken from X-Request-ID or generated, and echoed in the response."""

from __future__ import annotations

import io
import json
import logging

import pytest

from views.logging_setup import JsonFormatter, RequestContextFilter


@pytest.fixture
def json_log(app):
    """JSON lines written by the access logger and the app's logger, as parsed objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    loggers = [logging.getLogger("access"), app.logger]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.disabled = False  # alembic's fileConfig() disables the loggers that exist when migrations run
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    app.config["LOG_FORMAT"] = "json"
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    app.config["LOG_FORMAT"] = "plain"
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_an_access_line_is_json_with_request_user_status_and_duration(app, world, browser, json_log):
    browser.login("officer")
    r = browser.client.get("/inbox", headers={"X-Request-ID": "abc-123"})

    assert r.status_code == 200
    assert r.headers["X-Request-ID"] == "abc-123"
    line = [e for e in json_log() if e["logger"] == "access" and e["path"] == "/inbox"][-1]
    assert line["request_id"] == "abc-123"
    assert line["user_id"] == world["officer"].id
    assert line["method"] == "GET" and line["status"] == 200
    assert line["level"] == "INFO" and line["message"] == "GET /inbox 200"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["timestamp"][10] == "T" and line["timestamp"][-6] in "+-"  # ISO 8601 with the offset


def test_a_request_id_is_generated_when_missing_or_unsafe(app, json_log):
    client = app.test_client()
    first = client.get("/login").headers["X-Request-ID"]
    second = client.get("/login", headers={"X-Request-ID": "bad id <script>"}).headers["X-Request-ID"]

    assert len(first) == 32 and len(second) == 32 and first != second
    anonymous = [e for e in json_log() if e["logger"] == "access"]
    assert [e["request_id"] for e in anonymous] == [first, second]
    assert all("user_id" not in e for e in anonymous)  # nobody logged in


def test_lines_logged_inside_a_request_carry_its_id(app, json_log):
    with app.test_request_context("/tasks", headers={"X-Request-ID": "probe-1"}):
        app.preprocess_request()
        app.logger.warning("something odd")

    odd = [e for e in json_log() if e["message"] == "something odd"]
    assert odd and odd[0]["request_id"] == "probe-1" and odd[0]["level"] == "WARNING"
    assert odd[0]["path"] == "/tasks" and odd[0]["method"] == "GET"


def test_plain_text_in_development_prints_no_access_lines(app, json_log):
    app.config["LOG_FORMAT"] = "plain"
    r = app.test_client().get("/login")

    assert r.headers["X-Request-ID"]  # still echoed
    assert [e for e in json_log() if e["logger"] == "access"] == []
