"""The variable actions."""

from __future__ import annotations

import asyncio
from typing import Any

from runtime.actions.base import ActionResult
from runtime.actions.variables import (
    AppendToArrayVariable,
    AppendToStringVariable,
    DecrementVariable,
    IncrementVariable,
    InitializeVariable,
    SetVariable,
)
from tests.runtime.actions.context import Context


def run(handler: Any, inputs: Any, variables: dict[str, Any] | None = None
        ) -> tuple[ActionResult, dict[str, Any]]:
    context = Context({"type": handler.type, "inputs": inputs}, variables=variables)
    result = asyncio.run(handler.run(context))
    assert isinstance(result, ActionResult)
    return result, context.variables


def test_initialize_every_type_with_and_without_value() -> None:
    result, variables = run(InitializeVariable(), {"variables": [
        {"name": "s", "type": "string"}, {"name": "a", "type": "Array"},
        {"name": "i", "type": "integer", "value": 3}, {"name": "f", "type": "float",
                                                       "value": 2},
        {"name": "b", "type": "boolean", "value": True}, {"name": "o", "type": "object"}]})
    assert result.status == "Succeeded"
    assert variables == {"s": "", "a": [], "i": 3, "f": 2.0, "b": True, "o": {}}
    assert isinstance(variables["f"], float)
    assert result.inputs["variables"][2] == {"name": "i", "type": "integer", "value": 3}


def test_initialize_refuses_a_value_of_another_type() -> None:
    result, variables = run(InitializeVariable(), {"variables": [
        {"name": "n", "type": "integer", "value": "seven"}]})
    assert (result.status, result.code) == ("Failed", "InvalidVariableType")
    assert "of type 'Integer' cannot be initialized or updated with value of type " \
           "'String'" in result.error["message"]
    assert variables == {}


def test_initialize_inside_a_scope_and_unknown_types_are_findings() -> None:
    action = {"type": "InitializeVariable", "inputs": {"variables": [
        {"name": "x", "type": "decimal"}]}}
    findings = InitializeVariable().validate(action, "/actions/Scope/actions/Init")
    assert [f.pointer for f in findings] == ["/actions/Scope/actions/Init",
                                             "/actions/Scope/actions/Init/inputs/variables/0/type"]


def test_set_variable_keeps_the_type() -> None:
    result, variables = run(SetVariable(), {"name": "s", "value": "new"}, {"s": "old"})
    assert result.outputs == {"body": {"name": "s", "value": "new"}}
    assert variables == {"s": "new"}
    refused, kept = run(SetVariable(), {"name": "s", "value": 5}, {"s": "old"})
    assert (refused.status, kept) == ("Failed", {"s": "old"})


def test_set_of_a_variable_never_initialised_fails() -> None:
    result, _ = run(SetVariable(), {"name": "nope", "value": 1})
    assert result.status == "Failed"
    assert "'nope' does not exist" in result.error["message"]


def test_increment_and_decrement() -> None:
    result, variables = run(IncrementVariable(), {"name": "n"}, {"n": 4})
    assert (result.outputs, variables) == ({"body": {"name": "n", "value": 5}}, {"n": 5})
    _, variables = run(DecrementVariable(), {"name": "f", "value": 0.5}, {"f": 2.0})
    assert variables == {"f": 1.5}
    refused, _ = run(IncrementVariable(), {"name": "s", "value": 1}, {"s": "x"})
    assert refused.status == "Failed"


def test_append_to_array_and_string() -> None:
    _, variables = run(AppendToArrayVariable(), {"name": "a", "value": {"m": 1}},
                       {"a": [1]})
    assert variables == {"a": [1, {"m": 1}]}
    _, variables = run(AppendToStringVariable(), {"name": "s", "value": 42}, {"s": "n="})
    assert variables == {"s": "n=42"}
    refused, _ = run(AppendToArrayVariable(), {"name": "s", "value": 1}, {"s": "x"})
    assert refused.status == "Failed"
