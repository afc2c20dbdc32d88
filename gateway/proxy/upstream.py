"""The outbound HTTP client of the data plane, behind one small interface.

Foreign exceptions of the HTTP client are translated here and nowhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from gateway.errors import UpstreamTimeout, UpstreamUnreachable
from gateway.fetch import pinned_url
from gateway.security.egress import VettedTarget


@dataclass
class UpstreamResponse:
    status: int
    headers: list[tuple[str, str]]
    body: AsyncIterator[bytes]
    close: object  # an async callable that releases the connection


class Upstream:
    """Sends one request to a vetted target and streams the answer back."""

    def __init__(self, *, connect_timeout: float, read_timeout: float, total_timeout: float
                 ) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        self.total_timeout = total_timeout

    async def send(self, method: str, target: VettedTarget, headers: dict[str, str],
                   body: bytes | AsyncIterator[bytes] | None) -> UpstreamResponse:
        default_port = 443 if target.scheme == "https" else 80
        headers = {**headers,
                   "host": target.host if target.port == default_port
                   else f"{target.host}:{target.port}"}
        request = self._client.build_request(
            method, pinned_url(target), headers=headers, content=body,
            extensions={"sni_hostname": target.host},
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TimeoutException:
            raise UpstreamTimeout(f"the upstream {target.host!r} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise UpstreamUnreachable(
                f"the upstream {target.host!r} could not be reached ({type(exc).__name__})"
            ) from None
        return UpstreamResponse(
            status=response.status_code,
            headers=[(k.decode("latin-1"), v.decode("latin-1"))
                     for k, v in response.headers.raw],
            body=_stream(response, target.host),
            close=response.aclose,
        )

    async def aclose(self) -> None:
        await self._client.aclose()


async def _stream(response: httpx.Response, host: str) -> AsyncIterator[bytes]:
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    except httpx.TimeoutException:
        raise UpstreamTimeout(f"the upstream {host!r} stopped sending") from None
    except httpx.HTTPError as exc:
        raise UpstreamUnreachable(f"the upstream {host!r} broke off ({type(exc).__name__})"
                                  ) from None
    finally:
        await response.aclose()
