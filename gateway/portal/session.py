"""Signing in to the portal: a bearer token pasted once becomes a session cookie.

The cookie (``portway_portal``, path ``/portal``, ``HttpOnly``, ``SameSite=Strict``,
``Secure`` over https) holds the token's SHA-256 and a CSRF token, signed with a key
derived from the master keyring and stamped with the time; it expires after
``portal.session_seconds``. The token itself is never stored, and each request looks the
principal up by the hash, so a revoked token or a changed role takes effect at once.

Every form carries the session's CSRF token; a post without it, with another one, or
from another origin (``Origin`` or ``Sec-Fetch-Site``) is refused with ``CsrfRefused``::

    PortwayError
    └── Forbidden (403)
        └── CsrfRefused      a form post without its CSRF token or from another origin
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from gateway.api.auth import services_of
from gateway.errors import Forbidden, PortwayError
from gateway.portal.rendering import error_of, redirect, render
from gateway.security.access import require_role
from gateway.security.tokens import token_hash
from gateway.services import Services
from gateway.store.principals import Principal

COOKIE = "portway_portal"
COOKIE_PATH = "/portal"
CSRF_FIELD = "csrf"
#: Where ``checked_form`` keeps the request's form for the rest of the handler.
FORM_KEY = "portway.portal.form"


class CsrfRefused(Forbidden):
    """A form was posted without the session's CSRF token, or from another origin."""

    code = "CsrfRefused"


@dataclass
class Session:
    """The portal session of one request."""

    csrf: str
    digest: str = ""
    principal: Principal | None = None
    #: The cookie must be (re)written on the response.
    changed: bool = False

    @property
    def signed_in(self) -> bool:
        return self.principal is not None

    def may(self, needed: str, scope: str = "*") -> bool:
        """Whether the principal holds ``needed`` or more on ``scope`` (what to offer)."""
        if self.principal is None:
            return False
        try:
            require_role(self.principal, needed, scope)
        except Forbidden:
            return False
        return True

    def renew(self, digest: str = "", principal: Principal | None = None) -> None:
        """Start over: a new CSRF token, and the given principal (or none)."""
        self.csrf, self.digest, self.principal = secrets.token_urlsafe(24), digest, principal
        self.changed = True


def _serializer(services: Services) -> URLSafeTimedSerializer:
    keyring = services.vault.keyring
    key = hmac.new(keyring.key(keyring.active), b"portway portal session",
                   hashlib.sha256).digest()
    return URLSafeTimedSerializer(key, salt="portal-session")


async def load_session(request: Request) -> Session:
    """The request's session; a fresh anonymous one when the cookie is missing, forged
    or expired, or names a token that is no longer valid."""
    cached = request.scope.get("portway.portal.session")
    if isinstance(cached, Session):
        return cached
    services = services_of(request)
    session = Session(csrf=secrets.token_urlsafe(24), changed=True)
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            data: Any = _serializer(services).loads(
                raw, max_age=int(services.settings.portal.session_seconds))
        except BadSignature:
            data = None
        if isinstance(data, dict) and isinstance(data.get("c"), str):
            session = Session(csrf=data["c"])
            digest = data.get("t")
            if isinstance(digest, str) and digest:
                principal = await services.db.run(services.principals.by_token_hash, digest)
                if principal is None:
                    session = Session(csrf=secrets.token_urlsafe(24), changed=True)
                else:
                    session.digest, session.principal = digest, principal
                    request.scope.setdefault("state", {})["principal"] = principal.name
    request.scope["portway.portal.session"] = session
    return session


def write_cookie(request: Request, response: Response, session: Session) -> Response:
    if not session.changed:
        return response
    services = services_of(request)
    value = _serializer(services).dumps({"c": session.csrf, "t": session.digest})
    response.set_cookie(COOKIE, value, max_age=int(services.settings.portal.session_seconds),
                        path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


def _check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin is not None and origin != own:
        raise CsrfRefused(f"a form from {origin[:100]!r} may not post to the portal",
                          details=[{"check": "origin"}])
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise CsrfRefused("a form from another site may not post to the portal",
                          details=[{"check": "sec-fetch-site"}])


async def checked_form(request: Request, session: Session, **limits: int) -> FormData:
    """The posted form, once its origin and CSRF token are checked."""
    _check_origin(request)
    form = await request.form(**limits)
    # ``page`` closes it (and its spooled files) once the handler is done.
    request.scope[FORM_KEY] = form
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, session.csrf):
        raise CsrfRefused("the form's CSRF token is missing or stale; reload the page and "
                          "send it again", details=[{"check": "csrf"}])
    return form


Handler = Callable[[Request, Session], Awaitable[Response]]


def page(handler: Handler, *, signed_in: bool = True) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a portal handler: load the session (sending anonymous visitors to sign in),
    turn errors into the error page, and write the cookie."""

    async def endpoint(request: Request) -> Response:
        session = await load_session(request)
        if signed_in and not session.signed_in:
            if request.method != "GET":
                response = error_of(request, CsrfRefused(
                    "sign in first", details=[{"check": "session"}]), _context(session))
            else:
                response = redirect("/portal/sign-in?next=" + quote(request.url.path))
        else:
            try:
                response = await handler(request, session)
            except PortwayError as exc:
                response = error_of(request, exc, _context(session))
            finally:
                form = request.scope.pop(FORM_KEY, None)
                if isinstance(form, FormData):
                    await form.close()
        return write_cookie(request, response, session)

    return endpoint


def _context(session: Session) -> dict[str, Any]:
    return {"session": session}


def safe_next(value: object) -> str:
    """Where to go after signing in: a portal path only, never another site."""
    if isinstance(value, str) and value.startswith("/portal/") and "//" not in value \
            and "\\" not in value:
        return value
    return "/portal/"


async def sign_in_page(request: Request, session: Session) -> Response:
    if session.signed_in:
        return redirect(safe_next(request.query_params.get("next")))
    return render(request, "sign_in.html", {"session": session,
                                            "next": safe_next(request.query_params.get("next"))})


async def sign_in(request: Request, session: Session) -> Response:
    form = await checked_form(request, session, max_files=0, max_fields=5)
    token = str(form.get("token", "")).strip()
    services = services_of(request)
    principal = await services.db.run(services.principals.authenticate, token) if token else None
    if principal is None:
        return render(request, "sign_in.html", {
            "session": session, "next": safe_next(form.get("next")),
            "problem": "That token is not valid."}, status=401)
    # A new session (and CSRF token) on every sign-in: nothing from before carries over.
    session.renew(token_hash(token), principal)
    await services.db.run(lambda: services.audit.record(
        actor=principal.name, action="portal.sign-in", resource="portal", outcome="ok",
        details={}, request_id=str(request.scope.get("state", {}).get("request_id", ""))))
    return redirect(safe_next(form.get("next")))


async def sign_out(request: Request, session: Session) -> Response:
    await checked_form(request, session, max_files=0, max_fields=2)
    session.renew()
    return redirect("/portal/sign-in")
