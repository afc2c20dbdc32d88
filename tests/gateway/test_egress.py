"""The egress guard's hardening: remembered verdicts, names that resolve inward, and the
fetcher re-vetting every redirect hop (the proxy's own refusal to follow redirects is in
tests/gateway/proxy/test_faults.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.errors import EgressDenied, PayloadTooLarge
from gateway.fetch import DocumentFetcher
from gateway.security.egress import EgressGuard
from tests.support.servers import serve_in_thread


def test_a_name_resolving_to_loopback_is_refused() -> None:
    with pytest.raises(EgressDenied) as caught:
        asyncio.run(EgressGuard().acheck("http://localhost:8080/"))
    assert "loopback" in caught.value.message


def test_an_admitted_verdict_is_remembered_and_names_expire() -> None:
    guard = EgressGuard(["127.0.0.1/32", "localhost"], dns_ttl=0.0)

    async def go() -> tuple[str, str, str]:
        first = await guard.acheck("http://127.0.0.1:9/a")
        again = await guard.acheck("http://127.0.0.1:9/b?x=1")
        named = await guard.acheck("http://localhost:9/")
        return first.address, again.url, named.address

    address, url, named = asyncio.run(go())
    assert (address, url) == ("127.0.0.1", "http://127.0.0.1:9/b?x=1")
    assert named in ("127.0.0.1", "::1")


def test_a_refusal_is_never_remembered_as_an_admission() -> None:
    guard = EgressGuard()

    async def go() -> None:
        for _ in range(2):
            with pytest.raises(EgressDenied):
                await guard.acheck("http://10.0.0.1/")

    asyncio.run(go())


@pytest.fixture
def redirector() -> Iterator[str]:
    async def hop(request: Request) -> Response:
        return Response(status_code=302, headers={"location": "http://169.254.169.254/x"})

    async def big(request: Request) -> Response:
        return Response(b"y" * 5000)

    app = Starlette(routes=[Route("/hop", hop), Route("/big", big),
                            Route("/", lambda r: Response(b"ok"))])
    with serve_in_thread(app) as url:
        yield url


def test_the_fetcher_vets_each_redirect_hop(redirector: str) -> None:
    fetcher = DocumentFetcher(EgressGuard(["127.0.0.1/32"]), max_bytes=1000)
    with pytest.raises(EgressDenied) as caught:
        fetcher(redirector + "/hop")
    assert "169.254.169.254" in caught.value.message


def test_the_fetcher_caps_the_size(redirector: str) -> None:
    fetcher = DocumentFetcher(EgressGuard(["127.0.0.1/32"]), max_bytes=1000)
    with pytest.raises(PayloadTooLarge):
        fetcher(redirector + "/big")
