"""The lean HTTP/1.1 client through the whole gateway against hostile or broken raw
upstreams: malformed heads, ambiguous framing (request smuggling defence), bad chunks,
short bodies, resets, stalls, dead ports, oversized answers and kept-alive connections the
upstream closes. Every failure is a clear 502 or 504 in the one error shape, or, once the
head has been relayed, a cut connection: never a hang, never a truncated answer passed
off as whole."""

from __future__ import annotations

import socket
import struct
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.gateway.conftest import RunningGateway
from tests.gateway.proxy.conftest import custom_gateway
from tests.gateway.proxy.test_http1_upstreams import Peer, answer_each, hostile_env, raw_upstream

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def _call(gateway: RunningGateway, port: int, path: str = "echo/x", method: str = "GET",
          **proxy: Any) -> tuple[httpx.Response, float]:
    env = hostile_env(gateway, port, **proxy)
    started = time.monotonic()
    with env.client() as client:
        response = client.request(method, env.path(path), headers={"x-request-id": "rid-1"})
    return response, time.monotonic() - started


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["requestId"] and isinstance(error["message"], str)
    return error


def _answer_once(answer: bytes) -> Any:
    def handler(peer: Peer, index: int) -> None:
        if peer.request():
            peer.send(answer)
            time.sleep(0.15)  # stay open: the gateway must not wait for a close

    return handler


BAD_HEADS = {
    "not-http": b"SMTP ready\r\n\r\n",
    "four-digit-status": b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
    "status-below-100": b"HTTP/1.1 099 Odd\r\nContent-Length: 2\r\n\r\nok",
    "http-2-line": b"HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "no-space": b"HTTP/1.1200 OK\r\nContent-Length: 2\r\n\r\nok",
    "unasked-101": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\n\r\n",
    "folded": b"HTTP/1.1 200 OK\r\nX-A: one\r\n  two\r\nContent-Length: 2\r\n\r\nok",
    "no-colon": b"HTTP/1.1 200 OK\r\nJust words\r\nContent-Length: 2\r\n\r\nok",
    "space-in-name": b"HTTP/1.1 200 OK\r\nX Y: 1\r\nContent-Length: 2\r\n\r\nok",
    "nul-in-value": b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok",
    "bare-cr-in-value": b"HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: s=1\r\n"
                        b"Content-Length: 2\r\n\r\nok",
    "too-many-headers": b"HTTP/1.1 200 OK\r\n" + b"X-N: 1\r\n" * 300
                        + b"Content-Length: 2\r\n\r\nok",
    "too-long-header": b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000
                       + b"\r\nContent-Length: 2\r\n\r\nok",
    "bare-lf-lines": b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
    "endless-interim": b"HTTP/1.1 100 Continue\r\n\r\n" * 40 + OK,
}


@pytest.mark.parametrize("answer", BAD_HEADS.values(), ids=BAD_HEADS.keys())
def test_malformed_heads_are_a_prompt_502(gateway: RunningGateway, answer: bytes) -> None:
    with raw_upstream(_answer_once(answer)) as (port, _):
        response, elapsed = _call(gateway, port, readTimeout=3)
    error = _error(response, 502, "UpstreamUnreachable")
    assert "malformed" in error["message"]
    assert elapsed < 2  # refused as soon as read, not after a timeout
    assert "x-a" not in response.headers and "set-cookie" not in response.headers


AMBIGUOUS = {
    "two-lengths": b"Content-Length: 2\r\nContent-Length: 7\r\n\r\nok",
    "same-length-twice": b"Content-Length: 2\r\nContent-Length: 2\r\n\r\nok",
    "length-list": b"Content-Length: 2, 7\r\n\r\nok",
    "te-and-length": b"Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    "length-and-te": b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    "te-gzip": b"Transfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    "te-not-chunked": b"Transfer-Encoding: notchunked\r\n\r\nok",
    "signed-length": b"Content-Length: +2\r\n\r\nok",
    "superscript-length": b"Content-Length: \xb2\r\n\r\nok",
}


