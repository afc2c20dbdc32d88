"""Where a built-in connector's own network connections go: through the gateway's egress
guard, like every outbound URL of Portway.

A provider that opens a socket (SMTP, FTP, SFTP, a database server) first asks
``vet_server(host, port, protocol)`` and connects to the address it returns. The guard is
the one of the gateway the workflow runs in: the ``ServiceProvider`` action and the
polling trigger bind it with the rest of the call (``calling.calling``) around each call
into a provider; ``guarded_by`` binds another one. Called outside
them (a provider's own test, a script), the strictest guard applies: no loopback, private
or link-local address.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import replace

from gateway import EgressGuard, VettedTarget
from runtime.builtins.calling import bound, current_call


def guarded_by(guard: EgressGuard) -> AbstractContextManager[None]:
    """Vet the servers providers reach in this block with ``guard``."""
    return bound(replace(current_call(), egress=guard))


async def vet_server(host: str, port: int, protocol: str) -> VettedTarget:
    """The vetted address of a provider's server.

    Raises:
        gateway.EgressDenied: The host is malformed or not allowed.
        gateway.UpstreamUnreachable: It does not resolve.
    """
    return await current_call().egress.acheck_host(host, port, protocol)
