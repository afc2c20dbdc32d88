"""The compiled validators against openapi-core, the reference: both must accept and
refuse the same requests; plus the OpenAPI 3.0 twists (nullable, references)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from gateway.errors import ValidationFailed
from gateway.proxy.schemas import to_json_schema
from gateway.proxy.validation import RequestValidator
from importers import Connector, Operation, Parameter

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "things", "version": "1"},
    "servers": [{"url": "http://upstream.example"}],
    "paths": {"/things/{id}": {
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1}}],
        "get": {"operationId": "getThing", "parameters": [
            {"name": "kind", "in": "query", "required": True,
             "schema": {"type": "string", "enum": ["a", "b"]}},
            {"name": "flag", "in": "query", "schema": {"type": "boolean"}},
            {"name": "ratio", "in": "query", "schema": {"type": "number", "maximum": 1}},
            {"name": "ids", "in": "query", "schema": {"type": "array",
                                                     "items": {"type": "integer"}}},
            {"$ref": "#/components/parameters/Trace"},
        ], "responses": {"200": {"description": "ok"}}},
        "post": {"operationId": "postThing", "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
        }, "responses": {"200": {"description": "ok"}}},
    }},
    "components": {
        "parameters": {"Trace": {"name": "x-trace", "in": "header",
                                 "schema": {"type": "string", "pattern": "^t[0-9]+$"}}},
        "schemas": {
            "Thing": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string", "minLength": 1},
                "note": {"type": "string", "nullable": True},
                "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}},
            }},
            "Part": {"type": "object", "properties": {"n": {"type": "integer"}}},
        },
    },
}

CONNECTOR = Connector(
    id="things", source_format="openapi3.0", base_url="http://upstream.example",
    operations=[Operation(operation_id="getThing", method="GET", path="/things/{id}"),
                Operation(operation_id="postThing", method="POST", path="/things/{id}")],
    openapi=DOCUMENT)


@dataclass
class Case:
    operation: str
    id: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any = None
    valid: bool = True


CASES = [
    Case("getThing", "5", [("kind", "a")], {}),
    Case("getThing", "0", [("kind", "a")], {}, valid=False),
    Case("getThing", "x", [("kind", "a")], {}, valid=False),
    Case("getThing", "5", [], {}, valid=False),
    Case("getThing", "5", [("kind", "c")], {}, valid=False),
    Case("getThing", "5", [("kind", "b"), ("flag", "true"), ("ratio", "0.5")], {}),
    Case("getThing", "5", [("kind", "b"), ("flag", "maybe")], {}, valid=False),
    Case("getThing", "5", [("kind", "b"), ("ratio", "2")], {}, valid=False),
    Case("getThing", "5", [("kind", "a"), ("ids", "1"), ("ids", "2")], {}),
    Case("getThing", "5", [("kind", "a"), ("ids", "1"), ("ids", "z")], {}, valid=False),
    Case("getThing", "5", [("kind", "a")], {"x-trace": "t42"}),
    Case("getThing", "5", [("kind", "a")], {"x-trace": "nope"}, valid=False),
    Case("postThing", "5", [], {}, {"name": "n", "note": None, "parts": [{"n": 1}]}),
    Case("postThing", "5", [], {}, {"name": ""}, valid=False),
    Case("postThing", "5", [], {}, {"note": "x"}, valid=False),
    Case("postThing", "5", [], {}, {"name": "n", "parts": [{"n": "one"}]}, valid=False),
    Case("postThing", "5", [], {}, None, valid=False),
]


class _Request:
    """openapi-core's view of a request (its Request protocol)."""

    def __init__(self, case: Case) -> None:
        self.host_url = "http://upstream.example"
        self.path = f"/things/{case.id}"
        self.method = "get" if case.operation == "getThing" else "post"
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(case.query), header=Headers(case.headers),
            cookie=ImmutableMultiDict(), path={})
        self.body = None if case.body is None else json.dumps(case.body).encode()
        self.content_type = "application/json"
        self.mimetype = "application/json"


def _ours(case: Case) -> bool:
    operation = CONNECTOR.operation(case.operation)
    assert operation is not None
    checks = RequestValidator(CONNECTOR).for_operation(operation)
    body = None if case.body is None else json.dumps(case.body).encode()
    try:
        checks.check_request({"id": case.id}, case.query, case.headers)
        checks.check_body("application/json", body)
    except ValidationFailed:
        return False
    return True


def _reference(case: Case) -> bool:
    try:
        OpenAPI.from_dict(DOCUMENT).validate_request(_Request(case))
    except Exception:  # openapi-core's error classes vary by kind; any refusal counts
        return False
    return True


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.operation}-{c.query}-{c.body}")
def test_the_compiled_validator_agrees_with_openapi_core(case: Case) -> None:
    assert (_ours(case), _reference(case)) == (case.valid, case.valid)


def test_nullable_becomes_a_null_type_and_keeps_enums_open_to_null() -> None:
    schema = {"type": "string", "enum": ["a"], "nullable": True, "example": "a",
              "x-ms-summary": "S"}
    assert to_json_schema(schema) == {"type": ["string", "null"], "enum": ["a", None]}
    assert to_json_schema({"$ref": "#/x", "nullable": True}) == {
        "anyOf": [{"$ref": "#/x"}, {"type": "null"}]}


def test_without_a_document_the_operations_own_schemas_are_used() -> None:
    connector = Connector(id="bare", source_format="swagger2", operations=[Operation(
        operation_id="op", method="GET", path="/x/{n}",
        parameters=[Parameter(name="n", location="path", required=True,
                              json_schema={"type": "integer"}),
                    Parameter(name="body", location="body", required=True,
                              json_schema={"type": "object", "required": ["a"]})])])
    operation = connector.operations[0]
    checks = RequestValidator(connector).for_operation(operation)
    checks.check_request({"n": "3"}, [], {})
    with pytest.raises(ValidationFailed):
        checks.check_request({"n": "three"}, [], {})
    with pytest.raises(ValidationFailed):
        checks.check_body("application/json", b"{}")
    with pytest.raises(ValidationFailed):
        checks.check_body("application/json", None)


def test_a_reference_outside_the_document_is_never_fetched() -> None:
    connector = Connector(id="remote", source_format="openapi3.0", operations=[Operation(
        operation_id="op", method="GET", path="/x",
        parameters=[Parameter(name="q", location="query",
                              json_schema={"$ref": "http://169.254.169.254/schema.json"})])])
    checks = RequestValidator(connector).for_operation(connector.operations[0])
    schema = checks.parameters[0].schema
    assert schema is not None
    assert "not followed" in schema.unusable
    checks.check_request({}, [("q", "anything")], {})  # not checked, and nothing fetched