@pytest.mark.parametrize("rest", AMBIGUOUS.values(), ids=AMBIGUOUS.keys())
def test_ambiguous_framing_is_refused(gateway: RunningGateway, rest: bytes) -> None:
    with raw_upstream(_answer_once(b"HTTP/1.1 200 OK\r\n" + rest)) as (port, seen):
        env = hostile_env(gateway, port, readTimeout=3)
        started = time.monotonic()
        with env.client() as client:
            responses = [client.get(env.path("echo/x")) for _ in range(2)]
        elapsed = time.monotonic() - started
    for response in responses:
        _error(response, 502, "UpstreamUnreachable")
    assert elapsed < 2
    assert seen.connections == 2  # a connection with untrusted framing is never reused


def _chunked_then(tail: bytes) -> Any:
    def handler(peer: Peer, index: int) -> None:
        if peer.request():
            peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"3\r\nabc\r\n", tail, pause=0.05)
            time.sleep(0.15)

    return handler


BAD_CHUNKS = {
    "negative-size": b"-5\r\nhello\r\n0\r\n\r\n",
    "prefixed-size": b"0x5\r\nhello\r\n0\r\n\r\n",
    "underscore-size": b"1_0\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n",
    "no-crlf-after-data": b"5\r\nhelloXY0\r\n\r\n",
    "endless-size-line": b"5" * 10_000,
    "closed-mid-chunk": b"a\r\nabc",
}


@pytest.mark.parametrize("tail", BAD_CHUNKS.values(), ids=BAD_CHUNKS.keys())
def test_a_bad_chunk_cuts_the_relayed_answer(gateway: RunningGateway, tail: bytes) -> None:
    # The head went to the caller before the bad chunk arrived: the only honest signal
    # left is a broken connection, never a clean end of a chunked answer.
    with raw_upstream(_chunked_then(tail)) as (port, _):
        env = hostile_env(gateway, port, readTimeout=3)
        started = time.monotonic()
        with env.client() as client, pytest.raises(httpx.TransportError):
            client.get(env.path("echo/x"))
        assert time.monotonic() - started < 2


def test_a_short_body_is_a_502_when_small(gateway: RunningGateway) -> None:
    def handler(peer: Peer, index: int) -> None:
        if peer.request():
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")

    with raw_upstream(handler) as (port, _):
        response, _ = _call(gateway, port)
    _error(response, 502, "UpstreamUnreachable")


def test_a_short_body_cuts_the_connection_when_streamed(gateway: RunningGateway) -> None:
    def handler(peer: Peer, index: int) -> None:
        if peer.request():
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 400000\r\n\r\n" + b"x" * 1000)

    with raw_upstream(handler) as (port, _):
        env = hostile_env(gateway, port)
        with env.client() as client, pytest.raises(httpx.TransportError):
            client.get(env.path("echo/x"))


def test_a_reset_ends_an_answer_until_close_as_a_break(gateway: RunningGateway) -> None:
    def handler(peer: Peer, index: int) -> None:
        if peer.request():
            peer.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", b"partial" * 100,
                      pause=0.05)
            time.sleep(0.05)
            # SO_LINGER 0: close with a reset, not a FIN; the body is not complete.
            peer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))

    with raw_upstream(handler) as (port, _):
        env = hostile_env(gateway, port)
        with env.client() as client, pytest.raises(httpx.TransportError):
            client.get(env.path("echo/x"))


def test_a_head_then_silence_is_a_504(gateway: RunningGateway) -> None:
    def handler(peer: Peer, index: int) -> None:
        if peer.request():
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            time.sleep(0.9)

    with raw_upstream(handler) as (port, _):
        response, elapsed = _call(gateway, port, readTimeout=0.5)
    error = _error(response, 504, "UpstreamTimeout")
    assert "stopped sending" in error["message"]
    assert 0.4 < elapsed < 1.5


