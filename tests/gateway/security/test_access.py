"""Every role and access-policy combination of the access checks, over HTTP: the data
plane (who may call through a connection, with the linked access check for workflows) and
the control plane (who may read, change and manage)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from gateway import WorkflowIdentities
from gateway.api.auth import forget_cached_principals
from tests.gateway.api.test_errors import assert_error_shape
from tests.gateway.conftest import RunningGateway
from tests.gateway.security.upstream import Upstream

API_KEY = "key-" + "Vt7q" * 6
WORKFLOW = "wf@workflows"


@dataclass(frozen=True)
class Case:
    name: str
    role: str | None = None
    scope: str = "*"
    kind: str = "user"
    policy: bool = False
    references: bool = False
    allowed: bool = False
    check: str = ""  # the check a denial names


DATA_PLANE = [
    Case("global owner", "owner", allowed=True),
    Case("global contributor", "contributor", allowed=True),
    Case("global reader", "reader", check="connection-access"),
    Case("owner of the connection", "owner", "connections/demo", allowed=True),
    Case("contributor of the connection", "contributor", "connections/demo", allowed=True),
    Case("reader of the connection", "reader", "connections/demo", check="connection-access"),
    Case("contributor of another connection", "contributor", "connections/other",
         check="connection-access"),
    Case("no role at all", check="connection-access"),
    Case("named in the access policies", policy=True, allowed=True),
    Case("reader named in the access policies", "reader", policy=True, allowed=True),
    Case("service named in the access policies", kind="service", policy=True, allowed=True),
    Case("workflow referencing it and named", kind="workflow", policy=True, references=True,
         allowed=True),
    Case("workflow referencing it, not named", kind="workflow", references=True,
         check="linked-access"),
    Case("workflow named, not referencing it", kind="workflow", policy=True,
         check="linked-access"),
    Case("workflow neither referencing nor named", kind="workflow", check="linked-access"),
    Case("workflow with the owner role, not referencing it", "owner", kind="workflow",
         policy=True, check="linked-access"),
]


def _principal(gateway: RunningGateway, case: Case) -> tuple[str, str]:
    """Set the case up; returns (principal name, its bearer token)."""
    name = WORKFLOW if case.kind == "workflow" else "pat"
    with gateway.client() as owner:
        if case.kind == "workflow":
            references = {"demo": {"connection": "demo"}} if case.references else {
                "other": {"connection": "other"}}
            WorkflowIdentities(gateway.services.db).put(
                "wf", {ref: v["connection"] for ref, v in references.items()})
        if case.policy:
            assert owner.put(f"/v1/connections/demo/access-policies/{name}").status_code == 200
    token = gateway.token(name, case.role, kind=case.kind, scope=case.scope)
    return name, token


def _connections(gateway: RunningGateway) -> None:
    with gateway.client() as owner:
        for name in ("demo", "other"):
            created = owner.put(f"/v1/connections/{name}", json={
                "connector": "keyed", "parameters": {"api_key": API_KEY}})
            assert created.status_code == 201, created.text


@pytest.mark.parametrize("case", DATA_PLANE, ids=[c.name for c in DATA_PLANE])
def test_data_plane_access(gateway: RunningGateway, keyed: Upstream, case: Case) -> None:
    _connections(gateway)
    name, token = _principal(gateway, case)
    with gateway.client(token) as caller:
        by_path = caller.get("/apim/keyed/demo/things/7")
        by_operation = caller.post("/v1/connections/demo/operations/GetThing", json={"id": "7"})
    if case.allowed:
        assert by_path.status_code == 200, by_path.text
        assert by_operation.status_code == 200, by_operation.text
        assert [s["path"] for s in keyed.seen] == ["/things/7", "/things/7"]
        assert {s["headers"]["x-api-key"] for s in keyed.seen} == {API_KEY}
        return
    for response in (by_path, by_operation):
        assert_error_shape(response, 403, "Forbidden")
        assert case.check in json.dumps(response.json()["error"]["details"])
        assert name in response.json()["error"]["message"]
    assert keyed.seen == []  # a denial reaches no upstream
    with gateway.client() as owner:
        audit = owner.get("/v1/audit", params={"outcome": "denied",
                                               "action": "connection.use"}).json()["value"]
    assert [(e["actor"], e["resource"]) for e in audit] == [(name, "connections/demo")] * 2
    assert case.check in json.dumps(audit[0]["details"])


@dataclass(frozen=True)
class Role:
    name: str
    role: str | None
    scope: str = "*"


ROLES = [
    Role("no role", None), Role("global reader", "reader"),
    Role("global contributor", "contributor"), Role("global owner", "owner"),
    Role("reader of the connection", "reader", "connections/demo"),
    Role("contributor of the connection", "contributor", "connections/demo"),
    Role("owner of the connection", "owner", "connections/demo"),
    Role("contributor of another connection", "contributor", "connections/other"),
]
_RANK = {None: 0, "reader": 1, "contributor": 2, "owner": 3}


def _held(role: Role, scope: str) -> int:
    return _RANK[role.role] if role.scope in ("*", scope) else 0


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_control_plane_roles(gateway: RunningGateway, keyed: Upstream, role: Role) -> None:
    _connections(gateway)
    token = gateway.token("pat", role.role, scope=role.scope)
    held = _held(role, "connections/demo")
    steps = [
        ("connection.read", "reader", "GET", "/v1/connections/demo", None),
        ("connection.patch", "contributor", "PATCH", "/v1/connections/demo",
         {"tags": {"team": "blue"}}),
        ("connection.test", "contributor", "POST", "/v1/connections/demo/test", None),
        ("connection.consent", "contributor", "POST", "/v1/connections/demo/consent", None),
        ("access-policy.put", "owner", "PUT", "/v1/connections/demo/access-policies/zoe",
         None),
        ("audit.read", "global owner", "GET", "/v1/audit", None),
        ("connection.delete", "contributor", "DELETE", "/v1/connections/demo", None),
    ]
    denied_actions = []
    for action, needed, method, path, body in steps:
        # A fresh connection per step: a keep-alive race must not fail a check.
        with gateway.client(token) as caller:
            response = caller.request(method, path, json=body)
            if needed == "global owner":
                allowed = role.role == "owner" and role.scope == "*"
            else:
                allowed = held >= _RANK[needed]
            if allowed:
                assert response.status_code != 403, (action, response.text)
            else:
                assert_error_shape(response, 403, "Forbidden")
                assert "role" in json.dumps(response.json()["error"]["details"])
                denied_actions.append(action)
    with gateway.client(token) as caller:
        listed = [c["name"] for c in caller.get("/v1/connections").json()["value"]]
    visible = {"demo", "other"} if role.scope == "*" and role.role else (
        {role.scope.split("/")[1]} if role.role else set())
    if held >= _RANK["contributor"]:
        visible.discard("demo")  # deleted by the last step
    assert set(listed) == visible
    with gateway.client() as owner:
        audit = owner.get("/v1/audit", params={"outcome": "denied", "actor": "pat"}).json()
    assert sorted(e["action"] for e in audit["value"]) == sorted(denied_actions)
    assert keyed.seen == [] or role.role in ("contributor", "owner")


def test_access_policies_can_be_revoked(gateway: RunningGateway, keyed: Upstream) -> None:
    _connections(gateway)
    _, token = _principal(gateway, Case("named", policy=True))
    with gateway.client(token) as caller:
        assert caller.get("/apim/keyed/demo/things/1").status_code == 200
        with gateway.client() as owner:
            assert owner.delete("/v1/connections/demo/access-policies/pat").status_code == 204
        assert_error_shape(caller.get("/apim/keyed/demo/things/1"), 403, "Forbidden")
    assert len(keyed.seen) == 1


def test_deleting_a_workflow_removes_its_principal_and_policies(
        gateway: RunningGateway, keyed: Upstream) -> None:
    _connections(gateway)
    _, token = _principal(gateway, Case("wf", kind="workflow", policy=True, references=True))
    with gateway.client(token) as caller:
        assert caller.get("/apim/keyed/demo/things/1").status_code == 200
    with gateway.client() as owner:
        WorkflowIdentities(gateway.services.db).delete("wf")
        forget_cached_principals(gateway.services)
        policies = owner.get("/v1/connections/demo").json()["accessPolicies"]
    assert policies == []
    assert gateway.services.principals.get(WORKFLOW) is None
    with gateway.client(token) as caller:
        assert caller.get("/apim/keyed/demo/things/1").status_code == 401
