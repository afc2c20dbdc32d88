"""Calls in flight with the same bearer token share one database lookup when it is not
cached (a cache that expires under load must not turn into a read per call)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import sqlalchemy as sa

from gateway.app import create_app
from gateway.services import Services
from tests.support.servers import serve_portway_in_thread


def test_concurrent_calls_share_one_token_lookup(services: Services) -> None:
    token = services.principals.create_token("caller", "owner")
    lookups: list[float] = []

    def slow_token_reads(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "token_hash" in statement:  # a slow database, for the calls to pile up on
            lookups.append(time.monotonic())
            time.sleep(0.3)

    sa.event.listen(services.db.engine, "before_cursor_execute", slow_token_reads)
    try:
        with serve_portway_in_thread(create_app(services=services, extensions=[])) as base:
            async def call_all() -> list[int]:
                limits = httpx.Limits(max_connections=20)
                async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
                    answers = await asyncio.gather(*(
                        client.get("/v1/connectors", headers={
                            "authorization": f"Bearer {token}"}) for _ in range(20)))
                return [answer.status_code for answer in answers]

            statuses = asyncio.run(call_all())
    finally:
        sa.event.remove(services.db.engine, "before_cursor_execute", slow_token_reads)
    assert statuses == [200] * 20
    assert len(lookups) == 1, lookups


def test_a_lookup_that_fails_fails_every_waiter_and_is_not_kept(services: Services) -> None:
    with serve_portway_in_thread(create_app(services=services, extensions=[])) as base, \
            httpx.Client(base_url=base, timeout=30) as client:
        refused = [client.get("/v1/connectors", headers={"authorization": "Bearer nope"})
                   for _ in range(2)]
        token = services.principals.create_token("late", "owner")
        accepted = client.get("/v1/connectors", headers={"authorization": f"Bearer {token}"})
    assert [r.status_code for r in refused] == [401, 401]
    assert accepted.status_code == 200
