"""Errors translated at every edge: a database or Redis that goes away mid-service is a 503
``StoreUnavailable`` in the error shape, not a 500; ``PortwayError.retryable`` is what the
retrier reads, and an upstream failure after the request was sent is not retryable."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.app import create_app
from gateway.errors import UpstreamError, UpstreamTimeout, UpstreamUnreachable
from gateway.proxy.retry import RetryPolicy, with_retries
from gateway.proxy.upstream import UpstreamResponse
from gateway.services import build_services
from tests.gateway.api.test_errors import assert_error_shape
from tests.gateway.conftest import RunningGateway, make_settings
from tests.gateway.proxy.conftest import (
    FakeTime,
    Upstream,
    add_connection,
    build_connector,
    custom_gateway,
)
from tests.support.databases import create_database, drop_database
from tests.support.servers import free_port, serve_in_thread


@pytest.mark.postgres
def test_a_database_that_goes_away_is_503_store_unavailable(
        tmp_path: Path, postgres_server_url: str) -> None:
    url = create_database(postgres_server_url, "going_away")
    services = build_services(make_settings(tmp_path, url))
    try:
        with serve_in_thread(create_app(services=services, extensions=[])) as base:
            gateway = RunningGateway(base, (tmp_path / "owner.token").read_text().strip(),
                                     services)
            with gateway.client() as client:
                assert client.get("/v1/connectors").status_code == 200
                drop_database(postgres_server_url, "going_away")
                gone = client.get("/v1/connectors")
                ready = client.get("/readyz")
    finally:
        services.db.dispose()
    assert_error_shape(gone, 503, "StoreUnavailable")
    assert "going_away" in gone.json()["error"]["message"]
    assert ready.status_code == 503


def test_redis_that_goes_away_is_503_store_unavailable(
        tmp_path: Path, upstream: Upstream) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with custom_gateway(tmp_path, redis={"url": nowhere}) as gateway:
        add_connection(gateway.services, build_connector(
            upstream.url + "/api", proxy={"rateLimitCalls": 10}))
        with gateway.client() as client:
            answer = client.get("/apim/demo/demo-conn/items/1")
    assert_error_shape(answer, 503, "StoreUnavailable")
    assert "Redis" in answer.json()["error"]["message"]


@pytest.mark.parametrize("error, retryable", [
    (UpstreamUnreachable("refused", details=[{"phase": "connect"}]), True),
    (UpstreamTimeout("no accept", details=[{"phase": "connect"}]), True),
    (UpstreamUnreachable("no DNS", details=[{"phase": "resolve"}]), True),
    (UpstreamTimeout("no answer", details=[{"phase": "response"}]), False),
    (UpstreamUnreachable("broke off", details=[{"phase": "exchange"}]), False),
    (UpstreamTimeout("stopped sending"), False),
    (UpstreamTimeout("out of time", details=[{"phase": "total"}]), False),
])
def test_retryable_says_whether_anything_was_sent(error: UpstreamError,
                                                  retryable: bool) -> None:
    assert error.retryable is retryable


@pytest.mark.parametrize("retryable, attempts", [(True, 3), (False, 1)])
def test_the_retrier_reads_retryable(retryable: bool, attempts: int) -> None:
    calls: list[int] = []
    time = FakeTime()

    async def attempt() -> UpstreamResponse:
        calls.append(1)
        raise UpstreamError("the upstream failed", retryable=retryable)

    with pytest.raises(UpstreamError):
        asyncio.run(with_retries(attempt, method="GET", replayable=True,
                                 policy=RetryPolicy(max_retries=2), clock=time.clock,
                                 sleep=time.sleep))
    assert len(calls) == attempts
