"""Request (and, in strict mode, response) validation against a connector's operations.

Built once per connector version from ``Connector.openapi`` — the OpenAPI 3.0 document the
importers store (Swagger 2.0 is converted on import) — and, where that document lacks an
operation, from the operation's own parameters. Each operation's validators are compiled
on its first call and kept for the life of the connector version.

Why not openapi-core on each call: measured here it spends 1.3 to 2.2 ms per request
(reference resolution and deep copies on every call), more than the whole latency budget
of the proxy. openapi-core's semantics are kept (parameter styles, coercion of strings to
the schema's type, required parameters and bodies, ``nullable``) and checked against it in
the tests; the schemas are compiled to Rust validators that take microseconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from gateway import boundedjson
from gateway.errors import BadRequest, ValidationFailed
from gateway.proxy.errors import UpstreamResponseInvalid
from gateway.proxy.schemas import CompiledSchema, Problem, json_pointer, to_json_schema
from importers import Connector, Operation

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass
class ParameterCheck:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    schema: CompiledSchema | None
    kind: str | None  # the schema's type, to turn strings into values
    item_kind: str | None
    explode: bool


@dataclass
class OperationValidator:
    """The compiled checks of one operation."""

    operation_id: str
    parameters: list[ParameterCheck] = field(default_factory=list)
    body_required: bool = False
    body_schema: CompiledSchema | None = None
    responses: dict[str, CompiledSchema] = field(default_factory=dict)

    @property
    def needs_body(self) -> bool:
        """Whether a JSON body must be read (buffered) to be checked."""
        return self.body_schema is not None

    def check_request(self, path_params: dict[str, str], query: list[tuple[str, str]],
                      headers: dict[str, str]) -> None:
        """Raise ``ValidationFailed`` unless the parameters fit the operation."""
        problems: list[dict[str, Any]] | None = None
        for check in self.parameters:
            raw = _raw_values(check, path_params, query, headers)
            if not raw:
                if check.required:
                    problems = problems or []
                    problems.append({"in": check.location, "name": check.name,
                                     "pointer": json_pointer([check.name]),
                                     "message": f"{check.name!r} is required"})
                continue
            schema = check.schema
            if schema is None:
                continue
            value = _coerce(check, raw)
            if not schema.is_valid(value):
                problems = problems or []
                problems.extend(_described(check.location, check.name, schema.problems(
                    value, prefix=json_pointer([check.name]))))
        if problems:
            raise _failure(self.operation_id, problems)

    def check_body(self, content_type: str | None, body: bytes | None) -> None:
        """Raise ``ValidationFailed`` unless a JSON body fits the operation's schema."""
        if not body:
            if self.body_required:
                raise _failure(self.operation_id, [{"in": "body", "pointer": "",
                                                   "message": "a request body is required"}])
            return
        if self.body_schema is None or not is_json(content_type):
            return
        try:
            value = boundedjson.loads(body)
        except BadRequest as exc:
            raise _failure(self.operation_id, [{"in": "body", "pointer": "",
                                               "message": exc.message}]) from None
        if not self.body_schema.is_valid(value):
            raise _failure(self.operation_id, _described(
                "body", None, self.body_schema.problems(value)))

    def check_arguments(self, arguments: dict[str, Any]) -> None:
        """Raise ``ValidationFailed`` unless JSON arguments fit the request schema."""
        if self.body_schema is not None and not self.body_schema.is_valid(arguments):
            raise _failure(self.operation_id, _described(
                "body", None, self.body_schema.problems(arguments)))

    def check_response(self, status: int, content_type: str | None, body: bytes) -> None:
        """Raise ``UpstreamResponseInvalid`` unless a JSON answer fits its declared schema."""
        schema = (self.responses.get(str(status)) or self.responses.get(f"{status // 100}XX")
                  or self.responses.get("default"))
        if schema is None or not is_json(content_type) or not body:
            return
        try:
            value = json.loads(body)
        except ValueError:
            raise UpstreamResponseInvalid("the upstream's answer is not the JSON it declares",
                                          details=[{"status": status}]) from None
        if not schema.is_valid(value):
            problems = schema.problems(value, limit=5)
            raise UpstreamResponseInvalid(
                f"the upstream's answer to {self.operation_id!r} does not match its schema",
                details=[{"status": status, "pointer": p.pointer, "message": p.message}
                         for p in problems])


