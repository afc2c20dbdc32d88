"""Where a SQL connection may point: a SQLite file inside a folder the operator lists in
``[runtime] sql_sqlite_roots`` (none by default), and never Portway's own store — its
SQLite file under any name (a link, a hard link, its ``-wal``/``-shm``/``-journal``
files) or, on PostgreSQL, its database on its server.

Messages never repeat the connection string (it may hold a password) nor the file's path.
"""

from __future__ import annotations

import asyncio
import getpass
import ipaddress
import os
import socket

from sqlalchemy.engine import URL, make_url

from runtime.builtins.local_folder import inside
from runtime.errors import SqliteFileNotAllowed, SqlRequestInvalid, StoreDatabaseNotAllowed

__all__ = ["refuse_store_server", "sqlite_file"]

_STORE_SIBLINGS = ("", "-wal", "-shm", "-journal")
_STORE_REFUSED = ("the connection names Portway's own database, which no workflow may "
                  "open")


def sqlite_file(path: str, roots: tuple[str, ...], store_url: str) -> str:
    """The real path of a connection's SQLite file (``path`` as written, a relative one
    from the working directory), if the operator allows it and it is not the store.

    Raises:
        SqliteFileNotAllowed: no root is listed, or none holds the file's real path.
        StoreDatabaseNotAllowed: the file is (or is a link to) Portway's own database.
    """
    if "\x00" in path:
        raise SqlRequestInvalid("the connectionString's SQLite file name holds a NUL")
    if not roots:
        raise SqliteFileNotAllowed("SQLite connections are off on this server: no folder "
                                   "is listed in runtime.sql_sqlite_roots")
    real = os.path.realpath(path)
    if not inside(real, roots):
        raise SqliteFileNotAllowed("the connection's SQLite file is not inside a folder "
                                   "listed in runtime.sql_sqlite_roots")
    if any(_same_file(real, stored) for stored in _store_files(store_url)):
        raise StoreDatabaseNotAllowed(_STORE_REFUSED)
    return real


def _store_files(store_url: str) -> list[str]:
    """The store's SQLite file and the files SQLite keeps beside it (none on PostgreSQL)."""
    url = _url(store_url)
    if url is None or url.get_backend_name() != "sqlite" or not url.database:
        return []
    name = url.database.removeprefix("file:").split("?", 1)[0]
    if name in ("", ":memory:"):
        return []
    real = os.path.realpath(name)
    return [real + suffix for suffix in _STORE_SIBLINGS]


def _same_file(real: str, stored: str) -> bool:
    if real == stored:
        return True
    try:
        return os.path.samefile(real, stored)  # a hard link has another name, one inode
    except OSError:
        return False


async def refuse_store_server(url: URL, address: str, port: int, store_url: str) -> None:
    """Refuse a PostgreSQL connection to the store's database: the same database name on
    the same port of an address the store's host resolves to (any loopback address, or
    this machine's, when the store is local or reached through a Unix socket).

    Raises:
        StoreDatabaseNotAllowed: it is the store's database.
    """
    store = _url(store_url)
    if store is None or store.get_backend_name() not in ("postgresql", "postgres"):
        return
    if _database_name(url) != _database_name(store) or port != (store.port or 5432):
        return
    if await _is_store_address(address, store.host or "", port):
        raise StoreDatabaseNotAllowed(_STORE_REFUSED)


def _url(text: str) -> URL | None:
    try:
        return make_url(text)
    except Exception:  # an unreadable store URL would not have opened the store either
        return None


def _database_name(url: URL) -> str:
    """The database libpq connects to: the one named, else the user's name."""
    return url.database or url.username or getpass.getuser()


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        value = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(value, ipaddress.IPv6Address) and value.ipv4_mapped is not None:
        return value.ipv4_mapped
    return value


async def _is_store_address(address: str, host: str, port: int) -> bool:
    """Whether ``address`` reaches the store's server at ``host`` (empty or a Unix
    socket's folder: this machine)."""
    wanted = _address(address)
    if wanted is None:
        return False
    local = not host or host.startswith("/")
    found = set() if local else {_address(host)} | await _resolved(host, port)
    if local or any(a is not None and a.is_loopback for a in found):
        # a server on this machine answers on every loopback address and on its own
        if wanted.is_loopback:
            return True
        found |= await _resolved(socket.gethostname(), port)
    return wanted in found


async def _resolved(host: str, port: int
                    ) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address | None]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)
    except OSError:
        return set()
    return {_address(str(info[4][0])) for info in infos}
