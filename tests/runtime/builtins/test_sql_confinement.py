"""Where a SQL connection may point, as the runtime calls the connector: SQLite files only
inside ``[runtime] sql_sqlite_roots``, never Portway's own store (under any name, on
either backend), and nothing reached from inside a SQLite connection (ATTACH, VACUUM
INTO, load_extension)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from gateway import Services
from runtime.builtins.sql import SqlProvider
from tests.runtime.builtins.conftest import execute
from tests.runtime.builtins.support import invoke, refused


def roots(services: Services, *folders: Path | str) -> Services:
    services.settings = services.settings.replace(
        runtime={"sql_sqlite_roots": tuple(str(f) for f in folders)})
    return services


def store_rows(services: Services) -> list[tuple[Any, ...]]:
    with services.db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT principal, scope, role FROM role_assignments ORDER BY 1, 2"))]


def test_sqlite_connections_are_refused_when_no_root_is_listed(
        services: Services, provider: SqlProvider, tmp_path: Path) -> None:
    execute(f"sqlite:///{tmp_path / 'customers.db'}", "CREATE TABLE t (x INTEGER)")
    roots(services)
    error = refused(services, provider, f"Data Source={tmp_path / 'customers.db'};"
                                        "Password=hunter2-secret")
    assert (error.status_code, error.code) == (403, "SqliteFileNotAllowed")
    assert "runtime.sql_sqlite_roots" in error.message
    assert "hunter2" not in error.message and "customers" not in error.message


def test_a_file_outside_the_roots_is_refused_also_through_a_link_or_dots(
        services: Services, provider: SqlProvider, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    execute(f"sqlite:///{outside / 'secret.db'}", "CREATE TABLE secret (x INTEGER)")
    execute(f"sqlite:///{allowed / 'mine.db'}", "CREATE TABLE mine (x INTEGER)")
    (allowed / "link.db").symlink_to(outside / "secret.db")
    (allowed / "folder").symlink_to(outside)
    roots(services, allowed)
    for text in (f"sqlite:///{outside / 'secret.db'}", f"sqlite:///{allowed / 'link.db'}",
                 f"sqlite:///{allowed / 'folder' / 'secret.db'}",
                 f"sqlite:///{allowed / '..' / 'outside' / 'secret.db'}",
                 f"Data Source={allowed}/../outside/secret.db"):
        assert refused(services, provider, text).code == "SqliteFileNotAllowed", text
    tables = invoke(services, provider, "getTables",
                    {"connectionString": f"sqlite:///{allowed / 'mine.db'}"}, {})["body"]
    assert [t["displayName"] for t in tables] == ["mine"]
    # Relative paths (and relative roots) are read from the server's working directory.
    monkeypatch.chdir(tmp_path)
    roots(services, "allowed")
    relative = invoke(services, provider, "getTables",
                      {"connectionString": "Data Source=allowed/mine.db"}, {})["body"]
    assert [t["displayName"] for t in relative] == ["mine"]
    assert refused(services, provider, "sqlite:///outside/secret.db").code == \
        "SqliteFileNotAllowed"


def test_the_store_is_refused_inside_a_root_under_every_name(
        services: Services, provider: SqlProvider, tmp_path: Path, database_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the store is a SQLite file on the SQLite backend")
    store = Path(make_url(database_url).database or "")
    assert store.parent == tmp_path  # the test's root holds the store
    (tmp_path / "link.db").symlink_to(store)
    os.link(store, tmp_path / "hard.db")
    with services.db.engine.connect() as conn:  # a -wal file beside the store
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    before = store_rows(services)
    monkeypatch.chdir(tmp_path)
    for text in (f"sqlite:///{store}", "sqlite:///portway.db", "Data Source=./portway.db",
                 f"sqlite:///{tmp_path / 'link.db'}", f"sqlite:///{tmp_path / 'hard.db'}",
                 f"sqlite:///{store}-wal", f"sqlite:///{store}-journal"):
        error = refused(services, provider, text, "insertRow", tableName="role_assignments",
                        setColumns={"principal": "mallory", "scope": "*", "role": "owner"})
        assert (error.status_code, error.code) == (403, "StoreDatabaseNotAllowed"), text
    assert store_rows(services) == before


@pytest.mark.parametrize("statement", [
    "ATTACH DATABASE '{store}' AS store",
    "ATTACH DATABASE 'file:{store}?mode=rw' AS store",
    "VACUUM INTO '{copy}'",
    "VACUUM main INTO '{copy}'",
    "DETACH DATABASE main",
    "SELECT load_extension('{copy}')",
    "PRAGMA temp_store_directory = '{tmp}'",
    "PRAGMA hard_heap_limit = 1",
    "PRAGMA soft_heap_limit = 1",
])
def test_a_sqlite_connection_reaches_no_other_file(
        services: Services, provider: SqlProvider, user_db: str, tmp_path: Path,
        database_url: str, statement: str) -> None:
    store = make_url(database_url).database
    copy = tmp_path / "copy.db"
    error = refused(services, provider, user_db, "executeQuery",
                    query=statement.format(store=store, copy=copy, tmp=tmp_path))
    assert (error.status_code, error.code) == (400, "SqlOperationNotSupported")
    assert "ATTACH" in error.message
    assert not copy.exists()
    # The connection still works for its own file afterwards.
    assert invoke(services, provider, "executeQuery", {"connectionString": user_db},
                  {"query": "SELECT count(*) AS n FROM customers"})["body"] == [[{"n": 0}]]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_store_database_on_postgresql_is_refused_by_any_spelling(
        services: Services, provider: SqlProvider, database_url: str, user_db: str) -> None:
    url = make_url(database_url)
    before = store_rows(services)
    spellings = [
        database_url,
        url.set(host="localhost").render_as_string(hide_password=False),
        f"Server=tcp:{url.host},{url.port};Initial Catalog={url.database};"
        f"User Id={url.username};Password={url.password}",
        f"Host=localhost;Port={url.port};Database={url.database};Username={url.username};"
        f"Password={url.password}",
    ]
    for text in spellings:
        error = refused(services, provider, text, "insertRow", tableName="role_assignments",
                        setColumns={"principal": "mallory", "scope": "*", "role": "owner"})
        assert (error.status_code, error.code) == (403, "StoreDatabaseNotAllowed"), text
        assert str(url.password) not in error.message
    assert store_rows(services) == before
    # Options that would override the vetted database, host or port, or read files.
    other = make_url(user_db).set(query={"dbname": url.database})
    error = refused(services, provider, other.render_as_string(hide_password=False))
    assert error.code == "SqlInvalidRequest"
    assert str(url.password) not in error.message
    # Another database on the same server is the user's own.
    tables = invoke(services, provider, "getTables", {"connectionString": user_db},
                    {})["body"]
    assert [t["displayName"] for t in tables] == ["customers"]
