"""Argument checks shared by the function modules; errors name types, never values."""

from __future__ import annotations

from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.errors import ArgumentTypeError, ExpressionTooComplexError
from gateway.expressions.values import is_integer, is_number, type_name

_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _position(index: int) -> str:
    return f"the {_ORDINALS.get(index, f'#{index}')} argument"


def wrong_type(index: int, expected: str, value: Any) -> ArgumentTypeError:
    """The error for an argument of the wrong type."""
    return ArgumentTypeError(f"{_position(index)} must be {expected}, not {type_name(value)}",
                             details=[{"argument": index, "expected": expected,
                                       "actual": type_name(value)}])


def bad_value(index: int, problem: str) -> ArgumentTypeError:
    """The error for an argument of the right type but outside the function's domain."""
    return ArgumentTypeError(f"{_position(index)} {problem}", details=[{"argument": index}])


def string(value: Any, index: int) -> str:
    """Require a string."""
    if not isinstance(value, str):
        raise wrong_type(index, "a string", value)
    return value


def integer(value: Any, index: int) -> int:
    """Require an integer (a float with an integral value is accepted)."""
    if is_integer(value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise wrong_type(index, "an integer", value)


def number(value: Any, index: int) -> int | float:
    """Require an integer or a float."""
    if not is_number(value):
        raise wrong_type(index, "a number", value)
    return value  # type: ignore[no-any-return]


def array(value: Any, index: int) -> list[Any]:
    """Require an array."""
    if not isinstance(value, list):
        raise wrong_type(index, "an array", value)
    return value


def obj(value: Any, index: int) -> dict[str, Any]:
    """Require an object."""
    if not isinstance(value, dict):
        raise wrong_type(index, "an object", value)
    return value


def boolean(value: Any, index: int) -> bool:
    """Require a boolean."""
    if not isinstance(value, bool):
        raise wrong_type(index, "a boolean", value)
    return value


def ensure_size(ctx: EvaluationContext, size: int) -> None:
    """Refuse to build a string or array of ``size`` before building it."""
    limit = ctx.limits.max_value_size
    if size > limit:
        raise ExpressionTooComplexError(f"result would be larger than {limit} units",
                                        details=[{"limit": limit}])
