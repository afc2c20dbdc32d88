"""A connection's OAuth tokens, sealed in the vault as one secret.

Only what calls need is kept: the access token, the refresh token, the expiry and the
scopes. A sign-in's other fields (id tokens, user names…) are never stored.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from gateway.logging import register_secret
from gateway.oauth.plan import TOKENS_SECRET
from gateway.store.connections import OWNER_KIND
from gateway.store.secrets import Vault


@dataclass(frozen=True)
class TokenSet:
    """The tokens of one grant."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False, default="")
    expires_at: float = 0.0  # 0: the server gave no expiry
    scopes: tuple[str, ...] = ()
    obtained_at: float = 0.0  # when the server issued it (0: not known, older records)

    def fresh(self, margin: float, now: float | None = None) -> bool:
        """Whether the access token will still be valid ``margin`` seconds from now.

        The margin is at most half the token's lifetime: a token that lives no longer
        than the margin would otherwise never count as fresh, and be refreshed on every
        call.
        """
        if not self.expires_at:
            return True
        if self.obtained_at and self.expires_at > self.obtained_at:
            margin = min(margin, (self.expires_at - self.obtained_at) / 2)
        return self.expires_at - margin > (time.time() if now is None else now)

    @classmethod
    def from_response(cls, token: dict[str, Any], previous: TokenSet | None = None,
                      requested_scopes: tuple[str, ...] = ()) -> TokenSet:
        """From a token endpoint's answer; a refresh that omits the refresh token keeps
        the previous one."""
        expires_at = 0.0
        now = time.time()
        if token.get("expires_at"):
            expires_at = float(token["expires_at"])
        elif token.get("expires_in"):
            expires_at = now + float(token["expires_in"])
        scope = token.get("scope")
        scopes = tuple(scope.split()) if isinstance(scope, str) and scope else (
            previous.scopes if previous else requested_scopes)
        refresh = token.get("refresh_token") or (previous.refresh_token if previous else "")
        return cls(access_token=str(token["access_token"]), refresh_token=str(refresh),
                   expires_at=expires_at, scopes=scopes, obtained_at=now)

    def dumps(self) -> str:
        return json.dumps({"access_token": self.access_token,
                           "refresh_token": self.refresh_token,
                           "expires_at": self.expires_at, "scopes": list(self.scopes),
                           "obtained_at": self.obtained_at})

    @classmethod
    def loads(cls, text: str) -> TokenSet:
        data = json.loads(text)
        return cls(access_token=data["access_token"], refresh_token=data["refresh_token"],
                   expires_at=float(data["expires_at"]), scopes=tuple(data["scopes"]),
                   obtained_at=float(data.get("obtained_at", 0.0)))


def load_tokens(vault: Vault, connection: str) -> TokenSet | None:
    """The stored tokens of a connection, or None when it has none."""
    text = vault.get(OWNER_KIND, connection, TOKENS_SECRET)
    if text is None:
        return None
    tokens = TokenSet.loads(text)
    register_secret(tokens.access_token)
    register_secret(tokens.refresh_token)
    return tokens


def save_tokens(vault: Vault, connection: str, tokens: TokenSet) -> None:
    """Seal and store the tokens of a connection (replacing older ones)."""
    register_secret(tokens.access_token)
    register_secret(tokens.refresh_token)
    with vault.db.engine.begin() as conn:
        vault.put_many(conn, OWNER_KIND, connection, {TOKENS_SECRET: tokens.dumps()})
