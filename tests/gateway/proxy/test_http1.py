"""The lean HTTP/1.1 client against a raw socket server that answers exactly the bytes
each test needs: framing (chunked, until close, HEAD, 1xx), keep-alive reuse, a stale
pooled connection, broken answers, and what it refuses to send."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gateway.errors import BadRequest, UpstreamTimeout, UpstreamUnreachable
from gateway.proxy.errors import UpstreamResponseTooLarge
from gateway.proxy.http1 import Http1Upstream
from gateway.proxy.upstream import Timeouts, UpstreamRequest, UpstreamResponse
from gateway.security.egress import VettedTarget
from tests.support.certificates import self_signed

Handler = Callable[[socket.socket, int], None]


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        while not rest.endswith(b"0\r\n\r\n"):
            rest += conn.recv(65536)
    elif b"content-length:" in head.lower():
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(rest) < length:
            rest += conn.recv(65536)
    return head + b"\r\n\r\n" + rest


@contextmanager
def raw_server(handler: Handler) -> Iterator[tuple[int, list[bytes]]]:
    """Accepts connections; ``handler(conn, index)`` answers each (index counts them)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    seen: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        index = 0
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5)
            current = index
            index += 1

            def answer(conn: socket.socket = conn, current: int = current) -> None:
                with conn:
                    handler(_Recorder(conn, seen), current)

            threading.Thread(target=answer, daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port, seen
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


class _Recorder:
    """A socket that records the requests it reads."""

    def __init__(self, conn: socket.socket, seen: list[bytes]) -> None:
        self.conn = conn
        self.seen = seen

    def request(self) -> bytes:
        data = _read_request(self.conn)
        if data:
            self.seen.append(data)
        return data

    def sendall(self, data: bytes) -> None:
        self.conn.sendall(data)


def _request(port: int, method: str = "GET", path: str = "/x", body: object = None,
             headers: dict[str, str] | None = None, limit: int = 10_000_000,
             read: float = 2.0) -> UpstreamRequest:
    target = VettedTarget(url=f"http://127.0.0.1:{port}{path}", scheme="http",
                          host="127.0.0.1", port=port, address="127.0.0.1")
    return UpstreamRequest(method=method, target=target, headers=headers or {},
                           body=body,  # type: ignore[arg-type]
                           timeouts=Timeouts(2, read, 5), max_response_bytes=limit)


def _exchange(*requests: UpstreamRequest) -> list[tuple[int, bytes] | Exception]:
    async def go() -> list[tuple[int, bytes] | Exception]:
        client = Http1Upstream()
        results: list[tuple[int, bytes] | Exception] = []
        try:
            for request in requests:
                try:
                    response: UpstreamResponse = await client.send(request)
                    results.append((response.status, await response.read(10**9)))
                    await response.aclose()
                except Exception as exc:  # the test asserts which
                    results.append(exc)
        finally:
            await client.aclose()
        return results

    return asyncio.run(go())


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def test_chunked_answers_are_dechunked_and_trailers_skipped() -> None:
    def handler(conn: _Recorder, index: int) -> None:
        conn.request()
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")

    with raw_server(handler) as (port, _):
        assert _exchange(_request(port)) == [(200, b"hello world")]


def test_an_answer_without_length_ends_when_the_server_closes() -> None:
    def handler(conn: _Recorder, index: int) -> None:
        conn.request()
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")

    with raw_server(handler) as (port, _):
        assert _exchange(_request(port)) == [(200, b"until the end")]


def test_head_and_interim_answers_have_no_body() -> None:
    def handler(conn: _Recorder, index: int) -> None:
        while conn.request():
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n"
                         b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n")

    with raw_server(handler) as (port, seen):
        assert _exchange(_request(port, "HEAD")) == [(200, b"")]
    assert seen[0].startswith(b"HEAD /x HTTP/1.1\r\nHost: 127.0.0.1:")


def test_a_kept_alive_connection_is_reused() -> None:
    def handler(conn: _Recorder, index: int) -> None:
        while conn.request():
            conn.sendall(OK)

    with raw_server(handler) as (port, seen):
        results = _exchange(_request(port), _request(port, path="/y?q=1"))
    assert results == [(200, b"ok"), (200, b"ok")]
    assert seen[1].startswith(b"GET /y?q=1 HTTP/1.1")


def test_a_stale_pooled_connection_is_replaced_once() -> None:
    def handler(conn: _Recorder, index: int) -> None:
        conn.request()
        conn.sendall(OK)  # then close without saying so: the pooled connection is stale

    with raw_server(handler) as (port, seen):
        results = _exchange(_request(port), _request(port))
    assert results == [(200, b"ok"), (200, b"ok")]
    assert len(seen) == 2


def test_a_streamed_upload_is_sent_chunked() -> None:
    async def parts() -> AsyncIterator[bytes]:
        for piece in (b"abc", b"", b"defg"):
            yield piece

    def handler(conn: _Recorder, index: int) -> None:
        conn.request()
        conn.sendall(OK)

    with raw_server(handler) as (port, seen):
        assert _exchange(_request(port, "PUT", body=parts())) == [(200, b"ok")]
    assert b"transfer-encoding: chunked" in seen[0].lower()
    assert seen[0].endswith(b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")


def test_broken_and_oversized_answers_are_errors() -> None:
    answers = {
        0: b"SMTP ready\r\n\r\n",
        1: b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        2: b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000,
        3: b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    }

    def handler(conn: _Recorder, index: int) -> None:
        conn.request()
        conn.sendall(answers[index])

    with raw_server(handler) as (port, _):
        results = _exchange(_request(port), _request(port), _request(port, limit=1000),
                            _request(port))
    assert isinstance(results[0], UpstreamUnreachable)
    assert isinstance(results[1], UpstreamUnreachable)
    assert isinstance(results[2], UpstreamResponseTooLarge)
    assert isinstance(results[3], UpstreamUnreachable)


def test_a_silent_server_times_out() -> None:
    def handler(conn: _Recorder, index: int) -> None:
        conn.request()
        threading.Event().wait(2)

    with raw_server(handler) as (port, _):
        results = _exchange(_request(port, read=0.2))
    assert isinstance(results[0], UpstreamTimeout)


@pytest.mark.parametrize(("method", "headers", "part"), [
    ("GET", {"x-a": "1\r\nX-Injected: yes"}, "header value"),
    ("GET", {"x-a": "1\nX-Injected: yes"}, "header value"),
    ("GET", {"x-a": "1\x00"}, "header value"),
    ("GET", {"x-a\r\nX-Injected": "yes"}, "header name"),
    ("GET\r\nX-Injected: yes\r\n", {}, "method"),
])
def test_line_breaks_in_outbound_heads_are_refused(method: str, headers: dict[str, str],
                                                   part: str) -> None:
    with raw_server(lambda conn, index: None) as (port, seen):
        results = _exchange(_request(port, method=method, headers=headers))
    assert isinstance(results[0], BadRequest)
    assert results[0].message == f"the outbound {part} contains a line break"
    assert seen == []


@pytest.mark.parametrize(("path", "sent"), [
    ("/a/b?x=1&y=%20", b"GET /a/b?x=1&y=%20 HTTP/1.1"),
    ("/a#fragment", b"GET /a HTTP/1.1"),
    ("/a?", b"GET /a HTTP/1.1"),
    ("?x=/y", b"GET /?x=/y HTTP/1.1"),
    ("", b"GET / HTTP/1.1"),
    ("/a\tb", b"GET /ab HTTP/1.1"),
])
def test_the_request_line_carries_the_urls_path_and_query(path: str, sent: bytes) -> None:
    def handler(conn: _Recorder, index: int) -> None:
        conn.request()
        conn.sendall(OK)

    with raw_server(handler) as (port, seen):
        assert _exchange(_request(port, path=path)) == [(200, b"ok")]
    assert seen[0].split(b"\r\n")[0] == sent


@pytest.mark.parametrize("status", [204, 304])
def test_no_body_statuses_end_at_the_head(status: int) -> None:
    def handler(conn: _Recorder, index: int) -> None:
        while conn.request():
            conn.sendall(b"HTTP/1.1 %d X\r\n\r\n" % status)

    with raw_server(handler) as (port, _):
        assert _exchange(_request(port), _request(port)) == [(status, b""), (status, b"")]


def test_https_goes_to_the_vetted_address_with_the_hosts_name(tmp_path: Path) -> None:
    cert_file, key_file = self_signed(tmp_path, "api.example.test")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    names: list[str | None] = []

    def remember(sock: ssl.SSLSocket, name: str | None, context: ssl.SSLContext) -> None:
        names.append(name)

    server_context.sni_callback = remember

    def handler(conn: _Recorder, index: int) -> None:
        try:
            tls = server_context.wrap_socket(conn.conn, server_side=True)
        except ssl.SSLError:
            return  # the client refused the certificate
        with tls:
            _Recorder(tls, conn.seen).request()  # type: ignore[arg-type]
            tls.sendall(OK)

    client_context = ssl.create_default_context(cafile=str(cert_file))

    def request(port: int, host: str) -> UpstreamRequest:
        target = VettedTarget(url=f"https://{host}:{port}/secure", scheme="https", host=host,
                              port=port, address="127.0.0.1")
        return UpstreamRequest("GET", target, {}, None, Timeouts(2, 2, 5), 1000)

    async def go(port: int) -> list[object]:
        client = Http1Upstream(ssl_context=client_context)
        results: list[object] = []
        try:
            for host in ("api.example.test", "other.example.test"):
                try:
                    response = await client.send(request(port, host))
                    results.append((response.status, await response.read(100)))
                except UpstreamUnreachable as exc:
                    results.append(exc)
        finally:
            await client.aclose()
        return results

    with raw_server(handler) as (port, seen):
        good, wrong_name = asyncio.run(go(port))
    assert good == (200, b"ok")
    assert isinstance(wrong_name, UpstreamUnreachable)  # the certificate names another host
    assert names[0] == "api.example.test"
    assert seen[0].startswith(b"GET /secure HTTP/1.1\r\nHost: api.example.test:")


def test_an_upstream_that_stops_reading_an_upload_times_out() -> None:
    async def endless() -> AsyncIterator[bytes]:
        block = b"z" * 65536
        for _ in range(2000):  # 128 MB, far more than the sockets buffer
            yield block

    def handler(conn: _Recorder, index: int) -> None:
        threading.Event().wait(3)  # never reads

    with raw_server(handler) as (port, _):
        results = _exchange(_request(port, "PUT", body=endless(), read=0.3))
    assert isinstance(results[0], UpstreamTimeout)
