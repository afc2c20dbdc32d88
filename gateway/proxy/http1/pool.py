"""The outbound client's connections, by origin, within limits.

An origin is the scheme, the vetted address and port, the host name (``Host``, TLS
server name, the certificate's expected name) and the TLS profile (a client
certificate's fingerprint, say): connections are never shared across any of these.

* At most ``per_origin`` connections to one origin and ``total`` in all are open
  (in use, idle or being opened). A call that finds its limit reached waits, up to the
  time it may spend connecting, for a connection to come back or close; when only the
  total is reached, an idle connection to another origin is closed to make room.
* Idle connections are reused most recently used first, and closed once idle for
  ``idle_seconds`` (when next touched, and by a sweep every ``idle_seconds``), since
  load balancers and NATs drop idle connections without telling anyone.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

from gateway.proxy.http1.connection import Connection

#: (scheme, vetted address, port, host name, TLS profile)
Origin = tuple[str, str, int, str, str]


class PoolTimeout(Exception):
    """No connection to the origin became free in time."""


class Pool:
    """Counts every open connection by origin and keeps the idle ones."""

    def __init__(self, *, per_origin: int, total: int, idle_seconds: float) -> None:
        self.per_origin = per_origin
        self.total = total
        self.idle_seconds = idle_seconds
        self._idle: dict[Origin, list[Connection]] = {}
        self._open: dict[Origin, int] = {}
        self._count = 0
        self._waiters: deque[tuple[Origin, asyncio.Future[None]]] = deque()
        self._sweep: asyncio.TimerHandle | None = None

    def open(self, origin: Origin | None = None) -> int:
        """Connections open to ``origin`` (or in all)."""
        return self._count if origin is None else self._open.get(origin, 0)

    def take_idle(self, origin: Origin) -> Connection | None:
        """An idle connection to ``origin`` if one is ready (the usual case), else None."""
        return self._take_idle(origin, time.monotonic())

    async def acquire(self, origin: Origin, timeout: float) -> Connection | None:
        """An idle connection to ``origin``, or None when a new one may be opened (its
        place is then counted: a ``closer`` must give it back).

        Raises:
            PoolTimeout: The limits stayed reached for ``timeout`` seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        while True:
            conn = self._take_idle(origin, time.monotonic())
            if conn is not None:
                return conn
            if self._make_room(origin):
                self._open[origin] = self._open.get(origin, 0) + 1
                self._count += 1
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PoolTimeout
            waiter: asyncio.Future[None] = loop.create_future()
            entry = (origin, waiter)
            self._waiters.append(entry)
            timer = loop.call_later(remaining, _expire, waiter)
            try:
                await waiter
            except TimeoutError:
                raise PoolTimeout from None
            finally:
                timer.cancel()
                if entry in self._waiters:
                    self._waiters.remove(entry)

    def closer(self, origin: Origin) -> _Closer:
        """The callback a new connection to ``origin`` calls when it closes; called
        without a connection when opening it failed (it counts once either way)."""
        return _Closer(self, origin)

    def forget(self, origin: Origin) -> None:
        """A counted connection went away (it closed, or could not be opened)."""
        left = self._open.get(origin, 0) - 1
        if left > 0:
            self._open[origin] = left
        else:
            self._open.pop(origin, None)
        self._count -= 1
        self._wake()

    def put(self, origin: Origin, conn: Connection) -> None:
        """Give back a connection that served an exchange cleanly."""
        now = time.monotonic()
        idle = self._idle.setdefault(origin, [])
        # Oldest first: drop the connections that expired or closed while idle.
        while idle and (idle[0].closed or idle[0].idle_since < now - self.idle_seconds):
            idle.pop(0).close()
        conn.idle_since = now
        idle.append(conn)
        if self._sweep is None:
            loop = conn.loop or asyncio.get_running_loop()
            self._sweep = loop.call_later(self.idle_seconds, self._sweep_idle)
        self._wake()

    def close(self) -> None:
        """Close every idle connection (those in use close when their exchange ends)."""
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        for idle in list(self._idle.values()):
            for conn in idle:
                conn.close()
        self._idle.clear()

    # -- inside -----------------------------------------------------------------------

    def _take_idle(self, origin: Origin, now: float) -> Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        oldest = now - self.idle_seconds
        while idle:
            conn = idle.pop()  # the most recently used first
            if not conn.closed and not conn.extra and conn.idle_since >= oldest:
                return conn
            conn.close()
        del self._idle[origin]  # hosts called once do not keep an entry forever
        return None

    def _make_room(self, origin: Origin) -> bool:
        if self._open.get(origin, 0) >= self.per_origin:
            return False
        if self._count < self.total:
            return True
        # The total is reached: close the longest idle connection to another origin.
        oldest: tuple[float, Origin] | None = None
        for other, idle in self._idle.items():
            if idle and other != origin and (oldest is None or idle[0].idle_since < oldest[0]):
                oldest = (idle[0].idle_since, other)
        if oldest is None:
            return False
        idle = self._idle[oldest[1]]
        idle.pop(0).close()
        if not idle:
            del self._idle[oldest[1]]
        return self._count < self.total

    def _wake(self) -> None:
        """Wake the first waiter that could go on now."""
        if not self._waiters:
            return
        spare = self._count < self.total or any(self._idle.values())
        for entry in self._waiters:
            origin, waiter = entry
            if waiter.done():
                continue
            if self._idle.get(origin) or (
                    spare and self._open.get(origin, 0) < self.per_origin):
                self._waiters.remove(entry)
                waiter.set_result(None)
                return

    def _sweep_idle(self) -> None:
        self._sweep = None
        now = time.monotonic()
        oldest = now - self.idle_seconds
        for origin in list(self._idle):
            idle = self._idle[origin]
            while idle and (idle[0].closed or idle[0].idle_since < oldest):
                idle.pop(0).close()
            if not idle:
                del self._idle[origin]
        if self._idle:
            self._sweep = asyncio.get_running_loop().call_later(self.idle_seconds,
                                                                self._sweep_idle)


class _Closer:
    """Gives a counted place back once: when its connection closes, or when it could not
    be opened at all (whichever the caller learns first)."""

    __slots__ = ("_done", "_origin", "_pool")

    def __init__(self, pool: Pool, origin: Origin) -> None:
        self._pool = pool
        self._origin = origin
        self._done = False

    def __call__(self, conn: Connection | None = None) -> None:
        if not self._done:
            self._done = True
            self._pool.forget(self._origin)


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())
