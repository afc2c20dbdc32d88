"""Client credentials: a connection's own client, and the gateway identity."""

from __future__ import annotations

import time

import pytest

from gateway.oauth import tokens
from gateway.oauth.tokens import load_tokens
from tests.gateway.api.test_errors import assert_error_shape
from tests.gateway.conftest import RunningGateway
from tests.gateway.oauth.conftest import CLIENT_ID, CLIENT_SECRET, AuthServer


def test_a_connection_with_its_own_client_gets_and_reuses_a_token(
        gateway: RunningGateway, oauth_setup: AuthServer) -> None:
    with gateway.client() as client:
        created = client.put("/v1/connections/robot", json={
            "connector": "machine",
            "parameters": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}})
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "Connected"
        answers = [client.get("/apim/machine/robot/items") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json()["client"] == CLIENT_ID
    assert answers[0].json()["user"] is None
    assert oauth_setup.server.grants_seen == {"client_credentials": 1}
    tokens = load_tokens(gateway.services.vault, "robot")
    assert tokens is not None and tokens.refresh_token == ""


class _StoppedClock:
    """``time`` as the token module sees it: it stands still until the test moves it."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


def test_an_expired_client_token_is_fetched_again(gateway: RunningGateway,
                                                  oauth_setup: AuthServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # The token lives 60 s, so the refresh margin shrinks to half of that: fresh for 30 s
    # (less up to 1 s: the client rounds the expiry down). The gateway's clock stands
    # still but where the test moves it, so however slowly the calls go, the second is
    # 20 s in (fresh) and the third 35 s in (inside the margin).
    clock = _StoppedClock()
    monkeypatch.setattr(tokens, "time", clock)
    oauth_setup.server.expires_in = 60
    with gateway.client() as client:
        client.put("/v1/connections/robot", json={
            "connector": "machine",
            "parameters": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}})
        assert client.get("/apim/machine/robot/items").status_code == 200
        clock.now += 20
        assert client.get("/apim/machine/robot/items").status_code == 200
        assert oauth_setup.server.grants_seen["client_credentials"] == 1
        clock.now += 15
        assert client.get("/apim/machine/robot/items").status_code == 200
    assert oauth_setup.server.grants_seen["client_credentials"] == 2


def test_a_wrong_client_secret_is_a_token_endpoint_error(gateway: RunningGateway,
                                                         oauth_setup: AuthServer) -> None:
    with gateway.client() as client:
        client.put("/v1/connections/robot", json={
            "connector": "machine",
            "parameters": {"client_id": CLIENT_ID, "client_secret": "wrong-secret-value"}})
        answer = client.get("/apim/machine/robot/items")
        tested = client.post("/v1/connections/robot/test")
    assert_error_shape(answer, 502, "TokenEndpointError")
    assert "invalid_client" in answer.json()["error"]["message"]
    assert "wrong-secret-value" not in answer.text
    assert oauth_setup.server.resource_requests == []
    assert tested.json()["status"] in ("Error", "Unauthenticated")


def test_the_gateway_identity_needs_no_secret_of_the_connection(
        gateway: RunningGateway, oauth_setup: AuthServer) -> None:
    with gateway.client() as client:
        created = client.put("/v1/connections/managed", json={
            "connector": "oauthy", "parameters": {"authType": "gatewayIdentity"}})
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "Connected"
        assert created.json()["secretParameters"] == []
        answer = client.get("/apim/oauthy/managed/me")
    assert answer.status_code == 200, answer.text
    assert answer.json()["client"] == "portway-gateway"
    assert answer.json()["scope"] == "read"
    assert oauth_setup.server.grants_seen == {"client_credentials": 1}


def test_the_gateway_identity_must_be_configured(gateway: RunningGateway,
                                                 oauth_setup: AuthServer) -> None:
    gateway.services.settings = gateway.services.settings.replace(
        oauth={"gateway_client_id": ""})
    with gateway.client() as client:
        refused = client.put("/v1/connections/managed", json={
            "connector": "oauthy", "parameters": {"authType": "gatewayIdentity"}})
    assert_error_shape(refused, 400, "BadRequest")
    assert "oauth.gateway_client_id" in refused.json()["error"]["message"]
