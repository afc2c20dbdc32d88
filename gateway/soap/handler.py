"""Calling a SOAP operation: JSON in, SOAP over HTTP, JSON out; and raw pass-through."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from gateway.errors import BadRequest
from gateway.soap.auth import SoapCredentials
from gateway.soap.clients import ClientCache
from gateway.soap.messages import build_request, parse_xml, read_reply
from gateway.soap.sender import HttpReply, Sender
from importers import Connector, Operation

#: Caller headers a pass-through call forwards; everything else is dropped.
PASS_THROUGH_HEADERS = ("content-type", "soapaction", "accept")


class SoapHandler:
    """Calls SOAP operations of connectors through one ``Sender``.

    Args:
        sender: Sends the HTTP request; the gateway's goes through the proxy's transport.
        clients: The zeep client cache (one client per connector version).
    """

    def __init__(self, sender: Sender, clients: ClientCache | None = None) -> None:
        self.sender = sender
        self.clients = clients or ClientCache()

    async def call(self, connector: Connector, operation: Operation,
                   arguments: Mapping[str, Any], credentials: SoapCredentials,
                   extra_headers: Mapping[str, str] | None = None) -> Any:
        """Call ``operation`` with a JSON object; return the answer's JSON.

        ``extra_headers`` (a connector policy's ``setheader``...) go out too, below the
        SOAP and credential headers.

        Raises:
            SoapRequestInvalid: The JSON does not fit the operation's input.
            SoapFault: The service answered with a fault.
            UpstreamError: (and subclasses) the call itself failed.
        """
        client = await self.clients.get(connector)
        outbound = build_request(client, operation, arguments, _address(connector, operation))
        body = outbound.body or b""
        if outbound.envelope is not None:
            body = _bytes(credentials.sign(outbound.envelope))
        headers = {**{k.lower(): v for k, v in (extra_headers or {}).items()},
                   **outbound.headers}
        headers.update(credentials.http_headers())
        reply = await self.sender(outbound.url, headers, body, method=outbound.method,
                                  certificate=credentials.certificate)
        return read_reply(client, operation, reply.status, reply.body)

    async def forward(self, connector: Connector, operation: Operation | None,
                      envelope: bytes, caller_headers: Mapping[str, str],
                      credentials: SoapCredentials) -> HttpReply:
        """Forward a caller's own SOAP envelope unchanged, with the credentials added.

        With WS-Security the UsernameToken header is added to the envelope; with every
        other kind the bytes are sent exactly as received. The answer comes back as is,
        faults included.
        """
        if operation is not None and operation.extensions.get("x-wsdl-http-verb"):
            raise BadRequest(f"operation {operation.operation_id!r} is bound over plain HTTP, "
                             "not SOAP: call it with JSON, there is no envelope to pass on")
        caller = {k.lower(): v for k, v in caller_headers.items()}
        headers = {k: caller[k] for k in PASS_THROUGH_HEADERS if k in caller}
        soap = operation.soap if operation is not None else None
        if "content-type" not in headers:
            headers["content-type"] = (
                f'application/soap+xml; charset=utf-8; action="{soap.action}"'
                if soap is not None and soap.soap_version == "1.2" else "text/xml; charset=utf-8")
        if "soapaction" not in headers and soap is not None and soap.soap_version == "1.1":
            headers["soapaction"] = f'"{soap.action}"'
        # The caller's envelope: a DOCTYPE, entities or non-XML are the caller's fault
        # (400), refused before anything is sent.
        root = parse_xml(envelope, "the request envelope", BadRequest)
        if credentials.kind == "wsse":
            envelope = _bytes(credentials.sign(root))
        headers.update(credentials.http_headers())
        url = _address(connector, operation)
        return await self.sender(url, headers, envelope, certificate=credentials.certificate)


def _address(connector: Connector, operation: Operation | None) -> str:
    address = (operation.soap.address if operation is not None and operation.soap else "") \
        or connector.base_url
    if not address:
        raise BadRequest(f"connector {connector.id!r} names no SOAP address for this call")
    return address


def _bytes(envelope: etree._Element) -> bytes:
    return bytes(etree.tostring(envelope, encoding="utf-8", xml_declaration=True))
