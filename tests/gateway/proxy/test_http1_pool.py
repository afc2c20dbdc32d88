"""The lean HTTP/1.1 client's pool under the real pipeline (in process, no fake time):
connections idle past their limit are not used again; those within it are."""

from __future__ import annotations

import asyncio

from gateway.proxy.http1 import Http1Upstream
from gateway.proxy.pipeline import Proxy
from gateway.services import Services
from tests.gateway.conftest import RunningGateway
from tests.gateway.proxy.test_http1_upstreams import answer_each, hostile_env, raw_upstream

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def _calls(services: Services, pauses: list[float], idle_seconds: float) -> list[int]:
    token = services.principals.create_token("tester", "owner")
    principal = services.principals.authenticate(token)
    assert principal is not None
    client = Http1Upstream(idle_seconds=idle_seconds)
    proxy = Proxy(services, upstream=client)
    statuses = []
    try:
        for pause in pauses:
            await asyncio.sleep(pause)
            response = await proxy.call_operation(principal, "demo-conn", "echo",
                                                  {"rest": "x"})
            assert await response.read(100) == b"ok"
            statuses.append(response.status)
    finally:
        await proxy.aclose()
    return statuses


def test_connections_idle_too_long_are_replaced(gateway: RunningGateway) -> None:
    with raw_upstream(answer_each(OK)) as (port, seen):
        hostile_env(gateway, port)
        statuses = asyncio.run(_calls(gateway.services, [0, 0, 0.3, 0], idle_seconds=0.2))
    assert statuses == [200] * 4
    # calls 1-2 share a connection; call 3 comes after the idle limit: a new one, reused by 4
    assert (seen.connections, len(seen.requests)) == (2, 4)


def test_connections_within_the_idle_limit_are_reused(gateway: RunningGateway) -> None:
    with raw_upstream(answer_each(OK)) as (port, seen):
        hostile_env(gateway, port)
        statuses = asyncio.run(_calls(gateway.services, [0, 0.1, 0.1], idle_seconds=5))
    assert statuses == [200] * 3
    assert seen.connections == 1
