"""Property tests: arbitrary input fails only with ExpressionError; printing round-trips."""

from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.expressions import (
    Access,
    Call,
    ExpressionError,
    Literal,
    Template,
    evaluate,
    parse,
    to_source,
)

from .conftest import fixed_context

FUNCTION_NAMES = ["concat", "length", "add", "json", "createArray", "if", "substring",
                  "replace", "split", "formatNumber", "addDays", "union", "string", "body",
                  "unknownFn", "range", "sort", "int", "equals", "base64", "uriHost", "xml",
                  "xpath", "formatDateTime", "chunk", "parseDateTime", "float", "decimal",
                  "dateDifference", "convertTimeZone", "dataUriToBinary", "isFloat"]

TOKENS = ["@", "@@", "@{", "}", "(", ")", "'", "''", ",", ".", "?.", "[", "]", "?[", " ",
          "true", "null", "-1", "2.5", "0", "'a'", "'{\"k\":[1]}'", "'<a b=\"1\">t</a>'",
          "'//a'", "'fr-FR'", "'de-de'", "'ja-JP'", "'2018-03-15T13:05:00Z'", "'dddd MMMM d'",
          "'#,##0.00;(0)'", "'UTC'", "'1,5e3'", "'data:;base64,aGk='", *FUNCTION_NAMES]

text_soup = st.lists(st.sampled_from(TOKENS) | st.text(max_size=3), max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=60), text_soup))
def test_any_string_evaluates_or_raises_expression_error(text):
    context = fixed_context(body={"a": [1, {"b": "c"}]}, headers={"h": "v"})
    try:
        evaluate(text, context)
    except ExpressionError:
        pass


identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True).filter(
    lambda name: name not in ("true", "false", "null"))
literals = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8),
).map(Literal)


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    calls = st.builds(Call, identifiers, st.lists(children, max_size=3).map(tuple))
    dotted = st.builds(lambda target, name, optional: Access(target, Literal(name), optional,
                                                             dotted=True),
                       children, identifiers, st.booleans())
    indexed = st.builds(Access, children, children, st.booleans())
    return st.one_of(calls, dotted, indexed)


nodes = st.recursive(literals, _extend, max_leaves=12)
text_parts = st.text(max_size=6).filter(bool)


def _template(parts: list) -> Template:
    merged: list = []
    for part in parts:
        if isinstance(part, Literal) and isinstance(part.value, str):
            part = part.value  # an interpolated string literal folds into text
            if not part:
                continue
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return Template(tuple(merged))


templates = st.one_of(
    nodes.map(lambda node: Template((node,), whole=True)),
    st.lists(st.one_of(text_parts, nodes), max_size=4).map(_template),
)


@settings(max_examples=400, deadline=None)
@given(templates)
def test_printed_templates_parse_back_to_the_same_tree(template):
    assert parse(to_source(template)) == template


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), text_soup))
def test_parsed_strings_round_trip(text):
    try:
        template = parse(text)
    except ExpressionError:
        return
    assert parse(to_source(template)) == template


LOCALES = ["en-US", "de-DE", "fr-FR", "es-ES", "ja-JP", "sv-SE", "ru-RU", "ar-SA", "hi-IN",
           "en-IN", "nl-NL", "pt-BR", "is-IS", "zh-Hans-CN", "he-IL", "th-TH", ""]


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
       st.sampled_from(LOCALES), st.sampled_from(["N2", "F3", "#,##0.00", "0.###", "E4"]))
def test_numbers_read_back_in_the_culture_they_were_written_in(number, locale, fmt):
    context = fixed_context(parameters={"n": number})
    text = evaluate(f"@formatNumber(parameters('n'), '{fmt}', '{locale}')", context)
    back = evaluate(f"@float(parameters('t'), '{locale}')", fixed_context(parameters={"t": text}))
    shown = evaluate(f"@formatNumber(parameters('n'), '{fmt}', 'invariant')", context)
    assert back == float(shown.replace(",", ""))


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)),
       st.sampled_from(LOCALES),
       st.sampled_from(["dddd, d MMMM yyyy HH:mm:ss", "dd/MM/yyyy h:mm:ss.fff tt", "D", "G",
                        "yyyyMMddHHmmss", "MMM d yyyy HH:mm"]))
def test_timestamps_read_back_with_the_format_they_were_written_in(moment, locale, fmt):
    stamp = moment.isoformat()
    context = fixed_context(parameters={"s": stamp})
    text = evaluate(f"@formatDateTime(parameters('s'), '{fmt}', '{locale}')", context)
    back = evaluate(f"@parseDateTime(parameters('t'), '{locale}', '{fmt}')",
                    fixed_context(parameters={"t": text}))
    precision = {"D": 10, "dd/MM/yyyy h:mm:ss.fff tt": 23, "MMM d yyyy HH:mm": 16}.get(fmt, 19)
    assert back[:precision] == moment.isoformat(timespec="milliseconds")[:precision]
