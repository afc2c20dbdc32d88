from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest
from openapi_core.validation.request.exceptions import RequestValidationError

from tests.importers.conftest import import_json, swagger_doc


def openapi_for(doc: dict[str, Any]) -> tuple[OpenAPI, dict[str, Any]]:
    c = import_json(doc).connector
    assert c is not None and c.openapi is not None
    return OpenAPI.from_dict(c.openapi), c.openapi


DOC = swagger_doc(paths={
    "/tickets/{id}": {
        "parameters": [{"name": "id", "in": "path", "required": True, "type": "integer"}],
        "put": {
            "operationId": "PutTicket",
            "parameters": [
                {"name": "tags", "in": "query", "type": "array", "items": {"type": "string"},
                 "collectionFormat": "csv"},
                {"name": "body", "in": "body", "required": True,
                 "schema": {"$ref": "#/definitions/Ticket"}},
            ],
            "responses": {"200": {"description": "ok",
                                  "schema": {"$ref": "#/definitions/Ticket"}}},
        },
    },
    "/files": {"post": {
        "operationId": "Upload", "consumes": ["multipart/form-data"],
        "parameters": [{"name": "name", "in": "formData", "type": "string", "required": True}],
        "responses": {},
    }},
}, definitions={"Ticket": {"type": "object", "required": ["title"], "x-nullable": False,
                           "properties": {"title": {"type": "string"},
                                          "parent": {"$ref": "#/definitions/Ticket"}}}})


def test_the_conversion_is_openapi_30_with_components() -> None:
    _, doc = openapi_for(DOC)
    assert doc["openapi"] == "3.0.3"
    assert doc["servers"] == [{"url": "https://api.ticketdesk.io/v1"}]
    put = doc["paths"]["/tickets/{id}"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Ticket"}
    tags = next(p for p in put["parameters"] if p["name"] == "tags")
    assert (tags["style"], tags["explode"]) == ("form", False)
    assert doc["components"]["securitySchemes"]["key"] == {
        "type": "apiKey", "name": "X-Key", "in": "header"}
    assert doc["components"]["schemas"]["Ticket"]["nullable"] is False
    assert doc["paths"]["/files"]["post"]["requestBody"]["content"][
        "multipart/form-data"]["schema"]["required"] == ["name"]
    assert doc["paths"]["/files"]["post"]["responses"] == {"default": {"description": "default"}}


def test_openapi_core_validates_requests_against_the_conversion() -> None:
    api, _ = openapi_for(DOC)
    good = MockRequest("https://api.ticketdesk.io", "put", "/v1/tickets/7",
                       args={"tags": "a,b"},
                       headers={"X-Key": "k"}, data=json.dumps({"title": "t"}).encode())
    api.validate_request(good)
    bad = MockRequest("https://api.ticketdesk.io", "put", "/v1/tickets/7",
                      headers={"X-Key": "k"},
                      data=json.dumps({"parent": {}}).encode())
    with pytest.raises(RequestValidationError):
        api.validate_request(bad)
    not_int = MockRequest("https://api.ticketdesk.io", "put", "/v1/tickets/x",
                          headers={"X-Key": "k"},
                          data=json.dumps({"title": "t"}).encode())
    with pytest.raises(RequestValidationError):
        api.validate_request(not_int)


def test_corpus_style_swagger_converts_for_openapi_core() -> None:
    doc = swagger_doc(paths={"/a": {"get": {
        "operationId": "A",
        "parameters": [{"name": "f", "in": "query", "type": "file"},
                       {"name": "h", "in": "header", "type": "array",
                        "items": {"type": "string"}}],
        "responses": {"200": {"description": "ok", "schema": {
            "type": "object", "discriminator": "kind",
            "properties": {"kind": {"type": "string"}}, "required": ["kind"]}}}}}})
    api, doc3 = openapi_for(doc)
    schema = doc3["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"]
    assert schema["discriminator"] == {"propertyName": "kind"}
    assert api is not None


def test_shared_parameters_and_responses_become_components() -> None:
    doc = swagger_doc(
        parameters={"top": {"name": "top", "in": "query", "type": "integer"},
                    "payload": {"name": "payload", "in": "body",
                                "schema": {"$ref": "#/definitions/Ticket"}}},
        responses={"NotFound": {"description": "gone", "schema": {"type": "object"}}},
        tags=[{"name": "tickets"}], **{"x-ms-connector-metadata": [{"propertyName": "a"}]},
    )
    _, doc3 = openapi_for(doc)
    components = doc3["components"]
    assert components["parameters"]["top"]["schema"] == {"type": "integer"}
    assert components["requestBodies"]["payload"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Ticket"}
    assert components["responses"]["NotFound"]["description"] == "gone"
    assert doc3["tags"] == [{"name": "tickets"}]
    assert doc3["x-ms-connector-metadata"] == [{"propertyName": "a"}]
