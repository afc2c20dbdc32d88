"""Workflows, as far as the linked access check needs them: PUT, GET and DELETE
/v1/workflows/{name} with a definition and its connection references.

The body is ``{"definition": {...}, "connectionReferences": {"<ref>": {"connection":
"<name>"}}}``; a reference may also be a bare connection name, or Logic Apps' shape
(``connectionName`` or a ``connectionId`` ending in ``/connections/<name>``). The runtime
that runs workflows comes later; this resource gives each workflow its own principal.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.api.auth import authenticate, forget_cached_principals, services_of
from gateway.api.bodies import read_json_object
from gateway.api.errors import request_id_of
from gateway.errors import BadRequest
from gateway.security.access import require_role
from gateway.store.principals import validate_name
from gateway.store.workflows import WorkflowStore


def connection_references(body: dict[str, Any]) -> dict[str, str]:
    """The body's connection references as {reference: connection name}."""
    raw = body.get("connectionReferences", {})
    if not isinstance(raw, dict):
        raise BadRequest("'connectionReferences' must be an object",
                         details=[{"pointer": "/connectionReferences"}])
    references: dict[str, str] = {}
    for reference, value in raw.items():
        pointer = f"/connectionReferences/{reference}"
        name: Any = value
        if isinstance(value, dict):
            name = value.get("connection") or value.get("connectionName")
            if not name and isinstance(value.get("connectionId"), str):
                name = value["connectionId"].rstrip("/").rsplit("/", 1)[-1]
        if not isinstance(name, str) or not name:
            raise BadRequest(f"connection reference {reference!r} names no connection",
                             details=[{"pointer": pointer}])
        references[str(reference)] = validate_name(name, "connection")
    return references


async def put_workflow(request: Request) -> Response:
    caller = await authenticate(request)
    name = validate_name(request.path_params["name"], "workflow")
    require_role(caller, "contributor", f"workflows/{name}", action="workflow.put")
    body = await read_json_object(request)
    definition = body.get("definition", {})
    if not isinstance(definition, dict):
        raise BadRequest("'definition' must be an object", details=[{"pointer": "/definition"}])
    unknown = set(body) - {"definition", "connectionReferences"}
    if unknown:
        raise BadRequest(f"unknown fields {sorted(unknown)!r}")
    references = connection_references(body)
    services = services_of(request)
    store = WorkflowStore(services.db)
    record, created = await services.db.run(store.put, name, definition, references)
    await services.db.run(lambda: services.audit.record(
        actor=caller.name, action="workflow.create" if created else "workflow.update",
        resource=f"workflows/{name}", outcome="ok",
        details={"connections": sorted(set(references.values()))},
        request_id=request_id_of(request)))
    return JSONResponse(record.public(), status_code=201 if created else 200)


async def get_workflow(request: Request) -> Response:
    caller = await authenticate(request)
    name = request.path_params["name"]
    require_role(caller, "reader", f"workflows/{name}", action="workflow.read")
    services = services_of(request)
    record = await services.db.run(WorkflowStore(services.db).get, name)
    return JSONResponse(record.public())


async def delete_workflow(request: Request) -> Response:
    caller = await authenticate(request)
    name = request.path_params["name"]
    require_role(caller, "contributor", f"workflows/{name}", action="workflow.delete")
    services = services_of(request)
    await services.db.run(WorkflowStore(services.db).delete, name)
    forget_cached_principals(services)  # its principal's tokens die with it
    await services.db.run(lambda: services.audit.record(
        actor=caller.name, action="workflow.delete", resource=f"workflows/{name}",
        outcome="ok", request_id=request_id_of(request)))
    return Response(status_code=204)


routes = [
    Route("/v1/workflows/{name}", get_workflow, methods=["GET"]),
    Route("/v1/workflows/{name}", put_workflow, methods=["PUT"]),
    Route("/v1/workflows/{name}", delete_workflow, methods=["DELETE"]),
]
