"""PostgreSQL connections on Portway's store's server, as the runtime calls the SQL
connector: the store is recognised by what its server says about itself, through any
route (another port in front of it, a Unix socket on the store's side, a host name), and a
role that reaches past its database — on every server, or on the store's — is refused
before any statement of the workflow's runs."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from gateway import PortwayError, Services
from gateway.services import build_services
from runtime.builtins.sql import SqlProvider
from runtime.builtins.sql.session_guard import ServerIdentity
from tests.gateway.conftest import make_settings
from tests.runtime.builtins.conftest import execute
from tests.runtime.builtins.sql_serve import owners
from tests.runtime.builtins.support import invoke, poll, refused
from tests.support.databases import (
    as_superuser,
    create_owned_database,
    drop_owned_database,
    postgres_server,
)
from tests.support.forwarder import tcp_forwarder

OWNER_ROW = {"principal": "mallory", "scope": "*", "role": "owner"}


@pytest.fixture
def store_url(postgres_server_url: str) -> Iterator[str]:
    """A store owned by a plain role of its own, as a production store would be."""
    name = "s_" + uuid.uuid4().hex[:12]
    url = create_owned_database(postgres_server_url, name)
    yield url
    drop_owned_database(postgres_server_url, name)


@pytest.fixture
def store(tmp_path: Path, store_url: str) -> Iterator[Services]:
    built = build_services(make_settings(tmp_path, store_url), migrate=True)
    yield built
    built.db.dispose()


@pytest.fixture
def workflow_db(postgres_server_url: str) -> Iterator[str]:
    """Another database on the store's server, owned by a plain role of its own, with a
    table in it."""
    name = "w_" + uuid.uuid4().hex[:12]
    url = create_owned_database(postgres_server_url, name)
    execute(url, "CREATE TABLE orders (id SERIAL PRIMARY KEY, item TEXT)")
    yield url
    as_superuser(postgres_server_url, f'DROP ROLE IF EXISTS "{name}_g"')
    drop_owned_database(postgres_server_url, name)


def as_admin(server: str, database: str, *statements: str) -> None:
    """Run statements as the server's superuser, in ``database``."""
    as_superuser(make_url(server).set(database=database).render_as_string(
        hide_password=False), *statements)


def tables(services: Services, provider: SqlProvider, connection_string: str) -> list[str]:
    found = invoke(services, provider, "getTables", {"connectionString": connection_string},
                   {})["body"]
    return [t["displayName"] for t in found]


#: What a superuser gives the workflow's role, statement by statement (``{role}``: the
#: role, ``{store_role}``: the store's; ``@store``: in the store's database, else in the
#: workflow's), and the refusal the connection then gets.
GRANTS = {
    "a superuser": (["ALTER ROLE {role} SUPERUSER"], "SqlRoleNotAllowed"),
    "a superuser by SET ROLE": (["CREATE ROLE {role}_g SUPERUSER NOLOGIN",
                                 "GRANT {role}_g TO {role}", "ALTER ROLE {role} NOINHERIT"],
                                "SqlRoleNotAllowed"),
    "CREATEROLE": (["ALTER ROLE {role} CREATEROLE"], "SqlRoleNotAllowed"),
    "pg_execute_server_program": (["GRANT pg_execute_server_program TO {role}"],
                                  "SqlRoleNotAllowed"),
    "pg_read_server_files through a group": ([
        "CREATE ROLE {role}_g NOLOGIN", "GRANT pg_read_server_files TO {role}_g",
        "GRANT {role}_g TO {role}"], "SqlRoleNotAllowed"),
    "pg_write_server_files": (["GRANT pg_write_server_files TO {role}"],
                              "SqlRoleNotAllowed"),
    "pg_signal_backend": (["GRANT pg_signal_backend TO {role}"], "SqlRoleNotAllowed"),
    "a member of the store's role": (["GRANT {store_role} TO {role}"], "SqlRoleNotAllowed"),
    "granted a store table": (["@store GRANT SELECT ON role_assignments TO {role}"],
                              "SqlRoleNotAllowed"),
    "in a group granted a store table": ([
        "CREATE ROLE {role}_g NOLOGIN", "GRANT {role}_g TO {role}",
        "@store GRANT SELECT ON workflows TO {role}_g"], "SqlRoleNotAllowed"),
    "in a group with the store's role": ([
        "CREATE ROLE {role}_g NOLOGIN", "GRANT {role}_g TO {role}",
        "GRANT {role}_g TO {store_role}"], "SqlRoleNotAllowed"),
    "a foreign server needing no password": ([
        "CREATE EXTENSION IF NOT EXISTS postgres_fdw",
        "CREATE SERVER {role}_store FOREIGN DATA WRAPPER postgres_fdw "
        "OPTIONS (host '127.0.0.1', port '{port}', dbname '{store_db}')",
        "GRANT USAGE ON FOREIGN SERVER {role}_store TO {role}",
        "CREATE USER MAPPING FOR {role} SERVER {role}_store "
        "OPTIONS (user 'postgres', password_required 'false')"], "SqlRoleNotAllowed"),
    "dblink_connect_u": (["CREATE EXTENSION IF NOT EXISTS dblink",
                          "GRANT EXECUTE ON FUNCTION dblink_connect_u(text) TO {role}"],
                         "SqlRoleNotAllowed"),
    "a plain role": ([], None),
    "a monitoring role": (["GRANT pg_monitor TO {role}"], None),
}


