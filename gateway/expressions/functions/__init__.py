"""The built-in function library, one module per family, assembled into one registry."""

from __future__ import annotations

from gateway.expressions.functions import (
    arithmetic,
    collections,
    conversion,
    dates,
    logical,
    number_format,
    objects,
    policy,
    strings,
    uris,
    xml,
)
from gateway.expressions.registry import FunctionRegistry

__all__ = ["build_default_registry"]


def build_default_registry() -> FunctionRegistry:
    """Return a frozen registry of the WDL functions that need no workflow state,
    plus the connector policy functions."""
    registry = FunctionRegistry()
    for module in (strings, collections, logical, conversion, arithmetic, dates,
                   number_format, uris, objects, xml, policy):
        module.register(registry)
    return registry.freeze()
