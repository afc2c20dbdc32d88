"""SOAP messages: a JSON input into an envelope, and an answer back into JSON.

The JSON of a message is the content of its body element, exactly as the importer's
schemas describe it (``importers.wsdl.jsonschema``): one key per child element, and
``_soapheaders`` for the SOAP headers the operation declares.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from lxml import etree
from zeep import exceptions as zeep_exceptions
from zeep.wsdl.bindings.http import HttpBinding, HttpGetBinding
from zeep.wsdl.messages.multiref import process_multiref
from zeep.xsd import ComplexType, Element

from gateway.proxy.schemas import json_pointer
from gateway.soap.clients import SoapClient
from gateway.soap.errors import SoapFault, SoapHttpError, SoapRequestInvalid, SoapResponseInvalid
from gateway.soap.values import to_json, xml_to_json
from importers import Operation

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
HEADERS_KEY = "_soapheaders"


@dataclass
class Outbound:
    """One request to send: a SOAP envelope (still to be signed), or an HTTP binding's."""

    method: str
    url: str
    headers: dict[str, str]
    envelope: etree._Element | None = None
    body: bytes | None = None


def build_request(client: SoapClient, operation: Operation, arguments: Mapping[str, Any],
                  address: str) -> Outbound:
    """The request for one call: envelope and SOAPAction/Content-Type, or for a WSDL
    HTTP GET/POST binding, its URL and form.

    Raises:
        SoapRequestInvalid: ``arguments`` do not fit the operation's input.
    """
    assert operation.soap is not None
    binding, zeep_operation = client.operation(operation)
    if isinstance(binding, HttpBinding):
        return _http_request(binding, zeep_operation, operation, arguments, address)
    body = getattr(zeep_operation.input, "body", None)
    kwargs = dict(arguments)
    args: tuple[Any, ...] = ()
    if body is not None and not isinstance(body.type, ComplexType):
        name = body.attr_name or body.name
        args = (kwargs.pop(name, None),)
    try:
        envelope, headers = binding._create(
            operation.soap.operation, args, kwargs, client=client.client,
            options={"address": operation.soap.address})
    except (TypeError, ValueError, LookupError, zeep_exceptions.Error) as exc:
        raise _not_fitting(operation, exc) from None
    return Outbound("POST", address, {str(k).lower(): str(v) for k, v in headers.items()},
                    envelope=envelope)


def _http_request(binding: Any, zeep_operation: Any, operation: Operation,
                  arguments: Mapping[str, Any], address: str) -> Outbound:
    """A WSDL HTTP binding's request: parameters in the query (GET) or a form (POST)."""
    try:
        serialized = zeep_operation.input.serialize(**dict(arguments))
    except (TypeError, ValueError, LookupError, zeep_exceptions.Error) as exc:
        raise _not_fitting(operation, exc) from None
    url = address.rstrip("/") + "/" + (serialized.path or "").lstrip("/")
    content = serialized.content
    if isinstance(content, dict):
        pairs = [(k, _form_value(v)) for k, v in content.items() if v is not None]
        content = urlencode(pairs)
    if isinstance(binding, HttpGetBinding):
        if content:
            url += ("&" if "?" in url else "?") + content
        return Outbound("GET", url, {"accept": "text/xml"})
    if isinstance(serialized.content, dict):
        # zeep labels url-encoded parts text/xml; sent by POST they are a form.
        content_type = "application/x-www-form-urlencoded"
    else:
        content_type = (serialized.headers.get("Content-Type")
                        or "application/x-www-form-urlencoded")
    return Outbound("POST", url, {"content-type": content_type, "accept": "text/xml"},
                    body=str(content or "").encode())


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_envelope(content: bytes) -> etree._Element:
    """Parse a SOAP envelope with DTDs, entities and the network off."""
    return parse_xml(content, "the answer", SoapResponseInvalid)


