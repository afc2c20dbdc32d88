"""import_wsdl on Portway's own fixtures: operations, bindings, ids, documents, findings."""

from __future__ import annotations

import pytest

from importers import Connector, ImportResult, UnsupportedSpecError
from importers.wsdl import (
    NotWsdlError,
    Wsdl20NotSupportedError,
    import_wsdl,
    import_wsdl_or_raise,
    load_wsdl,
    wsdl_roots,
)
from tests.importers.wsdl.conftest import bundle


def _calc(preferred: str = "1.2") -> ImportResult:
    files = bundle()
    return import_wsdl("calc.wsdl", {"calc.wsdl": files["calc.wsdl"]}, connector_id="calc",
                       preferred_soap_version=preferred)


def test_one_operation_per_port_type_operation_over_the_preferred_binding() -> None:
    result = _calc("1.2")
    assert result.findings == []
    connector = result.connector
    assert connector is not None
    assert [op.operation_id for op in connector.operations] == ["Add", "Divide"]
    add = connector.operation("Add")
    assert add is not None and add.soap is not None
    assert (add.method, add.path) == ("POST", "/Add")
    assert add.soap.soap_version == "1.2"
    assert add.soap.port == "Calc12"
    assert add.soap.address == "http://calc.example.test/soap12"
    assert add.soap.action == "urn:portway:calc/Add"
    assert (add.soap.style, add.soap.use) == ("document", "literal")
    assert add.extensions["x-soap-other-ports"] == ["Calc/Calc11"]
    assert add.description == "Adds two integers."


def test_preferring_soap_11_picks_the_11_port() -> None:
    connector = _calc("1.1").connector
    assert connector is not None
    assert {op.soap.port for op in connector.operations if op.soap} == {"Calc11"}
    assert {op.soap.soap_version for op in connector.operations if op.soap} == {"1.1"}


def test_connector_fields_and_documents_round_trip() -> None:
    connector = _calc().connector
    assert connector is not None
    assert (connector.protocol, connector.source_format) == ("soap", "wsdl")
    assert connector.display_name == "Calc"
    assert connector.description == "Adds and divides numbers."
    assert connector.base_url == "http://calc.example.test/soap12"
    assert list(connector.documents) == ["calc.wsdl"]
    assert connector.metadata["wsdlMain"] == "calc.wsdl"
    assert Connector.model_validate_json(connector.model_dump_json()) == connector
    assert {s.name for s in connector.connection_parameter_sets} == {
        "none", "basic", "wsse", "apiKey", "clientCertificate"}


def test_the_stored_documents_rebuild_the_same_wsdl_offline() -> None:
    connector = _calc().connector
    assert connector is not None
    files = {k: v.encode() for k, v in connector.documents.items()}
    loaded = load_wsdl(connector.metadata["wsdlMain"], files)
    ports = [p for s in loaded.document.services.values() for p in s.ports]
    assert ports == ["Calc11", "Calc12"]


def test_services_in_imported_definitions_and_clashing_names() -> None:
    files = bundle("multi")
    result = import_wsdl("main.wsdl", files, connector_id="multi")
    assert result.errors == []
    connector = result.connector
    assert connector is not None
    ids = sorted(op.operation_id for op in connector.operations)
    # Only the clashing name gets its port type as a prefix.
    assert ids == ["AdminPort_Status", "Ping", "PingPort_Status"]
    status = connector.operation("AdminPort_Status")
    assert status is not None and status.soap is not None
    assert (status.soap.service, status.soap.style) == ("AdminService", "rpc")
    assert status.request_schema == {
        "type": "object", "properties": {"verbose": {"type": "boolean"}},
        "required": ["verbose"]}
    assert sorted(connector.documents) == [
        "main.wsdl", "parts/other.wsdl", "parts/service.wsdl", "schemas/types.xsd"]


