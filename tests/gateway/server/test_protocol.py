"""Portway's HTTP/1.1 server (``gateway.server``) on a real socket, serving small ASGI apps
written here: framing both ways, keep-alive, timeouts, flow, and apps that misbehave."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvloop

from gateway.server.protocol import HttpProtocol, ServerState
from tests.support.servers import raw_exchange


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with what it was asked, as JSON; ``/stream`` answers in three parts with
    no length; ``/fail`` raises before answering; ``/half`` raises mid-answer."""
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            EVENTS.append("disconnect")
            return
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path = scope["path"]
    if path == "/fail":
        raise RuntimeError("the app broke")
    if path == "/slow":
        await asyncio.sleep(0.3)
    if path in ("/stream", "/half"):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain")]})
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
            if path == "/half":
                raise RuntimeError("the app broke mid-answer")
        await send({"type": "http.response.body", "body": b""})
        return
    answer = json.dumps({"method": scope["method"], "path": path,
                         "raw_path": scope["raw_path"].decode(),
                         "query": scope["query_string"].decode(), "size": len(body),
                         "version": scope["http_version"],
                         "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]]}
                        ).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"application/json"), (b"content-length", b"%d" % len(answer))]})
    await send({"type": "http.response.body", "body": answer})


EVENTS: list[str] = []


@contextmanager
def served(app: Any = echo, **limits: float) -> Iterator[tuple[str, ServerState]]:
    """The server on a loopback port, on its own uvloop in a thread."""
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        state = ServerState(app, lifespan_state={},
                            keep_alive_seconds=limits.get("keep_alive", 30),
                            header_seconds=limits.get("header", 30),
                            max_connections=int(limits.get("max_connections", 0)))
        server = await asyncio.get_running_loop().create_server(
            lambda: HttpProtocol(state), "127.0.0.1", 0)
        box.update(port=server.sockets[0].getsockname()[1], state=state,
                   stop=asyncio.Event(), loop=asyncio.get_running_loop())
        ready.set()
        await box["stop"].wait()
        server.close()
        for conn in list(state.connections):
            conn.close()

    thread = threading.Thread(target=uvloop.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10)
    EVENTS.clear()
    try:
        yield f"127.0.0.1:{box['port']}", box["state"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(10)


def raw(address: str, data: bytes) -> bytes:
    host, port = address.split(":")
    return raw_exchange(host, int(port), data, timeout=5)


def test_keep_alive_serves_many_requests_on_one_connection() -> None:
    with served() as (address, _), httpx.Client(base_url=f"http://{address}") as client:
        answers = [client.get(f"/items/{i}", params={"q": "a b"}) for i in range(5)]
        posted = client.post("/upload", content=b"x" * 100_000)
    assert [a.json()["path"] for a in answers] == [f"/items/{i}" for i in range(5)]
    assert answers[0].json()["query"] == "q=a+b"
    assert posted.json()["size"] == 100_000
    assert answers[0].headers["date"]
    assert answers[0].headers["content-length"] == str(len(answers[0].content))


def test_the_path_is_decoded_and_the_raw_path_kept() -> None:
    with served() as (address, _), httpx.Client(base_url=f"http://{address}") as client:
        seen = client.get("/a%2Fb/caf%C3%A9").json()
    assert seen["path"] == "/a/b/café"
    assert seen["raw_path"] == "/a%2Fb/caf%C3%A9"


def test_an_answer_without_a_length_is_chunked_and_a_head_has_no_body() -> None:
    with served() as (address, _):
        with httpx.Client(base_url=f"http://{address}") as client:
            streamed = client.get("/stream")
        head = raw(address, b"HEAD /items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert streamed.text == "one,two,three"
    assert streamed.headers["transfer-encoding"] == "chunked"
    status, _, body = head.partition(b"\r\n\r\n")
    assert b"content-length: " in status and body == b""


def test_http10_gets_a_close_delimited_answer() -> None:
    with served() as (address, _):
        answer = raw(address, b"GET /stream HTTP/1.0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"connection: close" in head and b"chunked" not in head
    assert body == b"one,two,three"


def test_a_chunked_upload_streams_to_the_app() -> None:
    def parts() -> Iterator[bytes]:
        for _ in range(40):
            yield b"y" * 65_536

    with served() as (address, _), httpx.Client(base_url=f"http://{address}") as client:
        answer = client.post("/upload", content=parts())
    assert answer.json()["size"] == 40 * 65_536


def test_100_continue_is_sent_only_when_the_app_reads_the_body() -> None:
    host, port = "127.0.0.1", 0
    with served() as (address, _):
        host, port_text = address.split(":")
        port = int(port_text)
        with socket.create_connection((host, port), timeout=5) as sock:
            sock.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                         b"Expect: 100-continue\r\n\r\n")
            assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
            sock.sendall(b"abc")
            answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200 OK") and b'"size": 3' in answer


def test_an_app_that_raises_before_answering_gets_a_500_in_the_error_shape() -> None:
    with served() as (address, _), httpx.Client(base_url=f"http://{address}") as client:
        failed = client.get("/fail")
    assert failed.status_code == 500
    assert failed.json()["error"]["code"] == "InternalError"
    assert "broke" not in failed.text  # the exception's text is never echoed


def test_an_app_that_raises_mid_answer_cuts_the_connection() -> None:
    with served() as (address, _):
        answer = raw(address, b"GET /half HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert not answer.endswith(b"0\r\n\r\n")  # no final chunk: the caller sees it broken


def test_a_caller_that_leaves_mid_upload_is_a_disconnect_to_the_app() -> None:
    with served() as (address, _):
        host, port = address.split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab")
            time.sleep(0.2)
        deadline = time.monotonic() + 5
        while "disconnect" not in EVENTS and time.monotonic() < deadline:
            time.sleep(0.05)
    assert "disconnect" in EVENTS


def test_an_idle_connection_closes_after_the_keep_alive_time() -> None:
    with served(keep_alive=0.3) as (address, state):
        host, port = address.split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            started = time.monotonic()
            assert sock.recv(10) == b""  # closed by the server
            assert 0.2 < time.monotonic() - started < 3
        assert not state.connections


def test_trickled_headers_do_not_hold_a_connection_past_the_header_time() -> None:
    with served(header=0.5) as (address, _):
        host, port = address.split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            started = time.monotonic()
            closed = False
            for byte in b"GET /a HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"z" * 40:
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    closed = True
                    break
                time.sleep(0.05)
                sock.setblocking(False)
                try:
                    if sock.recv(10) == b"":
                        closed = True
                        break
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
            assert closed, "the server kept waiting for trickled headers"
            assert time.monotonic() - started < 2.5


def test_pipelined_requests_are_answered_in_order() -> None:
    requests = b"".join(b"GET /slow?n=%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(3))
    with served() as (address, _):
        answer = raw(address, requests + b"GET /last HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\n\r\n")
    bodies = [json.loads(part.split(b"\r\n\r\n", 1)[1]) for part in
              answer.split(b"HTTP/1.1 ")[1:]]
    assert [(b["path"], b["query"]) for b in bodies] == [
        ("/slow", "n=0"), ("/slow", "n=1"), ("/slow", "n=2"), ("/last", "")]


@pytest.mark.parametrize("target", [b"http://example.test/abs?x=1", b"*"])
def test_absolute_and_asterisk_targets(target: bytes) -> None:
    method = b"OPTIONS" if target == b"*" else b"GET"
    with served() as (address, _):
        answer = raw(address, method + b" " + target + b" HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\n\r\n")
    seen = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert (seen["path"], seen["query"]) == (("/abs", "x=1") if target != b"*" else ("*", ""))


def test_a_huge_upload_is_read_with_reading_paused_while_the_app_waits() -> None:
    """While the app does not read, the server stops reading too: the caller's sends
    block instead of the server buffering everything."""
    gate = threading.Event()

    async def lazy(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while not gate.is_set():
            await asyncio.sleep(0.02)
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = str(size).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"%d" % len(body))]})
        await send({"type": "http.response.body", "body": body})

    total = 64 * 1024 * 1024
    with served(lazy) as (address, _):
        host, port = address.split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % total)
            sock.settimeout(0.5)
            sent = 0
            chunk = b"z" * 65_536
            try:
                while sent < total:
                    sent += sock.send(chunk)
            except TimeoutError:
                pass
            assert sent < total / 4, "the server kept reading though the app did not"
            gate.set()
            sock.settimeout(10)
            while sent < total:
                sent += sock.send(chunk[: min(len(chunk), total - sent)])
            answer = sock.recv(65536)
    assert answer.endswith(str(total).encode())


