"""Fresh access tokens for calls: refreshed before they expire, one refresh at a time.

Within a process, an asyncio lock per connection lets one call refresh while the others
wait and then read the new tokens. Across processes, a lease in the ``locks`` table does
the same: whoever holds it refreshes; the others poll the stored tokens until they are
fresh. Every holder reads the tokens again after taking the lock, so a refresh done by
someone else is never repeated.

A dead grant (``invalid_grant``) marks the connection ``Unauthenticated`` with a message
saying to consent again, is written to the audit log, and makes later calls fail fast
with ``ConnectionUnauthenticated`` instead of asking the server again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import structlog

from gateway.logging import get_logger
from gateway.oauth import client
from gateway.oauth.errors import ConnectionUnauthenticated, TokenEndpointError
from gateway.oauth.plan import OAUTH_MODES, TOKENS_SECRET, OAuthPlan, auth_mode, oauth_plan
from gateway.oauth.tokens import TokenSet, load_tokens, save_tokens
from gateway.services import Services
from gateway.store.connections import ConnectionRecord
from gateway.store.leases import Lease
from importers import Connector

log = get_logger("portway.oauth")

UNAUTHENTICATED = "Unauthenticated"
#: How long a call waits for another process's refresh before giving up (seconds).
WAIT_FOR_OTHERS = 30.0
_EXTRA_KEY = "oauth_tokens"


def consent_reason(name: str) -> str:
    return (f"connection {name!r} needs consent: POST /v1/connections/{name}/consent and "
            "open the URL it returns")


def reconsent_reason(name: str, error: str) -> str:
    return (f"the authorization server refused the grant of connection {name!r} ({error}); "
            f"consent again with POST /v1/connections/{name}/consent")


class TokenKeeper:
    """The process's view of OAuth tokens: a cache, per-connection locks, dead grants."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._cache: dict[str, TokenSet] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # Refresh tokens the server refused, by connection: calls fail fast until a new
        # consent stores other tokens.
        self._dead: dict[str, str] = {}

    def forget(self, name: str) -> None:
        self._cache.pop(name, None)
        self._dead.pop(name, None)

    async def access_token(self, record: ConnectionRecord, connector: Connector,
                           secrets: Mapping[str, str]) -> str:
        """A valid access token for a connection in an OAuth mode.

        Raises:
            ConnectionUnauthenticated: No consent yet, or the grant was refused.
            TokenEndpointError: The token endpoint failed.
        """
        name = record.name
        mode = auth_mode(connector, record.parameters, secrets.keys())
        plan = oauth_plan(connector, mode, record.parameters, secrets,
                          self.services.settings.oauth)
        margin = self.services.settings.oauth.refresh_margin_seconds
        if mode == "oauth2" and record.status == UNAUTHENTICATED:
            # Fail fast: only a new consent can mend it, asking the server again cannot.
            raise ConnectionUnauthenticated(record.status_reason or consent_reason(name))
        known = self._newest(name, secrets)
        if known is not None and known.fresh(margin) and self._alive(name, known):
            return known.access_token
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            tokens = await self._obtain(record, plan, margin)
        return tokens.access_token

    async def _obtain(self, record: ConnectionRecord, plan: OAuthPlan,
                      margin: float) -> TokenSet:
        db, vault, name = self.services.db, self.services.vault, record.name
        deadline = time.monotonic() + WAIT_FOR_OTHERS
        while True:
            stored = await db.run(load_tokens, vault, name)
            if stored is not None and stored.fresh(margin):
                return self._remember(name, stored)
            if stored is not None and not self._alive(name, stored):
                raise ConnectionUnauthenticated(reconsent_reason(name, "invalid_grant"))
            if stored is None and plan.mode == "oauth2":
                raise ConnectionUnauthenticated(consent_reason(name))
            lease = Lease(db, f"oauth-token/{name}")
            if await db.run(lease.try_acquire):
                try:
                    # Someone may have refreshed between our read and the lease.
                    stored = await db.run(load_tokens, vault, name)
                    if stored is not None and stored.fresh(margin):
                        return self._remember(name, stored)
                    fresh = await self._fetch(record, plan, stored)
                    await db.run(save_tokens, vault, name, fresh)
                    return self._remember(name, fresh)
                finally:
                    await db.run(lease.release)
            if time.monotonic() > deadline:
                raise TokenEndpointError(
                    f"another gateway process has been refreshing the token of connection "
                    f"{name!r} for over {WAIT_FOR_OTHERS:.0f}s")
            await asyncio.sleep(0.05)

    async def _fetch(self, record: ConnectionRecord, plan: OAuthPlan,
                     stored: TokenSet | None) -> TokenSet:
        services, name = self.services, record.name
        try:
            if plan.mode == "oauth2":
                assert stored is not None
                return await services.db.run(client.refresh, plan, services.egress, stored)
            return await services.db.run(client.client_credentials, plan, services.egress)
        except ConnectionUnauthenticated as exc:
            error = str(exc.details[0].get("error", "")) if exc.details else ""
            reason = reconsent_reason(name, error or "no refresh token")
            if stored is not None:
                self._dead[name] = stored.refresh_token
            await services.db.run(services.connections.set_status, name, UNAUTHENTICATED,
                                  reason)
            await self._audit_failure(name, plan.mode, error or "no-refresh-token")
            raise ConnectionUnauthenticated(reason, details=exc.details) from None
        except TokenEndpointError as exc:
            await self._audit_failure(name, plan.mode, exc.message)
            raise

    async def _audit_failure(self, name: str, mode: str, error: str) -> None:
        services = self.services
        request_id = str(structlog.contextvars.get_contextvars().get("request_id", ""))
        log.warning("token refresh failed", connection=name, mode=mode, reason=error)
        await services.db.run(lambda: services.audit.record(
            actor="gateway", action="connection.refresh", resource=f"connections/{name}",
            outcome="failed", details={"mode": mode, "reason": error},
            request_id=request_id))

    def _newest(self, name: str, secrets: Mapping[str, str]) -> TokenSet | None:
        cached = self._cache.get(name)
        sealed = secrets.get(TOKENS_SECRET)
        loaded = TokenSet.loads(sealed) if sealed else None
        if cached is None or (loaded is not None and loaded.expires_at > cached.expires_at):
            return loaded
        return cached

    def _alive(self, name: str, tokens: TokenSet) -> bool:
        dead = self._dead.get(name)
        return dead is None or tokens.refresh_token != dead

    def _remember(self, name: str, tokens: TokenSet) -> TokenSet:
        self._cache[name] = tokens
        return tokens


def token_keeper(services: Services) -> TokenKeeper:
    """The process's one ``TokenKeeper`` (kept in ``services.token_keeper``)."""
    if services.token_keeper is None:
        services.token_keeper = TokenKeeper(services)
    return services.token_keeper


def uses_oauth(connector: Connector, record: ConnectionRecord,
               secret_names: Mapping[str, str] | list[str]) -> bool:
    return auth_mode(connector, record.parameters, list(secret_names)) in OAUTH_MODES
