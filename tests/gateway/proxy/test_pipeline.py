"""The whole pipeline against a real upstream: routing, validation, credentials, hygiene,
access, calls by operation id, strict responses and the protocol seam."""

from __future__ import annotations

from typing import Any

from gateway.proxy.call import Call
from gateway.proxy.protocols import Transport
from gateway.proxy.upstream import UpstreamResponse
from tests.gateway.conftest import RunningGateway
from tests.gateway.proxy.conftest import API_KEY, ProxyEnv, Upstream, make_env
from tests.support import web


def test_a_call_reaches_the_upstream_with_the_connection_key(env: ProxyEnv) -> None:
    with env.client() as client:
        response = client.get(env.path("items/5"), params={"q": "abc"})
    assert response.status_code == 200
    seen = response.json()
    assert seen["path"] == "/api/items/5"
    assert seen["query"] == [["q", "abc"]]
    assert seen["headers"]["x-api-key"] == API_KEY


def test_the_callers_credentials_and_hop_headers_never_reach_the_upstream(
        env: ProxyEnv) -> None:
    with env.client() as client:
        response = client.get(env.path("items/5"), headers={
            "cookie": "session=caller", "x-trace": "t1", "connection": "keep-alive, x-hop",
            "x-hop": "drop-me", "proxy-authorization": "Basic eA==",
            "x-ms-client-request-id": "req-123"})
    seen = response.json()["headers"]
    assert seen.get("authorization") is None
    assert "cookie" not in seen
    assert "x-hop" not in seen
    assert "proxy-authorization" not in seen
    assert seen["x-trace"] == "t1"
    assert seen["x-ms-client-request-id"] == "req-123"
    assert response.headers["x-ms-client-request-id"] == "req-123"
    assert response.headers["x-request-id"] == "req-123"


def test_the_upstreams_cookies_and_challenges_are_not_passed_back(env: ProxyEnv) -> None:
    with env.client() as client:
        response = client.get(env.path("items/5"))
    assert "set-cookie" not in response.headers
    assert "www-authenticate" not in response.headers
    assert response.headers["x-upstream"] == "yes"
    assert response.headers["x-request-id"] != "upstream-id"
    assert int(response.headers["content-length"]) == len(response.content)


def test_an_encoded_slash_stays_inside_its_path_parameter(env: ProxyEnv) -> None:
    with env.client() as client:
        response = client.get(env.path("echo/a%2Fb"))
    assert response.status_code == 200
    assert response.json()["rawPath"] == "/api/echo/a%2Fb"


def test_an_unknown_operation_is_404_naming_the_operations(env: ProxyEnv) -> None:
    with env.client() as client:
        response = client.get(env.path("nowhere/at/all"))
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "NotFound"
    assert "getItem" in error["details"][0]["operations"]
    assert error["requestId"] == response.headers["x-request-id"]


def test_a_wrong_method_is_405_naming_the_allowed_ones(env: ProxyEnv) -> None:
    with env.client() as client:
        response = client.patch(env.path("items/5"), json={})
    assert response.status_code == 405
    assert response.json()["error"]["details"][0]["allowed"] == [
        "DELETE", "GET", "POST", "PUT"]


def test_parameters_are_validated_before_anything_is_sent(env: ProxyEnv) -> None:
    before = env.upstream.state.hits.get("status", 0)
    with env.client() as client:
        not_a_number = client.get(env.path("items/abc"))
        too_long = client.get(env.path("items/5"), params={"q": "toolong"})
        bad_array = client.get(env.path("items/5"), params=[("tags", "1"), ("tags", "x")])
        good_array = client.get(env.path("items/5"), params=[("tags", "1"), ("tags", "2")])
    assert not_a_number.status_code == 400
    detail = not_a_number.json()["error"]["details"][0]
    assert (detail["in"], detail["name"]) == ("path", "id")
    assert too_long.status_code == 400
    assert too_long.json()["error"]["details"][0]["name"] == "q"
    assert bad_array.status_code == 400
    assert bad_array.json()["error"]["details"][0]["pointer"] == "/tags/1"
    assert good_array.status_code == 200
    assert env.upstream.state.hits.get("status", 0) == before


