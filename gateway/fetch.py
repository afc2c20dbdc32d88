"""Fetching documents (spec URLs, WSDL imports) through the egress guard.

Used by importers as their ``Fetcher``, in worker threads and in the CLI. Each request
goes out on the one outbound client (``gateway.outbound.send_blocking``): the connection
goes to the vetted address (the Host header and TLS server name keep the original host),
timeouts and retries are the data plane's, and the body is capped. Each hop of a
redirect is vetted again.
"""

from __future__ import annotations

from urllib.parse import urljoin

from gateway.errors import PayloadTooLarge, UpstreamError
from gateway.outbound import send_blocking
from gateway.proxy.errors import UpstreamResponseTooLarge
from gateway.proxy.retry import RetryPolicy
from gateway.proxy.upstream import Timeouts
from gateway.security.egress import EgressGuard

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class DocumentFetcher:
    """A blocking ``importers.Fetcher`` that honours the egress policy."""

    def __init__(self, guard: EgressGuard, *, max_bytes: int, max_redirects: int = 5,
                 timeout: float = 20.0, retry: RetryPolicy | None = None) -> None:
        self._guard = guard
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._timeouts = Timeouts(connect=min(timeout, 5.0), read=timeout, total=timeout)
        self._retry = retry or RetryPolicy()

    def __call__(self, url: str) -> bytes:
        for _hop in range(self._max_redirects + 1):
            try:
                answer = send_blocking(self._guard, "GET", url, timeouts=self._timeouts,
                                       max_bytes=self._max_bytes, retry=self._retry)
            except UpstreamResponseTooLarge:
                raise PayloadTooLarge(f"the document at {_shown(url)} is larger than "
                                      f"{self._max_bytes} bytes") from None
            location = answer.header("location")
            if answer.status in _REDIRECTS and location:
                url = urljoin(url, location)
                continue
            if answer.status >= 400:
                raise UpstreamError(f"fetching {_shown(url)} answered HTTP {answer.status}")
            return answer.body
        raise UpstreamError(f"fetching {_shown(url)} redirected too many times")


def _shown(url: str) -> str:
    return url.split("?", 1)[0][:200]
