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


#: Every library function of the reference with its argument counts (None: no upper bound).
REFERENCE_SIGNATURES = {
    "add": (2, 2), "addDays": (2, 3), "addHours": (2, 3), "addMinutes": (2, 3),
    "addProperty": (3, 3), "addSeconds": (2, 3), "addToTime": (3, 4), "and": (1, None),
    "array": (1, 1), "base64": (1, 1), "base64ToBinary": (1, 1), "base64ToString": (1, 1),
    "binary": (1, 1), "bool": (1, 1), "chunk": (2, 2), "coalesce": (1, None),
    "concat": (1, None), "contains": (2, 2), "convertFromUtc": (2, 3),
    "convertTimeZone": (3, 4), "convertToUtc": (2, 3), "createArray": (0, None),
    "dataUri": (1, 1), "dataUriToBinary": (1, 1), "dataUriToString": (1, 1),
    "dateDifference": (2, 2), "dayOfMonth": (1, 1), "dayOfWeek": (1, 1), "dayOfYear": (1, 1),
    "decimal": (1, 1), "decodeBase64": (1, 1), "decodeDataUri": (1, 1),
    "decodeUriComponent": (1, 1), "div": (2, 2), "encodeUriComponent": (1, 1),
    "empty": (1, 1), "endsWith": (2, 2), "equals": (2, 2), "first": (1, 1), "float": (1, 2),
    "formatDateTime": (1, 3), "formatNumber": (2, 3), "getFutureTime": (2, 3),
    "getPastTime": (2, 3), "greater": (2, 2), "greaterOrEquals": (2, 2), "guid": (0, 1),
    "if": (3, 3), "indexOf": (2, 2), "int": (1, 1), "intersection": (1, None),
    "isFloat": (1, 2), "isInt": (1, 1), "join": (2, 2), "json": (1, 1), "last": (1, 1),
    "lastIndexOf": (2, 2), "length": (1, 1), "less": (2, 2), "lessOrEquals": (2, 2),
    "max": (1, None), "min": (1, None), "mod": (2, 2), "mul": (2, 2), "not": (1, 1),
    "nthIndexOf": (3, 3), "or": (1, None), "parseDateTime": (1, 3), "rand": (2, 2),
    "range": (2, 2), "removeProperty": (2, 2), "replace": (3, 3), "reverse": (1, 1),
    "setProperty": (3, 3), "skip": (2, 2), "slice": (2, 3), "sort": (1, 2), "split": (2, 2),
    "startOfDay": (1, 2), "startOfHour": (1, 2), "startOfMonth": (1, 2),
    "startsWith": (2, 2), "string": (1, 1), "sub": (2, 2), "substring": (2, 3),
    "subtractFromTime": (3, 4), "take": (2, 2), "ticks": (1, 1), "toLower": (1, 1),
    "toUpper": (1, 1), "trim": (1, 1), "union": (1, None), "uriComponent": (1, 1),
    "uriComponentToBinary": (1, 1), "uriComponentToString": (1, 1), "uriHost": (1, 1),
    "uriPath": (1, 1), "uriPathAndQuery": (1, 1), "uriPort": (1, 1), "uriQuery": (1, 1),
    "uriScheme": (1, 1), "utcNow": (0, 1), "xml": (1, 1), "xpath": (2, 2),
}


@pytest.mark.parametrize(("name", "bounds"), sorted(REFERENCE_SIGNATURES.items()))
def test_library_has_every_reference_function_with_its_argument_counts(name, bounds):
    from gateway.expressions import LIBRARY

    spec = LIBRARY.lookup(name)
    assert spec is not None
    assert (spec.name, spec.min_args, spec.max_args) == (name, *bounds)


def test_library_holds_only_reference_functions():
    from gateway.expressions import LIBRARY

    assert set(LIBRARY.names()) == set(REFERENCE_SIGNATURES)


#: The functions whose arguments may all be objects: the reference types them Any (or
#: Object, Array or Object), and the encoders take any value as its JSON text.
TAKE_OBJECTS = {"array", "base64", "binary", "coalesce", "concat", "createArray", "dataUri",
                "empty", "encodeUriComponent", "equals", "intersection", "json", "length",
                "string", "union", "uriComponent", "xml"}


@pytest.mark.parametrize("name", sorted(REFERENCE_SIGNATURES))
def test_arguments_of_the_wrong_type_are_argument_type_errors(name):
    from gateway.expressions import ArgumentTypeError

    low, high = REFERENCE_SIGNATURES[name]
    count = max(low, 1) if high is None or high >= 1 else 0
    an_object = """json('{"k": 1}')"""
    expression = f"@{name}({', '.join([an_object] * count)})"
    if name in TAKE_OBJECTS or count == 0:
        evaluate(expression)
    else:
        with pytest.raises(ArgumentTypeError):
            evaluate(expression)