@pytest.mark.parametrize("case", list(GRANTS))
def test_a_role_that_reaches_past_its_database_on_the_stores_server_is_refused(
        store: Services, provider: SqlProvider, workflow_db: str, store_url: str,
        postgres_server_url: str, case: str, request: pytest.FixtureRequest) -> None:
    statements, code = GRANTS[case]
    url, at_store = make_url(workflow_db), make_url(store_url)
    names = {"role": url.username, "store_role": at_store.username,  # hex: no quoting
             "store_db": at_store.database, "port": url.port}
    for statement in statements:
        _, in_store, text = statement.rpartition("@store ")
        as_admin(postgres_server_url, str(at_store.database if in_store else url.database),
                 text.format(**names))
    if any("@store" in statement for statement in statements):  # before the roles go
        grouped = any("{role}_g" in statement for statement in statements)
        granted = f"{url.username}, {url.username}_g" if grouped else str(url.username)
        request.addfinalizer(lambda: as_admin(postgres_server_url, str(at_store.database),
                                              f"DROP OWNED BY {granted}"))
    before = owners(store_url)
    if code is None:
        assert tables(store, provider, workflow_db) == ["orders"]
        return
    error = refused(store, provider, workflow_db)
    assert (error.status_code, error.code) == (403, code)
    assert str(url.password) not in error.message
    assert str(at_store.username) not in error.message
    assert owners(store_url) == before


def test_a_superuser_on_another_database_reads_neither_files_nor_the_store(
        store: Services, provider: SqlProvider, workflow_db: str, store_url: str,
        postgres_server_url: str) -> None:
    url, store_db = make_url(workflow_db), make_url(store_url).database
    as_admin(postgres_server_url, str(url.database), "CREATE EXTENSION dblink",
             f"ALTER ROLE {url.username} SUPERUSER")
    before = owners(store_url)
    for query in [
        "SELECT pg_catalog.pg_read_file('PG_VERSION') AS version",  # the data directory
        f"SELECT n FROM dblink('dbname={store_db} user=postgres', 'INSERT INTO "
        "role_assignments (principal, scope, role) VALUES (''mallory'', ''*'', ''owner'') "
        "RETURNING 1') AS t(n integer)",
        "COPY (SELECT 1) TO PROGRAM 'true'",
    ]:
        error = refused(store, provider, workflow_db, "executeQuery", query=query)
        assert (error.status_code, error.code) == (403, "SqlRoleNotAllowed"), query
    assert owners(store_url) == before
    assert ("mallory", "*", "owner") not in before


