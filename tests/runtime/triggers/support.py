"""What the trigger tests share: one process's runtime over real services (its engine
stores the runs triggers start without running them, so tests count exactly those), a
deploy helper and counts read from the tables."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from gateway import Services
from gateway.proxy.pipeline import Proxy
from runtime.definitions.model import WorkflowSpec
from runtime.engine import build_engine
from runtime.host import RuntimeHost
from runtime.settings import RuntimeSettings
from runtime.store.appsettings import AppSettingsStore
from runtime.store.tables import runs
from runtime.store.workflows import WorkflowStore
from runtime.triggers.scheduler import TriggerScheduler
from tests.runtime.engine.support import ManualClock

T = TypeVar("T")
START = datetime(2026, 3, 7, 10, 0, 0, tzinfo=UTC)
COMPOSE = {"Say": {"type": "Compose", "inputs": "tick", "runAfter": {}}}


#: The engines ``host_for`` built, by the id of their services: the ``services`` fixture
#: closes their checkpoint connections before it disposes of the database (an engine's
#: writer keeps one DBAPI connection, which psycopg warns about when it is collected open).
ENGINES: dict[int, list[Any]] = {}


def close_engines(services: Services) -> None:
    for engine in ENGINES.pop(id(services), []):
        engine.writer.close()


def host_for(services: Services, clock: ManualClock) -> RuntimeHost:
    """One process's runtime (its engine does not run the runs it stores)."""
    settings = RuntimeSettings(enabled=False)
    app_settings = AppSettingsStore(services)
    workflows = WorkflowStore(services, app_settings)
    engine = build_engine(services, settings, workflows, app_settings, clock=clock)
    ENGINES.setdefault(id(services), []).append(engine)
    return RuntimeHost(services=services, settings=settings, workflows=workflows,
                       app_settings=app_settings, engine=engine, history=engine)


def deploy(host: RuntimeHost, name: str, triggers: dict[str, Any],
           parameters: dict[str, Any] | None = None,
           providers: dict[str, Any] | None = None,
           references: dict[str, str] | None = None) -> None:
    host.workflows.put_many([WorkflowSpec(name=name, service_provider_connections=providers
                                          or {}, connection_references=references or {},
                                          definition={
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
                   "2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0", "parameters": parameters or {}, "triggers": triggers,
        "actions": COMPOSE})])


def run_ids(services: Services, workflow: str) -> list[str]:
    with services.db.engine.connect() as conn:
        return sorted(conn.execute(sa.select(runs.c.id).where(
            runs.c.workflow == workflow)).scalars())


def count(services: Services, table: sa.Table) -> int:
    with services.db.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def run(body: Callable[[], Awaitable[T]], services: Services | None = None) -> T:
    """Run ``body`` in a fresh event loop, with the gateway's data plane started in it
    when ``services`` are given (what polling triggers call through)."""

    async def main() -> T:
        if services is None:
            return await body()
        services.proxy = Proxy(services)
        try:
            return await body()
        finally:
            await services.proxy.aclose()
            services.proxy = None

    return asyncio.run(main())


async def race(hosts: list[RuntimeHost], clock: ManualClock, ticks: int = 3) -> None:
    """Processes ticking their schedulers at once, then starting what they recorded."""
    schedulers = [TriggerScheduler(host, clock=clock) for host in hosts]
    await asyncio.gather(*(s.tick() for s in schedulers for _ in range(ticks)))
    for scheduler in schedulers:
        await scheduler.start_pending()
    for host in hosts:
        await host.engine.aclose()
