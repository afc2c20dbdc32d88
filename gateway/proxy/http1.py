"""A lean HTTP/1.1 client on asyncio protocols: the data plane's default outbound client.

Measured against aiohttp on the proxy benchmark (docs/proxy.md), a proxied call spends most
of its time in the outbound client; this one does only what the proxy needs: keep-alive
pools per vetted address and server name, requests written in one piece, response heads
parsed once, bodies read with flow control in both directions, HTTP and HTTPS (TLS with
the URL's host as server name, certificates verified).

Framing follows RFC 9112: no body for HEAD, 1xx, 204 and 304; chunked; Content-Length;
otherwise until the server closes. A pooled connection that turns out closed before any
byte of the answer arrives is replaced once, when the request body can be sent again.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from gateway.errors import BadRequest, UpstreamTimeout, UpstreamUnreachable
from gateway.proxy.errors import UpstreamResponseTooLarge
from gateway.proxy.upstream import BUFFER_LIMIT, UpstreamRequest, UpstreamResponse

_MAX_HEAD = 64 * 1024
_HIGH_WATER = 256 * 1024  # pause reading the socket above this much unread data
_IDLE_PER_KEY = 64
_NO_BODY_STATUS = frozenset({204, 304})


class _Stale(Exception):
    """A pooled connection was closed before the answer began."""


class _Conn(asyncio.Protocol):
    """One connection: bytes in a buffer, waiters woken as they arrive."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.closed = False
        self.error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._paused = False

    # -- protocol callbacks -----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, but behave as one.
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _HIGH_WATER and not self._paused and self.transport:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.error = exc
        self._wake()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def pause_writing(self) -> None:
        self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        self._drained = None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # -- used by the client -----------------------------------------------------------

    async def drain(self) -> None:
        if self.closed:
            raise ConnectionResetError("the upstream closed the connection")
        if self._drained is not None:
            await self._drained

    async def wait(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for more data or the end of the stream."""
        if self.closed:
            return
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(timeout):
                await self._waiter
        finally:
            self._waiter = None

    def take(self, size: int | None = None) -> bytes:
        if size is None or size >= len(self.buffer):
            data = bytes(self.buffer)
            self.buffer.clear()
        else:
            data = bytes(self.buffer[:size])
            del self.buffer[:size]
        if self._paused and len(self.buffer) < _HIGH_WATER and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return data

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Http1Upstream:
    """``UpstreamClient`` on plain asyncio connections (HTTP/1.1, keep-alive pools)."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._idle: dict[tuple[str, str, int, str], list[_Conn]] = {}
        self._ssl = ssl_context

    def _tls(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        target = request.target
        key = (target.scheme, target.address, target.port, target.host)
        head = _request_head(request)
        replayable = request.body is None or isinstance(request.body, bytes)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + request.timeouts.total
        for _ in range(2):
            conn, reused = await self._acquire(key, request, deadline)
            try:
                return await self._exchange(conn, key, head, request, deadline, reused)
            except _Stale:
                conn.close()
                if not replayable:
                    raise UpstreamUnreachable(
                        f"the upstream {target.host!r} closed a kept-alive connection",
                        details=[{"phase": "exchange"}]) from None
        raise UpstreamUnreachable(f"the upstream {target.host!r} keeps closing connections",
                                  details=[{"phase": "exchange"}])

    async def _acquire(self, key: tuple[str, str, int, str], request: UpstreamRequest,
                       deadline: float) -> tuple[_Conn, bool]:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if not conn.closed and not conn.buffer:
                return conn, True
            conn.close()
        target = request.target
        loop = asyncio.get_running_loop()
        timeout = min(request.timeouts.connect, max(0.0, deadline - loop.time()))
        try:
            async with asyncio.timeout(timeout):
                _, conn = await loop.create_connection(
                    _Conn, host=target.address, port=target.port,
                    ssl=self._tls() if target.scheme == "https" else None,
                    server_hostname=target.host if target.scheme == "https" else None)
        except TimeoutError:
            raise UpstreamTimeout(f"the upstream {target.host!r} did not accept a connection "
                                  "in time", details=[{"phase": "connect"}]) from None
        except ssl.SSLError as exc:
            raise UpstreamUnreachable(f"TLS with {target.host!r} failed ({exc.reason})",
                                      details=[{"phase": "tls"}]) from None
        except OSError as exc:
            reason = ("connection refused" if isinstance(exc, ConnectionRefusedError)
                      else type(exc).__name__)
            raise UpstreamUnreachable(f"the upstream {target.host!r} could not be reached "
                                      f"({reason})", details=[{"phase": "connect"}]) from None
        return conn, False

    async def _exchange(self, conn: _Conn, key: tuple[str, str, int, str], head: bytes,
                        request: UpstreamRequest, deadline: float,
                        reused: bool) -> UpstreamResponse:
        host = request.target.host
        transport = conn.transport
        assert transport is not None
        body = request.body
        try:
            if body is None or isinstance(body, bytes):
                transport.write(head + body if body else head)
            else:
                transport.write(head)
                await _send_stream(conn, body, "content-length" not in request.headers)
            status, headers, keep = await _read_head(conn, request, deadline)
        except _Stale:
            if reused:
                raise
            raise UpstreamUnreachable(f"the upstream {host!r} closed the connection without "
                                      "answering", details=[{"phase": "exchange"}]) from None
        except TimeoutError:
            conn.close()
            raise UpstreamTimeout(f"the upstream {host!r} did not answer in time",
                                  details=[{"phase": "response"}]) from None
        except OSError as exc:
            conn.close()
            raise UpstreamUnreachable(f"the upstream {host!r} broke off ({type(exc).__name__})",
                                      details=[{"phase": "exchange"}]) from None
        except BaseException:
            conn.close()  # the caller went away mid-upload, or worse: never reuse it
            raise
        length, chunked = _framing(request.method, status, headers)
        limit = request.max_response_bytes
        if length is not None and length > limit:
            conn.close()
            raise UpstreamResponseTooLarge(
                f"the upstream {host!r} answered {length} bytes; the limit is {limit}")
        if length == 0:
            self._release(key, conn, keep)
            return UpstreamResponse(status, headers, content=b"")
        reader = _Body(conn, length, chunked, request, deadline, limit)
        if length is not None and length <= BUFFER_LIMIT:
            try:
                content = b"".join([chunk async for chunk in reader])
            except BaseException:
                conn.close()
                raise
            self._release(key, conn, keep)
            return UpstreamResponse(status, headers, content=content)

        released = False

        async def release() -> None:
            nonlocal released
            if released:
                return  # the stream's end and the response's aclose both call this
            released = True
            if reader.finished:
                self._release(key, conn, keep)
            else:
                conn.close()

        async def stream() -> AsyncIterator[bytes]:
            try:
                async for chunk in reader:
                    yield chunk
            finally:
                await release()

        return UpstreamResponse(status, headers, stream=stream(), _release=release)

    def _release(self, key: tuple[str, str, int, str], conn: _Conn, keep: bool) -> None:
        if not keep or conn.closed or conn.buffer:
            conn.close()
            return
        idle = self._idle.setdefault(key, [])
        if len(idle) >= _IDLE_PER_KEY:
            conn.close()
        else:
            idle.append(conn)

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()


def _clean(text: str, what: str) -> str:
    if "\r" in text or "\n" in text or "\0" in text:
        raise BadRequest(f"the outbound {what} contains a line break")
    return text


def _request_head(request: UpstreamRequest) -> bytes:
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


async def _send_stream(conn: _Conn, body: AsyncIterator[bytes], chunked: bool) -> None:
    transport = conn.transport
    assert transport is not None
    async for chunk in body:
        if not chunk:
            continue
        if chunked:
            transport.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        else:
            transport.write(chunk)
        await conn.drain()
    if chunked:
        transport.write(b"0\r\n\r\n")


async def _read_head(conn: _Conn, request: UpstreamRequest, deadline: float
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
                    raise _Stale
                raise ConnectionResetError("the upstream closed mid-answer")
            wait = min(request.timeouts.read, deadline - loop.time())
            if wait <= 0:
                raise TimeoutError
            await conn.wait(wait)
            end = conn.buffer.find(b"\r\n\r\n")
        raw = conn.take(end + 4)
        lines = raw[:-4].decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code = rest.partition(" ")[0]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            conn.close()
            raise UpstreamUnreachable("the upstream did not answer in HTTP/1.x",
                                      details=[{"phase": "exchange"}])
        status = int(code)
        if 100 <= status < 200 and status != 101:
            started = True
            continue  # an interim answer (100 Continue, 103 Early Hints)
        headers: list[tuple[str, str]] = []
        keep = version == "HTTP/1.1"
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip()
            value = value.strip()
            headers.append((name, value))
            if name.lower() == "connection":
                tokens = value.lower()
                if "close" in tokens:
                    keep = False
                elif "keep-alive" in tokens:
                    keep = True
        return status, headers, keep


def _framing(method: str, status: int, headers: list[tuple[str, str]]
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


class _Body:
    """The answer's body as chunks, de-chunked, within the read timeout and size cap."""

    def __init__(self, conn: _Conn, length: int | None, chunked: bool,
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
