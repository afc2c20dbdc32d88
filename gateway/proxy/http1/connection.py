"""One outbound HTTP/1.1 connection: an asyncio protocol that feeds llhttp as bytes arrive.

Each exchange starts with ``begin``, which gives the connection a fresh response parser
(``httptools``, llhttp in its strict mode). As bytes arrive the parser fills in the
final answer's head (``status``, ``headers``, ``keep_alive``), appends de-chunked body
bytes to ``body`` and sets ``done`` at the message's end; anything llhttp or the checks
below refuse sets ``failure`` and the connection is never used again. Readers ``wait``
for a change; reading pauses above ``HIGH_WATER`` unread body bytes and resumes as they
are taken, so a slow consumer slows the upstream instead of filling memory. Writers
``drain`` when the socket's buffer is full.

llhttp refuses what the old hand-written reader did (bare LF line ends, folded,
nameless or control-character header lines, several or malformed ``Content-Length``
values, ``Transfer-Encoding`` with ``Content-Length``, bad chunk sizes and chunk ends);
the checks here add what llhttp lets through: a status outside 100-599, another HTTP
version than 1.0 and 1.1, a control character in the reason phrase, an unrequested
101, too large or too many header lines, too many interim answers and too large
trailers.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import httptools

HIGH_WATER = 256 * 1024  # pause reading the socket above this much unread body
MAX_HEAD = 64 * 1024  # default: bytes in the answer's head, interim answers included (and
#                      in a chunked body's trailers)
MAX_HEADERS = 200  # header lines in one head
MAX_INTERIM = 16  # 1xx answers before the final one
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


class Stale(Exception):
    """A pooled connection was closed before the answer began."""


class _Refused(Exception):
    """Raised in a parser callback: the answer is malformed (``what`` says how)."""


class Connection(asyncio.Protocol):
    """One connection to one upstream origin; ``on_close`` is called once when it closes."""

    def __init__(self, on_close: Callable[[Connection], None] | None = None,
                 max_head: int = MAX_HEAD) -> None:
        self.transport: asyncio.Transport | None = None
        # The loop it runs on, kept: asyncio.get_running_loop() is a getpid() system call
        # each time, and the exchange would ask for it several times per call.
        self.loop: asyncio.AbstractEventLoop | None = None
        self.closed = False
        self.error: BaseException | None = None
        self.idle_since = 0.0  # time.monotonic() when it was last put back in the pool
        self._on_close = on_close
        self._max_head = max_head
        self._waiter: asyncio.Future[None] | None = None
        self._writable = True
        self._drainer: asyncio.Future[None] | None = None
        self._paused = False
        # The exchange in progress (``begin`` resets it).
        self._parser: httptools.HttpResponseParser | None = None
        self._head_only = False
        self._head_bytes = 0  # bytes received before the final head was complete
        self._field_bytes = 0  # bytes of header lines parsed
        self._interim = 0
        self._trailer_bytes = 0
        self.received = 0  # bytes of this exchange's answer so far
        self.status = 0
        self.headers: list[tuple[str, str]] = []
        self.head = False  # the final answer's head is complete
        self.keep_alive = False
        self.body = bytearray()
        self.done = True  # the answer ended (True between exchanges: data then is extra)
        self.extra = False  # bytes the exchange did not ask for: never reuse
        self.failure: str | None = None

    def begin(self, head_only: bool) -> None:
        """Start reading a new answer (``head_only``: the answer to a HEAD has no body)."""
        self._parser = httptools.HttpResponseParser(self)
        self._head_only = head_only
        self._head_bytes = self._field_bytes = self._interim = self._trailer_bytes = 0
        self.received = 0
        self.status = 0
        self.headers = []
        self.head = self.keep_alive = self.done = False
        self.body.clear()

    # -- protocol callbacks -----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, but behave as one.
        self.transport = transport  # type: ignore[assignment]
        self.loop = asyncio.get_running_loop()

    def data_received(self, data: bytes) -> None:
        parser = self._parser
        if parser is None or self.done or self.failure is not None:
            self.extra = True  # unasked bytes: an idle connection is not reused
            self._wake()
            return
        self.received += len(data)
        try:
            parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.failure = "an unrequested 101 Switching Protocols"
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__ if isinstance(exc.__context__, _Refused) else exc
            self.failure = str(cause)
        except _Refused as exc:
            self.failure = str(exc)
        except httptools.HttpParserError as exc:
            self.failure = str(exc) or type(exc).__name__
        if self.failure is None and not self.head:
            self._head_bytes += len(data)
            if self._head_bytes > self._max_head:
                self.failure = "the response head is too large"
        if len(self.body) > HIGH_WATER and not self._paused and self.transport:
            self._paused = True
            self.transport.pause_reading()
        self._wake()
        self._wake_drainer()  # an upload blocked on a full socket may have its answer

    def eof_received(self) -> bool:
        self._closing()
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.error = exc
        self._closing()
        self._wake()
        self._wake_drainer()

    def pause_writing(self) -> None:
        self._writable = False

    def resume_writing(self) -> None:
        self._writable = True
        self._wake_drainer()

    # -- llhttp callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self.head:
            self.extra = True  # a second answer to one request
        self.headers = []

    def on_status(self, reason: bytes) -> None:
        if _CONTROL.search(reason):
            raise _Refused("a control character in the status line")

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.head:  # trailers: dropped (the head was relayed already), but bounded
            self._trailer_bytes += len(name) + len(value) + 4
            if self._trailer_bytes > self._max_head:
                raise _Refused("trailers too large")
            return
        headers = self.headers
        size = self._field_bytes = self._field_bytes + len(name) + len(value) + 4
        if size > self._max_head or len(headers) >= MAX_HEADERS:  # one piece, too large
            raise _Refused("too many header lines" if len(headers) >= MAX_HEADERS
                           else "the response head is too large")
        headers.append((name.decode("latin-1"), value.decode("latin-1").rstrip(" \t")))

    def on_headers_complete(self) -> None:
        parser = self._parser
        assert parser is not None
        status = parser.get_status_code()
        if parser.get_http_version() not in ("1.1", "1.0") or not 100 <= status <= 599:
            raise _Refused("not an HTTP/1.x status line")
        if status == 101:
            raise _Refused("an unrequested 101 Switching Protocols")
        if status < 200:
            self._interim += 1
            if self._interim > MAX_INTERIM:
                raise _Refused("too many interim answers")
            return  # an interim answer (100 Continue, 103 Early Hints): skipped
        self.status = status
        self.head = True
        if self._head_only:
            # llhttp does not know the request was a HEAD: the answer ends here.
            self.keep_alive = _keeps(parser.get_http_version(), self.headers)
            self.done = True
        else:
            self.keep_alive = parser.should_keep_alive()

    def on_body(self, data: bytes) -> None:
        if self.done:
            self.extra = True  # a body to a HEAD
            return
        self.body += data

    def on_message_complete(self) -> None:
        if self.head:
            self.done = True

    # -- used by the client -----------------------------------------------------------

    def _closing(self) -> None:
        if not self.closed:
            self.closed = True
            if self._on_close is not None:
                self._on_close(self)

    def _wake_drainer(self) -> None:
        if self._drainer is not None and not self._drainer.done():
            self._drainer.set_result(None)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def drain(self, timeout: float) -> None:
        """Wait until the socket takes more or the upstream sends something (an early
        answer to check for), up to ``timeout`` seconds."""
        if self.closed:
            raise ConnectionResetError("the upstream closed the connection")
        if self._writable:
            return
        loop = self.loop or asyncio.get_running_loop()
        drainer = self._drainer = loop.create_future()
        timer = loop.call_later(timeout, _expire, drainer)
        try:
            await drainer
        finally:
            timer.cancel()
            self._drainer = None

    async def wait(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for more of the answer or the end of the stream."""
        if self.closed:
            return
        loop = self.loop or asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        # A bare timer is much cheaper than asyncio.timeout() on this per-read path.
        timer = loop.call_later(timeout, _expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def take_body(self) -> bytes:
        """The body bytes received so far (and not taken yet)."""
        data = bytes(self.body)
        self.body.clear()
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return data

    def reusable(self) -> bool:
        """Whether the exchange ended cleanly and the connection may serve another."""
        return (self.done and self.keep_alive and not self.closed and not self.extra
                and self.failure is None and not self.body)

    def close(self) -> None:
        self._closing()
        if self.transport is not None:
            # abort, not close: a dropped connection's unsent bytes are not wanted, and a
            # peer that stopped reading must not keep the socket open.
            self.transport.abort()


def _keeps(version: str, headers: list[tuple[str, str]]) -> bool:
    """Whether the connection stays open after this head (RFC 9112 §9.3)."""
    keep = version == "1.1"
    for name, value in headers:
        if name.lower() == "connection":
            tokens = {token.strip().lower() for token in value.split(",")}
            if "close" in tokens:
                return False
            if "keep-alive" in tokens:
                keep = True
    return keep


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())
