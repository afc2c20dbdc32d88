"""The connector catalogue: list, read, upload (PUT), versions, delete, validate."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import importers
from gateway.api.auth import authenticate, services_of
from gateway.api.bodies import read_body
from gateway.api.errors import request_id_of
from gateway.catalogue import store_import
from gateway.errors import BadRequest
from gateway.security.access import require_role
from gateway.store.principals import validate_name

_TRUE = ("1", "true", "yes")


async def list_connectors(request: Request) -> Response:
    caller = await authenticate(request)
    require_role(caller, "reader")
    services = services_of(request)
    q = request.query_params
    items = await services.db.run(lambda: services.connectors.summaries(
        kind=q.get("kind"), tier=q.get("tier"), text=q.get("q") or q.get("text")))
    return JSONResponse({"value": items})


async def get_connector(request: Request) -> Response:
    caller = await authenticate(request)
    connector_id = request.path_params["id"]
    require_role(caller, "reader", f"connectors/{connector_id}")
    services = services_of(request)
    version = request.query_params.get("version")
    if version is not None and not (version.isascii() and version.isdigit()
                                    and 0 < len(version) <= 9):
        raise BadRequest("version must be a whole number from 1 to 999999999",
                         details=[{"parameter": "version"}])
    stored = await services.db.run(
        services.connectors.get, connector_id, int(version) if version else None)
    body = stored.connector.model_dump(mode="json", exclude={"documents"})
    body["versionNumber"] = stored.version
    body["warnings"] = [f.model_dump() for f in stored.findings]
    return JSONResponse(body)


async def connector_versions(request: Request) -> Response:
    caller = await authenticate(request)
    connector_id = request.path_params["id"]
    require_role(caller, "reader", f"connectors/{connector_id}")
    services = services_of(request)
    return JSONResponse({"value": await services.db.run(services.connectors.versions,
                                                        connector_id)})


async def put_connector(request: Request) -> Response:
    caller = await authenticate(request)
    connector_id = validate_name(request.path_params["id"], "connector")
    require_role(caller, "contributor", f"connectors/{connector_id}")
    services = services_of(request)
    data, filename, properties = await _read_upload(request)
    allow_breaking = request.query_params.get("allowBreaking", "").lower() in _TRUE
    result = await services.db.run(lambda: importers.import_document(
        data, filename=filename, connector_id=connector_id, properties=properties,
        fetch=services.fetcher))
    if result.connector is None or result.errors:
        return JSONResponse(_error_of(result, request_id_of(request)), status_code=422)
    stored = await services.db.run(
        lambda: store_import(services, result, allow_breaking=allow_breaking))
    await services.db.run(lambda: services.audit.record(
        actor=caller.name, action="connector.put", resource=f"connectors/{connector_id}",
        outcome="ok", details={"version": stored.version}, request_id=request_id_of(request)))
    body = importers.result_json(result)
    body["version"] = stored.version
    body["breakingChanges"] = [f.model_dump() for f in stored.breaking]
    return JSONResponse(body, status_code=201 if stored.version == 1 else 200)


async def delete_connector(request: Request) -> Response:
    caller = await authenticate(request)
    connector_id = request.path_params["id"]
    require_role(caller, "contributor", f"connectors/{connector_id}")
    services = services_of(request)
    await services.db.run(services.connectors.delete, connector_id)
    await services.db.run(lambda: services.audit.record(
        actor=caller.name, action="connector.delete", resource=f"connectors/{connector_id}",
        outcome="ok", request_id=request_id_of(request)))
    return Response(status_code=204)


async def validate_connector(request: Request) -> Response:
    caller = await authenticate(request)
    require_role(caller, "reader")
    services = services_of(request)
    data, filename, properties = await _read_upload(request)
    connector_id = request.query_params.get("name") or "validation"
    result = await services.db.run(lambda: importers.import_document(
        data, filename=filename, connector_id=connector_id, properties=properties,
        fetch=services.fetcher, with_lint=True))
    body = importers.result_json(result)
    body["valid"] = not result.errors
    return JSONResponse(body)


async def _read_upload(request: Request) -> tuple[bytes, str, bytes | None]:
    limit = services_of(request).settings.limits.max_spec_bytes
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        async with request.form(max_files=2, max_fields=10, max_part_size=limit) as form:
            spec = form.get("spec") or form.get("apiDefinition") or form.get("file")
            properties = form.get("apiProperties")
            if spec is None:
                raise BadRequest("the multipart upload needs a 'spec' part")
            data, filename = await _part_bytes(spec, "spec", limit)
            props = None
            if properties is not None:
                props, _ = await _part_bytes(properties, "apiProperties", limit)
            return data, filename, props
    data = await read_body(request, limit)
    if not data.strip():
        raise BadRequest("the body is empty: send the spec (JSON, YAML or XML)")
    filename = {"application/json": "spec.json", "application/xml": "spec.wsdl",
                "text/xml": "spec.wsdl"}.get(content_type.split(";")[0].strip(), "spec")
    return data, filename, None


async def _part_bytes(part: Any, name: str, limit: int) -> tuple[bytes, str]:
    if isinstance(part, UploadFile):
        data = await part.read(limit + 1)
        filename = part.filename or name
    else:
        data = str(part).encode("utf-8")
        filename = name
    if len(data) > limit:
        raise BadRequest(f"the {name!r} part is over {limit} bytes")
    return data, filename


def _error_of(result: importers.ImportResult, request_id: str) -> dict[str, Any]:
    errors = result.errors
    message = errors[0].message if errors else "the document did not import"
    return {"error": {"code": "InvalidSpec", "message": message, "requestId": request_id,
                      "details": [f.model_dump() for f in result.findings]}}


routes = [
    Route("/v1/connectors", list_connectors, methods=["GET"]),
    Route("/v1/connectors/validate", validate_connector, methods=["POST"]),
    Route("/v1/connectors/{id}", get_connector, methods=["GET"]),
    Route("/v1/connectors/{id}", put_connector, methods=["PUT"]),
    Route("/v1/connectors/{id}", delete_connector, methods=["DELETE"]),
    Route("/v1/connectors/{id}/versions", connector_versions, methods=["GET"]),
]
