"""The connector catalogue: list, read, upload (PUT), versions, delete, validate.

Built-in connectors (``gateway.catalogue.builtin_connectors``) are listed and read beside
the stored ones, with one version; uploads and deletes under their ids are refused.
"""

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
from gateway.api.paging import PAGING, page
from gateway.api.strict import check_query
from gateway.catalogue import (
    KINDS,
    NETWORKS,
    TIERS,
    builtin_connectors,
    catalogue_summaries,
    check_deletable,
    check_not_builtin,
    store_import,
)
from gateway.errors import (
    BadRequest,
    NotFound,
    PayloadTooLarge,
    PortwayError,
    SpecTooLargeError,
)
from gateway.policies.checking import with_policy_findings
from gateway.security.access import require_role
from gateway.store.principals import validate_name

_TRUE = ("1", "true", "yes")
_FALSE = ("", "0", "false", "no")
# The file name the importer is given for a body of each media type: it tells YAML and
# XML from JSON in messages (the importer also sniffs the bytes).
_FILENAMES = {
    "application/json": "spec.json", "text/json": "spec.json",
    "application/yaml": "spec.yaml", "application/x-yaml": "spec.yaml",
    "text/yaml": "spec.yaml", "text/x-yaml": "spec.yaml",
    "application/xml": "spec.wsdl", "text/xml": "spec.wsdl", "application/wsdl+xml": "spec.wsdl",
    "application/zip": "spec.zip", "application/x-zip-compressed": "spec.zip",
}
# Room for the multipart framing and a few small fields around the two documents.
_MULTIPART_SLACK = 64 * 1024


def builtins_of(request: Request) -> dict[str, importers.Connector]:
    """The built-in connectors of the app's extensions."""
    return builtin_connectors(getattr(request.app.state, "extensions", ()))


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadRequest(f"{name} must be true or false", details=[{"parameter": name}])


def _label(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}",
                         details=[{"parameter": name, "value": value[:100]}])
    return value


async def list_connectors(request: Request) -> Response:
    """``GET /v1/connectors?kind=&tier=&network=&q=``: the catalogue, one summary per
    connector, a page at a time (``gateway.api.paging``)."""
    caller = await authenticate(request)
    require_role(caller, "reader")
    check_query(request, "kind", "tier", "network", "q", "text", *PAGING)
    services = services_of(request)
    kind = _label(request, "kind", KINDS)
    tier = _label(request, "tier", TIERS)
    network = _label(request, "network", NETWORKS)
    text = request.query_params.get("q") or request.query_params.get("text")
    builtins = builtins_of(request)
    items = await services.db.run(lambda: catalogue_summaries(
        services, builtins, kind=kind, tier=tier, network=network, text=text))
    return JSONResponse(page(request, items, key="id"))


async def get_connector(request: Request) -> Response:
    """``GET /v1/connectors/{id}[?version=N]``: the whole definition of a version."""
    caller = await authenticate(request)
    connector_id = request.path_params["id"]
    require_role(caller, "reader", f"connectors/{connector_id}")
    check_query(request, "version")
    services = services_of(request)
    version = request.query_params.get("version")
    if version is not None and not (version.isascii() and version.isdigit()
                                    and 0 < len(version) <= 9 and int(version) > 0):
        raise BadRequest("version must be a whole number from 1 to 999999999",
                         details=[{"parameter": "version"}])
    builtin = builtins_of(request).get(connector_id)
    if builtin is not None:
        if version not in (None, "1"):
            raise NotFound(f"connector {connector_id!r} has no version {version}")
        body = builtin.model_dump(mode="json", by_alias=True, exclude={"documents"})
        line = _builtin_version(builtin)
        body.update(versionNumber=line["version"], source=line["source"],
                    createdAt=line["createdAt"], warnings=[])
        return JSONResponse(body)
    stored = await services.db.run(
        services.connectors.get, connector_id, int(version) if version else None)
    body = stored.connector.model_dump(mode="json", by_alias=True, exclude={"documents"})
    body["versionNumber"] = stored.version
    body["source"] = stored.source
    body["createdAt"] = stored.created_at
    body["warnings"] = [f.model_dump(exclude_none=True) for f in stored.findings]
    return JSONResponse(body)


