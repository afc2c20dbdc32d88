"""A zeep transport that reads only the upload, the catalogue and the caller's fetcher.

zeep asks its transport for every document it loads. This one answers from three places
and nowhere else: the upload's own files, Portway's catalogue of well-known schemas, and
the ``Fetcher`` the caller passed (the gateway's egress guard; by default it refuses).
It also keeps every document it served, so the connector can carry them and the gateway
can rebuild the same client later without fetching anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zeep.transports import Transport

from importers.errors import PortwayError, UnsafeSpecError
from importers.fetch import Fetcher
from importers.wsdl import catalogue, xmldoc
from importers.wsdl.errors import WsdlReferenceError
from importers.wsdl.repairs import Bundle, Repair, repair


class BundleTransport(Transport):
    """Serves zeep's document loads from ``files``, the catalogue and ``fetch``.

    Args:
        files: The upload's documents by relative path; remote documents stored earlier
            by a previous import may also be keyed by their full URL.
        fetch: Called for a remote URL the catalogue does not know.
    """

    def __init__(self, files: Mapping[str, bytes], fetch: Fetcher) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._files = files
        self._fetch = fetch
        self._total = 0
        #: key (relative path or URL) -> the original bytes, in load order
        self.loaded: dict[str, bytes] = {}
        #: key -> the parsed original document, for the importer's own checks
        self.trees: dict[str, Any] = {}
        #: the quirks repaired in uploaded documents (``importers.wsdl.repairs``)
        self.repairs: list[Repair] = []
        self._bundle_index = Bundle(files)

    def load(self, url: str) -> bytes:
        """Return the (rewritten) bytes of the document zeep asks for."""
        kind, target = xmldoc.classify(url)
        if kind == "bundle":
            key = target
            data = self._bundle(target)
        elif kind == "remote":
            key = target
            known = catalogue.lookup(target)
            if known is not None:
                # The catalogue's own schemas are trusted and are not stored: the gateway
                # has the same catalogue.
                root = xmldoc.parse(known, target)
                xmldoc.rewrite_references(root)
                return xmldoc.serialise(root)
            stored = self._files.get(target)
            data = stored if stored is not None else self._fetch(target)
        else:
            raise UnsafeSpecError(
                f"the WSDL refers to {url!r}, which is neither a document of the upload nor "
                "an http(s) URL; local files are never read",
                details=[{"url": url}],
            )
        xmldoc.check_size(key, len(data))
        self._total += len(data)
        xmldoc.check_size("the WSDL and the documents it imports", self._total,
                          xmldoc.MAX_BUNDLE_BYTES)
        root = xmldoc.parse(data, key)
        self.loaded[key] = data
        if kind == "bundle":
            self.repairs.extend(repair(root, key, self._bundle_index))
        xmldoc.rewrite_references(root)
        # Only import locations differ from the original, which the importer's own
        # checks (port types, bindings, services) never read.
        self.trees[key] = root
        return xmldoc.serialise(root)

    def _bundle(self, path: str) -> bytes:
        data = self._files.get(path)
        if data is None:
            raise WsdlReferenceError(
                f"the WSDL imports {path!r}, which is not among the uploaded files; upload "
                "the folder or zip that holds it",
                details=[{"missing": path}],
            )
        return data

    def _load_remote_data(self, url: str) -> bytes:
        return self.load(url)

    def get(self, address: str, params: Any, headers: Any) -> Any:
        raise PortwayError("this transport only loads documents", code="InternalError")

    def post(self, address: str, message: Any, headers: Any) -> Any:
        raise PortwayError("this transport only loads documents", code="InternalError")
