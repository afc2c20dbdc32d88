"""Connections over HTTP: create, read, list, patch, delete, validation, statuses, the
test operation, policy, and the audit log of it all."""

from __future__ import annotations

import json

import pytest

from gateway.settings import Settings
from tests.gateway.api.test_errors import assert_error_shape
from tests.gateway.conftest import RunningGateway, make_settings
from tests.gateway.security.upstream import (
    Upstream,
    key_connector,
)

KEY = "ck-" + "Rb6n" * 6


def _put(gateway: RunningGateway, name: str = "demo", token: str | None = None,
         **body: object) -> object:
    payload = {"connector": "keyed", "parameters": {"api_key": KEY}, **body}
    with gateway.client(token) as client:
        return client.put(f"/v1/connections/{name}", json=payload)


def _secret_rows(gateway: RunningGateway) -> list[tuple[object, ...]]:
    with gateway.services.db.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT name, key_id, wrapped_key, ciphertext, updated_at FROM secrets "
            "ORDER BY name")]


def test_create_read_list_delete(gateway: RunningGateway, keyed: Upstream) -> None:
    with gateway.client() as client:
        created = client.put("/v1/connections/demo", json={
            "connector": "keyed", "parameters": {"api_key": KEY, "region": "eu"},
            "tags": {"team": "red"}, "displayName": "Demo"})
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["status"] == "Connected"
        assert body["parameters"] == {"region": "eu"}
        assert body["secretParameters"] == ["api_key"]
        assert KEY not in created.text
        assert client.get("/v1/connections/demo").json() == body
        assert client.get("/v1/connections").json()["value"] == [body]
        replaced = client.put("/v1/connections/demo", json={
            "connector": "keyed", "parameters": {"api_key": KEY + "2"}})
        assert replaced.status_code == 200
        assert replaced.json()["revision"] == 2
        assert client.delete("/v1/connections/demo").status_code == 204
        assert_error_shape(client.get("/v1/connections/demo"), 404, "NotFound")
        audit = client.get("/v1/audit", params={"resource": "connections/demo"}).json()
    assert [e["action"] for e in audit["value"]] == [
        "connection.delete", "connection.update", "connection.create"]
    assert audit["value"][2]["details"]["sealedParameters"] == ["api_key"]
    assert KEY not in json.dumps(audit)
    assert _secret_rows(gateway) == []


@pytest.mark.parametrize("parameters, pointer", [
    ({"api_key": KEY, "colour": "red"}, "/parameters/colour"),
    ({"api_key": KEY, "region": "mars"}, "/parameters/region"),
    ({"api_key": KEY, "retries": "three"}, "/parameters/retries"),
    ({"api_key": 42}, "/parameters/api_key"),
    ({"region": "eu"}, "/parameters/api_key"),
    ({"api_key": KEY, "oauth_tokens": "{}"}, "/parameters/oauth_tokens"),
    ({"api_key": KEY, "authType": "magic"}, "/parameters/authType"),
])
def test_bad_parameters_are_refused_with_a_pointer_and_change_nothing(
        gateway: RunningGateway, keyed: Upstream, parameters: dict[str, object],
        pointer: str) -> None:
    with gateway.client() as client:
        refused = client.put("/v1/connections/demo", json={"connector": "keyed",
                                                           "parameters": parameters})
        assert_error_shape(refused, 400, "ValidationFailed")
        assert pointer in [d["pointer"] for d in refused.json()["error"]["details"]]
        assert_error_shape(client.get("/v1/connections/demo"), 404, "NotFound")
    assert _secret_rows(gateway) == []


def test_tags_and_display_name_never_touch_credentials(gateway: RunningGateway,
                                                       keyed: Upstream) -> None:
    assert _put(gateway).status_code == 201  # type: ignore[attr-defined]
    before = _secret_rows(gateway)
    with gateway.client() as client:
        patched = client.patch("/v1/connections/demo", json={
            "tags": {"env": "prod"}, "displayName": "Production"})
        assert patched.status_code == 200
        assert patched.json()["tags"] == {"env": "prod"}
        assert patched.json()["displayName"] == "Production"
        assert client.patch("/v1/connections/demo",
                            json={"tags": {}}).json()["tags"] == {}
        answer = client.get("/apim/keyed/demo/things/1")
    assert _secret_rows(gateway) == before  # same key id, same bytes, same time
    assert answer.status_code == 200
    assert keyed.seen[0]["headers"]["x-api-key"] == KEY


