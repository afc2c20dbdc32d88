"""The variable actions: ``InitializeVariable``, ``SetVariable``, ``IncrementVariable``,
``DecrementVariable``, ``AppendToArrayVariable`` and ``AppendToStringVariable``.

A variable's type is the one it was initialised with; the value's own type tells it
(``float`` variables always hold floats), so a ``SetVariable`` of another type is refused
as Logic Apps refuses it. An ``InitializeVariable`` without ``value`` starts from the
type's empty value (``""``, ``0``, ``false``, ``[]``, ``{}``). In a Stateless workflow a
variable holds at most 1,024 bytes (``runtime/definitions/limits.py``): an action that
would store more fails (``VariableSizeLimitExceeded``) and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from gateway import PortwayError
from gateway.expressions import to_string
from runtime.actions.base import ActionContext, ActionResult, Finding
from runtime.actions.common import (
    LeafHandler,
    check_kind,
    failed,
    require,
    succeeded,
)
from runtime.actions.schema_errors import json_type_word
from runtime.definitions.limits import limits_of

TYPES = {"boolean": "Boolean", "integer": "Integer", "float": "Float", "string": "String",
         "array": "Array", "object": "Object"}
_EMPTY: dict[str, Any] = {"boolean": False, "integer": 0, "float": 0.0, "string": "",
                          "array": [], "object": {}}


def type_of(value: Any) -> str | None:
    """The variable type a value belongs to (lower case, a key of ``TYPES``), or None
    (null, or no JSON value at all)."""
    word = json_type_word(value).lower()
    return word if word in TYPES else None


def _coerce(name: str, kind: str, value: Any) -> Any:
    """``value`` as a ``kind`` variable holds it.

    Raises:
        VariableTypeError: It is not of that type.
    """
    found = type_of(value)
    if kind == "float" and found == "integer":
        return float(value)
    if value is None or found == kind:
        return value
    raise VariableTypeError(
        f"The variable '{name}' of type '{TYPES[kind]}' cannot be initialized or updated "
        f"with value of type '{TYPES.get(found or '', 'Null')}'. The variable '{name}' only "
        f"supports values of types '{TYPES[kind]}'.")


class VariableTypeError(ValueError):
    """A value does not fit a variable's type."""


def _too_big(context: ActionContext, name: str, value: Any) -> ActionResult | None:
    """The failure of storing ``value`` in the variable, when it is over the workflow
    kind's variable size (Logic Apps' ``VariableSizeLimitExceeded``); None when it fits."""
    most = limits_of(context.version.kind).variable_bytes
    if most is None:
        return None
    if isinstance(value, str):
        size = len(value.encode("utf-8")) if len(value) * 4 > most else len(value)
    else:
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False)
                   .encode("utf-8"))
    if size <= most:
        return None
    return failed("VariableSizeLimitExceeded",
                  f"The variable '{name}' has size of more than '{size}' bytes. This "
                  f"exceeded the maximum size '{most}' configured.")


def _nested(pointer: str) -> bool:
    return pointer.count("/actions/") > 1


class InitializeVariable(LeafHandler):
    type = "InitializeVariable"
    pure = True

    def validate(self, action: Mapping[str, Any], pointer: str) -> Sequence[Finding]:
        nested = [Finding(pointer, "InitializeVariable actions must be at the workflow's "
                                   "top level, not inside another action")] \
            if _nested(pointer) else []
        return [*nested, *super().validate(action, pointer)]

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        variables = require(inputs, "variables", pointer, findings, kinds=(list,))
        if not isinstance(variables, list):
            return
        for index, variable in enumerate(variables):
            where = f"{pointer}/inputs/variables/{index}"
            if not isinstance(variable, Mapping):
                findings.append(Finding(where, "each variable must be an object"))
                continue
            if not isinstance(variable.get("name"), str) or not variable["name"]:
                findings.append(Finding(f"{where}/name", "a variable needs a 'name'"))
            kind = variable.get("type")
            if not isinstance(kind, str) or kind.lower() not in TYPES:
                findings.append(Finding(f"{where}/type", "a variable's 'type' is one of "
                                        + ", ".join(TYPES)))

    async def run(self, context: ActionContext) -> ActionResult:
        variables = context.inputs.get("variables") if isinstance(context.inputs,
                                                                   Mapping) else None
        if not isinstance(variables, list):
            return failed("InvalidTemplate", "'inputs.variables' must be an array")
        shown = []
        for variable in variables:
            name = str(variable.get("name"))
            kind = str(variable.get("type", "")).lower()
            if kind not in TYPES:
                return failed("InvalidVariableType",
                              f"The variable '{name}' has an unknown type '{kind}'.")
            value = variable["value"] if "value" in variable else _empty(kind)
            try:
                value = _coerce(name, kind, value)
            except VariableTypeError as exc:
                return failed("InvalidVariableType", str(exc))
            if (refused := _too_big(context, name, value)) is not None:
                return refused
            shown.append({"name": name, "type": kind, "value": value})
        for variable in shown:  # all or none
            context.set_variable(variable["name"], variable["value"])
        return succeeded(None, inputs={"variables": shown})


