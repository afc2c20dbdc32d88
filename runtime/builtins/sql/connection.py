"""The SQL connector's connection: the ``connectionString`` of a ``serviceProviderConnections``
entry read as a SQLAlchemy URL or an ADO.NET-style string, vetted, and one engine per
string.

Accepted:

- a SQLAlchemy URL: ``sqlite:///relative.db``, ``sqlite:////absolute.db``,
  ``postgresql://user:pass@host:5432/db`` (``postgresql+psycopg://`` too);
- ``key=value;`` pairs as ADO.NET writes them: ``Data Source=customers.db`` (a SQLite
  file, as Microsoft.Data.Sqlite writes it), or ``Server=host,5432;Database=db;User
  Id=u;Password=p`` / ``Host=host;Port=5432;Username=u;...`` (PostgreSQL, as Npgsql writes
  it; ``tcp:`` before the host and ``Initial Catalog``, ``Uid``, ``Pwd``, ``SSL Mode`` are
  read too). Keys are case-insensitive; values may be quoted.

Where it may point is vetted on every call (``confinement``): a SQLite file must lie in a
folder of ``[runtime] sql_sqlite_roots`` and is opened by its real path; a PostgreSQL host
goes through the gateway's egress guard (``runtime.builtins.outbound``: private and
loopback addresses only when ``egress.allow`` names them) and the driver connects to
exactly the vetted address. Neither may be Portway's own store: a SQLite file is compared
with the store's by inode; every new PostgreSQL connection is vetted by what its server
says it is, before any statement of the workflow's (``session_guard``). A SQLite connection
cannot reach past its file: an authorizer refuses ``ATTACH``/``DETACH`` (and so
``VACUUM INTO``), ``load_extension`` and the pragmas that set something for the whole
process (``temp_store_directory``, the heap limits), and no database may be attached.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from runtime.builtins.calling import current_call
from runtime.builtins.outbound import vet_server
from runtime.builtins.sql.confinement import sqlite_file
from runtime.builtins.sql.session_guard import vet_session
from runtime.errors import SqlRequestInvalid

__all__ = ["Database", "Engines", "parse_connection_string", "vetted_target"]

_ALIASES = {
    "server": "host", "host": "host", "address": "host", "addr": "host",
    "network address": "host", "data source": "data source", "datasource": "data source",
    "port": "port", "database": "database", "initial catalog": "database",
    "user id": "user", "userid": "user", "uid": "user", "user": "user", "username": "user",
    "user name": "user", "password": "password", "pwd": "password",
    "ssl mode": "sslmode", "sslmode": "sslmode", "provider": "provider",
}
_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db3")
#: The libpq options a PostgreSQL URL may carry (others name files to read, or override
#: the host, port or database that were vetted).
_URL_OPTIONS = frozenset({"sslmode", "application_name"})
_MAX_ENGINES = 64

@dataclass(frozen=True)
class Database:
    """Where a connection string points."""

    dialect: str  # "sqlite" or "postgresql"
    url: URL
    #: SQLite: the file as written (its real path is vetted before opening).
    path: str = ""
    #: PostgreSQL: the host name as written (its addresses are vetted before connecting).
    host: str = ""
    port: int = 0


def parse_connection_string(text: Any) -> Database:
    """Read a connection string. Raises ``SqlRequestInvalid`` (never echoing a password)."""
    if not isinstance(text, str) or not text.strip():
        raise SqlRequestInvalid("the connection needs a 'connectionString'")
    text = text.strip()
    if "://" in text.split(";", 1)[0]:
        return _from_url(text)
    return _from_pairs(text)


def _from_url(text: str) -> Database:
    try:
        url = make_url(text)
    except Exception as exc:  # SQLAlchemy's ArgumentError and ValueError alike
        raise SqlRequestInvalid("the connectionString is not a URL SQLAlchemy reads") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite(url.database or "")
    if backend in ("postgresql", "postgres"):
        unknown = sorted(set(url.query) - _URL_OPTIONS)
        if unknown:
            raise SqlRequestInvalid(f"a PostgreSQL connection takes no {unknown[0]!r} "
                                    f"option (only {', '.join(sorted(_URL_OPTIONS))})")
        url = url.set(drivername="postgresql+psycopg")
        return Database("postgresql", url, host=url.host or "", port=url.port or 5432)
    raise SqlRequestInvalid(f"Portway's SQL connector runs on SQLite and PostgreSQL, not "
                            f"{backend!r}")


def _from_pairs(text: str) -> Database:
    values: dict[str, str] = {}
    for part in _split_pairs(text):
        key, sep, value = part.partition("=")
        if not sep:
            raise SqlRequestInvalid("the connectionString is neither a URL nor "
                                    "'key=value;' pairs")
        name = _ALIASES.get(" ".join(key.lower().split()))
        if name is not None:
            values[name] = value.strip().strip("'\"")
    source = values.get("data source", "")
    provider = values.get("provider", "").lower()
    if "host" not in values and (source.lower().endswith(_SQLITE_SUFFIXES)
                                 or "sqlite" in provider):
        return _sqlite(source)
    host = values.get("host") or source
    if not host:
        raise SqlRequestInvalid("the connectionString names no server ('Server=' or "
                                "'Host=') and no SQLite file ('Data Source=…db')")
    host = host.removeprefix("tcp:")
    port_text = values.get("port", "")
    if "," in host:
        host, port_text = (p.strip() for p in host.split(",", 1))
    try:
        port = int(port_text) if port_text else 5432
    except ValueError:
        raise SqlRequestInvalid("the connectionString's port is not a number") from None
    query = {"sslmode": values["sslmode"].lower().replace(" ", "-")} \
        if values.get("sslmode") else {}
    url = URL.create("postgresql+psycopg", username=values.get("user") or None,
                     password=values.get("password") or None, host=host, port=port,
                     database=values.get("database") or None, query=query)
    return Database("postgresql", url, host=host, port=port)


def _split_pairs(text: str) -> list[str]:
    """``a=1;b='x;y'`` → ``["a=1", "b='x;y'"]`` (a quoted value may hold ``;``)."""
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ";":
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _sqlite(path: str) -> Database:
    if not path or path == ":memory:" or path.startswith("file:"):
        raise SqlRequestInvalid("a SQLite connection needs a database file (an in-memory "
                                "database lives and dies with one connection)")
    return Database("sqlite", _sqlite_url(path), path=path)


def _sqlite_url(path: str) -> URL:
    # Opened read-write, never created: a mistyped path is an error, not a new empty file.
    return URL.create("sqlite+pysqlite", database=f"file:{quote(path)}?mode=rw",
                      query={"uri": "true"})


class Engines:
    """One SQLAlchemy engine per connection string (and vetted target and timeout).

    Statements run in worker threads (the drivers block); ``timeout`` bounds each one
    (PostgreSQL's ``statement_timeout`` and ``lock_timeout``; on SQLite a progress
    handler interrupts it).
    """

    def __init__(self) -> None:
        self._engines: dict[tuple[str, str, float, str, float], sa.Engine] = {}
        self._lock = threading.Lock()

    def engine(self, connection_string: str, database: Database, target: str,
               timeout: float, store_url: str, revet_seconds: float = 300.0) -> sa.Engine:
        """The engine for a parsed connection string vetted as ``target`` (``vetted_target``:
        the PostgreSQL host's address, the SQLite file's real path); on PostgreSQL each of
        its new connections is vetted against the store at ``store_url``, and replaced
        once ``revet_seconds`` old (so a role given more rights since is seen)."""
        key = (connection_string, target, timeout, store_url, revet_seconds)
        with self._lock:
            known = self._engines.get(key)
            if known is not None:
                return known
            if len(self._engines) >= _MAX_ENGINES:
                for old in self._engines.values():
                    old.dispose()
                self._engines.clear()
            built = _build(database, target, timeout, store_url, revet_seconds)
            self._engines[key] = built
            return built

    def dispose(self) -> None:
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


async def vetted_target(database: Database) -> str:
    """Where the connection may go, vetted for the call in progress: a PostgreSQL host's
    address (by its egress guard), a SQLite file's real path (by ``sql_sqlite_roots``);
    never Portway's own store.

    Raises:
        SqliteFileNotAllowed, StoreDatabaseNotAllowed, gateway.EgressDenied,
        SqlRequestInvalid.
    """
    call = current_call()
    if database.dialect == "sqlite":
        return sqlite_file(database.path, call.settings.sql_sqlite_roots, call.store_url)
    if not database.host or database.host.startswith("/"):
        raise SqlRequestInvalid("a PostgreSQL connection needs a host name or address "
                                "(Portway connects over TCP)")
    return (await vet_server(database.host, database.port, "postgresql")).address


def _build(database: Database, target: str, timeout: float, store_url: str,
           revet_seconds: float) -> sa.Engine:
    if database.dialect == "sqlite":
        engine = sa.create_engine(_sqlite_url(target), poolclass=sa.pool.QueuePool, pool_size=4,
                                  max_overflow=4,
                                  connect_args={"check_same_thread": False,
                                                "timeout": min(timeout, 10.0)})
        _sqlite_guard(engine, timeout)
        return engine
    millis = int(timeout * 1000)
    engine = sa.create_engine(
        database.url, pool_size=4, max_overflow=4, pool_pre_ping=True,
        pool_recycle=revet_seconds,
        connect_args={"hostaddr": target, "connect_timeout": max(1, int(timeout)),
                      "options": f"-c statement_timeout={millis} -c lock_timeout={millis}"})
    _vetted_sessions(engine, store_url, timeout)
    sa.event.listen(engine, "connect", _untyped_text)
    return engine


def _vetted_sessions(engine: sa.Engine, store_url: str, timeout: float) -> None:
    """Vet every connection the engine's pool opens (``session_guard``) as the driver
    hands it over: before SQLAlchemy's own first queries and any of the workflow's."""

    def connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        connection = dialect.connect(*cargs, **cparams)
        try:
            vet_session(connection, store_url, timeout)
        except BaseException:
            connection.close()
            raise
        return connection

    sa.event.listen(engine, "do_connect", connect)


def _untyped_text(dbapi_connection: Any, _record: Any) -> None:
    """Send text parameters untyped, as a literal is: the server reads ``'2'`` as the
    column's type (an integer key, a date), which JSON values need."""
    from psycopg.types.string import StrDumperUnknown

    dbapi_connection.adapters.register_dumper(str, StrDumperUnknown)


