"""What the engine's tests share: a clock tests move by hand, leaf handlers that fail,
count, wait or sleep on demand (registered through the public registry, as any third
party's action type would be), and a harness that runs a definition and reads its run."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from gateway import NotFound, Services
from runtime.actions import registry
from runtime.actions.base import ActionContext, ActionResult, Finding, Suspend
from runtime.engine import build_engine
from runtime.engine.interface import TriggerRecord, WorkflowVersion
from runtime.engine.runner import DurableEngine
from runtime.settings import RuntimeSettings
from runtime.store.tables import runs


class ManualClock:
    """A clock that moves only when a test says so; ``sleep`` waits for ``advance``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        self._sleepers: list[tuple[datetime, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self.moment

    async def sleep(self, seconds: float) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.moment + timedelta(seconds=seconds), waiter))
        await waiter

    @property
    def sleeping(self) -> list[float]:
        return [(due - self.moment).total_seconds() for due, w in self._sleepers
                if not w.done()]

    async def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)
        for due, waiter in list(self._sleepers):
            if due <= self.moment and not waiter.done():
                waiter.set_result(None)
        self._sleepers = [(d, w) for d, w in self._sleepers if not w.done()]
        for _ in range(20):
            await asyncio.sleep(0)


CALLS: dict[str, int] = {}


class _Test:
    type = ""
    deferred_inputs: frozenset[str] = frozenset()
    pure = False

    def validate(self, action: Mapping[str, Any], pointer: str) -> list[Finding]:
        return []

    async def resume(self, context: ActionContext, state: Mapping[str, Any]
                     ) -> ActionResult | Suspend:
        return ActionResult("Succeeded", "OK", outputs={"resumed": dict(state)})


class Flaky(_Test):
    """Fails retryably ``inputs.failures`` times (per action), then succeeds."""

    type = "TestFlaky"

    async def run(self, context: ActionContext) -> ActionResult | Suspend:
        key = f"{context.run_id}/{context.action_name}"
        CALLS[key] = CALLS.get(key, 0) + 1
        if CALLS[key] <= int(context.inputs.get("failures", 0)):
            return ActionResult("Failed", "InternalServerError", retryable=True,
                                outputs={"statusCode": 500},
                                error={"code": "InternalServerError", "message": "boom"})
        return ActionResult("Succeeded", "OK", outputs={"statusCode": 200,
                                                        "body": {"calls": CALLS[key]}})


class Fail(_Test):
    """Fails (not retryably) with ``inputs.code``."""

    type = "TestFail"

    async def run(self, context: ActionContext) -> ActionResult | Suspend:
        code = str((context.inputs or {}).get("code", "BadRequest"))
        return ActionResult("Failed", code, outputs={"statusCode": 400},
                            error={"code": code, "message": "it failed"})


class Slow(_Test):
    """Sleeps ``inputs.seconds`` on the engine's clock, then succeeds."""

    type = "TestSlow"

    def __init__(self) -> None:
        self.clock: Any = None

    async def run(self, context: ActionContext) -> ActionResult | Suspend:
        await SLOW_CLOCK[0].sleep(float(context.inputs.get("seconds", 1)))
        return ActionResult("Succeeded", "OK", outputs={"slept": True})


SLOW_CLOCK: list[Any] = [None]


class Pause(_Test):
    """Suspends until ``inputs.seconds`` from now, then resumes with its state."""

    type = "TestPause"

    async def run(self, context: ActionContext) -> ActionResult | Suspend:
        return Suspend(context.now() + timedelta(seconds=float(context.inputs["seconds"])),
                       {"asked": context.inputs["seconds"]})


def register_test_handlers() -> None:
    known = registry.registered_types()
    for handler in (Flaky(), Fail(), Slow(), Pause()):
        if handler.type.lower() not in known:
            registry.register(handler)  # type: ignore[arg-type]