def test_silence_after_a_relayed_head_cuts_the_connection(gateway: RunningGateway) -> None:
    def handler(peer: Peer, index: int) -> None:
        if peer.request():
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 400000\r\n\r\n" + b"x" * 1000)
            time.sleep(0.9)

    with raw_upstream(handler) as (port, _):
        env = hostile_env(gateway, port, readTimeout=0.5)
        started = time.monotonic()
        with env.client() as client, pytest.raises(httpx.TransportError):
            client.get(env.path("echo/x"))
        assert time.monotonic() - started < 1.5  # cut at the read timeout


def test_an_upstream_that_never_answers_is_a_504(gateway: RunningGateway) -> None:
    with raw_upstream(lambda peer, index: time.sleep(1.2)) as (port, _):
        response, elapsed = _call(gateway, port, readTimeout=0.5)
    _error(response, 504, "UpstreamTimeout")
    assert elapsed < 1.5


def test_an_upstream_that_never_accepts_is_a_504(gateway: RunningGateway) -> None:
    # A listener that never accepts, its backlog filled: further handshakes go unanswered.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.1)
        response, elapsed = _call(gateway, port, connectTimeout=0.4)
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
    error = _error(response, 504, "UpstreamTimeout")
    assert error["details"] == [{"phase": "connect"}]
    assert elapsed < 1.5


def test_a_refused_connection_is_a_502(gateway: RunningGateway) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: refused
        response, _ = _call(gateway, port)
    error = _error(response, 502, "UpstreamUnreachable")
    assert "refused" in error["message"]


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000,
], ids=["declared"])
def test_an_answer_over_the_cap_is_refused_by_its_length(tmp_path: Path,
                                                          answer: bytes) -> None:
    with custom_gateway(tmp_path, egress={"max_response_bytes": 1000}) as gateway, \
            raw_upstream(_answer_once(answer)) as (port, _):
        response, _ = _call(gateway, port)
    _error(response, 502, "UpstreamResponseTooLarge")


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"100\r\n" + b"x" * 256 + b"\r\n" * 1 + (b"100\r\n" + b"x" * 256 + b"\r\n") * 1000
    + b"0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"x" * 300_000,
], ids=["chunked", "until-close"])
def test_an_answer_over_the_cap_without_length_is_cut(tmp_path: Path, answer: bytes) -> None:
    def handler(peer: Peer, index: int) -> None:
        if peer.request():
            peer.send(answer[:2000], answer[2000:], pause=0.05)

    with custom_gateway(tmp_path, egress={"max_response_bytes": 100_000}) as gateway, \
            raw_upstream(handler) as (port, _):
        env = hostile_env(gateway, port)
        received = 0
        with env.client() as client, pytest.raises(httpx.TransportError), \
                client.stream("GET", env.path("echo/x")) as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                received += len(chunk)
    assert received <= 100_000


def test_an_idle_connection_the_upstream_closed_is_replaced(gateway: RunningGateway) -> None:
    def handler(peer: Peer, index: int) -> None:
        if peer.request():
            peer.send(OK)  # then hang up while the connection idles in the pool

    with raw_upstream(handler) as (port, seen):
        env = hostile_env(gateway, port)
        with env.client() as client:
            first = client.get(env.path("echo/a"))
            time.sleep(0.1)
            second = client.get(env.path("echo/b"))
            third = client.post(env.path("items/3"))
    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert seen.connections == 3


def _close_on_second_request(peer: Peer, index: int) -> None:
    if index == 0:
        peer.request()
        peer.send(OK)
        peer.request()  # read the next request on the kept-alive connection, then hang up
        return
    answer_each(OK)(peer, index)


