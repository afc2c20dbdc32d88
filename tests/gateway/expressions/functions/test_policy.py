"""The policy functions read the request the gateway is building."""

from __future__ import annotations

import pytest

from gateway.expressions import MissingPropertyError, evaluate

from ..conftest import fixed_context

CONTEXT = fixed_context(
    connectionParameters={"region": "eu", "apiKey": "s3cr3t", "empty": None},
    headers={"Content-Type": "application/json", "X-Trace": "abc"},
    queryParameters={"page": "2"},
    body={"items": [{"id": 7}]},
    parameters={"accountId": "a-1"},
)

CASES = [
    ("@connectionParameters('region')", "eu"),
    ("@connectionParameters('missing', 'default')", "default"),
    ("@connectionParameters('empty', 'fallback')", "fallback"),
    ("@connectionParameters('empty')", None),
    ("https://@{connectionParameters('region')}.example.com/v1",
     "https://eu.example.com/v1"),
    ("@headers('content-type')", "application/json"),
    ("@headers('X-Missing')", None),
    ("@queryParameters('page')", "2"),
    ("@queryParameters('size')", None),
    ("@body()?.items[0].id", 7),
    ("@body()?['missing']?['deeper']", None),
    ("@parameters('accountId')", "a-1"),
    ("Bearer @{connectionParameters('apiKey')}", "Bearer s3cr3t"),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_policy_functions(expression, expected):
    assert evaluate(expression, CONTEXT) == expected


def test_missing_connection_parameter_names_function_and_parameter():
    with pytest.raises(MissingPropertyError) as caught:
        evaluate("@connectionParameters('tenant')", CONTEXT)
    assert caught.value.function == "connectionParameters"
    assert {"parameter": "tenant"} in caught.value.details


def test_missing_parameter_is_an_error():
    with pytest.raises(MissingPropertyError):
        evaluate("@parameters('nope')", CONTEXT)


def test_policy_functions_work_without_context_data():
    assert evaluate("@headers('a')", {}) is None
    assert evaluate("@body()", {}) is None


def test_header_alias_and_defaults():
    assert evaluate("@header('x-trace')", CONTEXT) == "abc"
    assert evaluate("@headers('missing', 'dflt')", CONTEXT) == "dflt"
    assert evaluate("@queryParameters('size', '10')", CONTEXT) == "10"
