"""Collection functions, with the documented examples as the table."""

from __future__ import annotations

import pytest

from gateway.expressions import ArgumentTypeError, ExpressionTooComplexError

CASES = [
    ("@contains('hello world', 'world')", True),
    ("@contains('hello world', 'universe')", False),
    ("@contains('hello world', 'World')", False),
    ("@contains(createArray(1, 2, 3), 2)", True),
    ("@contains(createArray('a', 'b'), 'c')", False),
    ("@contains(json('{\"a\": 1}'), 'a')", True),
    ("@empty('')", True),
    ("@empty('abc')", False),
    ("@empty(createArray())", True),
    ("@empty(json('{}'))", True),
    ("@empty(null)", True),
    ("@first('hello')", "h"),
    ("@first(createArray(0, 1, 2))", 0),
    ("@first('')", None),
    ("@last('abcd')", "d"),
    ("@last(createArray(0, 1, 2, 3))", 3),
    ("@join(createArray('a', 'b', 'c'), '.')", "a.b.c"),
    ("@join(createArray(1, true, null), ',')", "1,True,"),
    ("@skip(createArray(0, 1, 2, 3), 1)", [1, 2, 3]),
    ("@skip(createArray(0, 1), 5)", []),
    ("@take('abcde', 3)", "abc"),
    ("@take(createArray(0, 1, 2, 3, 4), 3)", [0, 1, 2]),
    ("@union(createArray(1, 2, 3), createArray(1, 2, 10, 101))", [1, 2, 3, 10, 101]),
    ("@union(json('{\"a\": 1, \"b\": 2}'), json('{\"b\": 3}'))", {"a": 1, "b": 3}),
    ("@intersection(createArray(1, 2, 3), createArray(101, 2, 1, 10), createArray(6, 8, 1, 2))",
     [1, 2]),
    ("@intersection(json('{\"a\": 1, \"b\": 2}'), json('{\"a\": 1, \"b\": 3}'))", {"a": 1}),
    ("@createArray('h', 'e', 'l', 'l', 'o')", ["h", "e", "l", "l", "o"]),
    ("@chunk('abcdefghijklmnopqrstuvwxyz', 10)", ["abcdefghij", "klmnopqrst", "uvwxyz"]),
    ("@chunk(createArray(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), 5)",
     [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]),
    ("@sort(createArray(2, 1, 0, 3))", [0, 1, 2, 3]),
    ("@sort(createArray(json('{ \"first\": \"Amalie\", \"last\": \"Rose\" }'), "
     "json('{ \"first\": \"Elise\", \"last\": \"Renee\" }')), 'last')",
     [{"first": "Elise", "last": "Renee"}, {"first": "Amalie", "last": "Rose"}]),
    ("@reverse(createArray(0, 1, 2, 3))", [3, 2, 1, 0]),
    ("@reverse(sort(createArray('b', 'c', 'a')))", ["c", "b", "a"]),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_documented_examples(ev, expression, expected):
    assert ev(expression) == expected


@pytest.mark.parametrize("expression", [
    "@sort(createArray(1, 'a'))",
    "@sort(createArray(json('{\"a\": 1}')), 'b')",
    "@union(createArray(1), json('{}'))",
    "@chunk('abc', 0)",
    "@take(createArray(1), -1)",
    "@first(1)",
    "@join('abc', ',')",
])
def test_wrong_arguments(ev, expression):
    with pytest.raises(ArgumentTypeError):
        ev(expression)


def test_union_of_large_arrays_is_linear_and_bounded(ev):
    # 200,000 items de-duplicated: quadratic work would time out.
    assert ev("@length(union(range(0, 100000), range(50000, 100000)))") == 150000


def test_arguments_are_not_mutated(ev):
    data = {"items": [3, 1, 2]}
    assert ev("@sort(parameters('items'))", parameters=data) == [1, 2, 3]
    assert data == {"items": [3, 1, 2]}


def test_join_refuses_a_result_over_the_size_limit(ev):
    with pytest.raises(ExpressionTooComplexError):
        ev("@join(range(0, 100000), concat(" + ", ".join(["'xxxxxxxxxx'"] * 20) + "))")
