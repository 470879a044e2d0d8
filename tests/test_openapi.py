"""The OpenAPI document (views/openapi.json) stays true: it lists exactly the routes under /api/v1,
is served at /api/v1/openapi.json, and the responses the API tests receive match its schemas
(tests/test_api.py sends every request through ``checked``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import schemathesis
from werkzeug.test import TestResponse

SPEC_PATH = Path(__file__).resolve().parent.parent / "views" / "openapi.json"
SPEC = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
PREFIX = "/api/v1"
_schema = None


def schema():
    """The document as schemathesis reads it (loaded once)."""
    global _schema
    if _schema is None:
        _schema = schemathesis.openapi.from_dict(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
    return _schema


def assert_documented(method: str, url: str, response) -> None:
    """``response`` to ``method url`` has a documented status and a body matching its schema."""
    path = url.split("?", 1)[0]
    assert path.startswith(PREFIX), path
    operation = schema().find_operation_by_path(method, path[len(PREFIX):])
    assert operation is not None, f"{method} {path} is not in the OpenAPI document"
    documented = operation.definition.raw["responses"]
    assert str(response.status_code) in documented, (
        f"{method} {path} answered {response.status_code}, documented: {sorted(documented)}; {response.get_data()!r}")
    operation.validate_response(response)


class checked:  # noqa: N801 - used like a function: checked(api)
    """Wrap a test client (or the ``api`` fixture) so every /api/v1 response is checked against the document."""

    def __init__(self, client):
        self._client = client

    def _call(self, method: str, url: str, **kwargs):
        response = getattr(self._client, method)(url, **kwargs)
        if url.startswith(PREFIX) and response.status_code != 405:
            assert_documented(method.upper(), url, response)
        return response

    def get(self, url, **kwargs):
        return self._call("get", url, **kwargs)

    def post(self, url, **kwargs):
        return self._call("post", url, **kwargs)

    def delete(self, url, **kwargs):
        return self._call("delete", url, **kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


def _flask_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len(PREFIX):])
        routes.update((m, path) for m in rule.methods - {"HEAD", "OPTIONS"})
    return routes


def _spec_routes() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in SPEC["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")}


def test_every_api_route_is_documented_and_nothing_else(app):
    flask_routes, spec_routes = _flask_routes(app), _spec_routes()
    assert flask_routes - spec_routes == set(), "routes missing from views/openapi.json"
    assert spec_routes - flask_routes == set(), "documented routes that do not exist"
    assert SPEC["servers"] == [{"url": PREFIX}]


def test_the_document_is_served_and_loads(api):
    r = api.get("/api/v1/openapi.json")  # no token needed
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.get_json() == SPEC
    assert SPEC["openapi"].startswith("3.0")
    operations = [result.ok() for result in schema().get_all_operations()]
    assert len(operations) == len(_spec_routes())


def test_every_operation_documents_its_errors_as_json():
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            secured = operation.get("security", SPEC["security"]) != []
            codes = set(operation["responses"])
            assert not secured or "401" in codes, f"{method} {path}: a bearer-token operation answers 401"
            for code in codes - {"200", "201"}:
                ref = operation["responses"][code]["$ref"]
                assert SPEC["components"]["responses"][ref.rsplit("/", 1)[1]]["content"]["application/json"][
                    "schema"] == {"$ref": "#/components/schemas/Error"}


def test_a_response_that_breaks_the_document_is_caught(api, world):
    """The checker is not a no-op: a task missing its fields, or an undocumented status, fails."""
    coord = api.token("coord")
    r = api.get("/api/v1/tasks", headers=coord)
    assert_documented("GET", "/api/v1/tasks", r)
    body = r.get_json()
    body["items"] = [{"id": 1}]

    for status, payload, complaint in ((200, body, "Response violates schema"),
                                       (500, {"error": "x"}, "answered 500")):
        bad = TestResponse([json.dumps(payload).encode()], status, {"Content-Type": "application/json"},
                           request=r.request)
        with pytest.raises(AssertionError, match=complaint):  # schemathesis' failures are AssertionErrors
            assert_documented("GET", "/api/v1/tasks", bad)
