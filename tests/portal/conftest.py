"""Fixtures for the portal's browser tests: one headless Chromium per session, one
gateway per module (with a loopback upstream and the suite's OAuth authorization
server), a fresh browser context per test, and screenshots for ``docs/portal.md``.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``scripts/ensure-services.sh``);
Playwright drives it but cannot download browsers of its own here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.services import Services, build_services
from tests.gateway.conftest import make_settings
from tests.gateway.oauth.authserver import TestAuthorizationServer
from tests.gateway.oauth.conftest import CLIENT_ID, CLIENT_SECRET, oauth_connector
from tests.gateway.security.upstream import Upstream, key_connector, serve_upstream
from tests.support.servers import free_port, serve_in_thread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
#: Set to write the screenshots docs/portal.md shows (``PORTWAY_SCREENSHOTS=1``).
SHOTS = ROOT / "docs" / "portal"


# Package scope: Playwright's sync API keeps an event loop running in the main thread
# while it is open, and tests outside tests/portal call asyncio.run().
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing (scripts/ensure-services.sh installs it)")
        pytest.skip(f"{CHROMIUM} is missing; run scripts/ensure-services.sh")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # launch() gives every run a fresh, temporary user-data dir of its own.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Portal:
    """A gateway serving the portal, and what the tests set up around it."""

    url: str
    services: Services
    owner_token: str
    upstream: Upstream
    authserver: TestAuthorizationServer
    authserver_url: str
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, principal: str, role: str | None, scope: str = "*") -> str:
        return self.services.principals.create_token(principal, role, scope=scope)


@pytest.fixture(scope="module")
def portal(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The gateway; a test module's ``EXTENSIONS`` plug in (none by default)."""
    extensions = getattr(request.module, "EXTENSIONS", [])
    tmp = tmp_path_factory.mktemp("portal")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the test server speaks plain http
    port = free_port()
    authserver = TestAuthorizationServer()
    with serve_in_thread(authserver.app()) as auth_url, serve_upstream() as upstream:
        settings = make_settings(tmp, f"sqlite:///{tmp / 'portway.db'}", oauth={
            "redirect_url": f"http://127.0.0.1:{port}/v1/oauth/callback"})
        services = build_services(settings)
        authserver.add_client(CLIENT_ID, CLIENT_SECRET, settings.oauth.redirect_url)
        services.connectors.save(oauth_connector(auth_url), source="tests")
        services.connectors.save(key_connector(upstream.url), source="tests")
        app = create_app(services=services, extensions=extensions)
        try:
            with serve_in_thread(app, port=port) as url:
                token = Path(settings.security.owner_token_file).read_text().strip()
                yield Portal(url=url, services=services, owner_token=token, upstream=upstream,
                             authserver=authserver, authserver_url=auth_url)
        finally:
            services.db.dispose()
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh context (no cookies) that fails the test on any script."""
    context = browser.new_context(java_script_enabled=True)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened.dialogs = dialogs
    yield opened
    context.close()


def sign_in(page: Any, portal: Portal, token: str | None = None) -> None:
    page.goto(portal.url + "/portal/sign-in")
    page.fill("#token", token or portal.owner_token)
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/catalogue")


def shot(page: Any, name: str) -> None:
    """Save a screenshot for docs/portal.md when ``PORTWAY_SCREENSHOTS`` is set."""
    if not os.environ.get("PORTWAY_SCREENSHOTS"):
        return
    SHOTS.mkdir(exist_ok=True)
    target = SHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=False)
    if shutil.which("pngquant"):
        subprocess.run(["pngquant", "--force", "--skip-if-larger", "--output", str(target),
                        str(target)], check=False)


def keyed_connection(portal: Portal, name: str, display_name: str = "",
                     policies: tuple[str, ...] = ()) -> None:
    """A connection of connector ``keyed`` (API key ``k-secret-<name>``), made in the store."""
    portal.services.connections.put(
        name=name, connector_id="keyed", display_name=display_name or name, tags={},
        parameters={}, secrets={"api_key": f"k-secret-{name}"}, status="Connected",
        status_reason="", created_by="tests")
    for principal in policies:
        portal.services.connections.grant_access(name, principal)
