"""A spec's ``x-portway-proxy`` object becomes ``Connector.metadata["proxy"]``, checked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.importers.conftest import import_json, swagger_doc

OPTIONS = {"connectTimeout": 2, "readTimeout": 1.5, "totalTimeout": 20,
           "rateLimitCalls": 0, "rateLimitPeriod": 60, "maxRetries": 0,
           "retryBudgetSeconds": 5, "strictResponses": True, "validateRequests": False}


def openapi_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "openapi": "3.0.3", "info": {"title": "Paging", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/items": {"get": {"operationId": "ListItems",
                                     "responses": {"200": {"description": "ok"}}}}},
    }
    doc.update(overrides)
    return doc


@pytest.mark.parametrize("build", [swagger_doc, openapi_doc])
def test_every_documented_option_is_stored(build: Any) -> None:
    result = import_json(build(**{"x-portway-proxy": OPTIONS}))
    assert result.connector is not None
    assert result.connector.metadata["proxy"] == OPTIONS
    assert "x-portway-proxy" not in result.connector.metadata
    assert [f for f in result.findings if f.rule == "invalid-proxy-option"] == []


@pytest.mark.parametrize("build", [swagger_doc, openapi_doc])
def test_unknown_keys_and_wrong_types_are_warnings_and_dropped(build: Any) -> None:
    given = {"readTimeout": 3, "readTimeOut": 3, "rateLimitCalls": 2.5,
             "maxRetries": True, "strictResponses": "yes", "connectTimeout": 0,
             "totalTimeout": -1, "rateLimitPeriod": "60"}
    result = import_json(build(**{"x-portway-proxy": given}))
    assert result.connector is not None
    assert result.connector.metadata["proxy"] == {"readTimeout": 3}
    warnings = {f.pointer: f for f in result.findings if f.rule == "invalid-proxy-option"}
    assert set(warnings) == {f"/x-portway-proxy/{k}" for k in given if k != "readTimeout"}
    assert all(f.severity == "warning" for f in warnings.values())
    assert "'readTimeOut'" in warnings["/x-portway-proxy/readTimeOut"].message
    assert "an integer" in warnings["/x-portway-proxy/rateLimitCalls"].message
    assert "true or false" in warnings["/x-portway-proxy/strictResponses"].message
    assert "more than zero" in warnings["/x-portway-proxy/connectTimeout"].message


def test_a_value_that_is_not_an_object_is_a_warning() -> None:
    result = import_json(swagger_doc(**{"x-portway-proxy": [1, 2]}))
    assert result.connector is not None
    assert "proxy" not in result.connector.metadata
    (finding,) = [f for f in result.findings if f.rule == "invalid-proxy-option"]
    assert finding.pointer == "/x-portway-proxy"


def test_without_the_extension_there_are_no_proxy_options() -> None:
    result = import_json(swagger_doc())
    assert result.connector is not None
    assert "proxy" not in result.connector.metadata
