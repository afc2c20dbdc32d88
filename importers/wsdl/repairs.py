"""Quirks of real WSDL bundles that SoapUI, zeep's users and wsdl-to-postman get past,
repaired in the document before zeep reads it, each one said as a warning.

Every repair stays inside the upload: a location is only ever pointed at a file the
upload holds, never at the network or the local disk, and the documents are still read
by ``importers.wsdl.xmldoc`` (no DTDs, entities or network). The gateway rebuilds its
zeep client from the stored documents through the same transport, so it sees the same
repairs.

The repairs, by the rule of their warning (docs/importers.md has the table):

* ``wsdl-loose-schema-reference``: an ``xsd:import``/``xsd:include`` straight under
  ``wsdl:types`` is read as if inside an ``xsd:schema``;
* ``wsdl-location-backslash``, ``wsdl-location-case``: a relative location with Windows
  backslashes, or naming an uploaded file in another letter case, names that file;
* ``wsdl-remote-local-copy``: an absolute ``http(s)`` location whose file the upload
  holds beside the importing document reads that copy, and fetches nothing;
* ``wsdl-import-namespace``, ``wsdl-include-namespace``: an import naming another
  namespace than the imported schema's takes the schema's; an include of a schema of
  another namespace is read as an import of it;
* ``wsdl-complex-content-unwrapped``: an ``xsd:complexContent`` holding a model group
  instead of a derivation is read as the type's own content;
* ``wsdl-header-message-missing``: a ``soap:header`` naming a message the WSDL (which
  imports no other) lacks is left out.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from lxml import etree

from importers.wsdl import catalogue, xmldoc

#: The targetNamespace of an uploaded document ("" for none), None when it is not one.
NamespaceOf = Callable[[str], str | None]


@dataclass(frozen=True)
class Repair:
    """One quirk repaired: which rule, and what was done where."""

    rule: str
    message: str


class Bundle:
    """What the repairs may look at: the upload's files, with the two indexes they need
    built once (so a bundle of many files and references stays linear)."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = files
        self._namespaces: dict[str, str | None] = {}
        self._by_lower: dict[str, list[str]] | None = None

    def namespace_of(self, path: str) -> str | None:
        """The targetNamespace of the uploaded document at ``path`` ("" for none; None
        when the upload does not hold it or it is not XML)."""
        if path not in self._namespaces:
            data = self.files.get(path)
            self._namespaces[path] = None if data is None else target_namespace(data)
        return self._namespaces[path]

    def in_any_case(self, path: str) -> list[str]:
        """The uploaded paths that are ``path`` but for letter case."""
        if self._by_lower is None:
            self._by_lower = {}
            for name in self.files:
                self._by_lower.setdefault(name.lower(), []).append(name)
        return self._by_lower.get(path.lower(), [])


def repair(root: etree._Element, key: str, bundle: Bundle) -> list[Repair]:
    """Repair the quirks of the uploaded document ``key`` (in place); what was done."""
    repairs: list[Repair] = []
    nodes = _Nodes(root)  # one walk of the tree for every repair
    for node, attribute in _references(nodes):
        _repair_location(node, attribute, key, bundle, repairs)
    _wrap_loose_references(nodes, key, bundle.namespace_of, repairs)
    for node in nodes.xsd("import", "include"):
        _repair_namespace(node, key, bundle.namespace_of, repairs)
    _unwrap_complex_content(nodes, key, repairs)
    _drop_headers_of_missing_messages(root, nodes, key, repairs)
    return repairs


_SOAP_BINDING_NAMESPACES = ("http://schemas.xmlsoap.org/wsdl/soap/",
                            "http://schemas.xmlsoap.org/wsdl/soap12/")


