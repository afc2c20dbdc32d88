"""Trigger concurrency: ``runtimeConfiguration.concurrency`` and ``SingleInstance``.

As Logic Apps reads them on a trigger:

- ``runtimeConfiguration.concurrency.runs`` (1 to 100): at most that many runs of the
  workflow in flight (``Running`` or ``Waiting``); the runs fired beyond it wait, oldest
  first, and start as runs end.
- ``maximumWaitingRuns`` (1 to 100; default 10 plus ``runs``, at most 100): how many may
  wait. With the queue full, recurring and polling triggers skip their poll (the trigger
  is skipped with ``WorkflowRunInProgress`` and tries again at its next occurrence, so no
  item a poll would have taken is lost) and a Request trigger answers ``429``.
- ``operationOptions: SingleInstance`` on a recurring or polling trigger: it fires only
  when no run of the workflow is in flight or waiting; otherwise its occurrence is
  skipped.

The waiting runs are rows of ``runtime_trigger_fires`` (durable, shared by every process);
only the trigger scheduler — one process at a time, under the gateway's lease — starts
them, so the limit holds across processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from runtime.store.tables import runs, trigger_fires

__all__ = ["MAX_RUNS", "TriggerLimits", "limits_of"]

#: The largest ``runs`` and ``maximumWaitingRuns`` Logic Apps Standard takes.
MAX_RUNS = 100
_IN_FLIGHT = ("Running", "Waiting")


@dataclass(frozen=True)
class TriggerLimits:
    """What a trigger's definition says of concurrency.

    Attributes:
        runs: Runs of the workflow in flight at most, or None (no limit).
        waiting: Runs that may wait for a place (with ``runs`` set).
        single_instance: Fire only when no run is in flight or waiting.
    """

    runs: int | None = None
    waiting: int = 0
    single_instance: bool = False

    @property
    def limited(self) -> bool:
        return self.runs is not None or self.single_instance

    def in_flight(self, conn: sa.Connection, workflow: str) -> int:
        """Runs of the workflow running or waiting in the engine now."""
        return int(conn.execute(sa.select(sa.func.count()).select_from(runs).where(
            runs.c.workflow == workflow, runs.c.status.in_(_IN_FLIGHT))).scalar_one())

    @staticmethod
    def queued(conn: sa.Connection, workflow: str) -> int:
        """Runs of the workflow fired and not started yet (waiting for a place)."""
        return int(conn.execute(sa.select(sa.func.count()).select_from(trigger_fires).where(
            trigger_fires.c.workflow == workflow)).scalar_one())

    def queue_full(self, conn: sa.Connection, workflow: str) -> bool:
        """Whether as many runs wait for a place as may (fired runs that will start at
        once, there being room, do not count)."""
        if self.runs is None:
            return False
        free = max(0, self.runs - self.in_flight(conn, workflow))
        return self.queued(conn, workflow) - free >= self.waiting

    def skips(self, conn: sa.Connection, workflow: str) -> bool:
        """Whether a recurring or polling trigger skips this occurrence."""
        if self.single_instance and (self.in_flight(conn, workflow) > 0
                                     or self.queued(conn, workflow) > 0):
            return True
        return self.queue_full(conn, workflow)

    def room(self, conn: sa.Connection, workflow: str) -> int | None:
        """How many more runs may start now (None: no limit)."""
        if self.runs is None and not self.single_instance:
            return None
        most = 1 if self.runs is None else self.runs
        return max(0, most - self.in_flight(conn, workflow))


def limits_of(trigger: Mapping[str, Any]) -> TriggerLimits:
    """A trigger's concurrency settings (deploy validation has checked their shape)."""
    options = trigger.get("operationOptions")
    single = isinstance(options, str) and "singleinstance" in options.lower().replace(
        " ", "")
    configuration = trigger.get("runtimeConfiguration")
    concurrency = configuration.get("concurrency") if isinstance(
        configuration, Mapping) else None
    runs_limit = concurrency.get("runs") if isinstance(concurrency, Mapping) else None
    if not isinstance(runs_limit, int) or isinstance(runs_limit, bool):
        return TriggerLimits(single_instance=single)
    most = max(1, min(MAX_RUNS, runs_limit))
    waiting = concurrency.get("maximumWaitingRuns") if isinstance(
        concurrency, Mapping) else None
    if not isinstance(waiting, int) or isinstance(waiting, bool):
        waiting = min(MAX_RUNS, 10 + most)
    return TriggerLimits(runs=most, waiting=max(1, min(MAX_RUNS, waiting)),
                         single_instance=single)


def concurrency_findings(trigger: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(pointer under the trigger, message)`` for a concurrency block Portway cannot
    honour; empty when it can (or there is none)."""
    configuration = trigger.get("runtimeConfiguration")
    if configuration is None:
        return []
    if not isinstance(configuration, Mapping):
        return [("/runtimeConfiguration", "runtimeConfiguration must be an object")]
    concurrency = configuration.get("concurrency")
    if concurrency is None:
        return []
    if not isinstance(concurrency, Mapping):
        return [("/runtimeConfiguration/concurrency", "concurrency must be an object")]
    found = []
    for key in ("runs", "maximumWaitingRuns"):
        value = concurrency.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_RUNS:
            found.append((f"/runtimeConfiguration/concurrency/{key}",
                          f"{key} must be a whole number from 1 to {MAX_RUNS}"))
    return found
