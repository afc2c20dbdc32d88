"""Putting connectors into the catalogue: import, lint, breaking-change check, store.

Shared by ``PUT /v1/connectors/{id}``, ``portway import`` and the shipped managed
catalogue loaded on start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import importers
from gateway.errors import Conflict, NotFound
from gateway.logging import get_logger
from gateway.services import Services
from importers import Connector, Finding, ImportResult

log = get_logger("portway.catalogue")


@dataclass
class StoredImport:
    result: ImportResult
    version: int | None  # None when nothing was stored (failed, or a dry run)
    breaking: list[Finding]


def store_import(services: Services, result: ImportResult, *, allow_breaking: bool = False,
                 dry_run: bool = False) -> StoredImport:
    """Store an import's connector as a new version, unless it failed or breaks callers.

    A breaking change against the current version (removed operation, newly required
    parameter, changed type or auth) is refused unless ``allow_breaking``.
    """
    connector = result.connector
    if connector is None or result.errors:
        return StoredImport(result, None, [])
    breaking: list[Finding] = []
    try:
        previous: Connector | None = services.connectors.get(connector.id).connector
    except NotFound:
        previous = None
    if previous is not None:
        breaking = importers.breaking_changes(previous, connector)
        if breaking and not allow_breaking:
            raise Conflict(
                f"the new version of {connector.id!r} has {len(breaking)} breaking change(s); "
                "import again with --allow-breaking (allowBreaking=true) to accept them",
                details=[f.model_dump() for f in breaking],
            )
    if dry_run:
        return StoredImport(result, None, breaking)
    version = services.connectors.save(connector, source=result.source,
                                       findings=result.warnings)
    return StoredImport(result, version, breaking)


def load_managed_catalogue(services: Services) -> int:
    """Import the shipped managed connectors (``catalogue.directory``) that changed."""
    directory = Path(services.settings.catalogue.directory)
    if not directory.is_dir():
        return 0
    count = 0
    for result in importers.import_sources([str(p) for p in sorted(directory.iterdir())
                                            if not p.name.startswith((".", "_"))]):
        if result.connector is None or result.errors:
            log.warning("a shipped connector did not import", source=result.source,
                        errors=[f.message for f in result.errors])
            continue
        connector = result.connector.model_copy(update={"kind": "managed"})
        try:
            current = services.connectors.get(connector.id).connector
            if current == connector:
                continue
        except NotFound:
            pass
        services.connectors.save(connector, source=result.source, findings=result.warnings)
        count += 1
    return count
