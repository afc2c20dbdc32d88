"""Compose, ParseJson, Query, Select and Join."""

from __future__ import annotations

import asyncio
from typing import Any

from runtime.actions.base import ActionResult
from runtime.actions.data import Compose, Join, ParseJson, Query, Select
from tests.runtime.actions.context import Context


def run(handler: Any, action: dict[str, Any], **kwargs: Any) -> ActionResult:
    context = Context.for_handler(handler, action, **kwargs)
    result = asyncio.run(handler.run(context))
    assert isinstance(result, ActionResult)
    return result


def test_compose_gives_its_evaluated_inputs() -> None:
    result = run(Compose(), {"type": "Compose", "inputs": {"n": "@add(1, 2)", "s": "x"}})
    assert (result.status, result.outputs) == ("Succeeded", {"n": 3, "s": "x"})


def test_compose_without_inputs_is_a_finding() -> None:
    findings = Compose().validate({"type": "Compose"}, "/actions/C")
    assert [f.pointer for f in findings] == ["/actions/C"]


SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": ["string", "null"]},
    "address": {"type": "object", "properties": {"town": {"type": "string"}}}},
    "required": ["id", "code"]}


def test_parse_json_parses_text_and_keeps_the_value() -> None:
    result = run(ParseJson(), {"type": "ParseJson", "inputs": {
        "content": '{"id": 1, "code": "a", "name": null}', "schema": SCHEMA}})
    assert result.status == "Succeeded"
    assert result.outputs == {"body": {"id": 1, "code": "a", "name": None}}


def test_parse_json_schema_errors_as_logic_apps_lists_them() -> None:
    result = run(ParseJson(), {"type": "ParseJson", "inputs": {
        "content": {"id": "7", "address": {"town": None}}, "schema": SCHEMA}})
    assert (result.status, result.code) == ("Failed", "ValidationFailed")
    assert result.error == {"code": "ValidationFailed",
                            "message": "The schema validation failed."}
    errors = {e["path"]: e for e in result.outputs["errors"]}
    assert errors["id"]["message"] == "Invalid type. Expected Integer but got String."
    assert errors["id"]["schemaId"] == "#/properties/id"
    assert errors["address.town"]["message"] == "Invalid type. Expected String but got Null."
    assert errors[""]["message"] == "Required properties are missing from object: code."
    assert errors[""]["errorType"] == "required"


def test_parse_json_refuses_text_that_is_not_json() -> None:
    result = run(ParseJson(), {"type": "ParseJson", "inputs": {"content": "Body",
                                                               "schema": {}}})
    assert (result.status, result.code) == ("Failed", "InvalidJSON")
    assert "'Body' cannot be parsed" in result.error["message"]


def test_parse_json_of_null_content_fails_as_logic_apps_says() -> None:
    result = run(ParseJson(), {"type": "ParseJson", "inputs": {"content": "@null",
                                                               "schema": {}}}, name="Parse")
    assert (result.status, result.code) == ("Failed", "InvalidTemplate")
    assert "action 'Parse' inputs" in result.error["message"]
    assert "'content' expects a value but got null" in result.error["message"]


def test_parse_json_needs_content_and_an_object_schema_at_deploy() -> None:
    findings = ParseJson().validate({"type": "ParseJson", "inputs": {"schema": []}},
                                    "/actions/P")
    assert sorted(f.pointer for f in findings) == ["/actions/P/inputs",
                                                    "/actions/P/inputs/schema"]


def test_query_filters_with_item_per_element() -> None:
    result = run(Query(), {"type": "Query", "inputs": {
        "from": [{"n": 1}, {"n": 5}, {"n": 9}], "where": "@greater(item()['n'], 3)"}})
    assert result.outputs == {"body": [{"n": 5}, {"n": 9}]}


def test_query_refuses_a_from_that_is_not_an_array() -> None:
    result = run(Query(), {"type": "Query", "inputs": {"from": {"a": 1}, "where": "@true"}})
    assert (result.status, result.code) == ("Failed", "InvalidTemplate")
    assert "of type 'Object'" in result.error["message"]


def test_select_maps_an_object_or_a_value() -> None:
    rows = [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    shaped = run(Select(), {"type": "Select", "inputs": {
        "from": rows, "select": {"key": "@item()['b']", "double": "@mul(item()['a'], 2)"}}})
    assert shaped.outputs == {"body": [{"key": "x", "double": 2}, {"key": "y", "double": 4}]}
    plain = run(Select(), {"type": "Select", "inputs": {"from": rows, "select": "@item()['a']"}})
    assert plain.outputs == {"body": [1, 2]}


def test_join_spells_items_as_strings() -> None:
    result = run(Join(), {"type": "Join", "inputs": {"from": [1, "a", True, {"k": 2}],
                                                     "joinWith": ";"}})
    assert result.outputs == {"body": '1;a;True;{"k":2}'}
