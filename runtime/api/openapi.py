"""The runtime's paths in ``/openapi.json``: every route of ``runtime/api`` described, so
the API describes itself and a fuzzer (schemathesis) can walk it."""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}
_NAME = {"type": "string", "pattern": r"^[A-Za-z0-9._-]{1,200}$"}
_OBJ: dict[str, Any] = {"type": "object"}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"description": "error", "content": {"application/json": {"schema": _ERROR}}}
            for s in statuses}


def _json(schema: dict[str, Any], description: str = "ok") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, operation_id: str, responses: dict[str, Any], *,
        params: list[dict[str, Any]] | None = None, body: dict[str, Any] | None = None,
        public: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "operationId": operation_id, "tags": ["runtime"],
                          "responses": {**responses, **_errors(400, 401, 403, 404)}}
    if public:
        op["security"] = []
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": body}}}
    return op


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _NAME}


def _query(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


_WORKFLOW = {"$ref": "#/components/schemas/Workflow"}
_RUN = {"$ref": "#/components/schemas/Run"}
_NAMES = {"type": "object", "properties": {"value": {"type": "array",
                                                     "items": {"type": "string"}}}}
_WORKFLOW_BODY = {
    "type": "object",
    "required": ["definition"],
    "additionalProperties": False,
    "properties": {
        "definition": {"type": "object"},
        "kind": {"enum": ["Stateful", "Stateless"]},
        "parameters": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["value"],
            "properties": {"type": {"type": "string"}, "value": {}}}},
        "connectionReferences": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["connection"],
            "properties": {"connection": _NAME}}},
        "serviceProviderConnections": {"type": "object",
                                       "additionalProperties": {"type": "object"}},
    },
}
_CALLBACK = {"type": "object", "required": ["value", "method", "basePath", "queries"],
             "properties": {"value": {"type": "string"}, "method": {"type": "string"},
                            "basePath": {"type": "string"},
                            "relativePath": {"type": "string"},
                            "relativePathParameters": {"type": "array",
                                                       "items": {"type": "string"}},
                            "queries": {"type": "object", "additionalProperties": {
                                "type": "string"}}}}
_SIGNED = [_query("api-version", {"type": "string"}), _query("sp", {"type": "string"}),
           _query("sv", {"type": "string"}), _query("sig", {"type": "string"}, True)]
_ANY_BODY = {"required": False, "content": {"*/*": {"schema": {}}}}


def _invoke(summary: str, operation_id: str, extra: list[dict[str, Any]]) -> dict[str, Any]:
    responses = {"200": {"description": "the run's Response (any status, headers, body)"},
                 "202": {"description": "the run started (or waits behind the trigger's "
                                         "concurrency); no synchronous Response"},
                 **_errors(405, 409, 413, 429)}
    ops: dict[str, Any] = {}
    for method in ("get", "post", "put", "patch", "delete"):
        op = _op(summary, f"{operation_id}{method.capitalize()}", responses, public=True,
                 params=[_path("workflow"), _path("trigger"), *extra, *_SIGNED])
        if method != "get":
            op["requestBody"] = _ANY_BODY
        ops[method] = op
    return ops


