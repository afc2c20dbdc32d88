"""URI parsing functions: uriHost, uriPath, uriQuery, uriScheme, uriPort, uriPathAndQuery."""

from __future__ import annotations

import urllib.parse
from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.functions import _args
from gateway.expressions.registry import FunctionRegistry

_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443, "sftp": 22,
                  "ldap": 389, "mailto": 25, "news": 119, "nntp": 119, "gopher": 70}


def _parse(value: Any) -> urllib.parse.SplitResult:
    text = _args.string(value, 1).strip()
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 - validates the port now rather than later
    except ValueError:
        raise _args.bad_value(1, "is not a valid absolute URI") from None
    if not parts.scheme or not parts.netloc:
        raise _args.bad_value(1, "is not an absolute URI")
    return parts


def uri_host(ctx: EvaluationContext, uri: Any) -> str:
    return _parse(uri).hostname or ""


def uri_path(ctx: EvaluationContext, uri: Any) -> str:
    return _parse(uri).path or "/"


def uri_query(ctx: EvaluationContext, uri: Any) -> str:
    query = _parse(uri).query
    return "?" + query if query else ""


def uri_scheme(ctx: EvaluationContext, uri: Any) -> str:
    return _parse(uri).scheme.lower()


def uri_port(ctx: EvaluationContext, uri: Any) -> int:
    parts = _parse(uri)
    if parts.port is not None:
        return parts.port
    port = _DEFAULT_PORTS.get(parts.scheme.lower())
    if port is None:
        raise _args.bad_value(1, "has no port and a scheme without a default port")
    return port


def uri_path_and_query(ctx: EvaluationContext, uri: Any) -> str:
    parts = _parse(uri)
    return (parts.path or "/") + ("?" + parts.query if parts.query else "")


def register(registry: FunctionRegistry) -> None:
    """Add the URI parsing functions to ``registry``."""
    registry.register("uriHost", uri_host, 1, 1)
    registry.register("uriPath", uri_path, 1, 1)
    registry.register("uriQuery", uri_query, 1, 1)
    registry.register("uriScheme", uri_scheme, 1, 1)
    registry.register("uriPort", uri_port, 1, 1)
    registry.register("uriPathAndQuery", uri_path_and_query, 1, 1)
