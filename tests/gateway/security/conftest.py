"""Fixtures for access and secrets tests: a real upstream and connectors pointing at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway.conftest import RunningGateway
from tests.gateway.security.upstream import (
    Upstream,
    basic_connector,
    key_connector,
    serve_upstream,
)


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with serve_upstream() as running:
        yield running


@pytest.fixture
def keyed(gateway: RunningGateway, upstream: Upstream) -> Upstream:
    """The connectors ``keyed`` (API key) and ``basic`` exist; the upstream is empty."""
    gateway.services.connectors.save(key_connector(upstream.url), source="tests")
    gateway.services.connectors.save(basic_connector(upstream.url), source="tests")
    return upstream
