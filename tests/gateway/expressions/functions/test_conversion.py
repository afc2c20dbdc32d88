"""Conversion functions, with the documented examples as the table."""

from __future__ import annotations

import pytest

from gateway.expressions import ArgumentTypeError, to_json_compatible

CASES = [
    ("@int('10')", 10),
    ("@int(' -7 ')", -7),
    ("@float('10.333')", 10.333),
    ("@float('1.234,5', 'de-de')", 1234.5),
    ("@string(10)", "10"),
    ("@string(null)", ""),
    ("@string(true)", "True"),
    ("@string(2.5)", "2.5"),
    ("@string(json('{ \"name\": \"Sophie Owen\" }'))", '{"name":"Sophie Owen"}'),
    ("@bool(1)", True),
    ("@bool(0)", False),
    ("@bool(-1)", True),
    ("@bool('true')", True),
    ("@bool('false')", False),
    ("@json('[1, 2, 3]')", [1, 2, 3]),
    ("@json('{\"fullName\": \"Sophia Owen\"}')", {"fullName": "Sophia Owen"}),
    ("@json(null)", {}),
    ("@array('hello')", ["hello"]),
    ("@base64('hello')", "aGVsbG8="),
    ("@base64ToString('aGVsbG8=')", "hello"),
    ("@decodeBase64('aGVsbG8=')", "hello"),
    ("@base64ToBinary('aGVsbG8=')", b"hello"),
    ("@binary('hello')", b"hello"),
    ("@base64(binary('hello'))", "aGVsbG8="),
    ("@dataUri('hello')", "data:text/plain;charset=utf-8;base64,aGVsbG8="),
    ("@dataUriToString('data:text/plain;charset=utf-8;base64,aGVsbG8=')", "hello"),
    ("@dataUriToBinary('data:text/plain;charset=utf-8;base64,aGVsbG8=')", b"hello"),
    ("@decodeDataUri('data:,a%20b')", b"a b"),
    ("@encodeUriComponent('https://contoso.com')", "https%3A%2F%2Fcontoso.com"),
    ("@uriComponent('https://contoso.com')", "https%3A%2F%2Fcontoso.com"),
    ("@uriComponent('a b~_.-')", "a%20b~_.-"),
    ("@decodeUriComponent('https%3A%2F%2Fcontoso.com')", "https://contoso.com"),
    ("@uriComponentToString('https%3A%2F%2Fcontoso.com')", "https://contoso.com"),
    ("@uriComponentToBinary('a%20b')", b"a b"),
    ("@coalesce(null, true, false)", True),
    ("@coalesce(null, 'hello', 'world')", "hello"),
    ("@coalesce(null, null, null)", None),
    ("@coalesce('', 'x')", ""),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_documented_examples(ev, expression, expected):
    assert ev(expression) == expected


@pytest.mark.parametrize("expression", [
    "@int('10.5')", "@int('ten')", "@int('99999999999999999999')", "@float('x')",
    "@bool('yes')", "@json('{')", "@json('NaN')", "@base64ToString('***')",
    "@dataUriToString('hello')", "@float('1', 'xx-xx')",
])
def test_bad_values(ev, expression):
    with pytest.raises(ArgumentTypeError):
        ev(expression)


def test_binary_serialises_as_a_content_envelope(ev):
    assert to_json_compatible(ev("@binary('hello')")) == {
        "$content-type": "application/octet-stream", "$content": "aGVsbG8="}


ENVELOPE_XML = {"$content-type": "application/xml;charset=utf-8",
                "$content": "PHA+PG4+R2FsYTwvbj48L3A+"}  # <p><n>Gala</n></p>
ENVELOPE_TEXT = {"$content-type": "text/plain", "$content": "aGVsbG8="}  # hello


@pytest.mark.parametrize(("expression", "expected"), [
    ("@string(body())", "hello"),
    ("@concat('say ', body())", "say hello"),
    ("@base64(body())", "aGVsbG8="),
    ("@dataUri(body())", "data:text/plain;base64,aGVsbG8="),
    ("@length(string(binary(body())))", 5),
])
def test_content_envelopes_count_as_their_content(ev, expression, expected):
    assert ev(expression, body=ENVELOPE_TEXT) == expected


def test_xml_bodies_arriving_as_content(ev):
    assert ev("@xpath(xml(body()), 'string(/p/n)')", body=ENVELOPE_XML) == "Gala"
    assert ev("@json(body())", body=ENVELOPE_XML) == {"p": {"n": "Gala"}}
    assert ev("@json(xml(body()))", body=ENVELOPE_XML) == {"p": {"n": "Gala"}}


def test_objects_that_only_look_like_envelopes_stay_objects(ev):
    assert ev("@string(body())", body={"$content": "not base64!"}) == \
        '{"$content":"not base64!"}'
    assert ev("@string(body())", body={"$content": "aGk=", "other": 1}) == \
        '{"$content":"aGk=","other":1}'


@pytest.mark.parametrize(("expression", "expected"), [
    ("@string(mul(1000000, 1000000000.0))", "1E+15"),
    ("@string(mul(-1.5, 1000000000000000.0))", "-1.5E+15"),
    ("@string(123456789012345.0)", "123456789012345"),
    ("@string(0.0001)", "0.0001"),
    ("@string(div(1, 100000.0))", "1E-05"),
])
def test_floats_are_written_as_dotnet_round_trips_them(ev, expression, expected):
    assert ev(expression) == expected
