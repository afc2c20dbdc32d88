"""Connection strings the SQL connector reads, and the ones it refuses: other databases,
hosts the egress guard forbids (where files may be and Portway's own store:
``test_sql_confinement.py``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway import EgressGuard, PortwayError, Services
from runtime.builtins.sql import SqlProvider
from runtime.builtins.sql.connection import parse_connection_string
from tests.runtime.builtins.support import invoke


@pytest.mark.parametrize(("text", "dialect", "where"), [
    ("sqlite:///customers.db", "sqlite", "customers.db"),
    ("Data Source=shop.sqlite3;", "sqlite", "shop.sqlite3"),
    ("postgresql://app:pw@db.example:6543/shop", "postgresql", "db.example:6543/shop"),
    ("Server=tcp:db.example,6543;Initial Catalog=shop;User Id=app;Password='p;w'",
     "postgresql", "db.example:6543/shop"),
    ("Host=db.example;Database=shop;Username=app;Password=pw;SSL Mode=Require",
     "postgresql", "db.example:5432/shop"),
])
def test_urls_and_ado_net_strings_are_read(text: str, dialect: str, where: str) -> None:
    database = parse_connection_string(text)
    assert database.dialect == dialect
    shown = database.url.render_as_string(hide_password=True)
    assert where in shown
    assert "pw" not in shown.replace("***", "")


@pytest.mark.parametrize("text", [
    "", "mysql://u:p@h/db", "postgresql://u:p@h/db?passfile=/etc/shadow",
    "postgresql://u:p@h/db?host=/tmp", "postgresql://u:p@h/db?port=1", "sqlite://",
    "sqlite:///:memory:", "Database=shop",
    "just words", "Server=h;Port=abc",
])
def test_what_is_not_sqlite_or_postgresql_is_refused(text: str) -> None:
    with pytest.raises(PortwayError) as caught:
        parse_connection_string(text)
    assert caught.value.code == "SqlInvalidRequest"


def test_a_loopback_database_needs_the_egress_allow_list(
        services: Services, postgres_server_url: str) -> None:
    provider = SqlProvider()
    connection = {"connectionString": postgres_server_url}
    with pytest.raises(PortwayError) as caught:  # outside a runtime call: the strict guard
        asyncio.run(provider.invoke("executeQuery", connection, {"query": "SELECT 1"}))
    assert caught.value.code == "EgressDenied"
    services.settings = services.settings.replace(egress={"allow": ()})
    services.egress = EgressGuard()
    with pytest.raises(PortwayError) as caught:
        invoke(services, provider, "executeQuery", connection, {"query": "SELECT 1"})
    assert caught.value.code == "EgressDenied"


def test_a_mistyped_sqlite_path_is_an_error_and_creates_no_file(
        services: Services, tmp_path: Path, provider: SqlProvider) -> None:
    missing = tmp_path / "custmers.db"
    with pytest.raises(PortwayError) as caught:
        invoke(services, provider, "getTables", {"connectionString": f"sqlite:///{missing}"},
               {})
    assert (caught.value.code, caught.value.retryable) == ("SqlOperationFailed", False)
    assert not missing.exists()
