"""The durable engine: accepts runs, runs them here, and shares them between processes.

A Stateful run is stored (with its lease, owned by the accepting process) before
``start_run`` returns, then interpreted in a task of this process. The worker loop
(``work``, a background service every process runs) renews the leases of the runs this
process holds, claims the runs nobody runs (a dead process's, or due timers), resumes
them by replaying their checkpoints, ends the runs past the run duration limit (even
those asleep on a timer: the deadline — the run's start plus the limit in force then —
is stored with the run, so it holds across restarts and setting changes), and applies
the retention. A Stateless run lives in memory only,
unless the app setting ``Workflows.<name>.OperationOptions`` is
``WithStatelessRunHistory``: then it is kept like a Stateful one; it may last 5 minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import secrets
import socket
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from gateway import BackgroundService, Conflict, NotFound, Services
from gateway.expressions import ExpressionError
from runtime.definitions.limits import limits_of
from runtime.engine.checkpoints import (
    CheckpointWriter,
    LeaseLost,
    NullSink,
    RunExists,
    dumps,
)
from runtime.engine.clock import Clock, SystemClock, iso
from runtime.engine.definition import Index
from runtime.engine.history import StoredHistory
from runtime.engine.interface import (
    AppSettings,
    OtherRuns,
    ResponseRecord,
    TriggerRecord,
    WorkflowVersion,
)
from runtime.engine.interpreter import ACTION_FAILED, Interpreter, Sink
from runtime.engine.redaction import Sealer
from runtime.engine.scope import Env, RunScope
from runtime.engine.state import RunState
from runtime.engine.store import RunRows, RuntimeLease
from runtime.settings import RuntimeSettings

__all__ = ["DurableEngine", "derived_run_id", "new_run_id"]

log = structlog.get_logger("portway.runtime.engine")

_TICKS_AT_EPOCH = 621_355_968_000_000_000  # .NET ticks of 1970-01-01
_MAX_TICKS = 10 ** 20 - 1
_RNG = random.SystemRandom()
RUN_TIMED_OUT = "RunTimedOut"
_VERSION_GONE = dumps({"code": "WorkflowVersionNotFound",
                       "message": "The workflow version of this run no longer exists."})


def new_run_id(now: datetime) -> str:
    """A Logic Apps-like run id whose text sorts newest first."""
    ticks = _TICKS_AT_EPOCH + int(now.timestamp() * 10_000_000)
    return f"{_MAX_TICKS - ticks:020d}{_RNG.randrange(10 ** 9):09d}CU{_RNG.randrange(100):02d}"


def derived_run_id(parent_run_id: str, salt: str) -> str:
    """The run id a run started by another run's action always gets (a child workflow's):
    the parent's time part, so it sorts beside it, and a digest of the parent and ``salt``
    (the action's tracking id), so a replay of the action finds the same run."""
    digest = int.from_bytes(hashlib.sha256(
        f"{parent_run_id}/{salt}".encode()).digest()[:8], "big")
    return f"{parent_run_id[:20]}{digest % 10 ** 9:09d}CU{digest // 10 ** 9 % 100:02d}"


@dataclass
class _Local:
    state: RunState
    task: asyncio.Task[None] | None = None


class _Handle:
    def __init__(self, engine: DurableEngine, run_id: str, state: RunState | None = None
                 ) -> None:
        self.engine = engine
        self.run_id = run_id
        # The trigger call's answer carries them (x-ms-tracking-id, x-ms-client-tracking-id).
        self.tracking_id = str(state.trigger.get("trackingId", "")) if state else ""
        self.client_tracking_id = state.client_tracking_id if state else ""

    async def response(self, timeout: float) -> ResponseRecord | None:
        return await self.engine.wait_response(self.run_id, timeout)


class DurableEngine:
    """``Engine`` and ``RunHistory`` over the database, with its worker loop."""

    def __init__(self, services: Services, settings: RuntimeSettings, workflows: Any,
                 app_settings: AppSettings, *, clock: Clock | None = None) -> None:
        self.services = services
        self.settings = settings
        self.workflows = workflows
        self.app_settings = app_settings
        self.clock: Clock = clock or SystemClock()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.env = Env(services, self.clock, app_settings, settings.foreach_concurrency)
        self.rows = RunRows(services)
        self.history = StoredHistory(services)
        self.sealer = Sealer(services.vault)
        self.writer = CheckpointWriter(services, self.sealer)
        self.sqlite = services.db.dialect == "sqlite"
        self.lease = RuntimeLease(services, self.owner, settings.lease_seconds)
        self.local: dict[str, _Local] = {}
        self._indexes: dict[str, Index] = {}
        self._holds_lease = False
        self._watched: dict[str, list[asyncio.Future[str | None]]] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._renewed = 0.0
        self._purged = 0.0
        self._timed_out = float("-inf")
        self._claiming: asyncio.Future[int] | None = None
        self._lease_asked = float("-inf")
        self._closing = False
        self.max_local = 2000
        self.worker = BackgroundService("runtime-engine", self.work)

    # -- Engine -------------------------------------------------------------------------

    async def start_run(self, version: WorkflowVersion, trigger: TriggerRecord, *,
                        run_id: str | None = None) -> _Handle:
        now = self.clock.now()
        run_id = run_id or new_run_id(now)
        if run_id in self.local:
            return _Handle(self, run_id)
        state = RunState(run_id, version, {}, "", iso(now), fence=1)
        state.trigger = self._trigger_record(version, trigger, state, now)
        index = self._index(version)
        durable = version.kind != "Stateless" or self._stateless_history(version)
        if not durable:
            self._spawn(state, index, NullSink())
            return _Handle(self, run_id, state)
        here = await self._may_run_here()
        self.writer.insert_run(state, {
            "id": run_id, "workflow": version.workflow, "version": version.version,
            "status": "Running", "start_time": state.start_time,
            "client_tracking_id": state.client_tracking_id,
            "trigger": dumps(_stored_trigger(state, trigger)),
            "created_at": now.timestamp(),
            "lease_owner": self.owner if here else None,
            "lease_expires": now.timestamp() + self.settings.lease_seconds if here else 0.0,
            "fence": 1, "deadline": now.timestamp() + self._run_duration(version)})
        try:
            await self.writer.flush(state)
        except RunExists:
            return _Handle(self, run_id)  # started before (a trigger event, a replay)
        except Exception as exc:
            if _is_duplicate(exc):
                return _Handle(self, run_id)
            raise
        if here:
            self._spawn(state, index, self.writer)
        return _Handle(self, run_id, state)

    async def cancel(self, run_id: str) -> None:
        local = self.local.get(run_id)
        if local is not None and local.state.version.kind == "Stateless" and (
                not self._stateless_history(local.state.version)):
            self._stop(local, "cancel")
            return
        ended = await self.services.db.run(self.rows.cancel, run_id, iso(self.clock.now()))
        if not ended:
            if await self.services.db.run(self.rows.response_of, run_id) is None:
                raise NotFound(f"no run {run_id!r}")
            raise Conflict(f"the run {run_id!r} has already ended")
        if local is not None:
            self._stop(local, "cancel")

    async def record_cancelled(self, version: WorkflowVersion, trigger: TriggerRecord,
                               run_id: str) -> bool:
        """Store a run cancelled before it started (it waited behind its trigger's
        concurrency): its record with the trigger, status ``Cancelled``, no actions.
        False, writing nothing, when a run with this id exists (it started meanwhile:
        ``cancel`` it instead)."""
        now = self.clock.now()
        state = RunState(run_id, version, {}, "", trigger.start_time or iso(now), fence=1)
        state.trigger = self._trigger_record(version, trigger, state, now)
        return await self.services.db.run(self.rows.insert_ended, {
            "id": run_id, "workflow": version.workflow, "version": version.version,
            "status": "Cancelled", "start_time": state.start_time, "end_time": iso(now),
            "client_tracking_id": state.client_tracking_id,
            "trigger": dumps(_stored_trigger(state, trigger)),
            "error": dumps({"code": "Cancelled", "message": "The run was cancelled."}),
            "created_at": now.timestamp(), "fence": 1})

    async def wake(self, run_id: str, key: str) -> bool:
        """Resume a waiting action now rather than at its timer (a webhook action's
        callback arrived); the worker that claims the run calls its handler's ``resume``.
        A run held in memory right now (here or in another process) is resumed as soon
        as it ends ``Waiting``, not at its own timer."""
        now = self.clock.now().timestamp()
        return await self.services.db.run(self.rows.wake, run_id, key, now)

    async def resubmit(self, run_id: str) -> str:
        loaded = await self.services.db.run(self.rows.load, run_id)
        if loaded is None:
            raise NotFound(f"no run {run_id!r}")
        row, _ = loaded
        version = self.workflows.version(row.version)
        stored = json.loads(row.trigger)
        history = stored.get("history", {})
        trigger = TriggerRecord(name=history.get("name", ""), outputs=history.get(
            "outputs") or {}, inputs=history.get("inputs"), status=history.get(
            "status", "Succeeded"), code=history.get("code"))
        handle = await self.start_run(version, trigger)
        return handle.run_id

    # -- RunHistory ---------------------------------------------------------------------

    def get(self, run_id: str) -> dict[str, Any]:
        return self.history.get(run_id)

    def list(self, workflow: str, *, status: str | None = None, top: int = 50,
             skiptoken: str | None = None, others: OtherRuns | None = None,
             ) -> tuple[list[dict[str, Any]], str | None]:
        return self.history.list(workflow, status=status, top=top, skiptoken=skiptoken,
                                 others=others)

    # -- responses ----------------------------------------------------------------------

    async def wait_response(self, run_id: str, timeout: float) -> ResponseRecord | None:
        local = self.local.get(run_id)
        if local is not None and not self._index(local.state.version).responds:
            return None  # nothing will answer: the caller gets 202 at once
        if local is not None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(local.state.response_ready.wait(), timeout)
            if local.state.response is not None or self.local.get(run_id) is local:
                return local.state.response
            # The run left memory without answering: it ended, or it waits on a durable
            # timer (a retry, a Wait, a poll) and answers later, here or elsewhere.
            timeout = deadline - loop.time()
        # Ended (and no longer held here) or run by another process: its stored answer
        # first, so a zero timeout still finds a Response given before the run ended.
        stored = await self.services.db.run(self.rows.response_of, run_id)
        if stored is not None and (stored[1] or stored[0] not in ("Running", "Waiting")):
            return _response_from(json.loads(stored[1])) if stored[1] else None
        if timeout <= 0:
            return None
        # Another process runs it: one watcher polls the rows of every run waited for.
        waiter: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._watched.setdefault(run_id, []).append(waiter)
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.create_task(self._watch())
        try:
            response = await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return None
        finally:
            waiters = self._watched.get(run_id, [])
            if waiter in waiters:
                waiters.remove(waiter)
            if not waiters:
                self._watched.pop(run_id, None)
        return _response_from(json.loads(response)) if response else None

    async def _watch(self) -> None:
        while self._watched:
            found = await self.services.db.run(self.rows.responses_of, list(self._watched))
            for run_id, waiters in list(self._watched.items()):
                status, response = found.get(run_id, ("", None))
                if response or status not in ("Running", "Waiting"):
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_result(response)
            await asyncio.sleep(min(self.settings.poll_seconds, 0.05))

    # -- running ------------------------------------------------------------------------

    def _index(self, version: WorkflowVersion) -> Index:
        index = self._indexes.get(version.version)
        if index is None:
            if len(self._indexes) > 256:
                self._indexes.clear()
            index = self._indexes[version.version] = Index(version.definition)
        return index

    def _run_duration(self, version: WorkflowVersion) -> float:
        """How long a run of ``version`` started now may last, in seconds: its kind's own
        limit (Stateless: 5 minutes), else ``[runtime] run_duration_days``."""
        own = limits_of(version.kind).run_duration
        return own if own is not None else self.settings.run_duration_days * 86400.0

    def _stateless_history(self, version: WorkflowVersion) -> bool:
        option = self.app_settings.get(f"Workflows.{version.workflow}.OperationOptions")
        return bool(option) and "withstatelessrunhistory" in str(option).lower()

    def _trigger_record(self, version: WorkflowVersion, trigger: TriggerRecord,
                        state: RunState, now: datetime) -> dict[str, Any]:
        start = trigger.start_time or iso(now)
        record: dict[str, Any] = {
            "name": trigger.name, "outputs": dict(trigger.outputs),
            "startTime": start, "endTime": trigger.end_time or start,
            "trackingId": str(uuid.uuid4()), "clientTrackingId": state.run_id,
            "originHistoryName": state.run_id, "status": trigger.status,
        }
        state.trigger = record
        tracking = trigger.client_tracking_id or self._correlation(
            version, trigger, state) or _header(trigger.outputs, "x-ms-client-tracking-id")
        state.client_tracking_id = str(tracking or state.run_id)
        record["clientTrackingId"] = state.client_tracking_id
        return record

    def _correlation(self, version: WorkflowVersion, trigger: TriggerRecord,
                     state: RunState) -> Any:
        triggers = version.definition.get("triggers")
        found = triggers.get(trigger.name) if isinstance(triggers, Mapping) else None
        correlation = found.get("correlation") if isinstance(found, Mapping) else None
        expression = correlation.get("clientTrackingId") if isinstance(
            correlation, Mapping) else None
        if expression is None:
            return None
        try:
            value = RunScope(state, self.env, self._index(version)).evaluate(expression)
        except ExpressionError:
            return None
        return value if value not in (None, "") else None

    async def _may_run_here(self) -> bool:
        if not self.settings.enabled:
            return False
        if not self.sqlite:
            return True
        now = self.clock.now().timestamp()
        # A process that does not hold the lease asks again at the worker loop's pace,
        # not on every accepted run (each ask takes SQLite's write lock).
        if not self._holds_lease and now - self._lease_asked >= self.settings.poll_seconds:
            self._lease_asked = now
            self._holds_lease = await self.services.db.run(self.lease.hold, now)
        return self._holds_lease

    def _spawn(self, state: RunState, index: Index, sink: Sink) -> None:
        local = _Local(state)
        self.local[state.run_id] = local
        local.task = asyncio.create_task(self._run(local, index, sink),
                                         name=f"run:{state.run_id}")

    async def _run(self, local: _Local, index: Index, sink: Sink) -> None:
        state = local.state
        try:
            interpreter = Interpreter(state, self.env, index, sink)
            status = await self._interpret(interpreter, index)
            final = self._final(state, status, interpreter)
            if isinstance(sink, CheckpointWriter):
                sink.finish_run(state, final)
                await sink.flush(state)
        except LeaseLost:
            pass  # another process runs it now (or it was cancelled): write nothing more
        except asyncio.CancelledError:
            if state.stopping != "cancel":
                raise
        finally:
            state.response_ready.set()
            self.local.pop(state.run_id, None)

    async def _interpret(self, interpreter: Interpreter, index: Index) -> str:
        """Run the definition; a kind with its own run duration (Stateless: 5 minutes)
        is stopped when it passes, its actions in flight ``Cancelled``, the run
        ``TimedOut``. (A Stateful run's limit is the worker loop's: ``tick``.)"""
        state = interpreter.state
        limit = limits_of(state.version.kind).run_duration
        work = interpreter.run_actions(index.root, ())
        if limit is None:
            return await work
        # From the run's start, so a run resumed elsewhere keeps its deadline.
        started = datetime.fromisoformat(state.start_time[:26]).replace(tzinfo=UTC)
        left = limit - (self.clock.now() - started).total_seconds()
        task = asyncio.ensure_future(work)
        timer = asyncio.ensure_future(self.clock.sleep(left))
        try:
            done, _ = await asyncio.wait({task, timer},
                                         return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            # Stopped from outside (cancel, shutdown: ``state.stopping`` says which).
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise
        finally:
            timer.cancel()
        if task in done:
            return task.result()
        state.stopping = "cancel"
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        # PRODUCT.md's run statuses: a run timed out has Failed, with the reason as its error.
        state.terminated = ("Failed", _timed_out(limit))
        return "Failed"

    def _final(self, state: RunState, status: str, interpreter: Interpreter
               ) -> dict[str, Any]:
        if status == "Waiting" and state.terminated is None:
            return {"status": "Waiting", "end_time": None, "error": None, "outputs": None,
                    "lease_owner": None, "lease_expires": None, "wake_at": state.wake_at}
        error: Mapping[str, Any] | None = None
        if state.terminated is not None:
            status, error = state.terminated
        elif status == "Failed":
            error = ACTION_FAILED
        outputs = self._outputs(state, interpreter)
        return {"status": status, "end_time": iso(self.clock.now()),
                "error": dumps(error) if error is not None else None,
                "outputs": dumps(outputs), "lease_owner": None, "lease_expires": None,
                "wake_at": None}

    def _outputs(self, state: RunState, interpreter: Interpreter) -> dict[str, Any]:
        declared = state.version.definition.get("outputs")
        if not isinstance(declared, Mapping):
            return {}
        found: dict[str, Any] = {}
        for name, output in declared.items():
            if not isinstance(output, Mapping):
                continue
            try:
                value = interpreter.scope(()).evaluate(output.get("value"))
            except ExpressionError as exc:
                value = None
                found[name] = {"type": output.get("type"), "value": None,
                               "error": {"code": "InvalidTemplate", "message": exc.message}}
                continue
            if str(output.get("type", "")).lower() in ("securestring", "secureobject"):
                value = "***"
            found[name] = {"type": output.get("type"), "value": value}
        return found

    def _stop(self, local: _Local, why: str) -> None:
        local.state.stopping = why
        if local.task is not None:
            local.task.cancel()

    # -- the worker loop ----------------------------------------------------------------

    async def work(self, services: Services) -> None:
        """Renew, claim and resume, forever (a background service of every process)."""
        try:
            while True:
                await self.tick()
                await asyncio.sleep(self.settings.poll_seconds)
        finally:
            await self.aclose()

    async def tick(self) -> int:
        """One round of the worker loop; answers how many runs it claimed."""
        db = self.services.db
        now = self.clock.now().timestamp()
        if not self.settings.enabled:
            return 0
        if self.sqlite:
            if now - self._renewed >= self.settings.lease_seconds / 3 or not self._holds_lease:
                held = self._holds_lease
                self._holds_lease = await db.run(self.lease.hold, now)
                if held and not self._holds_lease:
                    # Another process took the runtime lease (this one was too late to
                    # renew it): it runs the runs now, ours too, at once.
                    log.warning("the runtime lease was taken over; giving back our runs",
                                runs=len(self.local))
                    await self._give_back()
            if not self._holds_lease:
                return 0
        if now - self._renewed >= self.settings.lease_seconds / 3:
            self._renewed = now
            fences = {run_id: local.state.fence for run_id, local in self.local.items()
                      if local.state.fence}
            lost = await db.run(self.rows.renew, self.owner, fences,
                                now + self.settings.lease_seconds)
            for run_id in lost:
                local = self.local.get(run_id)
                if local is not None:
                    self._stop(local, "shutdown")
        limit = self.settings.run_duration_days * 86400.0
        # Often enough that a run ends within a thousandth of its limit (a minute at
        # most), rarely enough to cost nothing beside the claims.
        if now - self._timed_out >= min(60.0, max(self.settings.poll_seconds, limit / 1000)):
            self._timed_out = now
            await self._time_out(now, limit)
        # Claiming and taking up a page is shielded: a process stopped meanwhile
        # (``aclose``) waits for it, then gives back every run it holds.
        self._claiming = asyncio.ensure_future(self._claim(now))
        claimed = await asyncio.shield(self._claiming)
        if now - self._purged >= 3600:
            self._purged = now
            await db.run(self.rows.purge, now - self.settings.retention_days * 86400.0)
        return claimed

    async def _time_out(self, now: float, limit: float) -> None:
        """End every run past its deadline (its start plus the run duration limit in force
        when it started; ``limit``, the one in force now, for runs stored before runs
        kept a deadline), here or anywhere, running or asleep on a timer: ``Failed``
        (``RunTimedOut``), its actions in flight ``Cancelled``. A process still running
        one loses it (its fence moved) and writes nothing more."""
        ended = await self.services.db.run(
            self.rows.time_out, now, limit, iso(self.clock.now()),
            lambda own: dumps(_timed_out(own)))
        for run_id in ended:
            local = self.local.get(run_id)
            if local is not None:
                self._stop(local, "shutdown")

    async def _claim(self, now: float) -> int:
        """Claim runs in pages while whole pages come back; answers how many."""
        db = self.services.db
        total = 0
        while not self._closing:
            room = min(self.max_local - len(self.local), 100)
            if room <= 0:
                break
            page = await db.run(self.rows.claim, self.owner, now,
                                self.settings.lease_seconds, room)
            loaded = await db.run(self.rows.load_many, [found.run_id for found in page])
            # Every run of the page is in ``self.local`` before anything else can run.
            gone = [found for found in page if not self._take_up(
                found.run_id, found.fence, loaded.get(found.run_id))]
            for found in gone:
                await db.run(self.rows.fail, found.run_id, found.fence,
                             iso(self.clock.now()), _VERSION_GONE)
            total += len(page)
            if len(page) < room:
                break
        return total

    def _take_up(self, run_id: str, fence: int, loaded: tuple[Any, Sequence[Any]] | None
                 ) -> bool:
        """Resume a claimed run from its checkpoints; False if its version is gone."""
        if loaded is None or run_id in self.local:
            return True
        row, records = loaded
        try:
            version = self.workflows.version(row.version)
        except Exception as exc:
            # Nothing can run it any more: end it rather than claim it again and again.
            log.warning("a run's workflow version is gone; the run fails", run_id=run_id,
                        version=row.version, error=type(exc).__name__)
            return False
        stored = json.loads(row.trigger)
        state = RunState(run_id, version, stored.get("expression", {}),
                         row.client_tracking_id, row.start_time, fence=fence)
        state.variables = self.sealer.variables(run_id, row.variables)
        if row.response:
            state.response = _response_from(json.loads(row.response))
        for found in records:
            record = self.sealer.reopened(run_id, found.key, json.loads(found.record))
            state.replay[found.key] = record
            state.seq = max(state.seq, found.seq)
            if found.state is not None:
                state.suspended[found.key] = json.loads(found.state)
        self._spawn(state, self._index(version), self.writer)
        return True

    async def aclose(self) -> None:
        """Stop this process's runs without writing over them; let others resume them."""
        self._closing = True
        if self._claiming is not None:
            with contextlib.suppress(BaseException):
                await self._claiming
        await self._give_back()
        with contextlib.suppress(Exception):
            if self.sqlite and self._holds_lease:
                await self.services.db.run(self.lease.release)
        self._holds_lease = False
        await self.writer.aclose()

    async def _give_back(self) -> None:
        """Stop the runs of this process without writing over them, and release every
        run it holds so another process resumes them at once."""
        running = list(self.local.values())
        for local in running:
            self._stop(local, "shutdown")
        for local in running:
            if local.task is not None:
                with contextlib.suppress(BaseException):
                    await local.task
        with contextlib.suppress(Exception):
            await self.services.db.run(self.rows.release, self.owner)


def _timed_out(limit: float) -> dict[str, str]:
    days = limit / 86400.0
    span = f"{days:g} days" if limit >= 86400 else f"{limit:g} seconds"
    return {"code": RUN_TIMED_OUT, "message": f"The run did not end within the run "
                                              f"duration limit of {span}; it was timed out."}


def _header(outputs: Mapping[str, Any], name: str) -> Any:
    headers = outputs.get("headers")
    if isinstance(headers, Mapping):
        for key, value in headers.items():
            if str(key).lower() == name:
                return value
    return None


def _stored_trigger(state: RunState, trigger: TriggerRecord) -> dict[str, Any]:
    record = state.trigger
    return {"expression": record, "history": {
        "name": trigger.name, "status": trigger.status, "code": trigger.code,
        "startTime": record["startTime"], "endTime": record["endTime"],
        "inputs": trigger.inputs, "outputs": record["outputs"]}}


def _response_from(found: Mapping[str, Any]) -> ResponseRecord:
    import base64

    return ResponseRecord(int(found["status"]), [tuple(p) for p in found["headers"]],
                          base64.b64decode(found["body"]))


def _is_duplicate(exc: Exception) -> bool:
    text = type(exc).__name__ + str(exc)
    return "IntegrityError" in text or "UNIQUE" in text or "duplicate key" in text


def utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
