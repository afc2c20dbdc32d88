"""Binary content: base64, ``binary()``, data URIs and URI components.

Binary results are ``Content`` values (bytes with a media type), which JSON output writes
as Logic Apps' ``{"$content-type": ..., "$content": "<base64>"}`` envelope; an envelope
passed in (a non-JSON trigger or action body) counts as the content it holds: ``binary()``,
``base64ToBinary()`` and ``uriComponentToBinary()`` give ``application/octet-stream``;
``dataUriToBinary()`` and ``decodeDataUri()`` keep the data URI's own media type.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.functions import _args
from gateway.expressions.registry import FunctionRegistry
from gateway.expressions.values import (
    XML_CONTENT_TYPE,
    Content,
    XmlValue,
    binary_content,
    to_string,
)

__all__ = ["register"]

_TEXT_UTF8 = "text/plain;charset=utf-8"
_CHARSET = re.compile(r";\s*charset=([A-Za-z0-9._-]+)", re.IGNORECASE)


def _bytes_of(value: Any) -> bytes:
    content = binary_content(value)
    if content is not None:
        return bytes(content)
    return to_string(value).encode("utf-8")


def _decode_base64(value: Any) -> bytes:
    text = _args.string(value, 1).strip()
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _args.bad_value(1, "is not valid base64") from None


def _text(data: bytes, charset: str = "utf-8") -> str:
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def to_base64(ctx: EvaluationContext, value: Any) -> str:
    data = _bytes_of(value)
    _args.ensure_size(ctx, len(data) * 4 // 3 + 4)
    return base64.b64encode(data).decode("ascii")


def base64_to_string(ctx: EvaluationContext, value: Any) -> str:
    return _text(_decode_base64(value))


def base64_to_binary(ctx: EvaluationContext, value: Any) -> Content:
    return Content(_decode_base64(value))


def binary(ctx: EvaluationContext, value: Any) -> Content:
    content = binary_content(value)
    return content if content is not None else Content(_bytes_of(value))


def data_uri(ctx: EvaluationContext, value: Any) -> str:
    content = binary_content(value)
    if content is not None:
        media_type = content.content_type
    elif isinstance(value, XmlValue):
        media_type = XML_CONTENT_TYPE
    else:
        media_type = _TEXT_UTF8
    return f"data:{media_type};base64,{to_base64(ctx, value)}"


def _parse_data_uri(value: Any) -> tuple[str, bytes]:
    text = _args.string(value, 1).strip()
    if not text[:5].lower() == "data:" or "," not in text:
        raise _args.bad_value(1, "is not a data URI")
    header, payload = text[5:].split(",", 1)
    if header.lower().endswith(";base64"):
        return header[:-7], _decode_base64(payload)
    return header, urllib.parse.unquote_to_bytes(payload)


def data_uri_to_binary(ctx: EvaluationContext, value: Any) -> Content:
    media_type, data = _parse_data_uri(value)
    return Content(data, media_type)


def data_uri_to_string(ctx: EvaluationContext, value: Any) -> str:
    media_type, data = _parse_data_uri(value)
    charset = _CHARSET.search(media_type)
    return _text(data, charset.group(1) if charset else "utf-8")


def uri_component(ctx: EvaluationContext, value: Any) -> str:
    data = _bytes_of(value)
    _args.ensure_size(ctx, len(data) * 3)
    # Only RFC 3986 unreserved characters stay, as .NET's Uri.EscapeDataString does.
    return urllib.parse.quote(data, safe="")


def uri_component_to_string(ctx: EvaluationContext, value: Any) -> str:
    return urllib.parse.unquote(_args.string(value, 1), errors="replace")


def uri_component_to_binary(ctx: EvaluationContext, value: Any) -> Content:
    return Content(urllib.parse.unquote_to_bytes(_args.string(value, 1)))


def register(registry: FunctionRegistry) -> None:
    """Add the base64, binary, data URI and URI component functions to ``registry``."""
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
