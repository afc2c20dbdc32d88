from __future__ import annotations

from typing import Any

from importers.refs import RECURSIVE
from tests.importers.conftest import import_json, swagger_doc


def test_a_clean_spec_imports_every_operation(ticket_doc: dict[str, Any]) -> None:
    result = import_json(ticket_doc)
    assert result.ok and result.findings == []
    c = result.connector
    assert c is not None
    assert (c.id, c.display_name, c.version, c.source_format) == (
        "demo", "Ticket Desk", "1.2", "swagger2")
    assert c.base_url == "https://api.ticketdesk.io/v1"
    assert [(o.operation_id, o.method, o.path) for o in c.operations] == [
        ("GetTicket", "GET", "/tickets/{id}"), ("DeleteTicket", "DELETE", "/tickets/{id}")]
    get = c.operations[0]
    (param,) = get.parameters
    assert (param.name, param.location, param.required, param.summary) == (
        "id", "path", True, "Ticket id")
    schema = get.responses[0].json_schema
    assert schema is not None
    assert schema["properties"]["parent"] == {RECURSIVE: "#/definitions/Ticket"}


def test_api_key_scheme_gets_the_conventional_parameter(ticket_doc: dict[str, Any]) -> None:
    c = import_json(ticket_doc).connector
    assert c is not None
    (scheme,) = c.auth
    assert (scheme.kind, scheme.location, scheme.key_name, scheme.parameters) == (
        "apiKey", "header", "X-Key", ["api_key"])
    assert [(p.name, p.type) for p in c.connection_parameters] == [("api_key", "securestring")]


def test_basic_and_oauth_schemes_get_conventional_parameters() -> None:
    doc = swagger_doc(securityDefinitions={
        "basic": {"type": "basic"},
        "oauth": {"type": "oauth2", "flow": "accessCode",
                  "authorizationUrl": "https://login.ticketdesk.io/authorize",
                  "tokenUrl": "https://login.ticketdesk.io/token", "scopes": {"read": "r"}},
    })
    c = import_json(doc).connector
    assert c is not None
    assert [(a.kind, a.parameters) for a in c.auth] == [
        ("basic", ["username", "password"]), ("oauth2", ["token"])]
    oauth = c.auth[1].oauth
    assert oauth is not None
    assert (oauth.flow, oauth.token_url, oauth.scopes) == (
        "authorizationCode", "https://login.ticketdesk.io/token", ["read"])
    assert [p.name for p in c.connection_parameters] == ["username", "password", "token"]
    assert [p.secret for p in c.connection_parameters] == [False, True, True]


def test_x_ms_annotations_become_fields() -> None:
    doc = swagger_doc(paths={"/search": {"post": {
        "operationId": "Search", "summary": "Search", "description": "Searches.",
        "x-ms-visibility": "important",
        "x-ms-pageable": {"nextLinkName": "next"},
        "x-ms-api-annotation": {"status": "Preview"},
        "parameters": [
            {"name": "q", "in": "query", "type": "string", "x-ms-summary": "Query",
             "x-ms-visibility": "advanced", "x-ms-url-encoding": "double",
             "x-ms-dynamic-values": {"operationId": "ListFields"}, "x-example": "cats"},
            {"name": "body", "in": "body", "required": True,
             "schema": {"type": "object", "properties": {"n": {"type": "integer"}}}},
        ],
        "responses": {"200": {"description": "ok", "schema": {"type": "array"},
                              "headers": {"X-Total": {"type": "integer"}}}},
    }}})
    result = import_json(doc)
    assert result.findings == []
    op = result.connector.operations[0]  # type: ignore[union-attr]
    assert op.visibility == "important"
    assert op.pageable == {"nextLinkName": "next"}
    assert op.extensions["x-ms-api-annotation"] == {"status": "Preview"}
    q, body = op.parameters
    assert (q.summary, q.visibility, q.url_encoding) == ("Query", "advanced", "double")
    assert q.dynamic == {"x-ms-dynamic-values": {"operationId": "ListFields"}}
    assert q.extensions == {"x-example": "cats"}
    assert (body.location, body.required) == ("body", True)
    assert op.request_schema == {"type": "object", "properties": {"n": {"type": "integer"}}}
    assert op.request_content_types == ["application/json"]
    assert op.responses[0].headers == {"X-Total": {"type": "integer"}}


