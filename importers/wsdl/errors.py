"""The WSDL importer's branch of Portway's error tree.

Every zeep and lxml exception is translated into one of these where it enters
(``importers.wsdl.loader``); nothing outside this package sees a foreign exception::

    PortwayError
    └── SpecError (422)
        ├── SpecSyntaxError                 the XML is not well-formed (line, column)
        ├── SpecTooLargeError (413)         a document or the bundle is over the limit
        ├── UnsupportedSpecError
        │   ├── Wsdl20NotSupportedError     a WSDL 2.0 <description> document
        │   └── NotWsdlError                XML, but not a WSDL 1.1 <definitions>
        ├── UnsafeSpecError                 DTD, entity, a fetch outside the upload
        └── WsdlError                       the WSDL is XML but zeep cannot load it
            └── WsdlReferenceError          an imported document is missing

What loads but cannot be called in full (no operations, operations that did not load)
is reported as error findings, not raised.
"""

from __future__ import annotations

from importers.errors import SpecError, UnsupportedSpecError


class Wsdl20NotSupportedError(UnsupportedSpecError):
    """The document is WSDL 2.0, which Portway does not import."""

    code = "Wsdl20NotSupported"


class NotWsdlError(UnsupportedSpecError):
    """The document is XML but its root is not a WSDL 1.1 ``definitions`` element."""

    code = "NotWsdl"


class WsdlError(SpecError):
    """The WSDL is well-formed XML that cannot be loaded (broken schema, bad reference)."""

    code = "InvalidWsdl"


class WsdlReferenceError(WsdlError):
    """A ``wsdl:import``, ``xsd:import`` or ``xsd:include`` names a document not supplied."""

    code = "WsdlMissingDocument"
