"""Connection parameters against their connector: validation and the secret/public split."""

from __future__ import annotations

from typing import Any

from gateway.errors import ValidationFailed
from importers import ConnectionParameter, Connector

#: Parameter names that hold credentials even when a connector does not declare them.
CREDENTIAL_NAMES = frozenset({
    "api_key", "password", "token", "client_secret", "access_token", "refresh_token",
    "certificate", "certificate_password",
})


def declared_parameters(connector: Connector) -> dict[str, ConnectionParameter]:
    declared = {p.name: p for p in connector.connection_parameters}
    for parameter_set in connector.connection_parameter_sets:
        for parameter in parameter_set.parameters:
            declared.setdefault(parameter.name, parameter)
    return declared


def split_parameters(connector: Connector, values: dict[str, Any]
                     ) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate ``values`` and split them into (public values, secret values).

    Raises:
        ValidationFailed: Unknown names, wrong types, values outside the allowed list,
            or a missing required parameter; each detail has a JSON pointer.
    """
    declared = declared_parameters(connector)
    auth_names = {name for scheme in connector.auth for name in scheme.parameters}
    problems: list[dict[str, Any]] = []
    public: dict[str, Any] = {}
    secret: dict[str, str] = {}
    for name, value in values.items():
        pointer = f"/parameters/{_escape(name)}"
        parameter = declared.get(name)
        if parameter is None and name not in auth_names and name not in CREDENTIAL_NAMES:
            problems.append({"pointer": pointer, "message": f"unknown parameter {name!r}"})
            continue
        if parameter is not None:
            problem = _type_problem(parameter, value)
            if problem:
                problems.append({"pointer": pointer, "message": problem})
                continue
        is_secret = (parameter.secret if parameter is not None else False) or (
            name in CREDENTIAL_NAMES)
        if is_secret:
            if not isinstance(value, str):
                problems.append({"pointer": pointer, "message": f"{name!r} must be a string"})
                continue
            secret[name] = value
        else:
            public[name] = value
    if not connector.connection_parameter_sets:
        for parameter in declared.values():
            if parameter.required and parameter.name not in values and parameter.default is None \
                    and parameter.type not in ("oauthSetting", "gatewaySetting"):
                problems.append({"pointer": f"/parameters/{_escape(parameter.name)}",
                                 "message": f"{parameter.name!r} is required"})
    if problems:
        raise ValidationFailed(
            f"the connection parameters do not fit connector {connector.id!r}: "
            + "; ".join(p["message"] for p in problems[:5]),
            details=problems,
        )
    return public, secret


def _type_problem(parameter: ConnectionParameter, value: Any) -> str | None:
    kind = parameter.type
    if kind in ("string", "securestring") and not isinstance(value, str):
        return f"{parameter.name!r} must be a string"
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        return f"{parameter.name!r} must be a whole number"
    if kind == "bool" and not isinstance(value, bool):
        return f"{parameter.name!r} must be true or false"
    if parameter.allowed_values and value not in parameter.allowed_values:
        return f"{parameter.name!r} must be one of {parameter.allowed_values!r}"
    return None


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
