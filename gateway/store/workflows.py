"""Workflow identities: what the linked access check needs to know of a workflow.

The runtime owns workflows (definitions, versions, runs); the gateway keeps only each
workflow's own principal and the connections its definition references. The workflow
runs as the principal ``<name>@workflows`` (kind ``workflow``), created with the workflow
and removed with it, access policies naming it included. The runtime reaches this through
``gateway.WorkflowIdentities``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

import sqlalchemy as sa

from gateway.errors import Conflict, NotFound
from gateway.store.database import Database
from gateway.store.principals import validate_name
from gateway.store.tables import access_policies, principals, role_assignments, tokens, workflows

PRINCIPAL_SUFFIX = "@workflows"


def principal_of(workflow: str) -> str:
    """The name of a workflow's own principal."""
    return workflow + PRINCIPAL_SUFFIX


class WorkflowIdentities:
    """Workflows' principals and connection references, in the gateway's store."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, name: str, references: Mapping[str, str],
            conn: sa.Connection | None = None) -> tuple[str, bool]:
        """Record a workflow's connection references (reference -> connection name) and
        make sure its principal exists.

        Args:
            name: The workflow's name.
            references: Its connection references.
            conn: The caller's transaction, so the runtime can store the workflow and its
                identity at once; a new transaction when None.

        Returns:
            The principal's name, and whether the workflow is new.

        Raises:
            Conflict: A principal of that name exists and is not a workflow's.
            BadRequest: A name is not a valid workflow or connection name.
        """
        validate_name(name, "workflow")
        for connection in references.values():
            validate_name(connection, "connection")
        if conn is None:
            with self.db.write() as own:
                return self.put(name, references, own)
        now = time.time()
        principal = principal_of(name)
        kind = conn.execute(sa.select(principals.c.kind)
                            .where(principals.c.name == principal)).scalar()
        if kind is not None and kind != "workflow":
            raise Conflict(f"the principal {principal!r} exists and is not a workflow's")
        if kind is None:
            conn.execute(principals.insert().values(name=principal, kind="workflow",
                                                    created_at=now))
        existing = conn.execute(sa.select(workflows.c.created_at)
                                .where(workflows.c.name == name)).first()
        values = dict(principal=principal, connection_references=json.dumps(dict(references)),
                      updated_at=now)
        if existing is None:
            conn.execute(workflows.insert().values(name=name, created_at=now, **values))
        else:
            conn.execute(workflows.update().where(workflows.c.name == name).values(**values))
        return principal, existing is None

    def delete(self, name: str, conn: sa.Connection | None = None) -> None:
        """Remove a workflow's identity: its principal, tokens, roles and access policies.

        Raises:
            NotFound: No such workflow.
        """
        if conn is None:
            with self.db.write() as own:
                self.delete(name, own)
                return
        principal = principal_of(name)
        result = conn.execute(workflows.delete().where(workflows.c.name == name))
        if result.rowcount == 0:
            raise NotFound(f"no workflow {name!r}")
        conn.execute(access_policies.delete().where(access_policies.c.principal == principal))
        conn.execute(tokens.delete().where(tokens.c.principal == principal))
        conn.execute(role_assignments.delete().where(role_assignments.c.principal == principal))
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
