"""Logical comparison functions: equals, and, or, not, if, greater, less..."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.functions import _args
from gateway.expressions.registry import FunctionRegistry
from gateway.expressions.values import is_number, type_name, values_equal


def equals(ctx: EvaluationContext, left: Any, right: Any) -> bool:
    return values_equal(left, right)


def and_(ctx: EvaluationContext, *values: Any) -> bool:
    checked = [_args.boolean(value, index) for index, value in enumerate(values, 1)]
    return all(checked)


def or_(ctx: EvaluationContext, *values: Any) -> bool:
    checked = [_args.boolean(value, index) for index, value in enumerate(values, 1)]
    return any(checked)


def not_(ctx: EvaluationContext, value: Any) -> bool:
    return not _args.boolean(value, 1)


def if_(ctx: EvaluationContext, condition: Callable[[], Any], when_true: Callable[[], Any],
        when_false: Callable[[], Any]) -> Any:
    # Lazy: only the branch chosen is evaluated, so a guard can protect the other.
    return when_true() if _args.boolean(condition(), 1) else when_false()


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    # Logical functions compare null as the empty string (documented).
    left = "" if left is None else left
    right = "" if right is None else right
    if is_number(left) and is_number(right):
        return left, right
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    if not (is_number(left) or isinstance(left, str)):
        raise _args.wrong_type(1, "a number or a string", left)
    raise _args.bad_value(
        2, f"must be of the first argument's kind ({type_name(left)}), not {type_name(right)}")


def greater(ctx: EvaluationContext, left: Any, right: Any) -> bool:
    a, b = _comparable(left, right)
    return bool(a > b)


def greater_or_equals(ctx: EvaluationContext, left: Any, right: Any) -> bool:
    a, b = _comparable(left, right)
    return bool(a >= b)


def less(ctx: EvaluationContext, left: Any, right: Any) -> bool:
    a, b = _comparable(left, right)
    return bool(a < b)


def less_or_equals(ctx: EvaluationContext, left: Any, right: Any) -> bool:
    a, b = _comparable(left, right)
    return bool(a <= b)


def register(registry: FunctionRegistry) -> None:
    """Add the logical comparison functions to ``registry``."""
    registry.register("equals", equals, 2, 2)
    registry.register("and", and_, 1)
    registry.register("or", or_, 1)
    registry.register("not", not_, 1, 1)
    registry.register("if", if_, 3, 3, lazy=True)
    registry.register("greater", greater, 2, 2)
    registry.register("greaterOrEquals", greater_or_equals, 2, 2)
    registry.register("less", less, 2, 2)
    registry.register("lessOrEquals", less_or_equals, 2, 2)
