"""The state of one proxied call as it moves through the pipeline's steps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from gateway.proxy.cache import ResolvedConnection
from gateway.proxy.upstream import UpstreamResponse
from gateway.security.egress import VettedTarget
from gateway.store.principals import Principal
from importers import Operation

Body = bytes | AsyncIterator[bytes] | None


@dataclass(slots=True)
class Call:
    """One call: what the caller asked, and what each step has decided so far.

    Attributes:
        request_id: The gateway's request id (the caller's ``x-ms-client-request-id``).
        principal: Who is calling (authenticated before the pipeline starts).
        connection: The connection's name.
        connector_id: The connector named in an ``/apim`` path; None for calls by
            operation id.
        method: The HTTP method toward the upstream.
        path: The operation path relative to the connector's base URL.
        query: Query parameters toward the upstream, in order.
        headers: Headers toward the upstream, lower-cased and already cleaned.
        body: The request body: bytes, a stream, or None.
        content_length: The caller's Content-Length, passed on with an unchanged stream.
        arguments: The JSON arguments of a call by operation id (SOAP handlers use them).
        base_url: Where the connector's operations live; policies may change it.
        properties: Scratch values policies share (``setproperty``).
        gateway_origin: ``scheme://host`` the caller reached the gateway at ("" in
            process); next links are rewritten to point there (``updatenextlink``).
    """

    request_id: str
    principal: Principal
    connection: str
    connector_id: str | None
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Body = None
    content_length: str | None = None
    arguments: dict[str, Any] | None = None
    resolved: ResolvedConnection | None = None
    operation: Operation | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    base_url: str = ""
    properties: dict[str, Any] = field(default_factory=dict)
    target: VettedTarget | None = None
    #: The upstream URL about to be called (set before the egress guard vets it).
    upstream_url: str = ""
    response: UpstreamResponse | None = None
    referenced_by_workflow: bool | None = None
    gateway_origin: str = ""

    @property
    def gateway_base_url(self) -> str:
        """This connection's ``/apim`` address at the gateway, or "" when unknown."""
        if not self.gateway_origin or self.resolved is None:
            return ""
        return (f"{self.gateway_origin}/apim/{self.resolved.record.connector_id}/"
                f"{self.connection}")

    @property
    def connector_label(self) -> str:
        return self.resolved.record.connector_id if self.resolved else ""

    @property
    def operation_label(self) -> str:
        return self.operation.operation_id if self.operation else ""
