"""The value model shared by the evaluator and the functions.

Values are JSON values as Python builds them (``None``, ``bool``, ``int``, ``float``,
``str``, ``list``, ``dict``) plus ``bytes`` for binary content. Functions never mutate
their arguments; they return new containers, possibly sharing unchanged children.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from gateway.expressions.errors import ArgumentTypeError

__all__ = [
    "is_integer",
    "is_number",
    "to_json_compatible",
    "to_string",
    "type_name",
    "values_equal",
]


def type_name(value: Any) -> str:
    """Name a value's WDL type for error messages (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (bytes, bytearray)):
        return "binary"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def is_number(value: Any) -> bool:
    """True for integers and floats, but not booleans."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_integer(value: Any) -> bool:
    """True for integers, but not booleans."""
    return isinstance(value, int) and not isinstance(value, bool)


def format_float(value: float) -> str:
    """Spell a float the way .NET's round-trip formatting does (``10.0`` is ``"10"``)."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        return f"{mantissa}E{sign}{exponent.lstrip('+-').zfill(2)}"
    return text


def to_json_compatible(value: Any) -> Any:
    """Return ``value`` with binary content as Logic Apps' ``$content`` envelope."""
    if isinstance(value, (bytes, bytearray)):
        return {
            "$content-type": "application/octet-stream",
            "$content": base64.b64encode(bytes(value)).decode("ascii"),
        }
    if isinstance(value, list):
        return [to_json_compatible(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json_compatible(item) for key, item in value.items()}
    return value


def to_json_text(value: Any) -> str:
    """Serialise a value as compact JSON."""
    return json.dumps(to_json_compatible(value), separators=(",", ":"), ensure_ascii=False)


def to_string(value: Any) -> str:
    """The string version of a value, as ``string()`` and ``@{}`` interpolation give it.

    Null is the empty string, booleans are ``True``/``False`` (as .NET spells them),
    binary content is decoded as UTF-8, arrays and objects are compact JSON.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, (list, dict)):
        return to_json_text(value)
    raise ArgumentTypeError(f"cannot convert a value of type {type_name(value)} to a string")


def values_equal(left: Any, right: Any) -> bool:
    """WDL equality: deep, numeric across int/float/bool, and null equal to ``""``."""
    if left is None:
        left = ""
    if right is None:
        right = ""
    return bool(left == right)
