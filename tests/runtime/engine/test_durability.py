"""Durable runs on both backends: timers, resuming after a crash, leases and fencing,
cancel, resubmit, retention, the history's pages, Stateless runs."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa

from gateway import Conflict, NotFound, Services
from runtime.engine.checkpoints import LeaseLost
from runtime.engine.policies import SECURED
from runtime.engine.state import RunState
from runtime.store.tables import action_results, runs
from tests.runtime.engine.support import (
    CALLS,
    Harness,
    ManualClock,
    definition,
    request,
    statuses,
)

pytestmark = pytest.mark.both_backends

LEASE = 30.0


def run(body: Callable[..., Awaitable[Any]], *harnesses: Callable[[], Harness]) -> Any:
    async def main() -> Any:
        built = [make() for make in harnesses]
        try:
            return await body(*built)
        finally:
            for harness in built:
                await harness.close()

    return asyncio.run(main())


async def until(check: Callable[[], bool], rounds: int = 200) -> None:
    for _ in range(rounds):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


def test_a_wait_suspends_the_run_durably_and_the_worker_resumes_it_when_due(
        services: Services) -> None:
    clock = ManualClock()

    async def body(h: Harness) -> Any:
        run_id = await h.start({
            "Pause": {"type": "TestPause", "inputs": {"seconds": 30}},
            "After": {"type": "Compose", "inputs": "@body('Pause')",
                      "runAfter": {"Pause": ["Succeeded"]}},
        })
        await h.finish(run_id)
        waiting = h.engine.get(run_id)
        await clock.advance(10)
        early = await h.engine.tick()
        await clock.advance(25)
        due = await h.engine.tick()
        return waiting, early, due, await h.finish(run_id)

    waiting, early, due, record = run(body, lambda: Harness(services, clock))
    assert waiting["status"] == "Waiting"
    assert waiting["actions"]["Pause"]["status"] == "Waiting"
    assert (early, due) == (0, 1)
    assert record["status"] == "Succeeded"
    assert statuses(record) == {"Pause": "Succeeded", "After": "Succeeded"}
    assert record["actions"]["Pause"]["outputs"] == {"resumed": {"asked": 30}}


def _crash(harness: Harness) -> None:
    """Stop a process's runs as a kill would: nothing written, no lease given back."""
    for local in list(harness.engine.local.values()):
        local.state.stopping = "shutdown"
        assert local.task is not None
        local.task.cancel()
    harness.engine.local.clear()
    harness.engine.settings = type(harness.engine.settings)(enabled=False)


def test_a_crashed_process_run_is_resumed_elsewhere_and_no_completed_action_runs_twice(
        services: Services) -> None:
    clock = ManualClock()

    async def body(first: Harness, second: Harness) -> Any:
        run_id = await first.start({
            "Count": {"type": "TestFlaky", "inputs": {"failures": 0}},
            "Slow": {"type": "TestSlow", "inputs": {"seconds": 100},
                     "runAfter": {"Count": ["Succeeded"]}},
            "After": {"type": "Compose", "inputs": "@body('Count')",
                      "runAfter": {"Slow": ["Succeeded"]}},
        })
        await until(lambda: bool(clock.sleeping))
        _crash(first)
        await asyncio.sleep(0.05)
        before = await second.engine.tick()  # the lease is still live
        await clock.advance(LEASE + 1)
        claimed = await second.engine.tick()
        await until(lambda: len(clock.sleeping) == 1)
        await clock.advance(100)
        return before, claimed, await second.finish(run_id)

    before, claimed, record = run(body, lambda: Harness(services, clock),
                                  lambda: Harness(services, clock))
    assert (before, claimed) == (0, 1)
    assert record["status"] == "Succeeded"
    assert record["actions"]["After"]["outputs"] == {"calls": 1}
    assert CALLS[f"{record['id']}/Count"] == 1


def test_an_action_interrupted_twice_is_not_run_a_third_time(services: Services) -> None:
    clock = ManualClock()

    async def body(a: Harness, b: Harness, c: Harness) -> Any:
        run_id = await a.start({"Slow": {"type": "TestSlow", "inputs": {"seconds": 100}}})
        await until(lambda: bool(clock.sleeping))
        _crash(a)
        await clock.advance(LEASE + 1)
        assert await b.engine.tick() == 1
        await until(lambda: len(clock.sleeping) == 1)
        _crash(b)
        await clock.advance(LEASE + 1)
        assert await c.engine.tick() == 1
        return await c.finish(run_id)

    record = run(body, *[lambda: Harness(services, clock)] * 3)
    assert record["actions"]["Slow"]["status"] == "Failed"
    assert record["actions"]["Slow"]["code"] == "ActionInterrupted"


