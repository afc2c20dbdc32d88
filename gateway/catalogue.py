"""Putting connectors into the catalogue: import, label, breaking-change check, store.

Shared by ``PUT /v1/connectors/{id}``, ``portway import`` and the shipped managed
catalogue loaded on start, so the three agree on what a new version is.

* A re-import whose definition equals the current version stores nothing and reports the
  current version (``unchanged``): importing the same folder twice is harmless.
* A re-import that differs is a new version. Its breaking changes against the current
  version (``importers.breaking_changes``: removed operation, removed or newly required
  parameter, changed type, changed auth...) refuse it unless ``allow_breaking``; nothing
  is stored on refusal.
* A managed connector (shipped in ``config/connectors``) is the team's: uploads under its
  id are refused, and so are deletes while its folder is still shipped; only the start-up
  loader changes it.
* The tier label comes from the spec's ``x-portway-tier`` extension (``standard`` when
  absent).
* A built-in connector (kind ``builtin``, network ``core``) is not stored: the app's
  extensions that run them describe them (``Extension.builtin_connectors``, read by
  ``builtin_connectors``), and the catalogue shows them beside the stored ones, read-only.
  Uploads and deletes under a built-in's id are refused.

The catalogue's branch of the error tree (``gateway.errors`` draws the rest)::

    PortwayError
    └── Conflict (409)
        ├── BreakingChanges       a new version breaks callers; details name each change
        ├── ConnectorInUse        delete refused while connections use it; details name
        │                         them (raised by ``gateway.store.connectors``)
        ├── ManagedConnector      a shipped connector cannot be replaced or deleted
        └── BuiltinConnector      a built-in connector cannot be replaced or deleted
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

import importers
from gateway.errors import BadRequest, Conflict, NotFound
from gateway.extensions import Extension
from gateway.logging import get_logger
from gateway.policies.checking import with_policy_findings
from gateway.services import Services
from gateway.store.connectors import ConnectorInUse
from gateway.store.principals import validate_name
from importers import Connector, Finding, ImportResult

log = get_logger("portway.catalogue")

__all__ = ["BreakingChanges", "BuiltinConnector", "ConnectorInUse", "ManagedConnector",
           "StoredImport", "builtin_connectors", "builtin_summaries", "catalogue_summaries",
           "check_deletable", "check_not_builtin", "labelled", "load_managed_catalogue",
           "shipped_ids", "store_import", "summary_of", "tier_findings"]

TIERS = ("standard", "enterprise")
KINDS = ("builtin", "managed", "custom")
NETWORKS = ("core", "private")
#: The spec extension that sets a connector's tier label.
TIER_EXTENSION = "x-portway-tier"
#: The spec extension that sets a connector's network label.
NETWORK_EXTENSION = "x-portway-network"


class BreakingChanges(Conflict):
    """A new version would break callers of the current one; details list each change."""

    code = "BreakingChanges"


class ManagedConnector(Conflict):
    """The id belongs to a shipped managed connector, which uploads may not replace."""

    code = "ManagedConnector"


class BuiltinConnector(Conflict):
    """The id is a built-in connector's, which runs in the runtime and is read-only."""

    code = "BuiltinConnector"


@dataclass
class StoredImport:
    """What storing one import did."""

    result: ImportResult
    #: The version stored, or the current one when unchanged; None when nothing was
    #: stored and nothing exists (a dry run of a new connector).
    version: int | None
    breaking: list[Finding] = field(default_factory=list)
    unchanged: bool = False
    dry_run: bool = False

    def json(self) -> dict[str, Any]:
        """The fields an HTTP response or a ``--json`` line adds to ``result_json``."""
        return {"version": self.version, "unchanged": self.unchanged,
                "breakingChanges": [f.model_dump(exclude_none=True) for f in self.breaking]}


