"""Well-known schemas served locally, so WSDLs that import them load without a network.

The files under ``catalogue/`` are Portway's own minimal schemas: they declare the names
WSDLs refer to (SOAP encoding arrays, ``xml:lang``, the envelopes), not the full W3C texts.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from urllib.parse import urlsplit

SOAP_ENCODING_NS = "http://schemas.xmlsoap.org/soap/encoding/"
SOAP12_ENCODING_NS = "http://www.w3.org/2003/05/soap-encoding"
APACHE_SOAP_NS = "http://xml.apache.org/xml-soap"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
SOAP11_ENVELOPE_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENVELOPE_NS = "http://www.w3.org/2003/05/soap-envelope"
WSDL11_NS = "http://schemas.xmlsoap.org/wsdl/"

# namespace -> (canonical URL, file name under catalogue/)
_BY_NAMESPACE: dict[str, tuple[str, str]] = {
    SOAP_ENCODING_NS: ("http://schemas.xmlsoap.org/soap/encoding/", "soap-encoding.xsd"),
    SOAP12_ENCODING_NS: ("http://www.w3.org/2003/05/soap-encoding", "soap12-encoding.xsd"),
    APACHE_SOAP_NS: ("http://xml.apache.org/xml-soap", "apache-soap.xsd"),
    XLINK_NS: ("http://www.w3.org/1999/xlink", "xlink.xsd"),
    XML_NS: ("http://www.w3.org/2001/xml.xsd", "xml.xsd"),
    SOAP11_ENVELOPE_NS: ("http://schemas.xmlsoap.org/soap/envelope/", "soap11-envelope.xsd"),
    SOAP12_ENVELOPE_NS: ("http://www.w3.org/2003/05/soap-envelope", "soap12-envelope.xsd"),
    WSDL11_NS: ("http://schemas.xmlsoap.org/wsdl/", "wsdl11.xsd"),
}

#: Namespaces schemas use with only a declaration in scope, never importing them (rpc/encoded
#: WSDLs, Axis 1's apachesoap:Map, xlink:href): an import of the catalogue's schema is
#: added for them.
IMPLICIT_NAMESPACES = (SOAP_ENCODING_NS, SOAP12_ENCODING_NS, APACHE_SOAP_NS, XLINK_NS)

# Other spellings of the same documents seen in the wild.
_ALIASES: dict[str, str] = {
    "www.w3.org/xml/1998/namespace": "xml.xsd",
    "www.w3.org/2001/03/xml.xsd": "xml.xsd",
    "www.w3.org/2003/05/soap-envelope/": "soap12-envelope.xsd",
    "schemas.xmlsoap.org/soap/encoding/soap-encoding.xsd": "soap-encoding.xsd",
}


def _key(url: str) -> str:
    """Scheme-less, lower-case host and path, so http/https and a trailing slash match."""
    parts = urlsplit(url)
    return f"{parts.netloc.lower()}{parts.path}".lower()


@cache
def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for url, file_name in _BY_NAMESPACE.values():
        table[_key(url)] = file_name
        table[_key(url).rstrip("/")] = file_name
    for alias, file_name in _ALIASES.items():
        table[alias] = file_name
        table[alias.rstrip("/")] = file_name
    return table


def lookup(url: str) -> bytes | None:
    """Return the catalogue's schema for ``url``, or None when it is not a well-known one."""
    file_name = _table().get(_key(url)) or _table().get(_key(url).rstrip("/"))
    if file_name is None:
        return None
    return (resources.files(__package__) / "catalogue" / file_name).read_bytes()


def url_for_namespace(namespace: str) -> str | None:
    """The URL the catalogue serves the schema of ``namespace`` under, if it has one."""
    entry = _BY_NAMESPACE.get(namespace)
    return entry[0] if entry else None


def known_namespaces() -> frozenset[str]:
    """Namespaces whose schema the catalogue can serve."""
    return frozenset(_BY_NAMESPACE)
