"""Putting a connection's credentials on an outbound request."""

from __future__ import annotations

import base64
from typing import Any

from importers import AuthScheme, Connector


def choose_scheme(connector: Connector, secrets: dict[str, str]) -> AuthScheme | None:
    """The first auth scheme whose parameters the connection holds."""
    for scheme in connector.auth:
        if scheme.kind == "none":
            continue
        if all(name in secrets or name in ("username",) for name in scheme.parameters) and \
                any(name in secrets for name in scheme.parameters):
            return scheme
    return None


def apply_credentials(connector: Connector, public: dict[str, Any], secrets: dict[str, str],
                      headers: dict[str, str], query: list[tuple[str, str]]) -> None:
    """Add the credentials of the chosen auth scheme to ``headers`` or ``query``."""
    scheme = choose_scheme(connector, secrets)
    if scheme is None:
        return
    values = {**public, **secrets}
    if scheme.kind == "apiKey":
        value = values.get(scheme.parameters[0] if scheme.parameters else "api_key", "")
        if scheme.location == "query":
            query.append((scheme.key_name, value))
        else:
            headers[scheme.key_name.lower() or "authorization"] = value
    elif scheme.kind == "basic":
        user = str(values.get("username", ""))
        password = str(values.get("password", ""))
        pair = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers["authorization"] = f"Basic {pair}"
    elif scheme.kind == "oauth2":
        token = values.get("access_token") or values.get("token")
        if token:
            headers["authorization"] = f"Bearer {token}"
