"""Header hygiene in both directions."""

from __future__ import annotations

from gateway.proxy.headers import inbound_headers, outbound_headers, relay_headers


def test_outbound_drops_credentials_hop_by_hop_and_connection_listed_headers() -> None:
    kept = outbound_headers([
        ("Authorization", "Bearer caller"), ("Cookie", "a=b"), ("Host", "gateway"),
        ("Connection", "close, X-Private"), ("X-Private", "p"), ("TE", "trailers"),
        ("Content-Length", "3"), ("X-Forwarded-For", "1.2.3.4"), ("Accept", "a/b"),
        ("X-Multi", "1"), ("x-multi", "2"), ("x-ms-client-request-id", "rid"),
    ])
    assert kept == {"accept": "a/b", "x-multi": "1, 2", "x-ms-client-request-id": "rid"}


def test_inbound_drops_cookies_challenges_and_the_upstreams_ids() -> None:
    kept = inbound_headers([
        ("Set-Cookie", "s=1"), ("WWW-Authenticate", "Basic"), ("Proxy-Authenticate", "x"),
        ("Transfer-Encoding", "chunked"), ("Content-Length", "10"), ("X-Request-Id", "u"),
        ("Connection", "X-Hop"), ("X-Hop", "h"), ("Content-Type", "application/json"),
        ("ETag", '"v1"'),
    ])
    assert kept == [("Content-Type", "application/json"), ("ETag", '"v1"')]


def test_the_relay_gives_lower_case_bytes_and_the_length_apart() -> None:
    kept, length = relay_headers([
        ("Server", "nginx"), ("Content-Type", "application/json"),
        ("Content-Length", "1024"), ("Connection", "keep-alive"), ("Set-Cookie", "s=1"),
        ("X-Request-Id", "u"), ("ETag", '"v1"'),
    ])
    assert kept == [(b"server", b"nginx"), (b"content-type", b"application/json"),
                    (b"etag", b'"v1"')]
    assert length == "1024"


def test_the_relay_drops_what_connection_lists() -> None:
    kept, length = relay_headers([
        ("Connection", "close, X-Hop"), ("X-Hop", "h"), ("close", "c"), ("X-Kept", "k"),
        ("connection", "X-Other"), ("X-Other", "o"),
    ])
    assert kept == [(b"x-kept", b"k")]
    assert length is None
