"""How a connection authenticates, and for OAuth, with which endpoints and client.

A connection's auth mode comes from its ``authType`` parameter when set, otherwise from
its connector: the first auth scheme whose credentials the connection holds, or the
connector's OAuth scheme when it holds none (OAuth connections get their token later,
by consent or from a token endpoint).

Modes: ``none``, ``apiKey``, ``basic``, ``token`` (a bearer token given as is),
``oauth2`` (authorization code with PKCE), ``clientCredentials`` (the connection's own
client id and secret) and ``gatewayIdentity`` (the gateway's client credentials from
``settings.oauth.gateway_*``, so the connection needs no secret of its own).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.settings import OAuthSettings
from importers import AuthScheme, Connector, OAuthSetting

OAUTH_MODES = frozenset({"oauth2", "clientCredentials", "gatewayIdentity"})
AUTH_TYPES = ("none", "apiKey", "basic", "token", *sorted(OAUTH_MODES))
#: The sealed secret holding a connection's OAuth tokens (JSON).
TOKENS_SECRET = "oauth_tokens"  # noqa: S105 - a secret's name


@dataclass(frozen=True)
class OAuthPlan:
    """Where and as whom a connection obtains its access tokens."""

    mode: str
    authorization_url: str
    token_url: str
    scopes: tuple[str, ...]
    client_id: str
    client_secret: str = field(repr=False, default="")


def oauth_setting(connector: Connector) -> OAuthSetting | None:
    """The connector's OAuth settings: an oauth2 scheme's, or an oauthSetting parameter's."""
    for scheme in _schemes(connector):
        if scheme.kind == "oauth2" and scheme.oauth is not None:
            return scheme.oauth
    for parameter in connector.connection_parameters:
        if parameter.oauth is not None:
            return parameter.oauth
    return None


def auth_mode(connector: Connector, public: Mapping[str, Any],
              secret_names: Collection[str]) -> str:
    """The auth mode of a connection (see the module docstring)."""
    explicit = public.get("authType")
    if isinstance(explicit, str) and explicit:
        return explicit
    oauth_scheme: AuthScheme | None = None
    for scheme in _schemes(connector):
        if scheme.kind == "oauth2":
            names = scheme.parameters or ["token"]
            if any(n in secret_names for n in names) or "access_token" in secret_names:
                return "token"
            oauth_scheme = oauth_scheme or scheme
        elif scheme.kind in ("apiKey", "basic") and any(
                n in secret_names for n in scheme.parameters):
            return scheme.kind
    if oauth_scheme is not None:
        flow = oauth_scheme.oauth.flow if oauth_scheme.oauth else "authorizationCode"
        return "clientCredentials" if flow == "clientCredentials" else "oauth2"
    return "none"


def oauth_plan(connector: Connector, mode: str, public: Mapping[str, Any],
               secrets: Mapping[str, str], settings: OAuthSettings) -> OAuthPlan:
    """The endpoints and client of an OAuth mode."""
    setting = oauth_setting(connector) or OAuthSetting()
    scopes = public.get("scopes")
    scope_list = tuple(scopes.split()) if isinstance(scopes, str) else tuple(setting.scopes)
    if mode == "gatewayIdentity":
        # Only the configured token URL: a connector's own URL could be a publisher's
        # server, and the gateway's client secret must never travel there.
        return OAuthPlan(mode=mode, authorization_url="", token_url=settings.gateway_token_url,
                         scopes=scope_list, client_id=settings.gateway_client_id,
                         client_secret=settings.gateway_client_secret.reveal())
    client_id = public.get("client_id")
    return OAuthPlan(
        mode=mode,
        authorization_url=setting.authorization_url,
        token_url=setting.token_url,
        scopes=scope_list,
        client_id=str(client_id) if isinstance(client_id, str) and client_id
        else setting.client_id,
        client_secret=secrets.get("client_secret", ""),
    )


def _schemes(connector: Connector) -> list[AuthScheme]:
    schemes = list(connector.auth)
    schemes += [s.auth for s in connector.connection_parameter_sets if s.auth is not None]
    return schemes
