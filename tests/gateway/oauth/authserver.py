"""A real OAuth 2.0 authorization server for the tests, built on authlib's server grants.

It serves, as an ASGI app on loopback:

- ``GET /authorize`` — the authorization code grant with PKCE required (S256); the test
  user approves automatically unless ``deny_next`` is set.
- ``POST /token`` — authorization_code, refresh_token and client_credentials grants;
  tokens expire after ``expires_in`` seconds; a refresh can be slowed (``refresh_delay``)
  and answers without a new refresh token unless ``rotate_refresh_tokens`` is set.
- ``POST /revoke`` — RFC 7009 revocation; a revoked refresh token then gets
  ``invalid_grant``.
- ``ANY /api/...`` — a protected resource that accepts only live access tokens and counts
  every request it sees.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    AuthorizationServer,
    ClientMixin,
    OAuth2Request,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

USER = "alice"


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    grant_types: tuple[str, ...] = ("authorization_code", "refresh_token",
                                    "client_credentials")
    scope: str = "read write"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        if not scope:
            return self.scope
        allowed = set(self.scope.split())
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass
class AuthCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: str
    code_challenge: str | None
    code_challenge_method: str | None
    created: float = field(default_factory=time.time)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_auth_time(self) -> int:
        return int(self.created)

    def get_nonce(self) -> None:
        return None


@dataclass
class Token(TokenMixin):
    access_token: str
    refresh_token: str | None
    client_id: str
    scope: str
    user: str | None
    expires_in: int
    issued_at: float = field(default_factory=time.time)
    revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() >= self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> str | None:
        return self.user

    def get_client(self) -> Any:
        return None


class TestAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    __test__ = False

    def __init__(self) -> None:
        super().__init__(scopes_supported=["read", "write"])
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, AuthCode] = {}
        self.tokens: list[Token] = []
        self.lock = threading.Lock()
        self.grants_seen: Counter[str] = Counter()
        self.resource_requests: list[dict[str, str]] = []
        self.expires_in = 3600
        self.refresh_delay = 0.0
        self.rotate_refresh_tokens = False
        self.deny_next = False
        self.register_token_generator("default", BearerTokenGenerator(
            access_token_generator=lambda **_: "at-" + secrets.token_urlsafe(24),
            refresh_token_generator=lambda **_: "rt-" + secrets.token_urlsafe(24),
            expires_generator=lambda client, grant_type: self.expires_in,
        ))
        self.register_grant(_CodeGrant, [CodeChallenge(required=True)])
        self.register_grant(_RefreshGrant)
        self.register_grant(_ClientCredentialsGrant)
        self.register_endpoint(_Revocation)

    # --- what authlib asks of a server -------------------------------------------------

    def query_client(self, client_id: str) -> Client | None:
        return self.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        with self.lock:
            self.tokens.append(Token(
                access_token=token["access_token"], refresh_token=token.get("refresh_token"),
                client_id=request.client.client_id, scope=token.get("scope", ""),
                user=request.user, expires_in=int(token["expires_in"])))

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        method, url, headers, values = request
        return _Request(method, url, headers, values)

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        headers = dict(headers or [])
        if status in (301, 302, 303) and "Location" in headers:
            return RedirectResponse(headers["Location"], status_code=status)
        return JSONResponse(body, status_code=status, headers={
            k: v for k, v in headers.items() if k.lower() != "content-type"})

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    # --- helpers for tests -------------------------------------------------------------

    def add_client(self, client_id: str, client_secret: str, redirect_uri: str) -> Client:
        client = Client(client_id, client_secret, [redirect_uri])
        self.clients[client_id] = client
        return client

    def find_token(self, access_token: str) -> Token | None:
        with self.lock:
            return next((t for t in self.tokens if t.access_token == access_token), None)

    def find_refresh(self, refresh_token: str) -> Token | None:
        with self.lock:
            return next((t for t in self.tokens if t.refresh_token == refresh_token), None)

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            for token in self.tokens:
                token.revoked = True

    def expire_access_tokens(self) -> None:
        with self.lock:
            for token in self.tokens:
                token.issued_at -= token.expires_in + 1

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/authorize", self._authorize, methods=["GET"]),
            Route("/token", self._token, methods=["POST"]),
            Route("/revoke", self._revoke, methods=["POST"]),
            Route("/api/{path:path}", self._resource,
                  methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            Route("/", lambda request: JSONResponse({"ok": True}), methods=["GET"]),
        ])

    # --- the endpoints -----------------------------------------------------------------

    async def _authorize(self, request: Request) -> Response:
        raw = ("GET", str(request.url), request.headers, dict(request.query_params))
        oauth_request = self.create_oauth2_request(raw)
        try:
            grant = self.get_consent_grant(oauth_request, end_user=USER)
        except Exception as exc:  # an OAuth2Error: answer it as the spec says
            return JSONResponse({"error": getattr(exc, "error", "invalid_request")},
                                status_code=400)
        user = None if self.deny_next else USER
        self.deny_next = False
        response: Response = self.create_authorization_response(
            oauth_request, grant_user=user, grant=grant)
        return response

    async def _form(self, request: Request, method: str = "POST") -> tuple[Any, ...]:
        form = await request.form()
        values = {k: str(v) for k, v in form.items()}
        return (method, str(request.url), request.headers, values)

    async def _token(self, request: Request) -> Response:
        raw = await self._form(request)
        grant_type = raw[3].get("grant_type", "")
        with self.lock:
            self.grants_seen[grant_type] += 1
        if grant_type == "refresh_token" and self.refresh_delay:
            await run_in_threadpool(time.sleep, self.refresh_delay)
        response: Response = await run_in_threadpool(self.create_token_response, raw)
        return response

    async def _revoke(self, request: Request) -> Response:
        raw = await self._form(request)
        response: Response = await run_in_threadpool(
            self.create_endpoint_response, "revocation", raw)
        return response

    async def _resource(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        with self.lock:
            self.resource_requests.append({"path": request.url.path, "authorization": header,
                                           "query": request.url.query})
        token = self.find_token(header.removeprefix("Bearer ").strip())
        if token is None or token.is_expired() or token.is_revoked():
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse({"user": token.user, "client": token.client_id,
                             "scope": token.scope, "path": request.path_params["path"]})


class _Request(OAuth2Request):  # type: ignore[misc]
    """An OAuth2Request over already-parsed values (query for GET, form for POST)."""

    def __init__(self, method: str, uri: str, headers: Any,
                 values: dict[str, str]) -> None:
        super().__init__(method, uri, headers=headers)
        self._values = values
        self.payload = BasicOAuth2Payload(values)

    @property
    def args(self) -> dict[str, str]:
        return self._values if self.method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return self._values if self.method != "GET" else {}


class _CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        self.server.codes[code] = AuthCode(
            code=code, client_id=request.client.client_id,
            redirect_uri=data.get("redirect_uri", ""), scope=data.get("scope", ""),
            user=request.user, code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"))

    def query_authorization_code(self, code: str, client: Client) -> AuthCode | None:
        found = self.server.codes.get(code)
        if found is not None and found.client_id == client.client_id:
            return found
        return None

    def delete_authorization_code(self, authorization_code: AuthCode) -> None:
        self.server.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: AuthCode) -> str:
        return authorization_code.user


class _RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    @property
    def INCLUDE_NEW_REFRESH_TOKEN(self) -> bool:
        return bool(self.server.rotate_refresh_tokens)

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        token = self.server.find_refresh(refresh_token)
        if token is None or token.is_revoked():
            return None
        return token

    def authenticate_user(self, refresh_token: Token) -> str | None:
        return refresh_token.user

    def revoke_old_credential(self, refresh_token: Token) -> None:
        # Without rotation the refresh token stays valid; with it, the old one dies.
        if self.server.rotate_refresh_tokens:
            refresh_token.revoked = True


class _ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class _Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        server = self.server
        return server.find_refresh(token_string) or server.find_token(token_string)

    def revoke_token(self, token: Token, request: OAuth2Request) -> None:
        token.revoked = True
