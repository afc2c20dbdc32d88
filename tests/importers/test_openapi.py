from __future__ import annotations

from typing import Any

from tests.importers.conftest import import_json

DOC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Museum", "version": "2", "description": "Tickets and events."},
    "servers": [{"url": "https://{region}.museum.io/{base}",
                 "variables": {"region": {"default": "eu"}, "base": {"default": "v2"}}}],
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "cc": {"type": "oauth2", "flows": {"clientCredentials": {
                "tokenUrl": "https://auth.museum.io/token", "scopes": {"read": "r"}}}},
            "digest": {"type": "http", "scheme": "digest"},
        },
        "parameters": {"limit": {"name": "limit", "in": "query",
                                 "schema": {"type": "integer", "default": 10}}},
        "schemas": {"Event": {"type": "object", "properties": {
            "id": {"type": "string"},
            "next": {"$ref": "#/components/schemas/Event", "description": "the next"}}}},
    },
    "paths": {
        "/events": {
            "get": {"operationId": "listEvents", "summary": "List events",
                    "parameters": [{"$ref": "#/components/parameters/limit"}],
                    "responses": {"200": {"description": "ok", "content": {
                        "application/json": {"schema": {
                            "type": "array", "items": {"$ref": "#/components/schemas/Event"}}}},
                        "headers": {"X-Count": {"schema": {"type": "integer"}}}}}},
            "post": {"operationId": "createEvent",
                     "x-codegen-request-body-name": "event",
                     "requestBody": {"required": True, "content": {
                         "application/xml": {"schema": {"type": "string"}},
                         "application/json": {"schema": {"$ref": "#/components/schemas/Event"}},
                     }},
                     "callbacks": {"onDone": {}},
                     "responses": {"201": {"description": "created"}}},
            "trace": {"operationId": "traceEvents", "responses": {}},
        },
    },
    "webhooks": {"newEvent": {"post": {"responses": {"200": {"description": "ok"}}}}},
}


def test_openapi_31_imports() -> None:
    result = import_json(DOC)
    c = result.connector
    assert c is not None and result.ok
    assert (c.source_format, c.base_url) == ("openapi3.1", "https://eu.museum.io/v2")
    assert [(o.operation_id, o.method) for o in c.operations] == [
        ("listEvents", "GET"), ("createEvent", "POST"), ("traceEvents", "TRACE")]
    listing, create, _ = c.operations
    (limit,) = listing.parameters
    assert (limit.name, limit.location, limit.default) == ("limit", "query", 10)
    schema = listing.responses[0].json_schema
    assert schema is not None
    assert schema["items"]["properties"]["next"] == {
        "x-portway-recursive": "#/components/schemas/Event", "description": "the next"}
    assert listing.responses[0].headers == {"X-Count": {"type": "integer"}}
    (body,) = create.parameters
    assert (body.name, body.location, body.required) == ("event", "body", True)
    assert create.request_content_types == ["application/xml", "application/json"]
    assert create.request_schema is not None and create.request_schema["type"] == "object"
    assert create.extensions["callbacks"] == {"onDone": {}}
    assert c.metadata["webhooks"] == DOC["webhooks"]
    assert c.openapi == DOC


def test_security_schemes() -> None:
    result = import_json(DOC)
    c = result.connector
    assert c is not None
    assert [(a.name, a.kind, a.parameters) for a in c.auth] == [
        ("bearer", "oauth2", ["token"]), ("cc", "oauth2", ["token_cc"])]
    assert c.auth[1].oauth is not None and c.auth[1].oauth.flow == "clientCredentials"
    rules = {(f.rule, f.pointer) for f in result.findings}
    assert ("security-scheme", "/components/securitySchemes/digest") in rules
    assert {f.rule for f in result.findings} == {
        "security-scheme", "webhooks-kept", "callbacks-kept"}


def test_openapi_30_and_relative_server() -> None:
    doc = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
           "servers": [{"url": "/api/"}], "paths": {"/x": {"get": {
               "responses": {"default": {"description": "d"}}}}}}
    c = import_json(doc, filename="spec.yaml").connector
    assert c is not None
    assert (c.source_format, c.base_url, c.operations[0].operation_id) == (
        "openapi3.0", "/api", "get_x")


def test_servers_not_a_list_is_a_warning() -> None:
    doc = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
           "servers": {"url": "/v1"}, "paths": {}}
    result = import_json(doc)
    assert result.ok
    assert [f.rule for f in result.findings] == ["invalid-servers"]


def test_an_unquoted_yaml_version_number() -> None:
    from importers import import_document
    result = import_document(b"openapi: 3.0\ninfo: {title: t, version: 1}\npaths: {}\n",
                             filename="a.yaml", connector_id="a")
    assert result.connector is not None and result.connector.source_format == "openapi3.0"
