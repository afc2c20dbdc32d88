"""String functions, with the documented examples as the table."""

from __future__ import annotations

import re

import pytest

from gateway.expressions import ArgumentCountError, ArgumentTypeError, ExpressionError

CASES = [
    ("@concat('Hello', 'World')", "HelloWorld"),
    ("@concat('n=', 1, true, null)", "n=1True"),
    ("@substring('hello world', 6, 5)", "world"),
    ("@substring('hello world', 6)", "world"),
    ("@slice('Hello World', 2)", "llo World"),
    ("@slice('Hello World', 30)", ""),
    ("@slice('Hello World', 10, 2)", ""),
    ("@slice('Hello World', 0)", "Hello World"),
    ("@slice('Hello World', 2, 5)", "llo"),
    ("@slice('Hello World', 6, 20)", "World"),
    ("@slice('Hello World', -2)", "ld"),
    ("@slice('Hello World', 3, -1)", "lo Worl"),
    ("@slice('Hello World', 3, 3)", ""),
    ("@replace('the old string', 'old', 'new')", "the new string"),
    ("@replace('aXa', 'x', 'b')", "aXa"),
    ("@indexOf('hello world', 'world')", 6),
    ("@indexOf('hello world', 'WORLD')", 6),
    ("@indexOf('hello world', 'mars')", -1),
    ("@lastIndexOf('hello world hello world', 'world')", 18),
    ("@lastIndexOf('hello world hello world', '')", 22),
    ("@lastIndexOf('', '')", 0),
    ("@lastIndexOf('', 'a')", -1),
    ("@nthIndexOf('123456789123465789', '1', 1)", 0),
    ("@nthIndexOf('123456789123465789', '1', 2)", 9),
    ("@nthIndexOf('123456789123465789', '12', 2)", 9),
    ("@nthIndexOf('123456789123465789', '6', 4)", -1),
    ("@nthIndexOf('123456789123465789', '1', -1)", 9),
    ("@nthIndexOf('123456789123465789', '1', -2)", 0),
    ("@nthIndexOf('123456789123465789', '1', -3)", -1),
    ("@startsWith('hello world', 'hello')", True),
    ("@startsWith('hello world', 'HELLO')", True),
    ("@startsWith('hello world', 'greetings')", False),
    ("@endsWith('hello world', 'world')", True),
    ("@endsWith('hello world', 'universe')", False),
    ("@split('a_b_c', '_')", ["a", "b", "c"]),
    ("@split('a_b_c', ' ')", ["a_b_c"]),
    ("@toLower('Hello World')", "hello world"),
    ("@toUpper('Hello World')", "HELLO WORLD"),
    ("@trim(' Hello World  ')", "Hello World"),
    ("@length('abcd')", 4),
    ("@length(createArray(0, 1, 2, 3))", 4),
    ("@isInt('10')", True),
    ("@isInt('10.5')", False),
    ("@isFloat('10,000.00')", True),
    ("@isFloat('10.000,00', 'de-de')", True),
    ("@isFloat('ten')", False),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_documented_examples(ev, expression, expected):
    assert ev(expression) == expected


@pytest.mark.parametrize(("fmt", "pattern"), [
    ("D", r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
    ("N", r"[0-9a-f]{32}"),
    ("B", r"\{[0-9a-f-]{36}\}"),
    ("P", r"\([0-9a-f-]{36}\)"),
    ("X", r"\{0x[0-9a-f]{8},0x[0-9a-f]{4},0x[0-9a-f]{4},\{(0x[0-9a-f]{2},){7}0x[0-9a-f]{2}\}\}"),
])
def test_guid_formats(ev, fmt, pattern):
    assert re.fullmatch(pattern, ev(f"@guid('{fmt}')"))


def test_guid_default_is_hyphenated_and_seeded(ev):
    assert ev("@guid()") == ev("@guid('D')")
    assert re.fullmatch(r"[0-9a-f-]{36}", ev("@guid()"))


@pytest.mark.parametrize(("expression", "error", "function"), [
    ("@substring('hello', 3, 5)", ArgumentTypeError, "substring"),
    ("@substring('hello', -1)", ArgumentTypeError, "substring"),
    ("@replace('abc', '', 'x')", ArgumentTypeError, "replace"),
    ("@toLower(1)", ArgumentTypeError, "toLower"),
    ("@nthIndexOf('abc', 'a', 0)", ArgumentTypeError, "nthIndexOf"),
    ("@trim('a', 'b')", ArgumentCountError, "trim"),
    ("@guid('Q')", ArgumentTypeError, "guid"),
])
def test_errors_name_the_function(ev, expression, error, function):
    with pytest.raises(error) as caught:
        ev(expression)
    assert caught.value.function == function
    assert isinstance(caught.value, ExpressionError)


def test_type_errors_never_echo_the_value(ev):
    with pytest.raises(ArgumentTypeError) as caught:
        ev("@toUpper(connectionParameters('key'))", connectionParameters={"key": 12345678})
    assert "12345678" not in str(caught.value)
    assert "integer" in str(caught.value)


@pytest.mark.parametrize(("expression", "expected"), [
    ("@isInt('9223372036854775807')", True),
    ("@isInt('9223372036854775808')", False),
    ("@isInt('-9223372036854775808')", True),
    ("@isInt(' +5 ')", True),
    ("@isInt('10,000')", False),
    ("@isInt('1.0')", False),
])
def test_is_int_is_what_int_takes(ev, expression, expected):
    assert ev(expression) == expected
