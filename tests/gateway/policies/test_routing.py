"""dynamichosturl and routerequesttoendpoint."""

from __future__ import annotations

import pytest

from gateway.policies import PolicyExecutionError

from .conftest import instance, request, run


@pytest.mark.parametrize(("template", "expected"), [
    ("https://@connectionParameters('region').api.example.com", "https://eu.api.example.com"),
    ("https://@connectionParameters('host')/IAConnectRESTClient",
     "https://h.example.org/IAConnectRESTClient"),
    ("@connectionParameters('missing','https://westus.example.com')",
     "https://westus.example.com"),
    ("https://@connectionParameters('region', 'helpdesk.example.com')",
     "https://eu"),
])
def test_dynamichosturl_replaces_the_base_url(template, expected):
    req = run([instance("dynamichosturl", urlTemplate=template)], request())
    assert req.base_url == expected
    assert req.url.startswith(expected + "/items/42")


def test_dynamicsubdomain_is_the_same_template():
    policy = instance("dynamicsubdomain",
                      urlTemplate="https://@connectionParameters('region').alisqi.com/api/")
    assert run([policy], request()).url == "https://eu.alisqi.com/api/items/42?page=2"


@pytest.mark.parametrize("template", ["@connectionParameters('missing', '')",
                                      "ftp://@connectionParameters('region')"])
def test_dynamichosturl_refuses_a_non_http_result(template):
    with pytest.raises(PolicyExecutionError):
        run([instance("dynamichosturl", urlTemplate=template)], request())


def test_dynamichosturl_adds_a_scheme_to_a_bare_host():
    policy = instance("dynamichosturl", urlTemplate="@connectionParameters('host')")
    assert run([policy], request()).base_url == "https://h.example.org"


def test_dynamichosturl_query_in_the_template_joins_the_request_query():
    policy = instance("dynamichosturl",
                      urlTemplate="https://@headers('x-trace')/svc.ashx?mode=@headers('accept')")
    req = run([policy], request())
    assert req.base_url == "https://t-1/svc.ashx"
    assert req.query == [("page", "2"), ("mode", "application/json")]


def test_route_request_keeps_the_method_and_fills_placeholders():
    policy = instance("routerequesttoendpoint", operations=["GetItem"],
                      httpMethod="@Request.OriginalHTTPMethod", newPath="/api/v3/things/{id}")
    req = run([policy], request())
    assert (req.method, req.path) == ("GET", "/api/v3/things/42")
    assert req.url == "https://api.example.com/v1/api/v3/things/42?page=2"


def test_route_request_with_expressions_and_a_new_method():
    policy = instance("routerequesttoendpoint", httpMethod="DELETE",
                      newPath="/v1/users/@connectionParameters('region')/graphs/"
                              "@queryParameters('page')")
    req = run([policy], request())
    assert (req.method, req.path) == ("DELETE", "/v1/users/eu/graphs/2")


def test_route_request_encodes_placeholder_values_and_keeps_unknown_ones():
    policy = instance("routerequesttoendpoint", newPath="stations/{stationCode}/{id}")
    req = run([policy], request(path_parameters={"id": "a/b c"}))
    assert req.path == "/stations/{stationCode}/a%2Fb%20c"


def test_route_request_query_in_new_path():
    policy = instance("routerequesttoendpoint", newPath="/search?kind=all&q=%20x")
    req = run([policy], request())
    assert req.query == [("page", "2"), ("kind", "all"), ("q", " x")]


def test_route_request_applies_only_to_its_operations():
    policy = instance("routerequesttoendpoint", operations=["Other"], newPath="/elsewhere")
    assert run([policy], request()).path == "/items/42"
