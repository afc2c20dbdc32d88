"""Where a built-in connector's own network connections go: through the gateway's egress
guard, like every outbound URL of Portway.

A provider that opens a socket (SMTP, FTP, SFTP, a database server) first asks
``vet_server(host, port, protocol)`` and connects to the address it returns. The guard is
the one of the gateway the workflow runs in: the ``ServiceProvider`` action and the
polling trigger bind it (``guarded_by``) around each call into a provider. Called outside
them (a provider's own test, a script), the strictest guard applies: no loopback, private
or link-local address.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from gateway import EgressGuard, VettedTarget

_GUARD: ContextVar[EgressGuard | None] = ContextVar("portway_builtin_egress", default=None)


@contextmanager
def guarded_by(guard: EgressGuard) -> Iterator[None]:
    """Vet the servers providers reach in this block with ``guard``."""
    token = _GUARD.set(guard)
    try:
        yield
    finally:
        _GUARD.reset(token)


async def vet_server(host: str, port: int, protocol: str) -> VettedTarget:
    """The vetted address of a provider's server.

    Raises:
        gateway.EgressDenied: The host is malformed or not allowed.
        gateway.UpstreamUnreachable: It does not resolve.
    """
    guard = _GUARD.get() or EgressGuard()
    return await guard.acheck_host(host, port, protocol)
