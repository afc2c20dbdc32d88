"""PolicySet: compilation, scoping, skipped templates, error wrapping, body needs."""

from __future__ import annotations

import pytest

from gateway.policies import PolicyExecutionError, PolicyResponse, PolicySet

from .conftest import instance, request


def test_unsupported_templates_are_skipped_with_a_reason():
    policies = PolicySet.compile([
        instance("pollingtrigger", operations=["T"], triggerConfig={}, triggerDataPath="x"),
        instance("SetValueFromUrl", parameterTemplate="@headers('a')"),
        instance("setheader", name="a", value="b"),
    ])
    assert len(policies) == 1
    assert [(s.template, s.reason) for s in policies.skipped] == [
        ("pollingtrigger", "run by the workflow runtime"),
        ("setvaluefromurl", "template not supported by the gateway"),
    ]


def test_expression_failures_become_policy_execution_errors_without_secrets():
    policies = PolicySet.compile([instance("setheader", title="Key", name="X-Key",
                                           value="@connectionParameters('tenant')")])
    with pytest.raises(PolicyExecutionError) as caught:
        policies.apply_request(request())
    error = caught.value
    assert error.status_code == 400
    assert "connection parameter 'tenant' is not set" in error.message
    assert error.details[0] == {"template": "setheader", "title": "Key",
                                "code": "MissingProperty"}
    assert "k-123" not in str(error.details) + error.message


def test_body_needs_follow_scope_and_section():
    policies = PolicySet.compile([
        instance("setproperty", operations=["Create"], section="Request",
                 newPropertyParentPathTemplate="@body()", newPropertySubPathTemplate="a",
                 propertyValuePathTemplate="1"),
        instance("updatenextlink", operations=["List"], nextLinkPropertyName="nextLink"),
        instance("setheader", name="a", value="b"),
    ])
    assert policies.needs_request_body("Create")
    assert not policies.needs_request_body("List")
    assert policies.needs_response_body("List")
    assert not policies.needs_response_body("Create")


def test_request_and_response_policies_run_in_their_own_phase():
    policies = PolicySet.compile([
        instance("setheader", section="Request", name="x-req", value="1"),
        instance("setheader", section="Response", name="x-resp", value="2"),
    ])
    req = request()
    policies.apply_request(req)
    response = PolicyResponse(200)
    policies.apply_response(req, response)
    assert req.headers["x-req"] == "1" and "x-resp" not in req.headers
    assert response.headers == {"x-resp": "2"}


def test_compiling_is_reusable_across_calls():
    policies = PolicySet.compile([instance("setheader", name="x-region",
                                           value="@connectionParameters('region')")])
    first = request()
    second = request(connection_parameters={"region": "us"})
    policies.apply_request(first)
    policies.apply_request(second)
    assert (first.headers["x-region"], second.headers["x-region"]) == ("eu", "us")
