"""Time zone conversions, by Windows zone name (what Logic Apps takes) or IANA name.

Windows names map to IANA zones through CLDR's ``windowsZones`` table as Babel ships it
(the zone for territory ``001`` of each Windows name); the zone rules are the system's,
or the ``tzdata`` package's (a dependency) where the machine has none. Names match ignoring case and
punctuation, as the reference allows (``W. Europe Standard Time`` or
``W Europe Standard Time``).
"""

from __future__ import annotations

import re
from datetime import UTC
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import get_global

from gateway.expressions.context import EvaluationContext
from gateway.expressions.functions import _args
from gateway.expressions.functions.dates import formatted, timestamp
from gateway.expressions.registry import FunctionRegistry

__all__ = ["register", "time_zone", "windows_zone_names"]

_IANA = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*\Z")


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9+\-]", "", name.lower())


@lru_cache(maxsize=1)
def _windows() -> dict[str, str]:
    mapping = get_global("windows_zone_mapping")
    table = {_key(windows): iana for windows, iana in mapping.items()}
    table.setdefault(_key("Coordinated Universal Time"), "Etc/UTC")
    return table


def windows_zone_names() -> list[str]:
    """Every Windows time zone name CLDR maps, sorted."""
    return sorted(get_global("windows_zone_mapping"))


@lru_cache(maxsize=512)
def time_zone(name: str) -> ZoneInfo | None:
    """The zone a Windows or IANA name stands for, or None."""
    text = name.strip()
    iana = _windows().get(_key(text))
    if iana is None:
        if not _IANA.match(text) or ".." in text:
            return None
        iana = text
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _zone(value: Any, index: int) -> ZoneInfo:
    found = time_zone(_args.string(value, index))
    if found is None:
        raise _args.bad_value(index, "is not a Windows or IANA time zone name")
    return found


def convert_time_zone(ctx: EvaluationContext, value: Any, source: Any,
                      destination: Any, fmt: Any = None) -> str:
    instant = timestamp(value)
    moment = instant.moment
    source_zone = _zone(source, 2)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=source_zone)
    converted = moment.astimezone(_zone(destination, 3)).replace(tzinfo=None)
    return formatted(instant.replace(converted), fmt, 4)


def convert_from_utc(ctx: EvaluationContext, value: Any, destination: Any,
                     fmt: Any = None) -> str:
    instant = timestamp(value)
    moment = instant.moment
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    converted = moment.astimezone(_zone(destination, 2)).replace(tzinfo=None)
    return formatted(instant.replace(converted), fmt, 3)


def convert_to_utc(ctx: EvaluationContext, value: Any, source: Any, fmt: Any = None) -> str:
    instant = timestamp(value)
    moment = instant.moment
    source_zone = _zone(source, 2)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=source_zone)
    return formatted(instant.replace(moment.astimezone(UTC)), fmt, 3)


def register(registry: FunctionRegistry) -> None:
    """Add ``convertTimeZone``, ``convertFromUtc`` and ``convertToUtc`` to ``registry``."""
    registry.register("convertTimeZone", convert_time_zone, 3, 4)
    registry.register("convertFromUtc", convert_from_utc, 2, 3)
    registry.register("convertToUtc", convert_to_utc, 2, 3)
