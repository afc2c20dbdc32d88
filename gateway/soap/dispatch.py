"""Which SOAP operation a raw envelope sent to a connection's root is for.

SOAP clients are pointed at one endpoint address and say which operation they mean in
the request itself, not in the URL: the ``SOAPAction`` header (SOAP 1.1), the ``action``
parameter of ``Content-Type: application/soap+xml`` (SOAP 1.2), or, when neither names
one, the first child element of the envelope's Body. ``/apim/{connector}/{connection}``
is such an address; this module picks the operation from those three, in that order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lxml import etree

from gateway.errors import BadRequest, NotFound
from gateway.soap.messages import SOAP11_ENV, SOAP12_ENV, parse_xml
from importers import Connector, Operation

_ENVELOPES = (SOAP11_ENV, SOAP12_ENV)


def requested_action(headers: Mapping[str, str]) -> str:
    """The action a caller's headers name ("" when none): SOAPAction, else the 1.2 one.

    Args:
        headers: The caller's headers, names lower-cased.
    """
    action = _unquote(headers.get("soapaction", ""))
    if action:
        return action
    for part in headers.get("content-type", "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "action":
            return _unquote(value)
    return ""


def body_element(envelope: bytes) -> etree.QName | None:
    """The qualified name of the first element inside the envelope's Body, if any.

    Raises:
        BadRequest: The envelope is not well-formed XML, has a DOCTYPE, or is not a SOAP
            envelope.
    """
    root = parse_xml(envelope, "the request body", BadRequest)
    name = etree.QName(root)
    if name.localname != "Envelope" or name.namespace not in _ENVELOPES:
        raise BadRequest("the request body is not a SOAP envelope")
    body = root.find(f"{{{name.namespace}}}Body")
    if body is None:
        return None
    for child in body:
        if isinstance(child.tag, str):  # skip comments and processing instructions
            return etree.QName(child)
    return None


def find_operation(connector: Connector, action: str,
                   element: etree.QName | None) -> Operation:
    """The operation of ``connector`` that ``action`` (or else ``element``) names.

    A non-empty action must match an operation's declared action exactly; when several
    operations share it, the Body's element decides between them. Without an action the
    element's local name is matched against the WSDL operation's name.

    Raises:
        NotFound: No operation (or more than one) fits; the details list the operations.
    """
    soap_operations = [op for op in connector.operations if op.soap is not None]
    candidates: Sequence[Operation] = soap_operations
    if action:
        candidates = [op for op in soap_operations if op.soap and op.soap.action == action]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise _unknown(connector, f"no operation with the SOAP action {action!r}")
    if element is not None:
        local = element.localname
        named = [op for op in candidates if op.soap and op.soap.operation == local]
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise _unknown(connector, f"several operations that take the element {local!r}; "
                                      "send a SOAPAction to choose one")
        raise _unknown(connector, f"no operation that takes the element {element.text!r}")
    raise _unknown(connector, "the request names no SOAP action and its Body is empty")


def _unknown(connector: Connector, why: str) -> NotFound:
    names = [op.operation_id for op in connector.operations]
    return NotFound(f"connector {connector.id!r} has {why}",
                    details=[{"operations": names[:200]}])


def _unquote(value: str) -> str:
    return value.strip().strip('"').strip()
