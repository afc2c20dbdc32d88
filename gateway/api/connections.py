"""Connections: create or replace (PUT), read, list, patch, delete, access policies."""

from __future__ import annotations

import fnmatch
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.api.auth import authenticate, services_of
from gateway.api.bodies import read_json_object, string_field, string_map
from gateway.api.errors import request_id_of
from gateway.connections import split_parameters
from gateway.errors import BadRequest, Forbidden
from gateway.security.access import require_role
from gateway.store.principals import validate_name


def _parameters(body: dict[str, Any]) -> dict[str, Any]:
    value = body.get("parameters", {})
    if not isinstance(value, dict):
        raise BadRequest("'parameters' must be an object", details=[{"pointer": "/parameters"}])
    return value


async def list_connections(request: Request) -> Response:
    caller = await authenticate(request)
    services = services_of(request)
    records = await services.db.run(services.connections.all)
    visible = [r.public() for r in records if caller.role_on(f"connections/{r.name}")]
    return JSONResponse({"value": visible})


async def get_connection(request: Request) -> Response:
    caller = await authenticate(request)
    name = request.path_params["name"]
    require_role(caller, "reader", f"connections/{name}")
    services = services_of(request)
    record = await services.db.run(services.connections.get, name)
    return JSONResponse(record.public())


async def put_connection(request: Request) -> Response:
    caller = await authenticate(request)
    name = validate_name(request.path_params["name"], "connection")
    require_role(caller, "contributor", f"connections/{name}")
    services = services_of(request)
    body = await read_json_object(request)
    connector_id = string_field(body, "connector", required=True)
    _check_connector_policy(services.settings.policy.forbidden_connectors, connector_id)
    connector = (await services.db.run(services.connectors.get, connector_id)).connector
    public, secret = split_parameters(connector, _parameters(body))
    record, created = await services.db.run(lambda: services.connections.put(
        name=name, connector_id=connector_id,
        display_name=string_field(body, "displayName", default=name),
        tags=string_map(body, "tags") or {}, parameters=public, secrets=secret,
        status="Connected", status_reason="", created_by=caller.name))
    await services.db.run(lambda: services.audit.record(
        actor=caller.name, action="connection.create" if created else "connection.update",
        resource=f"connections/{name}", outcome="ok",
        details={"connector": connector_id, "secretParameters": sorted(secret)},
        request_id=request_id_of(request)))
    return JSONResponse(record.public(), status_code=201 if created else 200)


async def patch_connection(request: Request) -> Response:
    caller = await authenticate(request)
    name = request.path_params["name"]
    require_role(caller, "contributor", f"connections/{name}")
    services = services_of(request)
    body = await read_json_object(request)
    unknown = set(body) - {"tags", "displayName", "parameters"}
    if unknown:
        raise BadRequest(f"cannot patch {sorted(unknown)!r}; patch tags, displayName or "
                         "parameters")
    record = await services.db.run(services.connections.get, name)
    fields: dict[str, Any] = {}
    if "tags" in body:
        fields["tags"] = string_map(body, "tags") or {}
    if "displayName" in body:
        fields["display_name"] = string_field(body, "displayName")
    secret: dict[str, str] = {}
    if "parameters" in body:
        connector = (await services.db.run(services.connectors.get,
                                           record.connector_id)).connector
        merged = {**record.parameters, **_parameters(body)}
        public, secret = split_parameters(connector, merged)
        fields["parameters"] = public
    if fields:
        record = await services.db.run(lambda: services.connections.update_fields(name, **fields))
    if secret:
        await services.db.run(services.connections.update_secrets, name, secret)
        record = await services.db.run(services.connections.get, name)
    await services.db.run(lambda: services.audit.record(
        actor=caller.name, action="connection.update", resource=f"connections/{name}",
        outcome="ok", details={"fields": sorted(body)}, request_id=request_id_of(request)))
    return JSONResponse(record.public())


async def delete_connection(request: Request) -> Response:
    caller = await authenticate(request)
    name = request.path_params["name"]
    require_role(caller, "contributor", f"connections/{name}")
    services = services_of(request)
    await services.db.run(services.connections.delete, name)
    await services.db.run(lambda: services.audit.record(
        actor=caller.name, action="connection.delete", resource=f"connections/{name}",
        outcome="ok", request_id=request_id_of(request)))
    return Response(status_code=204)


async def put_access_policy(request: Request) -> Response:
    caller = await authenticate(request)
    name = request.path_params["name"]
    principal = validate_name(request.path_params["principal"])
    require_role(caller, "owner", f"connections/{name}")
    services = services_of(request)
    await services.db.run(services.connections.grant_access, name, principal)
    await services.db.run(lambda: services.audit.record(
        actor=caller.name, action="access-policy.put", resource=f"connections/{name}",
        outcome="ok", details={"principal": principal}, request_id=request_id_of(request)))
    return JSONResponse({"connection": name, "principal": principal}, status_code=200)


async def delete_access_policy(request: Request) -> Response:
    caller = await authenticate(request)
    name = request.path_params["name"]
    principal = request.path_params["principal"]
    require_role(caller, "owner", f"connections/{name}")
    services = services_of(request)
    await services.db.run(services.connections.revoke_access, name, principal)
    await services.db.run(lambda: services.audit.record(
        actor=caller.name, action="access-policy.delete", resource=f"connections/{name}",
        outcome="ok", details={"principal": principal}, request_id=request_id_of(request)))
    return Response(status_code=204)


def _check_connector_policy(patterns: tuple[str, ...], connector_id: str) -> None:
    for pattern in patterns:
        if fnmatch.fnmatchcase(connector_id, pattern):
            raise Forbidden(
                f"policy forbids connections to connector {connector_id!r} "
                f"(rule {pattern!r})", details=[{"check": "policy", "rule": pattern}])


routes = [
    Route("/v1/connections", list_connections, methods=["GET"]),
    Route("/v1/connections/{name}", get_connection, methods=["GET"]),
    Route("/v1/connections/{name}", put_connection, methods=["PUT"]),
    Route("/v1/connections/{name}", patch_connection, methods=["PATCH"]),
    Route("/v1/connections/{name}", delete_connection, methods=["DELETE"]),
    Route("/v1/connections/{name}/access-policies/{principal}", put_access_policy,
          methods=["PUT"]),
    Route("/v1/connections/{name}/access-policies/{principal}", delete_access_policy,
          methods=["DELETE"]),
]
