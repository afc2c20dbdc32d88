"""The value model shared by the evaluator and the functions.

Values are JSON values as Python builds them (``None``, ``bool``, ``int``, ``float``,
``str``, ``list``, ``dict``) plus three kinds JSON has not:

* binary content: ``bytes``, or ``Content`` (bytes that know their media type), written
  to JSON as Logic Apps' ``{"$content-type": ..., "$content": "<base64>"}`` envelope;
* XML: ``XmlValue``, a ``str`` holding the document's text, written to JSON as an
  ``application/xml;charset=utf-8`` content envelope;
* ``decimal.Decimal``, what ``decimal()`` returns: exact in arithmetic and in
  ``string()``, a JSON number (a double) when written out.

Functions never mutate their arguments; they return new containers, possibly sharing
unchanged children.
"""

from __future__ import annotations

import base64
import json
import math
from decimal import Decimal
from typing import Any

from gateway.expressions.errors import ArgumentTypeError

__all__ = [
    "OCTET_STREAM",
    "XML_CONTENT_TYPE",
    "Content",
    "XmlValue",
    "binary_content",
    "content_type",
    "is_integer",
    "is_number",
    "to_json_compatible",
    "to_string",
    "type_name",
    "values_equal",
]


OCTET_STREAM = "application/octet-stream"
XML_CONTENT_TYPE = "application/xml;charset=utf-8"


class Content(bytes):
    """Binary content that knows its media type (``$content-type``)."""

    content_type: str

    def __new__(cls, data: bytes, content_type: str = OCTET_STREAM) -> Content:
        made = super().__new__(cls, data)
        made.content_type = content_type or OCTET_STREAM
        return made


class XmlValue(str):
    """The text of an XML document or node, marked as XML."""

    __slots__ = ()


def content_type(value: bytes | bytearray) -> str:
    """The media type of binary content (``application/octet-stream`` unless known)."""
    return getattr(value, "content_type", OCTET_STREAM)


_ENVELOPE_KEYS = frozenset({"$content", "$content-type"})


def binary_content(value: Any) -> Content | None:
    """The binary content a value holds: binary values, and Logic Apps' content envelopes
    (``{"$content-type": ..., "$content": "<base64>"}``, as a trigger's or action's
    non-JSON body arrives); None for anything else."""
    if isinstance(value, Content):
        return value
    if isinstance(value, (bytes, bytearray)):
        return Content(bytes(value))
    if (isinstance(value, dict) and "$content" in value and value.keys() <= _ENVELOPE_KEYS
            and isinstance(value["$content"], str)):
        try:
            data = base64.b64decode(value["$content"], validate=True)
        except ValueError:
            return None
        media_type = value.get("$content-type")
        return Content(data, media_type if isinstance(media_type, str) else OCTET_STREAM)
    return None


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
    if isinstance(value, Decimal):
        return "decimal"
    if isinstance(value, XmlValue):
        return "XML"
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
    """True for integers, floats and decimals, but not booleans."""
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def is_integer(value: Any) -> bool:
    """True for integers, but not booleans."""
    return isinstance(value, int) and not isinstance(value, bool)


def format_float(value: float) -> str:
    """Spell a float the way .NET's round-trip formatting does: the shortest digits, and
    ``E`` notation from 1E+15 up and below 1E-04 (``10.0`` is ``"10"``)."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" not in text and math.isfinite(value) and abs(value) >= 1e15:
        parts = Decimal(text).normalize().as_tuple()
        shown = "".join(map(str, parts.digits))
        mantissa = shown[0] + ("." + shown[1:] if len(shown) > 1 else "")
        power = len(shown) - 1 + int(parts.exponent)
        return f"{'-' if value < 0 else ''}{mantissa}E+{power:02d}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        return f"{mantissa}E{sign}{exponent.lstrip('+-').zfill(2)}"
    return text


def _envelope(data: bytes, media_type: str) -> dict[str, str]:
    return {"$content-type": media_type, "$content": base64.b64encode(data).decode("ascii")}


def to_json_compatible(value: Any) -> Any:
    """Return ``value`` as JSON can hold it: binary content and XML as Logic Apps'
    ``$content`` envelope, decimals as numbers."""
    if isinstance(value, (bytes, bytearray)):
        return _envelope(bytes(value), content_type(value))
    if isinstance(value, XmlValue):
        return _envelope(value.encode("utf-8"), XML_CONTENT_TYPE)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**63 \
            else float(value)
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
    binary content (content envelopes too) is decoded as UTF-8, arrays and objects are
    compact JSON.
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
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict) and "$content" in value:
        content = binary_content(value)
        if content is not None:
            return content.decode("utf-8", errors="replace")
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
