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
3. **start** — recorded runs are started under their deterministic ids and forgotten.

Time is the injected clock's: tests call ``tick`` after moving a manual clock.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from gateway import BackgroundService, NotFound, PortwayError, Services
from runtime.engine import Clock, SystemClock, iso
from runtime.engine.interface import TriggerRecord
from runtime.triggers.polling import (
    evaluate_in_trigger,
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

__all__ = ["SCHEDULE_TYPES", "TriggerScheduler"]

log = logging.getLogger("portway.runtime.triggers")

#: Trigger types (lower case) the scheduler fires on its own: schedules, and the polling
#: triggers it polls when their recurrence is due.
SCHEDULE_TYPES = frozenset({"recurrence", "slidingwindow", "http", "apiconnection",
                            "serviceprovider"})
_POLLERS = {"http": poll_http, "apiconnection": poll_api_connection,
            "serviceprovider": poll_provider}
_BATCH = 200
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
        for row in await db.run(self.states.due, now.timestamp(), _BATCH):
            trigger = await db.run(self._current, row)
            if trigger is None:
                continue  # the next sync starts it afresh
            try:
                if _kind(trigger) in _POLLERS:
                    await self._poll(row, trigger, now)
                else:
                    await db.run(self._fire, row, trigger, now)
            except PortwayError as exc:  # one trigger's fault never stops the others
                log.warning("trigger %s/%s cannot fire: %s", row.workflow, row.trigger, exc)

    async def start_pending(self) -> int:
        """Start the recorded runs (idempotent by id); returns how many it handed over."""
        db = self.host.services.db
        started = 0
        for fire in await db.run(self.states.pending, _BATCH):
            try:
                version = await db.run(self.host.workflows.current, fire.workflow)
            except NotFound:
                await db.run(self.states.started, fire.run_id)
                continue
            stamp = iso(moment(fire.fired_at))
            await self.host.engine.start_run(version, TriggerRecord(
                name=fire.trigger, outputs=fire.outputs, start_time=stamp, end_time=stamp),
                run_id=fire.run_id)
            await db.run(self.states.started, fire.run_id)
            started += 1
        return started

    # -- sync --------------------------------------------------------------------------

    def _sync(self, now: datetime) -> None:
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


def _kind(trigger: Mapping[str, Any]) -> str:
    return str(trigger.get("type", "")).lower()


def _schedule_triggers(definition: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    triggers = definition.get("triggers")
    if not isinstance(triggers, Mapping):
        return {}
    return {name: trigger for name, trigger in triggers.items()
            if isinstance(trigger, Mapping) and _kind(trigger) in SCHEDULE_TYPES}
