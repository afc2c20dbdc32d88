"""Refreshing tokens: before expiry, once for many concurrent calls (in one process and
across two), keeping the refresh token, and failing fast after invalid_grant."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gateway.app import create_app
from gateway.oauth.tokens import load_tokens
from gateway.services import build_services
from tests.gateway.api.test_errors import assert_error_shape
from tests.gateway.conftest import RunningGateway
from tests.gateway.oauth.conftest import AuthServer, consent, create_connection
from tests.support import web
from tests.support.servers import serve_in_thread


def _connected(gateway: RunningGateway, server: AuthServer, name: str = "mail",
               expires_in: int = 3600) -> None:
    server.server.expires_in = expires_in
    assert create_connection(gateway, name).status_code == 201
    assert consent(gateway, name).status_code == 200
    server.server.expires_in = 3600


def _connected_with_an_expired_token(gateway: RunningGateway, server: AuthServer) -> None:
    """Consent, then let the access token expire (for the gateway and the server)."""
    _connected(gateway, server, expires_in=1)
    server.server.expire_access_tokens()
    time.sleep(0.6)  # past half its life, the gateway too counts it due for a refresh


def _call_many(url: str, token: str, path: str, count: int) -> list[int]:
    def one(_: int) -> int:
        return web.get(url + path, headers={"authorization": f"Bearer {token}"},
                         timeout=60).status_code
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_twenty_concurrent_calls_on_an_expired_token_refresh_once(
        gateway: RunningGateway, oauth_setup: AuthServer) -> None:
    server = oauth_setup.server
    _connected_with_an_expired_token(gateway, oauth_setup)
    server.refresh_delay = 0.3  # keep the refresh in flight while the others arrive
    statuses = _call_many(gateway.url, gateway.owner_token, "/apim/oauthy/mail/me", 20)
    assert statuses == [200] * 20
    assert server.grants_seen["refresh_token"] == 1
    tokens = load_tokens(gateway.services.vault, "mail")
    assert tokens is not None
    assert tokens.access_token == server.tokens[-1].access_token


@pytest.mark.both_backends  # only the database lease keeps two processes apart
def test_two_gateway_processes_share_one_refresh(
        gateway: RunningGateway, oauth_setup: AuthServer, tmp_path: Path) -> None:
    server = oauth_setup.server
    _connected_with_an_expired_token(gateway, oauth_setup)
    # A second gateway on the same database, with its own caches, locks and keyring
    # file copy: only the database lease can keep the two from refreshing twice.
    second_services = build_services(gateway.services.settings)
    try:
        with serve_in_thread(create_app(services=second_services, extensions=[])) as other:
            server.refresh_delay = 0.5
            with ThreadPoolExecutor(max_workers=2) as pool:
                first = pool.submit(_call_many, gateway.url, gateway.owner_token,
                                    "/apim/oauthy/mail/me", 10)
                second = pool.submit(_call_many, other, gateway.owner_token,
                                     "/apim/oauthy/mail/items", 10)
                statuses = first.result() + second.result()
    finally:
        second_services.db.dispose()
    assert statuses == [200] * 20
    assert server.grants_seen["refresh_token"] == 1


def test_a_token_is_refreshed_before_it_expires(gateway: RunningGateway,
                                                oauth_setup: AuthServer) -> None:
    server = oauth_setup.server
    # A 2 s token against the 30 s margin of these tests: the margin shrinks to half
    # the token's life, so it is refreshed after 1 s, while it is still valid.
    _connected(gateway, oauth_setup, expires_in=2)
    time.sleep(1.1)
    with gateway.client() as client:
        assert client.get("/apim/oauthy/mail/me").status_code == 200
        assert client.get("/apim/oauthy/mail/me").status_code == 200
    assert server.grants_seen["refresh_token"] == 1
    first_token = server.tokens[0]
    assert not first_token.is_expired()  # it was still valid: refreshed ahead of time
    assert server.resource_requests[-1]["authorization"] == (
        "Bearer " + server.tokens[-1].access_token)


def test_a_token_shorter_lived_than_the_margin_is_not_refreshed_on_every_call(
        gateway: RunningGateway, oauth_setup: AuthServer) -> None:
    server = oauth_setup.server
    _connected(gateway, oauth_setup, expires_in=20)  # under the 30 s margin
    statuses = _call_many(gateway.url, gateway.owner_token, "/apim/oauthy/mail/me", 20)
    assert statuses == [200] * 20
    assert server.grants_seen["refresh_token"] == 0  # fresh for the first half of its life


def test_twenty_concurrent_calls_refresh_a_short_lived_token_once(
        gateway: RunningGateway, oauth_setup: AuthServer) -> None:
    server = oauth_setup.server
    _connected(gateway, oauth_setup, expires_in=2)
    time.sleep(1.1)  # past half its life: due for a refresh
    server.expires_in = 2  # and the new token is as short-lived
    server.refresh_delay = 0.3
    statuses = _call_many(gateway.url, gateway.owner_token, "/apim/oauthy/mail/me", 20)
    assert statuses == [200] * 20
    assert server.grants_seen["refresh_token"] == 1


def test_a_refresh_without_a_refresh_token_keeps_the_old_one(
        gateway: RunningGateway, oauth_setup: AuthServer) -> None:
    _connected_with_an_expired_token(gateway, oauth_setup)
    before = load_tokens(gateway.services.vault, "mail")
    assert before is not None
    with gateway.client() as client:
        assert client.get("/apim/oauthy/mail/me").status_code == 200
    after = load_tokens(gateway.services.vault, "mail")
    assert after is not None
    assert after.access_token != before.access_token
    assert after.refresh_token == before.refresh_token


def test_a_rotated_refresh_token_replaces_the_old_one(
        gateway: RunningGateway, oauth_setup: AuthServer) -> None:
    server = oauth_setup.server
    server.rotate_refresh_tokens = True
    _connected_with_an_expired_token(gateway, oauth_setup)
    before = load_tokens(gateway.services.vault, "mail")
    with gateway.client() as client:
        server.expires_in = 1
        assert client.get("/apim/oauthy/mail/me").status_code == 200
        server.expires_in = 3600
        server.expire_access_tokens()
        time.sleep(0.6)  # past half the 1 s token's life
        assert client.get("/apim/oauthy/mail/me").status_code == 200
    after = load_tokens(gateway.services.vault, "mail")
    assert before is not None and after is not None
    assert after.refresh_token not in ("", before.refresh_token)
    assert server.grants_seen["refresh_token"] == 2


def test_invalid_grant_marks_the_connection_and_calls_fail_fast(
        gateway: RunningGateway, oauth_setup: AuthServer) -> None:
    server = oauth_setup.server
    _connected_with_an_expired_token(gateway, oauth_setup)
    tokens = load_tokens(gateway.services.vault, "mail")
    assert tokens is not None
    # The user revokes the grant at the provider (RFC 7009 revocation).
    revoked = web.post(oauth_setup.url + "/revoke", data={"token": tokens.refresh_token},
                         auth=("portway-test", server.clients["portway-test"].client_secret))
    assert revoked.status_code == 200
    with gateway.client() as client:
        first = client.get("/apim/oauthy/mail/me")
        assert_error_shape(first, 409, "ConnectionUnauthenticated")
        assert "consent again" in first.json()["error"]["message"]
        assert "invalid_grant" in first.json()["error"]["message"]
        record = client.get("/v1/connections/mail").json()
        again = [client.get("/apim/oauthy/mail/me") for _ in range(3)]
        audit = client.get("/v1/audit", params={"action": "connection.refresh"}).json()
    assert record["status"] == "Unauthenticated"
    assert "POST /v1/connections/mail/consent" in record["statusReason"]
    assert [r.status_code for r in again] == [409, 409, 409]
    assert server.grants_seen["refresh_token"] == 1  # no retry against the server
    assert [e["outcome"] for e in audit["value"]] == ["failed"]
    assert audit["value"][0]["details"]["reason"] == "invalid_grant"
    assert server.resource_requests == []  # every call failed before the upstream

    # A new consent mends it.
    assert consent(gateway, "mail").status_code == 200
    with gateway.client() as client:
        assert client.get("/apim/oauthy/mail/me").status_code == 200
