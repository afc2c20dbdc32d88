"""The authorization code flow with PKCE, end to end over HTTP."""

from __future__ import annotations

from gateway.oauth.tokens import load_tokens
from gateway.security.egress import EgressGuard
from tests.gateway.api.test_errors import assert_error_shape
from tests.gateway.conftest import RunningGateway
from tests.gateway.oauth.conftest import AuthServer, callback_query, consent, create_connection
from tests.support import web


def test_a_new_oauth_connection_waits_for_consent_then_calls_with_its_token(
        gateway: RunningGateway, oauth_setup: AuthServer) -> None:
    created = create_connection(gateway)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "Unauthenticated"
    assert "consent" in created.json()["statusReason"]
    with gateway.client() as client:
        refused = client.get("/apim/oauthy/mail/me")
    assert_error_shape(refused, 409, "ConnectionUnauthenticated")
    assert oauth_setup.server.resource_requests == []

    landed = consent(gateway, "mail")
    assert landed.status_code == 200, landed.text
    assert landed.json()["status"] == "Connected"
    with gateway.client() as client:
        assert client.get("/v1/connections/mail").json()["status"] == "Connected"
        answer = client.get("/apim/oauthy/mail/me")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"user": "alice", "client": "portway-test", "scope": "read",
                             "path": "me"}
    assert oauth_setup.server.grants_seen["authorization_code"] == 1


def test_pkce_is_sent_and_only_tokens_are_stored(gateway: RunningGateway,
                                                 oauth_setup: AuthServer) -> None:
    create_connection(gateway)
    with gateway.client() as client:
        link = client.post("/v1/connections/mail/consent").json()["authorizeUrl"]
    query = callback_query(link)
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == gateway.services.settings.oauth.redirect_url
    assert query["client_id"] == "portway-test"
    landed = web.get(web.get(link).headers["location"])
    assert landed.status_code == 200
    tokens = load_tokens(gateway.services.vault, "mail")
    assert tokens is not None
    issued = oauth_setup.server.tokens[0]
    assert tokens.access_token == issued.access_token
    assert tokens.refresh_token == issued.refresh_token
    assert tokens.scopes == ("read",)
    assert tokens.expires_at > 0
    # Only the sealed tokens and the client secret: no code, no verifier, no state.
    names = gateway.services.vault.names("connection", "mail")
    assert sorted(names) == ["client_secret", "oauth_tokens"]
    with gateway.services.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM oauth_states").scalar() == 0
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM secrets WHERE owner_kind = 'oauth-state'").scalar() == 0


def test_a_state_works_once(gateway: RunningGateway, oauth_setup: AuthServer) -> None:
    create_connection(gateway)
    with gateway.client() as client:
        link = client.post("/v1/connections/mail/consent").json()["authorizeUrl"]
    callback = web.get(link).headers["location"]
    assert web.get(callback).status_code == 200
    replay = web.get(callback)
    assert_error_shape(replay, 400, "InvalidOAuthState")
    assert oauth_setup.server.grants_seen["authorization_code"] == 1


def test_unknown_or_missing_state_is_refused(gateway: RunningGateway,
                                            oauth_setup: AuthServer) -> None:
    assert_error_shape(web.get(gateway.url + "/v1/oauth/callback?code=x&state=forged"),
                       400, "InvalidOAuthState")
    assert_error_shape(web.get(gateway.url + "/v1/oauth/callback?code=x"),
                       400, "InvalidOAuthState")
    with gateway.client() as client:
        failures = client.get("/v1/audit", params={"action": "connection.consent",
                                                   "outcome": "failed"}).json()["value"]
    assert len(failures) == 2


def test_the_state_is_bound_to_the_principal_who_asked(gateway: RunningGateway,
                                                       oauth_setup: AuthServer) -> None:
    create_connection(gateway)
    dana = gateway.token("dana", "contributor", scope="connections/mail")
    with gateway.client(dana) as client:
        link = client.post("/v1/connections/mail/consent").json()["authorizeUrl"]
    callback = web.get(link).headers["location"]
    # Dana loses the right to change the connection before the browser comes back.
    gateway.services.principals.revoke("dana", "connections/mail")
    refused = web.get(callback)
    assert_error_shape(refused, 400, "InvalidOAuthState")
    assert "dana" in refused.json()["error"]["message"]
    assert load_tokens(gateway.services.vault, "mail") is None
    with gateway.client() as client:
        failed = client.get("/v1/audit", params={"outcome": "failed"}).json()["value"]
    assert [e["action"] for e in failed] == ["connection.consent"]
    assert oauth_setup.server.grants_seen["authorization_code"] == 0


