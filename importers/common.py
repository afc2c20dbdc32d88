"""Pieces both REST importers share: operation ids, parameters, connector metadata, script
flags."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from importers.errors import SpecError, SpecTooLargeError
from importers.model import Finding, Operation
from importers.properties import Properties
from importers.proxy_options import EXTENSION as PROXY_EXTENSION
from importers.proxy_options import proxy_options
from importers.refs import Resolver, pointer
from importers.shapes import as_dict

SCRIPT_UNSUPPORTED = "implemented by script.csx, which Portway does not run"


def text(value: Any) -> str:
    """A string field's value, or "" when it is missing or not a string."""
    return value if isinstance(value, str) else ""


def slugify(value: str) -> str:
    """A stable, readable id: ASCII letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()
    return slug or "connector"


class OperationIds:
    """Hands out operation ids: the spec's own, or a derived one, never the same twice."""

    def __init__(self, findings: list[Finding]) -> None:
        self._taken: set[str] = set()
        self._findings = findings

    def take(self, declared: Any, method: str, path: str, where: str) -> str:
        """Returns a unique id for the operation at ``where``."""
        if isinstance(declared, str) and declared.strip():
            wanted = declared
        else:
            wanted = f"{method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', path).rstrip('_')}"
            self._findings.append(Finding(
                rule="missing-operation-id", severity="warning", pointer=where,
                message=f"the operation has no operationId; named it {wanted!r}",
            ))
        if wanted not in self._taken:
            self._taken.add(wanted)
            return wanted
        n = 2
        while f"{wanted}_{n}" in self._taken:
            n += 1
        renamed = f"{wanted}_{n}"
        self._taken.add(renamed)
        self._findings.append(Finding(
            rule="duplicate-operation-id", severity="warning", pointer=where + "/operationId",
            message=f"operationId {wanted!r} is used twice; this one is named {renamed!r}",
        ))
        return renamed


def merged_parameters(shared: list[Any], own: list[Any], where: str, resolver: Resolver,
                      base: str) -> list[tuple[Any, str]]:
    """An operation's parameters with their pointers: the path item's ``shared`` ones, each
    replaced by the operation's ``own`` parameter of the same name and location."""
    merged: dict[tuple[str, str], tuple[Any, str]] = {}
    for prefix, group in ((where.rsplit("/", 1)[0], shared), (where, own)):
        for index, p in enumerate(group):
            merged[_parameter_key(p, resolver, base)] = (p, f"{prefix}/parameters/{index}")
    return list(merged.values())


def _parameter_key(raw: Any, resolver: Resolver, base: str) -> tuple[str, str]:
    try:
        node, _ = resolver.deref(raw, base)
    except SpecError:  # a broken $ref is reported when the parameter itself is read
        return (repr(raw), "?")
    if not isinstance(node, dict):
        return (repr(raw), "?")
    return (str(node.get("name")), str(node.get("in")))


def flag_script_operations(operations: list[Operation], script_ids: list[str],
                           findings: list[Finding]) -> None:
    """Marks the operations a script.csx implements as unsupported, each with a warning.

    An empty ``script_ids`` means a script with no list of operations: all of them may run
    through it, so all are flagged.
    """
    wanted = set(script_ids)
    for op in operations:
        if not wanted or op.operation_id in wanted:
            op.unsupported = SCRIPT_UNSUPPORTED
            findings.append(Finding(
                rule="script-operation", severity="warning",
                pointer=pointer("paths", op.path, op.method.lower()),
                message=f"operation {op.operation_id!r} is {SCRIPT_UNSUPPORTED}; it is"
                        " imported but cannot be called",
            ))
    for missing in sorted(wanted - {op.operation_id for op in operations}):
        findings.append(Finding(
            rule="script-operation", severity="warning", pointer="apiProperties.json#",
            message=f"the script names operation {missing!r}, which the spec does not have",
        ))


def connector_fields(doc: dict[str, Any], *, connector_id: str, properties: Properties | None,
                     extras: dict[str, Any],
                     findings: list[Finding] | None = None) -> dict[str, Any]:
    """The connector's id, names, version, capabilities and metadata.

    A top-level ``x-portway-proxy`` becomes ``metadata["proxy"]``, checked
    (``importers.proxy_options``); its warnings go to ``findings``.
    """
    info = as_dict(doc.get("info"))
    metadata: dict[str, Any] = {}
    if PROXY_EXTENSION in extras:
        options = proxy_options(extras.pop(PROXY_EXTENSION),
                                findings if findings is not None else [])
        if options:
            metadata["proxy"] = options
    for key in ("contact", "license", "termsOfService", "summary"):
        if key in info:
            metadata[key] = info[key]
    metadata.update({k: v for k, v in info.items() if k.startswith("x-")})
    capabilities: dict[str, Any] = {}
    caps = extras.pop("x-ms-capabilities", None)
    if isinstance(caps, dict):
        capabilities.update(caps)
    elif caps is not None:
        capabilities["x-ms-capabilities"] = caps
    connector_meta = extras.pop("x-ms-connector-metadata", None)
    if isinstance(connector_meta, list):
        for entry in connector_meta:
            if isinstance(entry, dict) and "propertyName" in entry:
                metadata[str(entry["propertyName"])] = entry.get("propertyValue")
    elif connector_meta is not None:
        metadata["x-ms-connector-metadata"] = connector_meta
    metadata.update(extras)
    if properties is not None:
        metadata.update(properties.metadata)
        if properties.capabilities:
            capabilities["capabilities"] = properties.capabilities
    version = info.get("version")
    return {
        "id": connector_id,
        "display_name": text(info.get("title")) or connector_id,
        "description": text(info.get("description")),
        "version": str(version) if version is not None else "1.0",
        "capabilities": capabilities,
        "metadata": metadata,
    }


def skippable(exc: BaseException) -> bool:
    """Whether a failure to read one part of a spec should skip that part (with a warning).

    Broken references and unreadable companion documents cost only the part that uses them;
    a document over the size limits fails as a whole.
    """
    return isinstance(exc, SpecError) and not isinstance(exc, SpecTooLargeError)


def skipped(findings: list[Finding], where: str, exc: SpecError, what: str) -> None:
    """Records that ``what`` at ``where`` was skipped because of ``exc``."""
    findings.append(Finding(rule="unresolved-ref", severity="warning", pointer=where,
                            message=f"{what} was skipped: {exc.message}"))


def deref_or_skip(resolver: Resolver, node: Any, base: str | None, findings: list[Finding],
                  where: str, what: str) -> tuple[Any, str] | None:
    """``resolver.deref(node, base)``, or None (with a warning) when ``what`` at ``where``
    must be skipped because of a ``skippable`` failure; other failures propagate."""
    try:
        return resolver.deref(node, base)
    except SpecError as exc:
        if not skippable(exc):
            raise
        skipped(findings, where, exc, what)
        return None
