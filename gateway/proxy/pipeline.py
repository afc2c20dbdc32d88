"""One proxied call: resolve the connection, check access, route, add credentials, call.

The steps, in order: authenticate (done by the caller) → load the connection and its
connector (cached briefly) → access check → route → credentials → egress guard →
upstream call → response headers cleaned.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from gateway.errors import BadRequest
from gateway.proxy.credentials import apply_credentials
from gateway.proxy.routing import Router
from gateway.proxy.upstream import Upstream, UpstreamResponse
from gateway.security.access import check_connection_use
from gateway.services import Services
from gateway.store.connections import ConnectionRecord
from gateway.store.principals import Principal

#: Request headers never forwarded: hop-by-hop ones, and the caller's own credentials.
DROP_REQUEST = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "host", "authorization", "cookie",
    "content-length", "x-forwarded-for", "x-forwarded-host", "forwarded",
})
#: Response headers never passed back: hop-by-hop ones, cookies and auth challenges.
DROP_RESPONSE = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "te", "trailer", "trailers",
    "transfer-encoding", "upgrade", "set-cookie", "set-cookie2", "www-authenticate",
    "content-length",
})


@dataclass
class ResolvedConnection:
    record: ConnectionRecord
    router: Router
    secrets: dict[str, str]
    expires: float


class Proxy:
    def __init__(self, services: Services) -> None:
        self.services = services
        proxy = services.settings.proxy
        self.upstream = Upstream(connect_timeout=proxy.connect_timeout,
                                 read_timeout=proxy.read_timeout,
                                 total_timeout=proxy.total_timeout)
        self._connections: dict[str, ResolvedConnection] = {}

    async def resolve(self, name: str) -> ResolvedConnection:
        now = time.monotonic()
        cached = self._connections.get(name)
        if cached is not None and cached.expires > now:
            return cached
        services = self.services

        def load() -> ResolvedConnection:
            record = services.connections.get(name)
            connector = services.connectors.get(record.connector_id).connector
            return ResolvedConnection(record, Router(connector),
                                      services.connections.secrets(name),
                                      now + services.settings.proxy.cache_seconds)

        resolved = await services.db.run(load)
        self._connections[name] = resolved
        return resolved

    def forget(self, name: str | None = None) -> None:
        if name is None:
            self._connections.clear()
        else:
            self._connections.pop(name, None)

    async def call_path(self, principal: Principal, connector_id: str, connection: str,
                        method: str, path: str, query: list[tuple[str, str]],
                        headers: list[tuple[str, str]], body: AsyncIterator[bytes] | bytes | None
                        ) -> UpstreamResponse:
        resolved = await self.resolve(connection)
        check_connection_use(principal, connection, resolved.record.access_policies)
        if resolved.record.connector_id != connector_id:
            raise BadRequest(f"connection {connection!r} belongs to connector "
                             f"{resolved.record.connector_id!r}, not {connector_id!r}")
        match = resolved.router.match(method, path)
        connector = resolved.router.connector
        outbound = {k.lower(): v for k, v in headers if k.lower() not in DROP_REQUEST}
        outbound_query = list(query)
        apply_credentials(connector, resolved.record.parameters, resolved.secrets,
                          outbound, outbound_query)
        url = _join(connector.base_url, path, outbound_query)
        target = await self.services.egress.acheck(url)
        return await self.upstream.send(match.operation.method, target, outbound, body)

    async def call_operation(self, principal: Principal, connection: str, operation_id: str,
                             arguments: dict[str, Any]) -> UpstreamResponse:
        """Call an operation with its parameters as a JSON object (by name)."""
        import json

        resolved = await self.resolve(connection)
        check_connection_use(principal, connection, resolved.record.access_policies)
        operation = resolved.router.by_id(operation_id)
        path = operation.path
        query: list[tuple[str, str]] = []
        headers: dict[str, str] = {}
        body: bytes | None = None
        for parameter in operation.parameters:
            if parameter.name not in arguments:
                continue
            value = arguments[parameter.name]
            text = value if isinstance(value, str) else json.dumps(value)
            if parameter.location == "path":
                path = path.replace("{" + parameter.name + "}", quote(text, safe=""))
            elif parameter.location == "query":
                query.append((parameter.name, text))
            elif parameter.location == "header":
                headers[parameter.name.lower()] = text
            elif parameter.location == "body":
                body = json.dumps(value).encode()
                headers["content-type"] = "application/json"
        connector = resolved.router.connector
        apply_credentials(connector, resolved.record.parameters, resolved.secrets,
                          headers, query)
        target = await self.services.egress.acheck(_join(connector.base_url, path, query))
        return await self.upstream.send(operation.method, target, headers, body)


def _join(base_url: str, path: str, query: list[tuple[str, str]]) -> str:
    if not base_url:
        raise BadRequest("this connector has no host; its connection must set one")
    url = base_url.rstrip("/") + "/" + path.lstrip("/")
    if query:
        url += "?" + urlencode(query)
    return url


def clean_response_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in DROP_RESPONSE]