def test_a_tampered_state_row_does_not_open_its_verifier(gateway: RunningGateway,
                                                         oauth_setup: AuthServer) -> None:
    create_connection(gateway)
    create_connection(gateway, "other")
    with gateway.client() as client:
        link = client.post("/v1/connections/mail/consent").json()["authorizeUrl"]
    with gateway.services.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE oauth_states SET connection = 'other'")
    refused = web.get(web.get(link).headers["location"])
    assert_error_shape(refused, 400, "InvalidOAuthState")
    assert load_tokens(gateway.services.vault, "other") is None


def test_declined_consent_changes_nothing(gateway: RunningGateway,
                                          oauth_setup: AuthServer) -> None:
    create_connection(gateway)
    oauth_setup.server.deny_next = True
    landed = consent(gateway, "mail")
    assert_error_shape(landed, 400, "OAuthError")
    assert "access_denied" in landed.json()["error"]["message"]
    with gateway.client() as client:
        assert client.get("/v1/connections/mail").json()["status"] == "Unauthenticated"


def test_consent_needs_an_oauth_connection_and_a_contributor(
        gateway: RunningGateway, oauth_setup: AuthServer) -> None:
    create_connection(gateway)
    reader = gateway.token("rita", "reader")
    with gateway.client(reader) as client:
        assert_error_shape(client.post("/v1/connections/mail/consent"), 403, "Forbidden")


def test_a_plain_http_consent_link_needs_an_allowed_host(gateway: RunningGateway,
                                                        oauth_setup: AuthServer) -> None:
    create_connection(gateway)
    gateway.services.egress = EgressGuard(())  # the test server's http host is not allowed
    with gateway.client() as client:
        refused = client.post("/v1/connections/mail/consent")
    assert_error_shape(refused, 403, "EgressDenied")
    gateway.services.egress = EgressGuard(("127.0.0.1/32",))
    with gateway.client() as client:
        assert client.post("/v1/connections/mail/consent").status_code == 200


def test_replacing_a_connection_with_new_tags_keeps_its_consent(
        gateway: RunningGateway, oauth_setup: AuthServer) -> None:
    create_connection(gateway)
    assert consent(gateway, "mail").status_code == 200
    before = load_tokens(gateway.services.vault, "mail")
    with gateway.client() as client:
        replaced = client.put("/v1/connections/mail", json={
            "connector": "oauthy", "tags": {"env": "prod"},
            "parameters": {"client_secret": "cs-" + "Zq8w" * 8}})
        assert replaced.status_code == 200
        assert replaced.json()["status"] == "Connected"
        assert client.get("/apim/oauthy/mail/me").status_code == 200
        # Signing in another way is a new connection: consent again.
        other = client.put("/v1/connections/mail", json={
            "connector": "oauthy", "parameters": {"client_secret": "cs-" + "Zq8w" * 8,
                                                  "scopes": "read write"}})
    assert load_tokens(gateway.services.vault, "mail") is None
    assert other.json()["status"] == "Unauthenticated"
    assert before is not None


def test_the_egress_guard_covers_the_token_endpoint(gateway: RunningGateway,
                                                    oauth_setup: AuthServer) -> None:
    create_connection(gateway)
    with gateway.client() as client:
        link = client.post("/v1/connections/mail/consent").json()["authorizeUrl"]
    callback = web.get(link).headers["location"]
    gateway.services.egress = EgressGuard(())  # loopback no longer allowed
    landed = web.get(callback)
    assert_error_shape(landed, 403, "EgressDenied")
    assert oauth_setup.server.grants_seen["authorization_code"] == 0
    assert load_tokens(gateway.services.vault, "mail") is None
    with gateway.client() as client:
        failed = client.get("/v1/audit", params={"outcome": "failed"}).json()["value"]
    assert [e["action"] for e in failed] == ["connection.consent"]
