"""Requests the HTTP server must refuse, in the one error shape, before the app or an
upstream sees them (issue 13, item 10), through the real ``portway serve``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.security.conftest import Served, with_items_connection

KEY = "sk-framing-probe-0123456789"


@pytest.fixture(scope="module")
def ready(served: Served) -> Iterator[Served]:
    yield with_items_connection(served, KEY)


def _answer(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def _refused(ready: Served, request: bytes, status: int = 400) -> dict[str, object]:
    seen = len(ready.upstream.seen)
    code, headers, body = _answer(ready.raw(request))
    assert code == status, body
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    error = json.loads(body)["error"]
    assert error["requestId"] == headers["x-request-id"]
    assert len(ready.upstream.seen) == seen  # nothing reached the upstream
    return dict(error)


def _get(ready: Served, *lines: str, eol: str = "\r\n") -> bytes:
    head = ["GET /apim/items/conn/items/1 HTTP/1.1", "Host: gateway",
            f"Authorization: Bearer {ready.owner}", *lines]
    return (eol.join(head) + eol + eol).encode("latin-1")


@pytest.mark.parametrize("request_bytes", [
    b"GET /apim/items/conn/items/1 HTTP/1.1\nHost: gateway\n\n",          # bare LF
    b"GET /apim/items/conn/items/1 HTTP/1.1\r\nHost: gateway\n\r\n",      # one bare LF
    b"GET /apim/items/conn/items/1 HTTP/1.1\r\nHost: gateway\rX: 1\r\n\r\n",  # bare CR
], ids=["bare-lf", "one-bare-lf", "bare-cr"])
def test_line_endings_other_than_crlf_are_refused(ready: Served, request_bytes: bytes) -> None:
    error = _refused(ready, request_bytes)
    assert error["code"] == "BadRequest"
    assert "well-formed" in str(error["message"])


def test_a_bare_lf_request_with_credentials_reaches_nothing(ready: Served) -> None:
    _refused(ready, _get(ready, eol="\n"))


@pytest.mark.parametrize("request_bytes", [
    b"GET / HTTP/1.1\r\nHost: gateway\r\n folded: value\r\n\r\n",
    b"GET /a b HTTP/1.1\r\nHost: gateway\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: gateway\r\n\r\n",
    b"NOT A REQUEST\r\n\r\n",
    b"GET /\x01 HTTP/1.1\r\nHost: gateway\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: gateway\r\nX-Bad Name: 1\r\n\r\n",
], ids=["obs-fold", "space-in-target", "version", "garbage", "control-in-target",
        "space-in-name"])
def test_malformed_request_lines_and_headers_get_the_error_shape(ready: Served,
                                                                 request_bytes: bytes) -> None:
    assert _refused(ready, request_bytes)["code"] == "BadRequest"


def test_smuggling_framings_are_refused(ready: Served) -> None:
    both = (b"POST /apim/items/conn/items HTTP/1.1\r\nHost: gateway\r\n"
            b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    _refused(ready, both)
    twice = (b"POST /apim/items/conn/items HTTP/1.1\r\nHost: gateway\r\n"
             b"Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde")
    _refused(ready, twice)
    bad_chunk = (b"POST /apim/items/conn/items HTTP/1.1\r\nHost: gateway\r\n"
                 b"Authorization: Bearer " + ready.owner.encode() + b"\r\n"
                 b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"zz\r\n{}\r\n0\r\n\r\n")
    code, _headers, _body = _answer(ready.raw(bad_chunk))
    assert code == 400


@pytest.mark.parametrize("hosts", [(), ("a", "b")], ids=["none", "two"])
def test_an_http11_request_has_exactly_one_host(ready: Served, hosts: tuple[str, ...]) -> None:
    head = ["GET /healthz HTTP/1.1", *(f"Host: {h}" for h in hosts)]
    _refused(ready, ("\r\n".join(head) + "\r\n\r\n").encode())


def test_a_long_target_is_414_in_the_error_shape(ready: Served) -> None:
    error = _refused(ready, b"GET /healthz?" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: g\r\n\r\n",
                     414)
    assert error["code"] == "UriTooLong"
    # Far longer than any server limit: still the shape, never an empty answer.
    error = _refused(ready, b"GET /" + b"a" * 300_000 + b" HTTP/1.1\r\nHost: g\r\n\r\n", 414)
    assert error["code"] == "UriTooLong"


def test_large_headers_are_431_in_the_error_shape(ready: Served) -> None:
    error = _refused(ready, _get(ready, "X-Big: " + "b" * 40_000), 431)
    assert error["code"] == "HeadersTooLarge"
    many = [f"X-H{i}: {i}" for i in range(500)]
    assert _refused(ready, _get(ready, *many), 431)["code"] == "HeadersTooLarge"


def test_a_good_request_after_a_refused_one_works_on_a_new_connection(ready: Served) -> None:
    _refused(ready, b"GET / HTTP/1.1\nHost: g\n\n")
    code, _headers, body = _answer(ready.raw(_get(ready, "Connection: close")))
    assert code == 200, body


def test_pipelined_requests_are_answered_in_order(ready: Served) -> None:
    one = _get(ready, "x-ms-client-request-id: first")
    two = _get(ready, "x-ms-client-request-id: second", "Connection: close")
    raw = ready.raw(one + two)
    assert raw.count(b"HTTP/1.1 200 OK") == 2
    assert raw.index(b"x-request-id: first") < raw.index(b"x-request-id: second")
