"""Fixtures for gateway tests: settings in a temporary folder, and a running gateway.

``gateway`` serves the real app with hypercorn on loopback (on SQLite, or each backend for
tests marked ``both_backends``) and hands back its URL, the owner's token and the services
behind it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.services import Services, build_services
from gateway.settings import Settings
from tests.gateway.security.upstream import (
    Upstream,
    basic_connector,
    key_connector,
    serve_upstream,
)
from tests.support import web
from tests.support.servers import serve_in_thread


def make_settings(tmp_path: Path, database_url: str, **sections: dict[str, object]) -> Settings:
    """Settings that keep every file under ``tmp_path`` and let tests reach loopback."""
    settings = Settings().replace(
        database={"url": database_url},
        security={"master_key_file": str(tmp_path / "master.key"),
                  "owner_token_file": str(tmp_path / "owner.token")},
        egress={"allow": ("127.0.0.1/32",)},
        catalogue={"directory": str(tmp_path / "no-catalogue")},
    )
    return settings.replace(**sections) if sections else settings


@dataclass
class RunningGateway:
    url: str
    owner_token: str
    services: Services

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"authorization": f"Bearer {token or self.owner_token}"}
        return web.Client(base_url=self.url, headers=headers, timeout=30)

    def token(self, principal: str, role: str | None, *, kind: str = "user",
              scope: str = "*") -> str:
        return self.services.principals.create_token(principal, role, kind=kind, scope=scope)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings)
    yield built
    built.db.dispose()


@pytest.fixture
def gateway(services: Services) -> Iterator[RunningGateway]:
    app = create_app(services=services, extensions=[])
    with serve_in_thread(app) as url:
        token_file = Path(services.settings.security.owner_token_file)
        yield RunningGateway(url=url, owner_token=token_file.read_text().strip(),
                             services=services)


@pytest.fixture(scope="module")
def _recording_upstream() -> Iterator[Upstream]:
    with serve_upstream() as running:
        yield running


@pytest.fixture
def upstream(_recording_upstream: Upstream) -> Upstream:
    """A real upstream on loopback that records what reaches it (folders may override).

    One server per module; what it saw is forgotten before each test.
    """
    _recording_upstream.seen.clear()
    return _recording_upstream


@pytest.fixture
def keyed(gateway: RunningGateway, upstream: Upstream) -> Upstream:
    """The connectors ``keyed`` (API key) and ``basic`` exist; the upstream is empty."""
    gateway.services.connectors.save(key_connector(upstream.url), source="tests")
    gateway.services.connectors.save(basic_connector(upstream.url), source="tests")
    return upstream