def test_a_process_that_lost_its_lease_cannot_write_over_the_new_owner(
        services: Services) -> None:
    clock = ManualClock()

    async def body(a: Harness, b: Harness) -> Any:
        run_id = await a.start({"Slow": {"type": "TestSlow", "inputs": {"seconds": 100}}})
        await until(lambda: bool(clock.sleeping))
        state: RunState = a.engine.local[run_id].state
        a.engine.settings = type(a.engine.settings)(enabled=False)
        await clock.advance(LEASE + 1)
        assert await b.engine.tick() == 1  # b claims: the fencing token moves on
        stale = dict(a.engine.get(run_id)["actions"]["Slow"], name="Slow", status="Forged")
        a.engine.writer.record(state, "Slow", stale)
        with pytest.raises(LeaseLost):
            await a.engine.writer.flush(state)
        return run_id

    run_id = run(body, lambda: Harness(services, clock), lambda: Harness(services, clock))
    with services.db.engine.connect() as conn:
        written = conn.execute(sa.select(action_results.c.status).where(
            action_results.c.run_id == run_id)).scalars().all()
        fence = conn.execute(sa.select(runs.c.fence).where(runs.c.id == run_id)).scalar()
    assert "Forged" not in written
    assert fence == 2


def test_cancel_ends_a_running_run_and_its_running_action(services: Services) -> None:
    clock = ManualClock()

    async def body(h: Harness) -> Any:
        run_id = await h.start({"Slow": {"type": "TestSlow", "inputs": {"seconds": 100}},
                                "Next": {"type": "Compose", "inputs": 1,
                                         "runAfter": {"Slow": ["Succeeded"]}}})
        await until(lambda: bool(clock.sleeping))
        await h.engine.cancel(run_id)
        await asyncio.sleep(0.05)
        with pytest.raises(Conflict):
            await h.engine.cancel(run_id)
        with pytest.raises(NotFound):
            await h.engine.cancel("no-such-run")
        return h.engine.get(run_id)

    record = run(body, lambda: Harness(services, clock))
    assert record["status"] == "Cancelled"
    assert record["actions"]["Slow"]["status"] == "Cancelled"
    assert "Next" not in record["actions"]


def test_resubmit_starts_a_new_run_from_the_same_trigger_outputs(services: Services) -> None:
    async def body(h: Harness) -> Any:
        first = await h.start({"Echo": {"type": "Compose", "inputs": "@triggerBody()"}},
                              {"x": 1})
        await h.finish(first)
        second = await h.engine.resubmit(first)
        return first, second, await h.finish(second)

    first, second, record = run(body, lambda: Harness(services))
    assert second != first
    assert record["actions"]["Echo"]["outputs"] == {"x": 1}


def test_runs_list_newest_first_in_pages_and_by_status(services: Services) -> None:
    clock = ManualClock()

    async def body(h: Harness) -> Any:
        version = h.source.add({"actions": {"C": {"type": "Compose", "inputs": 1}}})
        failing = h.source.add({"actions": {"F": {"type": "TestFail"}}})
        made = []
        for n in range(5):
            await clock.advance(1)
            handle = await h.engine.start_run(failing if n == 2 else version, request())
            await h.finish(handle.run_id)
            made.append(handle.run_id)
        first, token = h.engine.list("wf", top=2)
        rest, end = h.engine.list("wf", top=10, skiptoken=token)
        failed, _ = h.engine.list("wf", status="failed")
        return made, first, token, rest, end, failed

    made, first, token, rest, end, failed = run(body, lambda: Harness(services, clock))
    assert [r["id"] for r in first + rest] == made[::-1]
    assert token is not None and end is None
    assert [r["id"] for r in failed] == [made[2]]
    assert "actions" not in first[0]


def test_retention_deletes_ended_runs_older_than_the_setting(services: Services) -> None:
    clock = ManualClock()

    async def body(h: Harness) -> Any:
        old = await h.start({"C": {"type": "Compose", "inputs": 1}})
        await h.finish(old)
        await clock.advance(91 * 86400)
        new = await h.start({"C": {"type": "Compose", "inputs": 1}})
        await h.finish(new)
        h.engine._purged = 0.0
        await h.engine.tick()
        with pytest.raises(NotFound):
            h.engine.get(old)
        return h.engine.get(new)

    assert run(body, lambda: Harness(services, clock))["status"] == "Succeeded"


