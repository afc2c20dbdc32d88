"""Binding a connection's secrets to the upstream origins they were entered for.

When secrets are entered (a ``PUT`` or a ``PATCH`` that gives every secret the connection
holds, a completed consent, or an owner's ``POST …/rebind``), the connection records the
origins (``scheme://host[:port]``) its calls can reach at that moment: the connector's
base URL as its host policies (``dynamichosturl``, ``dynamicsubdomain``) turn it with the
connection's parameters, and its operations' SOAP addresses. A call whose upstream
origin is not among them is refused with ``409 SecretsOriginChanged`` before any
credential is put on it: a connector re-imported with another host, or a host-deciding
parameter patched without the secrets, cannot carry the secrets to a place their owner
never entered them for.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from gateway.errors import Conflict, PortwayError
from gateway.policies import PolicyError, PolicyRequest, PolicySet
from gateway.store.connections import OWNER_KIND
from importers import Connector

if TYPE_CHECKING:
    from gateway.services import Services

#: The policy templates that decide the upstream host.
HOST_TEMPLATES = frozenset({"dynamichosturl", "dynamicsubdomain"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


class SecretsOriginChanged(Conflict):
    """A call would send a connection's secrets to an origin they were not entered for."""

    code = "SecretsOriginChanged"


@functools.lru_cache(maxsize=4096)  # every proxied call with secrets asks it
def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-cased, without a default port ("" when
    it has no host)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not host:
        return ""
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def bound_origins(connector: Connector, parameters: Mapping[str, Any]) -> list[str]:
    """The origins calls through a connection with these parameters can reach."""
    origins = {origin_of(connector.base_url)}
    host_policies = [p for p in connector.policies if p.template.lower() in HOST_TEMPLATES]
    if host_policies:
        try:
            policies = PolicySet.compile(host_policies)
        except PolicyError:
            policies = PolicySet(())
        for operation in connector.operations:
            request = PolicyRequest(method=operation.method, base_url=connector.base_url,
                                    path="/", operation_id=operation.operation_id,
                                    connection_parameters=dict(parameters))
            try:
                policies.apply_request(request)
            except PolicyError:
                continue  # a host that depends on the call itself is never bound
            origins.add(origin_of(request.base_url))
    for operation in connector.operations:
        if operation.soap is not None and operation.soap.address:
            origins.add(origin_of(operation.soap.address))
    return sorted(o for o in origins if o)


def check_origin(connection: str, bound: Collection[str] | None, url: str) -> None:
    """Refuse ``url`` unless its origin is one the connection's secrets are bound to.

    ``bound`` None means a record written without a binding; every start binds the
    connections stored before bindings existed (``bind_unbound_connections``), so only
    a record written after the start by other means than the API is let through.

    Raises:
        SecretsOriginChanged: 409, naming both origins and what to do.
    """
    origin = origin_of(url)
    if bound is None or not origin or origin in bound:
        return  # without a host the call fails on its own, sending nothing
    allowed = list(bound)
    raise SecretsOriginChanged(
        f"connection {connection!r} holds secrets entered for "
        f"{', '.join(allowed) or 'no upstream'}; this call would send them to "
        f"{origin}. Re-enter the secrets (PUT or PATCH "
        f"the connection with them) or have an owner re-bind them "
        f"(POST /v1/connections/{connection}/rebind)",
        details=[{"reason": "secrets-origin-changed", "boundTo": allowed,
                  "callOrigin": origin}])


def bind_unbound_connections(services: Services) -> list[str]:
    """Bind the connections stored before secret bindings existed (``secrets_origins``
    NULL, written before migration 0003), once, at start.

    Each is bound to the origins of the connector version that was current when its
    secrets were last written (a key rotation counts as a write): not the current version,
    which a contributor may have moved to another host since. A connection whose connector
    is gone, or cannot be read, is bound to no origin: its calls are refused (409) until
    its secrets are re-entered or an owner re-binds it. Returns the names bound.
    """
    bound: list[str] = []
    for record in services.connections.all():
        if record.secrets_origins is not None:
            continue
        written = services.vault.last_written(OWNER_KIND, record.name)
        try:
            version = _version_at(services, record.connector_id, written)
            connector = services.connectors.get(record.connector_id, version).connector
            origins = bound_origins(connector, record.parameters)
        except PortwayError:
            origins = []
        services.connections.update_fields(record.name, secrets_origins=origins)
        bound.append(record.name)
    return bound


def _version_at(services: Services, connector_id: str, when: float | None) -> int | None:
    """The connector's version current at ``when`` (None: its current version)."""
    if when is None:
        return None
    versions = [v for v in services.connectors.versions(connector_id)
                if v["createdAt"] <= when]
    return max((v["version"] for v in versions), default=None)
