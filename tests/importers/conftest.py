"""Shared helpers for the REST importer tests: small specs built in code, imported for real."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from importers import ImportResult, import_document


def swagger_doc(**overrides: Any) -> dict[str, Any]:
    """A small, certification-clean Swagger 2.0 document; ``overrides`` replace top keys."""
    doc: dict[str, Any] = {
        "swagger": "2.0",
        "info": {"title": "Ticket Desk", "version": "1.2",
                 "description": "Create, read and follow support tickets of Ticket Desk."},
        "host": "api.ticketdesk.io",
        "basePath": "/v1",
        "schemes": ["https"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "securityDefinitions": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}},
        "security": [{"key": []}],
        "paths": {
            "/tickets/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True, "type": "string",
                                "x-ms-summary": "Ticket id"}],
                "get": {
                    "operationId": "GetTicket", "summary": "Get a ticket",
                    "description": "Reads one ticket by its id.",
                    "responses": {"200": {"description": "ok",
                                          "schema": {"$ref": "#/definitions/Ticket"}}},
                },
                "delete": {
                    "operationId": "DeleteTicket", "summary": "Delete a ticket",
                    "description": "Deletes one ticket.",
                    "responses": {"204": {"description": "gone"}},
                },
            },
        },
        "definitions": {
            "Ticket": {"type": "object", "properties": {
                "id": {"type": "string"}, "title": {"type": "string"},
                "parent": {"$ref": "#/definitions/Ticket"}}},
        },
    }
    doc.update(copy.deepcopy(overrides))
    return doc


def import_json(doc: Any, *, properties: Any = None, connector_id: str = "demo",
                filename: str = "spec.json") -> ImportResult:
    """Imports ``doc`` as an upload would arrive."""
    props = json.dumps(properties).encode() if properties is not None else None
    return import_document(json.dumps(doc).encode(), filename=filename,
                           connector_id=connector_id, properties=props)


@pytest.fixture
def ticket_doc() -> dict[str, Any]:
    return swagger_doc()
