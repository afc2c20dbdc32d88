"""Evaluation: member access, null handling, error attribution and size limits."""

from __future__ import annotations

import pytest

from gateway.expressions import (
    DEFAULT,
    ArgumentCountError,
    ArgumentTypeError,
    EvaluationContext,
    ExpressionEvaluationError,
    ExpressionTooComplexError,
    Limits,
    MissingPropertyError,
    UnknownFunctionError,
    evaluate,
    evaluate_expression,
    evaluate_value,
)

BODY = {"a": {"b": [10, 20]}, "n": None, "Name": "x"}


@pytest.mark.parametrize(("expression", "expected"), [
    ("@body().a.b[1]", 20),
    ("@body()['a']['b'][0]", 10),
    ("@body()?['missing']", None),
    ("@body()?.missing?.deeper", None),
    ("@body().n?.x", None),
    ("@body().a.b?[5]", None),
    ("@body()[concat('N', 'ame')]", "x"),
    ("@createArray(1, 2)[1]", 2),
    ("@json('{\"k\": 1}').k", 1),
])
def test_access(expression, expected):
    assert evaluate(expression, {"body": BODY}) == expected


@pytest.mark.parametrize(("expression", "error"), [
    ("@body().missing", MissingPropertyError),
    ("@body().n.x", MissingPropertyError),
    ("@body().a.b[5]", MissingPropertyError),
    ("@body().a.b[-1]", MissingPropertyError),
    ("@body().a.b['x']", ArgumentTypeError),
    ("@body().a[0]", ArgumentTypeError),
    ("@body().Name.length", ArgumentTypeError),
])
def test_access_errors(expression, error):
    with pytest.raises(error):
        evaluate(expression, {"body": BODY})


def test_property_names_are_case_sensitive():
    with pytest.raises(MissingPropertyError):
        evaluate("@body().name", {"body": BODY})


def test_whole_expression_keeps_its_type_and_interpolation_gives_a_string():
    assert evaluate("@add(1, 2)") == 3
    assert evaluate("@{add(1, 2)}") == "3"
    assert evaluate("n=@{add(1, 2)}, ok=@{true}, none=@{null}, obj=@{json('{\"a\":1}')}") \
        == 'n=3, ok=True, none=, obj={"a":1}'


def test_literal_strings_are_returned_as_is():
    assert evaluate("no expression here") == "no expression here"
    assert evaluate("@@escaped") == "@escaped"


def test_function_names_are_case_insensitive():
    assert evaluate("@TOLOWER('ABC')") == "abc"


def test_unknown_function():
    with pytest.raises(UnknownFunctionError) as caught:
        evaluate("@triggerBody()")
    assert "triggerBody" in str(caught.value)


def test_argument_count_names_the_function():
    with pytest.raises(ArgumentCountError) as caught:
        evaluate("@substring('a')")
    assert caught.value.function == "substring"
    assert "takes 2 to 3 argument(s) but was given 1" in str(caught.value)


def test_foreign_exceptions_become_evaluation_errors():
    registry = DEFAULT.extend()
    registry.register("boom", lambda ctx: {}["missing"], 0, 0)
    with pytest.raises(ExpressionEvaluationError) as caught:
        evaluate("@boom()", {}, registry)
    assert caught.value.function == "boom"


def test_exponential_growth_is_refused():
    expression = "'xxxxxxxx'"
    for _ in range(12):
        expression = f"replace({expression}, 'x', 'xxxxxxxx')"
    with pytest.raises(ExpressionTooComplexError):
        evaluate("@" + expression)


def test_total_work_is_bounded():
    limits = Limits(max_value_size=1_000_000, max_total_size=2_000_000)
    context = EvaluationContext(limits=limits)
    args = ", ".join(["range(0, 100000)"] * 30)
    with pytest.raises(ExpressionTooComplexError):
        evaluate(f"@createArray({args})", context)


def test_deeply_nested_json_is_refused_cleanly():
    with pytest.raises(ExpressionTooComplexError):
        evaluate("@json('" + "[" * 100000 + "')")


def test_evaluate_expression_takes_bare_text():
    assert evaluate_expression("concat('a', 'b')") == "ab"


def test_evaluate_value_walks_json():
    value = {"url": "https://@{parameters('host')}/x", "n": "@add(1, 1)", "list": ["@@a", 3]}
    assert evaluate_value(value, {"parameters": {"host": "h"}}) == {
        "url": "https://h/x", "n": 2, "list": ["@a", 3]}


def test_context_data_is_not_measured_but_what_is_built_from_it_is():
    limits = Limits(max_value_size=1000, max_total_size=10_000)
    context = EvaluationContext({"body": {"items": list(range(5000))}}, limits=limits)
    assert evaluate("@body()?.items?[4999]", context) == 4999
    with pytest.raises(ExpressionTooComplexError):
        evaluate("@string(body())", context)


def test_many_tiny_arrays_hit_the_total_budget():
    # 50 nested chunk() calls would build millions of one-item arrays.
    expression = "@" + "chunk(" * 50 + "range(0, 20000)" + ", 1)" * 50
    context = EvaluationContext(limits=Limits(max_value_size=2_000_000,
                                              max_total_size=4_000_000))
    with pytest.raises(ExpressionTooComplexError):
        evaluate(expression, context)
