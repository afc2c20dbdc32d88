"""One outbound HTTP/1.1 connection: an asyncio protocol with a buffer and flow control.

Bytes arrive into ``buffer``; readers ``wait`` for more; reading pauses above
``HIGH_WATER`` unread bytes and resumes as they are taken, so a slow consumer slows the
upstream instead of filling memory. Writers ``drain`` when the socket's buffer is full.
"""

from __future__ import annotations

import asyncio

HIGH_WATER = 256 * 1024  # pause reading the socket above this much unread data


class Stale(Exception):
    """A pooled connection was closed before the answer began."""


class Connection(asyncio.Protocol):
    """One connection: bytes in a buffer, waiters woken as they arrive."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.closed = False
        self.error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._writable = True
        self._drainer: asyncio.Future[None] | None = None
        self._paused = False
        self.idle_since = 0.0  # the loop's time when it was last put back in the pool

    # -- protocol callbacks -----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, but behave as one.
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > HIGH_WATER and not self._paused and self.transport:
            self._paused = True
            self.transport.pause_reading()
        self._wake()
        self._wake_drainer()  # an upload blocked on a full socket may have its answer

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.error = exc
        self._wake()
        self._wake_drainer()

    def pause_writing(self) -> None:
        self._writable = False

    def resume_writing(self) -> None:
        self._writable = True
        self._wake_drainer()

    def _wake_drainer(self) -> None:
        if self._drainer is not None and not self._drainer.done():
            self._drainer.set_result(None)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # -- used by the client -----------------------------------------------------------

    async def drain(self, timeout: float) -> None:
        """Wait until the socket takes more or the upstream sends something (an early
        answer to check for), up to ``timeout`` seconds."""
        if self.closed:
            raise ConnectionResetError("the upstream closed the connection")
        if self._writable:
            return
        loop = asyncio.get_running_loop()
        drainer = self._drainer = loop.create_future()
        timer = loop.call_later(timeout, _expire, drainer)
        try:
            await drainer
        finally:
            timer.cancel()
            self._drainer = None

    async def wait(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for more data or the end of the stream."""
        if self.closed:
            return
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        # A bare timer is much cheaper than asyncio.timeout() on this per-read path.
        timer = loop.call_later(timeout, _expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def take(self, size: int | None = None) -> bytes:
        if size is None or size >= len(self.buffer):
            data = bytes(self.buffer)
            self.buffer.clear()
        else:
            data = bytes(self.buffer[:size])
            del self.buffer[:size]
        if self._paused and len(self.buffer) < HIGH_WATER and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return data

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            # abort, not close: a dropped connection's unsent bytes are not wanted, and a
            # peer that stopped reading must not keep the socket open.
            self.transport.abort()


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())
