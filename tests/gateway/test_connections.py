"""Connection parameters against their connector: validation and the secret/public split."""

from __future__ import annotations

import pytest

from gateway.connections import initial_status, split_parameters
from gateway.errors import ValidationFailed
from importers import (
    AuthScheme,
    ConnectionParameter,
    ConnectionParameterSet,
    Connector,
    OAuthSetting,
)


def _multi() -> Connector:
    key = AuthScheme(name="key", kind="apiKey", location="header", key_name="X-Key",
                     parameters=["api_key"])
    basic = AuthScheme(name="basic", kind="basic", parameters=["username", "password"])
    return Connector(
        id="multi", source_format="swagger2",
        connection_parameters=[ConnectionParameter(name="host", type="string",
                                                   required=True)],
        connection_parameter_sets=[
            ConnectionParameterSet(name="keyAuth", auth=key, parameters=[
                ConnectionParameter(name="api_key", type="securestring", required=True)]),
            ConnectionParameterSet(name="basicAuth", auth=basic, parameters=[
                ConnectionParameter(name="username", type="string", required=True),
                ConnectionParameter(name="password", type="securestring", required=True)]),
        ])


def test_the_split_keeps_secrets_apart() -> None:
    public, secret = split_parameters(_multi(), {"host": "h", "api_key": "k"})
    assert public == {"host": "h"}
    assert secret == {"api_key": "k"}


def test_a_parameter_set_is_inferred_or_named() -> None:
    public, secret = split_parameters(_multi(), {"host": "h", "username": "u",
                                                 "password": "p"})
    assert (public, secret) == ({"host": "h", "username": "u"}, {"password": "p"})
    public, _ = split_parameters(_multi(), {"host": "h", "parameterSet": "keyAuth",
                                            "api_key": "k"})
    assert public["parameterSet"] == "keyAuth"


@pytest.mark.parametrize("values, message", [
    ({"host": "h"}, "parameterSet"),
    ({"host": "h", "username": "u"}, "parameterSet"),
    ({"host": "h", "parameterSet": "keyAuth"}, "'api_key' is required"),
    ({"host": "h", "parameterSet": "nope", "api_key": "k"}, "parameterSet"),
    ({"api_key": "k"}, "'host' is required"),
    ({"host": "h", "parameterSet": "keyAuth", "api_key": "k", "username": "u"},
     "unknown parameter 'username'"),
])
def test_parameter_set_problems(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        split_parameters(_multi(), values)
    assert message in raised.value.message


def test_stored_secrets_count_as_given() -> None:
    public, secret = split_parameters(_multi(), {"host": "h2", "parameterSet": "keyAuth"},
                                      present=["api_key"])
    assert secret == {}
    assert public == {"host": "h2", "parameterSet": "keyAuth"}


def _oauth() -> Connector:
    oauth = OAuthSetting(authorization_url="https://idp/authorize", token_url="https://idp/t")
    return Connector(
        id="o", source_format="openapi3.0",
        auth=[AuthScheme(name="o", kind="oauth2", oauth=oauth, parameters=["token"])],
        connection_parameters=[ConnectionParameter(name="token", type="oauthSetting",
                                                   required=True, oauth=oauth)])


def test_oauth_connections_start_unauthenticated_unless_given_a_token() -> None:
    public, secret = split_parameters(_oauth(), {})
    assert initial_status(_oauth(), public, secret, "c")[0] == "Unauthenticated"
    public, secret = split_parameters(_oauth(), {"token": "static"})
    assert initial_status(_oauth(), public, secret, "c") == ("Connected", "")
    public, secret = split_parameters(_oauth(), {"authType": "gatewayIdentity"})
    assert initial_status(_oauth(), public, secret, "c") == ("Connected", "")