def test_rpc_encoded_loads_the_encoding_schema_from_the_catalogue() -> None:
    files = bundle()
    result = import_wsdl("rpc_encoded.wsdl", {"rpc_encoded.wsdl": files["rpc_encoded.wsdl"]},
                         connector_id="quotes")
    assert result.errors == []
    assert result.connector is not None
    op = result.connector.operations[0]
    assert op.soap is not None and (op.soap.style, op.soap.use) == ("rpc", "encoded")
    assert op.request_schema is not None
    array = op.request_schema["$defs"]["ArrayOfString"]["properties"]["_value_1"]
    assert array == {"type": "array", "items": {"type": "string"}}
    # The catalogue's schema is served locally, never stored with the connector.
    assert list(result.connector.documents) == ["rpc_encoded.wsdl"]


def test_a_port_naming_a_missing_binding_is_an_error_not_an_empty_connector() -> None:
    files = bundle()
    result = import_wsdl("broken_binding.wsdl",
                         {"broken_binding.wsdl": files["broken_binding.wsdl"]},
                         connector_id="broken")
    assert result.connector is None
    rules = [f.rule for f in result.findings]
    assert rules == ["wsdl-port-missing-binding", "wsdl-port-type-not-offered",
                     "wsdl-no-operations"]
    assert "NoSuchBinding" in result.findings[0].message
    assert result.errors[0].message == (
        "the WSDL declares 1 operations, but none is offered by a service port over a "
        "SOAP or HTTP binding")


def test_wsdl_20_is_refused_with_a_clear_message() -> None:
    files = bundle()
    with pytest.raises(Wsdl20NotSupportedError) as caught:
        import_wsdl_or_raise("wsdl20.wsdl", {"wsdl20.wsdl": files["wsdl20.wsdl"]},
                             connector_id="w")
    assert "WSDL 2.0" in caught.value.message
    assert isinstance(caught.value, UnsupportedSpecError)
    result = import_wsdl("wsdl20.wsdl", {"wsdl20.wsdl": files["wsdl20.wsdl"]}, connector_id="w")
    assert result.connector is None
    assert [(f.rule, f.message) for f in result.findings] == [
        ("Wsdl20NotSupported", caught.value.message)]


def test_xml_that_is_not_wsdl_is_refused() -> None:
    with pytest.raises(NotWsdlError) as caught:
        import_wsdl_or_raise("a.xml", {"a.xml": b"<catalog/>"}, connector_id="x")
    assert "<catalog>" in caught.value.message


def test_an_unknown_preferred_version_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        import_wsdl("calc.wsdl", bundle(), connector_id="c", preferred_soap_version="2")


def test_roots_of_a_folder_leave_out_the_parts_they_import() -> None:
    files = bundle("multi")
    assert wsdl_roots(files) == ["main.wsdl"]
    assert wsdl_roots({**files, "extra.wsdl": bundle()["calc.wsdl"]}) == [
        "extra.wsdl", "main.wsdl"]


def test_roots_when_imports_go_in_a_circle() -> None:
    a = (b'<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">'
         b'<wsdl:import namespace="urn:b" location="b.wsdl"/><wsdl:service name="S"/>'
         b"</wsdl:definitions>")
    b = (b'<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">'
         b'<wsdl:import namespace="urn:a" location="a.wsdl"/></wsdl:definitions>')
    assert wsdl_roots({"a.wsdl": a, "b.wsdl": b}) == ["a.wsdl"]


def test_a_latin_1_wsdl_is_stored_as_text_that_loads_again() -> None:
    text = bundle()["calc.wsdl"].decode().replace(
        'encoding="UTF-8"', 'encoding="ISO-8859-1"').replace(
        "Adds and divides numbers.", "Additionne et divise des nombres réels.")
    result = import_wsdl("calc.wsdl", {"calc.wsdl": text.encode("latin-1")},
                         connector_id="calc")
    assert result.connector is not None
    assert result.connector.description == "Additionne et divise des nombres réels."
    stored = result.connector.documents["calc.wsdl"]
    assert "réels" in stored
    again = load_wsdl("calc.wsdl", {"calc.wsdl": stored.encode("utf-8")})
    assert list(again.document.services) == ["Calc"]