@pytest.mark.parametrize("store_side", ["tcp", "unix socket"])
def test_the_store_behind_another_port_is_recognised_by_its_server(
        store: Services, provider: SqlProvider, workflow_db: str, store_url: str,
        postgres_server_url: str, store_side: str) -> None:
    """A forwarder stands in for a pooler or a second listen address; the store may be
    reached by Portway through its Unix socket."""
    store_db = make_url(store_url)
    if store_side == "unix socket":
        folder = str(execute(postgres_server_url, "SHOW unix_socket_directories")[0][
            "unix_socket_directories"])
        socket_url = store_db.set(host=None, port=None, query={"host": folder.split(",")[0]})
        store.settings = store.settings.replace(
            database={"url": socket_url.render_as_string(hide_password=False)})
    url = make_url(workflow_db)
    before = owners(store_url)
    with tcp_forwarder("127.0.0.1", int(url.port or 5432)) as port:
        mine = url.set(port=port).render_as_string(hide_password=False)
        assert tables(store, provider, mine) == ["orders"]  # the forwarder works
        for spelling in [
            url.set(port=port, database=store_db.database),
            url.set(host="localhost", port=port, database=store_db.database),
            f"Server=tcp:127.0.0.1,{port};Initial Catalog={store_db.database};"
            f"User Id={url.username};Password={url.password}",
            store_db.set(port=port),  # the store's own credentials
            url.set(port=port, database=store_db.database,  # the options a URL may carry
                    query={"sslmode": "disable", "application_name": "portway"}),
        ]:
            text = spelling if isinstance(spelling, str) else spelling.render_as_string(
                hide_password=False)
            error = refused(store, provider, text, "insertRow",
                            tableName="role_assignments", setColumns=OWNER_ROW)
            assert (error.status_code, error.code) == (403, "StoreDatabaseNotAllowed"), text
            assert str(url.password) not in error.message
            assert str(store_db.password) not in error.message
    assert owners(store_url) == before


def test_without_the_clusters_identifier_the_servers_start_tells(
        store: Services, provider: SqlProvider, workflow_db: str, store_url: str,
        postgres_server_url: str) -> None:
    """``pg_control_system()`` revoked from PUBLIC (in both databases, so neither the store
    nor the workflow's role may read the identifier): the start time still matches."""
    url, store_db = make_url(workflow_db), make_url(store_url)
    revoke = "REVOKE EXECUTE ON FUNCTION pg_catalog.pg_control_system() FROM PUBLIC"
    as_admin(postgres_server_url, str(store_db.database), revoke)
    as_admin(postgres_server_url, str(url.database), revoke,
             f"GRANT {store_db.username} TO {url.username}")
    with tcp_forwarder("127.0.0.1", int(url.port or 5432)) as port:
        error = refused(store, provider, url.set(port=port, database=store_db.database)
                        .render_as_string(hide_password=False))
        assert error.code == "StoreDatabaseNotAllowed", error.message
        error = refused(store, provider, url.set(port=port).render_as_string(
            hide_password=False))
        assert error.code == "SqlRoleNotAllowed"


def test_a_role_made_powerful_later_is_refused_on_its_next_connection(
        store: Services, provider: SqlProvider, workflow_db: str,
        postgres_server_url: str) -> None:
    """The check runs on every connection the pool opens, not once per engine."""
    url = make_url(workflow_db)
    assert tables(store, provider, workflow_db) == ["orders"]
    as_admin(postgres_server_url, "postgres", f"ALTER ROLE {url.username} SUPERUSER",
             f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             f"WHERE usename = '{url.username}'")
    error = refused(store, provider, workflow_db)
    assert (error.status_code, error.code) == (403, "SqlRoleNotAllowed")


def test_a_trigger_poll_is_vetted_as_an_action_is(
        store: Services, provider: SqlProvider, workflow_db: str,
        postgres_server_url: str) -> None:
    url = make_url(workflow_db)
    as_admin(postgres_server_url, "postgres", f"ALTER ROLE {url.username} SUPERUSER")
    with pytest.raises(PortwayError) as caught:
        poll(store, provider, "whenARowIsInserted", {"connectionString": workflow_db},
             {"tableName": "orders"}, {})
    assert (caught.value.status_code, caught.value.code) == (403, "SqlRoleNotAllowed")


