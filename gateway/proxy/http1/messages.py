"""HTTP/1.1 messages on a ``Connection``: the request head, the answer's head, its framing
(RFC 9112: none for HEAD, 1xx, 204 and 304; chunked; Content-Length; else until close)
and its body as chunks within the read timeout and the size cap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from gateway.errors import BadRequest, UpstreamTimeout, UpstreamUnreachable
from gateway.proxy.errors import UpstreamResponseTooLarge
from gateway.proxy.http1.connection import Connection, Stale
from gateway.proxy.upstream import UpstreamRequest

_MAX_HEAD = 64 * 1024
_NO_BODY_STATUS = frozenset({204, 304})


def _clean(text: str, what: str) -> str:
    if "\r" in text or "\n" in text or "\0" in text:
        raise BadRequest(f"the outbound {what} contains a line break")
    return text


def request_head(request: UpstreamRequest) -> bytes:
    target = request.target
    parts = urlsplit(target.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = 443 if target.scheme == "https" else 80
    host = target.host if target.port == default else f"{target.host}:{target.port}"
    if ":" in target.host and target.port == default:
        host = f"[{target.host}]"
    elif ":" in target.host:
        host = f"[{target.host}]:{target.port}"
    lines = [f"{_clean(request.method, 'method')} {_clean(path, 'path')} HTTP/1.1",
             f"Host: {host}"]
    for name, value in request.headers.items():
        lines.append(f"{_clean(name, 'header name')}: {_clean(value, 'header value')}")
    body = request.body
    if isinstance(body, bytes):
        lines.append(f"Content-Length: {len(body)}")
    elif body is None:
        if request.method in ("POST", "PUT", "PATCH"):
            lines.append("Content-Length: 0")
    elif "content-length" not in request.headers:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def send_stream(conn: Connection, body: AsyncIterator[bytes], chunked: bool,
                      request: UpstreamRequest, deadline: float) -> None:
    transport = conn.transport
    assert transport is not None
    async for chunk in body:
        if not chunk:
            continue
        if chunked:
            transport.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        else:
            transport.write(chunk)
        # An upstream that stops reading the upload gets the read timeout, like silence.
        wait = min(request.timeouts.read, deadline - asyncio.get_running_loop().time())
        if wait <= 0:
            raise TimeoutError
        await conn.drain(wait)
    if chunked:
        transport.write(b"0\r\n\r\n")


async def read_head(conn: Connection, request: UpstreamRequest, deadline: float
                     ) -> tuple[int, list[tuple[str, str]], bool]:
    loop = asyncio.get_running_loop()
    started = False
    while True:
        end = conn.buffer.find(b"\r\n\r\n")
        while end < 0:
            if len(conn.buffer) > _MAX_HEAD:
                conn.close()
                raise UpstreamUnreachable("the upstream's response head is too large",
                                          details=[{"phase": "exchange"}])
            started = started or bool(conn.buffer)
            if conn.closed:
                if not started:
                    raise Stale
                raise ConnectionResetError("the upstream closed mid-answer")
            wait = min(request.timeouts.read, deadline - loop.time())
            if wait <= 0:
                raise TimeoutError
            await conn.wait(wait)
            end = conn.buffer.find(b"\r\n\r\n")
        raw = conn.take(end + 4)
        lines = raw[:-4].decode("latin-1").split("\r\n")
        status_line = lines[0]
        version = status_line[:8]
        code = status_line[9:12]
        if not version.startswith("HTTP/1.") or not code.isdigit() or (
                status_line[8:9] != " "):
            conn.close()
            raise UpstreamUnreachable("the upstream did not answer in HTTP/1.x",
                                      details=[{"phase": "exchange"}])
        status = int(code)
        if 100 <= status < 200 and status != 101:
            started = True
            continue  # an interim answer (100 Continue, 103 Early Hints)
        keep = version == "HTTP/1.1"
        headers = [_header(line) for line in lines[1:]]
        if b"connection:" in raw.lower():
            for name, value in headers:
                if name.lower() == "connection":
                    tokens = value.lower()
                    if "close" in tokens:
                        keep = False
                    elif "keep-alive" in tokens:
                        keep = True
        return status, headers, keep


def _header(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name.rstrip(), value.strip()


def framing(method: str, status: int, headers: list[tuple[str, str]]
             ) -> tuple[int | None, bool]:
    """(length, chunked): length 0 for no body, None for until-close or chunked."""
    if method == "HEAD" or status in _NO_BODY_STATUS or 100 <= status < 200:
        return 0, False
    length: int | None = None
    for name, value in headers:
        key = name.lower()
        if key == "transfer-encoding" and "chunked" in value.lower():
            return None, True
        if key == "content-length" and value.isdigit():
            length = int(value)
    return length, False


class Body:
    """The answer's body as chunks, de-chunked, within the read timeout and size cap."""

    def __init__(self, conn: Connection, length: int | None, chunked: bool,
                 request: UpstreamRequest, deadline: float, limit: int) -> None:
        self._conn = conn
        self._left = length
        self._chunked = chunked
        self._read_timeout = request.timeouts.read
        self._deadline = deadline
        self._limit = limit
        self._seen = 0
        self._host = request.target.host
        self.finished = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _need(self, size: int = 1) -> None:
        """Wait until at least ``size`` bytes are buffered."""
        conn = self._conn
        loop = asyncio.get_running_loop()
        while len(conn.buffer) < size:
            if conn.closed:
                raise EOFError
            wait = min(self._read_timeout, self._deadline - loop.time())
            try:
                if wait <= 0:
                    raise TimeoutError
                await conn.wait(wait)
            except TimeoutError:
                conn.close()
                raise UpstreamTimeout(f"the upstream {self._host!r} stopped sending") from None

    def _count(self, chunk: bytes) -> bytes:
        self._seen += len(chunk)
        if self._seen > self._limit:
            self._conn.close()
            raise UpstreamResponseTooLarge(
                f"the upstream {self._host!r} sent more than {self._limit} bytes")
        return chunk

    async def _chunks(self) -> AsyncIterator[bytes]:
        conn = self._conn
        try:
            if self._chunked:
                async for piece in self._dechunked():
                    yield piece
            elif self._left is not None:
                while self._left > 0:
                    await self._need()
                    piece = conn.take(self._left)
                    self._left -= len(piece)
                    yield self._count(piece)
            else:
                while True:
                    try:
                        await self._need()
                    except EOFError:
                        break  # the server closing is this answer's end
                    yield self._count(conn.take())
        except EOFError:
            conn.close()
            raise UpstreamUnreachable(f"the upstream {self._host!r} broke off mid-answer",
                                      details=[{"phase": "exchange"}]) from None
        self.finished = True

    async def _dechunked(self) -> AsyncIterator[bytes]:
        conn = self._conn
        while True:
            end = conn.buffer.find(b"\r\n")
            while end < 0:
                await self._need(len(conn.buffer) + 1)
                end = conn.buffer.find(b"\r\n")
            size_line = conn.take(end + 2)[:-2].split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                conn.close()
                raise UpstreamUnreachable(f"the upstream {self._host!r} sent a bad chunk",
                                          details=[{"phase": "exchange"}]) from None
            if size == 0:
                # Trailers (ignored) end with an empty line.
                while True:
                    end = conn.buffer.find(b"\r\n")
                    while end < 0:
                        await self._need(len(conn.buffer) + 1)
                        end = conn.buffer.find(b"\r\n")
                    if not conn.take(end + 2)[:-2]:
                        return
            while size > 0:
                await self._need()
                piece = conn.take(size)
                size -= len(piece)
                yield self._count(piece)
            await self._need(2)
            conn.take(2)
