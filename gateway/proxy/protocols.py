"""The seam for connectors that do not speak plain HTTP+JSON (SOAP today).

For a connector whose ``protocol`` is not ``"rest"``, the pipeline runs every step up to
and including credentials as usual, then hands the call to the handler registered under
``services.protocols[protocol]`` instead of sending it itself. The handler
builds its own request (a SOAP envelope from ``call.arguments``...) and sends it through
the ``Transport`` it is given, which applies the egress guard, the timeouts, the retries
and the size cap like any other upstream call; it returns the answer to give the caller
(JSON for SOAP), and the response steps run on it as usual.

A handler may also route calls to the connection's root (``/apim/{connector}/{connection}``)
itself (``RootRouter``): SOAP clients name the operation in the request, not the URL.
"""

from __future__ import annotations

from typing import Protocol

from gateway.proxy.call import Body, Call
from gateway.proxy.upstream import TlsProfile, UpstreamResponse


class Transport(Protocol):
    """Sends one HTTP request for a protocol handler, under the proxy's rules
    (``tls``: a TLS profile of the call's own, such as a client certificate)."""

    async def send(self, call: Call, method: str, url: str, headers: dict[str, str],
                   body: Body, *, tls: TlsProfile | None = None) -> UpstreamResponse: ...


class ProtocolHandler(Protocol):
    """Turns a call into the connector's protocol and its answer back into HTTP+JSON."""

    async def handle(self, call: Call, transport: Transport) -> UpstreamResponse: ...


class RootRouter(Protocol):
    """A handler that finds the operation of a call to the connection's root itself."""

    async def route_root(self, call: Call) -> None:
        """Set ``call.operation`` (and ``call.path``), or raise NotFound/MethodNotAllowed."""
        ...
