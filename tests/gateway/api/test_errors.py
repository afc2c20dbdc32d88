"""The one error shape, the request id, and who may call without a token."""

import httpx
import pytest

from tests.gateway.conftest import RunningGateway
from tests.support import web


def assert_error_shape(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "requestId", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["requestId"] == response.headers["x-request-id"]
    assert isinstance(body["error"]["details"], list)


def test_every_response_carries_a_request_id_and_echoes_the_clients(
        gateway: RunningGateway) -> None:
    plain = web.get(gateway.url + "/healthz")
    assert len(plain.headers["x-request-id"]) == 32
    echoed = web.get(gateway.url + "/healthz", headers={"x-ms-client-request-id": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    assert echoed.headers["x-ms-client-request-id"] == "abc-123"


@pytest.mark.parametrize("method, path", [
    ("GET", "/v1/connectors"), ("GET", "/v1/connections"), ("POST", "/v1/tokens"),
    ("GET", "/metrics"), ("PUT", "/v1/connections/x"), ("GET", "/apim/a/b/c"),
    ("POST", "/v1/connections/x/operations/y"), ("DELETE", "/v1/connectors/x"),
])
def test_no_endpoint_but_the_public_ones_answers_without_a_token(
        gateway: RunningGateway, method: str, path: str) -> None:
    response = web.request(method, gateway.url + path)
    assert_error_shape(response, 401, "Unauthenticated")
    wrong = web.request(method, gateway.url + path, headers={"authorization": "Bearer nope"})
    assert_error_shape(wrong, 401, "Unauthenticated")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json"])
def test_public_endpoints_answer_without_a_token(gateway: RunningGateway, path: str) -> None:
    assert web.get(gateway.url + path).status_code == 200


def test_unknown_routes_and_methods_use_the_error_shape(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        assert_error_shape(client.get("/nope"), 404, "NotFound")
        assert_error_shape(client.delete("/v1/tokens"), 405, "MethodNotAllowed")


def test_malformed_json_is_a_400_that_says_where(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        response = client.post("/v1/tokens", content=b'{"principal": ')
    assert_error_shape(response, 400, "BadRequest")
    assert "line 1" in response.json()["error"]["message"]


def test_readyz_reports_the_backend(gateway: RunningGateway) -> None:
    body = web.get(gateway.url + "/readyz").json()
    assert body["status"] == "ready"
    assert body["database"] == gateway.services.db.dialect


def test_openapi_describes_every_route(gateway: RunningGateway) -> None:
    document = web.get(gateway.url + "/openapi.json").json()
    described = set(document["paths"])
    for path in ["/healthz", "/v1/tokens", "/v1/connectors/{id}", "/v1/connections/{name}",
                 "/apim/{connector}/{connection}/{path}"]:
        assert path in described


def test_out_of_range_versions_are_a_400_not_a_crash(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        for version in ("9223372036854775808", "²", "-1", ""):
            response = client.get("/v1/connectors/x", params={"version": version})
            assert_error_shape(response, 400, "BadRequest")
