"""Spec fetches and token endpoints go out on the one outbound client: the data plane's
retries (idempotent calls only), error codes and llhttp's strictness, against real
loopback servers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from gateway.errors import UpstreamError, UpstreamUnreachable
from gateway.fetch import DocumentFetcher
from gateway.oauth import client as oauth_client
from gateway.oauth.errors import TokenEndpointError
from gateway.oauth.plan import OAuthPlan
from gateway.proxy.retry import RetryPolicy
from gateway.security.egress import EgressGuard
from tests.gateway.proxy.test_http1 import _Recorder, raw_server

GUARD = EgressGuard(["127.0.0.1/32"])


@contextmanager
def answering(answers: list[bytes]) -> Iterator[tuple[str, list[bytes]]]:
    """A loopback server that reads one request per connection and sends the next of
    ``answers`` (the last one again once they run out), then closes."""

    def handler(conn: _Recorder, index: int) -> None:
        if conn.request():
            conn.sendall(answers[min(index, len(answers) - 1)])

    with raw_server(handler) as (port, seen):
        yield f"http://127.0.0.1:{port}", seen


def _answer(status: str, body: bytes, *extra: str) -> bytes:
    head = "".join(f"{line}\r\n" for line in extra)
    return (f"HTTP/1.1 {status}\r\n{head}Content-Length: {len(body)}\r\nConnection: close"
            f"\r\n\r\n").encode() + body


def _fetcher(**options: object) -> DocumentFetcher:
    return DocumentFetcher(GUARD, max_bytes=1000, **options)  # type: ignore[arg-type]


def test_a_fetch_is_retried_on_a_503_like_a_proxied_get() -> None:
    with answering([_answer("503 Busy", b"later", "Retry-After: 0"),
                    _answer("200 OK", b"openapi: 3.0.0")]) as (url, seen):
        assert _fetcher()(url + "/spec.yaml") == b"openapi: 3.0.0"
    assert len(seen) == 2
    assert seen[0].startswith(b"GET /spec.yaml HTTP/1.1\r\nHost: 127.0.0.1:")


def test_a_fetch_follows_redirects_and_keeps_refusing_errors() -> None:
    with answering([_answer("302 Found", b"", "Location: /moved"),
                    _answer("404 Not Found", b"no")]) as (url, seen):
        with pytest.raises(UpstreamError, match="answered HTTP 404"):
            _fetcher(retry=RetryPolicy(max_retries=0))(url + "/spec.yaml")
    assert [request.split(b" ")[1] for request in seen] == [b"/spec.yaml", b"/moved"]


def test_a_malformed_answer_to_a_fetch_is_the_data_planes_502() -> None:
    with answering([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"]
                   ) as (url, _):
        with pytest.raises(UpstreamUnreachable, match="malformed") as caught:
            _fetcher()(url + "/spec.yaml")
    assert caught.value.details[0]["phase"] == "response"
    assert not caught.value.retryable


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _plan(token_url: str) -> OAuthPlan:
    return OAuthPlan(mode="oauth2", authorization_url="", token_url=token_url, scopes=(),
                     client_id="portway", client_secret="s3cret")


def test_an_unreachable_token_endpoint_says_so_and_that_nothing_was_sent() -> None:
    with pytest.raises(TokenEndpointError) as caught:
        oauth_client.client_credentials(_plan(f"http://127.0.0.1:{_closed_port()}/token"),
                                        GUARD)
    error = caught.value
    assert "could not be reached" in error.message and "connection refused" in error.message
    assert error.details == [{"phase": "connect"}] and error.retryable
    assert "s3cret" not in error.message


def test_a_token_answer_comes_through_the_outbound_client() -> None:
    token = b'{"access_token": "at-1", "token_type": "Bearer", "expires_in": 60}'
    with answering([_answer("200 OK", token, "Content-Type: application/json")]
                   ) as (url, seen):
        tokens = oauth_client.client_credentials(_plan(url + "/token"), GUARD)
    assert tokens.access_token == "at-1"
    request = seen[0]
    assert request.startswith(b"POST /token HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"Authorization: Basic " in request  # authlib's client_secret_basic
    assert b"Content-Length: " in request


def test_a_token_endpoint_that_breaks_framing_is_a_token_endpoint_error() -> None:
    with answering([b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok"]) as (url, _):
        with pytest.raises(TokenEndpointError, match="malformed") as caught:
            oauth_client.client_credentials(_plan(url + "/token"), GUARD)
    assert not caught.value.retryable  # the request was sent: not repeated blindly
