"""Reading untrusted JSON values by the shape a field should have."""

from __future__ import annotations

from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is an object, else an empty one (the caller reports the wrong type)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is an array, else an empty one."""
    return value if isinstance(value, list) else []
