"""Fixtures for OAuth tests: the test authorization server on loopback, and connectors
that sign in with it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from gateway.app import create_app
from gateway.services import Services
from gateway.settings import Settings
from importers import AuthScheme, ConnectionParameter, Connector, OAuthSetting, Operation
from tests.gateway.conftest import RunningGateway, make_settings
from tests.gateway.oauth.authserver import TestAuthorizationServer
from tests.support import web
from tests.support.servers import free_port, serve_in_thread

CLIENT_ID = "portway-test"
CLIENT_SECRET = "cs-" + "Zq8w" * 8
GATEWAY_CLIENT_ID = "portway-gateway"
GATEWAY_CLIENT_SECRET = "gw-" + "Xk3p" * 8


@pytest.fixture
def gateway_port() -> int:
    return free_port()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, gateway_port: int,
             authserver: AuthServer) -> Settings:
    """Settings whose OAuth redirect URL is the callback of the gateway under test, and
    whose gateway identity is a client of the test authorization server."""
    return make_settings(tmp_path, database_url, oauth={
        "redirect_url": f"http://127.0.0.1:{gateway_port}/v1/oauth/callback",
        "refresh_margin_seconds": 30.0,
        "gateway_client_id": GATEWAY_CLIENT_ID,
        "gateway_client_secret": GATEWAY_CLIENT_SECRET,
        "gateway_token_url": authserver.url + "/token"})


@pytest.fixture
def gateway(services: Services, gateway_port: int) -> Iterator[RunningGateway]:
    app = create_app(services=services, extensions=[])
    with serve_in_thread(app, port=gateway_port) as url:
        token_file = Path(services.settings.security.owner_token_file)
        yield RunningGateway(url=url, owner_token=token_file.read_text().strip(),
                             services=services)


@dataclass
class AuthServer:
    server: TestAuthorizationServer
    url: str


@pytest.fixture
def authserver(monkeypatch: pytest.MonkeyPatch) -> Iterator[AuthServer]:
    # authlib's server refuses plain http unless told this is a test.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    server = TestAuthorizationServer()
    with serve_in_thread(server.app()) as url:
        yield AuthServer(server, url)


@pytest.fixture
def oauth_setup(gateway: RunningGateway, authserver: AuthServer) -> AuthServer:
    """The auth server knows the gateway as a client; the connector ``oauthy`` exists."""
    authserver.server.add_client(CLIENT_ID, CLIENT_SECRET,
                                 gateway.services.settings.oauth.redirect_url)
    authserver.server.add_client(GATEWAY_CLIENT_ID, GATEWAY_CLIENT_SECRET, "https://unused")
    add_connector(gateway.services, oauth_connector(authserver.url))
    add_connector(gateway.services, oauth_connector(authserver.url, "machine",
                                                    flow="clientCredentials"))
    return authserver


def create_connection(gateway: RunningGateway, name: str = "mail",
                      connector: str = "oauthy", **parameters: str) -> httpx.Response:
    with gateway.client() as client:
        return client.put(f"/v1/connections/{name}", json={
            "connector": connector,
            "parameters": {"client_secret": CLIENT_SECRET, **parameters}})


def oauth_connector(base: str, connector_id: str = "oauthy",
                    flow: str = "authorizationCode", test_operation: bool = True) -> Connector:
    """A connector whose upstream is the auth server's protected resource."""
    oauth = OAuthSetting(flow=flow, authorization_url=f"{base}/authorize",  # type: ignore[arg-type]
                         token_url=f"{base}/token", scopes=["read"], client_id=CLIENT_ID)
    return Connector(
        id=connector_id, source_format="openapi3.0", base_url=f"{base}/api",
        auth=[AuthScheme(name="oauth", kind="oauth2", oauth=oauth, parameters=["token"])],
        connection_parameters=[ConnectionParameter(name="token", type="oauthSetting",
                                                   required=True, oauth=oauth)],
        operations=[Operation(operation_id="GetMe", method="GET", path="/me"),
                    Operation(operation_id="ListItems", method="GET", path="/items")],
        capabilities={"testConnection": {"operationId": "GetMe"}} if test_operation else {},
    )


def add_connector(services: Services, connector: Connector) -> None:
    services.connectors.save(connector, source="tests")


def consent(gateway: RunningGateway, name: str, token: str | None = None) -> httpx.Response:
    """Run the whole consent: ask for the link, follow it, land on the callback."""
    with gateway.client(token) as client:
        link = client.post(f"/v1/connections/{name}/consent")
        assert link.status_code == 200, link.text
        authorize = web.get(link.json()["authorizeUrl"], follow_redirects=False)
        assert authorize.status_code == 302, authorize.text
        callback = authorize.headers["location"]
        assert callback.startswith(gateway.url + "/v1/oauth/callback?")
        return web.get(callback)


def callback_query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
