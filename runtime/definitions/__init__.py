"""Workflow definitions: the forms they come in (``loading``), their model (``model``),
deploy-time validation (``validation``) and Logic Apps' limits (``limits``).

``check(specs)`` is what every deploy path calls: it validates each workflow against the
action types, control types and expression functions this runtime has, and raises one
``DefinitionInvalid`` carrying every finding (file and JSON pointer) when any fails.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from gateway.expressions import LIBRARY, FunctionRegistry
from runtime.definitions.loading import from_body, load_path, refuse
from runtime.definitions.model import Bundle, Finding, WorkflowSpec
from runtime.definitions.validation import validate

__all__ = ["Bundle", "Finding", "WorkflowSpec", "check", "from_body", "load_path",
           "refuse", "runtime_functions"]

#: The workflow functions (runtime/expressions.py registers them); used to recognise them
#: until that registry is importable.
WORKFLOW_FUNCTIONS = (
    "trigger", "triggerBody", "triggerOutputs", "triggerFormDataValue",
    "triggerFormDataMultiValues", "triggerMultipartBody", "body", "outputs", "actions",
    "action", "actionBody", "actionOutputs", "result", "items", "item", "iterationIndexes",
    "variables", "parameters", "appsetting", "workflow", "listCallbackUrl",
    "formDataValue", "formDataMultiValues", "multipartBody")


def _optional(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def runtime_functions() -> FunctionRegistry:
    """The functions a run may call: the runtime's registry, or the library plus the
    workflow functions' names when that is not there yet."""
    for name in ("REGISTRY", "FUNCTIONS", "registry"):
        found = _optional("runtime.expressions", name)
        if isinstance(found, FunctionRegistry):
            return found
    registry = LIBRARY.extend()
    for name in WORKFLOW_FUNCTIONS:
        if registry.lookup(name) is None:
            registry.register(name, lambda *_: None)
    return registry


def leaf_types() -> frozenset[str]:
    register_all = _optional("runtime.actions", "register_all")
    if callable(register_all):
        register_all()
    from runtime.actions.registry import registered_types

    return registered_types()


def control_types() -> frozenset[str]:
    found = _optional("runtime.engine", "CONTROL_TYPES")
    return frozenset(t.lower() for t in found) if found else frozenset()


def check(specs: Sequence[WorkflowSpec], what: str = "the workflow") -> None:
    """Raises DefinitionInvalid with every finding of every workflow."""
    leaves, controls, functions = leaf_types(), control_types(), runtime_functions()
    findings: list[Finding] = []
    for spec in specs:
        findings.extend(validate(spec, leaf_types=leaves, control_types=controls,
                                 functions=functions))
    if findings:
        raise refuse(findings, what)
