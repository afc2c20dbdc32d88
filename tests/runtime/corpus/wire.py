"""Exact HTTP/1.1 requests: the bytes a case says were sent, and the answer as it came.

The trigger requests of the cases list their headers in order (``headers_in_order``), and
the Request trigger echoes them back, so the runner writes the request itself rather than
through a client that adds its own headers (``Accept-Encoding``, ``Connection``...).
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class WireResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _Reader:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection mid-answer")
        self.buffer += chunk

    def line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def rest(self) -> bytes:
        while True:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionError:
                chunk = b""
            if not chunk:
                data, self.buffer = self.buffer, b""
                return data
            self.buffer += chunk


def _read_body(reader: _Reader, method: str, status: int,
               headers: Sequence[tuple[str, str]]) -> bytes:
    lowered = {k.lower(): v for k, v in headers}
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return b""
    if "chunked" in lowered.get("transfer-encoding", "").lower():
        body = b""
        while True:
            size = int(reader.line().split(b";", 1)[0].strip(), 16)
            if size == 0:
                while reader.line():
                    pass
                return body
            body += reader.exactly(size)
            reader.line()
    if "content-length" in lowered:
        return reader.exactly(int(lowered["content-length"]))
    return reader.rest()


def send(url: str, method: str, headers: Sequence[tuple[str, str]], body: bytes | None,
         timeout: float = 120.0) -> WireResponse:
    """Send exactly this request line, these headers in this order, and these body bytes.

    ``url`` gives the address and the request target (path and query, as written); no
    header is added, not even ``Host``: the caller lists every header it wants sent.
    """
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    head = f"{method} {target} HTTP/1.1\r\n".encode("latin-1")
    head += b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in headers)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80),
                                  timeout=timeout) as sock:
        sock.sendall(head + b"\r\n" + (body or b""))
        reader = _Reader(sock)
        while True:
            status_line = reader.line().decode("latin-1")
            status = int(status_line.split(" ", 2)[1])
            answer: list[tuple[str, str]] = []
            while line := reader.line():
                name, _, value = line.decode("latin-1").partition(":")
                answer.append((name.strip(), value.strip()))
            if status != 100:
                break
        return WireResponse(status, tuple(answer), _read_body(reader, method, status, answer))