def test_a_stateless_run_answers_but_keeps_no_history_unless_asked(
        sqlite_services: Services) -> None:
    actions = {"R": {"type": "Response", "inputs": {"statusCode": 200, "body": "hi"}}}

    async def body(h: Harness) -> Any:
        version = h.source.add({"actions": actions}, kind="Stateless")
        handle = await h.engine.start_run(version, request())
        answer = await handle.response(5)
        with pytest.raises(NotFound):
            h.engine.get(handle.run_id)
        h.app_settings.values["Workflows.wf.OperationOptions"] = "WithStatelessRunHistory"
        kept = await h.engine.start_run(version, request())
        await kept.response(5)
        return answer, await h.finish(kept.run_id)

    answer, record = run(body, lambda: Harness(sqlite_services))
    assert answer.body == b"hi"
    assert record["actions"]["R"]["status"] == "Succeeded"


def test_a_run_accepted_by_a_process_that_runs_none_is_claimed_by_one_that_does(
        services: Services) -> None:
    async def body(front: Harness, worker: Harness) -> Any:
        front.engine.settings = type(front.engine.settings)(enabled=False)
        run_id = await front.start({"R": {"type": "Response", "inputs": {
            "statusCode": 200, "body": "from the worker"}}})
        waiting = asyncio.create_task(front.engine.wait_response(run_id, 10))
        await worker.engine.tick()
        answer = await waiting
        return answer, await worker.finish(run_id)

    answer, record = run(body, lambda: Harness(services), lambda: Harness(services))
    assert answer is not None and answer.body == b"from the worker"
    assert record["status"] == "Succeeded"


@pytest.mark.postgres
def test_two_processes_share_the_runs_of_one_postgresql_each_run_once(
        tmp_path: Any, postgres_server_url: str) -> None:
    from tests.runtime.engine.conftest import services_for

    with services_for(tmp_path, postgres_server_url) as services:
        async def body(front: Harness, a: Harness, b: Harness) -> Any:
            front.engine.settings = type(front.engine.settings)(enabled=False)
            ids = [await front.start({"Count": {"type": "TestFlaky",
                                                "inputs": {"failures": 0}}})
                   for _ in range(30)]
            claimed = await asyncio.gather(a.engine.tick(), b.engine.tick(),
                                           a.engine.tick(), b.engine.tick())
            for run_id in ids:
                for h in (a, b):
                    if run_id in h.engine.local:
                        await h.finish(run_id)
            return ids, claimed, [a.engine.get(i) for i in ids]

        ids, claimed, records = run(body, *[lambda: Harness(services)] * 3)
        assert sum(claimed) == 30
        assert all(r["status"] == "Succeeded" for r in records)
        assert all(CALLS[f"{i}/Count"] == 1 for i in ids)


def test_a_stopping_lease_holder_gives_back_every_run_it_claimed_so_another_takes_all(
        services: Services) -> None:
    """The two-process hand-over: the holder of the runs stops while it is still taking
    them up; the other process claims every one at once (no lease left to expire) and
    runs each to its end."""
    clock = ManualClock()
    total = 200

    async def body(front: Harness, holder: Harness, heir: Harness) -> Any:
        front.engine.settings = type(front.engine.settings)(enabled=False)
        ids = [await front.start({"Count": {"type": "TestFlaky", "inputs": {"failures": 0}},
                                  "After": {"type": "Compose", "inputs": "@body('Count')",
                                            "runAfter": {"Count": ["Succeeded"]}}})
               for _ in range(total)]
        working = asyncio.create_task(holder.engine.work(holder.services))
        await until(lambda: len(holder.engine.local) > 0, rounds=1000)
        working.cancel()  # the holder stops mid-claim, as on SIGTERM
        with contextlib.suppress(asyncio.CancelledError):
            await working
        claimed = 0
        for _ in range(5):  # no clock movement: nothing may wait for a lease to expire
            claimed += await heir.engine.tick()
            await asyncio.sleep(0.05)
        for run_id in ids:
            if run_id in heir.engine.local:
                await heir.finish(run_id)
        return claimed, [heir.engine.get(i) for i in ids]

    claimed, records = run(body, *[lambda: Harness(services, clock)] * 3)
    ended = [r for r in records if r["status"] == "Succeeded"]
    assert len(ended) == total, {r["status"] for r in records}
    # An action the holder had in flight when it stopped may run once more, never more.
    assert all(1 <= CALLS.get(f"{r['id']}/Count", 0) <= 2 for r in records)
    assert claimed > 0


