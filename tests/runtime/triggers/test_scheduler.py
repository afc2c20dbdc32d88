"""The trigger scheduler over a real database, on a clock the tests move: Recurrence fires
once per occurrence, Sliding Window backfills, a process that dies after firing loses
nothing and repeats nothing, and two processes racing fire each event once."""

from __future__ import annotations

import asyncio

import pytest

from gateway import Services
from runtime.store.tables import trigger_fires, trigger_states
from runtime.triggers.scheduler import TriggerScheduler
from tests.runtime.engine.support import ManualClock
from tests.runtime.triggers.support import START, count, deploy, host_for, run, run_ids

pytestmark = pytest.mark.both_backends

def test_recurrence_fires_once_per_occurrence_and_does_not_replay_missed_ones(
        services: Services) -> None:
    clock = ManualClock(START)
    host = host_for(services, clock)
    deploy(host, "every-minute", {"tick": {"type": "Recurrence",
                                           "recurrence": {"frequency": "Minute",
                                                          "interval": 1}}})
    scheduler = TriggerScheduler(host, clock=clock)

    async def body() -> list[int]:
        started = [await scheduler.tick(), await scheduler.tick()]
        await clock.advance(59)
        started.append(await scheduler.tick())
        await clock.advance(1)
        started.append(await scheduler.tick())
        await clock.advance(600)  # ten occurrences missed while "down": one run
        started.append(await scheduler.tick())
        started.append(await scheduler.tick())
        await host.engine.aclose()
        return started

    assert run(body) == [1, 0, 0, 1, 1, 0]
    ids = run_ids(services, "every-minute")
    assert len(ids) == 3
    record = host.history.get(ids[0])
    assert record["trigger"]["name"] == "tick"
    assert count(services, trigger_fires) == 0


def test_sliding_window_backfills_closed_windows_with_their_times(
        services: Services) -> None:
    clock = ManualClock(START)
    host = host_for(services, clock)
    deploy(host, "hourly-window", {"window": {"type": "SlidingWindow", "recurrence": {
        "frequency": "Hour", "interval": 1, "startTime": "2026-03-07T07:00:00Z"}}})
    scheduler = TriggerScheduler(host, clock=clock)

    async def body() -> list[int]:
        started = [await scheduler.tick(), await scheduler.tick()]
        await clock.advance(3599)
        started.append(await scheduler.tick())
        await clock.advance(1)
        started.append(await scheduler.tick())
        await host.engine.aclose()
        return started

    assert run(body) == [3, 0, 0, 1]
    windows = sorted((host.history.get(i)["trigger"]["outputs"]["windowStartTime"],
                      host.history.get(i)["trigger"]["outputs"]["windowEndTime"])
                     for i in run_ids(services, "hourly-window"))
    stamp = "2026-03-07T{:02d}:00:00.0000000Z".format
    assert windows == [(stamp(h), stamp(h + 1)) for h in (7, 8, 9, 10)]


def test_a_process_killed_after_firing_leaves_runs_another_starts_exactly_once(
        services: Services) -> None:
    clock = ManualClock(START)
    first = host_for(services, clock)
    deploy(first, "window", {"w": {"type": "SlidingWindow", "recurrence": {
        "frequency": "Minute", "interval": 10, "startTime": "2026-03-07T09:00:00Z"}}})
    dying = TriggerScheduler(first, clock=clock)

    async def fire_only() -> None:
        # What a process does before it dies between committing the fires and starting
        # their runs.
        await dying.fire_due()

    run(fire_only)
    assert count(services, trigger_fires) == 6 and run_ids(services, "window") == []
    second = host_for(services, clock)

    async def restart() -> list[int]:
        scheduler = TriggerScheduler(second, clock=clock)
        started = [await scheduler.tick(), await scheduler.tick()]
        await second.engine.aclose()
        return started

    assert run(restart) == [6, 0]
    assert len(run_ids(services, "window")) == 6 and count(services, trigger_fires) == 0


def test_two_processes_racing_fire_each_window_once(services: Services) -> None:
    clock = ManualClock(START)
    hosts = [host_for(services, clock) for _ in range(2)]
    for index in range(5):
        deploy(hosts[0], f"race-{index}", {"w": {"type": "SlidingWindow", "recurrence": {
            "frequency": "Minute", "interval": 15, "startTime": "2026-03-07T08:00:00Z"}}})

    async def body() -> None:
        schedulers = [TriggerScheduler(host, clock=clock) for host in hosts]
        for _ in range(3):
            await asyncio.gather(*(s.tick() for s in schedulers for _ in range(2)))
            await clock.advance(900)
        for host in hosts:
            await host.engine.aclose()

    run(body)
    # 08:00-10:00 closed at the first tick (8 windows), then 10:15 and 10:30.
    assert [len(run_ids(services, f"race-{i}")) for i in range(5)] == [10] * 5
    assert count(services, trigger_fires) == 0


def test_a_changed_trigger_starts_afresh_a_disabled_one_waits_a_deleted_one_goes(
        services: Services) -> None:
    clock = ManualClock(START)
    host = host_for(services, clock)
    minute = {"frequency": "Minute", "interval": 1}
    deploy(host, "wf", {"tick": {"type": "Recurrence", "recurrence": minute}})
    scheduler = TriggerScheduler(host, clock=clock)

    async def body() -> list[int]:
        started = [await scheduler.tick()]
        host.workflows.set_enabled("wf", False)
        await clock.advance(120)
        started.append(await scheduler.tick())
        host.workflows.set_enabled("wf", True)
        started.append(await scheduler.tick())  # the occurrence it was due for
        deploy(host, "wf", {"tick": {"type": "Recurrence",
                                     "recurrence": {**minute, "interval": 5}}})
        await clock.advance(1)
        started.append(await scheduler.tick())  # afresh: no startTime fires at once
        await clock.advance(60)
        started.append(await scheduler.tick())
        host.workflows.delete("wf")
        started.append(await scheduler.tick())
        await host.engine.aclose()
        return started

    assert run(body) == [1, 0, 1, 1, 0, 0]
    assert count(services, trigger_states) == 0


def test_a_recurrence_read_from_app_settings_is_evaluated(services: Services) -> None:
    clock = ManualClock(START)
    host = host_for(services, clock)
    host.app_settings.merge({"EVERY": "2", "UNIT": "Minute"})
    deploy(host, "from-settings", {"tick": {"type": "Recurrence", "recurrence": {
        "interval": "@int(appsetting('EVERY'))", "frequency": "@appsetting('UNIT')"}}})
    scheduler = TriggerScheduler(host, clock=clock)

    async def body() -> list[int]:
        started = [await scheduler.tick()]
        await clock.advance(60)
        started.append(await scheduler.tick())
        await clock.advance(60)
        started.append(await scheduler.tick())
        await host.engine.aclose()
        return started

    assert run(body) == [1, 0, 1]
