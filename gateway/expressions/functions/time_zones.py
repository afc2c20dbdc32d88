"""Time zones by Windows name (what Logic Apps takes) or IANA name.

Windows names map to IANA zones through CLDR's ``windowsZones`` table as Babel ships it
(the zone for territory ``001`` of each Windows name); the zone rules are the system's,
or the ``tzdata`` package's (a dependency) where the machine has none. Names match ignoring case and
punctuation, as the reference allows (``W. Europe Standard Time`` or
``W Europe Standard Time``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import get_global

__all__ = ["time_zone", "windows_zone_names"]

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
