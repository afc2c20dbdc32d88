"""An SFTP session for the SFTP connector, over asyncssh.

The session connects to the address the egress guard vetted and checks the server's host
key against the connection's ``sshHostKeyFingerprint`` before it signs in: a key that
does not match (``HostKeyMismatch``), or a connection without a fingerprint
(``HostKeyUnknown``, whose message names the fingerprint the server presented so it can
be pasted in), ends the connection before any password or key is sent. Fingerprints are
written as Logic Apps asks (MD5, ``a1:b2:…``, with or without ``MD5:``) or as OpenSSH
prints them (``SHA256:…``); several may be given, separated by commas.

Nothing of the process's own SSH setup is read: no ``~/.ssh/config``, no agent, no
default keys, no ``known_hosts``. asyncssh's errors become Portway's here
(``translate``).
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import aclosing, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import asyncssh

from gateway import (
    BadRequest,
    Forbidden,
    PortwayError,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from runtime.builtins.files import FileEntry, already_exists, not_found, too_large

__all__ = ["SftpServer", "SftpSession", "fingerprints_match", "session", "translate"]


@dataclass(frozen=True)
class SftpServer:
    """Where and how to sign in (the connection's values, the host already vetted)."""

    host: str
    address: str
    port: int
    username: str
    password: str = ""
    private_key: str = ""
    passphrase: str = ""
    fingerprints: tuple[str, ...] = ()
    root: str = "/"
    timeout: float = 60.0


def _normal(fingerprint: str) -> str:
    text = fingerprint.strip()
    if text.upper().startswith("SHA256:"):
        return "SHA256:" + text[7:].rstrip("=")
    if text.upper().startswith("MD5:"):
        text = text[4:]
    return "MD5:" + text.lower().replace("-", ":")


def fingerprints_match(key: asyncssh.SSHKey, allowed: tuple[str, ...]) -> bool:
    """Whether the key's MD5 or SHA-256 fingerprint is one of ``allowed``."""
    presented = {_normal(key.get_fingerprint("md5")), _normal(key.get_fingerprint("sha256"))}
    return any(_normal(each) in presented for each in allowed)


class _HostKeyCheck(asyncssh.SSHClient):
    """Accepts the server's host key only when its fingerprint is one the connection
    names; remembers what the server presented, for the error."""

    def __init__(self, allowed: tuple[str, ...]) -> None:
        self.allowed = allowed
        self.presented = ""

    def validate_host_public_key(self, host: str, addr: str, port: int,
                                 key: asyncssh.SSHKey) -> bool:
        self.presented = f"{key.get_fingerprint('md5')} ({key.get_fingerprint('sha256')})"
        return bool(self.allowed) and fingerprints_match(key, self.allowed)


def _client_keys(server: SftpServer) -> list[asyncssh.SSHKey]:
    if not server.private_key.strip():
        return []
    text = server.private_key.replace("\\n", "\n").strip() + "\n"
    try:
        return [asyncssh.import_private_key(text, server.passphrase or None)]
    except (asyncssh.KeyImportError, ValueError):
        raise BadRequest("the connection's sshPrivateKey cannot be read (an OpenSSH or "
                         "PEM private key, its passphrase in sshPrivateKeyPassphrase)",
                         code="InvalidConnection") from None


@asynccontextmanager
async def session(server: SftpServer) -> AsyncIterator[SftpSession]:
    """A signed-in SFTP session, closed afterwards. Raises PortwayError."""
    check = _HostKeyCheck(server.fingerprints)
    keys = _client_keys(server)
    with translate(phase="connect", host_key=check):
        connection = await asyncio.wait_for(asyncssh.connect(
            server.address, server.port, username=server.username,
            password=server.password or None, client_keys=keys, agent_path=None,
            known_hosts=([], [], []), client_factory=lambda: check, config=[],
            preferred_auth=("publickey", "password") if keys else ("password",),
            connect_timeout=server.timeout, login_timeout=server.timeout,
            host_key_alias=server.host), server.timeout)
    try:
        with translate(phase="connect"):
            client = await connection.start_sftp_client()
        try:
            yield SftpSession(client, server.root, server.timeout)
        finally:
            client.exit()
    finally:
        connection.close()


@contextmanager
def translate(path: str = "", *, phase: str = "exchange",
              host_key: _HostKeyCheck | None = None) -> Iterator[None]:
    """Turn asyncssh's and socket errors into Portway's (see ``runtime.builtins.files``)."""
    try:
        yield
    except PortwayError:
        raise
    except asyncssh.HostKeyNotVerifiable:
        presented = host_key.presented if host_key else "unknown"
        if host_key is not None and not host_key.allowed:
            raise UpstreamError(
                "the SFTP connection has no sshHostKeyFingerprint, so the server cannot be "
                f"trusted; it presented {presented}: put that in the connection if it is "
                "the right server", code="HostKeyUnknown", retryable=False) from None
        raise UpstreamError(f"the SFTP server's host key {presented} is not the one the "
                            "connection's sshHostKeyFingerprint names",
                            code="HostKeyMismatch", retryable=False) from None
    except asyncssh.PermissionDenied:
        raise UpstreamError("the SFTP server refused the sign-in (check username, password "
                            "or key)", code="FileServerAuthenticationFailed",
                            retryable=False) from None
    except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPNoSuchPath):
        raise not_found(path) from None
    except asyncssh.SFTPFileAlreadyExists:
        raise already_exists(path) from None
    except asyncssh.SFTPPermissionDenied:
        raise Forbidden(f"the SFTP server denied the operation on {path!r}",
                        code="FilePermissionDenied", details=[{"path": path}]) from None
    except asyncssh.SFTPError as exc:
        raise UpstreamError(f"the SFTP server refused: {exc.reason[:200]}",
                            code="SftpRefused", retryable=False) from None
    except TimeoutError:
        raise UpstreamTimeout("the SFTP server did not answer in time",
                              details=[{"phase": phase}]) from None
    except (asyncssh.Error, OSError) as exc:
        if phase == "connect":
            raise UpstreamUnreachable(f"the SFTP server cannot be reached: "
                                      f"{type(exc).__name__}",
                                      details=[{"phase": phase}]) from None
        raise UpstreamError(f"the SFTP exchange failed: {type(exc).__name__}",
                            details=[{"phase": phase}]) from None


