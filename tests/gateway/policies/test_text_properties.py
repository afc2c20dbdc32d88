"""Property test: any parameter text compiles and applies or fails with a Portway error."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.expressions import ExpressionError
from gateway.policies import POLICY_FUNCTIONS, PolicyDefinitionError, PolicyError, PolicySet
from gateway.policies.templates._common import PolicyCall
from gateway.policies.text import compile_text

from .conftest import instance, request

TOKENS = ["@", "@@", "{@", "@{", "}", "{", "(", ")", "'", ",", ".", "[", "]", "body()",
          "item()", "connectionParameters('region')", "headers('x-trace', 'd')",
          "queryParameters('page')", "concat(", "json('[1]')", "x", " ", "/", ":"]
soup = st.lists(st.sampled_from(TOKENS) | st.text(max_size=2), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(soup, st.text(max_size=40)))
def test_text_compiles_or_raises_expression_error(text):
    try:
        compiled = compile_text(text)
    except ExpressionError:
        return
    try:
        compiled.string(PolicyCall(request(body={"a": [1]})).context(), POLICY_FUNCTIONS)
    except ExpressionError:
        pass


@settings(max_examples=200, deadline=None)
@given(soup)
def test_policies_with_any_value_fail_only_with_policy_errors(text):
    try:
        policies = PolicySet.compile([
            instance("setheader", name="x-h", value=text),
            instance("setproperty", newPropertyParentPathTemplate="@body()",
                     newPropertySubPathTemplate="p", propertyValuePathTemplate=text),
        ])
    except PolicyDefinitionError:
        return
    try:
        policies.apply_request(request(body={"a": [1]}))
    except PolicyError:
        pass
