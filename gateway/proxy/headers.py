"""Header hygiene: what crosses the proxy in each direction.

Toward the upstream, the caller's own credentials (``Authorization``, cookies) never pass,
nor hop-by-hop headers (RFC 9110 §7.6.1, including any named in ``Connection``), nor
headers that describe the caller's hop (``Host``, ``Content-Length``, ``Forwarded``...).
``x-ms-client-request-id`` passes through so the upstream can correlate.

Back toward the caller, the upstream's cookies and authentication challenges never pass
(they belong to the gateway's session with the upstream, not to the caller), nor hop-by-hop
headers, nor its request-id headers (the gateway sets its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gateway.errors import BadRequest

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate",
    "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade",
})

DROP_REQUEST = HOP_BY_HOP | frozenset({
    "host", "authorization", "cookie", "cookie2", "content-length", "expect",
    "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip",
})

#: Headers that describe earlier hops: the whole ``X-Forwarded-*`` family (For, Host,
#: Proto, Port, Prefix, Server, Scheme, Ssl, Uri...) is anyone's to send, so none passes.
_FORWARDED_FAMILY = ("x-forwarded-",)

DROP_RESPONSE = HOP_BY_HOP | frozenset({
    "set-cookie", "set-cookie2", "www-authenticate", "content-length",
    "x-request-id", "x-ms-client-request-id",
})


def _listed(value: str) -> set[str]:
    return {token.strip().lower() for token in value.split(",")}


def outbound_headers(incoming: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The caller's headers that may reach the upstream, lower-cased.

    Repeated headers are joined with ``, `` (RFC 9110 §5.3); cookies never get here.
    """
    return CallerHeaders((name.encode("latin-1"), value.encode("latin-1"))
                         for name, value in incoming).outbound


class CallerHeaders:
    """The caller's ASGI headers, read once: what goes upstream, and the facts the data
    plane needs (``Host``, ``Content-Length``, whether a body follows)."""

    __slots__ = ("content_length", "has_body", "host", "outbound")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self.host = ""
        self.content_length: str | None = None
        self.has_body = False
        out: dict[str, str] = {}
        listed: set[str] | None = None
        for name_bytes, value_bytes in raw:
            if _SUSPECT.search(value_bytes) and (
                    _CONTROL.search(value_bytes) or (_HIGH.search(value_bytes)
                                                     and _hidden_break(value_bytes))):
                raise BadRequest(
                    f"header {name_bytes.decode('latin-1')[:100]!r} holds a control "
                    "character or a line separator; it is not passed on",
                    details=[{"in": "header", "name": name_bytes.decode("latin-1")[:100]}])
            name = name_bytes.decode("latin-1").lower()
            value = value_bytes.decode("latin-1")
            if name in DROP_REQUEST or name.startswith(_FORWARDED_FAMILY):
                if name == "host":
                    self.host = value
                elif name == "content-length":
                    self.content_length = value
                    self.has_body = self.has_body or value != "0"
                elif name == "transfer-encoding":
                    self.has_body = True
                elif name == "connection":
                    listed = _listed(value) | (listed or set())
                continue
            out[name] = f"{out[name]}, {value}" if name in out else value
        if listed:
            for name in listed:
                out.pop(name, None)
        self.outbound = out


#: C0 controls but HTAB, and DEL: never in a header value (RFC 9110 §5.5).
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_HIGH = re.compile(rb"[\x80-\xff]")
#: Either of the two: the usual plain value is told apart with one search.
_SUSPECT = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f-\xff]")
#: What some parsers take for a line break or a control once the bytes are decoded.
_BREAKS = re.compile("[\x80-\x9f\u2028\u2029]")


def _hidden_break(value: bytes) -> bool:
    """Whether a value with non-ASCII bytes holds NEL, U+2028/2029 or a C1 control, read
    as UTF-8 when it is UTF-8 and as latin-1 otherwise."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        text = value.decode("latin-1")
    return _BREAKS.search(text) is not None


def inbound_headers(upstream: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The upstream's response headers that may reach the caller (order kept)."""
    return [(name, value) for name, value, _ in _inbound(upstream)]


def relay_headers(upstream: Iterable[tuple[str, str]]
                  ) -> tuple[list[tuple[bytes, bytes]], str | None]:
    """``inbound_headers`` as ASGI wants them (lower-case bytes), and the upstream's
    Content-Length (dropped from the list: the relay sets its own)."""
    length = None
    kept: list[tuple[bytes, bytes]] = []
    listed: set[str] | None = None
    for name, value in upstream:
        key = name.lower()
        if key in DROP_RESPONSE:
            if key == "content-length":
                length = value
            elif key == "connection":
                listed = _listed(value) | (listed or set())
            continue
        kept.append((key.encode("latin-1"), value.encode("latin-1")))
    if listed and not listed <= _HOP_OPTIONS:
        names = {name.encode("latin-1") for name in listed}
        kept = [item for item in kept if item[0] not in names]
    return kept, length


#: What ``Connection`` usually lists, and a header of that name is dropped anyway.
_HOP_OPTIONS = frozenset({"keep-alive"})


def _inbound(upstream: Iterable[tuple[str, str]]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    listed: set[str] = set()
    for name, value in upstream:
        key = name.lower()
        if key in DROP_RESPONSE:
            if key == "connection":
                listed |= _listed(value)
            continue
        out.append((name, value, key))
    if listed:
        out = [item for item in out if item[2] not in listed]
    return out
