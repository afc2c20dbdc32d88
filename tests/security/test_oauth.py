"""OAuth through the real ``portway serve`` (issue 13, items 7 and 9).

Only http(s) URLs are taken for OAuth endpoints (a ``javascript:`` or ``data:``
authorization URL is refused at import, and a plain-http consent link only goes to an
allowed host); a consent state completes only for the connection it was issued for, not
for one made again under the same name with another client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.gateway.oauth.conftest import CLIENT_ID, CLIENT_SECRET, AuthServer
from tests.gateway.oauth.conftest import authserver as authserver
from tests.security.conftest import Served
from tests.support.servers import free_port, portway_process


def oauth_spec(authorization_url: str, token_url: str, api: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3", "info": {"title": "Mailbox", "version": "1.0"},
        "servers": [{"url": api}],
        "components": {"securitySchemes": {"oauth": {"type": "oauth2", "flows": {
            "authorizationCode": {"authorizationUrl": authorization_url,
                                  "tokenUrl": token_url, "scopes": {"read": "read"}}}}}},
        "security": [{"oauth": ["read"]}],
        "paths": {"/me": {"get": {"operationId": "GetMe",
                                  "responses": {"200": {"description": "me"}}}}},
    }


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)",
                                 "data:text/html,<script>alert(1)</script>",
                                 "file:///etc/passwd", "https://", "vbscript:msgbox"])
def test_an_authorization_url_that_is_not_http_is_refused_at_import(served: Served,
                                                                    url: str) -> None:
    answer = served.put_connector("evil", oauth_spec(url, "https://login.example.com/token",
                                                     "https://api.example.com"))
    assert answer.status_code == 422, answer.text
    details = answer.json()["error"]["details"]
    assert [d["rule"] for d in details if d["severity"] == "error"] == ["unsafe-url"]
    with served.client() as owner:
        assert owner.get("/v1/connectors/evil").status_code == 404


def test_a_plain_http_consent_link_goes_only_to_an_allowed_host(served: Served) -> None:
    spec = oauth_spec("http://login.example.com/authorize", "https://login.example.com/token",
                      "https://api.example.com")
    assert served.put_connector("plain", spec).status_code == 201
    with served.client() as owner:
        made = owner.put("/v1/connections/plainmail", json={
            "connector": "plain", "parameters": {"client_id": "c", "client_secret": "s3cr3t!"}})
        assert made.status_code == 201, made.text
        refused = owner.post("/v1/connections/plainmail/consent")
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "EgressDenied"
    assert "authorizeUrl" not in refused.text


@pytest.fixture
def oauth_served(tmp_path: Path, authserver: AuthServer) -> Iterator[tuple[Served, AuthServer]]:
    port = free_port()
    callback = f"http://127.0.0.1:{port}/v1/oauth/callback"
    authserver.server.add_client(CLIENT_ID, CLIENT_SECRET, callback)
    authserver.server.add_client("another-client", "another-secret-0123", callback)
    env = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32", "PORTWAY_OAUTH_REDIRECT_URL": callback}
    with portway_process(tmp_path, env=env, port=port) as (url, _process):
        owner = (tmp_path / "var" / "owner.token").read_text().strip()
        served = Served(url, tmp_path, owner, upstream=None)  # type: ignore[arg-type]
        spec = oauth_spec(authserver.url + "/authorize", authserver.url + "/token",
                          authserver.url + "/api")
        assert served.put_connector("mailbox", spec).status_code == 201
        yield served, authserver


def test_a_consent_state_does_not_complete_for_a_connection_made_again(
        oauth_served: tuple[Served, AuthServer]) -> None:
    served, authserver = oauth_served
    with served.client() as owner:
        assert owner.put("/v1/connections/mail", json={"connector": "mailbox", "parameters": {
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}}).status_code == 201
        link = owner.post("/v1/connections/mail/consent").json()["authorizeUrl"]
        callback = httpx.get(link).headers["location"]  # the user consented...
        # ...while the connection was deleted and made again with another client.
        assert owner.delete("/v1/connections/mail").status_code == 204
        assert owner.put("/v1/connections/mail", json={"connector": "mailbox", "parameters": {
            "client_id": "another-client", "client_secret": "another-secret-0123"}}
        ).status_code == 201
        refused = httpx.get(callback)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["code"] == "InvalidOAuthState"
        after = owner.get("/v1/connections/mail").json()
    assert after["status"] == "Unauthenticated"
    assert "oauth_tokens" not in after["secretParameters"]
    assert authserver.server.grants_seen["authorization_code"] == 0


def test_a_consent_state_does_not_complete_after_the_client_changed(
        oauth_served: tuple[Served, AuthServer]) -> None:
    served, authserver = oauth_served
    with served.client() as owner:
        assert owner.put("/v1/connections/mail2", json={"connector": "mailbox", "parameters": {
            "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}}).status_code == 201
        link = owner.post("/v1/connections/mail2/consent").json()["authorizeUrl"]
        callback = httpx.get(link).headers["location"]
        assert owner.put("/v1/connections/mail2", json={"connector": "mailbox", "parameters": {
            "client_id": "another-client", "client_secret": "another-secret-0123"}}
        ).status_code == 200
        refused = httpx.get(callback)
    assert refused.status_code == 400, refused.text
    assert json.loads(refused.text)["error"]["code"] == "InvalidOAuthState"
    assert authserver.server.grants_seen["authorization_code"] == 0
