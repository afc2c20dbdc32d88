"""End to end against the real ``portway serve`` in a subprocess:
upload an OAuth connector, create a connection, consent, call, test, audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gateway.oauth.conftest import CLIENT_ID, CLIENT_SECRET, AuthServer
from tests.support import web
from tests.support.servers import free_port, portway_process


def _spec(auth_url: str) -> dict[str, object]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Mailbox", "version": "1.0"},
        "servers": [{"url": auth_url + "/api"}],
        "x-ms-capabilities": {"testConnection": {"operationId": "GetMe"}},
        "components": {"securitySchemes": {"oauth": {"type": "oauth2", "flows": {
            "authorizationCode": {"authorizationUrl": auth_url + "/authorize",
                                  "tokenUrl": auth_url + "/token",
                                  "scopes": {"read": "read mail"}}}}}},
        "security": [{"oauth": ["read"]}],
        "paths": {"/me": {"get": {"operationId": "GetMe",
                                  "responses": {"200": {"description": "me"}}}}},
    }


@pytest.mark.slow
def test_consent_and_calls_through_portway_serve(tmp_path: Path, database_url: str,
                                                 authserver: AuthServer) -> None:
    port = free_port()
    callback = f"http://127.0.0.1:{port}/v1/oauth/callback"
    authserver.server.add_client(CLIENT_ID, CLIENT_SECRET, callback)
    env = {"PORTWAY_DATABASE_URL": database_url, "PORTWAY_EGRESS_ALLOW": "127.0.0.1/32",
           "PORTWAY_OAUTH_REDIRECT_URL": callback,
           "PORTWAY_CATALOGUE_DIRECTORY": str(tmp_path / "none")}
    with portway_process(tmp_path, env=env, port=port) as (url, _process):
        owner = (tmp_path / "var" / "owner.token").read_text().strip()
        client = web.Client(base_url=url, headers={"authorization": f"Bearer {owner}"},
                              timeout=30)
        with client:
            uploaded = client.put("/v1/connectors/mailbox", json=_spec(authserver.url))
            assert uploaded.status_code in (200, 201), uploaded.text
            created = client.put("/v1/connections/mail", json={
                "connector": "mailbox",
                "parameters": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}})
            assert created.status_code == 201, created.text
            assert created.json()["status"] == "Unauthenticated"
            link = client.post("/v1/connections/mail/consent").json()["authorizeUrl"]
            landed = web.get(web.get(link).headers["location"])
            assert landed.status_code == 200, landed.text
            answer = client.get("/apim/mailbox/mail/me")
            assert answer.status_code == 200, answer.text
            assert answer.json()["user"] == "alice"
            tested = client.post("/v1/connections/mail/test").json()
            assert tested["status"] == "Connected"
            assert tested["checkedWith"] == "operation GetMe"
            actions = [e["action"] for e in client.get("/v1/audit").json()["value"]]
    assert {"connection.create", "connection.consent", "connection.test"} <= set(actions)
    assert (tmp_path / "var" / "master.key").stat().st_mode & 0o777 == 0o600