def test_an_idempotent_call_on_a_connection_closed_under_it_is_sent_again(
        gateway: RunningGateway) -> None:
    with raw_upstream(_close_on_second_request) as (port, seen):
        env = hostile_env(gateway, port)
        with env.client() as client:
            first = client.get(env.path("echo/a"))
            second = client.get(env.path("echo/b"))
    assert (first.status_code, second.status_code, second.content) == (200, 200, b"ok")
    assert [head.split(" ")[1] for head in seen.heads()] == [
        "/api/echo/a", "/api/echo/b", "/api/echo/b"]


def test_a_post_on_a_connection_closed_under_it_is_not_sent_twice(
        gateway: RunningGateway) -> None:
    with raw_upstream(_close_on_second_request) as (port, seen):
        env = hostile_env(gateway, port)
        with env.client() as client:
            first = client.get(env.path("echo/a"))
            second = client.post(env.path("items/7"))  # no body: replayable bytes
    assert first.status_code == 200
    _error(second, 502, "UpstreamUnreachable")
    assert [head.split(" ")[1] for head in seen.heads()] == ["/api/echo/a", "/api/items/7"]


def _upload_raw(gateway: RunningGateway, path: str, answered: threading.Event) -> bytes:
    """PUTs a chunked body of up to 12.5 MB from a thread, as fast as the gateway takes
    it, ending it one chunk after ``answered``; returns what the gateway answered.

    A raw socket, because an HTTP client that writes the whole body before reading would
    block on a gateway that has answered and stopped reading."""
    address = urlsplit(gateway.url)
    sock = socket.create_connection((address.hostname, address.port), timeout=5)

    def upload() -> None:
        try:
            sock.sendall(f"PUT {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
                         f"Authorization: Bearer {gateway.owner_token}\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n".encode())
            for _ in range(200):
                sock.sendall(b"10000\r\n" + b"u" * 65536 + b"\r\n")
                if answered.is_set():
                    break
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the gateway answered and closed: fine

    sender = threading.Thread(target=upload, daemon=True)
    sender.start()
    received = b""
    try:
        while b"\r\n\r\n" not in received or not received.endswith(b"too big!"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # unblocks the sender
        except OSError:
            pass  # the gateway closed it first
        sender.join(timeout=5)
        sock.close()
    return received


@pytest.mark.parametrize("hang_up", [True, False], ids=["then-closes", "then-stops-reading"])
def test_an_early_answer_to_an_upload_is_relayed(gateway: RunningGateway,
                                                 hang_up: bool) -> None:
    answered = threading.Event()

    def handler(peer: Peer, index: int) -> None:
        if index > 0:
            answer_each(OK)(peer, index)
            return
        data = b""
        while b"\r\n\r\n" not in data:
            data += peer.sock.recv(65536)
        time.sleep(0.3)  # the gateway's upload fills the socket buffers and blocks
        peer.send(b"HTTP/1.1 413 Too Large\r\nContent-Length: 8\r\n\r\ntoo big!")
        answered.set()
        if not hang_up:
            time.sleep(1.5)  # neither reads nor closes
            return
        # A lingering close, as servers do it: FIN, then read and drop what still comes
        # for a while (closing with unread data would send a reset that can destroy the
        # answer in flight, whatever the client does).
        peer.sock.shutdown(socket.SHUT_WR)
        peer.sock.settimeout(0.3)
        try:
            while peer.sock.recv(65536):
                pass
        except TimeoutError:
            pass

    with raw_upstream(handler) as (port, seen):
        env = hostile_env(gateway, port, readTimeout=1)
        started = time.monotonic()
        early = _upload_raw(gateway, env.path("upload"), answered)
        elapsed = time.monotonic() - started
        with env.client() as client:
            after = client.get(env.path("echo/x"))
    assert early.startswith(b"HTTP/1.1 413") and early.endswith(b"\r\n\r\ntoo big!")
    assert elapsed < 0.9  # at once, not at the read timeout
    assert after.status_code == 200
    assert seen.connections == 2  # half an upload leaves the connection unusable
