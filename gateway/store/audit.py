"""The audit log: who did what to which resource, and whether it was allowed.

Details are plain facts (names, reasons); callers never pass a secret, and values are
passed through the log redactor's rules once more before they are written.
"""

from __future__ import annotations

import json
import time
from typing import Any

import sqlalchemy as sa

from gateway.logging import redact
from gateway.store.database import Database
from gateway.store.tables import audit_log


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, *, actor: str, action: str, resource: str, outcome: str,
               details: dict[str, Any] | None = None, request_id: str = "") -> None:
        clean = dict(redact(None, "audit", dict(details or {})))
        with self.db.engine.begin() as conn:
            conn.execute(audit_log.insert().values(
                at=time.time(), actor=actor, action=action, resource=resource,
                outcome=outcome, details=json.dumps(clean, default=str), request_id=request_id))

    def query(self, *, actor: str | None = None, action: str | None = None,
              resource: str | None = None, outcome: str | None = None,
              limit: int = 100) -> list[dict[str, Any]]:
        query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(min(limit, 1000))
        for column, value in (("actor", actor), ("action", action),
                              ("resource", resource), ("outcome", outcome)):
            if value:
                query = query.where(audit_log.c[column] == value)
        with self.db.engine.connect() as conn:
            return [
                {"id": r.id, "at": r.at, "actor": r.actor, "action": r.action,
                 "resource": r.resource, "outcome": r.outcome,
                 "details": json.loads(r.details), "requestId": r.request_id}
                for r in conn.execute(query)
            ]
