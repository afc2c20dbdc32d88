"""Putting credentials on a request: API key in a header or the query, basic, bearer."""

from __future__ import annotations

import base64

from gateway.proxy.credentials import apply_credentials, choose_scheme
from importers import AuthScheme, ConnectionParameterSet, Connector


def _connector(*schemes: AuthScheme, sets: list[ConnectionParameterSet] | None = None
               ) -> Connector:
    return Connector(id="c", source_format="openapi3.0", auth=list(schemes),
                     connection_parameter_sets=sets or [])


def _apply(connector: Connector, public: dict[str, object], secrets: dict[str, str]
           ) -> tuple[dict[str, str], list[tuple[str, str]]]:
    headers: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    apply_credentials(connector, public, secrets, headers, query)
    return headers, query


def test_api_key_in_a_header_or_the_query() -> None:
    header = AuthScheme(name="h", kind="apiKey", location="header", key_name="X-Key",
                        parameters=["api_key"])
    query = AuthScheme(name="q", kind="apiKey", location="query", key_name="code",
                       parameters=["api_key"])
    assert _apply(_connector(header), {}, {"api_key": "k1"}) == ({"x-key": "k1"}, [])
    assert _apply(_connector(query), {}, {"api_key": "k2"}) == ({}, [("code", "k2")])


def test_basic_uses_the_public_username_and_the_secret_password() -> None:
    basic = AuthScheme(name="b", kind="basic", parameters=["username", "password"])
    headers, _ = _apply(_connector(basic), {"username": "bob"}, {"password": "pä:ss"})
    assert headers == {"authorization": "Basic " + base64.b64encode(
        "bob:pä:ss".encode()).decode()}


def test_oauth_sends_the_fresh_access_token_before_a_static_one() -> None:
    oauth = AuthScheme(name="o", kind="oauth2", parameters=["token"])
    assert _apply(_connector(oauth), {}, {"token": "static"}) == (
        {"authorization": "Bearer static"}, [])
    assert _apply(_connector(oauth), {}, {"token": "static", "access_token": "fresh"}) == (
        {"authorization": "Bearer fresh"}, [])


def test_the_scheme_whose_credentials_are_held_wins() -> None:
    key = AuthScheme(name="h", kind="apiKey", location="header", key_name="X-Key",
                     parameters=["api_key"])
    basic = AuthScheme(name="b", kind="basic", parameters=["username", "password"])
    connector = _connector(sets=[ConnectionParameterSet(name="k", auth=key),
                                 ConnectionParameterSet(name="b", auth=basic)])
    assert choose_scheme(connector, {"password": "p"}) == basic
    assert choose_scheme(connector, {"api_key": "k"}) == key
    assert choose_scheme(connector, {}) is None
    assert _apply(connector, {}, {}) == ({}, [])