def test_a_json_body_is_validated_against_the_operation(env: ProxyEnv) -> None:
    with env.client() as client:
        missing = client.put(env.path("items/5"), headers={"content-type": "application/json"})
        wrong = client.put(env.path("items/5"), json={"size": "big"})
        broken = client.put(env.path("items/5"), content=b"{nope",
                            headers={"content-type": "application/json"})
        good = client.put(env.path("items/5"), json={"name": "n", "size": 3})
    assert missing.status_code == 400
    assert wrong.status_code == 400
    pointers = {d["pointer"] for d in wrong.json()["error"]["details"]}
    assert pointers == {"/name", "/size"}
    assert broken.status_code == 400
    assert "not JSON" in broken.json()["error"]["message"]
    assert good.status_code == 200
    assert good.json()["body"] == '{"name":"n","size":3}'


def test_a_caller_without_access_is_refused_and_audited(env: ProxyEnv) -> None:
    reader = env.gateway.token("rita", "reader")
    with env.client(reader) as client:
        response = client.get(env.path("items/5"))
    assert response.status_code == 403
    assert response.json()["error"]["details"][0]["check"] == "connection-access"
    entries = env.gateway.services.audit.query(actor="rita", outcome="denied")
    assert entries[0]["resource"] == "connections/demo-conn"
    assert entries[0]["requestId"] == response.headers["x-request-id"]


def test_an_access_policy_lets_a_principal_without_a_role_in(env: ProxyEnv) -> None:
    token = env.gateway.token("svc", None, kind="service")
    env.gateway.services.connections.grant_access("demo-conn", "svc")
    with env.client(token) as client:
        response = client.get(env.path("items/5"))
    assert response.status_code == 200


def test_no_token_is_401_and_an_unknown_connection_404(env: ProxyEnv) -> None:
    with web.Client(base_url=env.gateway.url) as client:
        anonymous = client.get(env.path("items/5"))
    with env.client() as client:
        unknown = client.get(env.path("items/5", connection="nope"))
        mismatch = client.get("/apim/other/demo-conn/items/5")
    assert anonymous.status_code == 401
    assert unknown.status_code == 404
    assert mismatch.status_code == 400


def test_an_operation_is_called_by_id_with_json_parameters(env: ProxyEnv) -> None:
    with env.client() as client:
        response = client.post("/v1/connections/demo-conn/operations/getItem",
                               json={"id": 9, "q": "hey", "tags": [1, 2]})
        invalid = client.post("/v1/connections/demo-conn/operations/getItem",
                              json={"id": "x"})
        unknown = client.post("/v1/connections/demo-conn/operations/nope", json={})
        body = client.post("/v1/connections/demo-conn/operations/putItem",
                           json={"id": 3, "body": {"name": "z"}})
    assert response.status_code == 200
    seen = response.json()
    assert seen["path"] == "/api/items/9"
    assert seen["query"] == [["q", "hey"], ["tags", "1"], ["tags", "2"]]
    assert seen["headers"]["x-api-key"] == API_KEY
    assert invalid.status_code == 400
    assert unknown.status_code == 404
    assert "getItem" in unknown.json()["error"]["details"][0]["operations"]
    assert body.status_code == 200
    assert body.json()["method"] == "PUT"
    assert body.json()["body"] == '{"name": "z"}'


def test_strict_mode_refuses_an_answer_that_breaks_its_schema(
        gateway: RunningGateway, upstream: Upstream) -> None:
    env = make_env(gateway, upstream, proxy={"strictResponses": True})
    with env.client() as client:
        good = client.get(env.path("typed"))
        bad = client.get(env.path("typed"), params={"bad": "1"})
    assert good.status_code == 200
    assert bad.status_code == 502
    error = bad.json()["error"]
    assert error["code"] == "UpstreamResponseInvalid"
    assert error["details"][0]["pointer"] == "/id"


