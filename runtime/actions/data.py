"""Data operations: ``Compose``, ``ParseJson``, ``Query`` (filter array), ``Select`` and
``Join``. ``Table`` is in ``runtime/actions/table.py``.

Outputs are shaped as the run history shows them: ``Compose`` gives its value itself;
the others ``{"body": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from gateway.expressions import to_string
from runtime.actions.base import ActionContext, ActionResult, Finding
from runtime.actions.common import (
    LeafHandler,
    failed,
    require,
    succeeded,
)
from runtime.actions.schema_errors import SchemaInvalid, json_type_word, schema_errors


class Compose(LeafHandler):
    type = "Compose"
    pure = True

    def validate(self, action: Mapping[str, Any], pointer: str) -> Sequence[Finding]:
        if "inputs" not in action:
            return [Finding(pointer, "a Compose action needs 'inputs'")]
        return []

    async def run(self, context: ActionContext) -> ActionResult:
        return succeeded(context.inputs, code="OK")


def _content_value(content: Any) -> tuple[bool, Any]:
    """What ParseJson parses: text and binary content are JSON text; other values are
    taken as they are."""
    if isinstance(content, (bytes, bytearray)):
        content = bytes(content).decode("utf-8-sig", errors="replace")
    if isinstance(content, str):
        try:
            return True, json.loads(content)
        except ValueError:
            return False, content
    return True, content


class ParseJson(LeafHandler):
    type = "ParseJson"
    pure = True

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        if "content" not in inputs:
            findings.append(Finding(f"{pointer}/inputs", "'inputs.content' is required"))
        require(inputs, "schema", pointer, findings, kinds=(dict,))

    async def run(self, context: ActionContext) -> ActionResult:
        inputs = context.inputs if isinstance(context.inputs, Mapping) else {}
        if inputs.get("content") is None:
            return failed("InvalidTemplate",
                          "Unable to process template language expressions in action "
                          f"'{context.action_name}' inputs at line '0' and column '0': "
                          "'Required property 'content' expects a value but got null. "
                          "Path ''.'.")
        parsed_ok, value = _content_value(inputs.get("content"))
        if not parsed_ok:
            shown = value if len(value) <= 100 else value[:100] + "..."
            return failed("InvalidJSON",
                          "The 'content' property of actions of type 'ParseJson' must be "
                          f"valid JSON. The provided value '{shown}' cannot be parsed.")
        schema = inputs.get("schema")
        if not isinstance(schema, Mapping):
            return failed("InvalidTemplate",
                          "The 'schema' property of actions of type 'ParseJson' must be an "
                          "object.")
        try:
            errors = schema_errors(schema, value)
        except SchemaInvalid as exc:
            return failed("InvalidJsonSchema",
                          f"The 'schema' property of action '{context.action_name}' is not "
                          f"a valid JSON schema: {exc}")
        if errors:
            return failed("ValidationFailed", "The schema validation failed.",
                          outputs={"body": value, "errors": errors})
        return succeeded({"body": value})


def _from_array(context: ActionContext, action_type: str
                ) -> tuple[Mapping[str, Any], list[Any]] | ActionResult:
    """The action's inputs and its ``from`` array, or the failure when it is not one."""
    inputs = context.inputs if isinstance(context.inputs, Mapping) else {}
    value = inputs.get("from")
    if isinstance(value, list):
        return inputs, value
    return failed(
        "InvalidTemplate",
        f"The 'from' property value in the '{action_type.lower()}' action inputs is of type "
        f"'{json_type_word(value)}'. The value must be an array.")


class Query(LeafHandler):
    type = "Query"
    pure = True
    deferred_inputs = frozenset({"where"})

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        require(inputs, "from", pointer, findings, kinds=(list,))
        require(inputs, "where", pointer, findings, kinds=(str, bool))

    async def run(self, context: ActionContext) -> ActionResult:
        found = _from_array(context, "Query")
        if isinstance(found, ActionResult):
            return found
        _, items = found
        where = context.action.get("inputs", {}).get("where")
        kept = []
        for item in items:
            verdict = context.evaluate_for_item(where, item)
            if not isinstance(verdict, bool):
                return failed("InvalidTemplate",
                              "The 'where' property of the 'query' action must evaluate to a "
                              f"boolean, not a value of type '{json_type_word(verdict)}'.")
            if verdict:
                kept.append(item)
        return succeeded({"body": kept}, inputs={"from": items})


class Select(LeafHandler):
    type = "Select"
    pure = True
    deferred_inputs = frozenset({"select"})

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        require(inputs, "from", pointer, findings, kinds=(list,))
        if "select" not in inputs:
            findings.append(Finding(f"{pointer}/inputs", "'inputs.select' is required"))

    async def run(self, context: ActionContext) -> ActionResult:
        found = _from_array(context, "Select")
        if isinstance(found, ActionResult):
            return found
        _, items = found
        shape = context.action.get("inputs", {}).get("select")
        mapped = [context.evaluate_for_item(shape, item) for item in items]
        return succeeded({"body": mapped}, inputs={"from": items, "select": shape})


class Join(LeafHandler):
    type = "Join"
    pure = True

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        require(inputs, "from", pointer, findings, kinds=(list,))
        require(inputs, "joinWith", pointer, findings, kinds=(str,))

    async def run(self, context: ActionContext) -> ActionResult:
        found = _from_array(context, "Join")
        if isinstance(found, ActionResult):
            return found
        inputs, items = found
        separator = inputs.get("joinWith")
        if not isinstance(separator, str):
            return failed("InvalidTemplate",
                          "The 'joinWith' property of the 'join' action must be a string.")
        return succeeded({"body": separator.join(to_string(item) for item in items)})
