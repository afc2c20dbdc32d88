"""The database: an engine for SQLite (embedded, WAL) or PostgreSQL, and its migrations."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from gateway.errors import ConfigError, StoreError

T = TypeVar("T")

MIGRATIONS = Path(__file__).parent / "migrations"


async def _call_now(fn: Callable[..., T], *args: Any) -> T:
    return fn(*args)


def engine_url(url: str) -> str:
    """Normalise a user's database URL to the driver Portway uses."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("sqlite://", "postgresql+psycopg://")):
        return url
    raise ConfigError(
        "database.url must start with sqlite:/// or postgresql:// "
        f"(got a URL with scheme {url.split(':', 1)[0]!r})"
    )


class Database:
    """One engine per process; blocking work runs in a worker thread via ``run``."""

    def __init__(self, url: str) -> None:
        self.url = engine_url(url)
        self.dialect = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        if self.dialect == "sqlite":
            path = self.url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.engine = sa.create_engine(
                self.url, connect_args={"check_same_thread": False, "timeout": 30}
            )
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(self.url, pool_pre_ping=True, pool_size=10)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking database work off the event loop.

        This is where a request's database work enters SQLAlchemy, so its outages are
        translated here: a lost or refused connection is ``StoreError`` (503
        ``StoreUnavailable``, retryable), not an unexpected 500.
        """
        return await self._translated(anyio.to_thread.run_sync, fn, *args)

    async def read_quick(self, fn: Callable[..., T], *args: Any) -> T:
        """``run`` for a few primary-key reads on a hot path: on SQLite in the event loop
        (a WAL read takes microseconds and never waits for a writer, while a hop to a
        worker thread costs more than the read), on PostgreSQL in a worker thread (a
        read there is a network round trip)."""
        if self.dialect == "sqlite":
            return await self._translated(_call_now, fn, *args)
        return await self.run(fn, *args)

    async def _translated(self, call: Callable[..., Any], fn: Callable[..., T], *args: Any
                          ) -> T:
        try:
            result: T = await call(fn, *args)
            return result
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise StoreError(f"the database is unavailable: {_reason(exc)}") from exc
        except sa.exc.DBAPIError as exc:
            if exc.connection_invalidated:
                raise StoreError(f"the database connection was lost: {_reason(exc)}") \
                    from exc
            raise

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A transaction that reads then writes.

        SQLite has no row locks (``SELECT … FOR UPDATE`` is ignored), so there it takes the
        write lock at once (``BEGIN IMMEDIATE``): concurrent read-then-write transactions
        queue instead of colliding. On PostgreSQL it is a plain transaction.
        """
        with self.engine.begin() as conn:
            if self.dialect == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent, safe across processes).

        A database whose every branch is already at its newest revision costs two small
        reads: Alembic's environment is loaded only when there is something to apply.
        """
        try:
            if self.current_heads() == self.head_revisions():
                return
            with self.engine.begin() as connection:
                if self.dialect == "postgresql":
                    # Serialise concurrent starts of several processes on one database.
                    connection.execute(sa.text("SELECT pg_advisory_xact_lock(724011)"))
                config = _alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "heads")
        except sa.exc.OperationalError as exc:
            raise StoreError(f"cannot reach the database: {_reason(exc)}") from exc

    def current_revision(self) -> str | None:
        """The gateway's own revision (extensions keep theirs on their own branches)."""
        heads = self.current_heads()
        own = _own_revisions()
        found = [head for head in heads if head in own]
        return found[0] if found else None

    def current_heads(self) -> tuple[str, ...]:
        """Every branch's current revision, the extensions' included."""
        with self.engine.connect() as connection:
            return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))

    @staticmethod
    def head_revision() -> str | None:
        """The newest revision of the gateway's own schema."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        return ScriptDirectory.from_config(config).get_current_head()

    @staticmethod
    def head_revisions() -> tuple[str, ...]:
        """The newest revision of every branch: the gateway's and each extension's."""
        return tuple(sorted(ScriptDirectory.from_config(_alembic_config()).get_heads()))

    def ping(self) -> None:
        """Raise ``StoreError`` unless the database answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot reach the database: {_reason(exc)}") from exc

    def dispose(self) -> None:
        self.engine.dispose()


def _alembic_config() -> Config:
    """Alembic over the gateway's revisions and every extension's own branch."""
    # Imported here: the extension point imports the app's parts, which import this.
    from gateway.extensions import extension_migrations

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    locations = [MIGRATIONS / "versions", *extension_migrations()]
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    return config


def _own_revisions() -> set[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _reason(exc: BaseException) -> str:
    # The driver's first line, without the URL (which may hold a password).
    text = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else type(exc).__name__
    return text
