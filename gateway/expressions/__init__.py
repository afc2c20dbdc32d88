"""The expression language of Logic Apps workflow definitions (WDL), for the whole house.

Connector policies and the workflow runtime both evaluate these expressions. The gateway
owns the engine — grammar, evaluation and the functions that need no workflow state. Two
frozen registries hold the functions: ``LIBRARY``, the reference's library without any
context functions, and ``DEFAULT``, the library plus the connector policy functions
(``headers()``, ``parameters()``, ``body()``...). The runtime adds its workflow functions
to an extended copy of ``LIBRARY``, so its ``parameters()`` and ``body()`` never meet the
policy ones::

    from gateway.expressions import LIBRARY, evaluate

    registry = LIBRARY.extend()
    registry.register("variables", read_variable, 1, 1)
    evaluate("@concat('n = ', string(variables('n')))", context, registry)

String values follow WDL: text not starting with ``@`` is literal (``@@`` escapes a
leading ``@``); ``"@expr"`` is one expression whose value keeps its type; text holding
``@{expr}`` parts is interpolated into a string. Parsed forms are cached, so evaluating
the same string again does not parse it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.expressions.ast import (
    Access,
    Call,
    Literal,
    Node,
    Template,
    expression_source,
    to_source,
)
from gateway.expressions.context import Clock, EvaluationContext, as_context, system_clock
from gateway.expressions.errors import (
    ArgumentCountError,
    ArgumentTypeError,
    ExpressionError,
    ExpressionEvaluationError,
    ExpressionSyntaxError,
    ExpressionTooComplexError,
    MissingPropertyError,
    UnknownFunctionError,
)
from gateway.expressions.evaluator import evaluate_node, evaluate_template
from gateway.expressions.functions import build_default, build_library
from gateway.expressions.functions.policy import POLICY_CONTEXT_NAMES, POLICY_FUNCTIONS
from gateway.expressions.functions.time_zones import time_zone
from gateway.expressions.parser import DEFAULT_LIMITS, Limits, parse_expression, parse_template
from gateway.expressions.registry import FunctionRegistry, FunctionSpec
from gateway.expressions.values import Content, XmlValue, to_json_compatible, to_string

__all__ = [
    "DEFAULT",
    "DEFAULT_LIMITS",
    "LIBRARY",
    "POLICY_CONTEXT_NAMES",
    "POLICY_FUNCTIONS",
    "Access",
    "ArgumentCountError",
    "ArgumentTypeError",
    "Call",
    "Clock",
    "Content",
    "EvaluationContext",
    "ExpressionError",
    "ExpressionEvaluationError",
    "ExpressionSyntaxError",
    "ExpressionTooComplexError",
    "FunctionRegistry",
    "FunctionSpec",
    "Limits",
    "Literal",
    "MissingPropertyError",
    "Node",
    "Template",
    "UnknownFunctionError",
    "XmlValue",
    "evaluate",
    "evaluate_expression",
    "evaluate_value",
    "expression_source",
    "is_expression",
    "parse",
    "parse_expression",
    "system_clock",
    "time_zone",
    "to_json_compatible",
    "to_source",
    "to_string",
]

LIBRARY: FunctionRegistry = build_library()
"""The frozen registry of the reference's functions that need no context data: no
policy functions, no workflow functions. ``LIBRARY.extend()`` to add a context's own."""

DEFAULT: FunctionRegistry = build_default(LIBRARY)
"""``LIBRARY`` plus the connector policy functions; the registry policies evaluate with."""

ContextLike = Mapping[str, Any] | EvaluationContext | None


def parse(expression: str, limits: Limits = DEFAULT_LIMITS) -> Template:
    """Parse a WDL string value (literal, ``@expression`` or ``@{}`` interpolation).

    Args:
        expression: The string as written in a definition.
        limits: Length and nesting bounds.

    Returns:
        The parsed template; the same string is parsed once and then served from a cache.

    Raises:
        ExpressionSyntaxError: Malformed; its ``column`` is 1-based.
        ExpressionTooComplexError: Over the length or nesting limit.
    """
    return parse_template(expression, limits)


def evaluate(expression: str, context: ContextLike = None,
             registry: FunctionRegistry = DEFAULT) -> Any:
    """Evaluate a WDL string value.

    Args:
        expression: ``"text"``, ``"@expression"`` or ``"text @{expression} text"``.
        context: An ``EvaluationContext``, or a mapping of named context data.
        registry: The functions the expression may call.

    Returns:
        The value: literal text as is, a whole expression's value with its own type, an
        interpolation as a string.

    Raises:
        ExpressionError: Parsing or evaluation failed (see the subclasses).
    """
    ctx = as_context(context)
    return evaluate_template(parse_template(expression, ctx.limits), ctx, registry)


def evaluate_expression(expression: str, context: ContextLike = None,
                        registry: FunctionRegistry = DEFAULT) -> Any:
    """Evaluate a bare expression written without the leading ``@``.

    Raises:
        ExpressionError: Parsing or evaluation failed.
    """
    ctx = as_context(context)
    return evaluate_node(parse_expression(expression, ctx.limits), ctx, registry)


def is_expression(value: Any) -> bool:
    """Whether a string value holds an expression (``@...`` or an ``@{}`` part)."""
    if not isinstance(value, str) or "@" not in value:
        return False
    try:
        template = parse_template(value)
    except ExpressionError:
        return True
    return any(not isinstance(part, str) for part in template.parts)


def evaluate_value(value: Any, context: ContextLike = None,
                   registry: FunctionRegistry = DEFAULT) -> Any:
    """Evaluate every string inside a JSON value (objects and arrays are walked).

    Object keys are kept as written. Useful for a policy's parameter block or an
    action's inputs.

    Raises:
        ExpressionError: Any string in the value fails to parse or evaluate.
    """
    ctx = as_context(context)
    return _walk(value, ctx, registry, 0)


def _walk(value: Any, ctx: EvaluationContext, registry: FunctionRegistry, depth: int) -> Any:
    if depth > ctx.limits.max_depth:
        raise ExpressionTooComplexError("the value nests too deeply to evaluate")
    if isinstance(value, str):
        return evaluate_template(parse_template(value, ctx.limits), ctx, registry)
    if isinstance(value, list):
        return [_walk(item, ctx, registry, depth + 1) for item in value]
    if isinstance(value, dict):
        return {key: _walk(item, ctx, registry, depth + 1) for key, item in value.items()}
    return value

