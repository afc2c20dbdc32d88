"""URI parsing functions, with the documented examples as the table."""

from __future__ import annotations

import pytest

from gateway.expressions import ArgumentTypeError

CASES = [
    ("@uriHost('https://www.localhost.com:8080')", "www.localhost.com"),
    ("@uriPath('https://www.contoso.com/catalog/shownew.htm?date=today')",
     "/catalog/shownew.htm"),
    ("@uriPath('https://www.contoso.com')", "/"),
    ("@uriPathAndQuery('https://www.contoso.com/catalog/shownew.htm?date=today')",
     "/catalog/shownew.htm?date=today"),
    ("@uriPort('https://www.localhost:8080')", 8080),
    ("@uriPort('https://www.contoso.com')", 443),
    ("@uriPort('http://www.contoso.com')", 80),
    ("@uriQuery('https://www.contoso.com/catalog/shownew.htm?date=today')", "?date=today"),
    ("@uriQuery('https://www.contoso.com/')", ""),
    ("@uriScheme('https://www.contoso.com/catalog/shownew.htm?date=today')", "https"),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_documented_examples(ev, expression, expected):
    assert ev(expression) == expected


@pytest.mark.parametrize("expression", [
    "@uriHost('not a uri')", "@uriPort('https://x:99999')", "@uriPath('/relative/path')",
    "@uriPort('custom://host')",
])
def test_bad_uris(ev, expression):
    with pytest.raises(ArgumentTypeError):
        ev(expression)
