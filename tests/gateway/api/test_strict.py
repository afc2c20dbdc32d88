"""Typos are 400s that name them and change nothing; list endpoints page with ``top`` and
``nextLink``."""

from __future__ import annotations

import pytest

from tests.gateway.api.test_errors import assert_error_shape
from tests.gateway.conftest import RunningGateway
from tests.gateway.security.upstream import Upstream
from tests.gateway.test_catalogue import connector_count, widgets_spec

KEY = "sk-" + "Zq3w" * 6


def test_an_unknown_query_parameter_is_named_and_nothing_is_stored(
        gateway: RunningGateway) -> None:
    with gateway.client() as client:
        refused = client.put("/v1/connectors/widgets", params={"dry_run": "true"},
                             json=widgets_spec())
    assert_error_shape(refused, 400, "BadRequest")
    error = refused.json()["error"]
    assert "'dry_run'" in error["message"] and "did you mean 'dryRun'" in error["message"]
    assert error["details"] == [{"parameter": "dry_run"}]
    assert connector_count(gateway.services) == (0, 0)


@pytest.mark.parametrize("path", ["/v1/connectors", "/v1/connections", "/v1/audit",
                                  "/v1/connectors/widgets", "/v1/connectors/widgets/versions"])
def test_every_resource_refuses_unknown_query_parameters(
        gateway: RunningGateway, path: str) -> None:
    with gateway.client() as client:
        assert client.put("/v1/connectors/widgets", json=widgets_spec()).status_code == 201
        refused = client.get(path, params={"colour": "red"})
        taken = client.get(path, params={"api-version": "2016-06-01"})
    assert_error_shape(refused, 400, "BadRequest")
    assert refused.json()["error"]["details"] == [{"parameter": "colour"}]
    assert taken.status_code == 200, taken.text


def test_a_misspelt_field_is_named_and_nothing_is_stored(
        gateway: RunningGateway, keyed: Upstream) -> None:
    with gateway.client() as client:
        refused = client.put("/v1/connections/demo", json={
            "connector": "keyed", "parameters": {"api_key": KEY}, "displayname": "Demo"})
        assert_error_shape(refused, 400, "BadRequest")
        error = refused.json()["error"]
        assert error["details"] == [{"pointer": "/displayname"}]
        assert "did you mean '/displayName'" in error["message"]
        assert_error_shape(client.get("/v1/connections/demo"), 404, "NotFound")
        assert client.put("/v1/connections/demo", json={
            "connector": "keyed", "parameters": {"api_key": KEY}}).status_code == 201
        patched = client.patch("/v1/connections/demo", json={"tag": {"a": "b"}})
        assert_error_shape(patched, 400, "BadRequest")
        assert patched.json()["error"]["details"] == [{"pointer": "/tag"}]
        assert client.get("/v1/connections/demo").json()["tags"] == {}


def test_a_token_needs_a_role_unless_its_principal_exists(gateway: RunningGateway) -> None:
    with gateway.client() as client:
        no_role = client.post("/v1/tokens", json={"principal": "bob"})
        misspelt = client.post("/v1/tokens", json={"principal": "bob", "rol": "reader"})
        assert_error_shape(no_role, 400, "BadRequest")
        assert no_role.json()["error"]["details"] == [{"pointer": "/role"}]
        assert_error_shape(misspelt, 400, "BadRequest")
        assert misspelt.json()["error"]["details"] == [{"pointer": "/rol"}]
        assert gateway.services.principals.get("bob") is None
        assert client.post("/v1/tokens", json={"principal": "bob",
                                               "role": "reader"}).status_code == 201
        another = client.post("/v1/tokens", json={"principal": "bob"})
        on_purpose = client.post("/v1/tokens", json={"principal": "svc", "role": None})
    assert on_purpose.status_code == 201
    svc = gateway.services.principals.get("svc")
    assert svc is not None and svc.roles == {}
    assert another.status_code == 201
    bob = gateway.services.principals.authenticate(another.json()["token"])
    assert bob is not None and bob.role_on("*") == "reader"


def test_lists_page_with_top_and_next_link(gateway: RunningGateway, keyed: Upstream) -> None:
    names = [f"conn-{n}" for n in range(5)]
    with gateway.client() as client:
        for name in names:
            assert client.put(f"/v1/connections/{name}", json={
                "connector": "keyed", "parameters": {"api_key": KEY}}).status_code == 201
        seen: list[str] = []
        url: str | None = "/v1/connections?top=2&api-version=1"
        pages = 0
        while url is not None:
            answer = client.get(url)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert len(body["value"]) <= 2
            seen += [c["name"] for c in body["value"]]
            url = body.get("nextLink")
            if url is not None:
                assert url.startswith(gateway.url) and "api-version=1" in url
            pages += 1
        assert (seen, pages) == (names, 3)
        everything = client.get("/v1/connections").json()
        assert "nextLink" not in everything
        assert [c["name"] for c in everything["value"]] == names
        connectors = client.get("/v1/connectors", params={"$top": "1"}).json()
        assert [c["id"] for c in connectors["value"]] == ["basic"]
        assert "nextLink" in connectors
        for bad in ({"top": "0"}, {"top": "1001"}, {"top": "x"}, {"$skiptoken": "%%%"}):
            assert_error_shape(client.get("/v1/connections", params=bad), 400, "BadRequest")
