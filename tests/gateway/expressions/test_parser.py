"""The grammar: string values, literals, accessors, errors with columns, and limits."""

from __future__ import annotations

import pytest

from gateway.expressions import (
    Access,
    Call,
    ExpressionSyntaxError,
    ExpressionTooComplexError,
    Limits,
    Literal,
    Template,
    parse,
    parse_expression,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("plain text", Template(("plain text",))),
    ("", Template(())),
    ("array[1]", Template(("array[1]",))),
    ("@@", Template(("@",))),
    ("@@abc", Template(("@abc",))),
    (" @", Template((" @",))),
    ("user@example.com", Template(("user@example.com",))),
    ("a@@b", Template(("a@@b",))),
    ("@@{literal}", Template(("@{literal}",))),
    ("x @@{y} z", Template(("x @{y} z",))),
    ("@{'text'}", Template(("text",))),
    ("a @{f()} b", Template(("a ", Call("f", ()), " b"))),
    ("@{f()}@{g()}", Template((Call("f", ()), Call("g", ())))),
    ("@f()", Template((Call("f", ()),), whole=True)),
    ("@'x'", Template((Literal("x"),), whole=True)),
])
def test_string_values(text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(("text", "value"), [
    ("'it''s'", "it's"),
    ("''", ""),
    ("''''", "'"),
    ("42", 42),
    ("-7", -7),
    ("1.5", 1.5),
    (".3", 0.3),
    ("-0.25", -0.25),
    ("1e3", 1000.0),
    ("2.5E-1", 0.25),
    ("true", True),
    ("false", False),
    ("null", None),
    ("9223372036854775807", 9223372036854775807),
    ("'}'", "}"),
    ("'@{x}'", "@{x}"),
])
def test_literals(text, value):
    node = parse_expression(text)
    assert node == Literal(value)
    assert type(node.value) is type(value)


def test_nested_calls_and_accessors():
    node = parse_expression("f(g(1), 'a')?.b['c'][0]?[d()]")
    assert node == Access(
        Access(
            Access(
                Access(Call("f", (Call("g", (Literal(1),)), Literal("a"))), Literal("b"),
                       optional=True, dotted=True),
                Literal("c")),
            Literal(0)),
        Call("d", ()), optional=True)


def test_whitespace_between_tokens():
    assert parse_expression(" f ( 1 ,\n 'a' ) . b [ 0 ] ") == parse_expression("f(1,'a').b[0]")


def test_function_names_keep_their_spelling():
    assert parse_expression("ToLower('A')") == Call("ToLower", (Literal("A"),))


def test_interpolation_finds_the_closing_brace_past_strings():
    template = parse("a @{concat('}', '{')} b")
    assert template.parts[1] == Call("concat", (Literal("}"), Literal("{")))
    assert template.parts[2] == " b"


@pytest.mark.parametrize(("text", "column"), [
    ("@concat('a', 'b'", 17),
    ("@concat('a' 'b')", 13),
    ("@'unterminated", 2),
    ("@foo", 5),
    ("@f())", 5),
    ("@f().", 6),
    ("@f()?x", 5),
    ("@f()[1", 7),
    ("@", 2),
    ("a @{f()", 8),
    ("a @{} b", 5),
    ("@1abc", 3),
    ("@99999999999999999999", 2),
    ("@1e999", 2),
    ("@-", 2),
    ("@f(,)", 4),
])
def test_syntax_errors_carry_the_column(text, column):
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse(text)
    assert caught.value.column == column
    assert caught.value.details == [{"column": column}]
    assert f"column {column}" in str(caught.value)


def test_non_string_input_is_a_syntax_error():
    with pytest.raises(ExpressionSyntaxError):
        parse(42)  # type: ignore[arg-type]


def test_deep_nesting_is_refused_not_a_recursion_error():
    deep = "@" + "f(" * 5000 + ")" * 5000
    with pytest.raises(ExpressionTooComplexError):
        parse(deep)


def test_long_accessor_chains_count_as_depth():
    with pytest.raises(ExpressionTooComplexError):
        parse("@f()" + "[0]" * 500)


def test_length_limit():
    with pytest.raises(ExpressionTooComplexError):
        parse("@concat('" + "x" * 200 + "')", Limits(max_length=100))


def test_within_limits_parses():
    assert parse("@" + "f(" * 50 + ")" * 50).whole


def test_parse_is_cached():
    assert parse("@concat('cached', 'value')") is parse("@concat('cached', 'value')")
