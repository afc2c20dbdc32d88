"""Faults against real upstreams on loopback: slow, dead, flapping, redirecting, huge.

Retries run on fake time (the proxy's injectable clock and sleep), so nothing here waits
for a back-off for real.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from gateway.errors import EgressDenied, UpstreamTimeout, UpstreamUnreachable
from gateway.proxy.errors import UpstreamResponseTooLarge
from gateway.services import Services
from tests.gateway.conftest import RunningGateway
from tests.gateway.proxy.conftest import (
    FakeTime,
    ProxyEnv,
    Upstream,
    add_connection,
    build_connector,
    custom_gateway,
    direct_proxy,
    make_env,
)
from tests.support.servers import free_port


def test_a_slow_upstream_is_a_504_in_the_error_shape(
        gateway: RunningGateway, upstream: Upstream) -> None:
    env = make_env(gateway, upstream, proxy={"readTimeout": 0.3})
    with env.client() as client:
        response = client.get(env.path("slow"), params={"seconds": "3"})
    assert response.status_code == 504
    error = response.json()["error"]
    assert error["code"] == "UpstreamTimeout"
    assert error["requestId"] == response.headers["x-request-id"]


def test_the_total_timeout_bounds_the_whole_exchange(
        gateway: RunningGateway, upstream: Upstream) -> None:
    env = make_env(gateway, upstream, proxy={"readTimeout": 10, "totalTimeout": 0.4})
    with env.client() as client:
        response = client.get(env.path("slow"), params={"seconds": "3"})
    assert response.status_code == 504


def test_a_dead_upstream_is_a_502_in_the_error_shape(gateway: RunningGateway) -> None:
    connector = build_connector(f"http://127.0.0.1:{free_port()}/api", connector_id="dead",
                                proxy={"rateLimitCalls": 0, "maxRetries": 0})
    add_connection(gateway.services, connector, name="dead-conn")
    with gateway.client() as client:
        response = client.get("/apim/dead/dead-conn/items/1")
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "UpstreamUnreachable"
    assert "connection refused" in error["message"]
    assert error["requestId"] == response.headers["x-request-id"]


def _run(services: Services, operation: str, arguments: dict[str, object],
         time: FakeTime, connection: str = "demo-conn") -> tuple[int, bytes]:
    async def go() -> tuple[int, bytes]:
        async with direct_proxy(services, time) as (proxy, principal):
            response = await proxy.call_operation(principal, connection, operation,
                                                  arguments)
            return response.status, await response.read(10_000_000)

    return asyncio.run(go())


def test_a_flapping_upstream_is_retried_until_it_answers(
        services: Services, upstream: Upstream) -> None:
    add_connection(services, build_connector(upstream.url + "/api", proxy={
        "rateLimitCalls": 0, "maxRetries": 3, "retryBudgetSeconds": 10}))
    time = FakeTime()
    status, body = _run(services, "flap", {"key": "flap-503", "failures": "2"}, time)
    assert status == 200
    assert body == b'{"attempt":3}'
    assert len(time.sleeps) == 2
    assert 0 <= time.sleeps[0] <= 0.1
    assert 0 <= time.sleeps[1] <= 0.2


def test_retry_after_is_honoured(services: Services, upstream: Upstream) -> None:
    add_connection(services, build_connector(upstream.url + "/api", proxy={
        "rateLimitCalls": 0, "maxRetries": 2, "retryBudgetSeconds": 10}))
    time = FakeTime()
    status, _ = _run(services, "flap", {"key": "flap-429", "failures": "1", "status": "429",
                                        "retryAfter": "3"}, time)
    assert status == 200
    assert time.sleeps == [3.0]


def test_a_retry_after_beyond_the_budget_returns_the_answer_at_once(
        services: Services, upstream: Upstream) -> None:
    add_connection(services, build_connector(upstream.url + "/api", proxy={
        "rateLimitCalls": 0, "maxRetries": 2, "retryBudgetSeconds": 5}))
    time = FakeTime()
    status, _ = _run(services, "flap", {"key": "flap-late", "failures": "1", "status": "503",
                                        "retryAfter": "30"}, time)
    assert status == 503
    assert time.sleeps == []


def test_a_post_is_not_retried(services: Services, upstream: Upstream) -> None:
    add_connection(services, build_connector(upstream.url + "/api", proxy={
        "rateLimitCalls": 0, "maxRetries": 3}))
    time = FakeTime()
    status, _ = _run(services, "flapPost", {"key": "flap-post", "failures": "1"}, time)
    assert status == 503
    assert time.sleeps == []
    assert upstream.state.hits["flap:flap-post"] == 1


def test_connect_errors_are_retried_then_reported(services: Services) -> None:
    add_connection(services, build_connector(f"http://127.0.0.1:{free_port()}/api", proxy={
        "rateLimitCalls": 0, "maxRetries": 2, "retryBudgetSeconds": 10}))
    time = FakeTime()
    with pytest.raises(UpstreamUnreachable):
        _run(services, "getItem", {"id": 1}, time)
    assert len(time.sleeps) == 2


def test_a_redirect_is_handed_back_not_followed(env: ProxyEnv) -> None:
    with env.client() as client:
        response = client.get(env.path("redirect"))
    assert response.status_code == 302
    assert response.headers["location"] == "http://169.254.169.254/latest"


def test_a_private_upstream_is_refused_by_the_egress_guard(gateway: RunningGateway) -> None:
    connector = build_connector("http://10.255.255.1/api", connector_id="private",
                                proxy={"rateLimitCalls": 0})
    add_connection(gateway.services, connector, name="private-conn")
    with gateway.client() as client:
        response = client.get("/apim/private/private-conn/items/1")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == EgressDenied.code


def test_an_answer_over_the_size_cap_is_refused(tmp_path: Path, upstream: Upstream) -> None:
    with custom_gateway(tmp_path, egress={"allow": ("127.0.0.1/32",),
                                          "max_response_bytes": 1_000_000}) as gateway:
        env = make_env(gateway, upstream)
        with env.client() as client:
            declared = client.get(env.path("huge"), params={"bytes": "2000000",
                                                            "length": "1"})
            small = client.get(env.path("huge"), params={"bytes": "500000"})
            with pytest.raises(httpx.RemoteProtocolError):
                client.get(env.path("huge"), params={"bytes": "3000000"})
    assert declared.status_code == 502
    assert declared.json()["error"]["code"] == UpstreamResponseTooLarge.code
    assert small.status_code == 200
    assert len(small.content) == 500_000


def test_timeouts_map_to_the_error_tree(services: Services, upstream: Upstream) -> None:
    add_connection(services, build_connector(upstream.url + "/api", proxy={
        "rateLimitCalls": 0, "readTimeout": 0.2}))
    with pytest.raises(UpstreamTimeout):
        _run(services, "slow", {"seconds": "2"}, FakeTime())
