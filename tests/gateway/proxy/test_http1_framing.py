"""The lean HTTP/1.1 client through the whole gateway against raw upstreams with odd but
legal framing: chunked with extensions, trailers and splits; until close; no body (HEAD,
204, 304, Content-Length 0); interim answers; keep-alive reuse; non-ASCII header bytes;
uploads streamed chunked or sized; the caller's Host and Expect."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.gateway.conftest import RunningGateway
from tests.gateway.proxy.conftest import ProxyEnv, Upstream, add_connection, build_connector
from tests.gateway.proxy.test_http1_upstreams import (
    FAST,
    Peer,
    answer_each,
    hostile_env,
    raw_upstream,
)
from tests.gateway.proxy.upstream_app import UpstreamState

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def _get(gateway: RunningGateway, port: int, path: str = "echo/x",
         method: str = "GET") -> httpx.Response:
    env = hostile_env(gateway, port)
    with env.client() as client:
        return client.request(method, env.path(path))


def test_chunk_extensions_trailers_and_splits_are_dechunked(gateway: RunningGateway) -> None:
    def handler(peer: Peer, index: int) -> None:
        peer.request()
        peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n",
                  b"5;name=value;q=\"x\"\r\nhel", b"lo\r", b"\n6\r\n wor", b"ld\r\n",
                  b"0\r\nX-Sum: 1\r\n\r\n", pause=0.02)

    with raw_upstream(handler) as (port, _):
        response = _get(gateway, port)
    assert (response.status_code, response.content) == (200, b"hello world")
    assert "x-sum" not in response.headers and "trailer" not in response.headers


def test_many_tiny_chunks_arrive_whole(gateway: RunningGateway) -> None:
    body = bytes(range(256)) * 4

    def handler(peer: Peer, index: int) -> None:
        peer.request()
        pieces = [b"1\r\n" + body[i:i + 1] + b"\r\n" for i in range(len(body))]
        peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                  *[b"".join(pieces[i:i + 64]) for i in range(0, len(pieces), 64)],
                  b"0\r\n\r\n", pause=0.001)

    with raw_upstream(handler) as (port, _):
        response = _get(gateway, port)
    assert (response.status_code, response.content) == (200, body)


def test_an_answer_until_close_is_relayed_whole(gateway: RunningGateway) -> None:
    body = b"z" * 300_000  # larger than what is read at once: it streams

    def handler(peer: Peer, index: int) -> None:
        peer.request()
        peer.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", body[:1000], body[1000:],
                  pause=0.02)

    with raw_upstream(handler) as (port, seen):
        env = hostile_env(gateway, port)
        with env.client() as client:
            first = client.get(env.path("echo/a"))
            second = client.get(env.path("echo/b"))
    assert (first.status_code, len(first.content), first.content == body) == (200, 300_000,
                                                                             True)
    assert second.status_code == 200
    assert seen.connections == 2  # a closed connection is never pooled


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    b"HTTP/1.1 204 No Content\r\n\r\n",
    b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n",
], ids=["length-0", "204", "304"])
def test_bodiless_answers_end_at_the_head_and_keep_the_connection(
        gateway: RunningGateway, answer: bytes) -> None:
    with raw_upstream(answer_each(answer)) as (port, seen):
        env = hostile_env(gateway, port)
        with env.client() as client:
            responses = [client.get(env.path(f"echo/{i}")) for i in range(3)]
    status = int(answer.split(b" ")[1])
    assert [(r.status_code, r.content) for r in responses] == [(status, b"")] * 3
    assert seen.connections == 1 and len(seen.requests) == 3


def test_head_answers_carry_a_length_but_no_body(gateway: RunningGateway) -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/plain\r\n\r\n"
    with raw_upstream(answer_each(answer)) as (port, seen):
        env = hostile_env(gateway, port)
        with env.client() as client:
            head = client.head(env.path("echo/x"))
            again = client.head(env.path("echo/y"))
    assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"",
                                                                               "1234")
    assert again.status_code == 200
    assert seen.heads()[0].startswith("HEAD /api/echo/x HTTP/1.1")
    assert seen.connections == 1  # nothing was left to read: the connection was kept


def test_interim_answers_are_skipped(gateway: RunningGateway) -> None:
    def handler(peer: Peer, index: int) -> None:
        while peer.request():
            peer.send(b"HTTP/1.1 100 Continue\r\n\r\n",
                      b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", OK,
                      pause=0.01)

    with raw_upstream(handler) as (port, seen):
        env = hostile_env(gateway, port)
        with env.client() as client:
            responses = [client.get(env.path("echo/x")) for _ in range(2)]
    assert [(r.status_code, r.content) for r in responses] == [(200, b"ok")] * 2
    assert seen.connections == 1


def test_one_connection_serves_many_calls(gateway: RunningGateway) -> None:
    with raw_upstream(answer_each(OK)) as (port, seen):
        env = hostile_env(gateway, port)
        with env.client() as client:
            statuses = {client.get(env.path(f"echo/{i}")).status_code for i in range(40)}
    assert statuses == {200}
    assert (seen.connections, len(seen.requests)) == (1, 40)


def test_non_ascii_header_bytes_pass_as_they_came(gateway: RunningGateway) -> None:
    answer = b"HTTP/1.1 200 OK\r\nX-Name: caf\xe9 \xff\r\nContent-Length: 2\r\n\r\nok"
    with raw_upstream(answer_each(answer)) as (port, _):
        response = _get(gateway, port)
    assert response.status_code == 200
    assert (b"x-name", b"caf\xe9 \xff") in response.headers.raw


def test_header_bytes_toward_the_upstream_are_kept_or_sent_as_utf8(
        gateway: RunningGateway) -> None:
    with raw_upstream(answer_each(OK)) as (port, seen):
        connector = build_connector(f"http://127.0.0.1:{port}/api", proxy=FAST)
        add_connection(gateway.services, connector, secrets={"api_key": "cl\u00e9-\u20ac"})
        env = ProxyEnv(gateway, Upstream("", UpstreamState()), connector)
        with env.client() as client:
            response = client.get(env.path("echo/x"), headers={b"x-caller": b"caf\xe9"})
    assert response.status_code == 200
    head = seen.requests[0]
    assert b"\r\nx-caller: caf\xe9\r\n" in head  # the caller's byte, as it came
    assert "\r\nx-api-key: cl\u00e9-\u20ac\r\n".encode() in head  # beyond latin-1: UTF-8


def _stream() -> Iterator[bytes]:
    yield from (b"first,", b"", b"second,", b"third")


def test_uploads_stream_chunked_or_with_the_callers_length(gateway: RunningGateway) -> None:
    with raw_upstream(answer_each(OK)) as (port, seen):
        env = hostile_env(gateway, port)
        with env.client() as client:
            unknown = client.put(env.path("upload"), content=_stream())
            sized = client.put(env.path("upload"), content=b"0123456789")
    assert (unknown.status_code, sized.status_code) == (200, 200)
    chunked_head, chunked_body = seen.requests[0].split(b"\r\n\r\n", 1)
    assert b"transfer-encoding: chunked" in chunked_head.lower()
    assert b"content-length" not in chunked_head.lower()
    assert _dechunk(chunked_body) == b"first,second,third"
    sized_head, sized_body = seen.requests[1].split(b"\r\n\r\n", 1)
    assert b"content-length: 10" in sized_head.lower() and sized_body == b"0123456789"
    assert b"transfer-encoding" not in sized_head.lower()


def _dechunk(body: bytes) -> bytes:
    out = b""
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return out
        out, body = out + body[:size], body[size + 2:]


def test_the_callers_host_never_reaches_the_upstream(gateway: RunningGateway) -> None:
    with raw_upstream(answer_each(OK)) as (port, seen):
        env = hostile_env(gateway, port)
        with env.client() as client:
            response = client.get(env.path("echo/x"), headers={"host": "evil.example"})
    assert response.status_code == 200
    head = seen.heads()[0].lower()
    assert head.count("\r\nhost:") == 1
    assert f"\r\nhost: 127.0.0.1:{port}\r\n" in head + "\r\n"
    assert "evil.example" not in head


def test_expect_100_continue_from_the_caller(gateway: RunningGateway) -> None:
    with raw_upstream(answer_each(OK)) as (port, seen):
        env = hostile_env(gateway, port)
        gateway_address = urlsplit(gateway.url)
        with socket.create_connection((gateway_address.hostname, gateway_address.port),
                                      timeout=5) as sock:
            sock.sendall(f"PUT {env.path('upload')} HTTP/1.1\r\n"
                         f"Host: {gateway_address.netloc}\r\n"
                         f"Authorization: Bearer {gateway.owner_token}\r\n"
                         "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n".encode())
            interim = _read_until(sock, b"\r\n\r\n")
            assert interim.startswith(b"HTTP/1.1 100")
            sock.sendall(b"hello")
            final = _read_until(sock, b"\r\n\r\nok")
    assert final.startswith(b"HTTP/1.1 200")
    head, _, body = seen.requests[0].partition(b"\r\n\r\n")
    assert body == b"hello" and b"expect" not in head.lower()


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    deadline = time.monotonic() + 5
    while marker not in data and time.monotonic() < deadline:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_connections_are_pooled_per_host_name(gateway: RunningGateway) -> None:
    with raw_upstream(answer_each(OK)) as (port, seen):
        by_address = hostile_env(gateway, port)
        by_name = hostile_env(gateway, port, connector_id="named", connection="named-conn",
                              host="localhost")
        with gateway.client() as client:
            for _ in range(3):
                assert client.get(by_address.path("echo/a")).status_code == 200
                assert client.get(by_name.path("echo/b", "named-conn")).status_code == 200
    hosts = [head.split("\r\nHost: ", 1)[1].split("\r\n", 1)[0] for head in seen.heads()]
    assert hosts == [f"127.0.0.1:{port}", f"localhost:{port}"] * 3
    assert seen.connections == 2  # one per host name, each reused, never shared
