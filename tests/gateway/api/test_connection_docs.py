"""A connection's operations and its own OpenAPI document, ready for Swagger UI or a client
generator: the server is the connection on this gateway, the security the gateway's token."""

from __future__ import annotations

from pathlib import Path

from openapi_core import OpenAPI

from importers import import_sources
from tests.gateway.api.test_errors import assert_error_shape
from tests.gateway.conftest import RunningGateway
from tests.gateway.proxy.conftest import Upstream, add_connection, build_connector


def test_operations_and_openapi_document_of_a_connection(
        gateway: RunningGateway, upstream: Upstream) -> None:
    add_connection(gateway.services, build_connector(upstream.url + "/api"))
    reader = gateway.token("rita", "reader")
    with gateway.client(reader) as client:
        operations = client.get("/v1/connections/demo-conn/operations").json()
        first = client.get("/v1/connections/demo-conn/operations", params={"top": 2}).json()
        document = client.get("/v1/connections/demo-conn/openapi.json").json()
    ids = [op["operationId"] for op in operations["value"]]
    assert ids == sorted(ids) and "getItem" in ids and "nextLink" not in operations
    get_item = next(op for op in operations["value"] if op["operationId"] == "getItem")
    assert (get_item["method"], get_item["path"], get_item["callable"]) == (
        "GET", "/items/{id}", True)
    assert len(first["value"]) == 2 and "nextLink" in first
    assert document["servers"] == [{"url": f"{gateway.url}/apim/demo/demo-conn",
                                    "description": "connection 'demo-conn' through Portway"}]
    assert document["security"] == [{"portway": []}]
    assert list(document["components"]["securitySchemes"]) == ["portway"]
    OpenAPI.from_dict(document)  # a valid OpenAPI 3 document
    # What the document describes is what the gateway answers.
    with gateway.client() as client:
        server = document["servers"][0]["url"].removeprefix(gateway.url)
        assert client.get(f"{server}/items/7").status_code == 200


def test_a_stranger_sees_neither(gateway: RunningGateway, upstream: Upstream) -> None:
    add_connection(gateway.services, build_connector(upstream.url + "/api"))
    nobody = gateway.token("nobody", None)
    with gateway.client(nobody) as client:
        for path in ("operations", "openapi.json"):
            assert_error_shape(client.get(f"/v1/connections/demo-conn/{path}"), 403,
                               "Forbidden")


def test_inputs_the_gateway_fills_are_optional_in_the_document(
        gateway: RunningGateway, upstream: Upstream, corpus: Path) -> None:
    [result] = import_sources([str(corpus / "powerplatform/certified-connectors/BulkSMS")],
                              connector_id="bulksms")
    assert result.connector is not None
    result.connector.base_url = upstream.url
    add_connection(gateway.services, result.connector, name="sms",
                   secrets={"username": "u", "password": "p"})
    with gateway.client() as client:
        document = client.get("/v1/connections/sms/openapi.json").json()
    operation = document["paths"]["/v1/messages"]["post"]
    [auto_unicode] = operation["parameters"]
    assert (auto_unicode["name"], auto_unicode["required"]) == ("auto-unicode", False)
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    # userSuppliedId (internal) and longMessageMaxParts have defaults the gateway sends.
    assert body["required"] == ["body", "to"]
    OpenAPI.from_dict(document)
