"""Fetching documents (spec URLs, WSDL imports) through the egress guard.

Used by importers as their ``Fetcher``. Each hop of a redirect is vetted again, the
connection goes to the vetted address (the Host header and TLS server name keep the
original host), and the body is capped.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from gateway.errors import PayloadTooLarge, UpstreamError, UpstreamTimeout, UpstreamUnreachable
from gateway.security.egress import EgressGuard, VettedTarget


class DocumentFetcher:
    """A blocking ``importers.Fetcher`` that honours the egress policy."""

    def __init__(self, guard: EgressGuard, *, max_bytes: int, max_redirects: int = 5,
                 timeout: float = 20.0) -> None:
        self._guard = guard
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._timeout = timeout

    def __call__(self, url: str) -> bytes:
        for _hop in range(self._max_redirects + 1):
            target = self._guard.check(url)
            try:
                with httpx.Client(timeout=self._timeout, follow_redirects=False) as client:
                    request = client.build_request(
                        "GET", pinned_url(target), headers={"Host": _host_header(target)},
                        extensions={"sni_hostname": target.host},
                    )
                    response = client.send(request, stream=True)
                    try:
                        if response.is_redirect and "location" in response.headers:
                            url = urljoin(url, response.headers["location"])
                            continue
                        if response.status_code >= 400:
                            raise UpstreamError(
                                f"fetching {_shown(url)} answered HTTP {response.status_code}"
                            )
                        return _read_capped(response, self._max_bytes, url)
                    finally:
                        response.close()
            except httpx.TimeoutException:
                raise UpstreamTimeout(f"fetching {_shown(url)} timed out") from None
            except httpx.HTTPError as exc:
                raise UpstreamUnreachable(
                    f"fetching {_shown(url)} failed: {type(exc).__name__}"
                ) from None
        raise UpstreamError(f"fetching {_shown(url)} redirected too many times")


def pinned_url(target: VettedTarget) -> str:
    """The target URL with its host replaced by the vetted address."""
    parts = urlsplit(target.url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    return urlunsplit((parts.scheme, f"{address}:{target.port}", parts.path or "/",
                       parts.query, ""))


def _host_header(target: VettedTarget) -> str:
    default = 443 if target.scheme == "https" else 80
    return target.host if target.port == default else f"{target.host}:{target.port}"


def _read_capped(response: httpx.Response, limit: int, url: str) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the document at {_shown(url)} is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the document at {_shown(url)} is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _shown(url: str) -> str:
    return url.split("?", 1)[0][:200]
