"""What one connection offers: its operations, and an OpenAPI document for calling them.

* ``GET /v1/connections/{name}/operations`` — the operations of the connection's current
  connector version (id, kind, method, path, summary, whether it can be called), paged.
* ``GET /v1/connections/{name}/openapi.json`` — the connector's OpenAPI 3 document as a
  caller of *this connection* sees it, ready for Swagger UI or a client generator: its
  server is ``/apim/{connector}/{connection}`` on this gateway, its security is the
  gateway's bearer token (the upstream's credentials are the gateway's to add, so the
  upstream's security schemes are left out), operations Portway cannot carry out are
  marked deprecated with the reason, and the inputs the data plane fills with their
  defaults (``gateway.proxy.defaults``: internal or required ones) are optional.

Both need the reader role on the connection.
"""

from __future__ import annotations

import copy
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.api.auth import authenticate, services_of
from gateway.api.paging import PAGING, page
from gateway.api.strict import check_query
from gateway.proxy.defaults import fills_parameter, without_filled_required
from gateway.security.access import require_role
from importers import Connector

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


async def _connector_of(request: Request) -> tuple[str, Connector]:
    caller = await authenticate(request)
    name = request.path_params["name"]
    require_role(caller, "reader", f"connections/{name}", action="connection.read")
    services = services_of(request)
    record = await services.db.run(services.connections.get, name)
    stored = await services.db.run(services.connectors.get, record.connector_id)
    return name, stored.connector


async def list_operations(request: Request) -> Response:
    check_query(request, *PAGING)
    _name, connector = await _connector_of(request)
    items = sorted(({
        "operationId": op.operation_id, "kind": op.kind, "method": op.method,
        "path": op.path, "summary": op.summary, "description": op.description,
        "deprecated": op.deprecated, "visibility": op.visibility,
        "callable": op.unsupported is None, "unsupported": op.unsupported,
    } for op in connector.operations), key=lambda item: str(item["operationId"]))
    return JSONResponse(page(request, items, key="operationId"))


async def connection_openapi(request: Request) -> Response:
    check_query(request)
    name, connector = await _connector_of(request)
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return JSONResponse(connection_document(connector, name, origin))


def connection_document(connector: Connector, connection: str, origin: str
                        ) -> dict[str, Any]:
    """The connector's OpenAPI 3 document, addressed to ``connection`` on this gateway."""
    document: dict[str, Any] = copy.deepcopy(connector.openapi) if connector.openapi else {
        "openapi": "3.0.3", "paths": {}}
    info = document.setdefault("info", {})
    info.setdefault("title", connector.display_name or connector.id)
    info.setdefault("version", "1")
    info["x-portway-connection"] = connection
    document["servers"] = [{"url": f"{origin}/apim/{connector.id}/{connection}",
                            "description": f"connection {connection!r} through Portway"}]
    components = document.setdefault("components", {})
    components["securitySchemes"] = {"portway": {
        "type": "http", "scheme": "bearer",
        "description": "A Portway bearer token; the upstream's credentials are added by "
                       "the gateway"}}
    document["security"] = [{"portway": []}]
    unsupported = {op.operation_id: op.unsupported for op in connector.operations
                   if op.unsupported}
    for item in (document.get("paths") or {}).values():
        if not isinstance(item, dict):
            continue
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            operation.pop("security", None)
            _filled_inputs_optional(document, operation)
            reason = unsupported.get(str(operation.get("operationId")))
            if reason:
                operation["deprecated"] = True
                operation["description"] = (
                    f"{operation.get('description', '')}\n\nNot callable: {reason} "
                    "(answers 501).").strip()
    return document


def _filled_inputs_optional(document: dict[str, Any], operation: dict[str, Any]) -> None:
    """A caller may leave out what the gateway fills in: those inputs are not required."""
    parameters = operation.get("parameters")
    if not isinstance(parameters, list):
        parameters = []
    for index, parameter in enumerate(parameters):
        resolved = _local(document, parameter)
        if isinstance(resolved, dict) and resolved.get("required") and fills_parameter(resolved):
            parameters[index] = {**resolved, "required": False}
    body = operation.get("requestBody")
    content = body.get("content") if isinstance(body, dict) else None
    for media in (content or {}).values() if isinstance(content, dict) else ():
        if isinstance(media, dict):
            without_filled_required(media.get("schema"))


def _local(document: dict[str, Any], node: Any) -> Any:
    """``node``, or what its local ``$ref`` (``#/components/parameters/X``) names."""
    ref = node.get("$ref") if isinstance(node, dict) else None
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    target: Any = document
    for part in ref[2:].split("/"):
        target = target.get(part.replace("~1", "/").replace("~0", "~")) \
            if isinstance(target, dict) else None
    return target


routes = [
    Route("/v1/connections/{name}/operations", list_operations, methods=["GET"]),
    Route("/v1/connections/{name}/openapi.json", connection_openapi, methods=["GET"]),
]
