"""Conversion functions: int, float, decimal, string, bool, json, array, coalesce.

``float()`` and ``isFloat()`` read numbers as .NET does (``number_parse.py``), in the
culture named (``float`` defaults to en-US, ``isFloat`` to the invariant culture).
``decimal()`` gives a ``decimal.Decimal``: exact through arithmetic and ``string()``.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.errors import ArgumentTypeError
from gateway.expressions.functions import _args
from gateway.expressions.functions.cultures import culture
from gateway.expressions.functions.number_parse import parse_number
from gateway.expressions.functions.xml import xml_to_json
from gateway.expressions.registry import FunctionRegistry
from gateway.expressions.values import (
    XmlValue,
    binary_content,
    is_integer,
    is_number,
    to_string,
)

__all__ = ["DECIMAL_MAX", "fit_decimal", "parse_float", "register"]

_INT64 = (-(2**63), 2**63 - 1)
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+\Z")
#: The largest magnitude .NET's System.Decimal holds.
DECIMAL_MAX = Decimal(2**96 - 1)
_SMALLEST = Decimal(1).scaleb(-28)
_WIDE = Context(prec=80)


def fit_decimal(value: Decimal) -> Decimal | None:
    """``value`` as System.Decimal holds it: a 96-bit integer over a power of ten up to
    10^28, rounded half to even as .NET rounds; None when it is out of range. This also
    keeps ``string()`` of a decimal short whatever the expression does."""
    if not value.is_finite() or value.copy_abs() > DECIMAL_MAX:
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -28:
        value = value.quantize(_SMALLEST, rounding=ROUND_HALF_EVEN, context=_WIDE)
    while True:
        _, digits, exponent = value.as_tuple()
        if not isinstance(exponent, int) or exponent >= 0 or \
                int("".join(map(str, digits)) or "0") <= DECIMAL_MAX:
            break
        value = value.quantize(Decimal(1).scaleb(exponent + 1), rounding=ROUND_HALF_EVEN,
                               context=_WIDE)
    return Decimal(0) if value.is_zero() else value


def to_int(ctx: EvaluationContext, value: Any) -> int:
    if is_integer(value):
        return int(value)
    if isinstance(value, (float, Decimal)):
        if value == int(value):
            return int(value)
        raise _args.bad_value(1, "is a number with a fractional part")
    text = _args.string(value, 1).strip()
    if not _INTEGER_TEXT.match(text) or len(text) > 21:
        raise _args.bad_value(1, "is not the string of an integer")
    number = int(text)
    if not _INT64[0] <= number <= _INT64[1]:
        raise _args.bad_value(1, "is out of the range of a 64-bit integer")
    return number


def parse_float(text: str, locale: str | None, index: int = 2) -> float:
    """Parse ``text`` as a double the way .NET does in ``locale`` (en-US when None).

    Raises:
        ArgumentTypeError: The text is no number in that culture, or out of range.
    """
    number = parse_number(text, culture(locale, index))
    if number is None:
        raise ArgumentTypeError("the first argument is not the string of a number",
                                details=[{"argument": 1}])
    result = float(number)
    if result in (float("inf"), float("-inf")):
        raise ArgumentTypeError("the first argument is out of the range of a float",
                                details=[{"argument": 1}])
    return result


def to_float(ctx: EvaluationContext, value: Any, locale: Any = None) -> float:
    if is_number(value):
        return float(value)
    return parse_float(_args.string(value, 1),
                       None if locale is None else _args.string(locale, 2))


def to_decimal_fn(ctx: EvaluationContext, value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if is_number(value):
        return Decimal(value) if is_integer(value) else Decimal(repr(value))
    number = parse_number(_args.string(value, 1), culture("", 1))
    if number is None:
        raise _args.bad_value(1, "is not the string of a decimal number")
    fitted = fit_decimal(number)
    if fitted is None:
        raise _args.bad_value(1, "is out of the range of a decimal")
    return fitted


def to_bool(ctx: EvaluationContext, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if is_number(value):
        return bool(value != 0)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise _args.bad_value(1, "is a string other than 'true' or 'false'")
    raise _args.wrong_type(1, "a boolean, a number or a string", value)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def to_json(ctx: EvaluationContext, value: Any) -> Any:
    if value is None:
        return {}
    content = binary_content(value)
    if content is not None:  # a body that arrived as content: its text
        text = content.decode("utf-8-sig", errors="replace")
        if "xml" in content.content_type.lower():
            return xml_to_json(text)
        value = text
    if isinstance(value, (list, dict)):
        return value
    if isinstance(value, XmlValue):
        return xml_to_json(value)
    text = _args.string(value, 1)
    try:
        return json.loads(text, parse_constant=_no_constants)
    except ValueError:
        raise _args.bad_value(1, "is not valid JSON") from None


def to_array(ctx: EvaluationContext, value: Any) -> list[Any]:
    return [value]


def to_string_fn(ctx: EvaluationContext, value: Any) -> str:
    return to_string(value)


def coalesce(ctx: EvaluationContext, *values: Any) -> Any:
    for value in values:
        if value is not None:
            return value
    return None


def register(registry: FunctionRegistry) -> None:
    """Add the conversion functions to ``registry``."""
    registry.register("int", to_int, 1, 1)
    registry.register("float", to_float, 1, 2)
    registry.register("decimal", to_decimal_fn, 1, 1)
    registry.register("string", to_string_fn, 1, 1)
    registry.register("bool", to_bool, 1, 1)
    registry.register("json", to_json, 1, 1)
    registry.register("array", to_array, 1, 1)
    registry.register("coalesce", coalesce, 1)
