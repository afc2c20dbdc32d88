"""Bearer-token authentication for every endpoint but the public ones."""

from __future__ import annotations

import asyncio
import time

from starlette.datastructures import State
from starlette.requests import HTTPConnection
from starlette.types import Scope

from gateway.errors import Unauthenticated
from gateway.security.tokens import token_hash
from gateway.services import Services
from gateway.store.principals import Principal

#: The scope key under which in-process callers (the portal) hand over a principal they
#: have already authenticated. Only code in this process can set a scope key: an ASGI
#: server builds the scope from the wire and never sets this one.
IN_PROCESS_PRINCIPAL = "portway.principal"


def services_of(request: HTTPConnection) -> Services:
    services: Services = request.app.state.services
    return services


async def authenticate(request: HTTPConnection) -> Principal:
    """The principal behind the request's bearer token, or ``Unauthenticated``.

    Lookups are cached briefly (``proxy.cache_seconds``) by token hash to keep the data
    plane off the database; the cache never holds a token itself. Concurrent calls with
    the same token share one lookup, so an expired entry is one database read, not one
    per call in flight. An in-process call
    (see ``gateway.portal.inprocess``) brings its principal in the scope instead of a
    token.
    """
    return await authenticate_scope(request.scope, request.headers.get("authorization", ""))


async def authenticate_scope(scope: Scope, header: str) -> Principal:
    """``authenticate`` for a request known by its ASGI scope and ``Authorization``
    header (the data plane reads its headers once, without a ``Request``)."""
    given = scope.get(IN_PROCESS_PRINCIPAL)
    if isinstance(given, Principal):
        return _remember(scope, given)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send a bearer token: Authorization: Bearer <token>")
    token = token.strip()
    services: Services = scope["app"].state.services
    cache = services.principal_cache
    now = time.monotonic()
    key = token_hash(token)
    hit = cache.get(key)
    if hit is not None and hit[0] > now:
        return _remember(scope, hit[1])
    lookups = _lookups(scope["app"].state)
    pending = lookups.get(key)
    if pending is None:
        pending = asyncio.ensure_future(_look_up(services, token, key))
        lookups[key] = pending
        pending.add_done_callback(lambda _done: lookups.pop(key, None))
    # Shielded: a caller that goes away does not cancel the lookup the others wait on.
    principal = await asyncio.shield(pending)
    if principal is None:
        raise Unauthenticated("the bearer token is not valid")
    return _remember(scope, principal)


async def _look_up(services: Services, token: str, key: str) -> Principal | None:
    """Read the token's principal and cache it before the lookup counts as done: a call
    that comes after finds the entry, never a gap between the two."""
    # Two indexed reads: on SQLite in the loop, where a hop to a worker thread would cost
    # more than the reads and stall the loop on the GIL meanwhile.
    principal = await services.db.read_quick(services.principals.authenticate, token)
    if principal is not None:
        cache = services.principal_cache
        if len(cache) > 10_000:
            cache.clear()
        cache[key] = (time.monotonic() + services.settings.proxy.cache_seconds, principal)
    return principal


def _lookups(state: State) -> dict[str, asyncio.Future[Principal | None]]:
    """The token lookups under way in this app (its event loop's), by token hash."""
    lookups: dict[str, asyncio.Future[Principal | None]] | None = getattr(
        state, "principal_lookups", None)
    if lookups is None:
        lookups = state.principal_lookups = {}
    return lookups


def _remember(scope: Scope, principal: Principal) -> Principal:
    # The error handler audits denials in the name of the authenticated caller.
    scope.setdefault("state", {})["principal"] = principal.name
    return principal


def forget_cached_principals(services: Services) -> None:
    services.principal_cache.clear()
