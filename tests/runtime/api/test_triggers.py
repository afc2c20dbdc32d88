"""The callback URL and the signed trigger call: signatures, methods, paths."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from runtime.host import host_of
from tests.gateway.conftest import RunningGateway
from tests.runtime.api.conftest import echo_workflow


def _callback(client: httpx.Client, workflow: str = "echo", trigger: str = "manual"
              ) -> dict[str, object]:
    response = client.post(f"/v1/workflows/{workflow}/triggers/{trigger}/callback-url")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _runs(runtime_gateway: RunningGateway) -> int:
    with runtime_gateway.services.db.engine.connect() as conn:
        count: int = conn.execute(sa.text("SELECT count(*) FROM runtime_runs")).scalar() or 0
    return count


def test_the_callback_url_has_logic_apps_shape(client: httpx.Client,
                                               runtime_gateway: RunningGateway) -> None:
    client.put("/v1/workflows/echo", json=echo_workflow(method="POST"))
    body = _callback(client)
    assert set(body) == {"value", "method", "basePath", "queries"}
    assert body["method"] == "POST"
    assert body["basePath"] == f"{runtime_gateway.url}/api/echo/triggers/manual/invoke"
    queries = body["queries"]
    assert isinstance(queries, dict)
    assert set(queries) == {"api-version", "sp", "sv", "sig"}
    assert (queries["sp"], queries["sv"]) == ("/triggers/manual/run", "1.0")
    value = str(body["value"])
    assert value.startswith(f"{body['basePath']}?")
    assert parse_qs(urlsplit(value).query)["sig"] == [queries["sig"]]


def test_a_relative_path_is_in_the_url_and_its_parameters_listed(client: httpx.Client) -> None:
    client.put("/v1/workflows/blob", json=echo_workflow(relativePath="{container}/{blob}"))
    body = _callback(client, "blob")
    assert body["relativePath"] == "/{container}/{blob}"
    assert body["relativePathParameters"] == ["container", "blob"]
    assert str(body["value"]).split("?")[0].endswith("/invoke/{container}/{blob}")


@pytest.mark.parametrize("tamper", ["no-sig", "wrong-sig", "other-trigger-sp", "bad-sv"])
def test_a_bad_signature_is_401_and_starts_nothing(client: httpx.Client,
                                                   runtime_gateway: RunningGateway,
                                                   tamper: str) -> None:
    client.put("/v1/workflows/echo", json=echo_workflow())
    queries = dict(_callback(client)["queries"])  # type: ignore[call-overload]
    if tamper == "no-sig":
        del queries["sig"]
    elif tamper == "wrong-sig":
        queries["sig"] = queries["sig"][:-2] + "AA"
    elif tamper == "other-trigger-sp":
        queries["sp"] = "/triggers/other/run"
    else:
        queries["sv"] = "2.0"
    with httpx.Client(base_url=runtime_gateway.url) as anonymous:
        response = anonymous.post("/api/echo/triggers/manual/invoke", params=queries,
                                  json={"a": 1})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "DirectApiAuthorizationRequired"
    assert _runs(runtime_gateway) == 0


def test_a_signature_does_not_open_another_workflow_and_rotation_revokes_it(
        client: httpx.Client, runtime_gateway: RunningGateway) -> None:
    client.put("/v1/workflows/echo", json=echo_workflow())
    client.put("/v1/workflows/other", json=echo_workflow())
    queries = _callback(client)["queries"]
    with httpx.Client(base_url=runtime_gateway.url) as anonymous:
        stolen = anonymous.post("/api/other/triggers/manual/invoke", params=queries)  # type: ignore[arg-type]
        assert stolen.status_code == 401
        unknown = anonymous.post("/api/ghost/triggers/manual/invoke", params=queries)  # type: ignore[arg-type]
        assert unknown.status_code == 401
        host_of(runtime_gateway.services).workflows.rotate_trigger_key("echo")
        revoked = anonymous.post("/api/echo/triggers/manual/invoke", params=queries)  # type: ignore[arg-type]
        assert revoked.status_code == 401
    assert _callback(client)["queries"] != queries
    assert _runs(runtime_gateway) == 0


def test_a_callback_url_needs_a_request_trigger_and_a_contributor(
        client: httpx.Client, runtime_gateway: RunningGateway) -> None:
    recurring = echo_workflow()
    recurring["definition"]["triggers"] = {"Every_day": {
        "type": "Recurrence", "recurrence": {"frequency": "Day", "interval": 1}}}
    recurring["definition"]["actions"]["Compose"]["inputs"] = "x"
    assert client.put("/v1/workflows/daily", json=recurring).status_code == 201
    assert client.post("/v1/workflows/daily/triggers/Every_day/callback-url"
                       ).status_code == 400
    assert client.post("/v1/workflows/daily/triggers/nope/callback-url").status_code == 404
    token = runtime_gateway.token("rita", "reader")
    client.put("/v1/workflows/echo", json=echo_workflow())
    with runtime_gateway.client(token) as reader:
        assert reader.post("/v1/workflows/echo/triggers/manual/callback-url"
                           ).status_code == 403
