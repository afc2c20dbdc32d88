"""The engine's sense of time: a clock it is given, so tests of timers never sleep.

Logic Apps writes times as ISO 8601 UTC with seven fractional digits
(``2024-11-23T22:12:39.7834464Z``); ``iso`` does the same. ``parse_duration`` reads the
ISO 8601 durations of ``limit.timeout``, ``retryPolicy.interval`` and ``Until.limit``.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "SystemClock", "iso", "parse_duration"]


class Clock(Protocol):
    """Where the engine reads the time and waits for it."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


def iso(moment: datetime) -> str:
    """``2024-11-23T22:12:39.7834464Z``: UTC, seven fractional digits, as Logic Apps."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}0Z")


_DURATION = re.compile(
    r"P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?",
    re.IGNORECASE)
_SECONDS = {"y": 365 * 86400.0, "mo": 30 * 86400.0, "w": 7 * 86400.0, "d": 86400.0,
            "h": 3600.0, "mi": 60.0, "s": 1.0}


def parse_duration(text: object) -> float | None:
    """Seconds in an ISO 8601 duration (``PT1H``, ``P1D``, ``PT7.5S``); None if not one."""
    if not isinstance(text, str):
        return None
    found = _DURATION.fullmatch(text.strip())
    if found is None or text.strip().upper() in ("P", "PT") or text.upper().endswith("T"):
        return None
    return sum(float(value) * _SECONDS[unit] for unit, value in found.groupdict().items()
               if value is not None)
