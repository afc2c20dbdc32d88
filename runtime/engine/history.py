"""Run records in PRODUCT.md's shape, read from the checkpoint tables.

Records are stored as the history shows them (secrets already redacted); this module
only groups them: an action inside a ``Foreach`` or ``Until`` appears once, with its
``repetitions`` in iteration order, its own fields those of its last repetition.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from gateway import BadRequest, NotFound, Services
from runtime.engine.interface import OtherRuns
from runtime.store.tables import action_results, runs

__all__ = ["StoredHistory", "action_entries"]

_ENTRY = ("type", "status", "code", "startTime", "endTime", "inputs", "outputs", "error",
          "trackedProperties", "retryHistory")
_REPETITION = ("repetitionIndexes", "status", "code", "startTime", "endTime", "inputs",
               "outputs", "error", "trackedProperties")


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def action_entries(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Group records (in checkpoint order) into the run record's ``actions``."""
    entries: dict[str, dict[str, Any]] = {}
    repeated: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        name = record["name"]
        if record.get("repetitionIndexes"):
            repeated.setdefault(name, []).append(record)
            entries.setdefault(name, {})
            continue
        entries[name] = {key: record.get(key) for key in _ENTRY}
        entries[name]["repetitions"] = []
    for name, found in repeated.items():
        found.sort(key=lambda r: [i.get("itemIndex", 0) for i in r["repetitionIndexes"]])
        last = found[-1]
        entry = {key: last.get(key) for key in _ENTRY}
        entry["startTime"] = min(r.get("startTime") or "" for r in found) or None
        statuses = {r.get("status") for r in found}
        for worst in ("Running", "Waiting", "Failed", "TimedOut", "Cancelled"):
            if worst in statuses:
                entry["status"] = worst
                break
        entry["repetitions"] = [{key: r.get(key) for key in _REPETITION} for r in found]
        entries[name] = entry
    return entries


def _summary(row: Any) -> dict[str, Any]:
    trigger = _loads(row.trigger) or {}
    return {
        "id": row.id, "workflow": row.workflow, "status": row.status,
        "startTime": row.start_time, "endTime": row.end_time,
        "clientTrackingId": row.client_tracking_id, "error": _loads(row.error),
        "outputs": _loads(row.outputs) or {},
        "trigger": trigger.get("history", {}),
    }


class StoredHistory:
    """``RunHistory`` over the database."""

    def __init__(self, services: Services) -> None:
        self.db = services.db

    def get(self, run_id: str) -> dict[str, Any]:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).first()
            if row is None:
                raise NotFound(f"no run {run_id!r}")
            found = conn.execute(sa.select(action_results.c.record).where(
                action_results.c.run_id == run_id).order_by(action_results.c.seq)).all()
        record = _summary(row)
        record["actions"] = action_entries(json.loads(r.record) for r in found)
        return record

    def list(self, workflow: str, *, status: str | None = None, top: int = 50,
             skiptoken: str | None = None, others: OtherRuns | None = None,
             ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of the workflow's runs, newest first, and the next page's token.

        ``others``' records (``interface.OtherRuns``) are merged in the same order."""
        top = min(max(top, 1), 250)
        query = sa.select(runs).where(runs.c.workflow == workflow)
        if status:
            query = query.where(sa.func.lower(runs.c.status) == status.lower())
        cursor: tuple[float, str] | None = None
        if skiptoken:
            try:
                created, run_id = skiptoken.split("|", 1)
                cursor = (float(created), run_id)
            except ValueError as exc:
                raise BadRequest("the skiptoken is not one this server gave") from exc
            query = query.where(sa.or_(runs.c.created_at < cursor[0], sa.and_(
                runs.c.created_at == cursor[0], runs.c.id < cursor[1])))
        query = query.order_by(runs.c.created_at.desc(), runs.c.id.desc()).limit(top + 1)
        with self.db.engine.connect() as conn:
            keyed = [(row.created_at, row.id, _summary(row))
                     for row in conn.execute(query).all()]
        if others is not None:
            keyed = sorted([*keyed, *others(cursor, top + 1)],
                           key=lambda item: (item[0], item[1]), reverse=True)[:top + 1]
        page = [record for _, _, record in keyed[:top]]
        more = f"{keyed[top - 1][0]!r}|{keyed[top - 1][1]}" if len(keyed) > top else None
        return page, more
