"""A built-in connector's trigger operation polled by the scheduler: the provider's
watermark is kept in the trigger state, every new item starts exactly one run across
polls and across two processes polling at once. The provider is the test's own,
registered through the public registry as a third party's would be."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from gateway import PortwayError, Services
from runtime.builtins.registry import ProviderOperation, register_provider
from runtime.triggers.scheduler import TriggerScheduler
from tests.runtime.engine.support import ManualClock
from tests.runtime.triggers.support import START, deploy, host_for, run, run_ids

pytestmark = pytest.mark.both_backends


class Ledger:
    """Rows with increasing ids; the trigger returns those after the watermark, two at
    a time, oldest first."""

    id = "/serviceProviders/testLedger"
    display_name = "Test ledger"
    connection_parameters: Mapping[str, Any] = {}
    rows: list[dict[str, Any]] = []
    down = False

    def operations(self) -> Mapping[str, ProviderOperation]:
        return {"whenRowsAreAdded": ProviderOperation("whenRowsAreAdded", "New rows",
                                                      trigger=True)}

    async def invoke(self, operation_id: str, connection: Mapping[str, Any],
                     parameters: Mapping[str, Any]) -> Any:
        raise PortwayError("no actions")

    async def poll(self, operation_id: str, connection: Mapping[str, Any],
                   parameters: Mapping[str, Any], state: Mapping[str, Any]
                   ) -> tuple[Mapping[str, Any] | None, Mapping[str, Any]]:
        if self.down:
            raise PortwayError("the ledger is down", code="LedgerDown")
        after = int(state.get("lastId", 0))
        new = [row for row in self.rows if row["id"] > after][:int(parameters["batch"])]
        if not new:
            return None, state
        return {"body": new}, {"lastId": new[-1]["id"]}


TRIGGER = {"rows": {
    "type": "ServiceProvider",
    "inputs": {"parameters": {"batch": "@parameters('batch')"},
               "serviceProviderConfiguration": {
                   "connectionName": "ledger", "operationId": "whenRowsAreAdded",
                   "serviceProviderId": "/serviceProviders/testLedger"}},
    "recurrence": {"frequency": "Minute", "interval": 1},
    "splitOn": "@triggerBody()",
}}
CONNECTIONS = {"ledger": {"serviceProvider": {"id": Ledger.id}, "parameterValues": {}}}


def deploy_ledger(host: Any, name: str) -> None:
    deploy(host, name, TRIGGER, {"batch": {"type": "Int", "defaultValue": 2}}, CONNECTIONS)


def bodies(host: Any, services: Services, workflow: str) -> list[int]:
    return sorted(host.history.get(i)["trigger"]["outputs"]["body"]["id"]
                  for i in run_ids(services, workflow))


def test_new_rows_fire_once_each_past_the_watermark_and_an_outage_loses_none(
        services: Services) -> None:
    register_provider(Ledger())
    Ledger.rows = [{"id": n} for n in (1, 2, 3)]
    Ledger.down = False
    clock = ManualClock(START)
    host = host_for(services, clock)
    deploy_ledger(host, "ledger-wf")
    scheduler = TriggerScheduler(host, clock=clock)

    async def body() -> list[int]:
        started = [await scheduler.tick()]  # rows 1 and 2
        await clock.advance(60)
        started.append(await scheduler.tick())  # row 3
        Ledger.rows.append({"id": 4})
        Ledger.down = True
        await clock.advance(60)
        started.append(await scheduler.tick())  # the outage: nothing, watermark kept
        Ledger.down = False
        await clock.advance(60)
        started.append(await scheduler.tick())  # row 4
        await clock.advance(60)
        started.append(await scheduler.tick())  # nothing new
        await host.engine.aclose()
        return started

    assert run(body) == [2, 1, 0, 1, 0]
    assert bodies(host, services, "ledger-wf") == [1, 2, 3, 4]


def test_two_processes_polling_one_ledger_start_each_row_once(services: Services) -> None:
    register_provider(Ledger())
    Ledger.rows = [{"id": n} for n in range(1, 8)]
    Ledger.down = False
    clock = ManualClock(START)
    hosts = [host_for(services, clock) for _ in range(2)]
    deploy_ledger(hosts[0], "ledger-race")

    async def body() -> None:
        schedulers = [TriggerScheduler(host, clock=clock) for host in hosts]
        for _ in range(5):
            await asyncio.gather(*(s.tick() for s in schedulers for _ in range(2)))
            await clock.advance(60)
        for host in hosts:
            await host.engine.aclose()

    run(body)
    assert bodies(hosts[0], services, "ledger-race") == list(range(1, 8))
