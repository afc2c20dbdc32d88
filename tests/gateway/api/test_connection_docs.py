"""A connection's operations and its own OpenAPI document, ready for Swagger UI or a client
generator: the server is the connection on this gateway, the security the gateway's token."""

from __future__ import annotations

from openapi_core import OpenAPI

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
