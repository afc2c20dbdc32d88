"""Per-connector proxy options written in the spec (``x-portway-proxy``) take effect.

Connectors are imported through the API from an OpenAPI document, as a publisher does;
the upstream is the real test server on loopback.
"""

from __future__ import annotations

import time
from typing import Any

from tests.gateway.conftest import RunningGateway
from tests.gateway.proxy.conftest import Upstream


def _import(gateway: RunningGateway, upstream: Upstream, connector_id: str,
            proxy: dict[str, Any] | None) -> str:
    """Import a two-operation spec (with ``x-portway-proxy`` when given); open a connection."""
    spec: dict[str, Any] = {
        "openapi": "3.0.3", "info": {"title": connector_id, "version": "1"},
        "servers": [{"url": upstream.url + "/api"}],
        "paths": {
            "/slow": {"get": {"operationId": "slow", "parameters": [
                {"name": "seconds", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "late"}}}},
            "/items/{id}": {"get": {"operationId": "getItem", "parameters": [
                {"name": "id", "in": "path", "required": True,
                 "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "an item"}}}},
        },
    }
    if proxy is not None:
        spec["x-portway-proxy"] = proxy
    connection = f"{connector_id}-conn"
    with gateway.client() as client:
        answer = client.put(f"/v1/connectors/{connector_id}", json=spec)
        assert answer.status_code in (200, 201), answer.text
        answer = client.put(f"/v1/connections/{connection}",
                            json={"connector": connector_id, "parameters": {}})
        assert answer.status_code in (200, 201), answer.text
    return connection


def test_a_one_second_read_timeout_from_the_spec_gives_a_504(
        gateway: RunningGateway, upstream: Upstream) -> None:
    quick = _import(gateway, upstream, "quick", {"readTimeout": 1, "maxRetries": 0})
    patient = _import(gateway, upstream, "patient", None)
    with gateway.client() as client:
        started = time.monotonic()
        answer = client.get(f"/apim/quick/{quick}/slow", params={"seconds": "3"})
        elapsed = time.monotonic() - started
        # The same upstream delay under the default read timeout (30 s) is fine.
        relaxed = client.get(f"/apim/patient/{patient}/slow", params={"seconds": "1.5"})
    assert answer.status_code == 504, answer.text
    error = answer.json()["error"]
    assert error["code"] == "UpstreamTimeout"
    assert error["requestId"] == answer.headers["x-request-id"]
    assert 0.9 <= elapsed < 2.5
    assert relaxed.status_code == 200, relaxed.text
    assert relaxed.json() == {"slow": True}


def test_a_rate_limit_of_two_per_minute_from_the_spec_answers_429_on_the_third_call(
        gateway: RunningGateway, upstream: Upstream) -> None:
    limited = _import(gateway, upstream, "limited",
                      {"rateLimitCalls": 2, "rateLimitPeriod": 60})
    with gateway.client() as client:
        statuses = [client.get(f"/apim/limited/{limited}/items/{n}").status_code
                    for n in range(2)]
        third = client.get(f"/apim/limited/{limited}/items/3")
    assert statuses == [200, 200]
    assert third.status_code == 429, third.text
    assert third.json()["error"]["code"] == "Throttled"
    assert 0 < int(third.headers["retry-after"]) <= 60
    assert third.json()["error"]["details"] == [{"limit": 2, "periodSeconds": 60}]


def test_bad_options_are_reported_on_import_and_the_rest_apply(
        gateway: RunningGateway, upstream: Upstream) -> None:
    connection = _import(gateway, upstream, "mixed",
                         {"rateLimitCalls": 1, "rateLimitPeriod": 60, "readTimeot": 1,
                          "maxRetries": "three"})
    with gateway.client() as client:
        definition = client.get("/v1/connectors/mixed").json()
        first = client.get(f"/apim/mixed/{connection}/items/1")
        second = client.get(f"/apim/mixed/{connection}/items/2")
    assert definition["metadata"]["proxy"] == {"rateLimitCalls": 1, "rateLimitPeriod": 60}
    dropped = {w["pointer"] for w in definition["warnings"] if w["rule"] == "invalid-proxy-option"}
    assert dropped == {"/x-portway-proxy/readTimeot", "/x-portway-proxy/maxRetries"}
    assert (first.status_code, second.status_code) == (200, 429)
