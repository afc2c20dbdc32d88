from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway import Services
from gateway.services import build_services
from tests.gateway.conftest import make_settings
from tests.support.databases import create_database, drop_database


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    built = build_services(make_settings(tmp_path, database_url))
    yield built
    built.db.dispose()


@pytest.fixture
def sqlite_services(services: Services) -> Services:
    """The engine's parts on SQLite (on both backends in modules marked so)."""
    return services


@contextlib.contextmanager
def services_for(tmp_path: Path, server_url: str) -> Iterator[Services]:
    """Services on a fresh PostgreSQL database of the suite's server."""
    name = "t_" + uuid.uuid4().hex[:12]
    url = create_database(server_url, name)
    built = build_services(make_settings(tmp_path, url))
    try:
        yield built
    finally:
        built.db.dispose()
        drop_database(server_url, name)