def test_without_strict_mode_the_same_answer_passes(env: ProxyEnv) -> None:
    with env.client() as client:
        response = client.get(env.path("typed"), params={"bad": "1"})
    assert response.status_code == 200
    assert response.json() == {"id": "not-a-number"}


class _EchoProtocol:
    """A protocol handler for the test: sends the JSON arguments as a POST body."""

    async def handle(self, call: Call, transport: Transport) -> UpstreamResponse:
        assert call.operation is not None
        url = call.base_url.rstrip("/") + "/items/1"
        headers = {**call.headers, "content-type": "application/json"}
        return await transport.send(call, "POST", url, headers,
                                    b'{"wrapped": %d}' % len(call.arguments or {}))


def test_a_non_rest_connector_is_handed_to_its_protocol_handler(
        gateway: RunningGateway, upstream: Upstream) -> None:
    from tests.gateway.proxy.conftest import add_connection, build_connector

    connector = build_connector(upstream.url + "/api", connector_id="soapish",
                                proxy={"rateLimitCalls": 0})
    connector.protocol = "soap"
    connector.openapi = None
    add_connection(gateway.services, connector, name="soap-conn")
    handlers = gateway.services.protocols
    installed = handlers.pop("soap", None)
    try:
        with gateway.client() as client:
            missing = client.post("/v1/connections/soap-conn/operations/postItem",
                                  json={"id": 1})
            handlers["soap"] = _EchoProtocol()
            handled = client.post("/v1/connections/soap-conn/operations/postItem",
                                  json={"id": 1})
    finally:
        handlers.pop("soap", None)
        if installed is not None:
            handlers["soap"] = installed
    assert missing.status_code == 502
    assert missing.json()["error"]["code"] == "ProtocolUnavailable"
    assert handled.status_code == 200
    assert handled.json()["body"] == '{"wrapped": 1}'
    assert handled.json()["headers"]["x-api-key"] == API_KEY


def _policy(template: str, section: str, operations: list[str], **values: str) -> dict[str, Any]:
    parameters: dict[str, Any] = {f"x-ms-apimTemplateParameter.{k}": v for k, v in values.items()}
    parameters["x-ms-apimTemplate-policySection"] = section
    parameters["x-ms-apimTemplate-operationName"] = operations
    return {"template": template, "parameters": parameters, "operations": operations}


def test_connector_policies_run_on_the_request_and_the_answer(
        gateway: RunningGateway, upstream: Upstream) -> None:
    env = make_env(gateway, upstream, policies=[
        _policy("setheader", "Request", ["getItem"], name="x-region",
                value="@connectionParameters('region', 'eu')", existsAction="override"),
        _policy("updatenextlink", "Response", ["page"], nextLinkPropertyName="nextLink"),
    ])
    with env.client() as client:
        item = client.get(env.path("items/5"))
        page = client.get(env.path("page"))
    assert item.json()["headers"]["x-region"] == "eu"
    assert page.json()["nextLink"] == f"{env.gateway.url}/apim/demo/demo-conn/items/2?skip=2"


def test_a_workflow_needs_both_a_reference_and_an_access_policy(env: ProxyEnv) -> None:
    from gateway.store.workflows import WorkflowIdentities, principal_of

    services = env.gateway.services
    store = WorkflowIdentities(services.db)
    store.put("nightly", {})
    principal = principal_of("nightly")
    token = services.principals.create_token(principal, None, kind="workflow")
    services.connections.grant_access("demo-conn", principal)
    with env.client(token) as client:
        unreferenced = client.get(env.path("items/1"))
        store.put("nightly", {"demo": "demo-conn"})
        referenced = client.get(env.path("items/1"))
    assert unreferenced.status_code == 403
    assert unreferenced.json()["error"]["details"][0]["reason"] == "not-referenced"
    assert referenced.status_code == 200
