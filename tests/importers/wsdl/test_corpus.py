"""The WSDL corpus (``<corpus>/wsdl``) against its MANIFEST.tsv, one test per root.

Every root marked as loading offline (with the well-known catalogue) must import with
the number of operations its WSDL declares (``portType-ops`` in the manifest's features,
which is more than zeep's count where port types are bound over HTTP GET/POST or sit in
an imported WSDL), and every root that cannot must fail saying why. The roots that are
marked as loading but have nothing callable are in ``REFUSED`` with the reason; those
marked as not loading that Portway's repairs and catalogue let in are in ``REPAIRED``,
and those a repair lets further before they fail for another reason in ``REFUSED_LATER``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from importers import SpecError, UnsafeSpecError
from importers.wsdl import WsdlError, WsdlReferenceError, import_wsdl, import_wsdl_or_raise
from tests.conftest import corpus_dir

pytestmark = pytest.mark.corpus

# Marked as loading, yet nothing in them can be called over SOAP: refused, with the rule
# of the finding that says why.
REFUSED = {
    # 64 operations whose messages name elements no schema defines.
    "other/wsdltophp/portaplusapi.wsdl": "wsdl-operation-not-loaded",
    # No operations at all.
    "zeep/tests/integration/recursive_schema_main.wsdl": "wsdl-no-operations",
    # An abstract WSDL: a port type with no binding or service.
    "zeep/tests/wsdl_files/soap_import_2.wsdl": "wsdl-port-type-not-offered",
}

# Marked as not loading (zeep alone refuses them), yet imported with Portway's repairs of
# quirks other tools tolerate (importers/wsdl/repairs.py) and its catalogue: the rule of
# the warning that says what was repaired, or None for a catalogue schema.
REPAIRED: dict[str, str | None] = {
    # xsd3.xsd imports xsd0.xsd as the XMLSchema namespace; its targetNamespace is tempuri.
    "other/postman/separatedFiles/deepCircularRefs/ServiceFinderQuery.wsdl":
        "wsdl-import-namespace",
    # SOAP 1.2 encoding (soapenc:arrayType) from the catalogue.
    "other/nodesoap/wsdl/rpcexample.wsdl": None,
    # Axis 1's apachesoap:Map, never imported, from the catalogue.
    "other/axis1/samples/echo-sample/src/main/wsdl/InteropTest.wsdl": None,
    # A complexContent holding a sequence, xlink:href never imported, and two soap:headers
    # naming messages the WSDL lacks.
    "other/axis1/interop-mock/src/main/resources/wsdl/soap12-test.wsdl":
        "wsdl-complex-content-unwrapped",
    # A soap:header naming a message this extract of Workday's WSDL lacks.
    "other/postman/validWSDLs11/hrextract.wsdl": "wsdl-header-message-missing",
}

# Marked as not loading, and still refused, but for a later reason once a quirk is
# repaired: the rule of the error finding.
REFUSED_LATER = {
    # The 2013_2 import is read as the 2011_1 schema it is; the subset lacks 2013_2 types.
    "other/nodesoap/wsdl/strict/Netsuite.wsdl": "InvalidWsdl",
    # Its absolute imports are read from the local copies beside it; its port then names
    # a binding that does not exist (StockQuoteBinding, not StockQuoteSoapBinding).
    "other/postman/separatedFiles/W3Example/stockquoteservice.wsdl": "wsdl-no-operations",
}

# The manifest's zeep error for roots that cannot load -> the error Portway raises.
ERRORS: dict[str, type[SpecError]] = {
    "NetworkRefused": UnsafeSpecError,
    "FileNotFoundError": WsdlReferenceError,
}


def _manifest() -> list[dict[str, str]]:
    path = corpus_dir() / "wsdl" / "MANIFEST.tsv"
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [row for row in rows if not row["file"].startswith("wellknown/")]


class _Folder(Mapping[str, bytes]):
    """The corpus folder as an upload, read in place and only where the WSDL asks."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def __getitem__(self, key: str) -> bytes:
        path = self._root / key
        if ".." in Path(key).parts or not path.is_file():
            raise KeyError(key)
        return path.read_bytes()

    def __iter__(self) -> Iterator[str]:
        return (p.relative_to(self._root).as_posix() for p in self._root.rglob("*")
                if p.is_file())

    def __len__(self) -> int:
        return sum(1 for _ in self)


ROWS = _manifest()


@pytest.mark.parametrize("row", ROWS, ids=[row["file"] for row in ROWS])
def test_corpus_root(row: dict[str, str], corpus: Path) -> None:
    files = _Folder(corpus / "wsdl")
    name = row["file"]
    expected = row["zeep_ops_or_error"]
    if name in REFUSED_LATER:
        refused = import_wsdl(name, files, connector_id="corpus")
        assert refused.connector is None
        assert REFUSED_LATER[name] in {f.rule for f in refused.errors}
        return
    if row["loads_offline_with_wellknown"] != "yes" and name not in REPAIRED:
        with pytest.raises(SpecError) as caught:
            import_wsdl_or_raise(name, files, connector_id="corpus")
        error = caught.value
        kind = expected.removeprefix("error: ")
        wanted = ERRORS.get(kind, WsdlError)
        assert isinstance(error, wanted), error.message
        if wanted is WsdlError:
            assert error.details[0]["zeepError"] == kind
        assert error.message  # a reason a person can act on
        return
    result = import_wsdl(name, files, connector_id="corpus")
    if name in REFUSED:
        assert result.connector is None
        assert result.errors, "a refusal must come with an error finding"
        assert REFUSED[name] in {f.rule for f in result.findings}
        return
    assert result.errors == []
    assert result.connector is not None
    if REPAIRED.get(name):
        assert REPAIRED[name] in {f.rule for f in result.warnings}
    found = re.search(r"portType-ops=(\d+)", row["features"])
    assert found is not None
    assert len(result.connector.operations) == int(found.group(1))
    ids = [op.operation_id for op in result.connector.operations]
    assert len(set(ids)) == len(ids)
    assert all(op.path == f"/{op.operation_id}" for op in result.connector.operations)
    assert name in result.connector.documents


def test_the_manifest_was_read(corpus: Path) -> None:
    assert len(ROWS) == 57
