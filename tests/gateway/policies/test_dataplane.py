"""Policies on the real data plane: a gateway in front of a real upstream on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.policies import CallPolicies, PolicyDefinitionError, compile_policies
from tests.gateway.proxy.conftest import API_KEY, ProxyEnv, Upstream, make_env
from tests.gateway.proxy.upstream_app import UpstreamState, build_upstream
from tests.support.servers import serve_in_thread

P = "x-ms-apimTemplateParameter."


def policy(template: str, operations: list[str] | None = None, section: str | None = None,
           **parameters: Any) -> dict[str, Any]:
    values: dict[str, Any] = {P + key: value for key, value in parameters.items()}
    if section:
        values["x-ms-apimTemplate-policySection"] = section
    return {"template": template, "title": template, "parameters": values,
            "operations": operations or []}


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    state = UpstreamState()
    with serve_in_thread(build_upstream(state)) as url:
        yield Upstream(url, state)


def env_with(gateway: Any, upstream: Upstream, *policies: dict[str, Any]) -> ProxyEnv:
    return make_env(gateway, upstream, policies=list(policies))


def test_request_policies_reach_the_upstream(gateway, upstream):
    env = env_with(
        gateway, upstream,
        policy("setheader", name="X-Key-Copy", value="Key @connectionParameters('api_key')"),
        policy("setheader", name="Accept", value="text/plain", existsAction="skip"),
        policy("setqueryparameter", operations=["getItem"], name="api-version",
               value="2024-01-01"),
        policy("routerequesttoendpoint", operations=["getItem"],
               newPath="/echo/moved/{id}", httpMethod="@Request.OriginalHTTPMethod"),
    )
    with env.client() as client:
        answer = client.get(env.path("items/7"), params={"q": "x"},
                            headers={"accept": "application/json"})
    assert answer.status_code == 200, answer.text
    echoed = answer.json()
    assert echoed["path"] == "/api/echo/moved/7"
    assert echoed["query"] == [["q", "x"], ["api-version", "2024-01-01"]]
    assert echoed["headers"]["x-key-copy"] == f"Key {API_KEY}"
    assert echoed["headers"]["accept"] == "application/json"
    assert echoed["headers"]["x-api-key"] == API_KEY  # credentials still injected


def test_policies_scoped_to_other_operations_do_not_run(gateway, upstream):
    env = env_with(gateway, upstream,
                   policy("setheader", operations=["putItem"], name="X-Only-Put", value="1"))
    with env.client() as client:
        echoed = client.get(env.path("items/1")).json()
    assert "x-only-put" not in echoed["headers"]


def test_body_policies_rewrite_json_requests_and_responses(gateway, upstream):
    env = env_with(
        gateway, upstream,
        policy("setproperty", operations=["putItem"], section="Request",
               newPropertyParentPathTemplate="@body()", newPropertySubPathTemplate="tags",
               propertyValuePathTemplate="[{@body().name}]"),
        policy("convertobjecttoarray", operations=["putItem"], section="Response",
               propertyParentPath="@body()", propertySubPath="headers",
               newPropertyPath="@body().headerList", keyName="name", valueName="value"),
        policy("setheader", operations=["putItem"], section="Response",
               name="X-Policy", value="applied"),
    )
    with env.client() as client:
        answer = client.put(env.path("items/3"), json={"name": "lamp", "size": 2})
    assert answer.status_code == 200, answer.text
    echoed = answer.json()
    assert json.loads(echoed["body"]) == {"name": "lamp", "size": 2, "tags": ["lamp"]}
    assert {"name": "x-api-key", "value": API_KEY} in echoed["headerList"]
    assert answer.headers["x-policy"] == "applied"
    assert int(answer.headers["content-length"]) == len(answer.content)


def test_dynamic_host_url_from_a_header(gateway, upstream):
    port = upstream.url.rsplit(":", 1)[1]
    env = env_with(gateway, upstream, policy(
        "dynamichosturl", urlTemplate="http://127.0.0.1:@headers('x-port')/api/echo"))
    with env.client() as client:
        echoed = client.get(env.path("items/5"), headers={"x-port": port}).json()
    assert echoed["path"] == "/api/echo/items/5"


def test_a_failing_policy_answers_400_in_the_error_shape(gateway, upstream):
    env = env_with(gateway, upstream, policy("dynamichosturl", urlTemplate="@headers('x-base')"))
    with env.client() as client:
        failed = client.get(env.path("items/5"))
    assert failed.status_code == 400
    error = failed.json()["error"]
    assert error["code"] == "PolicyFailed"
    assert "dynamichosturl" in error["message"]


def test_compile_policies_hook():
    from tests.gateway.proxy.conftest import build_connector

    assert compile_policies(build_connector("https://x.example")) is None
    compiled = compile_policies(build_connector(
        "https://x.example", policies=[policy("setheader", name="a", value="b")]))
    assert isinstance(compiled, CallPolicies) and len(compiled) == 1
    with pytest.raises(PolicyDefinitionError):
        compile_policies(build_connector(
            "https://x.example", policies=[policy("setheader", value="b")]))


def test_body_policies_leave_non_json_bodies_unchanged(gateway, upstream):
    env = env_with(gateway, upstream, policy(
        "setproperty", operations=["upload"], newPropertyParentPathTemplate="@body()",
        newPropertySubPathTemplate="added", propertyValuePathTemplate="1"))
    payload = b"plain text, not JSON" * 1000
    with env.client() as client:
        answer = client.put(env.path("upload"), content=payload,
                            headers={"content-type": "text/plain"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": len(payload)}


def test_a_changed_connection_parameter_reaches_the_next_call(gateway, upstream):
    # A value read from connection parameters alone is kept with the cached connection;
    # a change through the API replaces that entry, so the next call sees the new value.
    env = env_with(gateway, upstream, policy(
        "setheader", name="X-Key-Copy", value="@connectionParameters('api_key', 'none')"))
    with env.client() as client:
        first = client.get(env.path("items/7")).json()["headers"]["x-key-copy"]
        again = client.get(env.path("items/7")).json()["headers"]["x-key-copy"]
        patched = client.patch("/v1/connections/demo-conn",
                               json={"parameters": {"api_key": "the-new-key"}})
        assert patched.status_code == 200, patched.text
        after = client.get(env.path("items/7")).json()["headers"]["x-key-copy"]
    assert (first, again, after) == (API_KEY, API_KEY, "the-new-key")


def test_fixed_headers_override_the_callers_in_order_on_every_call(gateway, upstream):
    # Headers set from literals and connection parameters alone are worked out once per
    # cached connection; every call still gets them, over the caller's, the last winning.
    env = env_with(
        gateway, upstream,
        policy("setheader", name="Accept", value="text/plain"),
        policy("setheader", name="X-Twice", value="one"),
        policy("setheader", name="X-Twice", value="@connectionParameters('api_key')"),
    )
    with env.client() as client:
        seen = [client.get(env.path("items/7"), headers={"accept": "application/json",
                                                          "x-twice": "caller"}
                           ).json()["headers"] for _ in range(3)]
    assert [(h["accept"], h["x-twice"]) for h in seen] == [("text/plain", API_KEY)] * 3
