"""JSON Schemas generated from XSD: every construct the issue lists, checked two ways.

Each test pins the generated keywords, and validates real instances with ``jsonschema``
so the schema means what it says (recursion through ``$defs`` included).
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from importers.wsdl import import_wsdl
from tests.importers.wsdl.conftest import bundle


@pytest.fixture(scope="module")
def request_schema() -> dict[str, Any]:
    result = import_wsdl("types.wsdl", bundle(), connector_id="types")
    assert result.findings == []
    assert result.connector is not None
    schema = result.connector.operations[0].request_schema
    assert schema is not None
    return schema


def _item(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"id": 1, "version": 2, "colour": "red", "note": None,
                            "byEmail": "a@example.test"}
    item.update(changes)
    return {k: v for k, v in item.items() if v != "<absent>"}


def _valid(schema: dict[str, Any], instance: dict[str, Any]) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(instance)


def test_sequence_min_occurs_and_arrays(request_schema: dict[str, Any]) -> None:
    assert request_schema["required"] == ["item", "when"]
    assert request_schema["properties"]["item"] == {
        "type": "array", "items": {"$ref": "#/$defs/Item"}, "maxItems": 5}
    assert request_schema["properties"]["when"] == {"type": "string", "format": "date-time"}


def test_extension_attributes_enumerations_restrictions(request_schema: dict[str, Any]) -> None:
    item = request_schema["$defs"]["Item"]
    assert item["x-xsd-base"] == "Base"
    assert list(item["properties"])[:2] == ["id", "colour"]  # the base's content first
    assert item["properties"]["version"]["x-xml-attribute"] is True
    assert item["properties"]["colour"] == {"type": "string", "enum": ["red", "green"]}
    assert item["properties"]["code"] == {"type": "string", "pattern": "^(?:[A-Z]{3})$",
                                          "maxLength": 3}
    assert item["properties"]["share"] == {"type": "integer", "minimum": 0, "maximum": 100}
    assert item["properties"]["note"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert item["properties"]["tag"] == {"type": "array", "items": {"type": "string"}}
    assert item["required"] == ["id", "colour", "note", "version"]


def test_choice_is_one_of(request_schema: dict[str, Any]) -> None:
    base = {"when": "2026-01-01T00:00:00Z"}
    assert _valid(request_schema, {**base, "item": [_item()]})
    assert _valid(request_schema, {**base, "item": [_item(byEmail="<absent>", byPhone="1")]})
    both = _item(byPhone="1")
    assert not _valid(request_schema, {**base, "item": [both]})
    neither = _item(byEmail="<absent>")
    assert not _valid(request_schema, {**base, "item": [neither]})


def test_instances_are_checked_against_the_facets(request_schema: dict[str, Any]) -> None:
    base = {"when": "2026-01-01T00:00:00Z"}
    assert not _valid(request_schema, {**base, "item": [_item(colour="blue")]})
    assert not _valid(request_schema, {**base, "item": [_item(code="abcd")]})
    assert not _valid(request_schema, {**base, "item": [_item(share=101)]})
    assert not _valid(request_schema, {**base, "item": [_item()] * 6})
    assert not _valid(request_schema, {**base, "item": [_item(version="<absent>")]})
    assert _valid(request_schema, {**base, "item": [_item(code="ABC", share=100)]})


def test_recursive_types_go_through_defs(request_schema: dict[str, Any]) -> None:
    node = request_schema["$defs"]["Node"]
    assert node["properties"]["child"] == {"type": "array", "items": {"$ref": "#/$defs/Node"}}
    tree = {"name": "a", "child": [{"name": "b", "child": [{"name": "c"}]}]}
    base = {"when": "2026-01-01T00:00:00Z", "item": [_item()]}
    assert _valid(request_schema, {**base, "tree": tree})
    assert not _valid(request_schema, {**base, "tree": {"child": [{"name": 1}]}})


def test_soap_headers_are_their_own_schema() -> None:
    result = import_wsdl("types.wsdl", bundle(), connector_id="types")
    assert result.connector is not None
    soap = result.connector.operations[0].soap
    assert soap is not None
    assert soap.input_headers == {
        "type": "object",
        "properties": {"auth": {"type": "object", "properties": {"token": {"type": "string"}},
                                "required": ["token"]}},
    }
