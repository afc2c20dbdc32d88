"""The outbound HTTP client of the data plane, behind one small interface.

``UpstreamClient`` is the interface; ``AiohttpUpstream`` is the implementation, chosen by
measurement (docs/proxy.md: httpx's ``AsyncClient`` pool collapses under concurrency).
Foreign exceptions of the HTTP client are translated here and nowhere else.

Safety, whatever the caller asks:

* the connection goes to the address the egress guard vetted: requests keep their host
  name (for ``Host``, TLS server name and the connection pool's key) and a resolver that
  only knows vetted addresses answers the client's look-ups;
* redirects are never followed, cookies never kept, bodies never decompressed (the
  caller gets the upstream's bytes and ``Content-Encoding``);
* an answer over ``max_response_bytes`` is refused (by ``Content-Length`` before reading,
  or by counting while streaming).

Small answers (known length up to ``BUFFER_LIMIT``) are read at once, which releases the
pooled connection immediately and lets the caller send the body in one message.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from gateway.errors import UpstreamTimeout, UpstreamUnreachable
from gateway.proxy.errors import UpstreamResponseTooLarge
from gateway.security.egress import VettedTarget

#: Answers with a known length up to this size are read in one go.
BUFFER_LIMIT = 256 * 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Timeouts:
    """Seconds allowed to connect, between two reads, and for the whole exchange."""

    connect: float
    read: float
    total: float


@dataclass
class UpstreamRequest:
    method: str
    target: VettedTarget
    headers: dict[str, str]
    body: bytes | AsyncIterator[bytes] | None
    timeouts: Timeouts
    max_response_bytes: int


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
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None

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


class VettedResolver(AbstractResolver):
    """Answers look-ups only with addresses the egress guard vetted for that host."""

    def __init__(self) -> None:
        self._addresses: dict[tuple[str, int], str] = {}

    def pin(self, target: VettedTarget) -> None:
        if len(self._addresses) > 10_000:
            self._addresses.clear()
        self._addresses[(target.host, target.port)] = target.address

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        address = self._addresses.get((host.lower().rstrip("."), port))
        if address is None:
            raise OSError(f"no vetted address for {host!r}")
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [ResolveResult(hostname=host, host=address, port=port, family=family,
                              proto=0, flags=socket.AI_NUMERICHOST)]

    async def close(self) -> None:
        self._addresses.clear()


class AiohttpUpstream:
    """``UpstreamClient`` on aiohttp's pooled client."""

    def __init__(self, *, max_connections: int = 512) -> None:
        self._max_connections = max_connections
        self._resolver = VettedResolver()
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self._max_connections, resolver=self._resolver, use_dns_cache=False,
            keepalive_timeout=30, enable_cleanup_closed=False,
        )
        self._session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
            trust_env=False, skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"),
            timeout=aiohttp.ClientTimeout(total=None), raise_for_status=False,
        )
        return self._session

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        session = self._session or self._open()
        target = request.target
        self._resolver.pin(target)
        timeouts = request.timeouts
        timeout = aiohttp.ClientTimeout(total=timeouts.total, sock_connect=timeouts.connect,
                                        sock_read=timeouts.read)
        try:
            response = await session.request(
                request.method, URL(target.url, encoded=True), headers=request.headers,
                data=request.body, allow_redirects=False, timeout=timeout,
                server_hostname=target.host if target.scheme == "https" else None,
            )
        except aiohttp.ConnectionTimeoutError:
            raise UpstreamTimeout(f"the upstream {target.host!r} did not accept a connection "
                                  "in time", details=[{"phase": "connect"}]) from None
        except (TimeoutError, aiohttp.ServerTimeoutError):
            raise UpstreamTimeout(f"the upstream {target.host!r} did not answer in time",
                                  details=[{"phase": "response"}]) from None
        except aiohttp.ClientConnectorError as exc:
            raise UpstreamUnreachable(
                f"the upstream {target.host!r} could not be reached ({_reason(exc)})",
                details=[{"phase": "connect"}]) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise UpstreamUnreachable(
                f"the upstream {target.host!r} broke off ({type(exc).__name__})",
                details=[{"phase": "exchange"}]) from None
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers]
        length = response.content_length
        limit = request.max_response_bytes
        if length is not None and length > limit:
            response.release()
            raise UpstreamResponseTooLarge(
                f"the upstream {target.host!r} answered {length} bytes; the limit is {limit}")
        if request.method == "HEAD" or response.status in (204, 304) or (
                length is not None and length <= BUFFER_LIMIT):
            try:
                body = await response.read() if request.method != "HEAD" else b""
            except (TimeoutError, aiohttp.ServerTimeoutError):
                raise UpstreamTimeout(f"the upstream {target.host!r} stopped sending") from None
            except (aiohttp.ClientError, OSError) as exc:
                raise UpstreamUnreachable(
                    f"the upstream {target.host!r} broke off ({type(exc).__name__})") from None
            finally:
                response.release()
            return UpstreamResponse(response.status, headers, content=body)

        async def release() -> None:
            response.release()

        return UpstreamResponse(response.status, headers,
                                stream=_stream(response, target.host, limit), _release=release)

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


async def _stream(response: aiohttp.ClientResponse, host: str, limit: int
                  ) -> AsyncIterator[bytes]:
    size = 0
    try:
        async for chunk in response.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise UpstreamResponseTooLarge(
                    f"the upstream {host!r} sent more than {limit} bytes")
            yield chunk
    except (TimeoutError, aiohttp.ServerTimeoutError):
        raise UpstreamTimeout(f"the upstream {host!r} stopped sending") from None
    except aiohttp.ClientError as exc:
        raise UpstreamUnreachable(
            f"the upstream {host!r} broke off ({type(exc).__name__})") from None
    finally:
        response.release()


def _reason(exc: aiohttp.ClientConnectorError) -> str:
    error = exc.os_error
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return type(error).__name__
