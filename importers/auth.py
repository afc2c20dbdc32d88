"""Connection parameters and auth schemes, from the spec's security schemes and apiProperties.

A spec says how the upstream authenticates (``securityDefinitions`` / ``securitySchemes``);
``apiProperties.json``, when there is one, says which connection parameters hold the
credentials. Without it, parameter names follow the Power Platform convention: ``api_key``
for an API key, ``username`` and ``password`` for basic, ``token`` for OAuth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from importers.model import (
    AuthScheme,
    ConnectionParameter,
    ConnectionParameterSet,
    Connector,
    Finding,
)
from importers.properties import Properties, auth_from_parameters


@dataclass
class Auth:
    """The auth part of a connector."""

    parameters: list[ConnectionParameter]
    schemes: list[AuthScheme]
    sets: list[ConnectionParameterSet]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "scheme"


def _unique(name: str, taken: set[str], scheme: str) -> str:
    if name not in taken:
        return name
    candidate = f"{name}_{_slug(scheme)}"
    n = 2
    while candidate in taken:
        candidate = f"{name}_{_slug(scheme)}_{n}"
        n += 1
    return candidate


def security_alternatives(doc: dict[str, Any]) -> bool:
    """Whether the document's top-level ``security`` offers its schemes as alternatives:
    several requirement objects (``[{Basic: []}, {ApiKey: []}]`` reads "either")."""
    requirements = doc.get("security")
    return isinstance(requirements, list) and len(
        [r for r in requirements if isinstance(r, dict) and r]) > 1


def conventional(schemes: list[AuthScheme], *, alternatives: bool = False) -> Auth:
    """Names the connection parameters of spec-declared schemes by convention.

    When the schemes are alternatives (``security_alternatives``), no one scheme's
    parameters are required: a connection gives the values of one of them, and
    ``authType`` picks one when it holds several.
    """
    required = not alternatives
    params: list[ConnectionParameter] = []
    taken: set[str] = set()
    out: list[AuthScheme] = []
    for scheme in schemes:
        names: list[str] = []
        if scheme.kind == "apiKey":
            names = [_unique("api_key", taken, scheme.name)]
            params.append(ConnectionParameter(
                name=names[0], type="securestring", required=required, display_name="API Key",
                description=f"Sent as the {scheme.location or 'header'} {scheme.key_name!r}",
            ))
        elif scheme.kind == "basic":
            user = _unique("username", taken, scheme.name)
            password = _unique("password", taken, scheme.name)
            names = [user, password]
            params += [
                ConnectionParameter(name=user, type="string", required=required,
                                    display_name="Username"),
                ConnectionParameter(name=password, type="securestring", required=required,
                                    display_name="Password"),
            ]
        elif scheme.kind == "oauth2":
            names = [_unique("token", taken, scheme.name)]
            params.append(ConnectionParameter(
                name=names[0], type="oauthSetting" if scheme.oauth else "securestring",
                required=required, display_name="Token", oauth=scheme.oauth,
            ))
        elif scheme.kind == "clientCertificate":
            names = [_unique("certificate", taken, scheme.name)]
            params.append(ConnectionParameter(name=names[0], type="clientCertificate",
                                              required=required, display_name="Client certificate"))
        taken.update(names)
        out.append(scheme.model_copy(update={"parameters": names}))
    return Auth(parameters=params, schemes=out, sets=[])


def _bind(scheme: AuthScheme, params: list[ConnectionParameter]) -> AuthScheme | None:
    """Binds a spec scheme to the connection parameters that hold its credentials."""
    by_name = {p.name: p for p in params}
    if scheme.kind == "apiKey":
        secure = [p for p in params if p.type == "securestring"]
        for candidate in ("api_key", scheme.key_name, scheme.name):
            if candidate in by_name:
                return scheme.model_copy(update={"parameters": [candidate]})
        if len(secure) == 1:
            return scheme.model_copy(update={"parameters": [secure[0].name]})
        return None
    if scheme.kind == "basic":
        if "username" in by_name and "password" in by_name:
            return scheme.model_copy(update={"parameters": ["username", "password"]})
        return None
    if scheme.kind == "oauth2":
        for p in params:
            if p.type == "oauthSetting":
                oauth = p.oauth
                if oauth is not None and scheme.oauth is not None:
                    # apiProperties names the identity provider; the spec has the URLs.
                    oauth = oauth.model_copy(update={
                        "flow": scheme.oauth.flow,
                        "authorization_url": oauth.authorization_url
                        or scheme.oauth.authorization_url,
                        "token_url": oauth.token_url or scheme.oauth.token_url,
                        "refresh_url": oauth.refresh_url or scheme.oauth.refresh_url,
                        "scopes": oauth.scopes or scheme.oauth.scopes,
                    })
                return scheme.model_copy(update={"parameters": [p.name],
                                                 "oauth": oauth or scheme.oauth})
        return None
    return None


def build_auth(schemes: list[AuthScheme], props: Properties | None, *,
               alternatives: bool = False) -> Auth:
    """Merges the spec's schemes with apiProperties' connection parameters and sets."""
    if props is None or (not props.parameters and not props.parameter_sets):
        return conventional(schemes, alternatives=alternatives)
    bound: list[AuthScheme] = []
    for scheme in schemes:
        found = _bind(scheme, props.parameters)
        if found is not None:
            bound.append(found)
        elif not props.parameter_sets:
            # The spec declares a scheme apiProperties has no parameter for; keep it with a
            # conventionally named parameter rather than lose it.
            extra = conventional([scheme])
            bound.extend(extra.schemes)
            props.parameters.extend(p for p in extra.parameters
                                    if p.name not in {q.name for q in props.parameters})
    if not bound:
        implied = auth_from_parameters(props.parameters, "")
        if implied is not None:
            bound.append(implied)
    sets: list[ConnectionParameterSet] = []
    for pset in props.parameter_sets:
        if pset.auth is None:
            for scheme in schemes:
                found = _bind(scheme, pset.parameters)
                if found is not None:
                    pset = pset.model_copy(update={"auth": found.model_copy(
                        update={"name": pset.name})})
                    break
        sets.append(pset)
    return Auth(parameters=props.parameters, schemes=bound, sets=sets)


#: The URL schemes a connector may name, for its host and its OAuth endpoints.
WEB_SCHEMES = ("http", "https")


def unsafe_urls(connector: Connector) -> list[Finding]:
    """Errors for URLs a connector names that are not http(s) with a host.

    A consent link is opened by a user's browser and token endpoints are called by the
    gateway: a ``javascript:`` or ``data:`` authorization URL, or a ``file:`` token URL,
    is refused when the connector is imported, not when a user clicks it.
    """
    schemes = list(connector.auth)
    schemes += [s.auth for s in connector.connection_parameter_sets if s.auth is not None]
    named: list[tuple[str, str]] = [("/base_url", connector.base_url)]
    for scheme in schemes:
        if scheme.oauth is None:
            continue
        for field in ("authorization_url", "token_url", "refresh_url"):
            named.append((f"/auth/{scheme.name}/oauth/{field}", getattr(scheme.oauth, field)))
    out = []
    for where, url in named:
        if url and not _is_web_url(url):
            out.append(Finding(rule="unsafe-url", severity="error", pointer=where,
                               message=f"{url[:80]!r} is not an http or https URL with a "
                                       "host (or a relative one)"))
    return out


def _is_web_url(url: str) -> bool:
    """http(s) with a host, or relative (a policy or the connection gives the host)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if not parts.scheme:
        return not url.strip().lower().startswith(("javascript", "data", "vbscript"))
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.netloc)
