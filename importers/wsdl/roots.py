"""Which WSDL files of a folder or zip are roots, and which are parts of another.

A WSDL split over files (service -> bindings -> port types, a WCF ``?wsdl=wsdl0``) is
one connector: its parts are imported by the root and fail on their own. A root is a
``.wsdl`` that no other document of the upload imports; when imports go in a circle, the
files that declare a service are the roots. Locations are read as the import reads them,
repairs included (``importers.wsdl.repairs``: backslashes, letter case, local copies).
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from lxml import etree

from importers.errors import PortwayError
from importers.wsdl import xmldoc
from importers.wsdl.repairs import Bundle, repair


def wsdl_roots(files: Mapping[str, bytes], names: list[str] | None = None) -> list[str]:
    """The keys of ``files`` that are WSDL roots (sorted).

    Args:
        files: The upload's documents by relative path.
        names: The candidate keys; every key ending in ``.wsdl`` when None.
    """
    candidates = sorted(names if names is not None
                        else (k for k in files if k.lower().endswith(".wsdl")))
    imported: set[str] = set()
    with_service: set[str] = set()
    bundle = Bundle(files)
    for name in candidates:
        try:
            root = xmldoc.parse(files[name], name)
        except (PortwayError, KeyError):
            continue  # unreadable: left a root, so that its import says why
        repair(root, name, bundle)
        if root.find(f"{{{xmldoc.WSDL11_NS}}}service") is not None:
            with_service.add(name)
        for target in _references(root):
            if not urlsplit(target).scheme:
                imported.add(posixpath.normpath(posixpath.join(posixpath.dirname(name),
                                                               unquote(target))))
    roots = [n for n in candidates if n not in imported]
    if roots:
        return roots
    return [n for n in candidates if n in with_service] or candidates


def _references(root: etree._Element) -> list[str]:
    found = [node.get("location") or "" for node in root.iter(f"{{{xmldoc.WSDL11_NS}}}import")]
    for xsd_ns in xmldoc.XSD_NAMESPACES:
        for tag in ("import", "include", "redefine"):
            found += [node.get("schemaLocation") or ""
                      for node in root.iter(f"{{{xsd_ns}}}{tag}")]
    return [f.strip() for f in found if f.strip()]
