"""Connectors and their versions: every stored import is a new version; one is current.

Deleting a connector removes every version. Connections that use it block the delete
(``ConnectorInUse``, naming them) unless forced; a forced delete keeps those connections,
credentials included, with status ``Error`` and a reason, so uploading the connector
again under the same id and testing them brings them back.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gateway.errors import Conflict, NotFound
from gateway.store.database import Database
from gateway.store.tables import connections, connector_versions, connectors
from importers import Connector, Finding


class ConnectorInUse(Conflict):
    """The connector still has connections; details name them."""

    code = "ConnectorInUse"


@dataclass(frozen=True)
class ConnectorVersion:
    connector: Connector
    version: int
    source: str
    created_at: float
    findings: list[Finding]


class ConnectorStore:
    """The ``connectors`` and ``connector_versions`` tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, connector: Connector, *, source: str,
             findings: list[Finding] | None = None) -> int:
        """Store ``connector`` as its newest version and make it current; returns the version."""
        definition = connector.model_dump_json()
        findings_json = json.dumps([f.model_dump() for f in findings or []])
        try:
            return self._save(connector, definition, findings_json, source)
        except sa.exc.IntegrityError:
            # Two uploads of one connector at once on SQLite (which has no row locks):
            # both took the same next version number. The loser retries with the next.
            return self._save(connector, definition, findings_json, source)

    def _save(self, connector: Connector, definition: str, findings_json: str,
              source: str) -> int:
        now = time.time()
        with self.db.write() as conn:
            row = conn.execute(sa.select(connectors.c.current_version)
                               .where(connectors.c.id == connector.id)
                               .with_for_update()).first()
            values = dict(kind=connector.kind, tier=connector.tier,
                          network=connector.network, display_name=connector.display_name,
                          description=connector.description, updated_at=now)
            if row is None:
                version = 1
                conn.execute(connectors.insert().values(id=connector.id, current_version=1,
                                                        created_at=now, **values))
            else:
                version = int(conn.execute(
                    sa.select(sa.func.max(connector_versions.c.version))
                    .where(connector_versions.c.connector_id == connector.id)
                ).scalar_one() or 0) + 1
                conn.execute(connectors.update().where(connectors.c.id == connector.id)
                             .values(current_version=version, **values))
            conn.execute(connector_versions.insert().values(
                connector_id=connector.id, version=version, definition=definition,
                findings=findings_json, source=source[:1000], created_at=now))
        return version

    def get(self, connector_id: str, version: int | None = None) -> ConnectorVersion:
        with self.db.engine.connect() as conn:
            if version is None:
                current = conn.execute(sa.select(connectors.c.current_version)
                                       .where(connectors.c.id == connector_id)).scalar()
                if current is None:
                    raise NotFound(f"no connector {connector_id!r}")
                version = int(current)
            row = conn.execute(sa.select(connector_versions).where(
                connector_versions.c.connector_id == connector_id,
                connector_versions.c.version == version)).first()
        if row is None:
            raise NotFound(f"connector {connector_id!r} has no version {version}")
        return ConnectorVersion(
            connector=Connector.model_validate_json(row.definition), version=row.version,
            source=row.source, created_at=row.created_at,
            findings=[Finding.model_validate(f) for f in json.loads(row.findings)],
        )

    def current_version(self, connector_id: str) -> int | None:
        with self.db.engine.connect() as conn:
            value = conn.execute(sa.select(connectors.c.current_version)
                                 .where(connectors.c.id == connector_id)).scalar()
        return None if value is None else int(value)

    def summaries(self, *, kind: str | None = None, tier: str | None = None,
                  network: str | None = None, text: str | None = None
                  ) -> list[dict[str, Any]]:
        query = sa.select(connectors).order_by(connectors.c.id)
        if kind:
            query = query.where(connectors.c.kind == kind)
        if tier:
            query = query.where(connectors.c.tier == tier)
        if network:
            query = query.where(connectors.c.network == network)
        if text:
            pattern = f"%{text.lower()}%"
            query = query.where(sa.or_(
                sa.func.lower(connectors.c.id).like(pattern),
                sa.func.lower(connectors.c.display_name).like(pattern),
                sa.func.lower(connectors.c.description).like(pattern)))
        with self.db.engine.connect() as conn:
            return [
                {"id": r.id, "displayName": r.display_name, "description": r.description,
                 "kind": r.kind, "tier": r.tier, "network": r.network,
                 "version": r.current_version}
                for r in conn.execute(query)
            ]

    def versions(self, connector_id: str) -> list[dict[str, Any]]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(connector_versions.c.version,
                                          connector_versions.c.source,
                                          connector_versions.c.created_at)
                                .where(connector_versions.c.connector_id == connector_id)
                                .order_by(connector_versions.c.version)).all()
        if not rows:
            raise NotFound(f"no connector {connector_id!r}")
        return [{"version": r.version, "source": r.source, "createdAt": r.created_at}
                for r in rows]

    def delete(self, connector_id: str, *, force: bool = False) -> list[str]:
        """Delete the connector and all its versions.

        Args:
            connector_id: The connector.
            force: Delete even while connections use it; they are set to ``Error``.

        Returns:
            The names of the connections that used it (sorted).

        Raises:
            NotFound: No such connector.
            ConnectorInUse: Connections use it and ``force`` is off.
        """
        with self.db.write() as conn:
            # Lock the connector row (SQLite: the database) first so a connection cannot
            # slip in between the check and the delete.
            exists = conn.execute(sa.select(connectors.c.id)
                                  .where(connectors.c.id == connector_id)
                                  .with_for_update()).first()
            if exists is None:
                raise NotFound(f"no connector {connector_id!r}")
            users: list[str] = sorted(conn.execute(sa.select(connections.c.name).where(
                connections.c.connector_id == connector_id)).scalars())
            if users and not force:
                shown = ", ".join(repr(n) for n in users[:10])
                more = f" and {len(users) - 10} more" if len(users) > 10 else ""
                raise ConnectorInUse(
                    f"connector {connector_id!r} is used by {len(users)} connection(s): "
                    f"{shown}{more}; delete them first, or delete with force=true to keep "
                    "them in status Error",
                    details=[{"connection": n} for n in users])
            if users:
                conn.execute(connections.update()
                             .where(connections.c.connector_id == connector_id)
                             .values(status="Error",
                                     status_reason=f"connector {connector_id!r} was deleted",
                                     updated_at=time.time()))
            conn.execute(connector_versions.delete()
                         .where(connector_versions.c.connector_id == connector_id))
            conn.execute(connectors.delete().where(connectors.c.id == connector_id))
        return users
