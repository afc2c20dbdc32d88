"""Raw-socket upstreams for the lean HTTP/1.1 client's tests through the whole gateway,
and a check of the helpers themselves.

``raw_upstream(handler)`` listens on loopback and runs ``handler(peer, index)`` for each
accepted connection in its own thread; ``peer.request()`` reads one request (head and
body, chunked or sized) and records it, ``peer.send()`` writes bytes exactly as given.
``hostile_env`` puts a connector and a connection in front of it on a running gateway.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.gateway.conftest import RunningGateway
from tests.gateway.proxy.conftest import ProxyEnv, Upstream, add_connection, build_connector
from tests.gateway.proxy.upstream_app import UpstreamState


@dataclass
class Seen:
    """What the upstream saw: each request's raw bytes, and how many connections."""

    requests: list[bytes] = field(default_factory=list)
    connections: int = 0

    def heads(self) -> list[str]:
        return [raw.split(b"\r\n\r\n", 1)[0].decode("latin-1") for raw in self.requests]


class Peer:
    """One accepted connection, as the handler sees it."""

    def __init__(self, sock: socket.socket, seen: Seen) -> None:
        self.sock = sock
        self.seen = seen
        self._rest = b""

    def _recv(self) -> bytes:
        try:
            return self.sock.recv(65536)
        except (TimeoutError, OSError):
            return b""

    def request(self) -> bytes:
        """One request, head and body (empty when the client closed first)."""
        data = self._rest
        while b"\r\n\r\n" not in data:
            chunk = self._recv()
            if not chunk:
                return b""
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lower = head.lower()
        if b"transfer-encoding: chunked" in lower:
            while b"0\r\n\r\n" not in rest:
                chunk = self._recv()
                if not chunk:
                    break
                rest += chunk
            cut = rest.index(b"0\r\n\r\n") + 5 if b"0\r\n\r\n" in rest else len(rest)
        elif b"content-length:" in lower:
            length = int(lower.split(b"content-length:")[1].split(b"\r\n")[0])
            while len(rest) < length:
                chunk = self._recv()
                if not chunk:
                    break
                rest += chunk
            cut = length
        else:
            cut = 0
        self._rest = rest[cut:]
        raw = head + b"\r\n\r\n" + rest[:cut]
        self.seen.requests.append(raw)
        return raw

    def send(self, *parts: bytes, pause: float = 0.0) -> None:
        """Writes each part as its own segment, ``pause`` seconds apart."""
        for index, part in enumerate(parts):
            if index and pause:
                time.sleep(pause)
            self.sock.sendall(part)


Handler = Callable[[Peer, int], None]


@contextmanager
def raw_upstream(handler: Handler, *, backlog: int = 16) -> Iterator[tuple[int, Seen]]:
    """A loopback listener answering each connection with ``handler``; yields the port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(backlog)
    listener.settimeout(0.1)
    port = listener.getsockname()[1]
    seen = Seen()
    stop = threading.Event()
    threads: list[threading.Thread] = []
    socks: list[socket.socket] = []

    def serve() -> None:
        index = 0
        while not stop.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(5)
            socks.append(sock)
            seen.connections += 1

            def run(sock: socket.socket = sock, current: int = index) -> None:
                with sock:
                    try:
                        handler(Peer(sock, seen), current)
                    except OSError:
                        pass  # the gateway hung up: that is what some tests want

            index += 1
            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            threads.append(thread)

    acceptor = threading.Thread(target=serve, daemon=True)
    acceptor.start()
    try:
        yield port, seen
    finally:
        stop.set()
        listener.close()
        acceptor.join(timeout=2)
        for sock in socks:  # the gateway keeps pooled connections open: unblock readers
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in threads:
            thread.join(timeout=2)


def answer_each(response: bytes) -> Handler:
    """A keep-alive server that answers every request on a connection with ``response``."""

    def handler(peer: Peer, index: int) -> None:
        while peer.request():
            peer.send(response)

    return handler


FAST = {"connectTimeout": 0.5, "readTimeout": 1.0, "totalTimeout": 5, "maxRetries": 0,
        "rateLimitCalls": 0}


def hostile_env(gateway: RunningGateway, port: int, connector_id: str = "demo",
                connection: str = "demo-conn", host: str = "127.0.0.1",
                **proxy: Any) -> ProxyEnv:
    """A connector over ``http://{host}:{port}/api`` with short timeouts, no retries,
    and a ``HEAD /echo/{rest}`` operation besides the usual ones."""
    base = f"http://{host}:{port}"
    connector = build_connector(base + "/api", connector_id=connector_id,
                                proxy={**FAST, **proxy})
    echo = next(op for op in connector.operations if op.operation_id == "echo")
    head = echo.model_copy(update={"operation_id": "headEcho", "method": "HEAD"})
    openapi = dict(connector.openapi or {})
    paths = dict(openapi["paths"])
    get = paths["/echo/{rest}"]["get"]
    paths["/echo/{rest}"] = {**paths["/echo/{rest}"],
                             "head": {**get, "operationId": "headEcho"}}
    connector = connector.model_copy(update={
        "operations": [*connector.operations, head], "openapi": {**openapi, "paths": paths}})
    add_connection(gateway.services, connector, name=connection)
    return ProxyEnv(gateway, Upstream(base, UpstreamState()), connector)


def test_the_raw_upstream_reads_sized_and_chunked_requests() -> None:
    def handler(peer: Peer, index: int) -> None:
        while peer.request():
            peer.send(b"HTTP/1.1 204 No Content\r\n\r\n")

    with raw_upstream(handler) as (port, seen), socket.create_connection(
            ("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(b"PUT /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                     b"PUT /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n")
        received = b""
        while received.count(b"204") < 2:
            received += sock.recv(1024)
    assert seen.heads()[0].startswith("PUT /a") and seen.requests[0].endswith(b"abc")
    assert seen.requests[1].endswith(b"2\r\nxy\r\n0\r\n\r\n")
    assert seen.connections == 1