def _sqlite_guard(engine: sa.Engine, timeout: float) -> None:
    """Keep every SQLite connection to its own file (``_confined``) and interrupt a
    statement running past ``timeout`` seconds, counted from when the connection was
    handed out."""

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        started = record.info.setdefault("portway_clock", [time.monotonic()])

        def check() -> int:
            return 1 if time.monotonic() - started[0] > timeout else 0

        _confined(dbapi_connection)
        dbapi_connection.set_progress_handler(check, 10_000)

    def on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        record.info.setdefault("portway_clock", [0.0])[0] = time.monotonic()

    sa.event.listen(engine, "connect", on_connect)
    sa.event.listen(engine, "checkout", on_checkout)


_DENIED_ACTIONS = frozenset({sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH})
#: Pragmas that set something for the whole process (every connection, the store's too).
_PROCESS_PRAGMAS = frozenset({"temp_store_directory", "data_store_directory",
                              "soft_heap_limit", "hard_heap_limit"})


def _authorize(action: int, arg1: str | None, arg2: str | None, _database: str | None,
               _source: str | None) -> int:
    """SQLite's authorizer: no other file attached (``VACUUM INTO`` attaches its copy), no
    extension loaded, no process-wide pragma; everything else is the file's own business."""
    if action in _DENIED_ACTIONS or (action == sqlite3.SQLITE_FUNCTION
                                     and (arg2 or "").lower() == "load_extension") or (
            action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _PROCESS_PRAGMAS):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _confined(dbapi_connection: sqlite3.Connection) -> None:
    switch = getattr(dbapi_connection, "enable_load_extension", None)
    if switch is not None:  # absent where Python was built without extension loading
        switch(False)
    dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    dbapi_connection.set_authorizer(_authorize)
