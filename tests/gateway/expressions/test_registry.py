"""The registry: frozen default, extended copies, lazy functions."""

from __future__ import annotations

import pytest

from gateway.expressions import DEFAULT, FunctionRegistry, evaluate

DOCUMENTED = [
    "concat", "substring", "replace", "toLower", "toUpper", "trim", "indexOf", "lastIndexOf",
    "startsWith", "endsWith", "split", "guid", "length", "formatNumber", "slice", "nthIndexOf",
    "contains", "empty", "first", "last", "join", "skip", "take", "union", "intersection",
    "createArray", "chunk", "sort", "reverse", "equals", "and", "or", "not", "if", "greater",
    "greaterOrEquals", "less", "lessOrEquals", "int", "float", "string", "bool", "json",
    "array", "base64", "base64ToString", "base64ToBinary", "decodeBase64",
    "encodeUriComponent", "decodeUriComponent", "uriComponent", "uriComponentToString",
    "coalesce", "dataUri", "binary", "add", "sub", "mul", "div", "mod", "min", "max", "rand",
    "range", "utcNow", "addDays", "addHours", "addMinutes", "addSeconds", "addToTime",
    "subtractFromTime", "formatDateTime", "startOfDay", "startOfHour", "startOfMonth",
    "dayOfWeek", "dayOfMonth", "dayOfYear", "ticks", "convertTimeZone", "getFutureTime",
    "getPastTime", "parseDateTime", "uriHost", "uriPath", "uriQuery", "uriScheme", "uriPort",
    "uriPathAndQuery", "setProperty", "addProperty", "removeProperty", "decimal",
    "dateDifference", "isFloat", "isInt", "xml", "xpath", "dataUriToBinary", "dataUriToString",
    "decodeDataUri", "uriComponentToBinary", "connectionParameters",
    "headers", "queryParameters", "body", "parameters",
]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_default_registry_has_the_function(name):
    assert name in DEFAULT
    assert DEFAULT.lookup(name.upper()).name == name


def test_default_is_frozen():
    assert DEFAULT.frozen
    with pytest.raises(TypeError):
        DEFAULT.register("x", lambda ctx: 1)


def test_extension_adds_and_overrides_without_touching_the_default():
    registry = DEFAULT.extend()
    registry.register("variables", lambda ctx, name: ctx.get("variables")[name], 1, 1)
    registry.register("body", lambda ctx, action: f"body of {action}", 1, 1)
    context = {"variables": {"n": 5}}
    assert evaluate("@add(variables('n'), 1)", context, registry) == 6
    assert evaluate("@body('Get_user')", context, registry) == "body of Get_user"
    assert "variables" not in DEFAULT
    assert evaluate("@body()", {"body": 1}) == 1


def test_decorator_and_lazy_registration():
    registry = FunctionRegistry()
    calls = []

    @registry.function("firstTruthy", 1, lazy=True)
    def first_truthy(ctx, *thunks):
        for thunk in thunks:
            calls.append(1)
            value = thunk()
            if value:
                return value
        return None

    assert evaluate("@firstTruthy(0, 'x', firstTruthy())", {}, registry) == "x"
    assert len(calls) == 2


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError):
        FunctionRegistry().register("f", lambda ctx: 1, 2, 1)


def test_names_are_sorted():
    names = DEFAULT.names()
    assert names == sorted(names, key=str.lower)
    assert len(names) == len(DEFAULT) >= len(DOCUMENTED)


def test_library_holds_no_policy_function_and_default_adds_them():
    from gateway.expressions import LIBRARY, POLICY_FUNCTIONS

    assert LIBRARY.frozen
    for name in POLICY_FUNCTIONS:
        assert name not in LIBRARY
        assert name in DEFAULT
    assert set(LIBRARY.names()) | set(POLICY_FUNCTIONS) == set(DEFAULT.names())


def test_workflow_functions_of_policy_names_extend_the_library_apart():
    from gateway.expressions import LIBRARY, UnknownFunctionError

    workflow = LIBRARY.extend()
    workflow.register("parameters", lambda ctx, name: ctx.get("workflowParameters")[name], 1, 1)
    context = {"workflowParameters": {"n": 2}, "parameters": {"n": 40}}
    assert evaluate("@add(parameters('n'), 1)", context, workflow) == 3
    assert evaluate("@add(parameters('n'), 1)", context) == 41
    with pytest.raises(UnknownFunctionError):
        evaluate("@headers('x')", {}, workflow)
