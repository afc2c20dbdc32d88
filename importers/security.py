"""The spec's own security schemes, as auth schemes whose parameters are not yet named.

Swagger 2.0 ``securityDefinitions`` and OpenAPI 3.x ``components.securitySchemes`` say how
the upstream authenticates; ``importers.auth`` then names the connection parameters that
hold the credentials. A scheme Portway cannot inject (``http digest``...) is a warning.
"""

from __future__ import annotations

from typing import Any, cast

from importers.common import deref_or_skip, text
from importers.model import AuthScheme, Finding, OAuthSetting
from importers.refs import Resolver, pointer
from importers.shapes import as_dict

_FLOWS = {
    "accessCode": "authorizationCode", "application": "clientCredentials",
    "implicit": "implicit", "password": "password",
}
_FLOW_ORDER = ("authorizationCode", "clientCredentials", "implicit", "password")


def swagger_schemes(doc: dict[str, Any], findings: list[Finding]) -> list[AuthScheme]:
    """The ``securityDefinitions`` as auth schemes (parameters not yet named)."""
    out: list[AuthScheme] = []
    defs = doc.get("securityDefinitions")
    if not isinstance(defs, dict):
        return out
    for name, raw in defs.items():
        where = pointer("securityDefinitions", name)
        if not isinstance(raw, dict):
            findings.append(Finding(rule="security-scheme", severity="warning", pointer=where,
                                    message=f"security scheme {name!r} is not an object;"
                                            " ignored"))
            continue
        kind = raw.get("type")
        if kind == "apiKey":
            location = raw.get("in") if raw.get("in") in ("header", "query") else "header"
            out.append(AuthScheme(name=name, kind="apiKey", location=location,
                                  key_name=str(raw.get("name", ""))))
        elif kind == "basic":
            out.append(AuthScheme(name=name, kind="basic"))
        elif kind == "oauth2":
            scopes = as_dict(raw.get("scopes"))
            flow = _FLOWS.get(str(raw.get("flow")), "authorizationCode")
            out.append(AuthScheme(name=name, kind="oauth2", oauth=OAuthSetting(
                flow=cast(Any, flow),
                authorization_url=text(raw.get("authorizationUrl")),
                token_url=text(raw.get("tokenUrl")),
                scopes=[str(s) for s in scopes],
            )))
        else:
            findings.append(Finding(
                rule="security-scheme", severity="warning", pointer=where + "/type",
                message=f"security scheme {name!r} has unsupported type {kind!r}; ignored",
            ))
    return out


def openapi_schemes(doc: dict[str, Any], resolver: Resolver, findings: list[Finding]
                     ) -> list[AuthScheme]:
    """The ``components.securitySchemes`` as auth schemes (parameters not yet named)."""
    components = as_dict(doc.get("components"))
    defs = components.get("securitySchemes")
    out: list[AuthScheme] = []
    if not isinstance(defs, dict):
        return out
    for name, raw_ref in defs.items():
        where = pointer("components", "securitySchemes", name)
        found = deref_or_skip(resolver, raw_ref, None, findings, where,
                              f"security scheme {name!r}")
        if found is None:
            continue
        raw, _ = found
        if not isinstance(raw, dict):
            continue
        kind = raw.get("type")
        scheme_name = str(raw.get("scheme", "")).lower()
        if kind == "apiKey":
            location = raw.get("in") if raw.get("in") in ("header", "query", "cookie") \
                else "header"
            out.append(AuthScheme(name=name, kind="apiKey", location=location,
                                  key_name=text(raw.get("name"))))
        elif kind == "http" and scheme_name == "basic":
            out.append(AuthScheme(name=name, kind="basic"))
        elif kind == "http" and scheme_name == "bearer":
            # A bearer token the connection holds as is: the gateway sends it like an OAuth
            # access token, without a flow to obtain it.
            out.append(AuthScheme(name=name, kind="oauth2"))
        elif kind == "oauth2":
            flows = as_dict(raw.get("flows"))
            flow = next((f for f in _FLOW_ORDER if isinstance(flows.get(f), dict)), None)
            body = flows.get(flow, {}) if flow else {}
            scopes = as_dict(body.get("scopes"))
            out.append(AuthScheme(name=name, kind="oauth2", oauth=OAuthSetting(
                flow=cast(Any, flow or "authorizationCode"),
                authorization_url=text(body.get("authorizationUrl")),
                token_url=text(body.get("tokenUrl")),
                refresh_url=text(body.get("refreshUrl")),
                scopes=[str(s) for s in scopes],
                extra={"flows": flows} if len(flows) > 1 else {},
            )))
        elif kind == "openIdConnect":
            out.append(AuthScheme(name=name, kind="oauth2", oauth=OAuthSetting(
                extra={"openIdConnectUrl": text(raw.get("openIdConnectUrl"))})))
        elif kind == "mutualTLS":
            out.append(AuthScheme(name=name, kind="clientCertificate"))
        else:
            findings.append(Finding(
                rule="security-scheme", severity="warning", pointer=where,
                message=f"security scheme {name!r} ({kind} {scheme_name}) is not supported;"
                        " ignored",
            ))
    return out
