"""What a PostgreSQL session of the SQL connector may be, vetted on every new connection
before any statement of the workflow's runs.

The store is recognised by what the servers say about themselves, never by the address a
connection string names: a pooler, a forwarder, a second listen address, a Unix socket or a
DNS name all end at a server, and that server tells its identity — the cluster's
``system_identifier`` (``pg_control_system()``, which replicas of the cluster share) where
the role may read it, and ``pg_postmaster_start_time()``, which every role may — and the
database the session is in (``current_database()``, the real name behind a pooler's alias).
Portway asks its own store the same, and compares.

Refused on every server (``SqlRoleNotAllowed``): a role that is, or through any chain of
memberships may become, a superuser, a ``CREATEROLE`` role (before PostgreSQL 16 it may grant
itself any role but a superuser) or a member of ``pg_execute_server_program``,
``pg_read_server_files`` or ``pg_write_server_files``: those run programs and read and
write files as the server's account on the server's machine, which may be Portway's own
(its SQLite store, its master key) or the store's, and a connection cannot tell which.

Refused on the store's server besides (a replica of it included): the store's database
(``StoreDatabaseNotAllowed``); a role that is, or may become, one that holds the store's
tables (the store's own role and its groups, the database's owner, the tables' owners and
grantees); a member of ``pg_signal_backend`` (it can end the store's sessions);
a role that may use a foreign server or ``dblink_connect_u`` (postgres_fdw and dblink
routes that need no password of the role's) (``SqlRoleNotAllowed``).

Every name is qualified with ``pg_catalog`` and the check runs with ``search_path`` set to
``pg_catalog`` alone, so a function or operator the role planted in its own schema (with
its own ``search_path`` put first) cannot answer instead of the server. Messages never
name the store's database or role, nor repeat a connection string.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import URL, make_url

from runtime.errors import SqlFailed, SqlRoleNotAllowed, StoreDatabaseNotAllowed

__all__ = ["ServerIdentity", "vet_session"]

#: Predefined roles that reach the server's machine: refused on every server.
SERVER_MACHINE_ROLES = frozenset({"pg_execute_server_program", "pg_read_server_files",
                                  "pg_write_server_files"})
#: Predefined roles that reach the other sessions of the server: refused on the store's.
STORE_SERVER_ROLES = frozenset({"pg_signal_backend"})

#: The database, the server's start, and whether the role may read the cluster's
#: identifier (a query naming ``pg_control_system()`` fails as a whole without the right,
#: whether or not it would call it, so the identifier is a second query).
_IDENTITY = (
    "pg_catalog.current_database()::text, pg_catalog.pg_postmaster_start_time(), "
    "pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')")
_SYSTEM_ID = "SELECT (pg_catalog.pg_control_system()).system_identifier"
#: What the workflow's session is: the server's identity, every role the session is or
#: may become (memberships followed whatever their INHERIT, SET or ADMIN options), and
#: whether it may use a foreign server or dblink without a password of its own.
_REACH = """
WITH RECURSIVE reach(oid) AS (
    SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname IN (SESSION_USER, CURRENT_USER)
  UNION
    SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN reach ON m.member = reach.oid
)"""
_SESSION = f"""{_REACH}
SELECT {_IDENTITY},
    ARRAY(SELECT r.rolname::text FROM pg_catalog.pg_roles r JOIN reach ON r.oid = reach.oid),
    EXISTS (SELECT 1 FROM pg_catalog.pg_roles r JOIN reach ON r.oid = reach.oid
            WHERE r.rolsuper),
    EXISTS (SELECT 1 FROM pg_catalog.pg_roles r JOIN reach ON r.oid = reach.oid
            WHERE r.rolcreaterole),
    EXISTS (SELECT 1 FROM pg_catalog.pg_foreign_server s
            WHERE pg_catalog.has_server_privilege(s.oid, 'USAGE'))
    OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc p WHERE p.proname = 'dblink_connect_u'
               AND pg_catalog.has_function_privilege(p.oid, 'EXECUTE'))
"""  # noqa: S608 (constants only)
#: What the store's own session is: the server's identity, and the roles that hold its
#: tables — its own role and the groups it is in, the database's owner, the owners of its
#: tables and those granted rights on them (PUBLIC and the predefined roles left out).
_STORE = f"""{_REACH}, tables AS (
    SELECT c.relowner, c.relacl FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
)
SELECT {_IDENTITY},
    ARRAY(SELECT r.rolname::text FROM pg_catalog.pg_roles r
          WHERE r.rolname NOT LIKE 'pg\\_%' AND r.oid IN (
              SELECT oid FROM reach
              UNION SELECT d.datdba FROM pg_catalog.pg_database d
                    WHERE d.datname = pg_catalog.current_database()
              UNION SELECT relowner FROM tables
              UNION SELECT (pg_catalog.aclexplode(relacl)).grantee FROM tables
                    WHERE relacl IS NOT NULL))