class RequestValidator:
    """The validators of one connector version, compiled per operation on first use."""

    def __init__(self, connector: Connector) -> None:
        self._connector = connector
        self._document = connector.openapi or None
        self._compiled: dict[str, OperationValidator] = {}

    def for_operation(self, operation: Operation) -> OperationValidator:
        found = self._compiled.get(operation.operation_id)
        if found is None:
            found = self._compiled[operation.operation_id] = self._compile(operation)
        return found

    def _compile(self, operation: Operation) -> OperationValidator:
        located = _locate(self._document, operation) if self._document else None
        if located is not None:
            return self._from_document(operation, *located)
        return self._from_operation(operation)

    def _from_document(self, operation: Operation, path_item: dict[str, Any],
                       raw: dict[str, Any]) -> OperationValidator:
        document = self._document or {}
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for node in [*path_item.get("parameters", []), *raw.get("parameters", [])]:
            parameter = _deref(document, node)
            if isinstance(parameter, dict) and "name" in parameter and "in" in parameter:
                merged[(parameter["in"], parameter["name"])] = parameter
        result = OperationValidator(operation.operation_id)
        for (location, name), parameter in merged.items():
            schema = parameter.get("schema")
            style_default = location in ("query", "cookie")
            result.parameters.append(self._parameter(
                name, location, bool(parameter.get("required") or location == "path"),
                schema if isinstance(schema, dict) else None,
                bool(parameter.get("explode", style_default))))
        body = _deref(document, raw.get("requestBody"))
        if isinstance(body, dict):
            result.body_required = bool(body.get("required"))
            schema = _json_content_schema(document, body.get("content"))
            if schema is not None:
                result.body_schema = CompiledSchema(schema, document)
        for status, node in (raw.get("responses") or {}).items():
            answer = _deref(document, node)
            if isinstance(answer, dict):
                schema = _json_content_schema(document, answer.get("content"))
                if schema is not None:
                    result.responses[str(status).upper()] = CompiledSchema(schema, document)
        return result

    def _from_operation(self, operation: Operation) -> OperationValidator:
        result = OperationValidator(operation.operation_id)
        for parameter in operation.parameters:
            if parameter.location == "body":
                result.body_required = parameter.required
                if parameter.json_schema:
                    result.body_schema = CompiledSchema(parameter.json_schema, None)
                continue
            if parameter.location == "formData":
                continue
            result.parameters.append(self._parameter(
                parameter.name, parameter.location,
                parameter.required or parameter.location == "path",
                parameter.json_schema or None, parameter.location in ("query", "cookie")))
        if result.body_schema is None and operation.request_schema:
            result.body_schema = CompiledSchema(operation.request_schema, None)
        for response in operation.responses:
            if response.json_schema:
                result.responses[response.status.upper()] = CompiledSchema(
                    response.json_schema, None)
        return result

    def _parameter(self, name: str, location: str, required: bool,
                   schema: dict[str, Any] | None, explode: bool) -> ParameterCheck:
        compiled = CompiledSchema(schema, self._document) if schema else None
        converted = to_json_schema(schema) if schema else {}
        items = converted.get("items") if isinstance(converted.get("items"), dict) else {}
        return ParameterCheck(name, location, required, compiled, _kind(converted),
                              _kind(items or {}), explode)


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _locate(document: dict[str, Any], operation: Operation
            ) -> tuple[dict[str, Any], dict[str, Any]] | None:
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return None
    fallback = None
    for template, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method in _METHODS:
            raw = item.get(method)
            if not isinstance(raw, dict):
                continue
            if raw.get("operationId") == operation.operation_id:
                return item, raw
            if method.upper() == operation.method and template == operation.path:
                fallback = (item, raw)
    return fallback


def _deref(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    if isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 20:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return None
        target: Any = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                return None
            target = target[part]
        return _deref(document, target, depth + 1)
    return node


def _json_content_schema(document: dict[str, Any], content: Any) -> dict[str, Any] | None:
    if not isinstance(content, dict):
        return None
    for media, entry in content.items():
        if is_json(media) and isinstance(entry, dict) and isinstance(entry.get("schema"), dict):
            schema: dict[str, Any] = entry["schema"]
            return schema
    return None


def _kind(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return kinds[0] if len(kinds) == 1 else None
    return kind if isinstance(kind, str) else None


def _raw_values(check: ParameterCheck, path_params: dict[str, str],
                query: list[tuple[str, str]], headers: dict[str, str]) -> list[str]:
    if check.location == "path":
        value = path_params.get(check.name)
        return [] if value is None else [value]
    if check.location == "query":
        return [v for k, v in query if k == check.name]
    if check.location == "header":
        value = headers.get(check.name.lower())
        return [] if value is None else [value]
    return []  # cookies never reach the upstream from the caller


def _coerce(check: ParameterCheck, raw: list[str]) -> Any:
    kind = check.kind
    if kind == "array":
        # form style explodes into repeated parameters; simple style joins with commas.
        items = raw if check.explode else (raw[0].split(",") if raw[0] else [])
        return [_scalar(item, check.item_kind) for item in items]
    if kind is None or kind == "string":
        return raw[0]
    return _scalar(raw[0], kind)


def _scalar(text: str, kind: str | None) -> Any:
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and "." not in text else number
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.lower(), text)
    if kind == "null" and text == "":
        return None
    return text


def _described(location: str, name: str | None, problems: list[Problem]
               ) -> list[dict[str, Any]]:
    described = []
    for problem in problems:
        detail: dict[str, Any] = {"in": location, "pointer": problem.pointer,
                                  "message": problem.message}
        if name is not None:
            detail["name"] = name
        described.append(detail)
    return described


def _failure(operation_id: str, problems: list[dict[str, Any]]) -> ValidationFailed:
    first = problems[0]
    where = first.get("name") or first.get("in", "")
    return ValidationFailed(
        f"the request does not fit operation {operation_id!r}: {where}: {first['message']}",
        details=problems[:50])
