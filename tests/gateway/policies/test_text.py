"""The policy text dialect: expressions inside free text, as the template docs show."""

from __future__ import annotations

import pytest

from gateway.expressions import EvaluationContext, ExpressionSyntaxError
from gateway.policies import POLICY_FUNCTIONS, compile_text

CONTEXT = EvaluationContext({
    "headers": {"test": "foo", "port": "1234"},
    "connectionParameters": {"cat": "bar", "subPath": "path", "host": "h.example.org"},
    "queryParameters": {"domain": "pqr", "version": "v2"},
    "body": {"firstName": "John", "lastName": "Smith", "payments": {"amount": 5},
             "next": "https://x/next", "@odata.id": "users/1", "n": 3},
})


@pytest.mark.parametrize(("text", "expected"), [
    # setheader documentation examples
    ("@headers('test')moo", "foomoo"),
    ("moo@headers('test')", "moofoo"),
    ("@connectionParameters('cat', '')", "bar"),
    ("@connectionParameters('name', '')", ""),
    # dynamichosturl documentation examples
    ("https://@header('test').abc.xyz:@header('port')", "https://foo.abc.xyz:1234"),
    ("https://@connectionParameters('cat').abc.xyz", "https://bar.abc.xyz"),
    ("https://test.abc.xyz", "https://test.abc.xyz"),
    ("https://@header('test').abc.@queryParameters('domain')/@connectionParameters('subPath')",
     "https://foo.abc.pqr/path"),
    ("https://@header('test123', 'default').abc.xyz", "https://default.abc.xyz"),
    # routerequesttoendpoint documentation examples
    ("/@queryParameters('version')/get/{id}", "/v2/get/{id}"),
    ("/@header('version', 'v1')/get/{id}", "/v1/get/{id}"),
    # shapes from the corpus
    ("Bearer @connectionParameters('cat')", "Bearer bar"),
    ("@connectionParameters('cat','');@connectionParameters('subPath','')", "bar;path"),
    ("user@example.com", "user@example.com"),
    ("ops@host (x)", "ops@host (x)"),
    ("a @@ b", "a @ b"),
    ("@{concat('x', 'y')}z", "xyz"),
    ("{@body().firstName} {@body().lastName}", "John Smith"),
    ("https://graph.microsoft.com/v1.0/directoryObjects/{@body()['@odata.id']}",
     "https://graph.microsoft.com/v1.0/directoryObjects/users/1"),
    ("PLACEHOLDER_API_KEY", "PLACEHOLDER_API_KEY"),
])
def test_strings(text, expected):
    assert compile_text(text).string(CONTEXT, POLICY_FUNCTIONS) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("[{@body().payments}]", [{"amount": 5}]),
    ("{@body().next}", "https://x/next"),
    ("{@body().n}", 3),
    ('["matter.created", "matter.updated"]', ["matter.created", "matter.updated"]),
    (" !", " !"),
    ("30", "30"),
    ("{@body().firstName} {@body().lastName}", "John Smith"),
    ("and(eq(state, '{@body().firstName}'))", "and(eq(state, 'John'))"),
    ('[{"filter_rules": [{"values": {@body().payments} }] }]',
     [{"filter_rules": [{"values": {"amount": 5}}]}]),
])
def test_json_values(text, expected):
    assert compile_text(text).json_value(CONTEXT, POLICY_FUNCTIONS) == expected


def test_lone_expression_keeps_its_type():
    assert compile_text("@body().payments").value(CONTEXT, POLICY_FUNCTIONS) == {"amount": 5}


@pytest.mark.parametrize("text", ["@connectionParameters('x'", "{@body().a", "@{concat('a')"])
def test_malformed_expressions_are_syntax_errors(text):
    with pytest.raises(ExpressionSyntaxError):
        compile_text(text)


@pytest.mark.parametrize(("text", "connection_only"), [
    ("@connectionParameters('region', 'eu')", True),
    ("https://@connectionParameters('cat').abc.xyz", True),
    ("@connectionParameters(connectionParameters('which'))", True),
    ("@connectionParameters('cat');@header('test')", False),
    ("@connectionParameters(header('test'))", False),
    ("@guid()", False),
    ("@utcNow()", False),
    ("text only", False),
])
def test_a_text_knows_whether_only_connection_parameters_decide_it(
        text: str, connection_only: bool) -> None:
    # Such a text's value is kept per cached connection instead of evaluated per call.
    assert compile_text(text).connection_only is connection_only