"""  # noqa: S608 (constants only)
_PINNED_PATH = "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)"


@dataclass(frozen=True)
class ServerIdentity:
    """Which server a session is on, and in which database, as the server says."""

    database: str
    started: datetime
    #: The cluster's ``system_identifier`` (None where the role may not read it).
    system_id: int | None

    def same_server(self, other: ServerIdentity) -> bool:
        """The same cluster (or a replica of it: the identifier is the cluster's)."""
        if self.system_id is not None and self.system_id == other.system_id:
            return True
        return self.started == other.started


@dataclass(frozen=True)
class _Session:
    identity: ServerIdentity
    roles: frozenset[str]
    superuser: bool
    createrole: bool
    foreign_servers: bool


@dataclass(frozen=True)
class _Store:
    identity: ServerIdentity
    #: The roles that hold the store's tables (``_STORE``): whoever is, or may become, one
    #: of them could reach the store back from another database (dblink with a password
    #: of its own).
    roles: frozenset[str]


def vet_session(connection: Any, store_url: str, timeout: float) -> None:
    """Refuse a new psycopg connection that is the store, or whose role reaches past its
    database (the module's rules); leaves no transaction open.

    Raises:
        StoreDatabaseNotAllowed, SqlRoleNotAllowed; SqlFailed when the server does not
        answer the check or the store's identity cannot be read.
    """
    session = _read_session(connection)
    store = _store_on(session.identity, store_url, timeout)
    if store is not None and session.identity.database == store.identity.database:
        raise StoreDatabaseNotAllowed("the connection reaches Portway's own database, which "
                                      "no workflow may open")
    if session.superuser:
        raise SqlRoleNotAllowed("the connection's role is, or may become, a PostgreSQL "
                                "superuser; give the workflow a role with the rights its "
                                "tables need")
    if session.createrole:
        raise SqlRoleNotAllowed("the connection's role may create roles (CREATEROLE); give "
                                "the workflow a role with the rights its tables need")
    _refuse_members(session, SERVER_MACHINE_ROLES,
                    "reaches the database server's files or programs")
    if store is None:
        return
    if session.roles & store.roles:
        raise SqlRoleNotAllowed("the connection's role is (or is a member of) the role of "
                                "Portway's own database, on the store's server")
    _refuse_members(session, STORE_SERVER_ROLES,
                    "reaches the store's sessions on the store's server")
    if session.foreign_servers:
        raise SqlRoleNotAllowed("the connection's role may use a foreign server or "
                                "dblink_connect_u on the store's server")


def _refuse_members(session: _Session, refused: frozenset[str], reaches: str) -> None:
    held = sorted(session.roles & refused)
    if held:
        raise SqlRoleNotAllowed(f"the connection's role is a member of {held[0]}, which "
                                f"{reaches}")


def _read_session(connection: Any) -> _Session:
    try:
        with connection.cursor() as cursor:
            cursor.execute(_PINNED_PATH)
            row = cursor.execute(_SESSION).fetchone()
            system_id = _system_id(cursor, row)
        connection.rollback()
    except Exception as exc:  # psycopg's errors: a server that is not PostgreSQL enough
        raise SqlFailed("the server did not say which server and role the connection is "
                        f"({_first_line(exc)}); Portway uses no connection it cannot "
                        "vet") from None
    if row is None:
        raise SqlFailed("the server did not say which server and role the connection is; "
                        "Portway uses no connection it cannot vet")
    database, started, _readable, roles, superuser, createrole, foreign = row
    return _Session(ServerIdentity(str(database), started, system_id),
                    frozenset(str(r) for r in roles or ()), bool(superuser),
                    bool(createrole), bool(foreign))


_known_stores: dict[str, _Store] = {}
_lock = threading.Lock()


def _store_on(server: ServerIdentity, store_url: str, timeout: float) -> _Store | None:
    """The store, if it is on ``server``'s cluster (None on another, or with a store that
    is not on PostgreSQL). Its identity is kept; unless both sides told their cluster's
    identifier (which a restart keeps), it is read again before a session is taken to be
    elsewhere (the store's server may have restarted since, with a new start time)."""
    url = _postgres_url(store_url)
    if url is None:
        return None
    with _lock:
        known = _known_stores.get(store_url)
    if known is not None and known.identity.same_server(server):
        return known
    if known is not None and None not in (known.identity.system_id, server.system_id):
        return None
    fresh = _read_store(url, timeout)
    with _lock:
        _known_stores[store_url] = fresh
    return fresh if fresh.identity.same_server(server) else None


def _postgres_url(store_url: str) -> URL | None:
    try:
        url = make_url(store_url)
    except Exception:  # an unreadable store URL would not have opened the store either
        return None
    return url if url.get_backend_name() in ("postgresql", "postgres") else None


def _read_store(url: URL, timeout: float) -> _Store:
    import psycopg

    params: dict[str, Any] = {key: value for key, value in (
        ("host", url.host), ("port", url.port), ("dbname", url.database),
        ("user", url.username), ("password", url.password)) if value is not None}
    params.update({key: value if isinstance(value, str) else value[-1]
                   for key, value in url.query.items()})
    try:
        with psycopg.connect(connect_timeout=max(1, int(timeout)), **params) as connection:
            row = connection.execute(_STORE).fetchone()
            system_id = _system_id(connection, row)
    except Exception as exc:
        raise SqlFailed("Portway could not read its own store's server identity to vet "
                        f"the connection ({type(exc).__name__})", retryable=True) from None
    if row is None:
        raise SqlFailed("Portway could not read its own store's server identity",
                        retryable=True)
    database, started, _readable, roles = row
    return _Store(ServerIdentity(str(database), started, system_id),
                  frozenset(str(r) for r in roles or ()))


def _system_id(executor: Any, identity: Any) -> int | None:
    """The cluster's identifier, where the identity row says the role may read it."""
    if identity is None or not identity[2]:
        return None
    row = executor.execute(_SYSTEM_ID).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