async def connector_versions(request: Request) -> Response:
    """``GET /v1/connectors/{id}/versions``: every stored version, oldest first."""
    caller = await authenticate(request)
    connector_id = request.path_params["id"]
    require_role(caller, "reader", f"connectors/{connector_id}")
    check_query(request)
    services = services_of(request)
    builtin = builtins_of(request).get(connector_id)
    if builtin is not None:
        return JSONResponse({"current": 1, "value": [_builtin_version(builtin)]})
    current = await services.db.run(services.connectors.current_version, connector_id)
    versions = await services.db.run(services.connectors.versions, connector_id)
    return JSONResponse({"current": current, "value": versions})


async def put_connector(request: Request) -> Response:
    """``PUT /v1/connectors/{id}``: upload a spec as a new version of connector ``id``.

    The body is the spec (JSON, YAML or WSDL), a zip holding one connector (a Power
    Platform folder), or multipart with ``spec`` and ``apiProperties`` parts.
    ``allowBreaking=true`` accepts breaking changes; ``dryRun=true`` checks everything
    and stores nothing. 201 for a new connector, 200 for a new version or an unchanged
    re-upload.
    """
    caller = await authenticate(request)
    connector_id = validate_name(request.path_params["id"], "connector")
    require_role(caller, "contributor", f"connectors/{connector_id}")
    check_query(request, "allowBreaking", "dryRun")
    services = services_of(request)
    check_not_builtin(connector_id, builtins_of(request))
    allow_breaking = _flag(request, "allowBreaking")
    dry_run = _flag(request, "dryRun")
    data, filename, properties = await _read_upload(request)
    result = await services.db.run(lambda: importers.import_document(
        data, filename=filename, connector_id=connector_id, properties=properties,
        fetch=services.fetcher))
    result = with_policy_findings(result)
    if result.connector is None or result.errors:
        too_large = any(f.rule == SpecTooLargeError.code for f in result.errors)
        return JSONResponse(_error_of(result, request_id_of(request)),
                            status_code=413 if too_large else 422,
                            headers={"x-request-id": request_id_of(request)})
    try:
        stored = await services.db.run(lambda: store_import(
            services, result, allow_breaking=allow_breaking, dry_run=dry_run))
    except PortwayError as exc:
        await _audit(request, caller.name, "connector.put", connector_id, "failed",
                     {"code": exc.code})
        raise
    if not dry_run and not stored.unchanged:
        await _audit(request, caller.name, "connector.put", connector_id, "ok",
                     {"version": stored.version,
                      "breakingChanges": [f.rule for f in stored.breaking]})
    body = importers.result_json(stored.result)
    body.update(stored.json())
    body["dryRun"] = dry_run
    created = stored.version == 1 and not stored.unchanged and not dry_run
    if created:
        return JSONResponse(body, status_code=201,
                            headers={"location": f"/v1/connectors/{connector_id}"})
    return JSONResponse(body)


async def delete_connector(request: Request) -> Response:
    """``DELETE /v1/connectors/{id}[?force=true]``: remove it and every version.

    Refused (409 ``ConnectorInUse``, naming them) while connections use it, unless
    ``force=true``, which keeps those connections in status ``Error``.
    """
    caller = await authenticate(request)
    connector_id = request.path_params["id"]
    require_role(caller, "contributor", f"connectors/{connector_id}")
    check_query(request, "force")
    services = services_of(request)
    check_not_builtin(connector_id, builtins_of(request))
    force = _flag(request, "force")
    current = await services.db.run(services.connectors.get, connector_id)
    await services.db.run(check_deletable, services, current.connector)
    try:
        orphaned = await services.db.run(
            lambda: services.connectors.delete(connector_id, force=force))
    except PortwayError as exc:
        await _audit(request, caller.name, "connector.delete", connector_id, "failed",
                     {"code": exc.code})
        raise
    await _audit(request, caller.name, "connector.delete", connector_id, "ok",
                 {"force": force, "connectionsInError": orphaned})
    return Response(status_code=204)