def test_patching_a_parameter_keeps_the_stored_secret(gateway: RunningGateway,
                                                      keyed: Upstream) -> None:
    _put(gateway)
    with gateway.client() as client:
        patched = client.patch("/v1/connections/demo", json={"parameters": {"region": "us"}})
        assert patched.status_code == 200, patched.text
        assert patched.json()["parameters"] == {"region": "us"}
        new_key = client.patch("/v1/connections/demo",
                               json={"parameters": {"api_key": KEY + "x"}})
        assert new_key.status_code == 200
        assert client.get("/apim/keyed/demo/things/1").status_code == 200
    assert keyed.seen[-1]["headers"]["x-api-key"] == KEY + "x"
    assert_error_shape(_patch_unknown(gateway), 400, "BadRequest")


def _patch_unknown(gateway: RunningGateway) -> object:
    with gateway.client() as client:
        return client.patch("/v1/connections/demo", json={"connector": "other"})


@pytest.mark.parametrize("answer, status", [
    (200, "Connected"), (401, "Unauthenticated"), (403, "Unauthenticated"), (500, "Error")])
def test_the_test_operation_decides_the_status(gateway: RunningGateway, upstream: Upstream,
                                                answer: int, status: str) -> None:
    gateway.services.connectors.save(key_connector(upstream.url, test_status=answer),
                                     source="tests")
    _put(gateway)
    with gateway.client() as client:
        tested = client.post("/v1/connections/demo/test")
        record = client.get("/v1/connections/demo").json()
    assert tested.status_code == 200, tested.text
    assert tested.json()["status"] == status
    assert tested.json()["checkedWith"] == "operation Ping"
    assert record["status"] == status
    if status != "Connected":
        assert str(answer) in record["statusReason"]
    assert [s["path"] for s in upstream.seen] == [f"/status/{answer}"]
    assert upstream.seen[0]["headers"]["x-api-key"] == KEY


def test_without_a_test_operation_the_credentials_are_checked(gateway: RunningGateway,
                                                              keyed: Upstream) -> None:
    _put(gateway)
    with gateway.client() as client:
        tested = client.post("/v1/connections/demo/test").json()
    assert tested == {"connection": "demo", "status": "Connected", "statusReason": "",
                      "checkedWith": "credentials"}
    assert keyed.seen == []


@pytest.fixture
def settings(tmp_path: object, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url,  # type: ignore[arg-type]
                         policy={"forbidden_connectors": ("banned", "legacy-*")})


@pytest.mark.parametrize("connector, allowed", [
    ("banned", False), ("legacy-mail", False), ("legacy", True), ("keyed", True)])
def test_policy_forbids_connections_to_chosen_connectors(
        gateway: RunningGateway, upstream: Upstream, connector: str, allowed: bool) -> None:
    gateway.services.connectors.save(key_connector(upstream.url, connector), source="tests")
    with gateway.client() as client:
        response = client.put("/v1/connections/demo", json={
            "connector": connector, "parameters": {"api_key": KEY}})
        audit = client.get("/v1/audit", params={"outcome": "denied"}).json()["value"]
    if allowed:
        assert response.status_code == 201
        assert audit == []
        return
    assert_error_shape(response, 403, "Forbidden")
    assert response.json()["error"]["details"][0]["check"] == "policy"
    assert [(e["action"], e["resource"]) for e in audit] == [
        ("connection.put", "connections/demo")]
    assert gateway.services.connections.all() == []


def test_audit_is_for_owners_and_filters(gateway: RunningGateway, keyed: Upstream) -> None:
    _put(gateway)
    reader = gateway.token("rita", "reader")
    with gateway.client(reader) as client:
        assert_error_shape(client.get("/v1/audit"), 403, "Forbidden")
    with gateway.client() as client:
        assert_error_shape(client.get("/v1/audit", params={"limit": "0"}), 400, "BadRequest")
        assert_error_shape(client.get("/v1/audit", params={"who": "x"}), 400, "BadRequest")
        one = client.get("/v1/audit", params={"limit": "1"}).json()["value"]
        denied = client.get("/v1/audit", params={"outcome": "denied"}).json()["value"]
    assert len(one) == 1
    assert [(e["actor"], e["action"]) for e in denied] == [("rita", "audit.read")]
