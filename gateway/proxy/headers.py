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

from collections.abc import Iterable

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate",
    "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade",
})

DROP_REQUEST = HOP_BY_HOP | frozenset({
    "host", "authorization", "cookie", "cookie2", "content-length", "expect",
    "forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip",
})

DROP_RESPONSE = HOP_BY_HOP | frozenset({
    "set-cookie", "set-cookie2", "www-authenticate", "content-length",
    "x-request-id", "x-ms-client-request-id",
})


def _connection_listed(headers: Iterable[tuple[str, str]]) -> frozenset[str]:
    listed: set[str] = set()
    for name, value in headers:
        if name.lower() == "connection":
            listed.update(token.strip().lower() for token in value.split(","))
    return frozenset(listed)


def outbound_headers(incoming: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The caller's headers that may reach the upstream, lower-cased.

    Repeated headers are joined with ``, `` (RFC 9110 §5.3); cookies never get here.
    """
    pairs = list(incoming)
    listed = _connection_listed(pairs)
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if key in DROP_REQUEST or key in listed:
            continue
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def inbound_headers(upstream: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The upstream's response headers that may reach the caller (order kept)."""
    pairs = list(upstream)
    listed = _connection_listed(pairs)
    return [(name, value) for name, value in pairs
            if (key := name.lower()) not in DROP_RESPONSE and key not in listed]
