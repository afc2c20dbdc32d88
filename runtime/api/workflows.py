"""Workflows and app settings over HTTP: ``/v1/workflows[/{name}]`` (GET, PUT, DELETE),
``/v1/workflows/{name}/enable|disable``, ``/v1/workflows/{name}/regenerateAccessKey``
(Logic Apps' ``Workflows_RegenerateAccessKey``: a new trigger-signing key, so every
callback URL given out before answers 401), ``/v1/appsettings[/{name}]``.

A PUT is validated whole before anything is stored (``runtime.definitions.check``): a bad
definition gets 400 with every finding's file and JSON pointer in ``details``, and nothing
changes.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import (
    BadRequest,
    PayloadTooLarge,
    authenticate,
    read_json_object,
    require_role,
)
from runtime.api.common import audit, caller_with, host_of_request, valid_name
from runtime.definitions import check, from_body
from runtime.definitions.limits import MAX_DEFINITION_BYTES


async def list_workflows(request: Request) -> Response:
    caller = await authenticate(request)
    host = host_of_request(request)
    records = await host.services.db.run(host.workflows.all)
    return JSONResponse({"value": [r.public() for r in records
                                   if caller.role_on(f"workflows/{r.name}")]})


async def get_workflow(request: Request) -> Response:
    name = request.path_params["name"]
    await caller_with(request, "reader", f"workflows/{name}", action="workflow.read")
    host = host_of_request(request)
    record = await host.services.db.run(host.workflows.get, name)
    return JSONResponse(record.public())


async def put_workflow(request: Request) -> Response:
    caller = await authenticate(request)
    name = valid_name(request.path_params["name"], "workflow")
    require_role(caller, "contributor", f"workflows/{name}", action="workflow.put")
    host = host_of_request(request)
    body = await read_json_object(request)
    if len(json.dumps(body.get("definition"))) > MAX_DEFINITION_BYTES:
        raise PayloadTooLarge(f"a definition is at most {MAX_DEFINITION_BYTES} bytes")
    spec = from_body(name, body)
    await host.services.db.run(check, [spec])
    [(record, outcome)] = await host.services.db.run(host.workflows.put_many, [spec])
    await audit(request, caller.name, f"workflow.{'create' if outcome == 'created' else 'update'}",
                f"workflows/{name}", {"version": record.version, "outcome": outcome})
    return JSONResponse(record.public(), status_code=201 if outcome == "created" else 200)


async def delete_workflow(request: Request) -> Response:
    name = request.path_params["name"]
    caller = await caller_with(request, "contributor", f"workflows/{name}",
                               action="workflow.delete")
    host = host_of_request(request)
    await host.services.db.run(host.workflows.delete, name)
    await audit(request, caller.name, "workflow.delete", f"workflows/{name}")
    return Response(status_code=204)


async def _set_enabled(request: Request, enabled: bool) -> Response:
    name = request.path_params["name"]
    verb = "enable" if enabled else "disable"
    caller = await caller_with(request, "contributor", f"workflows/{name}",
                               action=f"workflow.{verb}")
    host = host_of_request(request)
    record = await host.services.db.run(host.workflows.set_enabled, name, enabled)
    await audit(request, caller.name, f"workflow.{verb}", f"workflows/{name}")
    return JSONResponse(record.public())


async def enable_workflow(request: Request) -> Response:
    return await _set_enabled(request, True)


async def disable_workflow(request: Request) -> Response:
    return await _set_enabled(request, False)


#: ``keyType`` values of Logic Apps' regenerateAccessKey; Portway signs with one key.
_KEY_TYPES = ("NotSpecified", "Primary")


async def regenerate_access_key(request: Request) -> Response:
    name = request.path_params["name"]
    caller = await caller_with(request, "contributor", f"workflows/{name}",
                               action="workflow.regeneratekey")
    body = await read_json_object(request)  # {} when there is none
    unknown = sorted(set(body) - {"keyType"})
    if unknown:
        raise BadRequest(f"regenerateAccessKey takes only keyType, not {unknown[0]!r}")
    if body.get("keyType", "Primary") not in _KEY_TYPES:
        raise BadRequest("keyType must be Primary (or NotSpecified): Portway signs "
                         "callback URLs with one key per workflow")
    host = host_of_request(request)
    await host.services.db.run(host.workflows.rotate_trigger_key, name)
    await audit(request, caller.name, "workflow.regeneratekey", f"workflows/{name}")
    return Response(status_code=200)


async def get_appsettings(request: Request) -> Response:
    await caller_with(request, "reader", "appsettings", action="appsettings.read")
    host = host_of_request(request)
    names = await host.services.db.run(host.app_settings.names)
    return JSONResponse({"value": names})


async def put_appsettings(request: Request) -> Response:
    caller = await caller_with(request, "contributor", "appsettings", action="appsettings.put")
    host = host_of_request(request)
    body: dict[str, Any] = await read_json_object(request)
    bad = [key for key, value in body.items() if not isinstance(value, str) or not key]
    if bad:
        raise BadRequest("app settings are a JSON object of strings",
                         details=[{"pointer": "/" + key.replace("~", "~0").replace("/", "~1")}
                                  for key in bad[:20]])
    await host.services.db.run(host.app_settings.merge, body)
    await audit(request, caller.name, "appsettings.put", "appsettings",
                {"names": sorted(body)})
    names = await host.services.db.run(host.app_settings.names)
    return JSONResponse({"value": names})


async def delete_appsetting(request: Request) -> Response:
    caller = await caller_with(request, "contributor", "appsettings", action="appsettings.delete")
    host = host_of_request(request)
    name = request.path_params["name"]
    await host.services.db.run(host.app_settings.delete, name)
    await audit(request, caller.name, "appsettings.delete", "appsettings", {"name": name})
    return Response(status_code=204)


routes = [
    Route("/v1/workflows", list_workflows, methods=["GET"]),
    Route("/v1/workflows/{name}", get_workflow, methods=["GET"]),
    Route("/v1/workflows/{name}", put_workflow, methods=["PUT"]),
    Route("/v1/workflows/{name}", delete_workflow, methods=["DELETE"]),
    Route("/v1/workflows/{name}/enable", enable_workflow, methods=["POST"]),
    Route("/v1/workflows/{name}/disable", disable_workflow, methods=["POST"]),
    Route("/v1/workflows/{name}/regenerateAccessKey", regenerate_access_key,
          methods=["POST"]),
    Route("/v1/appsettings", get_appsettings, methods=["GET"]),
    Route("/v1/appsettings", put_appsettings, methods=["PUT"]),
    Route("/v1/appsettings/{name}", delete_appsetting, methods=["DELETE"]),
]
