"""The parts a running gateway is made of, built once from the settings.

Handlers reach them through ``request.app.state.services``. This is wiring only: each
part owns its own logic in its own module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from gateway.oauth.refresh import TokenKeeper
    from gateway.proxy.pipeline import Proxy
    from gateway.proxy.protocols import ProtocolHandler
    from gateway.store.principals import Principal

#: Answers whether the workflow running as a principal references a connection (the
#: linked access check): ``references(principal_name, connection_name)``.
WorkflowReferences = Callable[[str, str], bool]


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
    # Parts attached when the app starts.
    #: The data plane (``gateway.proxy.pipeline.Proxy``), once the app has started.
    proxy: Proxy | None = None
    #: Handlers of connectors whose protocol is not plain REST (``"soap"``).
    protocols: dict[str, ProtocolHandler] = field(default_factory=dict)
    #: The linked access check's question to the workflows' store.
    workflow_references: WorkflowReferences | None = None
    #: Recently authenticated bearer tokens: token -> (valid until, principal).
    principal_cache: dict[str, tuple[float, Principal]] = field(default_factory=dict)
    #: The process's OAuth token keeper (created on first use).
    token_keeper: TokenKeeper | None = None


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
