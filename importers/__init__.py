"""Importers: API descriptions in, connector definitions out.

The public face. Everything else in this package is private to it.
"""

from importers.errors import (
    PortwayError,
    SpecError,
    SpecSyntaxError,
    SpecTooLargeError,
    UnsafeSpecError,
    UnsupportedSpecError,
)
from importers.fetch import Fetcher, refuse_fetch
from importers.importing import discover, import_document, import_sources, result_json
from importers.lint import lint
from importers.model import (
    AuthScheme,
    ConnectionParameter,
    ConnectionParameterSet,
    Connector,
    Finding,
    ImportResult,
    OAuthSetting,
    Operation,
    Parameter,
    Policy,
    Response,
    SoapBinding,
    TriggerInfo,
)
from importers.versions import breaking_changes

__all__ = [
    "AuthScheme",
    "ConnectionParameter",
    "ConnectionParameterSet",
    "Connector",
    "Fetcher",
    "Finding",
    "ImportResult",
    "OAuthSetting",
    "Operation",
    "Parameter",
    "Policy",
    "PortwayError",
    "Response",
    "SoapBinding",
    "SpecError",
    "SpecSyntaxError",
    "SpecTooLargeError",
    "TriggerInfo",
    "UnsafeSpecError",
    "UnsupportedSpecError",
    "breaking_changes",
    "discover",
    "import_document",
    "import_sources",
    "lint",
    "refuse_fetch",
    "result_json",
]
