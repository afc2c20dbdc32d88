"""Talking to token endpoints with authlib, on the one outbound client.

authlib's protocol client builds every request (PKCE challenge, grant bodies, client
authentication) and parses every answer; the HTTP session under it is ours: each request
goes out through ``gateway.outbound`` (the egress guard, the vetted address, the pooled
client's timeouts and error codes). Foreign errors (authlib's) and the upstream errors
of the exchange are translated here, to ``TokenEndpointError``, and nowhere else.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.client import OAuth2Client

from gateway.errors import EgressDenied, UpstreamError
from gateway.oauth.errors import ConnectionUnauthenticated, OAuthError, TokenEndpointError
from gateway.oauth.plan import OAuthPlan
from gateway.oauth.tokens import TokenSet
from gateway.outbound import Answer, send_blocking
from gateway.proxy.upstream import Timeouts
from gateway.security.egress import EgressGuard

TIMEOUT = 20.0
#: The most of a token endpoint's answer that is read.
MAX_ANSWER_BYTES = 1024 * 1024
#: Token endpoint errors that mean the grant itself is dead: only a new consent helps.
DEAD_GRANT = frozenset({"invalid_grant", "unauthorized_client"})


class _GuardedSession:
    """The small part of a requests-like session that authlib's client uses."""

    def __init__(self, guard: EgressGuard) -> None:
        self._guard = guard

    def post(self, url: str, data: dict[str, str] | None = None,
             headers: dict[str, str] | None = None, auth: Any = None,
             **_: Any) -> _TokenAnswer:
        return self.request("POST", url, data=data, headers=headers, auth=auth)

    def request(self, method: str, url: str, data: dict[str, str] | None = None,
                headers: dict[str, str] | None = None, auth: Any = None,
                **_: Any) -> _TokenAnswer:
        body = urlencode(data or {})
        all_headers = dict(headers or {})
        if auth is not None:
            # authlib's ClientAuth adds client_secret_basic / _post / none.
            url, all_headers, body = auth.prepare(method, url, all_headers, body)
        answer = send_blocking(self._guard, method, url, headers=all_headers,
                               body=body.encode("utf-8"),
                               timeouts=Timeouts(min(TIMEOUT, 5.0), TIMEOUT, TIMEOUT),
                               max_bytes=MAX_ANSWER_BYTES)
        return _TokenAnswer(answer)


class _TokenAnswer:
    """The part of a requests-like response that authlib reads."""

    def __init__(self, answer: Answer) -> None:
        self.status_code = answer.status
        self.headers = dict(answer.headers)
        self.content = answer.body

    def json(self) -> Any:
        return json.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise TokenEndpointError(f"the token endpoint answered HTTP {self.status_code}")


def _client(plan: OAuthPlan, guard: EgressGuard, redirect_uri: str = "") -> OAuth2Client:
    return OAuth2Client(
        _GuardedSession(guard), client_id=plan.client_id,
        client_secret=plan.client_secret or None,
        scope=" ".join(plan.scopes) or None, redirect_uri=redirect_uri or None,
        code_challenge_method="S256",
    )


def authorization_url(plan: OAuthPlan, guard: EgressGuard, redirect_uri: str, state: str,
                      code_verifier: str) -> str:
    """The URL a user opens to consent (authorization code with a PKCE S256 challenge)."""
    if not plan.authorization_url or not plan.token_url:
        raise OAuthError("the connector's OAuth settings name no authorization or token URL")
    guard.check_browser_url(plan.authorization_url)
    url, _state = _client(plan, guard, redirect_uri).create_authorization_url(
        plan.authorization_url, state=state, code_verifier=code_verifier)
    return str(url)


def exchange_code(plan: OAuthPlan, guard: EgressGuard, redirect_uri: str, code: str,
                  code_verifier: str) -> TokenSet:
    """Trade an authorization code (and its PKCE verifier) for tokens (blocking)."""
    return _call(lambda: _client(plan, guard, redirect_uri).fetch_token(
        plan.token_url, grant_type="authorization_code", code=code,
        code_verifier=code_verifier), plan)


def refresh(plan: OAuthPlan, guard: EgressGuard, previous: TokenSet) -> TokenSet:
    """New tokens from a refresh token (blocking); the old refresh token is kept when the
    answer has none."""
    if not previous.refresh_token:
        raise ConnectionUnauthenticated(
            "the access token expired and the authorization server gave no refresh token; "
            "consent again")
    return _call(lambda: _client(plan, guard).refresh_token(
        plan.token_url, refresh_token=previous.refresh_token), plan, previous)


def client_credentials(plan: OAuthPlan, guard: EgressGuard) -> TokenSet:
    """A token for the client itself (the client credentials grant, blocking)."""
    if not plan.token_url or not plan.client_id:
        raise OAuthError("client credentials need a token URL and a client id")
    return _call(lambda: _client(plan, guard).fetch_token(
        plan.token_url, grant_type="client_credentials"), plan)


def _call(step: Any, plan: OAuthPlan, previous: TokenSet | None = None) -> TokenSet:
    try:
        token = step()
    except OAuth2Error as exc:
        error = str(getattr(exc, "error", "") or "")
        if error in DEAD_GRANT:
            raise ConnectionUnauthenticated(
                f"the authorization server refused the grant ({error}); consent again "
                "with POST /v1/connections/{name}/consent",
                details=[{"error": error}]) from None
        raise TokenEndpointError(
            f"the token endpoint answered the OAuth error {error or 'unknown'!r}",
            details=[{"error": error}], retryable=False) from None
    except (EgressDenied, TokenEndpointError):
        raise
    except UpstreamError as exc:
        raise TokenEndpointError(f"the token endpoint could not be reached: {exc.message}",
                                 details=exc.details, retryable=exc.retryable) from None
    except (ValueError, KeyError, TypeError):
        raise TokenEndpointError("the token endpoint's answer is not a token") from None
    if not isinstance(token, dict) or not token.get("access_token"):
        raise TokenEndpointError("the token endpoint's answer has no access token")
    return TokenSet.from_response(dict(token), previous, plan.scopes)
