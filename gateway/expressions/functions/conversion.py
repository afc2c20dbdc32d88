"""Conversion functions: int, float, string, bool, json, base64, data URIs, URI components."""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.errors import ArgumentTypeError
from gateway.expressions.functions import _args
from gateway.expressions.functions.cultures import culture
from gateway.expressions.functions.xml import XmlValue, xml_to_json
from gateway.expressions.registry import FunctionRegistry
from gateway.expressions.values import is_integer, is_number, to_string

_INT64 = (-(2**63), 2**63 - 1)
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+\Z")


def to_int(ctx: EvaluationContext, value: Any) -> int:
    if is_integer(value):
        return int(value)
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _args.bad_value(1, "is a float with a fractional part")
    text = _args.string(value, 1).strip()
    if not _INTEGER_TEXT.match(text) or len(text) > 21:
        raise _args.bad_value(1, "is not the string of an integer")
    number = int(text)
    if not _INT64[0] <= number <= _INT64[1]:
        raise _args.bad_value(1, "is out of the range of a 64-bit integer")
    return number


def parse_float(text: str, locale: str | None) -> float:
    """Parse ``text`` as a number in ``locale`` (group separators allowed)."""
    conventions = culture(locale, 2)
    cleaned = text.strip().replace(conventions.group, "")
    if conventions.group == "\u202f" or conventions.group == "\u00a0":
        cleaned = cleaned.replace(" ", "")
    cleaned = cleaned.replace(conventions.decimal, ".")
    if not re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", cleaned):
        raise ArgumentTypeError("the first argument is not the string of a number",
                                details=[{"argument": 1}])
    number = float(cleaned)
    if number in (float("inf"), float("-inf")):
        raise ArgumentTypeError("the first argument is out of the range of a float",
                                details=[{"argument": 1}])
    return number


def to_float(ctx: EvaluationContext, value: Any, locale: Any = None) -> float:
    if is_number(value):
        return float(value)
    return parse_float(_args.string(value, 1),
                       None if locale is None else _args.string(locale, 2))


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
    if isinstance(value, (list, dict)):
        return value
    if isinstance(value, XmlValue):
        return xml_to_json(value)
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="replace")
    text = _args.string(value, 1)
    try:
        return json.loads(text, parse_constant=_no_constants)
    except ValueError:
        raise _args.bad_value(1, "is not valid JSON") from None


def to_array(ctx: EvaluationContext, value: Any) -> list[Any]:
    return [value]


def _bytes_of(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return to_string(value).encode("utf-8")


def _decode_base64(value: Any) -> bytes:
    text = _args.string(value, 1).strip()
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _args.bad_value(1, "is not valid base64") from None


def to_base64(ctx: EvaluationContext, value: Any) -> str:
    data = _bytes_of(value)
    _args.ensure_size(ctx, len(data) * 4 // 3 + 4)
    return base64.b64encode(data).decode("ascii")


def base64_to_string(ctx: EvaluationContext, value: Any) -> str:
    return _decode_base64(value).decode("utf-8", errors="replace")


def base64_to_binary(ctx: EvaluationContext, value: Any) -> bytes:
    return _decode_base64(value)


def binary(ctx: EvaluationContext, value: Any) -> bytes:
    return _bytes_of(value)


def data_uri(ctx: EvaluationContext, value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        prefix = "data:application/octet-stream;base64,"
    else:
        prefix = "data:text/plain;charset=utf-8;base64,"
    return prefix + to_base64(ctx, value)


def _data_uri_bytes(value: Any) -> bytes:
    text = _args.string(value, 1)
    if not text.startswith("data:") or "," not in text:
        raise _args.bad_value(1, "is not a data URI")
    header, payload = text[5:].split(",", 1)
    if header.lower().endswith(";base64"):
        return _decode_base64(payload)
    return urllib.parse.unquote_to_bytes(payload)


def data_uri_to_binary(ctx: EvaluationContext, value: Any) -> bytes:
    return _data_uri_bytes(value)


def data_uri_to_string(ctx: EvaluationContext, value: Any) -> str:
    return _data_uri_bytes(value).decode("utf-8", errors="replace")


def uri_component(ctx: EvaluationContext, value: Any) -> str:
    data = _bytes_of(value) if not isinstance(value, str) else value.encode("utf-8")
    _args.ensure_size(ctx, len(data) * 3)
    # Only RFC 3986 unreserved characters stay, as .NET's Uri.EscapeDataString does.
    return urllib.parse.quote(data, safe="")


def uri_component_to_string(ctx: EvaluationContext, value: Any) -> str:
    return urllib.parse.unquote(_args.string(value, 1), errors="replace")


def uri_component_to_binary(ctx: EvaluationContext, value: Any) -> bytes:
    return urllib.parse.unquote_to_bytes(_args.string(value, 1))


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
    registry.register("string", to_string_fn, 1, 1)
    registry.register("bool", to_bool, 1, 1)
    registry.register("json", to_json, 1, 1)
    registry.register("array", to_array, 1, 1)
    registry.register("base64", to_base64, 1, 1)
    registry.register("base64ToString", base64_to_string, 1, 1)
    registry.register("decodeBase64", base64_to_string, 1, 1)
    registry.register("base64ToBinary", base64_to_binary, 1, 1)
    registry.register("binary", binary, 1, 1)
    registry.register("dataUri", data_uri, 1, 1)
    registry.register("dataUriToBinary", data_uri_to_binary, 1, 1)
    registry.register("decodeDataUri", data_uri_to_binary, 1, 1)
    registry.register("dataUriToString", data_uri_to_string, 1, 1)
    registry.register("encodeUriComponent", uri_component, 1, 1)
    registry.register("uriComponent", uri_component, 1, 1)
    registry.register("decodeUriComponent", uri_component_to_string, 1, 1)
    registry.register("uriComponentToString", uri_component_to_string, 1, 1)
    registry.register("uriComponentToBinary", uri_component_to_binary, 1, 1)
    registry.register("coalesce", coalesce, 1)
