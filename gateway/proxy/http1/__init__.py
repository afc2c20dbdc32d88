"""A lean HTTP/1.1 client on asyncio protocols: the data plane's default outbound client.

aiohttp's client spends about three times its CPU per call (docs/proxy.md). This one
does only what the proxy needs: keep-alive pools per vetted address and server name,
requests written in one piece, response heads parsed once, bodies read with flow
control in both directions (``connection.py``, ``messages.py``), HTTP and HTTPS (TLS
with the URL's host as server name, certificates verified).

Framing follows RFC 9112: no body for HEAD, 1xx, 204 and 304; chunked; Content-Length;
otherwise until the server closes (a reset there is a break, not the end). Framing that
two parties could read differently (Transfer-Encoding with Content-Length, two lengths,
a bad chunk) and malformed heads are refused, never relayed. A pooled connection that
turns out closed before any byte of the answer arrives is replaced once, when the call
is idempotent and its body can be sent again; otherwise the caller gets a 502.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

from gateway.errors import UpstreamTimeout, UpstreamUnreachable
from gateway.proxy.errors import UpstreamResponseTooLarge
from gateway.proxy.http1.connection import Connection, Stale
from gateway.proxy.http1.messages import Body, framing, read_head, request_head, send_stream
from gateway.proxy.upstream import BUFFER_LIMIT, UpstreamRequest, UpstreamResponse

__all__ = ["Http1Upstream"]

_IDLE_PER_KEY = 64
_IDLE_SECONDS = 15.0
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


class Http1Upstream:
    """``UpstreamClient`` on plain asyncio connections (HTTP/1.1, keep-alive pools)."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None,
                 idle_seconds: float = _IDLE_SECONDS) -> None:
        """A client with empty pools.

        Args:
            ssl_context: TLS settings for https upstreams (default: system trust, verified).
            idle_seconds: A pooled connection idle longer than this is not used again:
                load balancers and NATs drop idle connections without telling anyone,
                and a request written into such a connection only ends at the timeout.
        """
        self._idle: dict[tuple[str, str, int, str], list[Connection]] = {}
        self._ssl = ssl_context
        self._idle_seconds = idle_seconds

    def _tls(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        target = request.target
        key = (target.scheme, target.address, target.port, target.host)
        head = request_head(request)
        # A pooled connection the server closed is replaced only for an idempotent call:
        # a POST may have been read and acted on before the server hung up.
        replayable = request.method in _IDEMPOTENT and (
            request.body is None or isinstance(request.body, bytes))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + request.timeouts.total
        for _ in range(2):
            conn, reused = await self._acquire(key, request, deadline)
            try:
                return await self._exchange(conn, key, head, request, deadline, reused)
            except Stale:
                conn.close()
                if not replayable:
                    raise UpstreamUnreachable(
                        f"the upstream {target.host!r} closed a kept-alive connection",
                        details=[{"phase": "exchange"}]) from None
        raise UpstreamUnreachable(f"the upstream {target.host!r} keeps closing connections",
                                  details=[{"phase": "exchange"}])

    async def _acquire(self, key: tuple[str, str, int, str], request: UpstreamRequest,
                       deadline: float) -> tuple[Connection, bool]:
        idle = self._idle.get(key)
        loop = asyncio.get_running_loop()
        oldest = loop.time() - self._idle_seconds
        while idle:
            conn = idle.pop()  # the most recently used first
            if not conn.closed and not conn.buffer and conn.idle_since >= oldest:
                return conn, True
            conn.close()
        if idle is not None:
            del self._idle[key]  # hosts called once do not keep an entry forever
        target = request.target
        timeout = min(request.timeouts.connect, max(0.0, deadline - loop.time()))
        try:
            async with asyncio.timeout(timeout):
                _, conn = await loop.create_connection(
                    Connection, host=target.address, port=target.port,
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

    async def _exchange(self, conn: Connection, key: tuple[str, str, int, str], head: bytes,
                        request: UpstreamRequest, deadline: float,
                        reused: bool) -> UpstreamResponse:
        host = request.target.host
        transport = conn.transport
        assert transport is not None
        body = request.body
        complete = True
        try:
            if body is None or isinstance(body, bytes):
                transport.write(head + body if body else head)
            else:
                transport.write(head)
                try:
                    chunked = b"\r\nTransfer-Encoding: chunked\r\n" in head
                    complete = await send_stream(conn, body, chunked, request, deadline)
                except OSError:
                    if not conn.buffer:
                        raise
                    complete = False  # it answered, then hung up on the rest: relay that
            status, headers, keep = await read_head(conn, request, deadline)
            keep = keep and complete  # half a request body: the connection is unusable
        except Stale:
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
        try:
            length, chunked = framing(request.method, status, headers)
        except UpstreamUnreachable:
            conn.close()  # framing this client cannot trust: the connection is done
            raise
        limit = request.max_response_bytes
        if length is not None and length > limit:
            conn.close()
            raise UpstreamResponseTooLarge(
                f"the upstream {host!r} answered {length} bytes; the limit is {limit}")
        if length == 0:
            self._release(key, conn, keep)
            return UpstreamResponse(status, headers, content=b"")
        if length is not None and len(conn.buffer) >= length and length <= BUFFER_LIMIT:
            # The usual small answer came with its head: no need to wait for anything.
            content = conn.take(length)
            self._release(key, conn, keep)
            return UpstreamResponse(status, headers, content=content)
        reader = Body(conn, length, chunked, request, deadline, limit)
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

    def _release(self, key: tuple[str, str, int, str], conn: Connection, keep: bool) -> None:
        if not keep or conn.closed or conn.buffer:
            conn.close()
            return
        idle = self._idle.setdefault(key, [])
        now = asyncio.get_running_loop().time()
        # Oldest first: drop the connections that expired or closed while idle.
        while idle and (idle[0].closed or idle[0].idle_since < now - self._idle_seconds):
            idle.pop(0).close()
        if len(idle) >= _IDLE_PER_KEY:
            conn.close()
        else:
            conn.idle_since = now
            idle.append(conn)

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
