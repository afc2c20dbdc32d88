"""A built-in connector as a catalogue entry: the connector definition the gateway's
catalogue shows (``GET /v1/connectors/{id}``), read-only, with kind ``builtin``.

The gateway asks for them through ``Extension.builtin_connectors`` and gets each in the
wire shape of a connector definition (camelCase, as ``GET /v1/connectors/{id}`` answers),
so it needs nothing of the runtime. A provider maps to it so:

- ``id``: the last segment of the provider id, lower case (``/serviceProviders/Smtp`` →
  ``smtp``); the provider id itself is ``metadata.serviceProviderId``;
- each operation: ``operationId``, ``summary``, ``description``, ``kind`` (``trigger``
  for a trigger operation: polling, batch), its ``parameters`` JSON Schema as the
  ``requestSchema`` and its outputs' schema as the ``200`` response. ``method`` and
  ``path`` (``POST /<operationId>``) only fill the definition's shape: nothing is
  proxied;
- ``connectionParameters``: one per property of ``connection_parameters``; a property
  marked ``x-ms-secret`` is a ``securestring``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import structlog

from runtime.builtins.registry import ProviderOperation, ServiceProvider

_log = structlog.get_logger("portway.runtime.builtins")

_TYPES = {"integer": "int", "number": "int", "boolean": "bool", "object": "object",
          "array": "array"}


def catalogue_entries(providers: Iterable[ServiceProvider]) -> list[dict[str, Any]]:
    """The entries of ``providers``; one whose description fails (a third party's code
    raising in ``operations()``, say) is logged and left out, the others still listed."""
    entries = []
    for provider in providers:
        try:
            entries.append(catalogue_entry(provider))
        except Exception as exc:  # a third party's code: anything can go wrong
            _log.error("connector_catalogue_entry_failed",
                       provider=str(getattr(provider, "id", ""))[:200],
                       error=type(exc).__name__)
    return entries


def catalogue_id(provider: ServiceProvider) -> str:
    return provider.id.rstrip("/").rsplit("/", 1)[-1].lower()


def catalogue_entry(provider: ServiceProvider) -> dict[str, Any]:
    """The connector definition of ``provider`` (the wire shape of ``importers.Connector``)."""
    description = getattr(provider, "description", "")
    return {
        "id": catalogue_id(provider),
        "displayName": provider.display_name,
        "description": description if isinstance(description, str) else "",
        "version": "1.0",
        "kind": "builtin",
        "network": "core",
        "sourceFormat": "builtin",
        "connectionParameters": _connection_parameters(provider.connection_parameters),
        "operations": [_operation(op) for op in provider.operations().values()],
        "metadata": {"serviceProviderId": provider.id},
    }


def _connection_parameters(schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return []
    required = set(schema.get("required") or ())
    found = []
    for name, each in properties.items():
        each = each if isinstance(each, Mapping) else {}
        secret = bool(each.get("x-ms-secret"))
        kind = _TYPES.get(str(each.get("type")), "string")
        if secret:
            kind = "secureobject" if kind == "object" else "securestring"
        entry: dict[str, Any] = {"name": str(name), "type": kind,
                                 "required": name in required,
                                 "description": str(each.get("description", "")),
                                 "displayName": str(each.get("title", ""))}
        if "default" in each:
            entry["default"] = each["default"]
        if isinstance(each.get("enum"), list):
            entry["allowedValues"] = list(each["enum"])
        found.append(entry)
    return found


def _operation(op: ProviderOperation) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "operationId": op.operation_id,
        "kind": "trigger" if op.trigger else "action",
        "method": "POST",
        "path": f"/{op.operation_id}",
        "summary": op.summary,
        "description": op.description,
        "requestContentTypes": ["application/json"],
        "requestSchema": dict(op.parameters) or {"type": "object"},
        "responses": [{"status": "200", "description": "The operation's outputs' body",
                       "jsonSchema": dict(op.outputs) or {"type": "object"}}],
    }
    if op.trigger:
        entry["trigger"] = {"kind": "polling", "cardinality": "batch"}
    return entry
