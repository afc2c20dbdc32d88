"""Loading a WSDL bundle with zeep, with every foreign exception translated here.

This is the one place zeep and lxml are called to load documents; both the importer
and the gateway's SOAP client (which rebuilds from ``Connector.documents``) go through
``load_wsdl``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import zeep
from lxml import etree
from zeep import exceptions as zeep_exceptions
from zeep.wsdl import Document

from importers.errors import PortwayError, SpecSyntaxError, UnsafeSpecError
from importers.fetch import Fetcher, refuse_fetch
from importers.wsdl import xmldoc
from importers.wsdl.errors import (
    NotWsdlError,
    Wsdl20NotSupportedError,
    WsdlError,
    WsdlReferenceError,
)
from importers.wsdl.transport import BundleTransport


def zeep_settings() -> zeep.Settings:
    """The zeep settings Portway always uses: no DTDs, entities or fetches of zeep's own.

    ``strict=False`` lets zeep recover from the many real WSDLs with small schema
    mistakes; what it skips shows up as warnings, which the importer reports.
    """
    return zeep.Settings(
        strict=False,
        xml_huge_tree=False,
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )


@dataclass
class LoadedWsdl:
    """A zeep document and what it took to load it."""

    document: Document
    transport: BundleTransport
    main: str
    warnings: list[str] = field(default_factory=list)


def load_wsdl(main: str, files: Mapping[str, bytes], fetch: Fetcher = refuse_fetch) -> LoadedWsdl:
    """Load the WSDL at ``files[main]`` and everything it imports.

    Args:
        main: Key of the root WSDL in ``files``.
        files: The upload's documents by relative path.
        fetch: Reaches remote documents the catalogue does not know.

    Raises:
        SpecError: (a subclass of) for anything that stops the WSDL from loading.
    """
    main = xmldoc.normalise_path(main)
    if main not in files:
        raise WsdlReferenceError(f"{main!r} is not among the uploaded files",
                                 details=[{"missing": main}])
    data = files[main]
    xmldoc.check_size(main, len(data))
    _check_root(xmldoc.parse(data, main), main)
    transport = BundleTransport(files, fetch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            document = Document(xmldoc.bundle_url(main), transport,  # type: ignore[arg-type]
                                settings=zeep_settings())
        except PortwayError:
            raise
        except Exception as exc:  # zeep raises bare built-ins on broken schemas
            raise translate(exc, main) from None
    messages = [str(w.message) for w in caught if issubclass(w.category, Warning)]
    return LoadedWsdl(document=document, transport=transport, main=main, warnings=messages)


def _check_root(root: etree._Element, source: str) -> None:
    qname = etree.QName(root)
    if qname.namespace == xmldoc.WSDL20_NS:
        raise Wsdl20NotSupportedError(
            f"{source} is a WSDL 2.0 document; Portway imports WSDL 1.1 only (convert it, "
            "or ask the service for its WSDL 1.1 description, often at ?wsdl)",
            details=[{"source": source, "root": qname.text}],
        )
    if qname.namespace != xmldoc.WSDL11_NS or qname.localname != "definitions":
        raise NotWsdlError(
            f"{source} is XML but not a WSDL: its root element is <{qname.localname}> "
            f"in namespace {qname.namespace!r}, not WSDL 1.1 <definitions>",
            details=[{"source": source, "root": qname.text}],
        )


def translate(exc: BaseException, source: str) -> PortwayError:
    """Turn a zeep, lxml or built-in exception raised while loading into a SpecError."""
    kind = type(exc).__name__
    text = str(exc) or repr(exc)
    if isinstance(exc, zeep_exceptions.DTDForbidden | zeep_exceptions.EntitiesForbidden):
        return UnsafeSpecError(f"{source}: DTDs and entities are not allowed ({text})")
    if isinstance(exc, zeep_exceptions.ExternalReferenceForbidden):
        return UnsafeSpecError(f"{source}: refers to a remote document, not allowed ({text})")
    if isinstance(exc, zeep_exceptions.XMLSyntaxError | etree.XMLSyntaxError):
        return SpecSyntaxError(f"{source}: not well-formed XML ({text})", source=source)
    if isinstance(exc, FileNotFoundError | OSError):
        return WsdlReferenceError(f"{source}: a referenced document cannot be read ({kind})")
    if isinstance(exc, zeep_exceptions.Error):
        where = ""
        if isinstance(exc, zeep_exceptions.XMLParseError) and exc.sourceline:
            kind_file, _ = xmldoc.classify(str(exc.filename or ""))
            where = f" (line {exc.sourceline})" if kind_file != "other" else ""
        return WsdlError(
            f"{source}: zeep cannot load this WSDL: {kind}: {exc.message}{where}",
            details=[{"source": source, "zeepError": kind}],
        )
    return WsdlError(
        f"{source}: zeep cannot load this WSDL; its schema is probably broken "
        f"({kind}: {text})",
        details=[{"source": source, "zeepError": kind}],
    )