def runtime_openapi() -> dict[str, Any]:
    runs = {"type": "object", "properties": {"value": {"type": "array", "items": _RUN},
                                             "nextLink": {"type": ["string", "null"]}}}
    paths: dict[str, Any] = {
        "/v1/workflows": {"get": _op("List workflows", "listWorkflows", {
            "200": _json({"type": "object", "properties": {
                "value": {"type": "array", "items": _WORKFLOW}}})})},
        "/v1/workflows/{name}": {
            "parameters": [_path("name")],
            "get": _op("Read a workflow", "getWorkflow", {"200": _json(_WORKFLOW)}),
            "put": _op("Deploy a workflow (validated whole; nothing stored on error)",
                       "putWorkflow", {"200": _json(_WORKFLOW), "201": _json(_WORKFLOW),
                                       **_errors(409, 413)}, body=_WORKFLOW_BODY),
            "delete": _op("Delete a workflow", "deleteWorkflow",
                          {"204": {"description": "deleted"}}),
        },
        "/v1/workflows/{name}/enable": {"post": _op(
            "Enable a workflow", "enableWorkflow", {"200": _json(_WORKFLOW)},
            params=[_path("name")])},
        "/v1/workflows/{name}/disable": {"post": _op(
            "Disable a workflow", "disableWorkflow", {"200": _json(_WORKFLOW)},
            params=[_path("name")])},
        "/v1/workflows/{name}/regenerateAccessKey": {"post": {**_op(
            "A new trigger-signing key: every callback URL given out before answers 401 "
            "(Logic Apps' regenerateAccessKey)", "regenerateAccessKey",
            {"200": {"description": "rotated"}}, params=[_path("name")]),
            "requestBody": {"required": False, "content": {"application/json": {
                "schema": {"type": "object", "additionalProperties": False, "properties": {
                    "keyType": {"enum": ["NotSpecified", "Primary"]}}}}}}}},
        "/v1/workflows/{name}/triggers/{trigger}/callback-url": {"post": _op(
            "A Request trigger's signed callback URL (Logic Apps' listCallbackUrl)",
            "listCallbackUrl", {"200": _json(_CALLBACK)},
            params=[_path("name"), _path("trigger")])},
        "/v1/workflows/{name}/triggers/{trigger}/run": {"post": _op(
            "Fire a trigger now (a polling trigger polls once)", "runTrigger",
            {"202": {"description": "a run started, or waits behind the trigger's "
                                    "concurrency (x-ms-workflow-run-id)"},
             "204": {"description": "the poll found nothing to fire"},
             **_errors(409, 429)}, params=[_path("name"), _path("trigger")])},
        "/v1/workflows/{name}/runs": {"get": _op(
            "A workflow's runs, newest first", "listRuns", {"200": _json(runs)},
            params=[_path("name"), _query("$top", {"type": "integer", "minimum": 1,
                                                   "maximum": 250}),
                    _query("$skiptoken", {"type": "string"}),
                    _query("status", {"enum": ["Running", "Waiting", "Succeeded",
                                               "Failed", "Cancelled"]}),
                    _query("$filter", {"type": "string"})])},
        "/v1/runs/{id}": {"get": _op("A run: its trigger and every action", "getRun",
                                     {"200": _json(_RUN)}, params=[_path("id")])},
        "/v1/runs/{id}/cancel": {"post": _op("Cancel a run", "cancelRun",
                                             {"200": _json(_RUN)}, params=[_path("id")])},
        "/v1/runs/{id}/resubmit": {"post": _op(
            "A new run from the same trigger outputs", "resubmitRun",
            {"202": _json({"type": "object", "properties": {"id": {"type": "string"}}})},
            params=[_path("id")])},
        "/v1/appsettings": {
            "get": _op("The app settings' names (values are never returned)",
                       "listAppSettings", {"200": _json(_NAMES)}),
            "put": _op("Merge app settings (sealed at rest)", "putAppSettings",
                       {"200": _json(_NAMES)},
                       body={"type": "object", "additionalProperties": {"type": "string"}}),
        },
        "/v1/appsettings/{name}": {"delete": _op(
            "Delete an app setting", "deleteAppSetting", {"204": {"description": "deleted"}},
            params=[_path("name")])},
        "/api/{workflow}/triggers/{trigger}/runs/{run}/response": {"get": _op(
            "Poll an asynchronous Response (the 202's Location; signed, no bearer token)",
            "pollResponse", {"200": {"description": "the run's Response"},
                             "202": {"description": "the run has not answered yet"},
                             **_errors(502)}, public=True,
            params=[_path("workflow"), _path("trigger"), _path("run"), *_SIGNED])},
        "/api/{workflow}/triggers/{trigger}/invoke": _invoke(
            "Call a Request trigger, or a webhook trigger's callback URL (signed URL, no "
            "bearer token)", "invokeTrigger", []),
        "/api/{workflow}/runs/{run}/actions/{action}/run": {"post": {
            **_op("Call back a waiting webhook action (signed URL, no bearer token)",
                  "callBackAction", {"200": {"description": "stored; the run goes on"},
                                     **_errors(409, 413)}, public=True,
                  params=[_path("workflow"), _path("run"),
                          {"name": "action", "in": "path", "required": True,
                           "schema": {"type": "string"}}, *_SIGNED]),
            "requestBody": _ANY_BODY}},
        "/api/{workflow}/triggers/{trigger}/invoke/{rest}": _invoke(
            "Call a Request trigger with a relativePath", "invokeTriggerPath",
            [{"name": "rest", "in": "path", "required": True, "schema": {"type": "string"}}]),
    }
    schemas = {
        "Workflow": {"type": "object", "properties": {
            "name": {"type": "string"}, "version": {"type": "string"},
            "kind": {"enum": ["Stateful", "Stateless"]}, "enabled": {"type": "boolean"},
            "state": {"enum": ["Enabled", "Disabled", "Error"]},
            "stateMessage": {"type": "string"}, "principal": {"type": "string"},
            "definition": _OBJ, "parameters": _OBJ, "connectionReferences": _OBJ,
            "createdTime": {"type": "string"}, "changedTime": {"type": "string"}}},
        "Run": {"type": "object", "properties": {
            "id": {"type": "string"}, "workflow": {"type": "string"},
            "status": {"type": "string"}, "startTime": {"type": ["string", "null"]},
            "endTime": {"type": ["string", "null"]},
            "clientTrackingId": {"type": ["string", "null"]},
            "error": {"type": ["object", "null"]}, "outputs": {},
            "trigger": _OBJ, "actions": _OBJ}},
    }
    return {"paths": paths, "components": {"schemas": schemas}}
