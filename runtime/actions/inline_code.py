"""The ``JavaScriptCode`` action (Logic Apps' inline code), run in QuickJS.

``inputs.code`` is the body of a function: what it returns is the action's
``outputs.body``. It sees ``workflowContext`` as Logic Apps gives it: ``workflow``
(``workflow()``), ``trigger`` (``trigger()``) and ``actions.<name>`` (``actions('<name>')``)
for the actions the code names (``workflowContext.actions.X``, ``actions['X']``) and those
of ``explicitDependencies.actions``.

QuickJS has no file system, network or process access: the code can compute and nothing
else. Each run gets a fresh interpreter, bounded in memory and time
(``MEMORY_BYTES``, ``TIME_SECONDS``) and run off the event loop; a script that throws,
runs too long or returns what JSON cannot hold fails the action with
``InlineCodeScriptRuntimeFailure`` and the script's message.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from typing import Any

import quickjs

from gateway import PortwayError
from gateway.expressions import to_json_compatible
from runtime.actions.base import ActionContext, ActionResult, Finding
from runtime.actions.common import LeafHandler, check_kind, failed, require, succeeded

MEMORY_BYTES = 64 * 1024 * 1024
TIME_SECONDS = 5
_NAMED = re.compile(r"""workflowContext\s*\.\s*actions\s*(?:\.\s*([A-Za-z_$][\w$]*)"""
                    r"""|\[\s*(['"])(.+?)\2\s*\])""")


def referenced_actions(code: str, explicit: Any) -> list[str]:
    """The actions a script reads: named in the code, or listed as its dependencies."""
    names = [m.group(1) or m.group(3) for m in _NAMED.finditer(code)]
    if isinstance(explicit, list):
        names.extend(str(name) for name in explicit)
    return list(dict.fromkeys(names))


def run_script(code: str, workflow_context: Mapping[str, Any]) -> Any:
    """Run ``code`` as a function body with ``workflowContext`` defined; its result.

    Raises:
        quickjs.JSException: The script threw, ran out of time or memory.
        ValueError: Its result is not a JSON value.
    """
    interpreter = quickjs.Context()
    interpreter.set_memory_limit(MEMORY_BYTES)
    interpreter.set_time_limit(TIME_SECONDS)
    interpreter.eval("var workflowContext = " + json.dumps(workflow_context) + ";")
    function = interpreter.eval("(function () {\n" + code + "\n})")
    result = function()
    if isinstance(result, quickjs.Object):
        text = result.json()
        return None if text is None else json.loads(text)
    return result


class JavaScriptCode(LeafHandler):
    type = "JavaScriptCode"
    deferred_inputs = frozenset({"code"})

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        require(inputs, "code", pointer, findings, kinds=(str,))
        dependencies = check_kind(inputs, "explicitDependencies", pointer, findings,
                                  kinds=(dict,))
        if isinstance(dependencies, Mapping) and not isinstance(
                dependencies.get("actions", []), list):
            findings.append(Finding(f"{pointer}/inputs/explicitDependencies/actions",
                                    "'explicitDependencies.actions' must be an array"))

    async def run(self, context: ActionContext) -> ActionResult:
        raw = context.action.get("inputs") or {}
        code = raw.get("code") if isinstance(raw, Mapping) else None
        if not isinstance(code, str):
            return failed("InvalidTemplate", "'inputs.code' must be the script's text.")
        dependencies = raw.get("explicitDependencies") or {}
        explicit = dependencies.get("actions") if isinstance(dependencies, Mapping) else None
        workflow_context: dict[str, Any] = {"actions": {}}
        for key, expression in (("workflow", "@workflow()"), ("trigger", "@trigger()")):
            try:
                workflow_context[key] = to_json_compatible(context.evaluate(expression))
            except PortwayError:
                workflow_context[key] = None
        for name in referenced_actions(code, explicit):
            try:
                found = context.evaluate("@actions('" + name.replace("'", "''") + "')")
            except PortwayError:
                continue
            workflow_context["actions"][name] = to_json_compatible(found)
        try:
            value = await asyncio.to_thread(run_script, code, workflow_context)
        except (quickjs.JSException, ValueError) as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else "failed"
            return failed("InlineCodeScriptRuntimeFailure",
                          f"The inline code of action '{context.action_name}' failed: "
                          f"{message}")
        return succeeded({"body": value})
