"""Throttling: 429 with Retry-After through the gateway, and counters shared by processes
through Redis and PostgreSQL (two counter objects stand for two gateway processes)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.proxy.throttle import DatabaseThrottle, LocalThrottle, RedisThrottle, Throttle
from gateway.store.database import Database
from tests.gateway.conftest import RunningGateway
from tests.gateway.proxy.conftest import (
    Upstream,
    add_connection,
    build_connector,
    custom_gateway,
    make_env,
)
from tests.support.databases import create_database


def test_a_connection_over_its_limit_gets_429_with_retry_after(
        gateway: RunningGateway, upstream: Upstream) -> None:
    env = make_env(gateway, upstream, proxy={"rateLimitCalls": 3, "rateLimitPeriod": 60})
    with env.client() as client:
        statuses = [client.get(env.path("items/1")).status_code for _ in range(3)]
        refused = client.get(env.path("items/1"))
        metrics = client.get("/metrics").text
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "Throttled"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert 'portway_proxy_throttled_total{connector="demo"}' in metrics


def test_nothing_is_throttled_unless_the_connector_or_the_operator_declares_it(
        gateway: RunningGateway, upstream: Upstream, tmp_path: Path) -> None:
    # The connector declares no limit: a load test's 150 calls all go through.
    add_connection(gateway.services, build_connector(upstream.url + "/api"))
    path = "/apim/demo/demo-conn/items/1"
    with gateway.client() as client:
        statuses = {client.get(path).status_code for _ in range(150)}
    assert statuses == {200}
    # The operator declares one for every connector that declares none.
    (tmp_path / "limited").mkdir()
    with custom_gateway(tmp_path / "limited", proxy={"rate_limit_calls": 2}) as limited:
        add_connection(limited.services, build_connector(upstream.url + "/api"))
        with limited.client() as client:
            answers = [client.get(path).status_code for _ in range(3)]
    assert answers == [200, 200, 429]


def test_the_window_turns_on_the_clock() -> None:
    now = [120.0]
    throttle = LocalThrottle(clock=lambda: now[0])

    async def go() -> list[float | None]:
        results = [await throttle.hit("c", 2, 60) for _ in range(3)]
        now[0] = 180.5  # the next window
        results.append(await throttle.hit("c", 2, 60))
        return results

    assert asyncio.run(go()) == [None, None, 60.0, None]


async def _shared(first: Throttle, second: Throttle) -> list[float | None]:
    try:
        return [await first.hit("conn", 3, 60), await second.hit("conn", 3, 60),
                await first.hit("conn", 3, 60), await second.hit("conn", 3, 60),
                await first.hit("other", 3, 60)]
    finally:
        await first.aclose()
        await second.aclose()


@pytest.mark.redis
def test_redis_counters_are_shared_between_processes(redis_url: str) -> None:
    clock = lambda: 1_000_000.0  # noqa: E731
    results = asyncio.run(_shared(RedisThrottle(redis_url, clock=clock),
                                  RedisThrottle(redis_url, clock=clock)))
    assert results[:3] == [None, None, None]
    assert results[3] == pytest.approx(20.0)  # the window 999960..1000020 has 20 s left
    assert results[4] is None


@pytest.mark.postgres
def test_postgresql_counters_are_shared_between_processes(postgres_server_url: str) -> None:
    url = create_database(postgres_server_url, "throttle_shared")
    first, second = Database(url), Database(url)
    first.migrate()
    clock = lambda: 1_000_000.0  # noqa: E731
    try:
        results = asyncio.run(_shared(DatabaseThrottle(first, clock=clock),
                                      DatabaseThrottle(second, clock=clock)))
    finally:
        first.dispose()
        second.dispose()
    assert results[:3] == [None, None, None]
    assert results[3] == pytest.approx(20.0)
    assert results[4] is None


def _two_gateways_share_the_limit(tmp_path: Path, upstream: Upstream, database_url: str,
                                  **sections: dict[str, object]) -> list[int]:
    settings = {"database": {"url": database_url}, **sections}
    with custom_gateway(tmp_path, **settings) as first, \
            custom_gateway(tmp_path, **settings) as second:
        env = make_env(first, upstream, proxy={"rateLimitCalls": 3, "rateLimitPeriod": 60})
        statuses = []
        for gateway in (first, second, first, second):
            with gateway.client() as client:
                statuses.append(client.get(env.path("items/1")).status_code)
    return statuses


@pytest.mark.redis
def test_two_gateways_share_a_connections_limit_through_redis(
        tmp_path: Path, upstream: Upstream, redis_url: str) -> None:
    statuses = _two_gateways_share_the_limit(
        tmp_path, upstream, f"sqlite:///{tmp_path / 'shared.db'}", redis={"url": redis_url})
    assert statuses == [200, 200, 200, 429]


@pytest.mark.postgres
def test_two_gateways_share_a_connections_limit_through_postgresql(
        tmp_path: Path, upstream: Upstream, postgres_server_url: str) -> None:
    url = create_database(postgres_server_url, "throttle_gateways")
    assert _two_gateways_share_the_limit(tmp_path, upstream, url) == [200, 200, 200, 429]