def test_the_check_cannot_be_answered_by_the_roles_own_objects(
        store: Services, provider: SqlProvider, workflow_db: str, store_url: str,
        postgres_server_url: str) -> None:
    """A role whose search_path puts its own schema first, holding an ``=`` on oids that
    is never true and functions named as the server's: the check reads the server's."""
    url, store_role = make_url(workflow_db), make_url(store_url).username
    as_admin(postgres_server_url, str(url.database), f"GRANT {store_role} TO {url.username}",
             f"ALTER ROLE {url.username} SET search_path = public, pg_catalog")
    for statement in [
        "CREATE FUNCTION public.never(oid, oid) RETURNS boolean LANGUAGE sql "
        "AS 'SELECT false'",
        "CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = public.never)",
        "CREATE FUNCTION public.pg_postmaster_start_time() RETURNS timestamptz "
        "LANGUAGE sql AS 'SELECT now()'",
        "CREATE FUNCTION public.current_database() RETURNS name LANGUAGE sql "
        "AS 'SELECT ''elsewhere''::name'",
    ]:
        execute(workflow_db, statement)
    error = refused(store, provider, workflow_db)
    assert (error.status_code, error.code) == (403, "SqlRoleNotAllowed")


def test_on_another_server_only_the_rules_of_every_server_hold(
        store: Services, provider: SqlProvider, store_url: str) -> None:
    """A second cluster holding a database and a role named as the store's: that is the
    user's own (the store is recognised by its server, not its names); a superuser there
    is still refused."""
    name = str(make_url(store_url).database)
    with postgres_server() as other:
        url = create_owned_database(other, name)
        execute(url, "CREATE TABLE orders (id SERIAL PRIMARY KEY)")
        assert tables(store, provider, url) == ["orders"]
        as_superuser(other, f"ALTER ROLE {name} SUPERUSER")
        provider.engines.dispose()  # the next call opens a new connection
        error = refused(store, provider, url)
        assert (error.status_code, error.code) == (403, "SqlRoleNotAllowed")
        provider.engines.dispose()


@pytest.mark.parametrize(("mine", "theirs", "same"), [
    ((7, 1.0), (7, 2.0), True),  # one cluster's identifier: a replica, or a restart
    ((None, 1.0), (7, 1.0), True),  # one start, whoever could not read the identifier
    ((7, 1.0), (8, 2.0), False),
    ((None, 1.0), (None, 2.0), False),
])
def test_servers_are_the_same_by_their_identifier_or_their_start(
        mine: tuple[int | None, float], theirs: tuple[int | None, float], same: bool) -> None:
    def identity(system_id: int | None, started: float) -> ServerIdentity:
        return ServerIdentity("portway", datetime.fromtimestamp(started, UTC), system_id)

    assert identity(*mine).same_server(identity(*theirs)) is same


def test_rights_a_role_gains_after_its_connection_was_vetted_are_seen_once_it_is_renewed(
        tmp_path: Path, store_url: str, provider: SqlProvider, workflow_db: str,
        postgres_server_url: str) -> None:
    """A pooled connection is vetted when it opens; one ``sql_revet_seconds`` old is
    replaced, and the replacement vetted, so a role made superuser in between is refused
    from then on (with the 300 s default the pooled connection would serve on)."""
    services = build_services(make_settings(tmp_path, store_url,
                                            runtime={"sql_revet_seconds": 1.0}), migrate=True)
    try:
        assert tables(services, provider, workflow_db) == ["orders"]
        role = make_url(workflow_db).username
        as_admin(postgres_server_url, str(make_url(workflow_db).database),
                 f"ALTER ROLE {role} SUPERUSER")
        time.sleep(1.2)
        error = refused(services, provider, workflow_db)
        assert (error.status_code, error.code) == (403, "SqlRoleNotAllowed")
    finally:
        services.db.dispose()
