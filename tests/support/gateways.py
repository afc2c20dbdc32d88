"""A running gateway (no extensions) over a test's services, with one connector imported
and one connection made through its HTTP API, for tests that call through a connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from gateway.app import create_app
from gateway.services import Services
from tests.support.servers import serve_in_thread


@contextmanager
def gateway_with_connection(services: Services, connector: str, spec: dict[str, Any],
                            connection: str, parameters: dict[str, Any]
                            ) -> Iterator[httpx.Client]:
    """Yields an owner's client of the gateway once ``connection`` of ``connector`` exists."""
    with serve_in_thread(create_app(services=services, extensions=[])) as url:
        token = Path(services.settings.security.owner_token_file).read_text().strip()
        with httpx.Client(base_url=url, timeout=30,
                          headers={"authorization": f"Bearer {token}"}) as owner:
            put = owner.put(f"/v1/connectors/{connector}", json=spec)
            assert put.status_code in (200, 201), put.text
            made = owner.put(f"/v1/connections/{connection}", json={
                "connector": connector, "parameters": parameters})
            assert made.status_code == 201, made.text
            yield owner
