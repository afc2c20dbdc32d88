"""PUT/GET/DELETE /v1/workflows, enable/disable, and /v1/appsettings over real HTTP."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.gateway.conftest import RunningGateway
from tests.runtime.api.conftest import echo_workflow


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) >= {"code", "message", "requestId", "details"}
    return error


@pytest.mark.both_backends
def test_a_workflow_is_deployed_read_listed_and_deleted(client: httpx.Client) -> None:
    created = client.put("/v1/workflows/echo", json=echo_workflow())
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["kind"], body["enabled"], body["principal"]) == (
        "echo", "Stateful", True, "echo@workflows")
    assert body["definition"]["actions"]["Compose"]["type"] == "Compose"
    assert client.get("/v1/workflows/echo").json()["version"] == body["version"]
    assert [w["name"] for w in client.get("/v1/workflows").json()["value"]] == ["echo"]
    assert client.delete("/v1/workflows/echo").status_code == 204
    _error(client.get("/v1/workflows/echo"), 404)


def test_the_same_deploy_keeps_its_version_and_a_change_makes_a_new_one(
        client: httpx.Client) -> None:
    first = client.put("/v1/workflows/echo", json=echo_workflow()).json()["version"]
    again = client.put("/v1/workflows/echo", json=echo_workflow())
    assert (again.status_code, again.json()["version"]) == (200, first)
    changed = echo_workflow()
    changed["definition"]["actions"]["Compose"]["inputs"] = "@triggerOutputs()"
    second = client.put("/v1/workflows/echo", json=changed).json()["version"]
    assert second != first and len(second) == 20


@pytest.mark.both_backends
def test_a_bad_definition_is_refused_whole_with_pointers_and_nothing_is_stored(
        client: httpx.Client, runtime_gateway: RunningGateway) -> None:
    bad = echo_workflow()
    actions = bad["definition"]["actions"]
    actions["Compose"]["type"] = "NoSuchAction"
    actions["Response"]["runAfter"] = {"Missing": ["Succeeded"]}
    actions["Response"]["inputs"]["body"] = "@concat('a',"
    error = _error(client.put("/v1/workflows/bad", json=bad), 400)
    assert error["code"] == "InvalidDefinition"
    pointers = {(d["pointer"], d["file"]) for d in error["details"]}
    assert ("/definition/actions/Compose/type", "request") in pointers
    assert ("/definition/actions/Response/runAfter/Missing", "request") in pointers
    assert ("/definition/actions/Response/inputs/body", "request") in pointers
    _error(client.get("/v1/workflows/bad"), 404)
    with runtime_gateway.services.db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM runtime_workflow_versions")
                            ).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM workflows")).scalar() == 0


def test_hostile_bodies_get_a_clear_400(client: httpx.Client) -> None:
    deep: dict[str, Any] = {"type": "Compose", "inputs": 1}
    for level in range(9):
        deep = {"type": "Scope", "actions": {f"S{level}": deep}}
    nested = echo_workflow()
    nested["definition"]["actions"] = {"Outer": deep}
    error = _error(client.put("/v1/workflows/deep", json=nested), 400)
    assert "nested deeper than 8" in error["message"]
    many = echo_workflow()
    many["definition"]["actions"] = {f"C{i}": {"type": "Compose", "inputs": i}
                                     for i in range(501)}
    assert "at most 500 actions" in _error(client.put("/v1/workflows/many", json=many),
                                           400)["message"]
    cycle = echo_workflow()
    cycle["definition"]["actions"]["Compose"]["runAfter"] = {"Response": ["Succeeded"]}
    assert "cycle" in _error(client.put("/v1/workflows/cycle", json=cycle), 400)["message"]
    for body in ([1, 2], {"definition": "x"}, {"definition": {}, "kind": "Eternal"},
                 {"definition": {}, "extra": 1}):
        _error(client.put("/v1/workflows/x", json=body), 400)
    _error(client.put("/v1/workflows/x", content=b"{not json",
                      headers={"content-type": "application/json"}), 400)
    _error(client.put("/v1/workflows/bad%20name", json=echo_workflow()), 400)
    assert client.get("/v1/workflows").json()["value"] == []


@pytest.mark.both_backends
def test_secure_parameters_are_sealed_and_never_returned(
        client: httpx.Client, runtime_gateway: RunningGateway) -> None:
    body = echo_workflow()
    body["definition"]["parameters"] = {"apiKey": {"type": "securestring"},
                                        "region": {"type": "string", "defaultValue": "eu"}}
    body["parameters"] = {"apiKey": {"type": "securestring", "value": "s3cret-value-42"}}
    created = client.put("/v1/workflows/secure", json=body)
    assert created.status_code == 201, created.text
    assert "s3cret-value-42" not in created.text
    assert "s3cret-value-42" not in client.get("/v1/workflows/secure").text
    with runtime_gateway.services.db.engine.connect() as conn:
        for table in ("runtime_workflow_versions", "secrets"):
            rows = conn.execute(sa.text(f"SELECT * FROM {table}")).all()
            assert "s3cret-value-42" not in repr(rows)
    store = runtime_gateway.services
    from runtime.host import host_of

    version = host_of(store).workflows.current("secure")
    assert version.parameters == {"apiKey": "s3cret-value-42", "region": "eu"}
    assert version.secure_parameters == frozenset({"apiKey"})


def test_undeclared_parameters_and_references_are_refused(client: httpx.Client) -> None:
    body = echo_workflow()
    body["definition"]["actions"]["Compose"]["inputs"] = "@parameters('nope')"
    body["definition"]["actions"]["Response"]["inputs"]["body"] = "@body('Ghost')"
    error = _error(client.put("/v1/workflows/refs", json=body), 400)
    messages = " | ".join(d["message"] for d in error["details"])
    assert "'nope' is not declared" in messages
    assert "'Ghost', which is not an action" in messages


def test_enable_and_disable(client: httpx.Client) -> None:
    client.put("/v1/workflows/echo", json=echo_workflow())
    assert client.post("/v1/workflows/echo/disable").json()["enabled"] is False
    assert client.get("/v1/workflows/echo").json()["state"] == "Disabled"
    assert client.post("/v1/workflows/echo/enable").json()["enabled"] is True
    _error(client.post("/v1/workflows/ghost/enable"), 404)


def test_app_settings_merge_list_names_delete_and_never_return_values(
        client: httpx.Client, runtime_gateway: RunningGateway) -> None:
    assert client.put("/v1/appsettings", json={"A": "alpha-secret", "B": "b"}).json() == {
        "value": ["A", "B"]}
    assert client.put("/v1/appsettings", json={"C": "c"}).json() == {"value": ["A", "B", "C"]}
    listed = client.get("/v1/appsettings")
    assert listed.json() == {"value": ["A", "B", "C"]} and "alpha-secret" not in listed.text
    assert client.delete("/v1/appsettings/B").status_code == 204
    assert client.get("/v1/appsettings").json() == {"value": ["A", "C"]}
    _error(client.delete("/v1/appsettings/B"), 404)
    _error(client.put("/v1/appsettings", json={"n": 1}), 400)
    assert client.get("/v1/appsettings").json() == {"value": ["A", "C"]}


def test_a_reader_may_read_but_not_deploy(runtime_gateway: RunningGateway,
                                          client: httpx.Client) -> None:
    client.put("/v1/workflows/echo", json=echo_workflow())
    token = runtime_gateway.token("rita", "reader")
    with runtime_gateway.client(token) as reader:
        assert reader.get("/v1/workflows/echo").status_code == 200
        changed = copy.deepcopy(echo_workflow())
        _error(reader.put("/v1/workflows/echo", json=changed), 403)
        _error(reader.put("/v1/appsettings", json={"X": "y"}), 403)
    with httpx.Client(base_url=runtime_gateway.url) as anonymous:
        _error(anonymous.get("/v1/workflows"), 401)


def test_service_provider_connections_are_sealed_and_resolved_at_run(
        client: httpx.Client, runtime_gateway: RunningGateway) -> None:
    client.put("/v1/appsettings", json={"SQL_CONN": "Server=db;Password=pa55-word-9"})
    body = echo_workflow()
    body["serviceProviderConnections"] = {"sql": {
        "serviceProvider": {"id": "/serviceProviders/sql"}, "displayName": "db",
        "parameterValues": {"connectionString": "@appsetting('SQL_CONN')",
                            "literal": "key=inline-s3cret-77"}}}
    assert client.put("/v1/workflows/sp", json=body).status_code == 201
    with runtime_gateway.services.db.engine.connect() as conn:
        stored = repr(conn.execute(sa.text("SELECT * FROM runtime_workflow_versions")).all())
    assert "inline-s3cret-77" not in stored and "/serviceProviders/sql" in stored
    from runtime.host import host_of

    version = host_of(runtime_gateway.services).workflows.current("sp")
    assert version.service_provider_connections["sql"]["parameterValues"] == {
        "connectionString": "Server=db;Password=pa55-word-9", "literal": "key=inline-s3cret-77"}


def test_oversized_and_bomb_definitions_are_refused(client: httpx.Client) -> None:
    huge = echo_workflow()
    huge["definition"]["actions"]["Compose"]["inputs"] = "x" * (1024 * 1024 + 10)
    response = client.put("/v1/workflows/huge", json=huge)
    assert response.status_code == 413, response.text
    bomb = echo_workflow()
    bomb["definition"]["actions"]["Compose"]["inputs"] = "@" + "concat(" * 300 + "1" + ")" * 300
    error = _error(client.put("/v1/workflows/bomb", json=bomb), 400)
    assert error["details"][0]["pointer"] == "/definition/actions/Compose/inputs"
    assert client.get("/v1/workflows").json()["value"] == []
