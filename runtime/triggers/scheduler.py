"""The trigger scheduler: fires enabled workflows' schedule triggers, and polls their
polling triggers (``runtime.triggers.polling``), when they are due.

One ``BackgroundService`` per deployment (a singleton: the gateway's supervisor runs it
under a lease). Each ``tick``:

1. **sync** — every ``Recurrence`` and ``SlidingWindow`` trigger of every workflow has a
   state row; a new trigger, or one whose definition a deploy changed, starts afresh
   (anchored at that moment); a deleted workflow's rows go.
2. **fire** — for each due trigger of an enabled workflow, one transaction moves its next
   due time on and records its runs (``runtime.triggers.state``): a Recurrence fires once
   for the occurrence it is due for (missed occurrences while Portway was down are not
   replayed, as in Logic Apps); a Sliding Window fires once per closed window, missed ones
   included (backfill), each with ``windowStartTime``/``windowEndTime`` in its outputs.
   A polling trigger polls, and the runs its answer fires are recorded the same way.
3. **start** — recorded runs are started under their deterministic ids and forgotten;
   a trigger's ``runtimeConfiguration.concurrency`` (``runtime.triggers.concurrency``)
   leaves those beyond its limit waiting, in the table, for a later tick. A recurring or
   polling trigger whose workflow is at its limit with a full queue, or is
   ``SingleInstance`` with a run in flight, skips its occurrence.

Time is the injected clock's: tests call ``tick`` after moving a manual clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from gateway import BackgroundService, Conflict, NotFound, PortwayError, Services
from runtime.engine import Clock, SystemClock, iso
from runtime.engine.interface import WorkflowVersion
from runtime.store.tables import trigger_states, workflows
from runtime.triggers.concurrency import TriggerLimits, limits_of
from runtime.triggers.polling import (
    poll_api_connection,
    poll_http,
    poll_provider,
)
from runtime.triggers.schedules import (
    Recurrence,
    due_windows,
    next_occurrence,
    parse_recurrence,
    written_with_expressions,
)
from runtime.triggers.scope import evaluate_in_trigger
from runtime.triggers.state import (
    Fire,
    TriggerRow,
    TriggerStates,
    event_run_id,
    moment,
    trigger_digest,
)

if TYPE_CHECKING:
    from runtime.host import RuntimeHost

__all__ = ["POLLING_TYPES", "SCHEDULE_TYPES", "TriggerScheduler"]

log = logging.getLogger("portway.runtime.triggers")

#: Trigger types (lower case) the scheduler fires on its own: schedules, and the polling
#: triggers it polls when their recurrence is due.
SCHEDULE_TYPES = frozenset({"recurrence", "slidingwindow", "http", "apiconnection",
                            "serviceprovider"})
_POLLERS = {"http": poll_http, "apiconnection": poll_api_connection,
            "serviceprovider": poll_provider}
#: Trigger types (lower case) that poll an endpoint.
POLLING_TYPES = frozenset(_POLLERS)
_BATCH = 200
_PARALLEL = 32
_ROUNDS = 3
_EPSILON = timedelta(microseconds=1)


class TriggerScheduler:
    """Fires schedule triggers; ``service`` is the supervised loop."""

    def __init__(self, host: RuntimeHost, *, clock: Clock | None = None,
                 interval: float = 1.0, max_windows: int = 100) -> None:
        self.host = host
        self.clock: Clock = clock or SystemClock()
        self.interval = interval
        self.max_windows = max_windows
        self.states = TriggerStates(host.services)
        self._synced: tuple[Any, ...] | None = None
        self.service = BackgroundService("runtime-triggers", self.work, singleton=True)

    async def work(self, services: Services) -> None:
        while True:
            await self.tick()
            await self.clock.sleep(self.interval)

    async def tick(self) -> int:
        """One round: sync, fire what is due, start what was fired.

        Returns:
            How many runs it started.
        """
        await self.fire_due()
        return await self.start_pending()

    async def fire_due(self) -> None:
        """Sync, then fire (or poll) every due trigger: its runs are recorded, not started."""
        db = self.host.services.db
        now = self.clock.now()
        await db.run(self._sync, now)
        due = await db.run(self.states.due, now.timestamp(), _BATCH)
        # Triggers due together poll together (a bounded number at once), so a thousand
        # due in the same second are not polled one after another.
        gate = asyncio.Semaphore(_PARALLEL)

        async def one(row: TriggerRow) -> None:
            async with gate:
                await self._due(row, now)

        await asyncio.gather(*(one(row) for row in due))

    async def _due(self, row: TriggerRow, now: datetime) -> None:
        db = self.host.services.db
        trigger = await db.run(self._current, row)
        if trigger is None:
            return  # the next sync starts it afresh
        try:
            limits = limits_of(trigger)
            if limits.limited and _kind(trigger) != "slidingwindow" and await db.run(
                    self._skip, row, trigger, limits, now):
                return
            if _kind(trigger) in _POLLERS:
                await self._poll(row, trigger, now)
            else:
                await db.run(self._fire, row, trigger, now)
        except PortwayError as exc:  # one trigger's fault never stops the others
            log.warning("trigger %s/%s cannot fire: %s", row.workflow, row.trigger, exc)

    async def poll_now(self, workflow: str, trigger: str) -> list[str]:
        """Poll one polling trigger now, out of its schedule (which stays as it was): its
        runs are recorded as a scheduled poll's are, and started unless the trigger's
        concurrency keeps them waiting for the scheduler.

        Returns:
            The ids of the runs the poll fired (none: it found nothing).

        Raises:
            NotFound: No such workflow or polling trigger.
            Conflict: The trigger was polled elsewhere at the same moment.
        """
        db = self.host.services.db
        now = self.clock.now()
        await db.run(self._sync, now)
        row = await db.run(self.states.row, workflow, trigger)
        definition = await db.run(self._current, row) if row is not None else None
        if row is None or definition is None or _kind(definition) not in _POLLERS:
            raise NotFound(f"the workflow {workflow!r} has no polling trigger {trigger!r}")
        version = await db.run(self.host.workflows.current, workflow)
        outcome = await _POLLERS[_kind(definition)](self.host, version, trigger, definition,
                                                    row.state, now)
        fires = [Fire(event_run_id(workflow, trigger, key, now), workflow, trigger, outputs,
                      now.timestamp()) for key, outputs in outcome.fired]
        if not await db.run(self.states.advance, row, row.next_due, outcome.state, fires):
            raise Conflict(f"the trigger {trigger!r} was polled elsewhere at the same "
                           "moment: try again")
        if not limits_of(definition).limited:
            for fire in fires:
                await self._start(version, fire)
        return [fire.run_id for fire in fires]

    async def start_pending(self) -> int:
        """Start the recorded runs (idempotent by id) that their trigger's concurrency lets
        start; returns how many it handed over."""
        db = self.host.services.db
        started = 0
        waiting: set[str] = set()  # workflows at their limit: their runs wait
        for _ in range(_ROUNDS):  # a full batch of waiting runs never hides the others
            batch = await db.run(self.states.pending, _BATCH, frozenset(waiting))
            for fire in batch:
                if fire.workflow in waiting:
                    continue
                try:
                    version = await db.run(self.host.workflows.current, fire.workflow)
                except NotFound:
                    await db.run(self.states.started, fire.run_id)
                    continue
                triggers = version.definition.get("triggers") or {}
                limits = limits_of(triggers.get(fire.trigger) or {})
                if not limits.limited:
                    await self._start(version, fire)
                elif await self._start_within(limits, version, fire):
                    waiting.add(fire.workflow)
                    continue
                started += 1
            if len(batch) < _BATCH:
                break
        return started

    async def _start(self, version: WorkflowVersion, fire: Fire) -> None:
        await self.host.engine.start_run(version, fire.trigger_record(), run_id=fire.run_id)
        await self.host.services.db.run(self.states.started, fire.run_id)

    async def _start_within(self, limits: TriggerLimits, version: WorkflowVersion,
                            fire: Fire) -> bool:
        """Start a run of a workflow whose trigger limits its runs, if there is room;
        True when there is none (it waits). The workflow's row is locked from the count
        to the start, so processes starting runs of one workflow at once count each
        other's (PostgreSQL; on SQLite one process runs the runs)."""
        db = self.host.services.db
        conn = await db.run(db.engine.connect)
        try:
            room = await db.run(_count_room, conn, limits, version.workflow)
            if room <= 0:
                return True
            await self._start(version, fire)
            return False
        finally:
            await db.run(conn.close)

    # -- sync --------------------------------------------------------------------------

    def _sync(self, now: datetime) -> None:
        mark = self._deployed()
        if mark == self._synced:
            return  # no workflow was deployed, changed or deleted since the last sync
        rows = self.states.rows()
        seen: set[tuple[str, str]] = set()
        for record in self.host.workflows.all():
            for name, trigger in _schedule_triggers(record.definition).items():
                key = (record.name, name)
                seen.add(key)
                digest = trigger_digest(trigger)
                if key in rows and rows[key].digest == digest:
                    continue
                self.states.reset(self._fresh(record.name, name, trigger, digest, now))
        self.states.forget([key for key in rows if key not in seen])
        self._synced = mark

    def _deployed(self) -> tuple[Any, ...]:
        """What changes whenever a workflow is deployed, changed or deleted (how many
        there are, the latest change), or another process dropped trigger states."""
        with self.host.services.db.engine.connect() as conn:
            mark = conn.execute(sa.select(sa.func.count(), sa.func.max(
                workflows.c.updated_at)).select_from(workflows)).one()
            states = conn.execute(sa.select(sa.func.count()).select_from(
                trigger_states)).scalar_one()
        return (*mark, states)

    def _fresh(self, workflow: str, name: str, trigger: Mapping[str, Any], digest: str,
               now: datetime) -> TriggerRow:
        state: dict[str, Any] = {"anchor": now.timestamp()}
        try:
            recurrence = self._recurrence(workflow, name, trigger, now)
        except PortwayError as exc:
            log.warning("trigger %s/%s has a recurrence Portway cannot schedule: %s",
                        workflow, name, exc)
            return TriggerRow(workflow, name, digest, None, {**state, "error": str(exc)})
        if _kind(trigger) == "slidingwindow":
            windows = due_windows(recurrence, None, now + timedelta(days=36600),
                                  anchor=now, limit=1)
            due = windows[0].end if windows else None
        else:
            due = next_occurrence(recurrence, now - _EPSILON, anchor=now)
        return TriggerRow(workflow, name, digest, due.timestamp() if due else None, state)

    def _recurrence(self, workflow: str, name: str, trigger: Mapping[str, Any],
                    now: datetime) -> Recurrence:
        """The trigger's recurrence, its expressions (``@appsetting('...')``) evaluated.

        Raises:
            PortwayError: Not a recurrence Portway can compute, or an expression failed.
        """
        block = trigger.get("recurrence")
        if written_with_expressions(block):
            version = self.host.workflows.current(workflow)
            block = evaluate_in_trigger(self.host, version, name, block, now)
        return parse_recurrence(block)

    # -- fire --------------------------------------------------------------------------

    def _current(self, row: TriggerRow) -> Mapping[str, Any] | None:
        """The trigger's definition, if it is still the one the row was made for."""
        try:
            record = self.host.workflows.get(row.workflow)
        except NotFound:
            return None
        trigger = _schedule_triggers(record.definition).get(row.trigger)
        if trigger is None or trigger_digest(trigger) != row.digest:
            return None
        return trigger

    async def _poll(self, row: TriggerRow, trigger: Mapping[str, Any], now: datetime) -> None:
        db = self.host.services.db
        try:
            version = await db.run(self.host.workflows.current, row.workflow)
        except NotFound:
            return
        recurrence = self._recurrence(row.workflow, row.trigger, trigger, now)
        due = moment(float(row.next_due or 0))
        poll = _POLLERS[_kind(trigger)]
        outcome = await poll(self.host, version, row.trigger, trigger, row.state, now)
        fires = [Fire(event_run_id(row.workflow, row.trigger, key, due), row.workflow,
                      row.trigger, outputs, due.timestamp()) for key, outputs in outcome.fired]
        if outcome.retry_after is not None:
            next_due: float | None = now.timestamp() + outcome.retry_after
        else:
            upcoming = next_occurrence(recurrence, now,
                                       anchor=moment(float(row.state["anchor"])))
            next_due = upcoming.timestamp() if upcoming else None
        if not await db.run(self.states.advance, row, next_due, outcome.state, fires):
            log.info("trigger %s/%s was polled elsewhere", row.workflow, row.trigger)

    def _skip(self, row: TriggerRow, trigger: Mapping[str, Any], limits: TriggerLimits,
              now: datetime) -> bool:
        """Skip a due occurrence when the workflow's runs are at the trigger's limit:
        nothing is polled or fired, and the trigger is next due at its next occurrence."""
        with self.host.services.db.engine.connect() as conn:
            if not limits.skips(conn, row.workflow):
                return False
        recurrence = self._recurrence(row.workflow, row.trigger, trigger, now)
        upcoming = next_occurrence(recurrence, now, anchor=moment(float(row.state["anchor"])))
        state = {**row.state, "lastSkipped": {"at": now.timestamp(),
                                              "code": "WorkflowRunInProgress"}}
        self.states.advance(row, upcoming.timestamp() if upcoming else None, state, [])
        log.info("trigger %s/%s skipped: the workflow's runs are at the trigger's limit",
                 row.workflow, row.trigger)
        return True

    def _fire(self, row: TriggerRow, trigger: Mapping[str, Any], now: datetime) -> None:
        recurrence = self._recurrence(row.workflow, row.trigger, trigger, now)
        anchor = moment(float(row.state["anchor"]))
        if _kind(trigger) == "slidingwindow":
            next_due, state, fires = self._windows(row, recurrence, anchor, now)
        else:
            due = moment(float(row.next_due or 0))
            fires = [Fire(event_run_id(row.workflow, row.trigger, iso(due), due),
                          row.workflow, row.trigger, {}, due.timestamp())]
            upcoming = next_occurrence(recurrence, now, anchor=anchor)
            next_due = upcoming.timestamp() if upcoming else None
            state = {**row.state, "lastFired": due.timestamp()}
        if not self.states.advance(row, next_due, state, fires):
            log.info("trigger %s/%s was fired elsewhere", row.workflow, row.trigger)

    def _windows(self, row: TriggerRow, recurrence: Recurrence, anchor: datetime,
                 now: datetime) -> tuple[float | None, dict[str, Any], list[Fire]]:
        last = row.state.get("lastWindowEnd")
        last_end = moment(float(last)) if last is not None else None
        windows = due_windows(recurrence, last_end, now, anchor=anchor,
                              limit=self.max_windows)
        fires = [Fire(event_run_id(row.workflow, row.trigger, iso(window.start), window.end),
                      row.workflow, row.trigger, dict(window.outputs()),
                      window.end.timestamp()) for window in windows]
        if windows:
            last_end = windows[-1].end
        state = {**row.state,
                 "lastWindowEnd": last_end.timestamp() if last_end else None}
        following = due_windows(recurrence, last_end, now + timedelta(days=36600),
                                anchor=anchor, limit=1)
        return (following[0].end.timestamp() if following else None), state, fires


def _count_room(conn: sa.Connection, limits: TriggerLimits, workflow: str) -> int:
    conn.execute(sa.select(workflows.c.name).where(workflows.c.name == workflow)
                 .with_for_update())
    return limits.room(conn, workflow) or 0


def _kind(trigger: Mapping[str, Any]) -> str:
    return str(trigger.get("type", "")).lower()


def _schedule_triggers(definition: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    triggers = definition.get("triggers")
    if not isinstance(triggers, Mapping):
        return {}
    return {name: trigger for name, trigger in triggers.items()
            if isinstance(trigger, Mapping) and _kind(trigger) in SCHEDULE_TYPES}