def _moment(seconds: Any) -> datetime:
    return datetime.fromtimestamp(float(seconds or 0), UTC)


class SftpSession:
    """Operations on one signed-in session; paths are canonical (``files.clean_path``),
    mapped under the connection's root directory."""

    def __init__(self, client: asyncssh.SFTPClient, root: str, timeout: float) -> None:
        self.client, self.root, self.timeout = client, root, timeout

    def remote(self, path: str) -> str:
        return posixpath.join(self.root, path.lstrip("/")) if path != "/" else self.root

    def _entry(self, path: str, attrs: asyncssh.SFTPAttrs) -> FileEntry:
        return FileEntry(
            path=path, size=int(attrs.size or 0),
            modified=_moment(attrs.mtime), accessed=_moment(attrs.atime),
            is_folder=attrs.type == asyncssh.FILEXFER_TYPE_DIRECTORY,
            permissions=int(attrs.permissions or 0))

    async def listing(self, folder: str, limit: int) -> list[FileEntry]:
        entries: list[FileEntry] = []
        with translate(folder):
            found = cast(AsyncGenerator[asyncssh.SFTPName, None],
                         self.client.scandir(self.remote(folder)))
            async with aclosing(found) as names:  # closed while the session still is
                async for name in names:
                    if name.filename in (".", "..") or "/" in str(name.filename) \
                            or name.attrs.type == asyncssh.FILEXFER_TYPE_SYMLINK:
                        continue
                    entries.append(self._entry(
                        folder.rstrip("/") + "/" + str(name.filename), name.attrs))
                    if len(entries) > limit:  # noticed as the names arrive
                        raise UpstreamError(f"the folder holds more than {limit} entries "
                                            "(runtime.file_listing_max)",
                                            code="FolderTooLarge", retryable=False)
        return entries

    async def stat(self, path: str) -> FileEntry:
        with translate(path):
            return self._entry(path, await self.client.stat(self.remote(path)))

    async def exists(self, path: str) -> bool:
        with translate(path):
            return bool(await self.client.exists(self.remote(path)))

    async def read(self, path: str, limit: int) -> bytes:
        entry = await self.stat(path)
        if entry.is_folder:
            raise not_found(path)
        if entry.size > limit:
            raise too_large(entry.size, limit)
        with translate(path):
            async with self.client.open(self.remote(path), "rb") as handle:
                data = await handle.read(limit + 1)
        if not isinstance(data, bytes):  # opened "rb": asyncssh gives bytes
            raise UpstreamError("the SFTP server sent text for a binary read")
        if len(data) > limit:
            raise too_large(len(data), limit)
        return data

    async def write(self, path: str, data: bytes, *, overwrite: bool = True) -> FileEntry:
        parent = posixpath.dirname(path)
        with translate(path):
            if parent not in ("", "/"):
                await self.client.makedirs(self.remote(parent), exist_ok=True)
            if not overwrite and await self.client.exists(self.remote(path)):
                raise already_exists(path)
            async with self.client.open(self.remote(path), "wb") as handle:
                await handle.write(data)
        return await self.stat(path)

    async def delete(self, path: str) -> None:
        with translate(path):
            await self.client.remove(self.remote(path))

    async def make_folder(self, path: str) -> FileEntry:
        with translate(path):
            await self.client.makedirs(self.remote(path), exist_ok=True)
        return await self.stat(path)

    async def delete_folder(self, path: str, recursive: bool) -> None:
        with translate(path):
            if recursive:
                await self.client.rmtree(self.remote(path))
            else:
                await self.client.rmdir(self.remote(path))

    async def rename(self, path: str, target: str) -> FileEntry:
        with translate(path):
            await self.client.rename(self.remote(path), self.remote(target))
        return await self.stat(target)
