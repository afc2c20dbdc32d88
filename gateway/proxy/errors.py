"""The data plane's branch of Portway's error tree.

Everything the proxy raises on purpose is a ``PortwayError``; these are the proxy's own
kinds (the rest of the tree is drawn in ``gateway.errors``)::

    PortwayError
    ├── OperationUnsupported (501)            imported as uncallable (script.csx)
    ├── ValidationFailed (400)                 gateway.errors; the request breaks the operation
    ├── Throttled (429, retryable)             gateway.errors; carries retry_after
    └── UpstreamError (502, retryable)         gateway.errors
        ├── UpstreamUnreachable (502)          connect refused, reset, DNS gone
        ├── UpstreamTimeout (504)              connect, read or total time exceeded
        ├── UpstreamResponseTooLarge (502)     over egress.max_response_bytes
        ├── UpstreamResponseInvalid (502)      strict mode: the answer breaks its schema
        └── ProtocolUnavailable (502)          no handler for the connector's protocol
"""

from __future__ import annotations

from gateway.errors import PortwayError, UpstreamError


class OperationUnsupported(PortwayError):
    """The operation was imported as one Portway cannot carry out (a script implements
    it); the connector did not opt in to calling it anyway."""

    code = "OperationUnsupported"
    status_code = 501


class UpstreamResponseTooLarge(UpstreamError):
    """The upstream's answer is larger than the configured cap."""

    code = "UpstreamResponseTooLarge"
    retryable = False


class UpstreamResponseInvalid(UpstreamError):
    """The upstream's answer does not match the operation's response schema (strict mode)."""

    code = "UpstreamResponseInvalid"
    retryable = False


class ProtocolUnavailable(UpstreamError):
    """The connector speaks a protocol no handler is registered for (e.g. SOAP)."""

    code = "ProtocolUnavailable"
    retryable = False
