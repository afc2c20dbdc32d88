"""Connection parameters against their connector: validation, the secret/public split,
and the status a new connection starts in.

Besides the connector's own parameters, a connection may set a few names Portway itself
understands: ``authType`` (how it signs in, see ``gateway.oauth.plan``), ``client_id``,
``scopes`` and ``parameterSet`` (public) and ``client_secret`` (secret). When the
connector declares several ways to sign in (connection parameter sets), the connection
names one with ``parameterSet`` or gives the required parameters of exactly one.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from gateway.errors import ValidationFailed
from gateway.oauth.plan import AUTH_TYPES, TOKENS_SECRET, auth_mode
from gateway.oauth.refresh import consent_reason
from importers import ConnectionParameter, Connector

#: Parameter names that hold credentials even when a connector does not declare them.
CREDENTIAL_NAMES = frozenset({
    "api_key", "password", "token", "client_secret", "access_token", "refresh_token",
    "certificate", "certificate_password",
})
#: Public parameters Portway itself understands, with their allowed values (None: any
#: string).
RESERVED_PUBLIC: dict[str, tuple[str, ...] | None] = {
    "authType": AUTH_TYPES, "client_id": None, "scopes": None, "parameterSet": None,
}
#: Names Portway manages itself; a client may not set them.
MANAGED_NAMES = frozenset({TOKENS_SECRET})


def declared_parameters(connector: Connector, parameter_set: str | None = None
                        ) -> dict[str, ConnectionParameter]:
    """The connector's parameters, with those of one set (or of every set when None)."""
    declared = {p.name: p for p in connector.connection_parameters}
    for candidate in connector.connection_parameter_sets:
        if parameter_set is None or candidate.name == parameter_set:
            for parameter in candidate.parameters:
                declared.setdefault(parameter.name, parameter)
    return declared


def split_parameters(connector: Connector, values: dict[str, Any],
                     present: Collection[str] = ()) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate ``values`` and split them into (public values, secret values).

    Args:
        present: Names already stored (secrets kept by a patch) that count as given.

    Raises:
        ValidationFailed: Unknown names, wrong types, values outside the allowed list,
            a missing required parameter, or no single parameter set; each detail has a
            JSON pointer.
    """
    problems: list[dict[str, Any]] = []
    chosen = _parameter_set(connector, values, present, problems)
    declared = declared_parameters(connector, chosen)
    auth_names = {name for scheme in connector.auth for name in scheme.parameters}
    public: dict[str, Any] = {}
    secret: dict[str, str] = {}
    for name, value in values.items():
        pointer = f"/parameters/{_escape(name)}"
        parameter = declared.get(name)
        if name in MANAGED_NAMES:
            problems.append({"pointer": pointer, "message": f"{name!r} is managed by Portway"})
            continue
        if parameter is None and name in RESERVED_PUBLIC:
            allowed = RESERVED_PUBLIC[name]
            if not isinstance(value, str) or (allowed is not None and value not in allowed):
                shown = f"one of {list(allowed)!r}" if allowed else "a string"
                problems.append({"pointer": pointer, "message": f"{name!r} must be {shown}"})
            else:
                public[name] = value
            continue
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
        if is_secret and parameter is not None and parameter.type == "secureobject" \
                and not isinstance(value, str):
            secret[name] = json.dumps(value, separators=(",", ":"))  # sealed as JSON text
            continue
        if is_secret:
            if not isinstance(value, str):
                problems.append({"pointer": pointer, "message": f"{name!r} must be a string"})
                continue
            secret[name] = value
        else:
            public[name] = value
    mode = auth_mode(connector, public, [*secret, *present])
    for parameter in declared.values():
        if _missing(parameter, values, present, mode):
            problems.append({"pointer": f"/parameters/{_escape(parameter.name)}",
                             "message": f"{parameter.name!r} is required"})
    if problems:
        raise ValidationFailed(
            f"the connection parameters do not fit connector {connector.id!r}: "
            + "; ".join(p["message"] for p in problems[:5]),
            details=problems,
        )
    return public, secret


def initial_status(connector: Connector, public: dict[str, Any], secret_names: Collection[str],
                   name: str) -> tuple[str, str]:
    """The status a connection starts in: an OAuth authorization-code connection waits
    for consent; every other one is ``Connected`` until a test or a call says otherwise."""
    if auth_mode(connector, public, secret_names) == "oauth2":
        return "Unauthenticated", consent_reason(name)
    return "Connected", ""


def _missing(parameter: ConnectionParameter, values: dict[str, Any], present: Collection[str],
             mode: str) -> bool:
    if not parameter.required or parameter.name in values or parameter.name in present:
        return False
    if parameter.default is not None or parameter.type in ("oauthSetting", "gatewaySetting"):
        return False
    # OAuth connections get their token by consent or from a token endpoint, and the
    # gateway identity needs no secret of the connection's own.
    return not (mode in ("oauth2", "clientCredentials", "gatewayIdentity")
                and parameter.name in ("token", "client_secret"))


def _parameter_set(connector: Connector, values: dict[str, Any], present: Collection[str],
                   problems: list[dict[str, Any]]) -> str | None:
    sets = connector.connection_parameter_sets
    if not sets:
        return None
    names = [s.name for s in sets]
    wanted = values.get("parameterSet")
    if isinstance(wanted, str):
        if wanted not in names:
            problems.append({"pointer": "/parameters/parameterSet",
                             "message": f"'parameterSet' must be one of {names!r}"})
            return None
        return wanted
    given = set(values) | set(present)
    fitting = [s.name for s in sets
               if all(p.name in given or not p.required or p.default is not None
                      for p in s.parameters)
               and any(p.name in given for p in s.parameters)]
    if len(fitting) == 1:
        return fitting[0]
    if not fitting and len(sets) == 1:
        return sets[0].name
    if not fitting and not given:
        # Nothing given: a way to connect without signing in is the one meant (a WSDL
        # that declares no security offers it beside the others), as "{}" says.
        anonymous = [s.name for s in sets if s.auth is not None and s.auth.kind == "none"
                     and not any(p.required for p in s.parameters)]
        if len(anonymous) == 1:
            return anonymous[0]
    problems.append({"pointer": "/parameters/parameterSet", "message":
                     f"name one of the connector's ways to sign in with 'parameterSet': "
                     f"{names!r}"})
    return None


def _type_problem(parameter: ConnectionParameter, value: Any) -> str | None:
    kind = parameter.type
    if kind in ("string", "securestring") and not isinstance(value, str):
        return f"{parameter.name!r} must be a string"
    if kind == "secureobject" and not isinstance(value, dict | str):
        return f"{parameter.name!r} must be an object"
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        return f"{parameter.name!r} must be a whole number"
    if kind == "bool" and not isinstance(value, bool):
        return f"{parameter.name!r} must be true or false"
    if parameter.allowed_values and value not in parameter.allowed_values:
        return f"{parameter.name!r} must be one of {parameter.allowed_values!r}"
    return None


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
