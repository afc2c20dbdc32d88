"""HTTP/1.1 messages on a ``Connection``: the request head, the answer's head, its framing
(RFC 9112: none for HEAD, 1xx, 204 and 304; chunked; Content-Length; else until close)
and its body as chunks within the read timeout and the size cap. llhttp parses the
answer (``connection.py``); this module decides what to do with it."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from functools import lru_cache
from urllib.parse import urlsplit

from gateway.errors import BadRequest, UpstreamTimeout, UpstreamUnreachable
from gateway.proxy.errors import UpstreamResponseTooLarge
from gateway.proxy.http1.connection import Connection, Stale
from gateway.proxy.upstream import UpstreamRequest

_NO_BODY_STATUS = frozenset({204, 304})
_FRAMING = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_DIGITS = re.compile(r"[0-9]{1,18}")


def _malformed(what: str) -> UpstreamUnreachable:
    return UpstreamUnreachable(f"the upstream sent a malformed answer ({what})",
                               details=[{"phase": "response", "reason": what}])


def _clean(text: str, what: str) -> str:
    if "\r" in text or "\n" in text or "\0" in text:
        raise BadRequest(f"the outbound {what} contains a line break")
    return text


#: A request target that ``urlsplit`` would give back as it is: a path and a query with
#: no fragment, white space or control character (anything else goes the long way).
_PLAIN_TARGET = re.compile(r"/[^\x00-\x20#\x7f]*")


def _request_target(url: str) -> str:
    """The path and query of ``url`` (``/`` for none), as ``urlsplit`` reads them."""
    start = url.find("/", url.find("://") + 3)
    if start > 0:
        target = url[start:]
        origin = url[:start]
        if _PLAIN_TARGET.fullmatch(target) and not target.endswith("?") and (
                "?" not in origin and "#" not in origin):
            return target
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def request_head(request: UpstreamRequest) -> bytes:
    target = request.target
    path = _request_target(target.url)
    if " " in path:
        raise BadRequest("the outbound path contains a space")
    lines = [f"{request.method} {path} HTTP/1.1", _host_line(target.scheme, target.host,
                                                             target.port)]
    body = request.body
    length: str | None = None
    for name, value in request.headers.items():
        key = name.lower()
        if key in _FRAMING:
            # Host and the body's framing are this client's to write: a second Host or a
            # Content-Length beside Transfer-Encoding is how requests get smuggled.
            if key == "content-length" and body is not None and not isinstance(body, bytes):
                length = value
            continue
        lines.append(f"{name}: {value}")
    if isinstance(body, bytes):
        lines.append(f"Content-Length: {len(body)}")
    elif body is None:
        if request.method in ("POST", "PUT", "PATCH"):
            lines.append("Content-Length: 0")
    elif length is not None and _DIGITS.fullmatch(length):
        lines.append(f"Content-Length: {length}")
    else:
        lines.append("Transfer-Encoding: chunked")
    text = "\r\n".join(lines) + "\r\n\r\n"
    breaks = len(lines) + 1
    if text.count("\n") != breaks or text.count("\r") != breaks or "\0" in text:
        _refuse_line_breaks(request, path)  # a method, path, name or value holds one
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        # The caller's header bytes arrive as latin-1 text and go out as the same bytes;
        # text beyond latin-1 (a secret or a policy's value, say) goes out as UTF-8.
        return b"".join(_line_bytes(line) + b"\r\n" for line in lines) + b"\r\n"


@lru_cache(maxsize=1024)  # few upstreams, every call
def _host_line(scheme: str, host: str, port: int) -> str:
    default = 443 if scheme == "https" else 80
    if ":" in host:
        host = f"[{host}]"
    return f"Host: {host}" if port == default else f"Host: {host}:{port}"


def _refuse_line_breaks(request: UpstreamRequest, path: str) -> None:
    """Raise ``BadRequest`` naming the part of the request head with a line break."""
    _clean(request.method, "method")
    _clean(path, "path")
    for name, value in request.headers.items():
        if name.lower() not in _FRAMING:
            _clean(name, "header name")
            _clean(value, "header value")
    raise BadRequest("the outbound request head contains a line break")


def _line_bytes(line: str) -> bytes:
    try:
        return line.encode("latin-1")
    except UnicodeEncodeError:
        return line.encode("utf-8")


async def send_stream(conn: Connection, body: AsyncIterator[bytes], chunked: bool,
                      request: UpstreamRequest, deadline: float) -> bool:
    """Writes a streamed body; False when the upstream answered before it was all sent.

    An upstream may refuse an upload early (a 413, a 401) and stop reading: its answer
    is what the caller should get, so sending stops as soon as a final head is buffered.
    """
    transport = conn.transport
    assert transport is not None
    async for chunk in body:
        if not chunk:
            continue
        if conn.head:
            return False
        if chunked:
            transport.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        else:
            transport.write(chunk)
        # An upstream that stops reading the upload gets the read timeout, like silence.
        wait = min(request.timeouts.read, deadline - time.monotonic())
        if wait <= 0:
            raise TimeoutError
        await conn.drain(wait)
    if chunked:
        transport.write(b"0\r\n\r\n")
    return True


async def read_head(conn: Connection, request: UpstreamRequest, deadline: float
                    ) -> tuple[int, list[tuple[str, str]], bool]:
    """The final answer's status, headers and whether the connection may be kept.

    Interim answers (100 Continue, 103 Early Hints) are skipped. Anything that is not a
    well-formed HTTP/1.x head (``Connection.failure``) closes the connection and is an
    ``UpstreamUnreachable``: relaying it could split the answer toward the caller.
    """
    while not conn.head:
        if conn.failure is not None:
            conn.close()
            raise _malformed(conn.failure)
        if conn.closed:
            if not conn.received:
                raise Stale
            raise ConnectionResetError("the upstream closed mid-answer")
        wait = min(request.timeouts.read, deadline - time.monotonic())
        if wait <= 0:
            raise TimeoutError
        await conn.wait(wait)
    return conn.status, conn.headers, conn.keep_alive


def framing(method: str, status: int, headers: list[tuple[str, str]]
             ) -> tuple[int | None, bool]:
    """(length, chunked): length 0 for no body, None for until-close or chunked.

    Ambiguous framing is refused (RFC 9112 §6.3): Transfer-Encoding together with
    Content-Length, more than one Content-Length, a length that is not plain digits,
    or a transfer coding other than ``chunked`` alone. Two parties that read one
    message's length differently are how responses get split or smuggled.
    """
    if method == "HEAD" or status in _NO_BODY_STATUS or 100 <= status < 200:
        return 0, False
    lengths: list[str] = []
    codings: list[str] = []
    for name, value in headers:
        size = len(name)  # most names are neither: told apart without lower-casing
        if size == 14 and name.lower() == "content-length":
            lengths.append(value)
        elif size == 17 and name.lower() == "transfer-encoding":
            codings.append(value)
    if codings:
        if lengths:
            raise _malformed("both Transfer-Encoding and Content-Length")
        tokens = [token.strip().lower() for value in codings for token in value.split(",")]
        if tokens != ["chunked"]:
            raise _malformed(f"an unsupported transfer coding {', '.join(codings)!r}")
        return None, True
    if not lengths:
        return None, False
    if len(lengths) > 1:
        raise _malformed("more than one Content-Length")
    if not _DIGITS.fullmatch(lengths[0]):
        raise _malformed("an invalid Content-Length")
    return int(lengths[0]), False


class Body:
    """The answer's body as chunks, within the read timeout and size cap.

    llhttp de-chunks and frames it (``Connection.body``, ``done``); an answer with
    neither length nor chunks ends when the server closes (a reset there is a break).
    """

    def __init__(self, conn: Connection, until_close: bool, request: UpstreamRequest,
                 deadline: float, limit: int) -> None:
        self._conn = conn
        self._until_close = until_close
        self._read_timeout = request.timeouts.read
        self._deadline = deadline
        self._limit = limit
        self._seen = 0
        self._host = request.target.host
        self.finished = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    def _count(self, chunk: bytes) -> bytes:
        self._seen += len(chunk)
        if self._seen > self._limit:
            self._conn.close()
            raise UpstreamResponseTooLarge(
                f"the upstream {self._host!r} sent more than {self._limit} bytes")
        return chunk

    async def _chunks(self) -> AsyncIterator[bytes]:
        conn = self._conn
        while True:
            if conn.body:
                yield self._count(conn.take_body())
                continue
            if conn.done:
                break
            if conn.failure is not None:
                conn.close()
                raise UpstreamUnreachable(
                    f"the upstream {self._host!r} sent a malformed body ({conn.failure})",
                    details=[{"phase": "response", "reason": conn.failure}])
            if conn.closed:
                if self._until_close and conn.error is None and not conn.extra:
                    break  # the server closing is this answer's end
                conn.close()
                raise UpstreamUnreachable(f"the upstream {self._host!r} broke off mid-answer",
                                          details=[{"phase": "exchange"}])
            wait = min(self._read_timeout, self._deadline - time.monotonic())
            try:
                if wait <= 0:
                    raise TimeoutError
                await conn.wait(wait)
            except TimeoutError:
                conn.close()
                raise UpstreamTimeout(f"the upstream {self._host!r} stopped sending",
                                      details=[{"phase": "response"}]) from None
        self.finished = True
