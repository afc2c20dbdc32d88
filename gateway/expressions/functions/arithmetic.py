"""Math functions: add, sub, mul, div, mod, min, max, rand, range.

Integers are 64-bit as in Logic Apps: a result outside that range is an error, which
also keeps hostile expressions from growing Python's unbounded integers. A ``decimal()``
operand makes the arithmetic decimal (the other operand is taken exactly, a float by
its shortest form), as .NET's System.Decimal would.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, localcontext
from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.errors import ArgumentTypeError
from gateway.expressions.functions import _args
from gateway.expressions.functions.conversion import fit_decimal
from gateway.expressions.functions.number_format import to_decimal
from gateway.expressions.registry import FunctionRegistry
from gateway.expressions.values import is_integer

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_RANGE_MAX = 100_000
_WIDE = Context(prec=60)


Number = int | float | Decimal


def _result(value: Number) -> Number:
    if isinstance(value, Decimal):
        fitted = fit_decimal(value)
        if fitted is None:
            raise ArgumentTypeError("the result overflows a decimal")
        return fitted
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ArgumentTypeError("the result overflows a 64-bit integer")
        return value
    if not math.isfinite(value):
        raise ArgumentTypeError("the result is not a finite number")
    return value


def _operands(left: Any, right: Any) -> tuple[Any, Any]:
    a, b = _args.number(left, 1), _args.number(right, 2)
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return to_decimal(a), to_decimal(b)
    return a, b


def _apply(operation: Callable[[Any, Any], Any], a: Any, b: Any) -> Number:
    if isinstance(a, Decimal):
        # Wide enough for any two System.Decimal operands; the result is then fitted.
        with localcontext(_WIDE):
            return _result(operation(a, b))
    return _result(operation(a, b))


def add(ctx: EvaluationContext, left: Any, right: Any) -> Number:
    return _apply(operator.add, *_operands(left, right))


def sub(ctx: EvaluationContext, left: Any, right: Any) -> Number:
    return _apply(operator.sub, *_operands(left, right))


def mul(ctx: EvaluationContext, left: Any, right: Any) -> Number:
    return _apply(operator.mul, *_operands(left, right))


def _division(left: Any, right: Any) -> tuple[Any, Any]:
    dividend, divisor = _operands(left, right)
    if divisor == 0:
        raise _args.bad_value(2, "must not be zero")
    return dividend, divisor


def div(ctx: EvaluationContext, left: Any, right: Any) -> Number:
    dividend, divisor = _division(left, right)
    if isinstance(dividend, Decimal):
        try:
            return _apply(operator.truediv, dividend, divisor)
        except (DivisionByZero, InvalidOperation):
            raise _args.bad_value(2, "must not be zero") from None
    if is_integer(dividend) and is_integer(divisor):
        # Integer division truncates toward zero, as in C#.
        quotient = abs(dividend) // abs(divisor)
        return _result(quotient if (dividend >= 0) == (divisor > 0) else -quotient)
    return _result(dividend / divisor)


def mod(ctx: EvaluationContext, left: Any, right: Any) -> Number:
    dividend, divisor = _division(left, right)
    if isinstance(dividend, Decimal):
        return _apply(operator.mod, dividend, divisor)  # the dividend's sign, as C#'s %
    if is_integer(dividend) and is_integer(divisor):
        # The remainder takes the dividend's sign, as C#'s % does.
        remainder: int = abs(dividend) % abs(divisor)
        return remainder if dividend >= 0 else -remainder
    return _result(math.fmod(dividend, divisor))


def _numbers(values: tuple[Any, ...]) -> list[Number]:
    if len(values) == 1 and isinstance(values[0], list):
        items = values[0]
        if not items:
            raise _args.bad_value(1, "must not be an empty array")
        return [_args.number(item, 1) for item in items]
    return [_args.number(value, index) for index, value in enumerate(values, 1)]


def min_(ctx: EvaluationContext, *values: Any) -> Number:
    return min(_numbers(values))


def max_(ctx: EvaluationContext, *values: Any) -> Number:
    return max(_numbers(values))


def rand(ctx: EvaluationContext, low: Any, high: Any) -> int:
    minimum = _args.integer(low, 1)
    maximum = _args.integer(high, 2)
    if maximum <= minimum:
        raise _args.bad_value(2, "must be greater than the first")
    return ctx.rng.randrange(minimum, maximum)


def range_(ctx: EvaluationContext, start: Any, count: Any) -> list[int]:
    first = _args.integer(start, 1)
    size = _args.integer(count, 2)
    if not 0 <= size <= _RANGE_MAX:
        raise _args.bad_value(2, f"must be between 0 and {_RANGE_MAX}")
    if first + size > 2**31 - 1:
        raise _args.bad_value(2, "added to the first must not exceed 2147483647")
    return list(range(first, first + size))


def register(registry: FunctionRegistry) -> None:
    """Add the math functions to ``registry``."""
    registry.register("add", add, 2, 2)
    registry.register("sub", sub, 2, 2)
    registry.register("mul", mul, 2, 2)
    registry.register("div", div, 2, 2)
    registry.register("mod", mod, 2, 2)
    registry.register("min", min_, 1)
    registry.register("max", max_, 1)
    registry.register("rand", rand, 2, 2)
    registry.register("range", range_, 2, 2)
