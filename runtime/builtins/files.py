"""What the file connectors (FTP, SFTP, file system) share: a file's metadata, the paths
they take, the content they read and write, and their errors.

Paths are written as Logic Apps writes them, relative to the connection's root
(``/inbox/a.csv``, ``inbox/a.csv`` and ``\\inbox\\a.csv`` are one path). ``clean_path``
makes them one canonical ``/``-rooted form, collapsing ``.`` and ``..`` and refusing a
``..`` that would climb above the root, a NUL, CR or LF (an FTP command could be smuggled
in after one), and overlong paths.

Content given to a write (``fileContent``, ``content``, ``body``) is what Logic Apps
sends: a string as UTF-8, binary content (a ``$content`` envelope) as its bytes, any
other JSON value as compact JSON. Content read back is the ``$content`` envelope with the
media type the file name suggests.

The errors, all in Portway's one tree::

    NotFound            FileNotFound          no such file or folder
    Conflict            FileAlreadyExists     a create that would overwrite
    BadRequest          InvalidPath           a malformed path; PathOutsideRoot: one
                                              that leaves the root
    PayloadTooLarge     FileTooLarge          past ``runtime.file_max_bytes``
    Forbidden           FilePermissionDenied  the server refused the operation
    UpstreamError       FileServerAuthenticationFailed (not retryable), HostKeyMismatch,
                        UpstreamUnreachable, UpstreamTimeout (retryable before sending)
"""

from __future__ import annotations

import mimetypes
import posixpath
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gateway import BadRequest, Conflict, NotFound, PayloadTooLarge, PortwayError
from gateway.expressions import Content, to_json_compatible
from runtime.actions.response import body_bytes

__all__ = [
    "FileEntry",
    "already_exists",
    "clean_path",
    "connection_value",
    "content_of",
    "flag",
    "media_type",
    "not_found",
    "port_of",
    "read_limit",
    "required_text",
    "schema",
    "server_host",
    "stamp",
    "too_large",
    "unless_missing",
    "write_bytes",
]

_MAX_PATH = 4096


@dataclass(frozen=True)
class FileEntry:
    """One file or folder as a listing or a stat sees it.

    Attributes:
        path: The canonical path under the connection's root (``/inbox/a.csv``).
        size: Bytes (0 for a folder).
        modified: Last modification, UTC, as precise as the server tells.
        is_folder: A folder rather than a file.
        created: Creation (or status change) time where the store knows it.
        accessed: Last access, where the store knows it.
        permissions: POSIX mode bits, where the store knows them.
    """

    path: str
    size: int
    modified: datetime
    is_folder: bool = False
    created: datetime | None = None
    accessed: datetime | None = None
    permissions: int | None = None

    @property
    def name(self) -> str:
        return posixpath.basename(self.path) or "/"

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.path) or "/"


def clean_path(value: Any, what: str = "path") -> str:
    """The canonical ``/``-rooted form of a path relative to the root.

    Raises:
        BadRequest: ``InvalidPath`` (not text, NUL/CR/LF, too long) or
            ``PathOutsideRoot`` (a ``..`` above the root).
    """
    if not isinstance(value, str):
        raise BadRequest(f"the {what} must be a string", code="InvalidPath")
    if len(value) > _MAX_PATH:
        raise BadRequest(f"the {what} is longer than {_MAX_PATH} characters",
                         code="InvalidPath")
    if any(c in value for c in "\x00\r\n"):
        raise BadRequest(f"the {what} holds a NUL, CR or LF character", code="InvalidPath")
    parts: list[str] = []
    for part in value.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise BadRequest(f"the {what} {value!r} leaves the connection's root folder",
                                 code="PathOutsideRoot")
            parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def required_text(parameters: Mapping[str, Any], *names: str) -> str:
    """The first of ``names`` the parameters hold, as a path.

    Raises:
        BadRequest: None of them is given (``MissingParameter``), or the path is bad.
    """
    for name in names:
        value = parameters.get(name)
        if value is not None and value != "":
            return clean_path(value, name)
    raise BadRequest(f"the parameter '{names[0]}' is required", code="MissingParameter")