class MemorySource:
    """The workflows' store, as far as the engine asks it; shared by every harness of a
    test process, as one database's store is shared by its processes."""

    versions: dict[str, WorkflowVersion] = {}
    _ids = itertools.count(1)

    def add(self, definition: Mapping[str, Any], *, workflow: str = "wf",
            kind: str = "Stateful", **fields: Any) -> WorkflowVersion:
        version = WorkflowVersion(workflow, f"v{next(self._ids)}-{uuid.uuid4().hex[:8]}",
                                  definition,
                                  kind=kind, **fields)  # type: ignore[arg-type]
        self.versions[version.version] = version
        return version

    def version(self, version_id: str) -> WorkflowVersion:
        if version_id not in self.versions:
            raise NotFound(f"no version {version_id}")
        return self.versions[version_id]

    def current(self, workflow: str) -> WorkflowVersion:
        return list(self.versions.values())[-1]


@dataclass
class Settings:
    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def request(body: Any = None, headers: Mapping[str, str] | None = None) -> TriggerRecord:
    return TriggerRecord("manual", {"headers": dict(headers or {}), "body": body})


REQUEST_TRIGGER = {"manual": {"type": "Request", "kind": "Http"}}


def definition(actions: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    return {"triggers": REQUEST_TRIGGER, "actions": dict(actions), **extra}


class Harness:
    """An engine over real services, a source of versions and app settings."""

    def __init__(self, services: Services, clock: Any = None, **settings: Any) -> None:
        register_test_handlers()
        self.services = services
        self.source = MemorySource()
        self.app_settings = Settings()
        self.clock = clock
        SLOW_CLOCK[0] = clock
        self.engine: DurableEngine = build_engine(
            services, RuntimeSettings(**settings), self.source, self.app_settings,
            clock=clock)

    async def start(self, actions: Mapping[str, Any], body: Any = None, *,
                    kind: str = "Stateful", **extra: Any) -> str:
        version = self.source.add(definition(actions, **extra.pop("definition", {})),
                                  kind=kind, **extra)
        handle = await self.engine.start_run(version, request(body))
        return handle.run_id

    async def finish(self, run_id: str, timeout: float = 10.0) -> dict[str, Any]:
        local = self.engine.local.get(run_id)
        if local is not None and local.task is not None:
            await asyncio.wait_for(asyncio.shield(local.task), timeout)
        return self.engine.get(run_id)

    def wake_at(self, run_id: str) -> float:
        with self.services.db.engine.connect() as conn:
            found = conn.execute(sa.select(runs.c.wake_at).where(runs.c.id == run_id)).scalar()
        return float(found)

    async def through_timers(self, run_id: str, step: float, rounds: int = 50
                             ) -> tuple[list[float], dict[str, Any]]:
        """Finish a run whose waits are durable timers: each time it waits (out of
        memory), note how long its timer is, then move the clock on ``step`` at a time
        until the worker loop resumes it. Answers the waits and the run record."""
        waits: list[float] = []
        for _ in range(rounds):
            record = await self.finish(run_id)
            if record["status"] != "Waiting":
                return waits, record
            assert run_id not in self.engine.local  # a waiting run holds no slot
            waits.append(round(self.wake_at(run_id) - self.clock.now().timestamp(), 3))
            while run_id not in self.engine.local:
                await self.clock.advance(step)
                await self.engine.tick()
        raise AssertionError("the run kept waiting")

    async def run(self, actions: Mapping[str, Any], body: Any = None, **extra: Any
                  ) -> dict[str, Any]:
        return await self.finish(await self.start(actions, body, **extra))

    async def close(self) -> None:
        await self.engine.aclose()


def run(services: Services, body: Callable[[Harness], Awaitable[Any]], **kw: Any) -> Any:
    """``body`` of a fresh harness (``kw``: its clock and settings), closed afterwards."""
    async def main() -> Any:
        harness = Harness(services, **kw)
        try:
            return await body(harness)
        finally:
            await harness.close()

    return asyncio.run(main())


def statuses(record: Mapping[str, Any]) -> dict[str, str]:
    return {name: entry["status"] for name, entry in record["actions"].items()}
