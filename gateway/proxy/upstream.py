"""The gateway's outbound HTTP client, behind one small interface.

``UpstreamClient`` is the interface; ``gateway.proxy.http1.Http1Upstream`` is the one
implementation, used for every outbound call (proxied calls, the Http action, SOAP with
client certificates, token endpoints, spec and WSDL fetches: ``gateway.outbound``).

Safety, whatever the caller asks:

* the connection goes to the address the egress guard vetted: requests keep their host
  name (for ``Host``, TLS server name and the connection pool's key);
* redirects are never followed, cookies never kept, bodies never decompressed (the
  caller gets the upstream's bytes and ``Content-Encoding``);
* an answer over ``max_response_bytes`` is refused (by ``Content-Length`` before reading,
  or by counting while streaming).

Small answers (known length up to ``BUFFER_LIMIT``) are read at once, which releases the
pooled connection immediately and lets the caller send the body in one message.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from gateway.proxy.errors import UpstreamResponseTooLarge
from gateway.security.egress import VettedTarget

#: Answers with a known length up to this size are read in one go.
BUFFER_LIMIT = 256 * 1024


@dataclass(frozen=True)
class Timeouts:
    """Seconds allowed to connect, between two reads, and for the whole exchange."""

    connect: float
    read: float
    total: float


@dataclass(frozen=True)
class TlsProfile:
    """A TLS context of its own (a client certificate, a private CA) and the key that
    keeps its pooled connections apart from every other profile's (a fingerprint)."""

    key: str
    context: ssl.SSLContext


@dataclass
class UpstreamRequest:
    method: str
    target: VettedTarget
    headers: dict[str, str]
    body: bytes | AsyncIterator[bytes] | None
    timeouts: Timeouts
    max_response_bytes: int
    #: None: the client's own TLS settings (the system's trust store, verified).
    tls: TlsProfile | None = None


@dataclass
class UpstreamResponse:
    """The upstream's answer: ``content`` when read at once, else ``stream``."""

    status: int
    headers: list[tuple[str, str]]
    content: bytes | None = None
    stream: AsyncIterator[bytes] | None = None
    _release: _Releaser | None = field(default=None, repr=False)

    @property
    def body(self) -> AsyncIterator[bytes]:
        """The body as chunks, whichever way it arrived (consumes a stream)."""
        return _chunks(self)

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    async def read(self, limit: int) -> bytes:
        """The whole body (streamed answers are read now, up to ``limit`` bytes)."""
        if self.content is not None:
            return self.content
        chunks: list[bytes] = []
        size = 0
        if self.stream is not None:
            async for chunk in self.stream:
                size += len(chunk)
                if size > limit:
                    await self.aclose()
                    raise UpstreamResponseTooLarge(
                        f"the upstream's answer is larger than {limit} bytes")
                chunks.append(chunk)
        self.content = b"".join(chunks)
        self.stream = None
        return self.content

    async def aclose(self) -> None:
        """Release the upstream connection (idempotent)."""
        if self._release is not None:
            release, self._release = self._release, None
            await release()


def header_value(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive), or None."""
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


async def _chunks(response: UpstreamResponse) -> AsyncIterator[bytes]:
    if response.content is not None:
        if response.content:
            yield response.content
        return
    if response.stream is not None:
        stream, response.stream = response.stream, None
        async for chunk in stream:
            yield chunk


class _Releaser(Protocol):
    async def __call__(self) -> None: ...


class UpstreamClient(Protocol):
    """Sends one request to a vetted target; what the pipeline needs of an HTTP client."""

    async def send(self, request: UpstreamRequest) -> UpstreamResponse: ...

    async def aclose(self) -> None: ...