def _builtin_version(connector: importers.Connector) -> dict[str, Any]:
    """The one version of a built-in connector: defined by its provider, not stored."""
    return {"version": 1, "createdAt": None,
            "source": f"builtin:{connector.metadata.get('serviceProviderId', '')}"}


async def _audit(request: Request, actor: str, action: str, connector_id: str, outcome: str,
                 details: dict[str, Any]) -> None:
    services = services_of(request)
    await services.db.run(lambda: services.audit.record(
        actor=actor, action=action, resource=f"connectors/{connector_id}", outcome=outcome,
        details=details, request_id=request_id_of(request)))


async def validate_connector(request: Request) -> Response:
    """``POST /v1/connectors/validate``: parse and lint an upload; stores nothing.

    Answers 200 with the ``--json`` line's fields plus ``valid`` (no error-level
    finding); a request that carries no document at all is a 400.
    """
    caller = await authenticate(request)
    require_role(caller, "reader")
    check_query(request, "name")
    services = services_of(request)
    data, filename, properties = await _read_upload(request)
    connector_id = request.query_params.get("name") or "validation"
    result = await services.db.run(lambda: importers.import_document(
        data, filename=filename, connector_id=connector_id, properties=properties,
        fetch=services.fetcher, with_lint=True))
    result = with_policy_findings(result)
    body = importers.result_json(result)
    body["valid"] = not result.errors
    return JSONResponse(body)


async def _read_upload(request: Request) -> tuple[bytes, str, bytes | None]:
    """The spec, a file name for it, and the apiProperties.json bytes if any."""
    limit = services_of(request).settings.limits.max_spec_bytes
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        # Read the whole body under a cap first: starlette spools file parts to disk
        # without a size limit of its own.
        raw = await read_body(request, 2 * limit + _MULTIPART_SLACK)
        replay = Request(request.scope, _replay(raw))
        async with replay.form(max_files=2, max_fields=10, max_part_size=limit) as form:
            spec = form.get("spec") or form.get("apiDefinition") or form.get("file")
            properties = form.get("apiProperties")
            if spec is None:
                raise BadRequest("the multipart upload needs a 'spec' part (and optionally "
                                 "'apiProperties')", details=[{"part": "spec"}])
            data, filename = await _part_bytes(spec, "spec", limit)
            props = None
            if properties is not None:
                props, _ = await _part_bytes(properties, "apiProperties", limit)
            if not data.strip():
                raise BadRequest("the 'spec' part is empty", details=[{"part": "spec"}])
            return data, filename, props
    data = await read_body(request, limit)
    if not data.strip():
        raise BadRequest("the body is empty: send the spec (JSON, YAML or XML)")
    return data, _FILENAMES.get(media_type, "spec"), None


def _replay(body: bytes) -> Any:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return receive


async def _part_bytes(part: Any, name: str, limit: int) -> tuple[bytes, str]:
    if isinstance(part, UploadFile):
        data = await part.read(limit + 1)
        filename = part.filename or name
    else:
        data = str(part).encode("utf-8")
        filename = name
    if len(data) > limit:
        raise PayloadTooLarge(f"the {name!r} part is over {limit} bytes",
                              details=[{"part": name, "limit": limit}])
    return data, filename


def _error_of(result: importers.ImportResult, request_id: str) -> dict[str, Any]:
    errors = result.errors
    message = errors[0].message if errors else "the document did not import"
    return {"error": {"code": "InvalidSpec", "message": message, "requestId": request_id,
                      "details": [f.model_dump(exclude_none=True) for f in result.findings]}}


routes = [
    Route("/v1/connectors", list_connectors, methods=["GET"]),
    Route("/v1/connectors/validate", validate_connector, methods=["POST"]),
    Route("/v1/connectors/{id}", get_connector, methods=["GET"]),
    Route("/v1/connectors/{id}", put_connector, methods=["PUT"]),
    Route("/v1/connectors/{id}", delete_connector, methods=["DELETE"]),
    Route("/v1/connectors/{id}/versions", connector_versions, methods=["GET"]),
]
