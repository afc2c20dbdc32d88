"""Power Platform defaults: what Power Automate sends for the inputs a caller leaves out.

A Power Platform connector marks some inputs ``x-ms-visibility: internal`` (hidden from
the maker, so its designer always sends the ``default``) and gives others a ``default``
the designer fills in for a required input. A caller of Portway sees no designer, so the
data plane does the same before it validates the request:

* a parameter (path, query, header, form field) the call leaves out gets its ``default``
  when it is ``internal`` or ``required``;
* inside a JSON body, a property left out gets its schema's ``default`` on the same
  terms (``internal``, or named in its object's ``required``), at any depth; a required
  object left out is built when something inside it gets a default, and every element of
  an array is filled by the items' schema;
* an object's own ``default`` (a whole sample body, as many connectors publish one) is
  not used: what the designer sends is built from the properties' defaults;
* what the caller sent always wins, ``null`` included; an optional input that is not
  internal is never filled.

One ``OperationDefaults`` is built per operation, on its first call, and kept with the
connector version.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from gateway import boundedjson
from gateway.errors import BadRequest
from importers import Connector, Operation

#: Deeper than this a body schema is not walked (schemas are finite, recursion is cut on
#: import; this only bounds the work a hostile one can cause).
_MAX_DEPTH = 32


@dataclass(frozen=True)
class ParameterDefault:
    """A non-body parameter the call gets when it leaves it out."""

    name: str
    location: str  # path | query | header | formData
    value: Any


@dataclass
class OperationDefaults:
    """What one operation fills in."""

    parameters: list[ParameterDefault] = field(default_factory=list)
    #: The body parameter's name and schema, when something inside the body is filled.
    body_name: str | None = None
    body_schema: dict[str, Any] | None = None
    body_required: bool = False

    @property
    def empty(self) -> bool:
        return not self.parameters and self.body_schema is None

    def fill_arguments(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The JSON arguments of a call by operation id, with the defaults added."""
        if self.empty:
            return arguments
        filled = dict(arguments)
        for parameter in self.parameters:
            if parameter.name not in filled:
                filled[parameter.name] = copy.deepcopy(parameter.value)
        if self.body_name is not None and self.body_schema is not None:
            body = filled.get(self.body_name)
            if self.body_name not in filled and self.body_required:
                body = {}
            if self.body_name in filled or self.body_required:
                filled[self.body_name] = fill_value(self.body_schema, body)
        return filled

    def fill_request(self, query: list[tuple[str, str]], headers: dict[str, str]) -> None:
        """Add the query and header defaults a request by path leaves out (in place)."""
        present = {name for name, _ in query}
        for parameter in self.parameters:
            values = parameter.value if isinstance(parameter.value, list) else [parameter.value]
            texts = [as_text(value) for value in values]
            if parameter.location == "query" and parameter.name not in present:
                query.extend((parameter.name, text) for text in texts)
            elif parameter.location == "header" and parameter.name.lower() not in headers:
                headers[parameter.name.lower()] = ",".join(texts)

    def fill_body(self, body: bytes | None) -> bytes | None:
        """A JSON request body with the defaults added; None stays None unless the body
        is required. Bytes that are not a JSON object are left for validation to judge."""
        if self.body_schema is None:
            return body
        if not body:
            if not self.body_required:
                return body
            value: Any = {}
        else:
            try:
                value = boundedjson.loads(body)
            except BadRequest:
                return body  # validation says what is wrong with it
        filled = fill_value(self.body_schema, value)
        if body and filled == value:
            return body  # nothing to add: the caller's bytes go on as they came
        return json.dumps(filled, ensure_ascii=False, separators=(",", ":")).encode()


class ConnectorDefaults:
    """The defaults of one connector version, worked out per operation on first use."""

    def __init__(self, connector: Connector) -> None:
        self._rest = connector.protocol == "rest"
        self._built: dict[str, OperationDefaults] = {}

    def for_operation(self, operation: Operation) -> OperationDefaults:
        found = self._built.get(operation.operation_id)
        if found is None:
            found = OperationDefaults() if not self._rest else operation_defaults(operation)
            self._built[operation.operation_id] = found
        return found


