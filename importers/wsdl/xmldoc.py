"""Reading one WSDL or XSD document safely, and pointing its references at the bundle.

Every document zeep sees passes through here first. It is parsed with DTDs, entities and
network access off, refused when over the size limit, and its ``wsdl:import``,
``xsd:import`` and ``xsd:include`` locations are rewritten so that each one is a
``file:`` URL under one of two pseudo roots that only ``importers.wsdl.transport`` can
answer:

* ``file:///portway-bundle/<path>`` — a document of the upload (``files``);
* ``file:///portway-remote/<scheme>/<host>/<path>`` — a remote URL: the catalogue of
  well-known schemas answers it, or else the caller's fetcher (the egress guard).

zeep itself runs with ``forbid_external=True``, so it never fetches an ``http(s)`` URL on
its own; the rewrite is what lets well-known schemas and guarded fetches still through.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote, unquote, urlsplit

from lxml import etree

from importers.errors import SpecSyntaxError, SpecTooLargeError, UnsafeSpecError
from importers.wsdl import catalogue

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_BUNDLE_BYTES = 40 * 1024 * 1024

BUNDLE_ROOT = "file:///portway-bundle/"
REMOTE_ROOT = "file:///portway-remote/"

XSD_NAMESPACES = (
    "http://www.w3.org/2001/XMLSchema",
    "http://www.w3.org/2000/10/XMLSchema",
    "http://www.w3.org/1999/XMLSchema",
)
WSDL11_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL20_NS = "http://www.w3.org/ns/wsdl"

UrlKind = Literal["bundle", "remote", "other"]


def bundle_url(path: str) -> str:
    """The pseudo URL zeep sees for the upload's document at relative ``path``."""
    return BUNDLE_ROOT + quote(normalise_path(path), safe="/")


