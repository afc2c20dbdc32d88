"""OAuth 2.0 for connections: consent (authorization code with PKCE), the callback,
client credentials, the gateway identity, and token refresh one at a time.

The public face: ``start_consent``, ``finish_consent``, ``token_keeper`` (fresh access
tokens for calls), ``auth_mode`` and the errors.
"""

from gateway.oauth.consent import ConsentLink, finish_consent, start_consent
from gateway.oauth.errors import (
    ConnectionUnauthenticated,
    ConsentNotPossible,
    InvalidState,
    OAuthError,
    TokenEndpointError,
)
from gateway.oauth.plan import AUTH_TYPES, OAUTH_MODES, TOKENS_SECRET, auth_mode
from gateway.oauth.refresh import TokenKeeper, consent_reason, token_keeper

__all__ = [
    "AUTH_TYPES",
    "OAUTH_MODES",
    "TOKENS_SECRET",
    "ConnectionUnauthenticated",
    "ConsentLink",
    "ConsentNotPossible",
    "InvalidState",
    "OAuthError",
    "TokenEndpointError",
    "TokenKeeper",
    "auth_mode",
    "consent_reason",
    "finish_consent",
    "start_consent",
    "token_keeper",
]
