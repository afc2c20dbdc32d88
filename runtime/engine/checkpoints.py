"""The lean checkpoint path: group commit of action records over raw DBAPI.

Every run's interpreter queues its records here and, before it moves on, waits for
``flush``. One writer task takes everything queued by every run since the last commit
and writes it in one transaction (group commit): on SQLite one fsync-free WAL commit
carries the checkpoints of every run that reached one in the meantime. Each run's part
of a batch first updates the run's row where its fencing token still matches
(``UPDATE ... WHERE id = ? AND fence = ?``): a run another process has claimed since
writes nothing, and its interpreter is told ``LeaseLost``.

The statements are prepared once per dialect and executed on one DBAPI connection kept
by the writer (``executemany`` for the records), which measured faster than SQLAlchemy
Core's per-statement compile and result handling (docs/workflows.md has the figures).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway import Services
from gateway.expressions import to_json_compatible
from runtime.engine.state import RunState

__all__ = ["CheckpointWriter", "LeaseLost", "NullSink", "RunExists", "dumps"]


class LeaseLost(Exception):
    """Another process owns this run now (its fencing token moved on)."""


class RunExists(Exception):
    """A run inserted with an id that is taken: it was started before (nothing written)."""


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_stored)


def _stored(value: Any) -> Any:
    # Binary content (an Http answer's image, a file connector's file) is kept as Logic
    # Apps' {"$content-type", "$content"} envelope, decimals as numbers; not "b'...'".
    if isinstance(value, (bytes, bytearray, Decimal)):
        return to_json_compatible(value)
    return str(value)


@dataclass
class _Pending:
    state: RunState
    records: dict[str, tuple[str, str, str, int, str, str, str | None]] = field(
        default_factory=dict)
    waiters: list[asyncio.Future[None]] = field(default_factory=list)
    new_row: dict[str, Any] | None = None
    final: dict[str, Any] | None = None


#: A page of new runs in one statement; a taken id inserts nothing and is not returned.
_INSERT_RUNS = (
    "INSERT INTO runtime_runs (id, workflow, version, status, start_time, end_time, "
    "client_tracking_id, trigger, error, outputs, response, variables, created_at, "
    "lease_owner, lease_expires, fence, wake_at, deadline) VALUES {rows} "
    "ON CONFLICT (id) DO NOTHING RETURNING id")
_INSERT_ROW = "(?, ?, ?, ?, ?, NULL, ?, ?, NULL, NULL, NULL, ?, ?, ?, ?, ?, NULL, ?)"
#: New runs per insert statement (13 parameters each, well within SQLite's 32,766).
_INSERT_PAGE = 500
_INSERT_RUN_KEYS = ("id", "workflow", "version", "status", "start_time",
                    "client_tracking_id", "trigger", "variables", "created_at",
                    "lease_owner", "lease_expires", "fence", "deadline")
_PROGRESS = "UPDATE runtime_runs SET variables = ?, response = ? WHERE id = ? AND fence = ?"
_FENCES = "SELECT id, fence FROM runtime_runs WHERE id IN ({marks})"
# A run that ends Waiting keeps an earlier ``wake_at`` already on its row: a webhook's
# callback that came while the run was held in memory (``RunRows.wake``) wakes it at once.
_FINAL = ("UPDATE runtime_runs SET variables = ?, response = ?, status = ?, end_time = ?, "
          "error = ?, outputs = ?, lease_owner = ?, lease_expires = ?, wake_at = CASE "
          "WHEN wake_at IS NOT NULL AND wake_at < ? THEN wake_at ELSE ? END "
          "WHERE id = ? AND fence = ?")
_UPSERT = (
    "INSERT INTO runtime_action_results (run_id, key, action, seq, status, record, state) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET "
    "seq = excluded.seq, status = excluded.status, record = excluded.record, "
    "state = excluded.state")


class NullSink:
    """For Stateless runs without history: nothing is written."""

    durable = False

    def record(self, state: RunState, key: str, record: dict[str, Any],
               handler_state: Mapping[str, Any] | None = None) -> None:
        return None

    async def flush(self, state: RunState) -> None:
        return None


class CheckpointWriter:
    """Queues records of many runs and commits them together."""

    durable = True

    def __init__(self, services: Services, sealer: Any = None) -> None:
        self.db = services.db
        self.postgres = self.db.dialect == "postgresql"
        self._pending: dict[str, _Pending] = {}
        self._task: asyncio.Task[None] | None = None
        self._conn: Any = None
        #: ``redaction.Sealer``: what records and variables may show when stored.
        self._sealer = sealer
        self.batches = 0
        self.statements = {name: self._sql(text) for name, text in (
            ("progress", _PROGRESS), ("final", _FINAL),
            ("upsert", _UPSERT))}

    def _sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.postgres else text

    def _entry(self, state: RunState) -> _Pending:
        entry = self._pending.get(state.run_id)
        if entry is None:
            entry = self._pending[state.run_id] = _Pending(state)
        return entry

    # -- what the engine queues ---------------------------------------------------------

    def insert_run(self, state: RunState, row: dict[str, Any]) -> None:
        self._entry(state).new_row = row

    def finish_run(self, state: RunState, final: dict[str, Any]) -> None:
        self._entry(state).final = final

    def record(self, state: RunState, key: str, record: dict[str, Any],
               handler_state: Mapping[str, Any] | None = None) -> None:
        shown = self._sealer.stored(state, key, record) if self._sealer is not None \
            else record
        self._entry(state).records[key] = (
            state.run_id, key, record["name"], state.next_seq(), str(record["status"]),
            dumps(shown), dumps(handler_state) if handler_state is not None else None)

    async def flush(self, state: RunState) -> None:
        entry = self._pending.get(state.run_id)
        if entry is None:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry.waiters.append(waiter)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        await waiter

    # -- the writer ---------------------------------------------------------------------

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, {}
            work = self._prepare(batch)
            try:
                lost, existing = await self._commit(work)
            except BaseException as exc:
                for entry in batch.values():
                    for waiter in entry.waiters:
                        if not waiter.done():
                            waiter.set_exception(exc if isinstance(exc, Exception)
                                                 else RuntimeError("checkpoint cancelled"))
                if not isinstance(exc, Exception):
                    raise
                continue
            self.batches += 1
            for run_id, entry in batch.items():
                for waiter in entry.waiters:
                    if waiter.done():
                        continue
                    if run_id in existing:
                        waiter.set_exception(RunExists(run_id))
                    elif run_id in lost:
                        waiter.set_exception(LeaseLost(run_id))
                    else:
                        waiter.set_result(None)

    async def _commit(self, work: dict[str, Any]) -> tuple[set[str], set[str]]:
        if self.postgres:
            return await self.db.run(self._write, work)
        # SQLite commits in well under a millisecond in WAL mode: done on the loop, a
        # batch does not queue behind the loop's own work for the GIL (measured: twice
        # the runs/s of handing it to a worker thread).
        return self._write(work)

    def _prepare(self, batch: dict[str, _Pending]) -> dict[str, Any]:
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[str, str | None, tuple[Any, ...], int]] = []
        records: dict[str, list[tuple[Any, ...]]] = {}
        for run_id, entry in batch.items():
            state = entry.state
            changed = state.changed or entry.final is not None or entry.new_row is not None
            state.changed = False
            variables = dumps(state.variables) if changed else ""
            if variables and self._sealer is not None:
                variables = self._sealer.stored_variables(state, variables)
            response = dumps(_response(state)) if changed and state.response is not None \
                else None
            if entry.new_row is not None:
                row = dict(entry.new_row, variables=variables)
                inserts.append(tuple(row[k] for k in _INSERT_RUN_KEYS))
            if entry.final is not None:
                f = entry.final
                updates.append((run_id, "final", (
                    variables, response, f["status"], f["end_time"], f["error"],
                    f["outputs"], f.get("lease_owner"), f.get("lease_expires"),
                    f.get("wake_at"), f.get("wake_at"), run_id, state.fence), state.fence))
            elif entry.new_row is None:
                # Only the fencing token is checked when the variables did not change.
                updates.append((run_id, "progress" if changed else None, (
                    variables, response, run_id, state.fence), state.fence))
            records[run_id] = list(entry.records.values())
        return {"inserts": inserts, "updates": updates, "records": records}

    def _connection(self) -> Any:
        if self._conn is None:
            self._conn = self.db.engine.raw_connection()
        return self._conn

    def _write(self, work: dict[str, Any]) -> tuple[set[str], set[str]]:
        """Commit a batch; answers the runs fenced out and the new runs whose id exists."""
        conn = self._connection()
        cursor = conn.cursor()
        lost: set[str] = set()
        existing: set[str] = set()
        try:
            if not self.postgres:
                cursor.execute("BEGIN IMMEDIATE")
            inserts = work["inserts"]
            for start in range(0, len(inserts), _INSERT_PAGE):
                # A taken id (a run started again by id, here or by another process at
                # the same moment) inserts nothing: it fails only its own run's start,
                # never the batch.
                page = inserts[start:start + _INSERT_PAGE]
                cursor.execute(self._sql(_INSERT_RUNS.format(rows=", ".join(
                    [_INSERT_ROW] * len(page)))), [value for row in page for value in row])
                inserted = {str(row[0]) for row in cursor.fetchall()}
                existing.update(str(row[0]) for row in page if row[0] not in inserted)
            rows: list[tuple[Any, ...]] = []
            updates = work["updates"]
            if updates:
                # One read of the fencing tokens under the write lock (SQLite) or row
                # locks (PostgreSQL), then one executemany per statement shape.
                ids = [run_id for run_id, _, _, _ in updates]
                marks = ", ".join(["%s" if self.postgres else "?"] * len(ids))
                query = _FENCES.format(marks=marks) + (" FOR UPDATE" if self.postgres else "")
                cursor.execute(query, ids)
                current = dict(cursor.fetchall())
                by_kind: dict[str, list[tuple[Any, ...]]] = {"progress": [], "final": []}
                for run_id, kind, params, fence in updates:
                    if current.get(run_id) != fence:
                        lost.add(run_id)
                    elif kind is not None:
                        by_kind[kind].append(params)
                for kind, found in by_kind.items():
                    if found:
                        cursor.executemany(self.statements[kind], found)
            for run_id, found in work["records"].items():
                if run_id not in lost and run_id not in existing:
                    rows.extend(found)
            if rows:
                cursor.executemany(self.statements["upsert"], rows)
            conn.commit()
        except BaseException:
            try:
                conn.rollback()
            except Exception:
                self.close()
            raise
        finally:
            cursor.close()
        return lost, existing

    async def aclose(self) -> None:
        """Close once the batch being written is committed: on PostgreSQL it is written
        in a worker thread, and its connection must not go back to the pool under it."""
        if self._task is not None and not self._task.done():
            with contextlib.suppress(BaseException):
                await self._task
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def _response(state: RunState) -> dict[str, Any]:
    import base64

    found = state.response
    assert found is not None
    return {"status": found.status, "headers": [list(pair) for pair in found.headers],
            "body": base64.b64encode(found.body).decode("ascii")}
