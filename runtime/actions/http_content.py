"""Bodies on the wire for the actions that call out (``Http``, ``ApiConnection``):
what a request body is sent as, and what an answer's bytes become in the outputs.

A request body follows the same rules as the Response action's (text as UTF-8
``text/plain; charset=utf-8``, other JSON values as compact ``application/json;
charset=utf-8``, binary content with its own type), unless the definition names a
Content-Type. An answer's body is parsed JSON for JSON media types, text for ``text/*``,
and binary content (``$content``) otherwise; an empty answer has no ``body`` at all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

from gateway.expressions import Content, to_string
from runtime.actions.base import ActionResult
from runtime.actions.common import failed, retryable_status, status_code_word, succeeded
from runtime.actions.response import body_bytes


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def request_headers(given: Any) -> dict[str, str]:
    """The definition's headers as strings (numbers and booleans spelled as WDL does)."""
    if not isinstance(given, Mapping):
        return {}
    return {str(name): to_string(value) for name, value in given.items()}


def encode_request(body: Any, headers: dict[str, str]) -> bytes | None:
    """The bytes to send for ``body``; adds the implied Content-Type to ``headers``
    unless they name one."""
    if body is None:
        return None
    data, implied = body_bytes(body)
    if implied is not None and header_value(headers, "content-type") is None:
        headers["Content-Type"] = implied
    return data


def answer_headers(headers: Sequence[tuple[str, str]]) -> dict[str, str]:
    """An answer's headers as the outputs show them: one entry per name, repeated
    headers joined with commas."""
    merged: dict[str, str] = {}
    for name, value in headers:
        merged[name] = f"{merged[name]},{value}" if name in merged else value
    return merged


def _media_type(content_type: str | None) -> tuple[str, str]:
    if not content_type:
        return "", "utf-8"
    media, _, rest = content_type.partition(";")
    charset = "utf-8"
    for part in rest.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip('"')
    return media.strip().lower(), charset


def decode_answer(content_type: str | None, data: bytes) -> tuple[bool, Any]:
    """``(has_body, body)`` for an answer's bytes."""
    if not data:
        return False, None
    media, charset = _media_type(content_type)
    if media in ("application/json", "text/json") or media.endswith("+json") or not media:
        try:
            return True, json.loads(data.decode(charset, errors="strict").lstrip("\ufeff"))
        except (ValueError, LookupError):
            if media:
                return True, data.decode("utf-8", errors="replace")
            return True, Content(data)
    if media.startswith("text/"):
        try:
            return True, data.decode(charset, errors="replace")
        except LookupError:
            return True, data.decode("utf-8", errors="replace")
    return True, Content(data, content_type or "application/octet-stream")


def outputs_of(status: int, headers: Sequence[tuple[str, str]], data: bytes
               ) -> dict[str, Any]:
    """``{"statusCode", "headers", "body"}`` as Logic Apps records an HTTP answer."""
    shown = answer_headers(headers)
    outputs: dict[str, Any] = {"statusCode": status, "headers": shown}
    has_body, body = decode_answer(header_value(shown, "content-type"), data)
    if has_body:
        outputs["body"] = body
    return outputs


def retry_after_seconds(value: str | None, now_epoch: float) -> float | None:
    """``Retry-After`` as seconds from now (delta seconds or an HTTP date)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now_epoch)


def answer_result(outputs: dict[str, Any], shown: Any, *,
                  retry_after: float | None = None) -> ActionResult:
    """An HTTP-like action's result for its answer's outputs: the status's word as the
    code, Failed (with the outputs kept) for 4xx and 5xx."""
    status = int(outputs["statusCode"])
    word = status_code_word(status)
    if status >= 400:
        return failed(word, f"The HTTP request answered {status} ({word}).",
                      outputs=outputs, inputs=shown, retryable=retryable_status(status),
                      retry_after=retry_after)
    return succeeded(outputs, code=word, inputs=shown)
