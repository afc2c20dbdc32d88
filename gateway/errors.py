"""The gateway's branches of Portway's one error tree.

The root, ``PortwayError``, lives in ``importers.errors`` because ``importers`` depends on
nothing else of ours. The whole tree, with the HTTP status each maps to (the mapping is
``status_code`` on each class and is applied in one place, ``gateway.api.errors``)::

    PortwayError (500)                         code, message, details, retryable
    ├── SpecError (422)                        importers: a document is not a connector
    │   ├── SpecSyntaxError                    not JSON/YAML/XML; line and column
    │   ├── SpecTooLargeError (413)
    │   ├── UnsupportedSpecError
    │   └── UnsafeSpecError                    DTD, entity, forbidden fetch
    ├── ConfigError (500)                      settings file or environment is wrong
    ├── StoreError (503, retryable)            the database cannot be reached
    ├── BadRequest (400)                       the request itself is malformed
    │   └── ValidationFailed (400)             a value breaks a schema; JSON pointers
    ├── Unauthenticated (401)                  no or unknown bearer token
    ├── Forbidden (403)                        the caller may not do this; says which check
    ├── NotFound (404)
    ├── MethodNotAllowed (405)
    ├── Conflict (409)
    ├── PayloadTooLarge (413)
    ├── Throttled (429, retryable)             carries retry_after seconds
    ├── EgressDenied (403)                     an outbound URL is not allowed by policy
    └── UpstreamError (502, retryable)         the upstream failed; retryable only
        │                                      before anything was sent (its phase)
        ├── UpstreamUnreachable (502)
        └── UpstreamTimeout (504)

Other areas add their own subclasses beside their code (``gateway.expressions``,
``importers.wsdl``, ``gateway.soap``…) and draw them in their module docstrings.
"""

from __future__ import annotations

from typing import Any

from importers.errors import (
    PortwayError,
    SpecError,
    SpecSyntaxError,
    SpecTooLargeError,
    UnsafeSpecError,
    UnsupportedSpecError,
)

__all__ = [
    "BadRequest",
    "ConfigError",
    "Conflict",
    "EgressDenied",
    "Forbidden",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "PortwayError",
    "SpecError",
    "SpecSyntaxError",
    "SpecTooLargeError",
    "StoreError",
    "Throttled",
    "Unauthenticated",
    "UnsafeSpecError",
    "UnsupportedSpecError",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnreachable",
    "ValidationFailed",
]


class ConfigError(PortwayError):
    """The settings file or the environment is wrong; says which key."""

    code = "ConfigError"


class StoreError(PortwayError):
    """The database cannot be reached or refused a statement."""

    code = "StoreUnavailable"
    status_code = 503
    retryable = True


class BadRequest(PortwayError):
    """The request is malformed."""

    code = "BadRequest"
    status_code = 400


class ValidationFailed(BadRequest):
    """A value does not satisfy its schema; details carry JSON pointers."""

    code = "ValidationFailed"


class Unauthenticated(PortwayError):
    """No bearer token, or one Portway does not know."""

    code = "Unauthenticated"
    status_code = 401


class Forbidden(PortwayError):
    """The caller is known but may not do this; the message says which check failed."""

    code = "Forbidden"
    status_code = 403
    #: Set once the denial is in the audit log, so the error handler does not log it twice.
    audited = False
    #: How the error handler names the denied action in the audit log ("connection.read");
    #: empty: the request's method and path.
    audit_action = ""
    audit_resource = ""


class NotFound(PortwayError):
    code = "NotFound"
    status_code = 404


class MethodNotAllowed(PortwayError):
    code = "MethodNotAllowed"
    status_code = 405


class Conflict(PortwayError):
    code = "Conflict"
    status_code = 409


class PayloadTooLarge(PortwayError):
    code = "PayloadTooLarge"
    status_code = 413


class Throttled(PortwayError):
    """Too many calls; ``retry_after`` says when to come back (seconds)."""

    code = "Throttled"
    status_code = 429
    retryable = True

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class EgressDenied(PortwayError):
    """An outbound URL is not allowed by the egress policy."""

    code = "EgressDenied"
    status_code = 403


#: Phases (``details[i]["phase"]``) of an upstream failure before anything was sent.
UNSENT_PHASES = frozenset({"resolve", "pool", "connect"})


class UpstreamError(PortwayError):
    """The upstream service failed to answer properly.

    ``retryable`` is what the retrier reads. When the error's details name the phase it
    happened in, that decides it: before anything was sent (``resolve``, ``pool``: no
    connection came free, ``connect``) the
    same call may be tried again; after (``tls``, ``response``, ``exchange``, ``total``)
    the upstream may have acted on it, so it is not retried blindly. Without a phase the
    class says.
    """

    code = "UpstreamError"
    status_code = 502
    retryable = True

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None,
                 code: str | None = None, retryable: bool | None = None) -> None:
        phases = {d.get("phase") for d in details or [] if isinstance(d, dict)} - {None}
        if retryable is None and phases:
            retryable = bool(phases & UNSENT_PHASES)
        super().__init__(message, details=details, code=code, retryable=retryable)


class UpstreamUnreachable(UpstreamError):
    code = "UpstreamUnreachable"


class UpstreamTimeout(UpstreamError):
    """Without a phase: the upstream stopped sending mid-answer (not retryable)."""

    code = "UpstreamTimeout"
    status_code = 504
    retryable = False