def connection_value(connection: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """A connection's value by name, any case (``serverAddress``, ``ServerAddress``)."""
    if name in connection:
        return connection[name]
    wanted = name.lower()
    for key, value in connection.items():
        if key.lower() == wanted:
            return value
    return default


def port_of(connection: Mapping[str, Any], name: str, default: int) -> int:
    """A port number value (a number or its text). Raises BadRequest."""
    value = connection_value(connection, name)
    if value is None or value == "":
        return default
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if isinstance(value, bool) or not 0 < port < 65536:
        raise BadRequest(f"the connection's {name} is not a port number",
                         code="InvalidConnection")
    return port


def server_host(connection: Mapping[str, Any], name: str) -> str:
    """A server address value: a host name or address (a ``scheme://`` prefix and a
    trailing ``/`` dropped). Raises BadRequest when missing."""
    value = connection_value(connection, name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"the connection needs a {name}", code="InvalidConnection")
    host = value.strip()
    if "://" in host:
        host = host.split("://", 1)[1]
    return host.rstrip("/")


def schema(required: Iterable[str] = (), **properties: str) -> dict[str, Any]:
    """A parameters JSON Schema: each keyword names a property and its JSON type."""
    return {"type": "object", "required": list(required),
            "properties": {name: {"type": kind} for name, kind in properties.items()}}


def flag(parameters: Mapping[str, Any], name: str, default: bool = False) -> bool:
    """A boolean parameter, given as a boolean or as ``"true"``/``"false"``."""
    value = parameters.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise BadRequest(f"the parameter '{name}' must be true or false", code="InvalidParameter")


def write_bytes(value: Any, limit: int) -> bytes:
    """The bytes a write parameter stands for (see the module docstring).

    Raises:
        PayloadTooLarge: More than ``limit`` bytes.
    """
    data, _ = body_bytes(value)
    if len(data) > limit:
        raise too_large(len(data), limit)
    return data


def media_type(path: str) -> str:
    """The media type a file name suggests (``application/octet-stream`` if none)."""
    guessed, _ = mimetypes.guess_type(posixpath.basename(path), strict=False)
    return guessed or "application/octet-stream"


def content_of(data: bytes, path: str, infer: bool = True) -> dict[str, Any]:
    """File content as Logic Apps' outputs carry it: the ``$content`` envelope, with the
    media type the file's name suggests (or ``application/octet-stream``)."""
    typed = Content(data, media_type(path) if infer else "application/octet-stream")
    envelope: dict[str, Any] = to_json_compatible(typed)
    return envelope


def stamp(moment: datetime | None) -> str | None:
    """A time as Logic Apps' outputs spell it (``2024-05-01T10:20:30Z``, fractions kept)."""
    if moment is None:
        return None
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def read_limit(limit: int) -> int:
    """Bytes to read so a file past ``limit`` is noticed: one more than allowed."""
    return limit + 1


def too_large(size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the file is larger than the {limit} bytes a file connector "
                           f"handles (runtime.file_max_bytes)", code="FileTooLarge",
                           details=[{"size": size, "limit": limit}])


@contextmanager
def unless_missing(skip: bool) -> Iterator[None]:
    """Let a ``FileNotFound`` pass silently when ``skip`` (``skipIfFileNotPresent``)."""
    try:
        yield
    except PortwayError as exc:
        if not (skip and exc.code == "FileNotFound"):
            raise


def not_found(path: str) -> NotFound:
    return NotFound(f"no file or folder {path!r}", code="FileNotFound",
                    details=[{"path": path}])


def already_exists(path: str) -> Conflict:
    return Conflict(f"the file {path!r} already exists", code="FileAlreadyExists",
                    details=[{"path": path}])
