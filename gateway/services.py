"""The parts a running gateway is made of, built once from the settings.

Handlers reach them through ``request.app.state.services``. This is wiring only: each
part owns its own logic in its own module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.fetch import DocumentFetcher
from gateway.keys import load_keyring
from gateway.security.egress import EgressGuard
from gateway.settings import Settings
from gateway.store.audit import AuditLog
from gateway.store.connections import ConnectionStore
from gateway.store.connectors import ConnectorStore
from gateway.store.database import Database
from gateway.store.principals import PrincipalStore
from gateway.store.secrets import Vault


@dataclass
class Services:
    settings: Settings
    db: Database
    vault: Vault
    principals: PrincipalStore
    connectors: ConnectorStore
    connections: ConnectionStore
    audit: AuditLog
    egress: EgressGuard
    fetcher: DocumentFetcher
    # Parts that other modules attach on start (the proxy's client, caches, runtime...).
    extras: dict[str, Any] = field(default_factory=dict)


def build_services(settings: Settings, *, migrate: bool | None = None) -> Services:
    """Open the database (migrating it when configured) and build every part."""
    db = Database(settings.database.url)
    if settings.database.migrate_on_start if migrate is None else migrate:
        db.migrate()
    keyring = load_keyring(settings)
    vault = Vault(db, keyring)
    egress = EgressGuard(settings.egress.allow)
    return Services(
        settings=settings,
        db=db,
        vault=vault,
        principals=PrincipalStore(db),
        connectors=ConnectorStore(db),
        connections=ConnectionStore(db, vault),
        audit=AuditLog(db),
        egress=egress,
        fetcher=DocumentFetcher(egress, max_bytes=settings.limits.max_spec_bytes,
                                max_redirects=settings.egress.max_redirects),
    )
