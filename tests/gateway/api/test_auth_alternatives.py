"""Security alternatives are alternatives: ``security: [{basic: []}, {key: []}]`` asks for
the values of one scheme, not all, and ``authType`` picks one when a connection holds
several."""

from __future__ import annotations

import base64

from tests.gateway.conftest import RunningGateway
from tests.gateway.security.upstream import Upstream


def _spec(upstream: str) -> dict[str, object]:
    return {
        "swagger": "2.0", "info": {"title": "Either", "version": "1"},
        "host": upstream.removeprefix("http://"), "basePath": "/", "schemes": ["http"],
        "securityDefinitions": {"basic": {"type": "basic"},
                                "key": {"type": "apiKey", "in": "header", "name": "X-Key"}},
        "security": [{"basic": []}, {"key": []}],
        "paths": {"/things/{id}": {"get": {"operationId": "GetThing", "parameters": [
            {"name": "id", "in": "path", "required": True, "type": "string"}],
            "responses": {"200": {"description": "ok"}}}}},
    }


def test_either_scheme_alone_connects_and_is_the_one_sent(
        gateway: RunningGateway, upstream: Upstream) -> None:
    with gateway.client() as client:
        assert client.put("/v1/connectors/either",
                          json=_spec(upstream.url)).status_code == 201
        key_only = client.put("/v1/connections/by-key", json={
            "connector": "either", "parameters": {"api_key": "k-alone-123"}})
        basic_only = client.put("/v1/connections/by-basic", json={
            "connector": "either", "parameters": {"username": "u", "password": "p-456"}})
        both = client.put("/v1/connections/both", json={
            "connector": "either", "parameters": {
                "username": "u", "password": "p-456", "api_key": "k-both-789",
                "authType": "apiKey"}})
        assert (key_only.status_code, basic_only.status_code, both.status_code) == (
            201, 201, 201), (key_only.text, basic_only.text, both.text)
        for name in ("by-key", "by-basic", "both"):
            answer = client.get(f"/apim/either/{name}/things/1")
            assert answer.status_code == 200, answer.text
    by_key, by_basic, by_both = (seen["headers"] for seen in upstream.seen)
    assert by_key["x-key"] == "k-alone-123" and "authorization" not in by_key
    assert by_basic["authorization"] == "Basic " + base64.b64encode(b"u:p-456").decode()
    assert "x-key" not in by_basic
    assert by_both["x-key"] == "k-both-789" and "authorization" not in by_both