def operation_defaults(operation: Operation) -> OperationDefaults:
    """Which parameters and body properties of ``operation`` are filled, and with what."""
    result = OperationDefaults()
    for parameter in operation.parameters:
        if parameter.location == "body":
            schema = parameter.json_schema or operation.request_schema or {}
            if _fills_something(schema, 0):
                result.body_name = parameter.name
                result.body_schema = schema
                result.body_required = parameter.required
            continue
        if parameter.default is None or parameter.location == "cookie":
            continue
        if parameter.required or parameter.visibility == "internal":
            result.parameters.append(ParameterDefault(parameter.name, parameter.location,
                                                      parameter.default))
    return result


def fill_value(schema: dict[str, Any], value: Any, depth: int = 0) -> Any:
    """``value`` with the defaults its schema gives to what it leaves out (a copy)."""
    if depth > _MAX_DEPTH or not isinstance(schema, dict):
        return value
    for part in schema.get("allOf") or ():
        if isinstance(part, dict):
            value = fill_value(part, value, depth + 1)
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            return [fill_value(items, item, depth + 1) for item in value]
        return value
    properties = schema.get("properties")
    if not isinstance(value, dict) or not isinstance(properties, dict):
        return value
    required = _required(schema)
    filled = dict(value)
    for name, sub in properties.items():
        if not isinstance(sub, dict):
            continue
        if name in filled:
            filled[name] = fill_value(sub, filled[name], depth + 1)
            continue
        wanted = name in required or sub.get("x-ms-visibility") == "internal"
        if not wanted:
            continue
        if "default" in sub and not _is_object(sub):
            filled[name] = copy.deepcopy(sub["default"])
        elif _is_object(sub) and _fills_something(sub, depth + 1):
            built = fill_value(sub, {}, depth + 1)
            if built:
                filled[name] = built
    return filled


def fills_parameter(parameter: dict[str, Any]) -> bool:
    """Whether the data plane fills this OpenAPI parameter object when a call leaves it
    out (so a caller may treat it as optional)."""
    schema = parameter.get("schema")
    has_default = "default" in parameter or (isinstance(schema, dict) and "default" in schema)
    return has_default and parameter.get("in") in ("query", "header") and bool(
        parameter.get("required") or parameter.get("x-ms-visibility") == "internal")


def without_filled_required(schema: Any, depth: int = 0) -> None:
    """Drop from each ``required`` of an inline body schema the properties the data plane
    fills (in place; ``$ref``s are not followed)."""
    if depth > _MAX_DEPTH or not isinstance(schema, dict):
        return
    for part in schema.get("allOf") or ():
        without_filled_required(part, depth + 1)
    without_filled_required(schema.get("items"), depth + 1)
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    builds = {name: _fills_something(sub, depth + 1) for name, sub in properties.items()}
    for sub in properties.values():
        without_filled_required(sub, depth + 1)  # the inner ones first

    def filled(name: str) -> bool:
        sub = properties.get(name)
        if not isinstance(sub, dict):
            return False
        if _is_object(sub):  # built when something inside gets a default: whole if then
            return builds[name] and not _required(sub)  # nothing else is required
        return "default" in sub

    required = _required(schema)
    kept = [name for name in required if not filled(name)]
    if len(kept) < len(required):
        if kept:
            schema["required"] = kept
        else:
            schema.pop("required", None)


def as_text(value: Any) -> str:
    """A default as the text of a query parameter or header."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _required(schema: dict[str, Any]) -> list[Any]:
    required = schema.get("required")
    return required if isinstance(required, list) else []


def _is_object(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or isinstance(schema.get("properties"), dict)


def _fills_something(schema: Any, depth: int) -> bool:
    """Whether any property at any depth of ``schema`` would get a default."""
    if depth > _MAX_DEPTH or not isinstance(schema, dict):
        return False
    if any(_fills_something(part, depth + 1) for part in schema.get("allOf") or ()):
        return True
    if isinstance(schema.get("items"), dict) and _fills_something(schema["items"], depth + 1):
        return True
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return False
    required = _required(schema)
    for name, sub in properties.items():
        if not isinstance(sub, dict):
            continue
        wanted = name in required or sub.get("x-ms-visibility") == "internal"
        if wanted and "default" in sub and not _is_object(sub):
            return True
        if _fills_something(sub, depth + 1):
            return True
    return False