class _Nodes:
    """The elements the repairs look at, by tag, found in one walk of the tree."""

    _XSD_NAMES = ("import", "include", "redefine", "complexContent")

    def __init__(self, root: etree._Element) -> None:
        tags = [f"{{{ns}}}{name}" for ns in xmldoc.XSD_NAMESPACES for name in self._XSD_NAMES]
        tags += [f"{{{xmldoc.WSDL11_NS}}}import", f"{{{xmldoc.WSDL11_NS}}}types"]
        tags += [f"{{{ns}}}header" for ns in _SOAP_BINDING_NAMESPACES]
        self._by_tag: dict[str, list[etree._Element]] = {}
        for node in root.iter(*tags):
            self._by_tag.setdefault(node.tag, []).append(node)

    def xsd(self, *names: str) -> list[etree._Element]:
        """The XML Schema elements of these local names (every XSD namespace), in order."""
        return [node for ns in xmldoc.XSD_NAMESPACES for name in names
                for node in self._by_tag.get(f"{{{ns}}}{name}", [])]

    def of(self, tag: str) -> list[etree._Element]:
        return self._by_tag.get(tag, [])


def target_namespace(data: bytes) -> str | None:
    """The ``targetNamespace`` of a document's root, read without parsing the rest ("" for
    none); None when the start of the document is not XML."""
    try:
        for _, element in etree.iterparse(_Bytes(data), events=("start",),
                                          resolve_entities=False, no_network=True,
                                          load_dtd=False, huge_tree=False):
            return str(element.get("targetNamespace") or "")
    except etree.XMLSyntaxError:
        return None
    return None