def labelled(connector: Connector, *, kind: str | None = None) -> Connector:
    """The connector with its tier from ``x-portway-tier``, its network from
    ``x-portway-network`` and, if given, its kind."""
    update: dict[str, Any] = {}
    for field_name, extension, allowed in (("tier", TIER_EXTENSION, TIERS),
                                           ("network", NETWORK_EXTENSION, NETWORKS)):
        value = connector.metadata.get(extension)
        if isinstance(value, str) and value.lower() in allowed:
            update[field_name] = value.lower()
    if kind is not None:
        update["kind"] = kind
    return connector.model_copy(update=update) if update else connector


def tier_findings(connector: Connector) -> list[Finding]:
    """A warning when ``x-portway-tier`` or ``x-portway-network`` is there but names no
    known label."""
    findings = []
    for label, extension, allowed, default in (
            ("tier", TIER_EXTENSION, TIERS, "standard"),
            ("network", NETWORK_EXTENSION, NETWORKS, "core")):
        value = connector.metadata.get(extension)
        if value is None or (isinstance(value, str) and value.lower() in allowed):
            continue
        findings.append(Finding(
            rule=f"{label}-label", severity="warning", pointer=f"/{extension}",
            message=f"{extension} must be one of {', '.join(allowed)}; {value!r} is ignored "
                    f"(the {label} stays {default})"))
    return findings


def store_import(services: Services, result: ImportResult, *, allow_breaking: bool = False,
                 dry_run: bool = False) -> StoredImport:
    """Store an import's connector as a new version, unless it is unchanged or breaks callers.

    Args:
        services: The gateway's services.
        result: A successful import (a failed one is returned as is, nothing stored).
        allow_breaking: Accept breaking changes against the current version.
        dry_run: Check everything, store nothing.

    Raises:
        BreakingChanges: The new version breaks callers and ``allow_breaking`` is off.
        ManagedConnector: The id is a shipped managed connector's.
    """
    if result.connector is None or result.errors:
        return StoredImport(result, None, dry_run=dry_run)
    connector = labelled(result.connector, kind="custom")
    findings = [*result.warnings, *tier_findings(connector)]
    result = result.model_copy(update={"connector": connector, "findings": findings})
    try:
        current = services.connectors.get(connector.id)
    except NotFound:
        current = None
    if current is None:
        version = None if dry_run else services.connectors.save(
            connector, source=result.source, findings=findings)
        return StoredImport(result, version, dry_run=dry_run)
    if current.connector.kind == "managed":
        raise ManagedConnector(
            f"{connector.id!r} is a managed connector shipped with Portway; upload yours "
            "under another id", details=[{"connector": connector.id}])
    if current.connector == connector:
        return StoredImport(result, current.version, unchanged=True, dry_run=dry_run)
    breaking = importers.breaking_changes(current.connector, connector)
    if breaking and not allow_breaking:
        raise BreakingChanges(
            f"the new version of {connector.id!r} has {len(breaking)} breaking change(s) "
            f"against version {current.version}; import again with --allow-breaking "
            "(allowBreaking=true) to accept them",
            details=[f.model_dump(exclude_none=True) for f in breaking])
    if dry_run:
        return StoredImport(result, None, breaking, dry_run=True)
    version = services.connectors.save(connector, source=result.source, findings=findings)
    return StoredImport(result, version, breaking)


def _shipped_sources(services: Services) -> list[str]:
    directory = Path(services.settings.catalogue.directory)
    if not directory.is_dir():
        return []
    return [str(p) for p in sorted(directory.iterdir()) if not p.name.startswith((".", "_"))]


def shipped_ids(services: Services) -> set[str]:
    """The ids of the connectors in the catalogue folder now (nothing is imported)."""
    sources = _shipped_sources(services)
    return {spec.default_id for spec in importers.discover(sources)} if sources else set()


def check_deletable(services: Services, connector: Connector) -> None:
    """Refuse to delete a managed connector that is still shipped.

    Raises:
        ManagedConnector: It is managed and its folder is still in the catalogue.
    """
    if connector.kind == "managed" and connector.id in shipped_ids(services):
        raise ManagedConnector(
            f"{connector.id!r} is a managed connector shipped with Portway; remove it from "
            "the catalogue folder first", details=[{"connector": connector.id}])


