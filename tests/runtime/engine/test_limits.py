"""The run-time limits that depend on a workflow's kind (Stateless ones are smaller) and
the run duration limit, on an injected clock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway import Services
from runtime.store.tables import runs
from tests.runtime.engine.support import Harness, ManualClock, request, run, statuses

DAY = 86400.0


async def _asleep(clock: ManualClock, seconds: list[float]) -> None:
    """Wait (for real, briefly) until exactly these sleeps are pending on ``clock``."""
    for _ in range(500):
        if sorted(clock.sleeping) == seconds:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"asleep on the clock: {clock.sleeping}, not {seconds}")


def test_a_stateless_foreach_over_more_than_100_items_fails_before_any_iteration(
        sqlite_services: Services) -> None:
    actions = {
        "Loop": {"type": "Foreach", "foreach": "@range(0, triggerBody())",
                 "actions": {"C": {"type": "Compose", "inputs": "@item()"}}},
        "After": {"type": "Compose", "inputs": 1, "runAfter": {"Loop": ["Failed"]}},
    }

    async def body(h: Harness) -> Any:
        h.app_settings.values["Workflows.wf.OperationOptions"] = "WithStatelessRunHistory"
        version = h.source.add({"triggers": {}, "actions": actions}, kind="Stateless")
        over = await h.engine.start_run(version, request(101))
        fits = await h.engine.start_run(version, request(100))
        stateful = h.source.add({"triggers": {}, "actions": actions})
        big = await h.engine.start_run(stateful, request(101))
        return [await h.finish(r.run_id) for r in (over, fits, big)]

    over, fits, big = run(sqlite_services, body)
    loop = over["actions"]["Loop"]
    assert loop["status"] == "Failed"
    assert loop["error"]["code"] == "InvalidTemplate"
    assert "101 items, more than the limit of 100 of a Stateless workflow" in \
        loop["error"]["message"]
    assert "C" not in over["actions"]
    assert over["actions"]["After"]["status"] == "Succeeded"
    assert fits["actions"]["Loop"]["status"] == "Succeeded"
    assert len(fits["actions"]["C"]["repetitions"]) == 100
    assert big["actions"]["Loop"]["status"] == "Succeeded"  # Stateful: 100,000


def test_a_stateless_until_runs_at_most_100_times_whatever_its_count_says(
        sqlite_services: Services) -> None:
    actions = {"Loop": {"type": "Until", "expression": "@equals(1, 2)",
                        "limit": {"count": "@triggerBody()"},
                        "actions": {"Tick": {"type": "Compose", "inputs": 1}}}}

    async def body(h: Harness) -> Any:
        h.app_settings.values["Workflows.wf.OperationOptions"] = "WithStatelessRunHistory"
        version = h.source.add({"triggers": {}, "actions": actions}, kind="Stateless")
        stateless = await h.engine.start_run(version, request(150))
        stateful = await h.engine.start_run(
            h.source.add({"triggers": {}, "actions": actions}), request(150))
        return [await h.finish(r.run_id) for r in (stateless, stateful)]

    stateless, stateful = run(sqlite_services, body)
    assert len(stateless["actions"]["Tick"]["repetitions"]) == 100
    assert len(stateful["actions"]["Tick"]["repetitions"]) == 150


def test_a_stateless_variable_holds_at_most_1024_bytes(sqlite_services: Services) -> None:
    actions = {
        "Init": {"type": "InitializeVariable", "inputs": {"variables": [
            {"name": "text", "type": "string", "value": "@triggerBody()"}]}},
        "Grow": {"type": "AppendToStringVariable", "runAfter": {"Init": ["Succeeded"]},
                 "inputs": {"name": "text", "value": "é"}},
        "Both": {"type": "InitializeVariable", "runAfter": {"Grow": ["Succeeded", "Failed"]},
                 "inputs": {"variables": [
                     {"name": "small", "type": "array", "value": [1]},
                     {"name": "big", "type": "array", "value": "@split(triggerBody(), '')"}]}},
        "Seen": {"type": "Compose", "runAfter": {"Both": ["Succeeded", "Failed"]},
                 "inputs": "@length(variables('text'))"},
        "Small": {"type": "Compose", "runAfter": {"Both": ["Succeeded", "Failed"]},
                  "inputs": "@variables('small')"},
    }

    async def body(h: Harness) -> Any:
        h.app_settings.values["Workflows.wf.OperationOptions"] = "WithStatelessRunHistory"
        stateless = await h.run(actions, "x" * 1023, kind="Stateless")
        stateful = await h.run(actions, "x" * 1023)
        return stateless, stateful

    stateless, stateful = run(sqlite_services, body)
    assert statuses(stateless)["Init"] == "Succeeded"  # 1,023 bytes fit
    grow = stateless["actions"]["Grow"]
    assert (grow["status"], grow["code"]) == ("Failed", "VariableSizeLimitExceeded")
    assert grow["error"] == {"code": "VariableSizeLimitExceeded", "message": (
        "The variable 'text' has size of more than '1025' bytes. This exceeded the "
        "maximum size '1024' configured.")}  # "é" is two bytes
    assert stateless["actions"]["Seen"]["outputs"] == 1023  # the failed append changed nothing
    both = stateless["actions"]["Both"]
    assert (both["status"], both["code"]) == ("Failed", "VariableSizeLimitExceeded")
    assert "'big'" in both["error"]["message"]
    # All or none: the variable that fit was not initialised either.
    assert stateless["actions"]["Small"]["status"] == "Failed"
    assert statuses(stateful) == {"Init": "Succeeded", "Grow": "Succeeded",
                                  "Both": "Succeeded", "Seen": "Succeeded",
                                  "Small": "Succeeded"}
    assert stateful["actions"]["Seen"]["outputs"] == 1024


@pytest.mark.both_backends
def test_a_run_asleep_on_a_timer_past_the_run_duration_is_timed_out_after_a_restart(
        services: Services) -> None:
    clock = ManualClock()

    async def accept(h: Harness) -> Any:
        old = await h.start({"Nap": {"type": "TestPause", "inputs": {"seconds": 200 * DAY}}})
        await clock.advance(DAY)
        young = await h.start({"Nap": {"type": "TestPause", "inputs": {"seconds": 200 * DAY}}})
        await h.finish(old)
        await h.finish(young)
        return old, young

    async def later(h: Harness) -> Any:
        # Another process, 90 days and a second after the first run started: nothing
        # woke either run, the worker loop alone ends the one past its deadline.
        await clock.advance(89 * DAY + 1)
        assert await h.engine.tick() == 0
        return h.engine.get(old), h.engine.get(young)

    # History kept longer than the run may last, so the timed-out run is still there to
    # read (with both at 90 days, the retention deletes it as soon as it ends).
    old, young = run(services, accept, clock=clock, retention_days=120)
    timed_out, waiting = run(services, later, clock=clock, retention_days=120)
    assert timed_out["status"] == "Failed"
    assert timed_out["error"]["code"] == "RunTimedOut"
    assert "90 days" in timed_out["error"]["message"]
    assert timed_out["endTime"] is not None
    assert statuses(timed_out) == {"Nap": "Cancelled"}
    assert waiting["status"] == "Waiting"
    assert statuses(waiting) == {"Nap": "Waiting"}


@pytest.mark.both_backends
def test_a_run_keeps_the_run_duration_limit_in_force_when_it_started(
        services: Services) -> None:
    clock = ManualClock()
    nap = {"Nap": {"type": "TestPause", "inputs": {"seconds": 200 * DAY}}}

    async def under_two_days(h: Harness) -> Any:
        old = await h.start(nap)
        earlier = await h.start(nap)
        await h.finish(old)
        await h.finish(earlier)
        # ``earlier`` as a run stored before runs kept their deadline.
        with services.db.engine.begin() as conn:
            conn.execute(runs.update().where(runs.c.id == earlier).values(deadline=None))
        return old, earlier

    async def under_half_a_day(h: Harness) -> Any:
        # Lowered: the old run is not cut short, the one stored without a deadline
        # takes the limit in force now, a new run has the new one.
        await clock.advance(DAY)
        await h.engine.tick()
        young = await h.start(nap)
        await h.finish(young)
        await clock.advance(0.6 * DAY)
        await h.engine.tick()
        return h.engine.get(old), h.engine.get(earlier), h.engine.get(young)

    async def under_ten_days(h: Harness) -> Any:
        # Raised: the old run still ends at its own two days.
        await clock.advance(0.5 * DAY)
        await h.engine.tick()
        return h.engine.get(old)

    old, earlier = run(services, under_two_days, clock=clock, run_duration_days=2,
                       retention_days=120)
    kept, legacy, cut = run(services, under_half_a_day, clock=clock,
                             run_duration_days=0.5, retention_days=120)
    assert kept["status"] == "Waiting"
    assert (legacy["status"], legacy["error"]["code"]) == ("Failed", "RunTimedOut")
    assert "43200 seconds" in legacy["error"]["message"]
    assert (cut["status"], cut["error"]["code"]) == ("Failed", "RunTimedOut")
    assert "43200 seconds" in cut["error"]["message"]
    ended = run(services, under_ten_days, clock=clock, run_duration_days=10,
                retention_days=120)
    assert (ended["status"], ended["error"]["code"]) == ("Failed", "RunTimedOut")
    assert ended["error"]["message"] == ("The run did not end within the run duration "
                                         "limit of 2 days; it was timed out.")
    assert statuses(ended) == {"Nap": "Cancelled"}


@pytest.mark.both_backends
def test_a_run_busy_in_memory_past_its_duration_is_stopped_and_writes_nothing_more(
        services: Services) -> None:
    clock = ManualClock()

    async def body(h: Harness) -> Any:
        run_id = await h.start({
            "Slow": {"type": "TestSlow", "inputs": {"seconds": 3 * DAY}},
            "After": {"type": "Compose", "inputs": 1, "runAfter": {"Slow": ["Succeeded"]}}})
        await clock.advance(2 * DAY)
        await h.engine.tick()
        record = await h.finish(run_id)
        await clock.advance(2 * DAY)  # the Slow handler would have ended by now
        return record, h.engine.get(run_id), run_id in h.engine.local

    record, later, held = run(services, body, clock=clock, run_duration_days=1.5)
    assert record["status"] == "Failed"
    assert "1.5 days" in record["error"]["message"]
    assert statuses(record) == {"Slow": "Cancelled"}
    assert later == record
    assert held is False


def test_a_stateless_run_past_five_minutes_is_timed_out_and_its_action_cancelled(
        sqlite_services: Services) -> None:
    clock = ManualClock()

    async def body(h: Harness) -> Any:
        h.app_settings.values["Workflows.wf.OperationOptions"] = "WithStatelessRunHistory"
        quick = await h.start({"Slow": {"type": "TestSlow", "inputs": {"seconds": 299}}},
                              kind="Stateless")
        slow = await h.start({"Slow": {"type": "TestSlow", "inputs": {"seconds": 301}},
                              "After": {"type": "Compose", "inputs": 1,
                                        "runAfter": {"Slow": ["Succeeded"]}}},
                             kind="Stateless")
        # Both runs' timers and both handlers asleep on the clock.
        await _asleep(clock, [299, 300, 300, 301])
        await clock.advance(299)
        await clock.advance(1)
        return await h.finish(quick), await h.finish(slow)

    quick, slow = run(sqlite_services, body, clock=clock)
    assert quick["status"] == "Succeeded"
    assert slow["status"] == "Failed"
    assert slow["error"] == {"code": "RunTimedOut", "message": "The run did not end within "
                             "the run duration limit of 300 seconds; it was timed out."}
    assert statuses(slow) == {"Slow": "Cancelled"}  # "After" never started


def test_a_stateless_run_without_history_waits_its_timers_in_memory(
        sqlite_services: Services) -> None:
    # Nothing is stored that could resume it: a Wait holds the run in this process.
    clock = ManualClock()

    async def body(h: Harness) -> Any:
        run_id = await h.start({
            "Nap": {"type": "Wait", "inputs": {"interval": {"count": 10, "unit": "Second"}}},
            "After": {"type": "Compose", "inputs": 1, "runAfter": {"Nap": ["Succeeded"]}}},
            kind="Stateless")
        await _asleep(clock, [10, 300])  # the Wait and the run's 5 minutes
        local = h.engine.local[run_id]  # no history: the run is read in memory
        state, task = local.state, local.task
        assert task is not None
        await clock.advance(10)
        await asyncio.wait_for(task, 10)
        return {name: entry["status"] for name, entry in state.records.items()}

    assert run(sqlite_services, body, clock=clock) == {"Nap": "Succeeded",
                                                        "After": "Succeeded"}


def test_a_stateless_run_stopped_by_a_shutdown_is_given_back_not_timed_out(
        sqlite_services: Services) -> None:
    clock = ManualClock()

    async def body(h: Harness) -> Any:
        h.app_settings.values["Workflows.wf.OperationOptions"] = "WithStatelessRunHistory"
        run_id = await h.start({"Slow": {"type": "TestSlow", "inputs": {"seconds": 60}}},
                               kind="Stateless")
        await _asleep(clock, [60, 300])
        await h.engine.aclose()
        return h.engine.get(run_id)

    record = run(sqlite_services, body, clock=clock)
    assert record["status"] == "Running"  # another process resumes it
    assert record["error"] is None
    assert statuses(record) == {"Slow": "Running"}
