"""An FTP (and explicit FTPS) session for the FTP connector, over the standard library's
``ftplib``; blocking, so the connector runs each session in a worker thread.

The session connects to the address the egress guard vetted (never re-resolving the
name), always transfers in binary (image) mode, and uses passive mode with the data
connection going to the control connection's peer, whatever address the server's
``PASV`` answer names (so a hostile server cannot point it elsewhere). With TLS the
certificate is checked against the server's name unless the connection disables it.

Folder listings use ``MLSD`` (RFC 3659); a server without it is listed with ``NLST``
and a ``SIZE`` and ``MDTM`` per entry. ``ftplib``'s errors become Portway's here and
nowhere else (``translate``).
"""

from __future__ import annotations

import ftplib
import io
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway import Forbidden, PortwayError, UpstreamError, UpstreamTimeout, UpstreamUnreachable
from runtime.builtins.files import FileEntry, not_found, too_large

__all__ = ["FtpServer", "FtpSession", "session"]


@dataclass(frozen=True)
class FtpServer:
    """Where and how to sign in (the connection's values, the host already vetted)."""

    host: str
    address: str
    port: int
    username: str
    password: str
    tls: bool = False
    verify: bool = True
    timeout: float = 60.0


class _Tls(ftplib.FTP_TLS):
    """FTP over explicit TLS whose certificate is checked against ``server_name``, not
    the vetted address the socket connects to."""

    server_name = ""

    def auth(self) -> str:
        self.host = self.server_name
        return str(super().auth())


@contextmanager
def session(server: FtpServer) -> Iterator[FtpSession]:
    """A signed-in session, closed afterwards. Raises PortwayError (``translate``)."""
    client: ftplib.FTP
    if server.tls:
        context = ssl.create_default_context()
        if not server.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        tls = _Tls(context=context, timeout=server.timeout)
        tls.server_name = server.host
        client = tls
    else:
        client = ftplib.FTP(timeout=server.timeout)  # noqa: S321 - FTP is the protocol asked for
    try:
        with translate(phase="connect"):
            client.connect(server.address, server.port)
        with translate(phase="login"):
            client.login(server.username or "anonymous", server.password)
            if isinstance(client, ftplib.FTP_TLS):
                client.prot_p()
            client.voidcmd("TYPE I")
        yield FtpSession(client)
    finally:
        try:
            if client.sock is not None:
                client.quit()
        except (OSError, EOFError, ftplib.Error):
            pass
        client.close()


@contextmanager
def translate(path: str = "", *, phase: str = "exchange") -> Iterator[None]:
    """Turn ``ftplib`` and socket errors into Portway's (see ``runtime.builtins.files``)."""
    try:
        yield
    except PortwayError:
        raise
    except ftplib.error_perm as exc:
        raise _permanent(str(exc), path, phase) from None
    except ftplib.error_temp as exc:
        raise UpstreamError(f"the FTP server refused for now: {_reply(exc)}",
                            details=[{"phase": "connect"}], retryable=True) from None
    except TimeoutError:
        raise UpstreamTimeout("the FTP server did not answer in time",
                              details=[{"phase": phase}]) from None
    except ssl.SSLError as exc:
        raise UpstreamError(f"the TLS handshake with the FTP server failed: {exc.reason}",
                            code="TlsFailed", retryable=False) from None
    except OSError as exc:
        if phase != "connect" and not isinstance(exc, ConnectionError):
            raise UpstreamError(f"the FTP exchange failed: {type(exc).__name__}",
                                details=[{"phase": phase}]) from None
        raise UpstreamUnreachable(f"the FTP server cannot be reached: {exc.strerror or exc}",
                                  details=[{"phase": phase}]) from None
    except (EOFError, ftplib.Error) as exc:
        raise UpstreamError(f"the FTP exchange failed: {type(exc).__name__}",
                            details=[{"phase": phase}]) from None


def _reply(exc: BaseException) -> str:
    return str(exc).strip()[:200]


def _permanent(reply: str, path: str, phase: str) -> PortwayError:
    code = reply[:3]
    text = reply.lower()
    if code == "530" or phase == "login":
        return UpstreamError("the FTP server refused the sign-in (check username and "
                             "password)", code="FileServerAuthenticationFailed",
                             retryable=False)
    if code == "550" and ("denied" in text or "permission" in text):
        return Forbidden(f"the FTP server denied the operation on {path!r}",
                         code="FilePermissionDenied", details=[{"path": path}])
    if code in ("550", "450") or "no such" in text or "not found" in text:
        return not_found(path)
    return UpstreamError(f"the FTP server refused: {reply.strip()[:200]}",
                         code="FtpCommandRefused", retryable=False)


