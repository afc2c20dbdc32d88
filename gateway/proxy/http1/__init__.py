"""A lean HTTP/1.1 client on asyncio protocols: every outbound call of the gateway.

aiohttp's client spent about three times its CPU per call (docs/proxy.md). This one
does only what the gateway needs: pooled keep-alive connections per origin within
limits (``pool.py``), requests written in one piece, answers parsed by llhttp
(``httptools``) as they arrive (``connection.py``), bodies read with flow control in
both directions (``messages.py``), HTTP and HTTPS (TLS with the URL's host as server
name, certificates verified against the system's CAs, or a request's own TLS profile:
a custom CA, a client certificate).

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
import time
from collections.abc import AsyncIterator

from gateway.errors import UpstreamTimeout, UpstreamUnreachable
from gateway.proxy.errors import UpstreamResponseTooLarge
from gateway.proxy.http1.connection import MAX_HEAD, Connection, Stale
from gateway.proxy.http1.messages import Body, framing, read_head, request_head, send_stream
from gateway.proxy.http1.pool import Origin, Pool, PoolTimeout
from gateway.proxy.upstream import BUFFER_LIMIT, UpstreamRequest, UpstreamResponse

__all__ = ["Http1Upstream", "default_tls"]

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_default_tls: ssl.SSLContext | None = None


def default_tls() -> ssl.SSLContext:
    """The system's trust store, verified (made once per process: loading it is slow)."""
    global _default_tls
    if _default_tls is None:
        _default_tls = ssl.create_default_context()
    return _default_tls


class Http1Upstream:
    """``UpstreamClient`` on plain asyncio connections (HTTP/1.1, keep-alive pools)."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None,
                 idle_seconds: float = 15.0, max_connections: int = 1024,
                 max_connections_per_origin: int = 256,
                 max_head_bytes: int = MAX_HEAD) -> None:
        """A client with empty pools.

        Args:
            ssl_context: TLS settings for https upstreams whose request names no TLS
                profile (default: the system's trust store, verified).
            idle_seconds: A pooled connection idle longer than this is not used again.
            max_connections: Connections open at once, to all origins.
            max_connections_per_origin: Connections open at once to one origin.
            max_head_bytes: The largest answer head (and chunked trailers) read.
        """
        self.pool = Pool(per_origin=max_connections_per_origin, total=max_connections,
                         idle_seconds=idle_seconds)
        self._ssl = ssl_context
        self._max_head = max_head_bytes

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        target = request.target
        tls = request.tls
        origin = (target.scheme, target.address, target.port, target.host,
                  tls.key if tls is not None else "")
        head = request_head(request)
        # A pooled connection the server closed is replaced only for an idempotent call:
        # a POST may have been read and acted on before the server hung up.
        replayable = request.method in _IDEMPOTENT and (
            request.body is None or isinstance(request.body, bytes))
        # Deadlines are on time.monotonic(): asking for the running loop's clock is a
        # getpid() system call each time.
        deadline = time.monotonic() + request.timeouts.total
        for _ in range(2):
            idle = self.pool.take_idle(origin)
            conn, reused = (idle, True) if idle is not None else await self._acquire(
                origin, request, deadline)
            try:
                return await self._exchange(conn, origin, head, request, deadline, reused)
            except Stale:
                conn.close()
                if not replayable:
                    raise UpstreamUnreachable(
                        f"the upstream {target.host!r} closed a kept-alive connection",
                        details=[{"phase": "exchange"}]) from None
        raise UpstreamUnreachable(f"the upstream {target.host!r} keeps closing connections",
                                  details=[{"phase": "exchange"}])

    async def _acquire(self, origin: Origin, request: UpstreamRequest,
                       deadline: float) -> tuple[Connection, bool]:
        loop = asyncio.get_running_loop()
        target = request.target
        timeout = min(request.timeouts.connect, max(0.0, deadline - time.monotonic()))
        pool = self.pool
        try:
            idle = await pool.acquire(origin, timeout)
        except PoolTimeout:
            raise UpstreamTimeout(
                f"no connection to the upstream {target.host!r} became free in time "
                f"({pool.open(origin)} open to it, {pool.open()} in all; limits "
                f"{pool.per_origin} and {pool.total})", details=[{"phase": "pool"}]) from None
        if idle is not None:
            return idle, True
        tls: ssl.SSLContext | None = None
        if target.scheme == "https":
            tls = request.tls.context if request.tls is not None else (
                self._ssl or default_tls())
        closer = pool.closer(origin)
        timeout = min(request.timeouts.connect, max(0.0, deadline - time.monotonic()))
        try:
            async with asyncio.timeout(timeout):
                _, conn = await loop.create_connection(
                    lambda: Connection(closer, self._max_head), host=target.address,
                    port=target.port, ssl=tls,
                    server_hostname=target.host if tls is not None else None)
        except TimeoutError:
            closer()
            raise UpstreamTimeout(f"the upstream {target.host!r} did not accept a connection "
                                  "in time", details=[{"phase": "connect"}]) from None
        except ssl.SSLError as exc:
            closer()
            raise UpstreamUnreachable(f"TLS with {target.host!r} failed ({exc.reason})",
                                      details=[{"phase": "tls"}]) from None
        except OSError as exc:
            closer()
            reason = ("connection refused" if isinstance(exc, ConnectionRefusedError)
                      else type(exc).__name__)
            raise UpstreamUnreachable(f"the upstream {target.host!r} could not be reached "
                                      f"({reason})", details=[{"phase": "connect"}]) from None
        except BaseException:
            closer()
            raise
        return conn, False

    async def _exchange(self, conn: Connection, origin: Origin, head: bytes,
                        request: UpstreamRequest, deadline: float,
                        reused: bool) -> UpstreamResponse:
        host = request.target.host
        transport = conn.transport
        assert transport is not None
        body = request.body
        complete = True
        conn.begin(head_only=request.method == "HEAD")
        try:
            if body is None or isinstance(body, bytes):
                transport.write(head + body if body else head)
            else:
                transport.write(head)
                try:
                    chunked = b"\r\nTransfer-Encoding: chunked\r\n" in head
                    complete = await send_stream(conn, body, chunked, request, deadline)
                except OSError:
                    if not conn.received:
                        raise
                    complete = False  # it answered, then hung up on the rest: relay that
            status, headers, _ = await read_head(conn, request, deadline)
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
        if not complete:
            conn.extra = True  # half a request body: the connection is unusable
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
        if conn.done and length is not None and length <= BUFFER_LIMIT:
            # The usual small answer came with its head: no need to wait for anything.
            content = conn.take_body() if length else b""
            self._release(origin, conn)
            return UpstreamResponse(status, headers, content=content)
        reader = Body(conn, length is None and not chunked, request, deadline, limit)
        if length is not None and length <= BUFFER_LIMIT:
            try:
                content = b"".join([chunk async for chunk in reader])
            except BaseException:
                conn.close()
                raise
            self._release(origin, conn)
            return UpstreamResponse(status, headers, content=content)

        released = False

        async def release() -> None:
            nonlocal released
            if released:
                return  # the stream's end and the response's aclose both call this
            released = True
            if reader.finished:
                self._release(origin, conn)
            else:
                conn.close()

        async def stream() -> AsyncIterator[bytes]:
            try:
                async for chunk in reader:
                    yield chunk
            finally:
                await release()

        return UpstreamResponse(status, headers, stream=stream(), _release=release)

    def _release(self, origin: Origin, conn: Connection) -> None:
        if conn.reusable():
            self.pool.put(origin, conn)
        else:
            conn.close()

    async def aclose(self) -> None:
        self.pool.close()
