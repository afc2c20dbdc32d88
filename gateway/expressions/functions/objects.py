"""Object manipulation functions: setProperty, addProperty, removeProperty."""

from __future__ import annotations

from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.functions import _args
from gateway.expressions.registry import FunctionRegistry


def set_property(ctx: EvaluationContext, target: Any, name: Any, value: Any) -> dict[str, Any]:
    updated = dict(_args.obj(target, 1))
    updated[_args.string(name, 2)] = value
    return updated


def add_property(ctx: EvaluationContext, target: Any, name: Any, value: Any) -> dict[str, Any]:
    source = _args.obj(target, 1)
    key = _args.string(name, 2)
    if key in source:
        raise _args.bad_value(2, f"names the property '{key}', which already exists")
    return {**source, key: value}


def remove_property(ctx: EvaluationContext, target: Any, name: Any) -> dict[str, Any]:
    source = _args.obj(target, 1)
    key = _args.string(name, 2)
    return {k: v for k, v in source.items() if k != key}


def register(registry: FunctionRegistry) -> None:
    """Add the object manipulation functions to ``registry``."""
    registry.register("setProperty", set_property, 3, 3)
    registry.register("addProperty", add_property, 3, 3)
    registry.register("removeProperty", remove_property, 2, 2)
