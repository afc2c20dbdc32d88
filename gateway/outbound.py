"""Outbound calls that are not a connection's proxied ones, on the one outbound client.

The runtime's ``send_http`` (the Http action, polling triggers), spec and WSDL fetches
(``gateway.fetch``) and token endpoints (``gateway.oauth.client``) go out through the
pieces every proxied call uses: the egress guard (the connection goes to the vetted
address; the URL's host stays the ``Host`` header and TLS server name), the pooled
HTTP/1.1 client (``gateway.proxy.http1``: llhttp parsing, connect/read/total timeouts,
the size cap, certificates verified), the retrier where it applies (``retry``: idempotent
methods, errors whose ``retryable`` is true, 429/502/503/504 answers) and the one error
tree (403 ``EgressDenied``, 502 ``UpstreamUnreachable``, 504 ``UpstreamTimeout``, 502
``UpstreamResponseTooLarge``).

Blocking callers (the importers and authlib run in worker threads) use ``send_blocking``:
the same exchange on an event loop of the thread's own, with a client it closes after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.proxy.http1 import Http1Upstream
from gateway.proxy.retry import RetryPolicy, with_retries
from gateway.proxy.upstream import (
    Timeouts,
    TlsProfile,
    UpstreamClient,
    UpstreamRequest,
    UpstreamResponse,
    header_value,
)
from gateway.security.egress import EgressGuard


@dataclass(frozen=True)
class Answer:
    """An upstream's whole answer."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        return header_value(self.headers, name)


#: No retries: the caller's own retry policy decides (the runtime's actions).
NO_RETRIES = RetryPolicy(max_retries=0)


async def send(client: UpstreamClient, guard: EgressGuard, method: str, url: str, *,
               headers: Mapping[str, str] | None = None, body: bytes | None = None,
               timeouts: Timeouts, max_bytes: int, retry: RetryPolicy = NO_RETRIES,
               tls: TlsProfile | None = None) -> Answer:
    """Vet ``url``, send one request (retried per ``retry`` where that is safe) and read
    the whole answer, up to ``max_bytes``. Redirects are answers, never followed.

    Raises:
        EgressDenied: The guard refused the URL.
        UpstreamUnreachable, UpstreamTimeout, UpstreamResponseTooLarge: The exchange failed.
    """
    target = await guard.acheck(url)
    method = method.upper()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeouts.total

    async def attempt() -> UpstreamResponse:
        remaining = max(0.0, deadline - loop.time())
        return await client.send(UpstreamRequest(
            method=method, target=target, headers=dict(headers or {}), body=body,
            timeouts=Timeouts(timeouts.connect, timeouts.read, remaining),
            max_response_bytes=max_bytes, tls=tls))

    response = await with_retries(attempt, method=method, replayable=True, policy=retry)
    try:
        content = await response.read(max_bytes)
    finally:
        await response.aclose()
    return Answer(status=response.status, headers=list(response.headers), body=content)


def send_blocking(guard: EgressGuard, method: str, url: str, *,
                  headers: Mapping[str, str] | None = None, body: bytes | None = None,
                  timeouts: Timeouts, max_bytes: int, retry: RetryPolicy = NO_RETRIES,
                  tls: TlsProfile | None = None) -> Answer:
    """``send`` for a thread without a running event loop (a worker thread, the CLI)."""

    async def once() -> Answer:
        client = Http1Upstream()
        try:
            return await send(client, guard, method, url, headers=headers, body=body,
                              timeouts=timeouts, max_bytes=max_bytes, retry=retry, tls=tls)
        finally:
            await client.aclose()

    return asyncio.run(once())
