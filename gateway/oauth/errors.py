"""The OAuth branch of Portway's error tree.

::

    PortwayError
    └── OAuthError (400)                    an OAuth step cannot go on
        ├── ConsentNotPossible (400)        the connection has no authorization-code flow
        ├── InvalidState (400)              the callback's state is unknown, used or expired,
        │                                   or the principal who asked lost the right to
        ├── ConnectionUnauthenticated (409) the connection holds no usable grant: re-consent
        └── TokenEndpointError (502, retryable)  the token endpoint failed or is unreachable

Messages never carry a token, a code, a verifier or a client secret.
"""

from __future__ import annotations

from gateway.errors import PortwayError


class OAuthError(PortwayError):
    """An OAuth step cannot go on."""

    code = "OAuthError"
    status_code = 400


class ConsentNotPossible(OAuthError):
    """The connection's connector declares no OAuth authorization-code flow."""

    code = "ConsentNotPossible"


class InvalidState(OAuthError):
    """The callback's ``state`` is unknown, already used, expired, or no longer allowed."""

    code = "InvalidOAuthState"


class ConnectionUnauthenticated(OAuthError):
    """The connection has no usable grant (never consented, or the grant was refused).

    Calls through it fail fast with this error instead of retrying: only a new consent
    (``POST /v1/connections/{name}/consent``) can mend it.
    """

    code = "ConnectionUnauthenticated"
    status_code = 409
    retryable = False


class TokenEndpointError(OAuthError):
    """The authorization server's token endpoint failed or could not be reached."""

    code = "TokenEndpointError"
    status_code = 502
    retryable = True
