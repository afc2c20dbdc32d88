"""GET /openapi.json: the API describing itself (OpenAPI 3.1).

Written by hand, so the description says what the API promises rather than what the code
happens to accept; a test checks that every route of the app is described.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_ERROR = {"$ref": "#/components/schemas/Error"}
_NAME = {"type": "string", "pattern": r"^[A-Za-z0-9._@-]{1,200}$"}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"description": "error", "content": {"application/json": {"schema": _ERROR}}}
            for s in statuses}


def _json(schema: dict[str, Any], description: str = "ok") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, responses: dict[str, Any], *, params: list[dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None, public: bool = False,
        operation_id: str = "") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "operationId": operation_id,
                          "responses": {**responses, **_errors(400, 401, 403, 404)}}
    if public:
        op["security"] = []
        op["responses"] = responses
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = body
    return op


def _path(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or _NAME}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


#: ``top`` and ``$skiptoken`` of the paged lists (gateway.api.paging).
_PAGING_PARAMS = [_query("top", {"type": "integer", "minimum": 1, "maximum": 1000}),
                  _query("$skiptoken", {"type": "string"})]


_OBJ: dict[str, Any] = {"type": "object"}
_CONNECTION_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object",
        "required": ["connector"],
        "properties": {
            "connector": {"type": "string"},
            "parameters": {"type": "object"},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "displayName": {"type": "string"},
        },
    }}},
}
_PATCH_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "parameters": {"type": "object"},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "displayName": {"type": "string"},
        },
    }}},
}
_CONNECTION_TEST: dict[str, Any] = {"type": "object", "properties": {
    "connection": {"type": "string"},
    "status": {"enum": ["Connected", "Unauthenticated", "Error"]},
    "statusReason": {"type": "string"}, "checkedWith": {"type": "string"}}}
_CONSENT: dict[str, Any] = {"type": "object", "properties": {
    "connection": {"type": "string"}, "authorizeUrl": {"type": "string"},
    "expiresAt": {"type": "number"}}}
_SPEC_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": _OBJ},
        "application/yaml": {"schema": {"type": "string"}},
        "application/xml": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["spec"],
            "properties": {"spec": {"type": "string", "format": "binary"},
                           "apiProperties": {"type": "string", "format": "binary"}}}},
    },
}


def build_openapi(extensions: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The OpenAPI document of the gateway, plus the paths and schemas extensions bring
    (each ``{"paths": {...}, "components": {"schemas": {...}}}``)."""
    paths: dict[str, Any] = {
        "/healthz": {"get": _op("Liveness probe", {"200": _json(_OBJ)}, public=True,
                                operation_id="healthz")},
        "/readyz": {"get": _op("Readiness probe: the store answers",
                               {"200": _json(_OBJ), "503": _json(_OBJ, "not ready")},
                               public=True, operation_id="readyz")},
        "/metrics": {"get": _op("Prometheus metrics", {"200": {
            "description": "metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}},
            operation_id="metrics")},
        "/v1/tokens": {"post": _op(
            "Create a principal's bearer token (owner only; shown once)",
            {"201": _json(_OBJ)}, operation_id="createToken",
            body={"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["principal"],
                "properties": {"principal": _NAME,
                               "role": {"enum": ["owner", "contributor", "reader"]},
                               "kind": {"enum": ["user", "service", "workflow"]},
                               "scope": {"type": "string"}}}}}})},
        "/v1/connectors": {"get": _op(
            "List connectors", {"200": _json(_OBJ)}, operation_id="listConnectors",
            params=[_query("kind", {"enum": ["builtin", "managed", "custom"]}),
                    _query("tier", {"enum": ["standard", "enterprise"]}),
                    _query("network", {"enum": ["core", "private"]}),
                    _query("q", {"type": "string"}), *_PAGING_PARAMS])},
        "/v1/connectors/validate": {"post": _op(
            "Parse and lint a spec without storing it", {"200": _json(_OBJ)},
            operation_id="validateConnector", body=_SPEC_BODY,
            params=[_query("name", _NAME)])},
        "/v1/connectors/{id}": {
            "get": _op("A connector's whole definition", {"200": _json(_OBJ)},
                       params=[_path("id"), _query("version", {"type": "integer", "minimum": 1,
                                                   "maximum": 999999999})],
                       operation_id="getConnector"),
            "put": _op("Upload a spec as a connector (a new version)",
                       {"200": _json(_OBJ), "201": _json(_OBJ), **_errors(409, 413, 422)},
                       params=[_path("id"), _query("allowBreaking", {"type": "boolean"}),
                               _query("dryRun", {"type": "boolean"})],
                       body=_SPEC_BODY, operation_id="putConnector"),
            "delete": _op("Delete a connector", {"204": {"description": "deleted"},
                                                 **_errors(409)},
                          params=[_path("id"), _query("force", {"type": "boolean"})],
                          operation_id="deleteConnector"),
        },
        "/v1/connectors/{id}/versions": {"get": _op(
            "A connector's versions", {"200": _json(_OBJ)}, params=[_path("id")],
            operation_id="listConnectorVersions")},
        "/v1/connections": {"get": _op("List connections the caller may see",
                                       {"200": _json(_OBJ)}, operation_id="listConnections")},
        "/v1/connections/{name}": {
            "get": _op("A connection (secrets never returned)", {"200": _json(_OBJ)},
                       params=[_path("name")], operation_id="getConnection"),
            "put": _op("Create or replace a connection", {"200": _json(_OBJ),
                       "201": _json(_OBJ), **_errors(409, 422)}, params=[_path("name")],
                       body=_CONNECTION_BODY, operation_id="putConnection"),
            "patch": _op("Change tags, display name or parameters", {"200": _json(_OBJ)},
                         params=[_path("name")], body=_PATCH_BODY,
                         operation_id="patchConnection"),
            "delete": _op("Delete a connection", {"204": {"description": "deleted"}},
                          params=[_path("name")], operation_id="deleteConnection"),
        },
        "/v1/connections/{name}/access-policies/{principal}": {
            "put": _op("Let a principal use the connection", {"200": _json(_OBJ)},
                       params=[_path("name"), _path("principal")],
                       operation_id="putAccessPolicy"),
            "delete": _op("Remove a principal's access policy",
                          {"204": {"description": "deleted"}},
                          params=[_path("name"), _path("principal")],
                          operation_id="deleteAccessPolicy"),
        },
        "/v1/connections/{name}/test": {"post": _op(
            "Test the connection (its connector's test operation or the credential check) "
            "and set its status", {"200": _json(_CONNECTION_TEST)}, params=[_path("name")],
            operation_id="testConnection")},
        "/v1/connections/{name}/consent": {"post": _op(
            "The OAuth authorize URL to consent with (authorization code with PKCE)",
            {"200": _json(_CONSENT)}, params=[_path("name")],
            operation_id="consentConnection")},
        "/v1/connections/{name}/operations": {"get": _op(
            "The operations of the connection's connector, a page at a time",
            {"200": _json(_OBJ)}, params=[_path("name"), *_PAGING_PARAMS],
            operation_id="listConnectionOperations")},
        "/v1/connections/{name}/openapi.json": {"get": _op(
            "An OpenAPI 3 document for calling the connection through the gateway",
            {"200": _json(_OBJ)}, params=[_path("name")],
            operation_id="getConnectionOpenApi")},
        "/v1/oauth/callback": {"get": _op(
            "Where the identity provider returns after consent (public; checks state)",
            {"200": _json(_OBJ), **_errors(400, 409, 502)}, public=True,
            params=[_query("state", {"type": "string"}), _query("code", {"type": "string"}),
                    _query("error", {"type": "string"}),
                    _query("error_description", {"type": "string"})],
            operation_id="oauthCallback")},
        "/v1/audit": {"get": _op(
            "The audit log, newest first (owners only)", {"200": _json(_OBJ)},
            params=[_query("actor", {"type": "string"}), _query("action", {"type": "string"}),
                    _query("resource", {"type": "string"}),
                    _query("outcome", {"enum": ["ok", "allowed", "denied", "failed"]}),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000})],
            operation_id="listAudit")},
        "/v1/connections/{name}/operations/{operationId}": {"post": _op(
            "Call an operation with its parameters as a JSON object",
            {"200": {"description": "the upstream's answer"}, **_errors(429, 502, 504)},
            params=[_path("name"), _path("operationId", {"type": "string"})],
            body={"required": False, "content": {"application/json": {"schema": _OBJ}}},
            operation_id="callOperation")},
        "/apim/{connector}/{connection}/{path}": {
            method: _op("Call the operation at this path through the connection",
                        {"200": {"description": "the upstream's answer"},
                         **_errors(405, 429, 502, 504)},
                        params=[_path("connector"), _path("connection"),
                                _path("path", {"type": "string"})],
                        operation_id=f"apim{method.capitalize()}")
            for method in ("get", "post", "put", "patch", "delete")
        },
    }
    schemas: dict[str, Any] = {}
    for document in extensions:
        paths.update(document.get("paths", {}))
        schemas.update(document.get("components", {}).get("schemas", {}))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Portway", "version": "1", "description":
                 "A connector gateway: connectors, connections, a proxy that speaks REST "
                 "and SOAP, and a workflow runtime."},
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {
                "type": "object", "required": ["error"],
                "properties": {"error": {
                    "type": "object", "required": ["code", "message", "requestId", "details"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                   "requestId": {"type": "string"},
                                   "details": {"type": "array"}}}}}, **schemas},
        },
    }


async def openapi(request: Request) -> Response:
    document: dict[str, Any] = request.app.state.openapi
    return JSONResponse(document)


routes = [Route("/openapi.json", openapi, methods=["GET"])]
