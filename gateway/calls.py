"""Outbound calls for other packages (the runtime's actions), through the gateway's parts.

``call_connection`` and ``call_connection_operation`` walk the whole data plane under a
principal — access check (the linked access check for a workflow's identity), routing,
validation, throttling, policies, credentials, the egress guard — exactly as an HTTP
caller of ``/apim/...`` or ``.../operations/{id}`` would. ``send_http`` is for a URL that is
not a connection's (the ``Http`` action, polling triggers): it goes through the egress
guard and the data plane's own pooled client (``gateway.outbound``), with no credentials
added. Each answer is read whole, up to
the configured response limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gateway import outbound
from gateway.errors import NotFound, Unauthenticated
from gateway.ids import new_request_id
from gateway.outbound import Answer
from gateway.proxy.call import Call
from gateway.proxy.pipeline import Proxy
from gateway.proxy.upstream import Timeouts, UpstreamResponse
from gateway.services import Services
from gateway.store.principals import Principal

__all__ = ["Answer", "call_connection", "call_connection_operation", "send_http"]


async def call_connection(services: Services, principal: str, connection: str, method: str,
                          path: str, *, query: Sequence[tuple[str, str]] = (),
                          headers: Mapping[str, str] | None = None,
                          body: bytes | None = None, request_id: str = "") -> Answer:
    """Call a connection's operation by method and path (relative to the connector).

    Raises:
        gateway.PortwayError: Whatever the data plane refuses (403 for a failed access
            check, 404 for no such connection or operation, 502/504 upstream failures).
    """
    proxy = _proxy(services)
    request_id = request_id or new_request_id()
    outbound = {name.lower(): value for name, value in (headers or {}).items()}
    outbound.setdefault("x-ms-client-request-id", request_id)
    call = Call(request_id=request_id, principal=await _principal(services, principal),
                connection=connection, connector_id=None, method=method.upper(),
                path=path if path.startswith("/") else "/" + path, query=list(query),
                headers=outbound, body=body,
                content_length=str(len(body)) if body is not None else None)
    return await _whole(await proxy.run_path(call), services)


async def call_connection_operation(services: Services, principal: str, connection: str,
                                    operation_id: str, arguments: Mapping[str, Any], *,
                                    request_id: str = "") -> Answer:
    """Call a connection's operation by id with its parameters as a JSON object.

    Raises:
        gateway.PortwayError: As ``call_connection``.
    """
    proxy = _proxy(services)
    response = await proxy.call_operation(await _principal(services, principal), connection,
                                          operation_id, dict(arguments),
                                          request_id=request_id)
    return await _whole(response, services)


async def send_http(services: Services, method: str, url: str, *,
                    headers: Mapping[str, str] | None = None, body: bytes | None = None,
                    connect_timeout: float = 30.0, read_timeout: float = 120.0,
                    total_timeout: float = 230.0) -> Answer:
    """Send one request to a URL through the egress guard; no retries (the caller's
    retry policy decides), no credentials added.

    Raises:
        EgressDenied: The guard refused the URL.
        UpstreamUnreachable, UpstreamTimeout: The exchange failed.
    """
    return await outbound.send(
        _proxy(services).upstream, services.egress, method, url, headers=headers, body=body,
        timeouts=Timeouts(connect_timeout, read_timeout, total_timeout),
        max_bytes=services.settings.egress.max_response_bytes)


def _proxy(services: Services) -> Proxy:
    if services.proxy is None:
        raise RuntimeError("the gateway's data plane has not started")
    return services.proxy


async def _principal(services: Services, name: str) -> Principal:
    try:
        found = await services.db.run(services.principals.get, name)
    except NotFound:
        found = None
    if found is None:
        raise Unauthenticated(f"no principal {name!r}")
    return found


async def _whole(response: UpstreamResponse, services: Services) -> Answer:
    try:
        body = await response.read(services.settings.egress.max_response_bytes)
    finally:
        await response.aclose()
    return Answer(status=response.status, headers=list(response.headers), body=body)
