"""Schemathesis fuzzes every operation of views/openapi.json against the app in-process (WSGI), as a
coordinator with a valid token, over a small province with a few tasks under way: no answer may be a
500, an undocumented status or a body that breaks the document."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import COLLAB_A, LEAD, act, new_task
from tests.test_openapi import SPEC_PATH

schema = schemathesis.openapi.from_dict(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Random agency names are never found; half the generated bodies name real ones so requests get through.
REAL_AGENCIES = {
    "createTask": lambda body: {**body, "lead_agency": LEAD, "collaborating_agencies": [COLLAB_A]},
    "addComment": lambda body: {**body, "mentions": [COLLAB_A]},
}


@schema.hook
def before_generate_body(context, strategy):
    fix = REAL_AGENCIES.get(context.operation.definition.raw.get("operationId"))
    if fix is None:
        return strategy
    return st.one_of(strategy, strategy.map(lambda body: fix(body) if isinstance(body, dict) else body))


@pytest.fixture
def province(world, api):
    """A few tasks at different steps (small ids the fuzzer may hit) and a coordinator's token."""
    first = new_task(world, collaborators=())
    new_task(world, output_type="report", collaborators=())
    act(world, first, "assign")
    return api.token("coord")


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_answers_every_request_as_documented(case, app, province):
    case.call_and_validate(app=app, headers=province, checks=CHECKS)