def test_starting_a_taken_run_id_is_a_no_op_and_spoils_no_other_run_in_the_batch(
        services: Services) -> None:
    async def body(h: Harness) -> Any:
        version = h.source.add(definition({"C": {"type": "Compose", "inputs": 1}}))
        first = await h.engine.start_run(version, request(), run_id="0" * 20 + "1" * 9 + "CU01")
        await h.finish(first.run_id)
        # Both inserts go in one group commit: the taken id must fail only itself.
        again, other = await asyncio.gather(
            h.engine.start_run(version, request(), run_id=first.run_id),
            h.engine.start_run(version, request()))
        return first.run_id, again.run_id, await h.finish(other.run_id)

    first, again, other = run(body, lambda: Harness(services))
    assert again == first
    assert other["status"] == "Succeeded"
    with services.db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(runs).where(
            runs.c.id == first)).scalar() == 1


def test_secure_outputs_replayed_after_a_crash_are_the_real_values_and_stay_hidden(
        services: Services) -> None:
    clock = ManualClock()
    secure = {"runtimeConfiguration": {"secureData": {"properties": ["inputs", "outputs"]}}}

    async def body(first: Harness, second: Harness) -> Any:
        run_id = await first.start({
            "Secret": {"type": "Compose", "inputs": {"token": "tok-4711"}, **secure},
            "Password": {"type": "Compose", "inputs": "user:@{parameters('pwd')}"},
            "Keep": {"type": "InitializeVariable", "inputs": {"variables": [{
                "name": "kept", "type": "string", "value": "@parameters('pwd')"}]}},
            "Slow": {"type": "TestSlow", "inputs": {"seconds": 100},
                     "runAfter": {"Secret": ["Succeeded"], "Password": ["Succeeded"],
                                  "Keep": ["Succeeded"]}},
            "Read": {"type": "Compose", "inputs": {
                "token": "@equals(outputs('Secret')?['token'], 'tok-4711')",
                "login": "@length(outputs('Password'))",
                "kept": "@length(variables('kept'))"},
                "runAfter": {"Slow": ["Succeeded"]}},
        }, parameters={"pwd": "hunter2-pw"}, secure_parameters=frozenset({"pwd"}))
        await until(lambda: bool(clock.sleeping))
        _crash(first)  # between the secure actions and their reader
        await clock.advance(LEASE + 1)
        assert await second.engine.tick() == 1
        await until(lambda: len(clock.sleeping) == 1)
        await clock.advance(100)
        return await second.finish(run_id)

    record = run(body, lambda: Harness(services, clock), lambda: Harness(services, clock))
    assert record["status"] == "Succeeded"
    assert record["actions"]["Secret"]["outputs"] == SECURED
    assert record["actions"]["Password"]["outputs"] == "user:***"
    # The reader got the real values, not the placeholders.
    assert record["actions"]["Read"]["outputs"] == {
        "token": True, "login": len("user:hunter2-pw"), "kept": len("hunter2-pw")}
    with services.db.engine.connect() as conn:
        stored = " ".join(conn.execute(sa.select(action_results.c.record).where(
            action_results.c.run_id == record["id"])).scalars())
        stored += conn.execute(sa.select(runs.c.variables).where(
            runs.c.id == record["id"])).scalar() or ""
    assert "tok-4711" not in stored
    assert "hunter2-pw" not in stored


def test_a_retry_wait_is_a_durable_timer_that_another_process_resumes_when_due(
        services: Services) -> None:
    clock = ManualClock()

    async def body(first: Harness, second: Harness) -> Any:
        run_id = await first.start({"Call": {"type": "TestFlaky", "inputs": {
            "failures": 1, "retryPolicy": {"type": "fixed", "count": 2,
                                           "interval": "PT30M"}}}})
        waiting = await first.finish(run_id)
        held = run_id in first.engine.local
        wait = first.wake_at(run_id) - clock.now().timestamp()
        _crash(first)  # the process dies during the retry's wait
        await clock.advance(1700)
        early = await second.engine.tick()
        await clock.advance(101)
        due = await second.engine.tick()
        return waiting, held, wait, early, due, await second.finish(run_id)

    waiting, held, wait, early, due, record = run(
        body, lambda: Harness(services, clock), lambda: Harness(services, clock))
    assert waiting["status"] == "Waiting" and not held  # no slot held while waiting
    assert waiting["actions"]["Call"]["status"] == "Running"
    assert len(waiting["actions"]["Call"]["retryHistory"]) == 1
    assert wait == 1800.0
    assert (early, due) == (0, 1)
    assert record["status"] == "Succeeded"
    assert record["actions"]["Call"]["outputs"]["body"] == {"calls": 2}
    assert len(record["actions"]["Call"]["retryHistory"]) == 1