def remote_url(url: str) -> str:
    """The pseudo URL zeep sees for a remote ``http(s)`` URL."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{REMOTE_ROOT}{parts.scheme.lower()}/{parts.netloc}{parts.path or '/'}{query}"


def classify(url: str) -> tuple[UrlKind, str]:
    """Map a pseudo URL back to what it stands for.

    Returns:
        ``("bundle", relative path)``, ``("remote", original URL)`` or ``("other", url)``
        for anything that is neither (a local file, an unknown scheme): never to be read.
    """
    if url.startswith(BUNDLE_ROOT):
        return "bundle", unquote(url[len(BUNDLE_ROOT):].split("?", 1)[0])
    if url.startswith(REMOTE_ROOT):
        rest = url[len(REMOTE_ROOT):]
        scheme, _, tail = rest.partition("/")
        if scheme in ("http", "https") and tail:
            return "remote", f"{scheme}://{tail}"
    return "other", url


def normalise_path(path: str) -> str:
    """A bundle key in one spelling: forward slashes, no leading ``./`` or ``/``."""
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def check_size(source: str, size: int, limit: int = MAX_DOCUMENT_BYTES) -> None:
    """Refuse a document over ``limit`` bytes before anything parses it."""
    if size > limit:
        raise SpecTooLargeError(
            f"{source} is {size} bytes; the limit for one WSDL or XSD document is "
            f"{limit} bytes",
            details=[{"source": source, "bytes": size, "limit": limit}],
        )


def _parser() -> etree.XMLParser:
    # A fresh parser per document: lxml parsers keep state and are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse(data: bytes, source: str) -> etree._Element:
    """Parse ``data`` with DTDs, entities and the network off.

    Raises:
        SpecTooLargeError: over ``MAX_DOCUMENT_BYTES``.
        SpecSyntaxError: not well-formed XML (line and column given).
        UnsafeSpecError: a DOCTYPE, hence a DTD or entities (billion laughs, XXE).
    """
    check_size(source, len(data))
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        msg = str(exc.msg or exc).split(" (line")[0]
        if "entity" in msg.lower() or "DOCTYPE" in msg:
            raise UnsafeSpecError(
                f"{source}: DTDs and entities are not allowed in WSDL documents ({msg})",
                details=[{"source": source}],
            ) from None
        raise SpecSyntaxError(f"{source} is not well-formed XML: {msg}", line=line,
                              column=column, source=source) from None
    except ValueError as exc:  # lxml: e.g. a unicode string with an encoding declaration
        raise SpecSyntaxError(f"{source} cannot be read as XML: {exc}", source=source) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise UnsafeSpecError(
            f"{source} has a DOCTYPE; DTDs and entities are not allowed in WSDL documents "
            "(they enable entity expansion and external entity attacks)",
            details=[{"source": source}],
        )
    return root


def _is_remote(location: str) -> bool:
    return urlsplit(location).scheme.lower() in ("http", "https")


def rewrite_references(root: etree._Element) -> None:
    """Point every import/include at a pseudo URL the transport answers (in place)."""
    for tag in ("import", "include", "redefine"):
        for xsd_ns in XSD_NAMESPACES:
            for node in root.iter(f"{{{xsd_ns}}}{tag}"):
                location = (node.get("schemaLocation") or "").strip()
                if location and _is_remote(location):
                    node.set("schemaLocation", remote_url(location))
                elif not location and tag == "import":
                    known = catalogue.url_for_namespace(node.get("namespace") or "")
                    if known:
                        node.set("schemaLocation", remote_url(known))
    for node in root.iter(f"{{{WSDL11_NS}}}import"):
        location = (node.get("location") or "").strip()
        if location and _is_remote(location):
            node.set("location", remote_url(location))
    for xsd_ns in XSD_NAMESPACES:
        for schema in root.iter(f"{{{xsd_ns}}}schema"):
            _add_implicit_imports(schema, xsd_ns)


def _add_implicit_imports(schema: etree._Element, xsd_ns: str) -> None:
    """Import the well-known schemas a schema uses without importing them.

    rpc/encoded WSDLs refer to ``soapenc:Array`` (and Axis 1 WSDLs to ``apachesoap:Map``)
    with only a namespace declaration in scope, and zeep would then fetch the schema from
    the network itself, or fail.
    """
    target = schema.get("targetNamespace") or ""
    imported = {
        node.get("namespace") for node in schema.findall(f"{{{xsd_ns}}}import")
    }
    wanted: list[str] = []
    in_scope = set()
    for element in schema.iter(tag=etree.Element):
        in_scope.update(element.nsmap.values())
    wanted.extend(ns for ns in catalogue.IMPLICIT_NAMESPACES if ns in in_scope)
    uses_xml = any(
        (element.get("ref") or "").startswith("xml:")
        for element in schema.iter(tag=etree.Element)
    )
    if uses_xml:
        wanted.append(catalogue.XML_NS)
    for namespace in wanted:
        if namespace == target or namespace in imported:
            continue
        url = catalogue.url_for_namespace(namespace)
        assert url is not None
        node = etree.Element(f"{{{xsd_ns}}}import", namespace=namespace,
                             schemaLocation=remote_url(url))
        schema.insert(0, node)


def serialise(root: etree._Element) -> bytes:
    """UTF-8 bytes of ``root`` with an XML declaration."""
    return bytes(etree.tostring(root, encoding="utf-8", xml_declaration=True))


def as_text(data: bytes, source: str) -> str:
    """The document as a string that parses back to the same tree when UTF-8 encoded."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        head = text[:200].lower()
        if not head.lstrip("\ufeff").startswith("<?xml") or "utf-8" in head or (
            "encoding" not in head
        ):
            return text.lstrip("\ufeff")
    # Another encoding: re-serialise as UTF-8 (the declaration goes with it).
    return str(etree.tostring(parse(data, source), encoding="unicode"))


def display(text: str) -> str:
    """Replace pseudo URLs in a message with the paths and URLs a person would know."""
    text = text.replace(BUNDLE_ROOT, "")
    while REMOTE_ROOT in text:
        start = text.index(REMOTE_ROOT)
        end = start + len(REMOTE_ROOT)
        scheme, _, _rest = text[end:].partition("/")
        text = text[:start] + f"{scheme}://" + text[end + len(scheme) + 1:]
    return text