class _Bytes:
    """Just enough of a file for iterparse, over bytes already in memory."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._at + size
        chunk = self._data[self._at:end]
        self._at += len(chunk)
        return chunk


def _references(nodes: _Nodes) -> list[tuple[etree._Element, str]]:
    found = [(node, "schemaLocation") for node in nodes.xsd("import", "include", "redefine")]
    found += [(node, "location") for node in nodes.of(f"{{{xmldoc.WSDL11_NS}}}import")]
    return [(node, attribute) for node, attribute in found if (node.get(attribute) or "").strip()]


def _resolve(key: str, location: str) -> str:
    """The bundle path ``location`` names, relative to the document ``key``."""
    joined = posixpath.join(posixpath.dirname(key), unquote(location.split("?", 1)[0]))
    return posixpath.normpath(joined).lstrip("/")  # backslashes stay what they are


def _repair_location(node: etree._Element, attribute: str, key: str, bundle: Bundle,
                     repairs: list[Repair]) -> None:
    files = bundle.files
    location = (node.get(attribute) or "").strip()
    scheme = urlsplit(location).scheme.lower()
    if scheme in ("http", "https"):
        if catalogue.lookup(location) is not None or location in files:
            return
        name = posixpath.basename(urlsplit(location).path)
        beside = xmldoc.normalise_path(posixpath.join(posixpath.dirname(key), name))
        if name and beside in files:
            node.set(attribute, name)
            repairs.append(Repair("wsdl-remote-local-copy", (
                f"{key} refers to {location}; the upload holds {beside} beside it, which is "
                "read instead (nothing is fetched)")))
        return
    if scheme or location.startswith("/") or _resolve(key, location) in files:
        return  # another scheme or an absolute path: the transport refuses it
    if "\\" in location:
        slashed = location.replace("\\", "/")
        if _resolve(key, slashed) in files:
            node.set(attribute, slashed)
            repairs.append(Repair("wsdl-location-backslash", (
                f"{key} refers to {location!r} with backslashes; read as {slashed!r}")))
            return
        location = slashed
    wanted = _resolve(key, location)
    if wanted.startswith("../"):
        return  # leaves the upload: the transport refuses it
    matches = bundle.in_any_case(wanted)
    if len(matches) == 1:
        relative = posixpath.relpath(matches[0], posixpath.dirname(key) or ".")
        node.set(attribute, relative)
        repairs.append(Repair("wsdl-location-case", (
            f"{key} refers to {location!r}, which the upload holds as {matches[0]!r} "
            "(another letter case); that file is read")))


def _wrap_loose_references(nodes: _Nodes, key: str, namespace_of: NamespaceOf,
                           repairs: list[Repair]) -> None:
    for types in nodes.of(f"{{{xmldoc.WSDL11_NS}}}types"):
        for node in list(types):
            if not isinstance(node.tag, str):
                continue
            qname = etree.QName(node)
            if qname.namespace not in xmldoc.XSD_NAMESPACES or qname.localname not in (
                    "import", "include"):
                continue
            schema = etree.Element(f"{{{qname.namespace}}}schema", nsmap=node.nsmap)
            location = node.get("schemaLocation") or ""
            if qname.localname == "include":
                included = namespace_of(_resolve(key, location)) if location else None
                if included:
                    schema.set("targetNamespace", included)
            node.addprevious(schema)
            schema.append(node)
            repairs.append(Repair("wsdl-loose-schema-reference", (
                f"{key} has an xsd:{qname.localname} of {location or '(no location)'!r} "
                "straight under wsdl:types, outside any xsd:schema; read as if inside one")))


def _unwrap_complex_content(nodes: _Nodes, key: str, repairs: list[Repair]) -> None:
    for content in nodes.xsd("complexContent"):
        xsd_ns = etree.QName(content).namespace
        derivations = {f"{{{xsd_ns}}}extension", f"{{{xsd_ns}}}restriction"}
        children = [c for c in content if isinstance(c.tag, str)
                    and c.tag != f"{{{xsd_ns}}}annotation"]
        owner = content.getparent()
        if not children or owner is None or any(c.tag in derivations for c in children):
            continue
        for child in children:
            content.addprevious(child)
        owner.remove(content)
        repairs.append(Repair("wsdl-complex-content-unwrapped", (
            f"{key}: complex type {owner.get('name') or '(anonymous)'!r} has "
            "xsd:complexContent without an extension or restriction; its content is read "
            "as the type's own")))


def _drop_headers_of_missing_messages(root: etree._Element, nodes: _Nodes, key: str,
                                      repairs: list[Repair]) -> None:
    wsdl = xmldoc.WSDL11_NS
    if root.tag != f"{{{wsdl}}}definitions" or root.find(f"{{{wsdl}}}import") is not None:
        return  # the message may live in an imported WSDL
    defined = {node.get("name") for node in root.iterfind(f"{{{wsdl}}}message")}
    for soap_ns in _SOAP_BINDING_NAMESPACES:
        for header in nodes.of(f"{{{soap_ns}}}header"):
            message = (header.get("message") or "").rpartition(":")[2]
            parent = header.getparent()
            if not message or message in defined or parent is None:
                continue
            parent.remove(header)
            repairs.append(Repair("wsdl-header-message-missing", (
                f"{key}: a soap:header names message {message!r}, which the WSDL does not "
                "define; the header is left out")))


def _repair_namespace(node: etree._Element, key: str, namespace_of: NamespaceOf,
                      repairs: list[Repair]) -> None:
    location = (node.get("schemaLocation") or "").strip()
    if not location or urlsplit(location).scheme:
        return
    actual = namespace_of(_resolve(key, location))
    if not actual:
        return  # not uploaded (the transport says so) or a schema of no namespace
    qname = etree.QName(node)
    if qname.localname == "import":
        declared = node.get("namespace")
        if declared is not None and declared != actual:
            node.set("namespace", actual)
            repairs.append(Repair("wsdl-import-namespace", (
                f"{key} imports {location!r} as namespace {declared!r}, but its "
                f"targetNamespace is {actual!r}; read as that namespace")))
        return
    schema = node.getparent()
    own = schema.get("targetNamespace") or "" if schema is not None else ""
    if actual != own:
        node.tag = f"{{{qname.namespace}}}import"
        node.set("namespace", actual)
        repairs.append(Repair("wsdl-include-namespace", (
            f"{key} includes {location!r}, whose targetNamespace {actual!r} is not the "
            f"including schema's ({own!r}); read as an import of that namespace")))
