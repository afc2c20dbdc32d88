"""Trying an operation: a form built from the operation's parameters, sent through the
gateway (``POST /v1/connections/{name}/operations/{operationId}``, in process), and the
answer shown as it came — status, headers and body, always as escaped text.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import NotFound
from gateway.portal.connections import may_use
from gateway.portal.inprocess import ApiAnswer, call_api, get_json, path
from gateway.portal.rendering import render
from gateway.portal.session import Session, checked_form


async def _operation(request: Request, session: Session
                     ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    assert session.principal is not None
    name, operation_id = request.path_params["name"], request.path_params["operation"]
    connection = await get_json(request, session.principal, path("v1", "connections", name))
    connector = await get_json(request, session.principal,
                               path("v1", "connectors", connection["connector"]))
    for operation in connector.get("operations", []):
        if operation["operationId"] == operation_id:
            return connection, connector, operation
    raise NotFound(f"connector {connector['id']!r} has no operation {operation_id!r}")


def _fields(operation: dict[str, Any]) -> list[dict[str, Any]]:
    fields = []
    for p in operation.get("parameters", []):
        schema = p.get("jsonSchema") or {}
        fields.append({"name": p["name"], "in": p["location"], "required": p.get("required"),
                       "type": schema.get("type", "object" if p["location"] == "body"
                                          else "string"),
                       "choices": schema.get("enum") or [],
                       "label": p.get("summary") or p["name"],
                       "description": p.get("description", ""),
                       "default": "" if p.get("default") is None else p["default"]})
    return fields


def _argument(field: dict[str, Any], raw: str) -> Any:
    """The JSON value of a form field, by its schema type (left as text when it does not
    parse: the gateway's validation then says what is wrong)."""
    kind = field["type"]
    if field["in"] == "body" or kind in ("object", "array"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    if kind == "integer" and raw.strip().lstrip("-").isdigit():
        return int(raw)
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


async def try_page(request: Request, session: Session) -> Response:
    connection, connector, operation = await _operation(request, session)
    return render(request, "try.html", {
        "session": session, "c": connection, "connector": connector, "op": operation,
        "fields": _fields(operation), "values": {}, "may_use": may_use(session, connection)})


async def try_call(request: Request, session: Session) -> Response:
    assert session.principal is not None
    connection, connector, operation = await _operation(request, session)
    form = await checked_form(request, session, max_files=0, max_fields=300)
    fields = _fields(operation)
    values = {f["name"]: str(form.get("a." + f["name"], "")) for f in fields}
    arguments = {f["name"]: _argument(f, values[f["name"]]) for f in fields
                 if values[f["name"]] != ""}
    answer = await call_api(request, session.principal, "POST", path(
        "v1", "connections", connection["name"], "operations", operation["operationId"]),
        json_body=arguments)
    return render(request, "try.html", {
        "session": session, "c": connection, "connector": connector, "op": operation,
        "fields": fields, "values": values, "may_use": may_use(session, connection),
        "sent": arguments, "answer": shown(answer)})


def shown(answer: ApiAnswer) -> dict[str, Any]:
    """An answer as a page shows it: JSON indented, anything else as text, never HTML."""
    text = answer.body.decode("utf-8", errors="replace")
    media = answer.header("content-type").split(";")[0].strip().lower()
    if media.endswith("json"):
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(answer.body), indent=2, ensure_ascii=False)
    return {"status": answer.status, "headers": answer.headers, "body": text,
            "truncated": answer.truncated, "media": media}
