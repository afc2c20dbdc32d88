"""The workflow functions of the expression language, on the gateway's library.

``REGISTRY`` is ``gateway.expressions.LIBRARY`` (no policy functions) plus the functions
that read a run: ``trigger()``, ``triggerBody()``, ``body('X')``, ``actions('X')``,
``items('Loop')``, ``variables('v')``, ``parameters('p')``, ``appsetting('k')``,
``workflow()``... They read one object from the evaluation context, the run's
``WorkflowScope`` under the name ``SCOPE_KEY``, which the engine implements; this module
knows nothing of how the engine keeps its state.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from gateway.expressions import (
    LIBRARY,
    ArgumentTypeError,
    EvaluationContext,
    FunctionRegistry,
    MissingPropertyError,
)

__all__ = ["REGISTRY", "SCOPE_KEY", "WorkflowScope", "workflow_context"]

#: The context name under which the engine hands its ``WorkflowScope``.
SCOPE_KEY = "$workflow"


class WorkflowScope(Protocol):
    """What the workflow functions may read of the run, at one action's place in it."""

    def trigger(self) -> Mapping[str, Any]:
        """``trigger()``: ``{"name", "inputs", "outputs", "startTime", ..., "status"}``."""
        ...

    def action(self, name: str | None) -> Mapping[str, Any] | None:
        """An action's record as ``actions('X')`` shows it (None: the current action,
        for ``action()`` in ``trackedProperties``); None when it has not run."""
        ...

    def scope_results(self, name: str) -> list[Mapping[str, Any]]:
        """``result('Scope')``: the records of the actions directly inside it."""
        ...

    def item(self, loop: str | None) -> Any:
        """The current item of ``loop`` (None: the innermost ``Foreach``)."""
        ...

    def iteration_index(self, loop: str) -> int:
        """The current iteration index of a ``Until`` (or ``Foreach``) loop."""
        ...

    def variable(self, name: str) -> Any: ...

    def parameter(self, name: str) -> Any: ...

    def appsetting(self, name: str) -> str | None: ...

    def workflow(self) -> Mapping[str, Any]:
        """``workflow()``: ``{"id", "name", "type", "run": {"id", "name", "type"}}``."""
        ...

    def callback_url(self) -> str | None: ...


def workflow_context(scope: WorkflowScope, base: EvaluationContext) -> EvaluationContext:
    """An evaluation context whose workflow functions read ``scope``."""
    return EvaluationContext({SCOPE_KEY: scope}, base.clock, base.rng, base.limits)


def _scope(ctx: EvaluationContext) -> WorkflowScope:
    scope = ctx.get(SCOPE_KEY)
    if scope is None:
        raise MissingPropertyError("workflow functions can only be used inside a workflow run")
    return scope  # type: ignore[no-any-return]


def _name(value: Any, function: str) -> str:
    if not isinstance(value, str):
        raise ArgumentTypeError(f"the argument must be a string, not {type(value).__name__}",
                                function=function)
    return value


def _record(ctx: EvaluationContext, name: Any, function: str) -> Mapping[str, Any]:
    key = _name(name, function)
    record = _scope(ctx).action(key)
    if record is None:
        raise MissingPropertyError(
            f"The template action '{key}' is not defined or has not run yet.",
            function=function)
    return record


def _outputs_of(record: Mapping[str, Any]) -> Any:
    return record.get("outputs")


def _body_of(record: Mapping[str, Any]) -> Any:
    outputs = record.get("outputs")
    if isinstance(outputs, Mapping) and "body" in outputs:
        return outputs["body"]
    if isinstance(outputs, Mapping) and ("headers" in outputs or "statusCode" in outputs):
        return None
    return outputs


def trigger(ctx: EvaluationContext) -> Any:
    return dict(_scope(ctx).trigger())


def trigger_outputs(ctx: EvaluationContext) -> Any:
    return _scope(ctx).trigger().get("outputs")


def trigger_body(ctx: EvaluationContext) -> Any:
    outputs = _scope(ctx).trigger().get("outputs")
    return outputs.get("body") if isinstance(outputs, Mapping) else None


def actions(ctx: EvaluationContext, name: Any) -> Any:
    return dict(_record(ctx, name, "actions"))


def action(ctx: EvaluationContext) -> Any:
    record = _scope(ctx).action(None)
    if record is None:
        raise MissingPropertyError("action() can only be used in trackedProperties",
                                   function="action")
    return dict(record)


def outputs(ctx: EvaluationContext, name: Any) -> Any:
    return _outputs_of(_record(ctx, name, "outputs"))


def body(ctx: EvaluationContext, name: Any) -> Any:
    return _body_of(_record(ctx, name, "body"))


def result(ctx: EvaluationContext, name: Any) -> Any:
    return [dict(record) for record in _scope(ctx).scope_results(_name(name, "result"))]


def items(ctx: EvaluationContext, name: Any) -> Any:
    return _scope(ctx).item(_name(name, "items"))


def item(ctx: EvaluationContext) -> Any:
    return _scope(ctx).item(None)


def iteration_indexes(ctx: EvaluationContext, name: Any) -> Any:
    return _scope(ctx).iteration_index(_name(name, "iterationIndexes"))


def variables(ctx: EvaluationContext, name: Any) -> Any:
    return _scope(ctx).variable(_name(name, "variables"))


def parameters(ctx: EvaluationContext, name: Any) -> Any:
    return _scope(ctx).parameter(_name(name, "parameters"))


