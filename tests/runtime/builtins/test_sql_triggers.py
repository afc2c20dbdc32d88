"""The SQL connector's triggers polled by the real scheduler on both backends: every new
(or modified) row starts exactly one run, in key order, across polls, batches, two
schedulers racing, and writers that commit out of key order on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

from gateway import Services
from runtime.builtins.registry import register_provider
from runtime.builtins.sql import SqlProvider
from runtime.triggers.scheduler import TriggerScheduler
from tests.runtime.builtins.conftest import execute
from tests.runtime.builtins.support import poll
from tests.runtime.engine.support import ManualClock
from tests.runtime.triggers.support import START, deploy, host_for, run, run_ids

pytestmark = pytest.mark.both_backends


def trigger(operation: str = "whenARowIsInserted", **extra: Any) -> dict[str, Any]:
    return {"new_rows": {
        "type": "ServiceProvider",
        "inputs": {"parameters": {"tableName": "[dbo].[customers]", **extra},
                   "serviceProviderConfiguration": {
                       "connectionName": "sql", "operationId": operation,
                       "serviceProviderId": "/serviceProviders/sql"}},
        "recurrence": {"frequency": "Second", "interval": 1},
        "splitOn": "@triggerOutputs()?['body']",
    }}


def connections(url: str) -> dict[str, Any]:
    return {"sql": {"serviceProvider": {"id": "/serviceProviders/sql"},
                    "parameterValues": {"connectionString": url}}}


def fired(host: Any, services: Services, workflow: str) -> list[tuple[int, Any]]:
    bodies = [host.history.get(i)["trigger"]["outputs"]["body"]
              for i in run_ids(services, workflow)]
    return sorted((b["id"], b["updated_at"]) for b in bodies)


def insert(url: str, *names: str) -> None:
    for name in names:
        execute(url, "INSERT INTO customers (name, updated_at) VALUES (:n, 1)", n=name)


@pytest.fixture
def sql(provider: SqlProvider) -> SqlProvider:
    register_provider(provider)
    return provider


def use_batch(services: Services, size: int) -> None:
    services.settings = services.settings.replace(runtime={"sql_trigger_batch": size})


def test_each_new_row_starts_one_run_and_rows_there_before_do_not(
        services: Services, user_db: str, sql: SqlProvider) -> None:
    insert(user_db, "before")
    clock = ManualClock(START)
    host = host_for(services, clock)
    deploy(host, "sql-new", trigger(), providers=connections(user_db))
    scheduler = TriggerScheduler(host, clock=clock)
    use_batch(services, 2)

    async def body() -> list[int]:
        started = [await scheduler.tick()]  # the first poll notes where the table is
        insert(user_db, "a", "b", "c")
        for _ in range(3):
            await clock.advance(1)
            started.append(await scheduler.tick())  # two, then one, then none
        insert(user_db, "d")
        await clock.advance(1)
        started.append(await scheduler.tick())
        await host.engine.aclose()
        return started

    assert run(body) == [0, 2, 1, 0, 1]
    assert [i for i, _ in fired(host, services, "sql-new")] == [2, 3, 4, 5]


def test_a_modified_row_starts_a_run_per_change_ties_broken_by_key(
        services: Services, user_db: str, sql: SqlProvider) -> None:
    clock = ManualClock(START)
    host = host_for(services, clock)
    deploy(host, "sql-mod", trigger("whenARowIsModified"), providers=connections(user_db))
    scheduler = TriggerScheduler(host, clock=clock)

    async def body() -> None:
        await scheduler.tick()
        insert(user_db, "a", "b")  # both at updated_at 1: the key breaks the tie
        await clock.advance(1)
        await scheduler.tick()
        execute(user_db, "UPDATE customers SET updated_at = 2 WHERE name = 'a'")
        await clock.advance(1)
        await scheduler.tick()
        await clock.advance(1)
        await scheduler.tick()
        await host.engine.aclose()

    run(body)
    assert fired(host, services, "sql-mod") == [(1, 1), (1, 2), (2, 1)]


def test_two_schedulers_racing_start_each_row_once(
        services: Services, user_db: str, sql: SqlProvider) -> None:
    clock = ManualClock(START)
    hosts = [host_for(services, clock) for _ in range(2)]
    deploy(hosts[0], "sql-race", trigger(), providers=connections(user_db))

    async def body() -> None:
        schedulers = [TriggerScheduler(h, clock=clock) for h in hosts]
        await asyncio.gather(*(s.tick() for s in schedulers))
        for round_ in range(4):
            insert(user_db, *(f"r{round_}-{n}" for n in range(3)))
            await clock.advance(1)
            await asyncio.gather(*(s.tick() for s in schedulers for _ in range(2)))
        for h in hosts:
            await h.engine.aclose()

    run(body)
    assert [i for i, _ in fired(hosts[0], services, "sql-race")] == list(range(1, 13))


def test_a_poll_waits_for_an_earlier_key_still_uncommitted(
        services: Services, user_db: str, provider: SqlProvider) -> None:
    if not user_db.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: keys commit in order")
    connection = {"connectionString": user_db}
    parameters = {"tableName": "customers"}
    _, state = poll(services, provider, "whenARowIsInserted", connection, parameters, {})
    engine = sa.create_engine(user_db.replace("postgresql://", "postgresql+psycopg://"))
    slow = engine.connect()
    slow.begin()
    slow.execute(sa.text("INSERT INTO customers (name) VALUES ('slow')"))  # takes key 1
    insert(user_db, "fast")  # key 2, committed first
    release = threading.Timer(0.5, slow.commit)
    release.start()
    began = time.monotonic()
    outputs, _ = poll(services, provider, "whenARowIsInserted", connection, parameters,
                      state)
    waited = time.monotonic() - began
    release.join()
    slow.close()
    engine.dispose()
    assert outputs is not None
    assert [row["name"] for row in outputs["body"]] == ["slow", "fast"]
    assert waited >= 0.4


def test_a_trigger_on_a_table_without_a_usable_key_says_why(
        services: Services, user_db: str, provider: SqlProvider) -> None:
    execute(user_db, "CREATE TABLE notes (body TEXT)")
    connection = {"connectionString": user_db}
    with pytest.raises(Exception) as caught:
        poll(services, provider, "whenARowIsInserted", connection, {"tableName": "notes"}, {})
    assert getattr(caught.value, "code", "") == "SqlInvalidRequest"
    with pytest.raises(Exception) as caught:
        poll(services, provider, "whenARowIsModified", connection,
             {"tableName": "customers", "watermarkColumn": "nope"}, {})
    assert getattr(caught.value, "code", "") == "SqlObjectNotFound"