def test_binary_content_and_decimals_are_stored_as_logic_apps_shows_them() -> None:
    import json
    from decimal import Decimal

    from gateway.expressions import Content
    from runtime.engine.checkpoints import dumps

    stored = json.loads(dumps({"body": Content(b"\x00\xff", "image/png"),
                               "raw": b"ab", "amount": Decimal("1.5")}))
    assert stored == {"body": {"$content-type": "image/png", "$content": "AP8="},
                      "raw": {"$content-type": "application/octet-stream",
                              "$content": "YWI="},
                      "amount": 1.5}


def test_a_caller_still_gets_the_response_when_the_run_waits_on_a_retry_timer_first(
        services: Services) -> None:
    clock = ManualClock()

    async def body(h: Harness) -> Any:
        run_id = await h.start({
            "Call": {"type": "TestFlaky", "inputs": {
                "failures": 1, "retryPolicy": {"type": "fixed", "count": 1,
                                               "interval": "PT10S"}}},
            "Answer": {"type": "Response", "inputs": {"statusCode": 200,
                                                      "body": "@body('Call')"},
                       "runAfter": {"Call": ["Succeeded"]}}})
        waiting = asyncio.create_task(h.engine.wait_response(run_id, 60))
        await until(lambda: run_id not in h.engine.local)  # out of memory, on its timer
        assert not waiting.done()
        await clock.advance(10)
        assert await h.engine.tick() == 1
        return await asyncio.wait_for(waiting, 10)

    answer = run(body, lambda: Harness(services, clock))
    assert answer is not None and answer.status == 200
    assert json.loads(answer.body) == {"calls": 2}


@pytest.mark.postgres
def test_two_processes_starting_the_same_run_id_at_once_run_it_once(
        tmp_path: Any, postgres_server_url: str) -> None:
    from tests.runtime.engine.conftest import services_for

    with services_for(tmp_path, postgres_server_url) as services:
        clock = ManualClock()

        async def body(a: Harness, b: Harness) -> Any:
            version = a.source.add(definition({
                "Count": {"type": "TestFlaky", "inputs": {"failures": 0}},
                "Slow": {"type": "TestSlow", "inputs": {"seconds": 100},
                         "runAfter": {"Count": ["Succeeded"]}}}))
            ids = [f"{n:020d}{n:09d}CU00" for n in range(20)]
            for run_id in ids:  # both start it at the same moment
                await asyncio.gather(a.engine.start_run(version, request(), run_id=run_id),
                                     b.engine.start_run(version, request(), run_id=run_id))
            await until(lambda: len(clock.sleeping) == len(ids))
            held = [sum(run_id in h.engine.local for h in (a, b)) for run_id in ids]
            await clock.advance(100)
            for run_id in ids:
                for h in (a, b):
                    if run_id in h.engine.local:
                        await h.finish(run_id)
            return ids, held

        ids, held = run(body, lambda: Harness(services, clock),
                        lambda: Harness(services, clock))
        assert held == [1] * len(ids)
        assert all(CALLS[f"{run_id}/Count"] == 1 for run_id in ids)


def test_a_process_that_lost_the_sqlite_runtime_lease_gives_its_runs_back(
        services: Services) -> None:
    if services.db.dialect != "sqlite":
        pytest.skip("the runtime lease is SQLite's")
    clock = ManualClock()

    async def body(a: Harness, b: Harness) -> Any:
        run_id = await a.start({"Slow": {"type": "TestSlow", "inputs": {"seconds": 100}}})
        await until(lambda: bool(clock.sleeping))
        await clock.advance(LEASE + 1)  # a was too late to renew the runtime lease
        assert await b.engine.tick() == 1  # b holds it now, and the run
        before = run_id in a.engine.local
        await a.engine.tick()
        after = run_id in a.engine.local
        await until(lambda: len(clock.sleeping) == 1)
        await clock.advance(100)
        return before, after, await b.finish(run_id)

    before, after, record = run(body, lambda: Harness(services, clock),
                                lambda: Harness(services, clock))
    assert (before, after) == (True, False)
    assert record["status"] == "Succeeded"
