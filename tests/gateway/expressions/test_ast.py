"""The printer: to_source gives text that parses back to the same tree."""

from __future__ import annotations

import pytest

from gateway.expressions import Template, expression_source, parse, parse_expression, to_source


@pytest.mark.parametrize("text", [
    "@concat('a', parameters('x'))",
    "a @{f()} b",
    "@@x",
    "@@{x}",
    "x@@{",
    "@{f()}@@",
    "@f()?.a['b c'][0]?[1]",
    "@'it''s'",
    "@-1.5",
    "@1e+20",
    "@{'@'}@{f()}",
    "@@@@{",
    "",
    "plain",
])
def test_round_trip(text):
    template = parse(text)
    assert parse(to_source(template)) == template


def test_canonical_spelling():
    assert expression_source(parse_expression(" f ( 1 ,'a' ) .b ")) == "f(1, 'a').b"
    assert to_source(parse("@{'folded'} text")) == "folded text"


def test_text_ending_in_at_before_an_interpolation():
    template = Template(("mail@", parse_expression("f()")))
    assert parse(to_source(template)) == template
