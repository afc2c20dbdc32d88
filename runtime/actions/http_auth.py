"""The ``authentication`` of an ``Http`` action: the Authorization header it adds.

Kinds: ``None``; ``Basic`` (``username``, ``password``); ``Raw`` (``value`` is the whole
header value); ``ActiveDirectoryOAuth`` with a client secret (a client-credentials token
from ``authority`` — Microsoft's by default — for ``tenant`` and ``audience``, fetched
through the egress guard and kept until shortly before it expires). ``ClientCertificate``,
``ActiveDirectoryOAuth`` with a certificate and ``ManagedServiceIdentity`` need what only
Azure's host holds (a certificate store, a managed identity): the action fails with
``AuthenticationNotSupported`` and says so, before any byte is sent.

The run record shows the authentication with its secrets replaced by ``*sanitized*``,
as Logic Apps shows it.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

from gateway import PortwayError, Services, send_http

SANITIZED = "*sanitized*"
_SECRET_KEYS = {"password", "secret", "value", "pfx", "parameter"}
_DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
_TOKENS: dict[tuple[str, str, str, str], tuple[str, float]] = {}


class AuthenticationError(ValueError):
    """The authentication cannot be applied; ``code`` is the action's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def sanitized(authentication: Any) -> Any:
    """The authentication as the run record shows it."""
    if not isinstance(authentication, Mapping):
        return authentication
    return {key: SANITIZED if key.lower() in _SECRET_KEYS and value else value
            for key, value in authentication.items()}


def _text(authentication: Mapping[str, Any], key: str) -> str:
    value = authentication.get(key)
    if not isinstance(value, str) or not value:
        kind = authentication.get("type")
        raise AuthenticationError("InvalidAuthentication",
                                  f"The '{kind}' authentication needs a '{key}' string.")
    return value


async def authorization(services: Services, authentication: Any) -> str | None:
    """The Authorization header value for ``authentication``, or None.

    Raises:
        AuthenticationError: It cannot be applied.
    """
    if authentication is None:
        return None
    if not isinstance(authentication, Mapping):
        raise AuthenticationError("InvalidAuthentication",
                                  "The 'authentication' of an HTTP action must be an object.")
    kind = str(authentication.get("type", "")).lower()
    if kind in ("", "none"):
        return None
    if kind == "basic":
        pair = f"{_text(authentication, 'username')}:{_text(authentication, 'password')}"
        return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    if kind == "raw":
        return _text(authentication, "value")
    if kind == "activedirectoryoauth":
        if authentication.get("pfx"):
            raise _unsupported("ActiveDirectoryOAuth with a client certificate")
        return "Bearer " + await _client_credentials(services, authentication)
    if kind == "clientcertificate":
        raise _unsupported("ClientCertificate")
    if kind == "managedserviceidentity":
        raise _unsupported("ManagedServiceIdentity")
    raise AuthenticationError("InvalidAuthentication",
                              f"The authentication type '{authentication.get('type')}' is not "
                              "one of None, Basic, Raw, ActiveDirectoryOAuth, "
                              "ClientCertificate, ManagedServiceIdentity.")


def _unsupported(kind: str) -> AuthenticationError:
    return AuthenticationError(
        "AuthenticationNotSupported",
        f"The '{kind}' authentication needs a credential only Azure's own host holds; "
        "Portway cannot send it. Use Basic, Raw or ActiveDirectoryOAuth with a client "
        "secret, or call the API through a Portway connection (ApiConnection).")


async def _client_credentials(services: Services, authentication: Mapping[str, Any]) -> str:
    authority = str(authentication.get("authority") or _DEFAULT_AUTHORITY).rstrip("/")
    tenant = _text(authentication, "tenant")
    client_id = _text(authentication, "clientId")
    audience = _text(authentication, "audience")
    secret = _text(authentication, "secret")
    key = (authority, tenant, client_id, audience)
    cached = _TOKENS.get(key)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                   "client_secret": secret, "resource": audience})
    url = f"{authority}/{urllib.parse.quote(tenant, safe='')}/oauth2/token"
    try:
        answer = await send_http(services, "POST", url, body=form.encode("ascii"), headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    except PortwayError as exc:
        raise AuthenticationError("Unauthorized",
                                  f"The token endpoint of '{authority}' failed: "
                                  f"{exc.message}") from None
    try:
        token = json.loads(answer.body) if answer.status == 200 else {}
    except ValueError:
        token = {}
    access = token.get("access_token") if isinstance(token, dict) else None
    if not isinstance(access, str):
        raise AuthenticationError("Unauthorized",
                                  f"The token endpoint of '{authority}' answered "
                                  f"{answer.status} without an access token.")
    try:
        lifetime = float(token.get("expires_in", 300))
    except (TypeError, ValueError):
        lifetime = 300.0
    _TOKENS[key] = (access, time.monotonic() + max(0.0, lifetime - 60))
    return access
