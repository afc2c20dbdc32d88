"""Trigger concurrency over a real database, on a clock the tests move: with
``runtimeConfiguration.concurrency`` at most ``runs`` runs are in flight, the rest wait in
the store and start as runs end, a full queue makes a recurring trigger skip; a
``SingleInstance`` polling trigger does not poll while a run is in flight; and two
processes starting the waiting runs of one workflow on PostgreSQL start exactly the
limit. Runs end by being cancelled (the engine of these hosts stores runs without running
them)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import Services, Throttled
from gateway.services import build_services
from runtime.host import RuntimeHost
from runtime.store.tables import trigger_fires, trigger_states
from runtime.triggers.concurrency import limits_of
from runtime.triggers.scheduler import TriggerScheduler
from runtime.triggers.state import Fire, TriggerStates
from tests.gateway.conftest import make_settings
from tests.runtime.engine.support import ManualClock
from tests.runtime.triggers.support import START, count, deploy, host_for, run, run_ids
from tests.support.servers import serve_in_thread

EVERY_MINUTE = {"frequency": "Minute", "interval": 1}


def limited(runs: int, waiting: int) -> dict[str, Any]:
    return {"tick": {"type": "Recurrence", "recurrence": EVERY_MINUTE,
                     "runtimeConfiguration": {"concurrency": {
                         "runs": runs, "maximumWaitingRuns": waiting}}}}


async def cancel_oldest(host: RuntimeHost, workflow: str) -> None:
    await host.engine.cancel(sorted(run_ids(host.services, workflow))[-1])


def skipped(services: Services) -> bool:
    with services.db.engine.connect() as conn:
        [row] = conn.execute(trigger_states.select()).all()
    return "WorkflowRunInProgress" in row.state


@pytest.mark.both_backends
def test_runs_beyond_the_limit_wait_and_a_full_queue_skips_the_occurrence(
        services: Services) -> None:
    clock = ManualClock(START)
    host = host_for(services, clock)
    deploy(host, "limited", limited(runs=2, waiting=1))
    scheduler = TriggerScheduler(host, clock=clock)

    async def body() -> list[tuple[int, int, int]]:
        seen = []
        for _ in range(4):  # fires, fires, waits, skipped (2 in flight, 1 waiting)
            started = await scheduler.tick()
            seen.append((started, len(run_ids(services, "limited")),
                         count(services, trigger_fires)))
            await clock.advance(60)
        await cancel_oldest(host, "limited")
        seen.append((await scheduler.start_pending(), len(run_ids(services, "limited")),
                     count(services, trigger_fires)))
        await host.engine.aclose()
        return seen

    assert run(body) == [(1, 1, 0), (1, 2, 0), (0, 2, 1), (0, 2, 1), (1, 3, 0)]
    assert skipped(services)


@pytest.fixture
def feed() -> Iterator[list[str]]:
    polls: list[str] = []

    async def items(request: Request) -> Response:
        polls.append(request.url.path)
        return JSONResponse({"items": [{"n": len(polls)}]})

    with serve_in_thread(Starlette(routes=[Route("/items", items)])) as url:
        polls.append(url)
        yield polls


@pytest.mark.both_backends
def test_a_single_instance_polling_trigger_does_not_poll_while_a_run_is_in_flight(
        services: Services, feed: list[str]) -> None:
    clock = ManualClock(START)
    host = host_for(services, clock)
    url = feed.pop(0)
    deploy(host, "single", {"poll": {
        "type": "Http", "inputs": {"method": "GET", "uri": f"{url}/items"},
        "recurrence": EVERY_MINUTE, "operationOptions": "SingleInstance"}})
    scheduler = TriggerScheduler(host, clock=clock)

    async def body() -> list[int]:
        started = [await scheduler.tick()]
        await clock.advance(60)
        started.append(await scheduler.tick())  # a run in flight: skipped, no poll
        await cancel_oldest(host, "single")
        await clock.advance(60)
        started.append(await scheduler.tick())
        await host.engine.aclose()
        return started

    assert run(body, services) == [1, 0, 1]
    assert feed == ["/items", "/items"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_processes_starting_waiting_runs_at_once_start_exactly_the_limit(
        services: Services, tmp_path: Path, database_url: str) -> None:
    clock = ManualClock(START)
    other = build_services(make_settings(tmp_path / "other", database_url))
    hosts = [host_for(services, clock), host_for(other, clock)]
    deploy(hosts[0], "queue", limited(runs=3, waiting=20))
    states = TriggerStates(services)
    for n in range(12):
        states.enqueue(Fire(f"run-{n:02d}", "queue", "tick", {}, START.timestamp() + n))

    async def body() -> list[int]:
        schedulers = [TriggerScheduler(host, clock=clock) for host in hosts]
        version = hosts[0].workflows.current("queue")
        limits = limits_of(version.definition["triggers"]["tick"])
        fires = states.pending(20)
        # Every fire offered at once, half to each process: each counts, then starts.
        await asyncio.gather(*(schedulers[n % 2]._start_within(limits, version, fire)
                               for n, fire in enumerate(fires)))
        counts = [len(run_ids(services, "queue"))]
        await cancel_oldest(hosts[0], "queue")
        await asyncio.gather(*(s.start_pending() for s in schedulers for _ in range(4)))
        counts.append(len(run_ids(services, "queue")))
        for host in hosts:
            await host.engine.aclose()
        return counts

    try:
        assert run(body) == [3, 4]  # three in flight; one more once one ended
    finally:
        other.db.dispose()
    assert count(services, trigger_fires) == 8


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_calls_racing_for_the_last_places_in_the_queue_take_each_once(
        services: Services, tmp_path: Path, database_url: str) -> None:
    other = build_services(make_settings(tmp_path / "other", database_url))
    deploy(host_for(services, ManualClock(START)), "queue", limited(runs=1, waiting=3))
    limits = limits_of(limited(runs=1, waiting=3)["tick"])
    queues = [TriggerStates(services), TriggerStates(other)]
    start = threading.Barrier(10)
    taken: list[bool] = []

    def admit(conn: sa.Connection) -> None:
        if limits.queue_full(conn, "queue"):
            raise Throttled("full", retry_after=1)

    def call(n: int) -> None:
        start.wait()
        try:
            queues[n % 2].enqueue(Fire(f"call-{n}", "queue", "tick", {}, n), admit)
            taken.append(True)
        except Throttled:
            taken.append(False)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(10)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.db.dispose()
    assert sorted(taken) == [False] * 6 + [True] * 4  # one to start at once, three waiting
    assert count(services, trigger_fires) == 4