def parse_xml(content: bytes, subject: str, error: Callable[[str], Exception]
              ) -> etree._Element:
    """Parse XML with DTDs, entities and the network off; a DOCTYPE is refused.

    Raises:
        ``error``: with a message about ``subject`` when the XML is not well-formed or
            has a DOCTYPE.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_blank_text=False)
    try:
        root = etree.fromstring(content, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise error(f"{subject} is not well-formed XML ({exc})") from None
    if root.getroottree().docinfo.doctype:
        raise error(f"{subject} has a DOCTYPE, which SOAP forbids")
    return root


def read_reply(client: SoapClient, operation: Operation, status: int, content: bytes) -> Any:
    """The JSON of an answer (see ``read_soap_reply``; HTTP bindings answer plain XML)."""
    binding, zeep_operation = client.operation(operation)
    if isinstance(binding, HttpBinding):
        return _read_http_reply(client, zeep_operation, operation, status, content)
    return read_soap_reply(client, operation, status, content)


def _read_http_reply(client: SoapClient, zeep_operation: Any, operation: Operation,
                     status: int, content: bytes) -> Any:
    if status >= 400:
        raise SoapHttpError(status, _snippet(content))
    output = zeep_operation.output
    parts = list(getattr(getattr(output, "abstract", None), "parts", {}).items())
    if output is None or not parts or not content.strip():
        return {}
    root = parse_envelope(content)
    name, part = parts[0]
    schema = client.client.wsdl.types
    try:
        if part.element is not None:
            value = part.element.parse(root, schema)
            if isinstance(part.element.type, ComplexType):
                return to_json(value) or {}
            return {part.element.name: to_json(value)}
        value = part.type.parse_xmlelement(root, schema)
    except (IndexError, TypeError, ValueError, LookupError, zeep_exceptions.Error) as exc:
        raise SoapResponseInvalid(
            f"the answer does not match operation {operation.operation_id!r}: "
            f"{type(exc).__name__}: {_clean(str(exc))}") from None
    return {name: to_json(value)}


def read_soap_reply(client: SoapClient, operation: Operation, status: int,
                    content: bytes) -> Any:
    """The JSON of an answer, or the fault it carries as a ``SoapFault``.

    Raises:
        SoapFault: The body holds a fault.
        SoapHttpError: An HTTP error status and no fault.
        SoapResponseInvalid: Not a SOAP answer to this operation.
    """
    if not content.strip():
        if status >= 400:
            raise SoapHttpError(status, "")
        return {}
    try:
        envelope = parse_envelope(content)
    except SoapResponseInvalid:
        if status >= 400:
            raise SoapHttpError(status, _snippet(content)) from None
        raise
    body = _body(envelope)
    if body is None:
        if status >= 400:
            raise SoapHttpError(status, _snippet(content))
        raise SoapResponseInvalid("the answer is XML but not a SOAP envelope")
    raise_fault(body, status)
    if status >= 400:
        raise SoapHttpError(status, _snippet(content))
    _, zeep_operation = client.operation(operation)
    output = zeep_operation.output
    element = getattr(output, "body", None) if output is not None else None
    if element is None:
        return {}
    try:
        process_multiref(body)  # type: ignore[no-untyped-call]
        value = output._deserialize_body(body)["body"]
    except (IndexError, TypeError, ValueError, LookupError, zeep_exceptions.Error) as exc:
        raise SoapResponseInvalid(
            f"the answer does not match operation {operation.operation_id!r}: "
            f"{type(exc).__name__}: {_clean(str(exc))}") from None
    if isinstance(element.type, ComplexType):
        node = body if getattr(output, "_is_body_wrapped", False) else _first_child(body)
        result = restore_empty(to_json(value), node, element.type)
        return result if result is not None else {}
    return {element.attr_name or element.name: to_json(value)}


def restore_empty(value: Any, node: etree._Element | None, xsd_type: Any) -> Any:
    """Put back what zeep drops: an element that is present but empty.

    zeep parses ``<items/>`` like a missing element (None), so a zero-element array
    wrapped in an element would come back as null. Walking the XML beside the value,
    a present, non-nil element becomes an object whose repeated children are ``[]``,
    and a repeated element that is absent becomes ``[]`` too.
    """
    if not isinstance(xsd_type, ComplexType) or node is None:
        return value
    if value is None:
        if node.get(_XSI_NIL) in ("true", "1"):
            return None
        value = {}
    if not isinstance(value, dict):
        return value
    children = [c for c in node if isinstance(c.tag, str)]
    for name, child in xsd_type.elements:
        if not isinstance(child, Element):
            continue
        local = child.qname.localname if child.qname is not None else child.name
        matching = [c for c in children if etree.QName(c).localname == local]
        current = value.get(name)
        if child.max_occurs != 1:
            if current is None:
                value[name] = []
            elif isinstance(current, list) and len(current) == len(matching):
                value[name] = [restore_empty(v, c, child.type)
                               for v, c in zip(current, matching, strict=True)]
        elif matching:
            value[name] = restore_empty(current, matching[0], child.type)
    return value


_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def _first_child(body: etree._Element) -> etree._Element | None:
    return next((c for c in body if isinstance(c.tag, str)), None)


def raise_fault(body: etree._Element, status: int | None = None) -> None:
    """Raise ``SoapFault`` if ``body`` (a soap Body element) holds a fault."""
    namespace = etree.QName(body).namespace
    fault = body.find(f"{{{namespace}}}Fault")
    if fault is None:
        return
    if namespace == SOAP12_ENV:
        n = {"e": SOAP12_ENV}
        code = fault.findtext("e:Code/e:Value", namespaces=n) or ""
        subcodes = [v.text or "" for v in fault.iterfind(".//e:Subcode/e:Value", namespaces=n)]
        message = fault.findtext("e:Reason/e:Text", namespaces=n) or ""
        detail = fault.find("e:Detail", namespaces=n)
        raise SoapFault(message.strip() or "(no reason given)", fault_code=code.strip(),
                        detail=xml_to_json(detail) if detail is not None else None,
                        subcodes=subcodes or None, http_status=status)
    code = fault.findtext("faultcode") or ""
    message = fault.findtext("faultstring") or ""
    actor = fault.findtext("faultactor")
    detail = fault.find("detail")
    raise SoapFault(message.strip() or "(no fault string given)", fault_code=code.strip(),
                    detail=xml_to_json(detail) if detail is not None else None,
                    actor=actor, http_status=status)


def _body(envelope: etree._Element) -> etree._Element | None:
    for namespace in (SOAP11_ENV, SOAP12_ENV):
        if envelope.tag == f"{{{namespace}}}Envelope":
            return envelope.find(f"{{{namespace}}}Body")
    return None


def _snippet(content: bytes) -> str:
    return content[:200].decode("utf-8", "replace")


_UNEXPECTED = re.compile(r"unexpected keyword argument '([^']+)'")


def _not_fitting(operation: Operation, exc: Exception) -> SoapRequestInvalid:
    """zeep's refusal of the JSON input, pointing at the argument it names when it does."""
    message = _clean(str(exc))
    detail: dict[str, Any] = {"operation": operation.operation_id}
    unexpected = _UNEXPECTED.search(message)
    if unexpected:
        name = unexpected.group(1)
        detail.update(name=name, pointer=json_pointer([name]),
                      message=f"operation {operation.operation_id!r} has no argument {name!r}")
    return SoapRequestInvalid(
        f"the input does not fit operation {operation.operation_id!r}: {message}",
        details=[detail])


def _clean(text: str) -> str:
    return " ".join(text.split())[:300]
