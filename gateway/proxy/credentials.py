"""Putting a connection's credentials on an outbound request.

``credentials_for`` is the data plane's one hook: it returns the secrets a call needs,
with a fresh OAuth access token for connections in an OAuth mode (refreshed before it
expires, one refresh at a time), and fails fast with ``ConnectionUnauthenticated`` for a
connection that must be consented again. ``apply_credentials`` then puts them on the
request as the connector's auth scheme says.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.oauth.plan import OAUTH_MODES, auth_mode
from gateway.oauth.refresh import token_keeper
from gateway.services import Services
from gateway.store.connections import ConnectionRecord
from importers import AuthScheme, Connector


async def credentials_for(services: Services, record: ConnectionRecord, connector: Connector,
                          secrets: Mapping[str, str]) -> dict[str, str]:
    """The secrets a call through ``record`` needs, OAuth access token included.

    Raises:
        ConnectionUnauthenticated: The connection needs (a new) consent.
        TokenEndpointError: A token could not be obtained.
    """
    values = dict(secrets)
    if auth_mode(connector, record.parameters, secrets.keys()) in OAUTH_MODES:
        values["access_token"] = await token_keeper(services).access_token(
            record, connector, secrets)
    return values


class _Resolved(Protocol):
    @property
    def record(self) -> ConnectionRecord: ...

    @property
    def secrets(self) -> dict[str, str]: ...

    @property
    def compiled(self) -> Any: ...


class _Call(Protocol):
    resolved: Any
    headers: dict[str, str]
    query: list[tuple[str, str]]


async def inject_call_credentials(services: Services, call: _Call) -> None:
    """The pipeline's hook: put a resolved call's credentials on its request, with a
    fresh OAuth token where the connection signs in with OAuth.

    Without OAuth the credentials depend on the cache entry alone, so what to add is
    worked out on the entry's first call and kept with it (``derived``).
    """
    resolved: _Resolved = call.resolved
    connector: Connector = resolved.compiled.connector
    record = resolved.record
    found = getattr(resolved, "derived", None)
    derived: dict[str, Any] = found if isinstance(found, dict) else {}
    plan: CredentialPlan | str | None = derived.get("credentials")
    if plan is None:
        plan = "oauth" if auth_mode(connector, record.parameters,
                                    resolved.secrets.keys()) in OAUTH_MODES \
            else credential_plan(connector, record.parameters, resolved.secrets)
        derived["credentials"] = plan
    if isinstance(plan, str):  # "oauth": the token may be refreshed at any call
        secrets = await credentials_for(services, record, connector, resolved.secrets)
        plan = credential_plan(connector, record.parameters, secrets)
    put_credentials(plan, call.headers, call.query)


def _schemes(connector: Connector) -> list[AuthScheme]:
    schemes = list(connector.auth)
    schemes += [s.auth for s in connector.connection_parameter_sets if s.auth is not None]
    return schemes


def choose_scheme(connector: Connector, secrets: Mapping[str, str],
                  auth_type: str = "") -> AuthScheme | None:
    """The auth scheme of kind ``auth_type`` (a connection's ``authType``) when it names
    one, else the first whose credentials the connection holds."""
    schemes = _schemes(connector)
    if auth_type in ("apiKey", "basic"):
        schemes = [s for s in schemes if s.kind == auth_type]
    for scheme in schemes:
        if scheme.kind == "none":
            continue
        if scheme.kind == "oauth2":
            if "access_token" in secrets or any(n in secrets for n in scheme.parameters):
                return scheme
            continue
        if all(name in secrets or name in ("username",) for name in scheme.parameters) and \
                any(name in secrets for name in scheme.parameters):
            return scheme
    return None


@dataclass(frozen=True)
class CredentialPlan:
    """What a connection's credentials add to a request: header values (lower-case
    names) and query parameters."""

    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()


def credential_plan(connector: Connector, public: dict[str, Any],
                    secrets: Mapping[str, str]) -> CredentialPlan:
    """The credentials of the chosen auth scheme, as a plan ``put_credentials`` applies."""
    scheme = choose_scheme(connector, secrets, str(public.get("authType") or ""))
    if scheme is None:
        return CredentialPlan()
    values = {**public, **secrets}
    if scheme.kind == "apiKey":
        value = str(values.get(scheme.parameters[0] if scheme.parameters else "api_key", ""))
        if scheme.location == "query":
            return CredentialPlan(query=((scheme.key_name, value),))
        return CredentialPlan(headers=((scheme.key_name.lower() or "authorization", value),))
    if scheme.kind == "basic":
        user = str(values.get("username", ""))
        password = str(values.get("password", ""))
        pair = base64.b64encode(f"{user}:{password}".encode()).decode()
        return CredentialPlan(headers=(("authorization", f"Basic {pair}"),))
    if scheme.kind == "oauth2":
        token = secrets.get("access_token") or next(
            (secrets[n] for n in scheme.parameters if n in secrets), "")
        if token:
            return CredentialPlan(headers=(("authorization", f"Bearer {token}"),))
    return CredentialPlan()


def put_credentials(plan: CredentialPlan, headers: dict[str, str],
                    query: list[tuple[str, str]]) -> None:
    """Put a plan's credentials on a request. A query credential replaces a caller's
    parameter of the same name, which an upstream reading the first value would
    otherwise take instead."""
    for name, value in plan.headers:
        headers[name] = value
    for name, value in plan.query:
        lowered = name.lower()
        query[:] = [(k, v) for k, v in query if k.lower() != lowered]
        query.append((name, value))


def apply_credentials(connector: Connector, public: dict[str, Any], secrets: Mapping[str, str],
                      headers: dict[str, str], query: list[tuple[str, str]]) -> None:
    """Add the credentials of the chosen auth scheme to ``headers`` or ``query``."""
    put_credentials(credential_plan(connector, public, secrets), headers, query)
