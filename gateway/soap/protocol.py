"""The SOAP handler behind the proxy's protocol seam (``gateway.proxy.protocols``).

The pipeline runs access, throttling and request policies, then hands a SOAP
connector's call here. Two modes share one connection:

* **SOAP-to-REST**: a call by operation id, or an ``/apim`` call with a JSON body: the
  JSON is turned into an envelope, sent, and the answer comes back as JSON;
* **pass-through**: an ``/apim`` call whose body is XML (``text/xml``,
  ``application/soap+xml``): the caller's envelope goes out unchanged, credentials added,
  and the service's answer comes back as it is. Sent to the connection's root
  (``/apim/{connector}/{connection}``), as SOAP clients do, the envelope is routed by its
  action (``route_root``, ``gateway.soap.dispatch``).

Credentials are the SOAP handler's own (``SoapCredentials``): the REST credentials step
does not know WS-Security or client certificates, so what it put on the headers is
replaced here.
"""

from __future__ import annotations

import json
from typing import Any

from gateway import boundedjson
from gateway.errors import BadRequest
from gateway.proxy.call import Call
from gateway.proxy.protocols import Transport
from gateway.proxy.steps import read_body
from gateway.proxy.steps import route as route_by_path
from gateway.proxy.upstream import UpstreamResponse
from gateway.services import Services
from gateway.soap.auth import ClientCertificate, SoapCredentials
from gateway.soap.clients import ClientCache
from gateway.soap.dispatch import body_element, find_operation, requested_action
from gateway.soap.handler import SoapHandler
from gateway.soap.sender import HttpReply, TlsProfiles

#: Headers the REST credentials step may have set; SOAP puts its own.
_CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key"})
#: Caller headers that describe the caller's own request, not the SOAP one.
_REQUEST_HEADERS = frozenset({"content-type", "content-length", "accept", "soapaction",
                              "accept-encoding", "host"})
_XML_TYPES = ("text/xml", "application/soap+xml", "application/xml")


class SoapProtocolHandler:
    """``ProtocolHandler`` for connectors whose protocol is ``"soap"``."""

    def __init__(self, services: Services) -> None:
        self._max_response = services.settings.egress.max_response_bytes
        self._max_request = services.settings.limits.max_request_bytes
        # A client certificate is a TLS profile on the same transport as every call.
        self._profiles = TlsProfiles()
        self.clients = ClientCache()

    async def route_root(self, call: Call) -> None:
        """Find the operation a raw envelope sent to the connection's root is for.

        The action comes from ``SOAPAction`` (1.1), the ``action`` of the 1.2 content
        type, or else the Body's first element; anything but a POSTed envelope is routed
        by path as usual (and gets its 404 or 405).
        """
        assert call.resolved is not None
        if call.method != "POST" or _content_type(call) not in _XML_TYPES:
            route_by_path(call)
            return
        # The envelope is read now, so the Body can decide; it goes out as these bytes.
        call.body = await read_body(call.body, self._max_request)
        call.content_length = None
        action = requested_action(call.headers)
        element = None if action and _unique_action(call, action) else body_element(call.body)
        operation = find_operation(call.resolved.compiled.connector, action, element)
        call.operation = operation
        call.path = operation.path
        call.path_params = {}

    async def handle(self, call: Call, transport: Transport) -> UpstreamResponse:
        """Run one SOAP call in the mode its request asks for."""
        assert call.resolved is not None and call.operation is not None
        connector = call.resolved.compiled.connector
        credentials = SoapCredentials.from_connection(call.resolved.record.parameters,
                                                      call.resolved.secrets)
        sender = _PipelineSender(call, transport, self._profiles, self._max_response)
        if call.arguments is None and _content_type(call) in _XML_TYPES:
            envelope = await read_body(call.body, self._max_request)
            caller = {k: v for k, v in call.headers.items()
                      if k.lower() not in _CREDENTIAL_HEADERS}
            reply = await SoapHandler(sender, self.clients).forward(
                connector, call.operation, envelope, caller, credentials)
            headers = [(k, v) for k, v in reply.headers
                       if k.lower() in ("content-type", "content-encoding")]
            return UpstreamResponse(status=reply.status, headers=headers, content=reply.body)
        arguments = call.arguments if call.arguments is not None else await self._json(call)
        extra = {k: v for k, v in call.headers.items()
                 if k.lower() not in _CREDENTIAL_HEADERS | _REQUEST_HEADERS
                 and k.lower() != credentials.api_key_header.lower()}
        result = await SoapHandler(sender, self.clients).call(
            connector, call.operation, arguments, credentials, extra)
        return UpstreamResponse(status=200,
                                headers=[("content-type", "application/json")],
                                content=json.dumps(result).encode())

    async def _json(self, call: Call) -> dict[str, Any]:
        raw = await read_body(call.body, self._max_request)
        if not raw.strip():
            return {}
        try:
            value = await boundedjson.aloads(raw)
        except BadRequest as exc:
            raise BadRequest(f"{exc.message}; send JSON for a SOAP-to-REST call or a SOAP "
                             "envelope as text/xml to pass it through") from None
        if not isinstance(value, dict):
            raise BadRequest("the body must be a JSON object rooted at the operation's input")
        return value

    async def aclose(self) -> None:
        """Nothing to close: connections belong to the proxy's outbound client."""


def _content_type(call: Call) -> str:
    return (call.headers.get("content-type") or "").split(";")[0].strip().lower()


def _unique_action(call: Call, action: str) -> bool:
    """Whether exactly one operation declares ``action`` (then the Body is not parsed)."""
    assert call.resolved is not None
    found = [op for op in call.resolved.compiled.connector.operations
             if op.soap is not None and op.soap.action == action]
    return len(found) == 1


class _PipelineSender:
    """A ``Sender`` over the pipeline's transport (egress guard, timeouts, retries, size
    cap, error codes), with the connection's client certificate when it has one."""

    def __init__(self, call: Call, transport: Transport, profiles: TlsProfiles,
                 max_response: int) -> None:
        self._call = call
        self._transport = transport
        self._profiles = profiles
        self._max = max_response

    async def __call__(self, url: str, headers: dict[str, str], body: bytes, *,
                       method: str = "POST",
                       certificate: ClientCertificate | None = None) -> HttpReply:
        tls = self._profiles.get(certificate) if certificate is not None else None
        response = await self._transport.send(self._call, method, url, headers,
                                              body if method != "GET" else None, tls=tls)
        try:
            content = await response.read(self._max)
        finally:
            await response.aclose()
        return HttpReply(status=response.status, headers=list(response.headers), body=content)


def install(services: Services) -> SoapProtocolHandler:
    """Register the SOAP handler on the proxy's seam (``services.protocols``)."""
    handler = SoapProtocolHandler(services)
    services.protocols["soap"] = handler
    return handler