def _moment(value: str) -> datetime:
    """An RFC 3659 time (``20240501102030`` or ``20240501102030.123``), UTC."""
    whole, _, fraction = value.strip().partition(".")
    moment = datetime.strptime(whole[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    if fraction.isdigit():
        moment = moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    return moment


def _join(folder: str, name: str) -> str:
    return folder.rstrip("/") + "/" + name


class FtpSession:
    """Operations on one signed-in session; paths are canonical (``files.clean_path``)."""

    def __init__(self, client: ftplib.FTP) -> None:
        self.client = client

    def listing(self, folder: str, limit: int) -> list[FileEntry]:
        """The folder's entries (not ``.``/``..``). Raises PortwayError; more than
        ``limit`` entries is an error rather than a silent cut, noticed while the listing
        arrives (a server cannot make it grow without end)."""
        with translate(folder):
            with suppress(ftplib.error_perm):  # else the server lists its default facts
                self.client.sendcmd("OPTS MLST type;size;modify;")
            try:
                lines = self._lines(f"MLSD {folder}", limit)
            except ftplib.error_perm as exc:
                if str(exc)[:3] not in ("500", "501", "502", "504"):
                    raise
                return self._listed_by_name(folder, limit)
        entries = []
        for line in lines:
            facts, _, name = line.partition(" ")
            fact = {k.lower(): v for k, _, v in (f.partition("=") for f in facts.split(";"))}
            kind = fact.get("type", "file").lower()
            if kind in ("cdir", "pdir") or name in (".", "..", "") or "/" in name:
                continue
            entries.append(FileEntry(
                path=_join(folder, name), size=int(fact.get("size") or 0),
                modified=_moment(fact["modify"]) if "modify" in fact else datetime.now(UTC),
                is_folder=kind == "dir"))
        if len(entries) > limit:
            raise _too_many(limit)
        return entries

    def _lines(self, command: str, limit: int) -> list[str]:
        lines: list[str] = []

        def take(line: str) -> None:
            lines.append(line)
            if len(lines) > limit + 2:  # + the "." and ".." some servers list
                raise _too_many(limit)

        self.client.retrlines(command, take)
        return lines

    def _listed_by_name(self, folder: str, limit: int) -> list[FileEntry]:
        with translate(folder):
            names = self._lines(f"NLST {folder}", limit)
        entries = []
        for raw in names:
            name = raw.rsplit("/", 1)[-1]
            if name in (".", "..", ""):
                continue
            entries.append(self.stat(_join(folder, name)))
        if len(entries) > limit:
            raise _too_many(limit)
        return entries

    def stat(self, path: str) -> FileEntry:
        """One file's or folder's metadata (``SIZE`` and ``MDTM``; a path without a size
        that the server lets us enter is a folder)."""
        with translate(path):
            self.client.voidcmd("TYPE I")  # a listing left ASCII mode, where SIZE lies
            try:
                size = self.client.size(path)
            except ftplib.error_perm:
                size = None
            if size is None:
                here = self.client.pwd()
                try:
                    self.client.cwd(path)
                except ftplib.error_perm:
                    raise not_found(path) from None
                self.client.cwd(here)
                return FileEntry(path=path, size=0, modified=datetime.now(UTC), is_folder=True)
            reply = self.client.sendcmd(f"MDTM {path}")
        return FileEntry(path=path, size=int(size), modified=_moment(reply[4:]))

    def read(self, path: str, limit: int) -> bytes:
        """The file's bytes. Raises PayloadTooLarge past ``limit`` (stops the transfer)."""
        entry = self.stat(path)
        if entry.is_folder:
            raise not_found(path)
        if entry.size > limit:
            raise too_large(entry.size, limit)
        buffer = io.BytesIO()

        def take(chunk: bytes) -> None:
            buffer.write(chunk)
            if buffer.tell() > limit:
                raise too_large(buffer.tell(), limit)

        with translate(path):
            self.client.retrbinary(f"RETR {path}", take)
        return buffer.getvalue()

    def write(self, path: str, data: bytes) -> FileEntry:
        """Write (create or replace) the file, creating missing parent folders."""
        self._make_parents(path)
        with translate(path):
            self.client.storbinary(f"STOR {path}", io.BytesIO(data))
        return self.stat(path)

    def delete(self, path: str) -> None:
        with translate(path):
            self.client.delete(path)

    def _make_parents(self, path: str) -> None:
        parts = path.strip("/").split("/")[:-1]
        folder = ""
        for part in parts:
            folder += "/" + part
            try:
                self.client.mkd(folder)
            except ftplib.error_perm:
                continue  # it exists (or the write below says what is wrong)


def _too_many(limit: int) -> UpstreamError:
    return UpstreamError(f"the folder holds more than {limit} entries "
                         "(runtime.file_listing_max)", code="FolderTooLarge", retryable=False)