def appsetting(ctx: EvaluationContext, name: Any) -> Any:
    key = _name(name, "appsetting")
    value = _scope(ctx).appsetting(key)
    if value is None:
        raise MissingPropertyError(f"The app setting '{key}' is not defined.",
                                   function="appsetting")
    return value


def workflow(ctx: EvaluationContext) -> Any:
    return dict(_scope(ctx).workflow())


def list_callback_url(ctx: EvaluationContext) -> Any:
    url = _scope(ctx).callback_url()
    if url is None:
        raise MissingPropertyError("this workflow's trigger has no callback URL",
                                   function="listCallbackUrl")
    return url


# -- form data and multipart bodies -----------------------------------------------------

def _content_text(value: Mapping[str, Any]) -> str:
    content = value.get("$content")
    if not isinstance(content, str):
        return ""
    try:
        return base64.b64decode(content, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return content


def _form_values(value: Any, key: str, function: str) -> list[Any]:
    if isinstance(value, Mapping) and isinstance(value.get("$formdata"), list):
        return [entry.get("value") for entry in value["$formdata"]
                if isinstance(entry, Mapping) and entry.get("key") == key]
    if isinstance(value, Mapping) and "$content" in value:
        from urllib.parse import parse_qsl

        pairs = parse_qsl(_content_text(value), keep_blank_values=True)
        return [v for k, v in pairs if k == key]
    raise ArgumentTypeError("the body is not form data (application/x-www-form-urlencoded)",
                            function=function)


def _single(values: list[Any], key: str, function: str) -> Any:
    if not values:
        return None
    if len(values) > 1:
        raise ArgumentTypeError(f"the form data holds more than one value for '{key}'",
                                function=function)
    return values[0]


def _multipart(value: Any, index: Any, function: str) -> Any:
    if not isinstance(index, int) or isinstance(index, bool):
        raise ArgumentTypeError("the part index must be an integer", function=function)
    parts = value.get("$multipart") if isinstance(value, Mapping) else None
    if not isinstance(parts, list):
        raise ArgumentTypeError("the body is not multipart", function=function)
    if not 0 <= index < len(parts):
        raise MissingPropertyError(f"the body has no part {index}", function=function)
    part = parts[index]
    return part.get("body") if isinstance(part, Mapping) else part


def trigger_form_data_value(ctx: EvaluationContext, key: Any) -> Any:
    name = _name(key, "triggerFormDataValue")
    return _single(_form_values(trigger_body(ctx), name, "triggerFormDataValue"), name,
                   "triggerFormDataValue")


def trigger_form_data_multi_values(ctx: EvaluationContext, key: Any) -> Any:
    return _form_values(trigger_body(ctx), _name(key, "triggerFormDataMultiValues"),
                        "triggerFormDataMultiValues")


def trigger_multipart_body(ctx: EvaluationContext, index: Any) -> Any:
    return _multipart(trigger_body(ctx), index, "triggerMultipartBody")


def form_data_value(ctx: EvaluationContext, name: Any, key: Any) -> Any:
    field = _name(key, "formDataValue")
    values = _form_values(_body_of(_record(ctx, name, "formDataValue")), field,
                          "formDataValue")
    return _single(values, field, "formDataValue")


def form_data_multi_values(ctx: EvaluationContext, name: Any, key: Any) -> Any:
    return _form_values(_body_of(_record(ctx, name, "formDataMultiValues")),
                        _name(key, "formDataMultiValues"), "formDataMultiValues")


def multipart_body(ctx: EvaluationContext, name: Any, index: Any) -> Any:
    return _multipart(_body_of(_record(ctx, name, "multipartBody")), index, "multipartBody")


def _build() -> FunctionRegistry:
    registry = LIBRARY.extend()
    # (name, fn, min, max): they hand out run data, so they are not measured
    reads: list[tuple[str, Callable[..., Any], int, int]] = [
        ("trigger", trigger, 0, 0), ("triggerBody", trigger_body, 0, 0),
        ("triggerOutputs", trigger_outputs, 0, 0),
        ("actions", actions, 1, 1), ("action", action, 0, 0),
        ("outputs", outputs, 1, 1), ("actionOutputs", outputs, 1, 1),
        ("body", body, 1, 1), ("actionBody", body, 1, 1),
        ("result", result, 1, 1), ("items", items, 1, 1), ("item", item, 0, 0),
        ("iterationIndexes", iteration_indexes, 1, 1), ("variables", variables, 1, 1),
        ("parameters", parameters, 1, 1), ("appsetting", appsetting, 1, 1),
        ("workflow", workflow, 0, 0), ("listCallbackUrl", list_callback_url, 0, 0),
    ]
    for name, fn, low, high in reads:
        registry.register(name, fn, low, high, measured=False)
    registry.register("triggerFormDataValue", trigger_form_data_value, 1, 1)
    registry.register("triggerFormDataMultiValues", trigger_form_data_multi_values, 1, 1)
    registry.register("triggerMultipartBody", trigger_multipart_body, 1, 1)
    registry.register("formDataValue", form_data_value, 2, 2)
    registry.register("formDataMultiValues", form_data_multi_values, 2, 2)
    registry.register("multipartBody", multipart_body, 2, 2)
    return registry.freeze()


REGISTRY: FunctionRegistry = _build()
"""The functions a workflow definition may call: the library plus the workflow ones."""
