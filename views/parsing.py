"""Reading numbers and JSON from a request, once for every view.

Ids are 32-bit integers in the database: a larger number typed into an address or a query string would
overflow there (a 500 on SQLite past 64 bits, on PostgreSQL past 32). Such an id names nothing, so it reads
as "not found" in a path and as an ignored filter in a query string. JSON is parsed by the application's
provider below, which refuses nesting deeper than any request of this product needs: 100,000 nested
brackets exhaust Python's recursion, and a few hundred already break the code that walks the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import flask
from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from models import MAX_ID
from workflows.errors import N_, DomainError, Invalid, NotFound

# Query parameters naming a row that read models look up themselves: the dashboard's and the exports'
# filters (workflows/tasks/scope.py; "lead" on a task list a dashboard figure links to) and the task list's agency.
FILTER_IDS = ("agency", "directive", "lead")
MAX_JSON_DEPTH = 32  # the API's deepest body is {"data": {"field": …}}
_DIGITS = re.compile(r"[0-9]{1,10}")

NOT_AN_OBJECT = N_("Nội dung yêu cầu phải là một đối tượng JSON.")
MALFORMED_JSON = N_("Nội dung JSON không hợp lệ (sai cú pháp hoặc lồng nhau quá sâu).")


class MalformedJSON(DomainError):
    """A body sent as JSON that cannot be read: the client's mistake in form, so 400 (not 422)."""

    status = 400


class TooDeep(ValueError):
    """JSON nested deeper than ``MAX_JSON_DEPTH``, or holding text UTF-8 cannot (a ValueError, as Flask expects
    of a failed parse)."""


def number(text: str | None, high: int = MAX_ID) -> int | None:
    """A positive whole number written in ``text`` (digits only), or None when it is anything else or beyond
    ``high``."""
    text = (text or "").strip()
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= high else None


def id_arg(name: str) -> int | None:
    """The id in the query string's ``name``; None (the filter is ignored) when missing or unusable."""
    return number(request.args.get(name))


def id_field(name: str) -> int | None:
    """The id in the posted form's ``name``; None when missing or unusable."""
    return number(request.form.get(name))


def int_arg(name: str, default: int | None = None, high: int = MAX_ID) -> int | None:
    """A positive number in the query string (a page, a year), or ``default`` when it is not one."""
    value = number(request.args.get(name), high)
    return default if value is None else value


def page_arg() -> int:
    """The ``page`` of a list (from 1); anything else shows the first page."""
    return int_arg("page", 1)


def filter_args(names: Iterable[str] = FILTER_IDS) -> MultiDict:
    """The query string for a read model, with every id among ``names`` that the database cannot hold
    replaced by 0, which names nothing either: the read model then ignores that filter and says so, as for
    an unknown id."""
    args = MultiDict(request.args)
    for name in names:
        values = args.getlist(name)
        if any(_beyond_the_database(v) for v in values):
            args.setlist(name, ["0" if _beyond_the_database(v) else v for v in values])
    return args


def _beyond_the_database(text: str) -> bool:
    # as the read models will read it: int() also takes "+7", "1_000" and other scripts' digits
    try:
        return int(text) > MAX_ID
    except ValueError:
        return False


def refuse_ids_beyond_the_database() -> None:
    """A path id (``<int:…>``) beyond the database's integers names nothing: 404 before any query."""
    if any(isinstance(v, int) and v > MAX_ID for v in (request.view_args or {}).values()):
        raise NotFound("Không tìm thấy dữ liệu.")


API_BODY_MAX = 256 * 1024  # the largest JSON body read: a task's longest texts are a few KB; files go by the web


def json_object() -> dict[str, Any]:
    """The request's JSON body, which must be an object: 400 when JSON was sent but cannot be read (broken,
    or nested too deep), 422 when there is no JSON or it is not an object."""
    body = None
    if request.is_json and request.get_data(cache=True).strip():
        try:
            body = request.get_json()
        except BadRequest as exc:
            raise MalformedJSON(MALFORMED_JSON) from exc
    if not isinstance(body, dict):
        raise Invalid(NOT_AN_OBJECT)
    return body


def _unreadable(value: Any, limit: int) -> str | None:
    """Why ``value`` cannot be taken, or None: containers nested more than ``limit`` levels, or text no UTF-8
    can hold — "\\ud800", half of a surrogate pair, which JSON lets through and the database refuses. Without
    recursion: that is the point."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "JSON text with a lone surrogate (\\ud800-\\udfff)"
        elif isinstance(item, dict | list):
            if depth > limit:
                return f"JSON nested deeper than {limit} levels"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading no deeper than ``MAX_JSON_DEPTH`` and only text UTF-8 holds: every
    ``request.get_json`` of the application (the NUL check of every POST among them) then sees such a body as
    unreadable (400), never a RecursionError or a database error (500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError as exc:  # the decoder itself gave up, far past MAX_JSON_DEPTH
            raise TooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from exc
        if (why := _unreadable(value, MAX_JSON_DEPTH)) is not None:
            raise TooDeep(why)
        return value


class Request(flask.Request):
    """A request to the API is read up to ``API_BODY_MAX`` (413 beyond), whoever reads it first; the web's forms,
    which carry files, up to MAX_CONTENT_LENGTH."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and self.path.startswith("/api/"):
            return API_BODY_MAX
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def install(app: Flask) -> None:
    """Give ``app`` the depth-limited JSON provider (keeping the settings of the one it replaces) and the request
    class that reads an API body no further than it needs."""
    app.request_class = Request
    previous = app.json
    app.json = JSONProvider(app)
    for setting in ("ensure_ascii", "sort_keys", "compact", "mimetype"):
        setattr(app.json, setting, getattr(previous, setting))
