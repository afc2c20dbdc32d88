"""What the built-in connectors' tests share: the test's services (which may reach
loopback, and whose SQL connector may open SQLite files in the test's folder), and for the
SQL connector a user's database (on PostgreSQL a database of its own on the suite's
server, never Portway's store; on SQLite a file of its own); and for the catalogue's tests
the runtime API's running gateway (``runtime_gateway``, ``client``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from gateway import Services
from gateway.services import build_services
from runtime.builtins.sql import SqlProvider
from tests.gateway.conftest import make_settings
from tests.runtime.api.conftest import client, runtime_gateway
from tests.support.databases import create_owned_database, drop_owned_database

__all__ = ["client", "execute", "runtime_gateway"]


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    built = build_services(make_settings(tmp_path, database_url,
                                         runtime={"sql_sqlite_roots": (str(tmp_path),)}))
    yield built
    built.db.dispose()


@pytest.fixture
def user_db(request: pytest.FixtureRequest, tmp_path: Path, database_url: str
            ) -> Iterator[str]:
    """The connection string of a database holding a ``customers`` table: on the store's
    backend, never the store itself (on PostgreSQL a database of its own on the store's
    server, owned by a plain role of its own, as the SQL connector requires there)."""
    if not database_url.startswith("postgresql"):
        yield from _with_customers(f"sqlite:///{tmp_path / 'customers.db'}")
        return
    server: str = request.getfixturevalue("postgres_server_url")
    name = "u_" + uuid.uuid4().hex[:12]
    try:
        yield from _with_customers(create_owned_database(server, name))
    finally:
        drop_owned_database(server, name)


def _with_customers(url: str) -> Iterator[str]:
    serial = "SERIAL PRIMARY KEY" if url.startswith("postgresql") \
        else "INTEGER PRIMARY KEY AUTOINCREMENT"
    execute(url, f"CREATE TABLE customers (id {serial}, name TEXT NOT NULL, email TEXT, "
                 "city TEXT, updated_at INTEGER)")
    yield url


@pytest.fixture
def provider() -> Iterator[SqlProvider]:
    built = SqlProvider()
    yield built
    built.engines.dispose()


def execute(url: str, statement: str, **binds: object) -> list[dict[str, object]]:
    """Run a statement on the user's database as another client would."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), binds)
            return [dict(r._mapping) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()
