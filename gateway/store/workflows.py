"""Workflows, as far as the linked access check needs them: a definition, its connection
references, and the workflow's own principal.

The workflow runs as the principal ``<name>@workflows`` (kind ``workflow``), created with
the workflow and removed with it, access policies naming it included.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gateway.errors import Conflict, NotFound
from gateway.store.database import Database
from gateway.store.tables import access_policies, principals, role_assignments, tokens, workflows

PRINCIPAL_SUFFIX = "@workflows"


def principal_of(workflow: str) -> str:
    """The name of a workflow's own principal."""
    return workflow + PRINCIPAL_SUFFIX


@dataclass
class WorkflowRecord:
    name: str
    principal: str
    definition: dict[str, Any]
    connection_references: dict[str, str]  # reference name -> connection name
    enabled: bool
    created_at: float
    updated_at: float

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name, "principal": self.principal, "definition": self.definition,
            "connectionReferences": {k: {"connection": v}
                                     for k, v in sorted(self.connection_references.items())},
            "enabled": self.enabled, "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


class WorkflowStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, name: str, definition: dict[str, Any], references: dict[str, str]
            ) -> tuple[WorkflowRecord, bool]:
        """Create or replace a workflow and make sure its principal exists."""
        now = time.time()
        principal = principal_of(name)
        with self.db.engine.begin() as conn:
            kind = conn.execute(sa.select(principals.c.kind)
                                .where(principals.c.name == principal)).scalar()
            if kind is not None and kind != "workflow":
                raise Conflict(f"the principal {principal!r} exists and is not a workflow's")
            if kind is None:
                conn.execute(principals.insert().values(name=principal, kind="workflow",
                                                        created_at=now))
            existing = conn.execute(sa.select(workflows.c.created_at)
                                    .where(workflows.c.name == name)).first()
            values = dict(principal=principal, definition=json.dumps(definition),
                          connection_references=json.dumps(references), updated_at=now)
            if existing is None:
                conn.execute(workflows.insert().values(name=name, enabled=True, created_at=now,
                                                       **values))
            else:
                conn.execute(workflows.update().where(workflows.c.name == name).values(**values))
        return self.get(name), existing is None

    def get(self, name: str) -> WorkflowRecord:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(workflows).where(workflows.c.name == name)).first()
        if row is None:
            raise NotFound(f"no workflow {name!r}")
        return _record(row)

    def delete(self, name: str) -> None:
        principal = principal_of(name)
        with self.db.engine.begin() as conn:
            result = conn.execute(workflows.delete().where(workflows.c.name == name))
            if result.rowcount == 0:
                raise NotFound(f"no workflow {name!r}")
            conn.execute(access_policies.delete().where(access_policies.c.principal == principal))
            conn.execute(tokens.delete().where(tokens.c.principal == principal))
            conn.execute(role_assignments.delete()
                         .where(role_assignments.c.principal == principal))
            conn.execute(principals.delete().where(principals.c.name == principal,
                                                   principals.c.kind == "workflow"))

    def references(self, principal: str, connection: str) -> bool:
        """Whether the workflow running as ``principal`` references ``connection`` (the
        data plane's ``workflow_references`` hook)."""
        return connection in self.connections_of(principal)

    def connections_of(self, principal: str) -> set[str]:
        """The connections referenced by the workflow whose principal this is."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(workflows.c.connection_references)
                                .where(workflows.c.principal == principal)).all()
        names: set[str] = set()
        for row in rows:
            names.update(json.loads(row.connection_references).values())
        return names


def _record(row: Any) -> WorkflowRecord:
    return WorkflowRecord(
        name=row.name, principal=row.principal, definition=json.loads(row.definition),
        connection_references=json.loads(row.connection_references), enabled=row.enabled,
        created_at=row.created_at, updated_at=row.updated_at)
