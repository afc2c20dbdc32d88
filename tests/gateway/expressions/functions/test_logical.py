"""Logical comparison functions, with the documented examples as the table."""

from __future__ import annotations

import pytest

from gateway.expressions import ArgumentTypeError

CASES = [
    ("@and(true, true)", True),
    ("@and(false, true)", False),
    ("@and(false, false)", False),
    ("@and(equals(1, 1), equals(2, 2))", True),
    ("@and(equals(1, 1), equals(1, 2))", False),
    ("@or(true, false)", True),
    ("@or(false, false)", False),
    ("@or(equals(1, 1), equals(1, 2))", True),
    ("@not(false)", True),
    ("@not(equals(1, 1))", False),
    ("@equals(true, 1)", True),
    ("@equals('abc', 'abcd')", False),
    ("@equals(1, 1.0)", True),
    ("@equals(null, '')", True),
    ("@equals(createArray(1, 'a'), createArray(1, 'a'))", True),
    ("@equals(json('{\"a\": [1]}'), json('{\"a\": [1]}'))", True),
    ("@if(equals(1, 1), 'yes', 'no')", "yes"),
    ("@if(equals(1, 2), 'yes', 'no')", "no"),
    ("@greater(10, 5)", True),
    ("@greater('apple', 'banana')", False),
    ("@greaterOrEquals(5, 5)", True),
    ("@greaterOrEquals('apple', 'banana')", False),
    ("@less(5, 10)", True),
    ("@less('banana', 'apple')", False),
    ("@lessOrEquals(10, 10)", True),
    ("@lessOrEquals('apply', 'apple')", False),
    ("@less(1, 2.5)", True),
    ("@greater('a', null)", True),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_documented_examples(ev, expression, expected):
    assert ev(expression) == expected


def test_if_evaluates_only_the_branch_taken(ev):
    assert ev("@if(true, 'safe', div(1, 0))") == "safe"
    assert ev("@if(false, parameters('missing'), 2)") == 2


@pytest.mark.parametrize("expression", [
    "@and(true, 1)", "@not('true')", "@greater(1, 'a')", "@less(createArray(), 1)",
    "@if('yes', 1, 2)",
])
def test_wrong_types(ev, expression):
    with pytest.raises(ArgumentTypeError):
        ev(expression)