def test_a_connection_over_the_cap_is_answered_503_and_closed() -> None:
    with served(max_connections=2) as (address, state):
        host, port = address.split(":")
        held = [socket.create_connection((host, int(port)), timeout=5) for _ in range(2)]
        try:
            deadline = time.monotonic() + 5
            while len(state.connections) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            over = raw(address, b"GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            head, _, body = over.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 503 ")
            assert b"connection: close" in head and b"retry-after: 1" in head
            error = json.loads(body)["error"]
            assert error["code"] == "ServerBusy"
            assert state.refused_at_cap == 1 and len(state.connections) == 2
            # The held connections are served as ever; once one goes, a new one is too.
            held[0].sendall(b"GET /items/2 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert held[0].recv(65536).startswith(b"HTTP/1.1 200 ")
        finally:
            for sock in held:
                sock.close()
        deadline = time.monotonic() + 5
        while state.connections and time.monotonic() < deadline:
            time.sleep(0.01)
        with httpx.Client(base_url=f"http://{address}") as client:
            assert client.get("/items/3").json()["path"] == "/items/3"


async def refuses_unread(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers 409 at once, reading nothing of the body."""
    await send({"type": "http.response.start", "status": 409,
                "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"no"})


def test_an_answer_before_the_body_has_arrived_says_the_connection_closes() -> None:
    """The rest of the body is not read, so the connection ends: the head must say so, or
    the caller sends its next request into the close (a reused connection that then
    fails with no answer)."""
    with served(refuses_unread) as (address, _):
        host, port = address.split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += sock.recv(65536)
        head = answer.partition(b"\r\n\r\n")[0].lower()
        assert head.startswith(b"http/1.1 409 ")
        assert b"connection: close" in head
        # A request whose body came whole keeps its connection, answered early or not.
        with httpx.Client(base_url=f"http://{address}") as client:
            first = client.put("/x", content=b"0123456789")
            second = client.get("/y")
        assert (first.status_code, second.status_code) == (409, 409)
        assert "close" not in first.headers.get("connection", "")
