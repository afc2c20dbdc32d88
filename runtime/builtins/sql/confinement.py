"""Which SQLite file a SQL connection may open: one inside a folder the operator lists in
``[runtime] sql_sqlite_roots`` (none by default), and never Portway's own store — its
SQLite file under any name (a link, a hard link, its ``-wal``/``-shm``/``-journal``
files). On PostgreSQL the store is recognised once connected (``session_guard``).

Messages never repeat the connection string (it may hold a password) nor the file's path.
"""

from __future__ import annotations

import os

from sqlalchemy.engine import URL, make_url

from runtime.builtins.local_folder import inside
from runtime.errors import SqliteFileNotAllowed, SqlRequestInvalid, StoreDatabaseNotAllowed

__all__ = ["sqlite_file"]

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


def _url(text: str) -> URL | None:
    try:
        return make_url(text)
    except Exception:  # an unreadable store URL would not have opened the store either
        return None
