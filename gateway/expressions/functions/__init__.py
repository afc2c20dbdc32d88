"""The built-in function library, one module per family, assembled into registries.

``build_library`` holds every function that needs no workflow run state and no policy
context; ``build_default`` adds the connector policy functions (``policy.py``) to it.
"""

from __future__ import annotations

from gateway.expressions.functions import (
    arithmetic,
    binary,
    collections,
    conversion,
    dates,
    logical,
    number_format,
    objects,
    policy,
    strings,
    time_zones,
    uris,
    xml,
)
from gateway.expressions.registry import FunctionRegistry

__all__ = ["build_default", "build_library"]

_LIBRARY = (strings, collections, logical, conversion, binary, arithmetic, dates,
            time_zones, number_format, uris, objects, xml)


def build_library() -> FunctionRegistry:
    """Return a frozen registry of the WDL functions that need no workflow state."""
    registry = FunctionRegistry()
    for module in _LIBRARY:
        module.register(registry)
    return registry.freeze()


def build_default(library: FunctionRegistry) -> FunctionRegistry:
    """Return a frozen copy of ``library`` with the connector policy functions added."""
    registry = library.extend()
    policy.register(registry)
    return registry.freeze()
