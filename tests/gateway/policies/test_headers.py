"""setheader and setqueryparameter."""

from __future__ import annotations

import pytest

from gateway.policies import PolicyResponse, PolicySet

from .conftest import instance, request, run


@pytest.mark.parametrize(("action", "expected"), [
    ("override", "application/xml"),
    (None, "application/xml"),
    ("skip", "application/json"),
    ("append", "application/json,application/xml"),
])
def test_setheader_exists_actions(action, expected):
    policy = instance("setHeader", section="Request", name="Accept",
                      value="application/xml", existsAction=action)
    assert run([policy], request()).headers["accept"] == expected


def test_setheader_adds_a_missing_header_with_a_connection_value():
    policy = instance("setheader", section="Request", name="X-Api-Key",
                      value="Bearer @connectionParameters('api_key')", existsAction="override")
    assert run([policy], request()).headers["x-api-key"] == "Bearer k-123"


def test_setheader_skip_still_adds_when_absent():
    policy = instance("setheader", name="X-New", value="1", existsAction="skip")
    assert run([policy], request()).headers["x-new"] == "1"


def test_setheader_delete():
    policy = instance("setheader", name="X-Trace", value="", existsAction="delete")
    assert "x-trace" not in run([policy], request()).headers


def test_setheader_on_the_response():
    policies = PolicySet.compile([instance("setheader", section="Response",
                                           name="Content-Type", value="application/json")])
    req = request()
    response = PolicyResponse(200, {"content-type": "text/plain"}, b"{}")
    policies.apply_request(req)
    assert "content-type" not in req.headers
    policies.apply_response(req, response)
    assert response.headers["content-type"] == "application/json"


def test_setheader_failure_section_runs_only_on_errors():
    policies = PolicySet.compile([instance("setheader", section="Failure",
                                           name="X-Failed", value="yes")])
    ok, failed = PolicyResponse(200), PolicyResponse(503)
    policies.apply_response(request(), ok)
    policies.apply_response(request(), failed)
    assert "x-failed" not in ok.headers
    assert failed.headers["x-failed"] == "yes"


@pytest.mark.parametrize(("action", "expected"), [
    ("override", [("page", "9")]),
    ("skip", [("page", "2")]),
    ("append", [("page", "2"), ("page", "9")]),
    ("delete", []),
])
def test_setqueryparameter_exists_actions(action, expected):
    policy = instance("setqueryparameter", name="page", value="9", existsAction=action)
    assert run([policy], request()).query == expected


def test_setqueryparameter_builds_the_url():
    policy = instance("setqueryparameter", operations=["GetItem"], name="$filter",
                      value="IsArchived eq false", existsAction="override")
    req = run([policy], request())
    assert req.url == "https://api.example.com/v1/items/42?page=2&%24filter=IsArchived+eq+false"
