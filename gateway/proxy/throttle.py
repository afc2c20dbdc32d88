"""Per-connection throttling: fixed windows, counted where every gateway process sees them.

A connection may make ``limit`` calls in each window of ``period`` seconds (windows start
at multiples of the period on the wall clock, so every process agrees on them). Counters
live in Redis when ``redis.url`` is set, else in PostgreSQL's ``rate_counters`` table when
that is the database, else in this process. A refused call learns how long until the
window turns (``Retry-After``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

import redis.exceptions
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gateway.errors import StoreError
from gateway.logging import get_logger
from gateway.store.database import Database
from gateway.store.tables import rate_counters

log = get_logger("portway.throttle")

Clock = Callable[[], float]


class Throttle(Protocol):
    """Counts calls per key; says whether one more is allowed."""

    async def hit(self, key: str, limit: int, period: float) -> float | None:
        """Count a call; None when allowed, else the seconds until it would be."""
        ...

    async def aclose(self) -> None: ...


def _window(now: float, period: float) -> tuple[int, float]:
    index = int(now // period)
    return index, (index + 1) * period - now


@lru_cache(maxsize=4096)  # few keys (a connection's, its callers'), on every call
def _key(key: str, period: float) -> str:
    return f"{key}|{period:g}"


class LocalThrottle:
    """Counters in this process only (the embedded SQLite setup runs one process)."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._counts: dict[str, tuple[int, int]] = {}

    async def hit(self, key: str, limit: int, period: float) -> float | None:
        window, remaining = _window(self._clock(), period)
        name = _key(key, period)
        current = self._counts.get(name)
        count = current[1] + 1 if current is not None and current[0] == window else 1
        if len(self._counts) > 100_000:
            self._counts.clear()
        self._counts[name] = (window, count)
        return None if count <= limit else remaining

    async def aclose(self) -> None:
        self._counts.clear()


class RedisThrottle:
    """Counters in Redis: one INCR (and EXPIRE) per call, shared by every process."""

    def __init__(self, url: str, clock: Clock = time.time) -> None:
        import redis.asyncio

        self._redis: Any = redis.asyncio.from_url(url)
        self._clock = clock

    async def hit(self, key: str, limit: int, period: float) -> float | None:
        window, remaining = _window(self._clock(), period)
        name = f"portway:rate:{_key(key, period)}:{window}"
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.incr(name)
                pipe.expire(name, math.ceil(period) + 1)
                count, _ = await pipe.execute()
        except redis.exceptions.RedisError as exc:
            # Translated where Redis enters: the counters are a store the call needs.
            raise StoreError(f"the throttling counters (Redis) are unavailable: "
                             f"{type(exc).__name__}") from exc
        return None if int(count) <= limit else remaining

    async def aclose(self) -> None:
        await self._redis.aclose()


class DatabaseThrottle:
    """Counters in PostgreSQL's ``rate_counters``: one upsert per call."""

    def __init__(self, db: Database, clock: Clock = time.time) -> None:
        self._db = db
        self._clock = clock

    async def hit(self, key: str, limit: int, period: float) -> float | None:
        window, remaining = _window(self._clock(), period)
        count = await self._db.run(self._count, _key(key, period), window)
        return None if count <= limit else remaining

    def _count(self, key: str, window: int) -> int:
        statement = pg_insert(rate_counters).values(key=key, window=window, count=1)
        upsert = statement.on_conflict_do_update(
            index_elements=[rate_counters.c.key, rate_counters.c.window],
            set_={"count": rate_counters.c.count + 1},
        ).returning(rate_counters.c.count)
        with self._db.engine.begin() as conn:
            count = int(conn.execute(upsert).scalar_one())
            if count == 1:
                # A new window: the key's older windows are done with.
                conn.execute(sa.delete(rate_counters).where(
                    rate_counters.c.key == key, rate_counters.c.window < window))
        return count

    async def aclose(self) -> None:
        return None


def build_throttle(redis_url: str, db: Database) -> Throttle:
    """Redis when configured, else PostgreSQL when that is the database, else local."""
    if redis_url:
        return RedisThrottle(redis_url)
    if db.dialect == "postgresql":
        return DatabaseThrottle(db)
    return LocalThrottle()