def _empty(kind: str) -> Any:
    empty = _EMPTY[kind]
    return type(empty)() if isinstance(empty, (list, dict)) else empty


class _OneVariable(LeafHandler):
    pure = True
    """The actions that change one existing variable: ``{"name", "value"}``."""

    value_required = True

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        require(inputs, "name", pointer, findings, kinds=(str,))
        if self.value_required and "value" not in inputs:
            findings.append(Finding(f"{pointer}/inputs", "'inputs.value' is required"))
        self.validate_value(inputs, pointer, findings)

    def validate_value(self, inputs: Mapping[str, Any], pointer: str,
                       findings: list[Finding]) -> None:
        return None

    async def run(self, context: ActionContext) -> ActionResult:
        inputs = context.inputs if isinstance(context.inputs, Mapping) else {}
        name = inputs.get("name")
        if not isinstance(name, str):
            return failed("InvalidTemplate", "'inputs.name' must be a string")
        try:
            current = context.get_variable(name)
        except PortwayError:
            return failed("InvalidTemplate",
                          f"The variable '{name}' does not exist. Initialize it with an "
                          "InitializeVariable action first.")
        try:
            updated = self.change(name, current, inputs.get("value"))
        except VariableTypeError as exc:
            return failed("InvalidVariableType", str(exc))
        if (refused := _too_big(context, name, updated)) is not None:
            return refused
        context.set_variable(name, updated)
        return succeeded({"body": {"name": name, "value": updated}},
                         inputs={"name": name, "value": inputs.get("value")})

    def change(self, name: str, current: Any, value: Any) -> Any:
        raise NotImplementedError


class SetVariable(_OneVariable):
    type = "SetVariable"

    def change(self, name: str, current: Any, value: Any) -> Any:
        kind = type_of(current)
        return value if kind is None else _coerce(name, kind, value)


class IncrementVariable(_OneVariable):
    type = "IncrementVariable"
    value_required = False
    sign = 1

    def validate_value(self, inputs: Mapping[str, Any], pointer: str,
                       findings: list[Finding]) -> None:
        check_kind(inputs, "value", pointer, findings, kinds=(int, float))

    def change(self, name: str, current: Any, value: Any) -> Any:
        kind = type_of(current)
        if kind not in ("integer", "float"):
            raise VariableTypeError(
                f"The variable '{name}' of type '{TYPES.get(kind or '', 'Null')}' cannot be "
                f"incremented or decremented: only variables of type 'Integer' or 'Float' can.")
        step = 1 if value is None else value
        if type_of(step) not in ("integer", "float"):
            raise VariableTypeError(
                f"The value to increment or decrement the variable '{name}' by must be a "
                f"number, not a value of type '{TYPES.get(type_of(step) or '', 'Null')}'.")
        result = current + self.sign * step
        return float(result) if kind == "float" else result


class DecrementVariable(IncrementVariable):
    type = "DecrementVariable"
    sign = -1


class AppendToArrayVariable(_OneVariable):
    type = "AppendToArrayVariable"

    def change(self, name: str, current: Any, value: Any) -> Any:
        if current is None:
            current = []
        if not isinstance(current, list):
            raise VariableTypeError(
                f"The variable '{name}' of type '{TYPES.get(type_of(current) or '', 'Null')}' "
                "cannot be appended to: only variables of type 'Array' can.")
        return [*current, value]


class AppendToStringVariable(_OneVariable):
    type = "AppendToStringVariable"

    def change(self, name: str, current: Any, value: Any) -> Any:
        if current is None:
            current = ""
        if not isinstance(current, str):
            raise VariableTypeError(
                f"The variable '{name}' of type '{TYPES.get(type_of(current) or '', 'Null')}' "
                "cannot be appended to: only variables of type 'String' can.")
        return current + to_string(value)


HANDLERS = (InitializeVariable(), SetVariable(), IncrementVariable(), DecrementVariable(),
            AppendToArrayVariable(), AppendToStringVariable())
