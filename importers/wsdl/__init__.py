"""The WSDL importer: WSDL 1.1 (one file, a folder or a zip) in, SOAP connector out.

The public face:

* ``import_wsdl`` for the importers' dispatcher (``import_wsdl_or_raise`` when the caller
  wants the error itself rather than an error finding);
* ``wsdl_roots`` to tell a folder's root WSDLs from the parts they import;
* ``load_wsdl`` for the gateway, which rebuilds the same zeep document from
  ``Connector.documents``;
* the errors this package raises (drawn in ``importers.wsdl.errors``).
"""

from importers.wsdl.errors import (
    NotWsdlError,
    Wsdl20NotSupportedError,
    WsdlError,
    WsdlReferenceError,
)
from importers.wsdl.importer import import_wsdl, import_wsdl_or_raise
from importers.wsdl.loader import LoadedWsdl, load_wsdl, zeep_settings
from importers.wsdl.roots import wsdl_roots

__all__ = [
    "LoadedWsdl",
    "NotWsdlError",
    "Wsdl20NotSupportedError",
    "WsdlError",
    "WsdlReferenceError",
    "import_wsdl",
    "import_wsdl_or_raise",
    "load_wsdl",
    "wsdl_roots",
    "zeep_settings",
]
