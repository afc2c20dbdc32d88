"""The functions connector policies use, reading the request the gateway is building.

``headers(name[, default])`` (also spelled ``header``) and ``queryParameters(name[,
default])`` give null, or the default, when absent; ``connectionParameters(name[,
default])`` fails without a default; ``parameters(name)`` fails when undefined.

The policy engine puts these names in the context (``POLICY_CONTEXT_NAMES``):
``connectionParameters`` (the connection's parameter values), ``headers``,
``queryParameters``, ``body`` (the request body, parsed JSON where it is JSON) and
``parameters`` (the operation's parameters by name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.errors import MissingPropertyError
from gateway.expressions.functions import _args
from gateway.expressions.registry import FunctionRegistry

POLICY_CONTEXT_NAMES = ("connectionParameters", "headers", "queryParameters", "body",
                        "parameters")
#: The functions ``register`` adds: in ``DEFAULT``, never in ``LIBRARY``.
POLICY_FUNCTIONS = ("connectionParameters", "headers", "header", "queryParameters", "body",
                    "parameters")

_MISSING = object()


def _mapping(ctx: EvaluationContext, name: str) -> Mapping[str, Any]:
    value = ctx.get(name)
    return value if isinstance(value, Mapping) else {}


def connection_parameters(ctx: EvaluationContext, name: Any, *default: Any) -> Any:
    key = _args.string(name, 1)
    value = _mapping(ctx, "connectionParameters").get(key, _MISSING)
    if value is _MISSING or value is None:
        if default:
            return default[0]
        if value is None:
            return None
        raise MissingPropertyError(f"the connection parameter '{key}' is not set",
                                   details=[{"parameter": key}])
    return value


def _case_insensitive(mapping: Mapping[str, Any], key: str) -> Any:
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for name, value in mapping.items():
        if name.lower() == lowered:
            return value
    return None


def headers(ctx: EvaluationContext, name: Any, *default: Any) -> Any:
    # Header names are case-insensitive; an absent header is null (or the default).
    value = _case_insensitive(_mapping(ctx, "headers"), _args.string(name, 1))
    return default[0] if value is None and default else value


def query_parameters(ctx: EvaluationContext, name: Any, *default: Any) -> Any:
    value = _mapping(ctx, "queryParameters").get(_args.string(name, 1))
    return default[0] if value is None and default else value


def body(ctx: EvaluationContext) -> Any:
    return ctx.get("body")


def parameters(ctx: EvaluationContext, name: Any) -> Any:
    key = _args.string(name, 1)
    values = _mapping(ctx, "parameters")
    if key not in values:
        raise MissingPropertyError(f"the parameter '{key}' is not defined",
                                   details=[{"parameter": key}])
    return values[key]


def register(registry: FunctionRegistry) -> None:
    """Add the policy functions to ``registry``."""
    # These only hand out context data, so their results are not measured.
    registry.register("connectionParameters", connection_parameters, 1, 2, measured=False)
    registry.register("headers", headers, 1, 2, measured=False)
    registry.register("header", headers, 1, 2, measured=False)  # as the template docs spell it
    registry.register("queryParameters", query_parameters, 1, 2, measured=False)
    registry.register("body", body, 0, 0, measured=False)
    registry.register("parameters", parameters, 1, 1, measured=False)