def test_form_data_parameters() -> None:
    doc = swagger_doc(consumes=[], paths={"/upload": {"post": {
        "operationId": "Upload", "summary": "Upload", "description": "d",
        "parameters": [{"name": "file", "in": "formData", "type": "file", "required": True}],
        "responses": {"200": {"description": "ok"}}}}})
    op = import_json(doc).connector.operations[0]  # type: ignore[union-attr]
    (p,) = op.parameters
    assert (p.location, p.json_schema) == ("formData", {"type": "string", "format": "binary"})
    assert op.request_content_types == ["application/x-www-form-urlencoded"]


def test_unsupported_things_are_warnings_naming_them() -> None:
    doc = swagger_doc(basepath="/typo", paths={"/a": {
        "get": {"operationId": "A", "responses": {}, "consumes2": 1,
                "parameters": [{"name": "x", "in": "cookie", "type": "string"}],
                "x-ms-visibility": "loud"},
        "post": {"responses": {}},
        "put": {"operationId": "A", "responses": {}},
    }})
    result = import_json(doc)
    assert result.ok
    found = {(f.rule, f.pointer) for f in result.findings}
    assert ("unsupported-field", "/basepath") in found
    assert ("unsupported-field", "/paths/~1a/get/consumes2") in found
    assert ("invalid-parameter", "/paths/~1a/get/parameters/0/in") in found
    assert ("extension-value", "/paths/~1a/get/x-ms-visibility") in found
    assert ("missing-operation-id", "/paths/~1a/post") in found
    assert ("duplicate-operation-id", "/paths/~1a/put/operationId") in found
    ids = [o.operation_id for o in result.connector.operations]  # type: ignore[union-attr]
    assert ids == ["A", "A_2", "post_a"]


def test_missing_host_and_http_scheme() -> None:
    doc = swagger_doc(schemes=["http"])
    assert import_json(doc).connector.base_url == "http://api.ticketdesk.io/v1"  # type: ignore[union-attr]
    del doc["host"]
    assert import_json(doc).connector.base_url == ""  # type: ignore[union-attr]


def test_parameter_ref_to_nowhere_skips_the_parameter_with_a_warning() -> None:
    doc = swagger_doc(paths={"/a": {"get": {
        "operationId": "A", "summary": "A", "description": "A",
        "parameters": [{"$ref": "#/parameters/missing"}],
        "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Gone"}}},
    }}})
    result = import_json(doc)
    assert result.ok
    op = result.connector.operations[0]  # type: ignore[union-attr]
    assert op.parameters == []
    assert op.responses[0].json_schema == {"x-portway-unresolved": "#/definitions/Gone"}
    assert {f.rule for f in result.findings} == {"unresolved-ref"}


def test_unsupported_versions_fail_clearly() -> None:
    result = import_json({"swagger": "1.2", "paths": {}})
    assert not result.ok
    assert result.errors[0].rule == "UnsupportedSpec"
    result = import_json(["not", "a", "spec"])
    assert result.errors[0].rule == "UnsupportedSpec"


def test_a_body_without_consumes_is_json() -> None:
    doc = swagger_doc(consumes=[], paths={"/a": {"post": {
        "operationId": "A", "responses": {},
        "parameters": [{"name": "body", "in": "body", "schema": {"type": "object"}}]}}})
    op = import_json(doc).connector.operations[0]  # type: ignore[union-attr]
    assert op.request_content_types == ["application/json"]