def load_managed_catalogue(services: Services) -> int:
    """Import the shipped managed connectors (``catalogue.directory``) that changed.

    Idempotent: a connector equal to its stored current version gets no new version, so
    restarts add nothing. A shipped connector that fails to import is logged and skipped;
    the gateway still starts. Breaking changes are accepted: the team ships them on purpose.

    Returns:
        How many connectors got a new version.
    """
    directory = services.settings.catalogue.directory
    sources = _shipped_sources(services)
    if not sources:
        return 0
    count = 0
    for result in map(with_policy_findings, importers.import_sources(sources)):
        if result.connector is None or result.errors:
            log.warning("a shipped connector did not import", source=result.source,
                        errors=[f.message for f in result.errors])
            continue
        connector = labelled(result.connector, kind="managed")
        try:
            if services.connectors.get(connector.id).connector == connector:
                continue
        except NotFound:
            pass
        services.connectors.save(connector, source=result.source,
                                 findings=[*result.warnings, *tier_findings(connector)])
        count += 1
    if count:
        log.info("managed catalogue loaded", directory=directory, updated=count)
    return count


def builtin_connectors(extensions: Sequence[Extension]) -> dict[str, Connector]:
    """The built-in connectors ``extensions`` run, by id (the first of an id wins).

    An entry that is not a valid connector definition is logged and left out.
    """
    found: dict[str, Connector] = {}
    for extension in extensions:
        for entry in extension.builtin_connectors():
            try:
                connector = Connector.model_validate(entry)
                validate_name(connector.id, "connector")
            except (ValidationError, BadRequest) as exc:
                log.warning("a built-in connector's catalogue entry is not a connector "
                            "definition", extension=extension.name,
                            connector=str(entry.get("id", ""))[:100],
                            error=str(exc)[:300])
                continue
            found.setdefault(connector.id, connector.model_copy(
                update={"kind": "builtin", "network": "core"}))
    return found


def summary_of(connector: Connector, version: int) -> dict[str, Any]:
    """The catalogue list's line for a connector."""
    return {"id": connector.id, "displayName": connector.display_name,
            "description": connector.description, "kind": connector.kind,
            "tier": connector.tier, "network": connector.network, "version": version}


def builtin_summaries(builtins: dict[str, Connector], *, kind: str | None = None,
                      tier: str | None = None, network: str | None = None,
                      text: str | None = None) -> list[dict[str, Any]]:
    """The list lines of the built-in connectors that pass the catalogue's filters (the
    same rules as ``ConnectorStore.summaries``)."""
    needle = (text or "").lower()
    return [summary_of(c, 1) for c in builtins.values()
            if (kind is None or c.kind == kind) and (tier is None or c.tier == tier)
            and (network is None or c.network == network)
            and (not needle or any(needle in v.lower()
                                   for v in (c.id, c.display_name, c.description)))]


def check_not_builtin(connector_id: str, builtins: dict[str, Connector]) -> None:
    """Raises BuiltinConnector when ``connector_id`` is a built-in connector's (in any
    case: ``SMTP`` is not a custom connector beside ``smtp``)."""
    if connector_id.lower() in {known.lower() for known in builtins}:
        raise BuiltinConnector(
            f"{connector_id!r} is a built-in connector: it runs inside the workflow "
            "runtime and cannot be uploaded, replaced or deleted; its connections are a "
            "workflow's serviceProviderConnections (connections.json)",
            details=[{"connector": connector_id}])


def catalogue_summaries(services: Services, builtins: dict[str, Connector], *,
                        kind: str | None = None, tier: str | None = None,
                        network: str | None = None, text: str | None = None
                        ) -> list[dict[str, Any]]:
    """The catalogue's list: the stored connectors and the built-in ones that pass the
    filters, sorted by id (a stored connector under a built-in's id is hidden by it)."""
    stored = services.connectors.summaries(kind=kind, tier=tier, network=network, text=text)
    items = [item for item in stored if item["id"] not in builtins]
    items += builtin_summaries(builtins, kind=kind, tier=tier, network=network, text=text)
    items.sort(key=lambda item: str(item["id"]))
    return items
