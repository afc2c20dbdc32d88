"""Connections: their public fields, their sealed secrets and their access policies.

Public fields and secrets are written by separate statements, so changing tags or the
display name never reads, re-seals or touches a credential.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from gateway.errors import NotFound
from gateway.store.database import Database
from gateway.store.secrets import Vault
from gateway.store.tables import access_policies, connections
from gateway.store.tables import secrets as secrets_table

OWNER_KIND = "connection"


@dataclass
class ConnectionRecord:
    name: str
    connector_id: str
    display_name: str
    tags: dict[str, str]
    parameters: dict[str, Any]  # public values only
    status: str
    status_reason: str
    revision: int
    created_by: str
    created_at: float
    updated_at: float
    secret_names: list[str] = field(default_factory=list)
    access_policies: list[str] = field(default_factory=list)
    #: The upstream origins the secrets were entered for (None: stored before bindings).
    secrets_origins: list[str] | None = None

    def public(self) -> dict[str, Any]:
        """The resource as the API shows it: secret names only, never values."""
        return {
            "name": self.name,
            "connector": self.connector_id,
            "displayName": self.display_name,
            "tags": self.tags,
            "parameters": self.parameters,
            "secretParameters": sorted(self.secret_names),
            "status": self.status,
            "statusReason": self.status_reason,
            "accessPolicies": sorted(self.access_policies),
            "secretsBoundTo": self.secrets_origins,
            "revision": self.revision,
            "createdBy": self.created_by,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }


class ConnectionStore:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    def put(self, *, name: str, connector_id: str, display_name: str, tags: dict[str, str],
            parameters: dict[str, Any], secrets: dict[str, str], status: str,
            status_reason: str, created_by: str, keep_secrets: tuple[str, ...] = (),
            secrets_origins: list[str] | None = None) -> tuple[ConnectionRecord, bool]:
        """Create or replace a connection; returns it and whether it was created.

        Args:
            keep_secrets: Names of stored secrets a replacement keeps (e.g. the OAuth
                tokens when the connector and the way of signing in are unchanged).
        """
        now = time.time()
        with self.db.write() as conn:
            existing = conn.execute(sa.select(connections.c.revision, connections.c.created_at,
                                              connections.c.created_by)
                                    .where(connections.c.name == name)
                                    .with_for_update()).first()
            values = dict(connector_id=connector_id, display_name=display_name,
                          tags=json.dumps(tags), parameters=json.dumps(parameters),
                          status=status, status_reason=status_reason, updated_at=now,
                          secrets_origins=_origins_json(secrets_origins))
            if existing is None:
                conn.execute(connections.insert().values(
                    name=name, revision=1, created_by=created_by, created_at=now, **values))
            else:
                conn.execute(connections.update().where(connections.c.name == name)
                             .values(revision=existing.revision + 1, **values))
                stored: Sequence[str] = conn.execute(sa.select(secrets_table.c.name).where(
                    secrets_table.c.owner_kind == OWNER_KIND,
                    secrets_table.c.owner_id == name)).scalars().all()
                dropped = [n for n in stored if n not in keep_secrets or n in secrets]
                if dropped:
                    self.vault.delete_owner(conn, OWNER_KIND, name, dropped)
            self.vault.put_many(conn, OWNER_KIND, name, secrets)
        return self.get(name), existing is None

    def update_fields(self, name: str, **values: Any) -> ConnectionRecord:
        """Change public fields only (tags, displayName, parameters, status)."""
        encoded = {k: json.dumps(v) if k in ("tags", "parameters") else v
                   for k, v in values.items()}
        if "secrets_origins" in values:
            encoded["secrets_origins"] = _origins_json(values["secrets_origins"])
        with self.db.engine.begin() as conn:
            result = conn.execute(connections.update().where(connections.c.name == name)
                                  .values(revision=connections.c.revision + 1,
                                          updated_at=time.time(), **encoded))
        if result.rowcount == 0:
            raise NotFound(f"no connection {name!r}")
        return self.get(name)

    def update_secrets(self, name: str, secrets: dict[str, str],
                       remove: list[str] | None = None) -> None:
        with self.db.engine.begin() as conn:
            if remove:
                self.vault.delete_owner(conn, OWNER_KIND, name, remove)
            self.vault.put_many(conn, OWNER_KIND, name, secrets)
            conn.execute(connections.update().where(connections.c.name == name)
                         .values(revision=connections.c.revision + 1, updated_at=time.time()))

    def set_status(self, name: str, status: str, reason: str = "") -> None:
        with self.db.engine.begin() as conn:
            conn.execute(connections.update().where(connections.c.name == name)
                         .values(status=status, status_reason=reason, updated_at=time.time()))

    def get(self, name: str) -> ConnectionRecord:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(connections).where(connections.c.name == name)).first()
            if row is None:
                raise NotFound(f"no connection {name!r}")
            policies = [r.principal for r in conn.execute(
                sa.select(access_policies.c.principal)
                .where(access_policies.c.connection == name))]
        return self._record(row, policies, self.vault.names(OWNER_KIND, name))

    def secrets(self, name: str) -> dict[str, str]:
        return self.vault.get_all(OWNER_KIND, name)

    def all(self) -> list[ConnectionRecord]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(connections).order_by(connections.c.name)).all()
            policies: dict[str, list[str]] = {}
            for r in conn.execute(sa.select(access_policies)):
                policies.setdefault(r.connection, []).append(r.principal)
            names: dict[str, list[str]] = {}
            for r in conn.execute(sa.select(secrets_table.c.owner_id, secrets_table.c.name)
                                  .where(secrets_table.c.owner_kind == OWNER_KIND)):
                names.setdefault(r.owner_id, []).append(r.name)
        return [self._record(r, policies.get(r.name, []), names.get(r.name, [])) for r in rows]

    def delete(self, name: str) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(access_policies.delete().where(access_policies.c.connection == name))
            self.vault.delete_owner(conn, OWNER_KIND, name)
            result = conn.execute(connections.delete().where(connections.c.name == name))
        if result.rowcount == 0:
            raise NotFound(f"no connection {name!r}")

    def grant_access(self, name: str, principal: str) -> None:
        with self.db.engine.begin() as conn:
            if conn.execute(sa.select(connections.c.name)
                            .where(connections.c.name == name)).first() is None:
                raise NotFound(f"no connection {name!r}")
            conn.execute(access_policies.delete().where(
                access_policies.c.connection == name, access_policies.c.principal == principal))
            conn.execute(access_policies.insert().values(
                connection=name, principal=principal, created_at=time.time()))

    def revoke_access(self, name: str, principal: str) -> None:
        with self.db.engine.begin() as conn:
            result = conn.execute(access_policies.delete().where(
                access_policies.c.connection == name, access_policies.c.principal == principal))
        if result.rowcount == 0:
            raise NotFound(f"connection {name!r} has no access policy for {principal!r}")

    @staticmethod
    def _record(row: Any, policies: list[str], secret_names: list[str]) -> ConnectionRecord:
        return ConnectionRecord(
            name=row.name, connector_id=row.connector_id, display_name=row.display_name,
            tags=json.loads(row.tags), parameters=json.loads(row.parameters),
            status=row.status, status_reason=row.status_reason, revision=row.revision,
            created_by=row.created_by, created_at=row.created_at, updated_at=row.updated_at,
            secret_names=secret_names, access_policies=policies,
            secrets_origins=(json.loads(row.secrets_origins)
                             if row.secrets_origins is not None else None),
        )


def _origins_json(origins: list[str] | None) -> str | None:
    return None if origins is None else json.dumps(sorted(origins))
