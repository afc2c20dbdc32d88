"""The run-time limits that depend on a workflow's kind (Stateless ones are smaller) and
the run duration limit, on an injected clock."""

from __future__ import annotations

from typing import Any

from gateway import Services
from tests.runtime.engine.support import Harness, request, run


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
