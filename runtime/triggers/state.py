"""Trigger state kept durably: when each trigger is due next, and the runs it fired.

A trigger fires by one transaction that moves its ``next_due`` on — only if it still holds
the value the firing process read, so two processes racing on one database fire it once —
and writes one ``runtime_trigger_fires`` row per run, keyed by the run's deterministic id.
The rows are then started (``Engine.start_run`` with that id is idempotent: the run id is
the runs table's primary key) and deleted. A process killed in between leaves the rows;
the next tick, here or elsewhere, starts them. So every event starts exactly one run.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from gateway import Services
from runtime.engine.clock import iso
from runtime.engine.interface import TriggerRecord
from runtime.store.tables import trigger_fires, trigger_states, workflows

__all__ = ["Fire", "TriggerRow", "TriggerStates", "event_run_id", "trigger_digest"]

_TICKS_AT_EPOCH = 621_355_968_000_000_000  # .NET ticks of 1970-01-01, as run ids count
_MAX_TICKS = 10 ** 20 - 1


def event_run_id(workflow: str, trigger: str, key: str, moment: datetime) -> str:
    """The run id one trigger event always gets, in the engine's run-id shape.

    Args:
        workflow: The workflow's name.
        trigger: The trigger's name.
        key: What makes the event unique for that trigger (a due time, a row's key...).
        moment: When the event happened; ids sort newest first, like the engine's.
    """
    ticks = _TICKS_AT_EPOCH + int(moment.timestamp() * 10_000_000)
    digest = int.from_bytes(hashlib.sha256(
        json.dumps([workflow, trigger, key]).encode("utf-8")).digest()[:8], "big")
    return f"{_MAX_TICKS - ticks:020d}{digest % 10 ** 9:09d}CU{digest // 10 ** 9 % 100:02d}"


def trigger_digest(trigger: Mapping[str, Any]) -> str:
    """SHA-256 of a trigger's definition: its state survives deploys that keep it."""
    text = json.dumps(trigger, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TriggerRow:
    workflow: str
    trigger: str
    digest: str
    next_due: float | None
    state: dict[str, Any]
    #: When the row was last written, as read: advancing needs it unchanged, so two
    #: processes that read the same state (a poll by hand, a scheduled one) fire once.
    stamp: float | None = None


@dataclass(frozen=True)
class Fire:
    """One run a trigger fired: its id and the trigger outputs it starts with."""

    run_id: str
    workflow: str
    trigger: str
    outputs: dict[str, Any] = field(default_factory=dict)
    fired_at: float = 0.0
    #: A Request call's ``x-ms-client-tracking-id`` (the run id when None).
    client_tracking_id: str | None = None
    #: The trigger's inputs for the run record (a Request trigger's ``schema``).
    inputs: dict[str, Any] | None = None

    def row(self) -> dict[str, Any]:
        """The ``runtime_trigger_fires`` row of this fire."""
        return {"run_id": self.run_id, "workflow": self.workflow, "trigger": self.trigger,
                "outputs": json.dumps(self.outputs), "fired_at": self.fired_at,
                "client_tracking_id": self.client_tracking_id,
                "inputs": json.dumps(self.inputs) if self.inputs is not None else None}

    @classmethod
    def of(cls, row: Any) -> Fire:
        return cls(row.run_id, row.workflow, row.trigger, json.loads(row.outputs),
                   row.fired_at, row.client_tracking_id,
                   json.loads(row.inputs) if row.inputs is not None else None)

    def trigger_record(self) -> TriggerRecord:
        """What the run starts with."""
        stamp = iso(moment(self.fired_at))
        return TriggerRecord(name=self.trigger, outputs=self.outputs, inputs=self.inputs,
                             start_time=stamp, end_time=stamp,
                             client_tracking_id=self.client_tracking_id)

    def waiting_record(self) -> dict[str, Any]:
        """The run record of this fire while it waits for its start: status ``Waiting``,
        its trigger's outputs, no actions yet."""
        fired = iso(moment(self.fired_at))
        return {"id": self.run_id, "workflow": self.workflow, "status": "Waiting",
                "startTime": fired, "endTime": None,
                "clientTrackingId": self.client_tracking_id or self.run_id,
                "error": None, "outputs": None,
                "trigger": {"name": self.trigger, "status": "Succeeded", "code": "OK",
                            "startTime": fired, "endTime": fired, "inputs": self.inputs,
                            "outputs": self.outputs},
                "actions": {}}


class TriggerStates:
    """The two tables (sync: call through ``services.db.run``)."""

    def __init__(self, services: Services) -> None:
        self.db = services.db

    def rows(self) -> dict[tuple[str, str], TriggerRow]:
        with self.db.engine.connect() as conn:
            found = conn.execute(sa.select(trigger_states)).all()
        return {(row.workflow, row.trigger): _row(row) for row in found}

    def row(self, workflow: str, trigger: str) -> TriggerRow | None:
        with self.db.engine.connect() as conn:
            found = conn.execute(sa.select(trigger_states).where(
                trigger_states.c.workflow == workflow,
                trigger_states.c.trigger == trigger)).first()
        return _row(found) if found is not None else None

    def reset(self, row: TriggerRow) -> None:
        """Start a trigger afresh (new, or its definition changed), unless another
        process already did so for this definition."""
        try:
            with self.db.write() as conn:
                digest = conn.execute(sa.select(trigger_states.c.digest).where(
                    trigger_states.c.workflow == row.workflow,
                    trigger_states.c.trigger == row.trigger).with_for_update()).scalar()
                if digest == row.digest:
                    return
                conn.execute(trigger_states.delete().where(
                    trigger_states.c.workflow == row.workflow,
                    trigger_states.c.trigger == row.trigger))
                conn.execute(trigger_states.insert().values(
                    workflow=row.workflow, trigger=row.trigger, digest=row.digest,
                    next_due=row.next_due, state=json.dumps(row.state),
                    updated_at=time.time()))
        except sa.exc.IntegrityError:
            return  # another process inserted it in the meantime: its row stands

    def forget(self, keys: Sequence[tuple[str, str]]) -> None:
        """Drop triggers whose workflow or trigger is gone."""
        if not keys:
            return
        with self.db.write() as conn:
            for workflow, trigger in keys:
                conn.execute(trigger_states.delete().where(
                    trigger_states.c.workflow == workflow, trigger_states.c.trigger == trigger))

    def due(self, now: float, limit: int) -> list[TriggerRow]:
        """Triggers of enabled workflows due by ``now``, most overdue first."""
        query = (sa.select(trigger_states)
                 .join(workflows, workflows.c.name == trigger_states.c.workflow)
                 .where(workflows.c.enabled.is_(True), trigger_states.c.next_due.is_not(None),
                        trigger_states.c.next_due <= now)
                 .order_by(trigger_states.c.next_due).limit(limit))
        with self.db.engine.connect() as conn:
            return [_row(row) for row in conn.execute(query).all()]

    def advance(self, row: TriggerRow, next_due: float | None, state: Mapping[str, Any],
                fires: Sequence[Fire]) -> bool:
        """Move a due trigger on and record its fires, in one transaction.

        Returns:
            False when another process moved it first (nothing was written).
        """
        expected = [trigger_states.c.next_due.is_(None) if row.next_due is None
                    else trigger_states.c.next_due == row.next_due]
        if row.stamp is not None:
            expected.append(trigger_states.c.updated_at == row.stamp)
        with self.db.write() as conn:
            moved = conn.execute(trigger_states.update().where(
                trigger_states.c.workflow == row.workflow,
                trigger_states.c.trigger == row.trigger,
                trigger_states.c.digest == row.digest, *expected,
            ).values(next_due=next_due, state=json.dumps(dict(state)),
                     updated_at=time.time()))
            if moved.rowcount != 1:
                return False  # nothing was written: the commit is empty
            taken: set[str] = set(conn.execute(sa.select(trigger_fires.c.run_id).where(
                trigger_fires.c.run_id.in_([fire.run_id for fire in fires]))).scalars())
            for fire in fires:
                if fire.run_id not in taken:
                    conn.execute(trigger_fires.insert().values(**fire.row()))
        return True

    def pending(self, limit: int, waiting: frozenset[str] = frozenset()) -> list[Fire]:
        """Fires not started yet, oldest first, but those of the ``waiting`` workflows."""
        query = sa.select(trigger_fires).order_by(trigger_fires.c.fired_at).limit(limit)
        if waiting:
            query = query.where(trigger_fires.c.workflow.not_in(sorted(waiting)))
        with self.db.engine.connect() as conn:
            return [Fire.of(row) for row in conn.execute(query).all()]

    def enqueue(self, fire: Fire, admit: Callable[[sa.Connection], None] | None = None
                ) -> None:
        """Record a run to start when its trigger's concurrency lets it (a Request
        trigger's call, queued). ``admit`` runs first in the same transaction, with the
        workflow's row locked (it raises to refuse), so calls racing for the last place
        in the queue take it once."""
        with self.db.write() as conn:
            if admit is not None:
                conn.execute(sa.select(workflows.c.name).where(
                    workflows.c.name == fire.workflow).with_for_update())
                admit(conn)
            conn.execute(trigger_fires.insert().values(**fire.row()))

    def waiting(self, run_id: str) -> Fire | None:
        """A fired run that waits for its start (behind its trigger's concurrency); None
        when there is no such fire."""
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(trigger_fires).where(
                trigger_fires.c.run_id == run_id)).first()
        return Fire.of(row) if row is not None else None

    def waiting_run(self, run_id: str) -> dict[str, Any] | None:
        """``waiting`` in the run record's shape (status ``Waiting``)."""
        fire = self.waiting(run_id)
        return fire.waiting_record() if fire is not None else None

    def waiting_of(self, workflow: str, limit: int,
                   before: tuple[float, str] | None = None) -> list[Fire]:
        """A workflow's waiting runs, newest first (as its run list sorts), those fired
        before ``before`` (fired_at, run id) only when it is given."""
        query = sa.select(trigger_fires).where(trigger_fires.c.workflow == workflow)
        if before is not None:
            at, run_id = before
            query = query.where(sa.or_(trigger_fires.c.fired_at < at, sa.and_(
                trigger_fires.c.fired_at == at, trigger_fires.c.run_id < run_id)))
        query = query.order_by(trigger_fires.c.fired_at.desc(),
                               trigger_fires.c.run_id.desc()).limit(limit)
        with self.db.engine.connect() as conn:
            return [Fire.of(row) for row in conn.execute(query).all()]


    def started(self, run_id: str) -> None:
        with self.db.write() as conn:
            conn.execute(trigger_fires.delete().where(trigger_fires.c.run_id == run_id))


def _row(row: Any) -> TriggerRow:
    return TriggerRow(row.workflow, row.trigger, row.digest, row.next_due,
                      json.loads(row.state), row.updated_at)


def moment(epoch: float) -> datetime:
    """An epoch-seconds column value as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch, UTC)
