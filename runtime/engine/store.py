"""The runs' rows: claiming them under leases, renewing, loading one to resume it.

A run is *claimable* when it is ``Running`` with no live lease (its process died, or it
was accepted by a process that does not run runs), or ``Waiting`` with its timer due.
Claiming bumps the run's fencing token; every later write of the claimant carries it
(``checkpoints.py``), so the previous owner, if it still lives, can no longer write.
On PostgreSQL several processes claim at once without blocking each other
(``FOR UPDATE SKIP LOCKED``); on SQLite the process that holds the runtime lease claims.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from gateway import Services
from runtime.store.tables import action_results, engine_leases, runs

__all__ = ["Claimed", "RunRows", "RuntimeLease"]


@dataclass(frozen=True)
class Claimed:
    run_id: str
    fence: int


class RunRows:
    """Queries over ``runtime_runs`` and ``runtime_action_results``."""

    def __init__(self, services: Services) -> None:
        self.db = services.db
        self.postgres = self.db.dialect == "postgresql"

    def claim(self, owner: str, now: float, lease_seconds: float, limit: int
              ) -> list[Claimed]:
        claimable = sa.or_(
            sa.and_(runs.c.status == "Running",
                    sa.or_(runs.c.lease_owner.is_(None), runs.c.lease_expires < now)),
            sa.and_(runs.c.status == "Waiting", runs.c.wake_at <= now,
                    sa.or_(runs.c.lease_owner.is_(None), runs.c.lease_expires < now)),
        )
        query = sa.select(runs.c.id, runs.c.fence).where(claimable).order_by(
            runs.c.created_at).limit(limit)
        if self.postgres:
            query = query.with_for_update(skip_locked=True)
        claimed: list[Claimed] = []
        with self.db.write() as conn:
            for row in conn.execute(query).all():
                run_id, fence = str(row.id), int(row.fence)
                conn.execute(runs.update().where(runs.c.id == run_id).values(
                    lease_owner=owner, lease_expires=now + lease_seconds, fence=fence + 1,
                    status="Running", wake_at=None))
                claimed.append(Claimed(run_id, fence + 1))
        return claimed

    def renew(self, owner: str, fences: dict[str, int], until: float) -> set[str]:
        """Extend our leases; answers the runs that are no longer ours."""
        if not fences:
            return set()
        with self.db.engine.begin() as conn:
            conn.execute(runs.update().where(
                runs.c.lease_owner == owner, runs.c.id.in_(list(fences)),
            ).values(lease_expires=until))
            mine = {row.id for row in conn.execute(sa.select(runs.c.id, runs.c.fence).where(
                runs.c.id.in_(list(fences)), runs.c.lease_owner == owner)).all()
                if row.fence == fences[row.id]}
        return set(fences) - mine

    def release(self, owner: str) -> None:
        """Let go of every run we hold at shutdown, so another process resumes them at
        once: those running here and those claimed but not yet taken up."""
        with self.db.engine.begin() as conn:
            conn.execute(runs.update().where(
                runs.c.lease_owner == owner, runs.c.status == "Running").values(
                lease_owner=None, lease_expires=0.0))

    def load(self, run_id: str) -> tuple[Any, list[Any]] | None:
        return self.load_many([run_id]).get(run_id)

    def load_many(self, run_ids: list[str]) -> dict[str, tuple[Any, list[Any]]]:
        """Rows and records of several runs, in two queries (a claimed page at once)."""
        if not run_ids:
            return {}
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(runs).where(runs.c.id.in_(run_ids))).all()
            found: dict[str, tuple[Any, list[Any]]] = {row.id: (row, []) for row in rows}
            for record in conn.execute(sa.select(action_results).where(
                    action_results.c.run_id.in_(run_ids)).order_by(
                    action_results.c.run_id, action_results.c.seq)).all():
                found[record.run_id][1].append(record)
        return found

    def fail(self, run_id: str, fence: int, end_time: str, error: str) -> None:
        """End a run we hold as ``Failed`` (when it cannot be resumed at all)."""
        with self.db.engine.begin() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id, runs.c.fence == fence)
                         .values(status="Failed", end_time=end_time, error=error,
                                 lease_owner=None, lease_expires=None, wake_at=None))

    def response_of(self, run_id: str) -> tuple[str, str | None] | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(runs.c.status, runs.c.response).where(
                runs.c.id == run_id)).first()
        return (row.status, row.response) if row is not None else None

    def responses_of(self, run_ids: list[str]) -> dict[str, tuple[str, str | None]]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(runs.c.id, runs.c.status, runs.c.response).where(
                runs.c.id.in_(run_ids))).all()
        return {row.id: (row.status, row.response) for row in rows}

    def insert_ended(self, row: dict[str, Any]) -> bool:
        """Store a run that ended before it started (cancelled while it waited); False,
        writing nothing, when a run with its id exists (it started meanwhile)."""
        insert = (postgresql.insert if self.postgres else sqlite.insert)(runs)
        with self.db.write() as conn:
            # ON CONFLICT: a process starting the run at this moment keeps its own row.
            taken = conn.execute(insert.values(**row).on_conflict_do_nothing(
                index_elements=[runs.c.id]).returning(runs.c.id)).first()
        return taken is not None

    def cancel(self, run_id: str, end_time: str) -> bool:
        """Mark a run and its unfinished actions ``Cancelled``; False if it had ended."""
        with self.db.write() as conn:
            row = conn.execute(sa.select(runs.c.status).where(runs.c.id == run_id)).first()
            if row is None or row.status not in ("Running", "Waiting"):
                return False
            _end(conn, run_id, "Cancelled", end_time, json.dumps({
                "code": "Cancelled", "message": "The run was cancelled."}))
        return True

    def time_out(self, now: float, limit: float, end_time: str,
                 error: Callable[[float], str], most: int = 500) -> list[str]:
        """End the runs not ended whose deadline passed as ``Failed`` (their unfinished
        actions ``Cancelled``), with ``error(their limit)``; a run stored without a
        deadline has ``limit`` (seconds from its start). Answers their ids."""
        past = sa.or_(runs.c.deadline < now,
                      sa.and_(runs.c.deadline.is_(None), runs.c.created_at < now - limit))
        with self.db.engine.connect() as conn:
            found = conn.execute(sa.select(runs.c.id, runs.c.created_at, runs.c.deadline)
                                 .where(runs.c.status.in_(("Running", "Waiting")), past)
                                 .limit(most)).all()
        ended: list[str] = []
        if found:
            with self.db.write() as conn:
                for row in found:
                    own = limit if row.deadline is None else row.deadline - row.created_at
                    if _end(conn, str(row.id), "Failed", end_time, error(round(own, 3))):
                        ended.append(str(row.id))
        return ended

    def wake(self, run_id: str, key: str, now: float) -> bool:
        """Wake a waiting action now (a webhook's callback came): its timer and the run's
        move to ``now``, so a worker resumes it at once. A run still held in memory (busy
        in another branch) keeps ``now`` on its row: when it ends ``Waiting`` its final
        write keeps the earlier time, so it is resumed as soon as it leaves memory.
        False when the action is not waiting."""
        with self.db.write() as conn:
            found = conn.execute(sa.select(action_results.c.record).where(
                action_results.c.run_id == run_id, action_results.c.key == key,
                action_results.c.status == "Waiting")).scalar()
            if found is None:
                return False
            record = json.loads(found)
            record["_wakeAt"] = now
            conn.execute(action_results.update().where(
                action_results.c.run_id == run_id, action_results.c.key == key).values(
                record=json.dumps(record)))
            conn.execute(runs.update().where(
                runs.c.id == run_id, runs.c.status.in_(("Waiting", "Running"))).values(
                wake_at=now))
        return True

    def purge(self, before: float, limit: int = 500) -> int:
        """Delete ended runs created before ``before`` (retention)."""
        with self.db.engine.begin() as conn:
            ids = [r.id for r in conn.execute(sa.select(runs.c.id).where(
                runs.c.created_at < before,
                runs.c.status.notin_(("Running", "Waiting"))).limit(limit)).all()]
            if ids:
                conn.execute(action_results.delete().where(action_results.c.run_id.in_(ids)))
                conn.execute(runs.delete().where(runs.c.id.in_(ids)))
        return len(ids)


def _end(conn: sa.Connection, run_id: str, status: str, end_time: str, error: str) -> bool:
    """End a run not ended yet (moving its fence) and mark its unfinished actions
    ``Cancelled``; False when it had ended meanwhile."""
    done = conn.execute(runs.update().where(
        runs.c.id == run_id, runs.c.status.in_(("Running", "Waiting"))).values(
        status=status, end_time=end_time, fence=runs.c.fence + 1, lease_owner=None,
        wake_at=None, error=error))
    if not done.rowcount:
        return False
    for found in conn.execute(sa.select(action_results).where(
            action_results.c.run_id == run_id,
            action_results.c.status.in_(("Running", "Waiting")))).all():
        record = json.loads(found.record)
        record.update(status="Cancelled", code="Cancelled", endTime=end_time)
        conn.execute(action_results.update().where(
            action_results.c.run_id == run_id, action_results.c.key == found.key,
        ).values(status="Cancelled", record=json.dumps(record), state=None))
    return True


class RuntimeLease:
    """The one lease of the runtime on SQLite: its holder runs the runs."""

    NAME = "runtime"

    def __init__(self, services: Services, holder: str, ttl: float) -> None:
        self.db = services.db
        self.holder = holder
        self.ttl = ttl

    def hold(self, now: float) -> bool:
        """Take or renew the lease; whether we hold it now."""
        with self.db.write() as conn:
            row = conn.execute(sa.select(engine_leases).where(
                engine_leases.c.name == self.NAME)).first()
            if row is None:
                conn.execute(engine_leases.insert().values(
                    name=self.NAME, holder=self.holder, expires_at=now + self.ttl))
                return True
            if row.holder == self.holder or row.expires_at < now:
                conn.execute(engine_leases.update().where(
                    engine_leases.c.name == self.NAME).values(
                    holder=self.holder, expires_at=now + self.ttl))
                return True
        return False

    def release(self) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(engine_leases.delete().where(
                engine_leases.c.name == self.NAME, engine_leases.c.holder == self.holder))
