"""WSDL uploads through the gateway's API: hostile ones refused with nothing stored, and a
bundle with the quirks other tools read imported and called."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from tests.gateway.conftest import RunningGateway
from tests.gateway.soap.services import SoapServer
from tests.importers.wsdl.test_hostile import BILLION_LAUGHS, WSDL_WITH_IMPORT
from tests.support import web


@pytest.mark.parametrize(("body", "words"), [
    (BILLION_LAUGHS, "DTDs and entities are not allowed"),
    (WSDL_WITH_IMPORT.format(location="http://169.254.169.254/latest/x.xsd").encode(),
     "169.254.169.254"),
    (WSDL_WITH_IMPORT.format(location="file:///etc/passwd").encode(),
     "local files are never read"),
])
def test_a_hostile_wsdl_is_refused_and_nothing_is_stored(
        soap_gateway: RunningGateway, body: bytes, words: str) -> None:
    with soap_gateway.client() as client:
        answer = client.put("/v1/connectors/hostile", content=body,
                            headers={"content-type": "text/xml"})
        assert 400 <= answer.status_code < 500, answer.text
        assert words in answer.text
        assert "root:" not in answer.text
        assert client.get("/v1/connectors/hostile").status_code == 404


def test_a_bundle_with_quirks_imports_and_calls_the_service(
        soap_gateway: RunningGateway, soap_server: SoapServer) -> None:
    # The spyne service's own WSDL, re-shaped as WSDLs written by hand on Windows come:
    # its schema in a file of another letter case, imported with a backslash, straight
    # under wsdl:types.
    wsdl = web.get(soap_server.url("soap11") + "/?wsdl", timeout=10).content
    root = etree.fromstring(wsdl)
    types = root.find("{http://schemas.xmlsoap.org/wsdl/}types")
    assert types is not None
    [schema] = list(types)
    types.remove(schema)
    etree.SubElement(types, "{http://www.w3.org/2001/XMLSchema}import",
                     namespace=schema.get("targetNamespace"),
                     schemaLocation="schemas\\types.XSD")
    upload = io.BytesIO()
    with zipfile.ZipFile(upload, "w") as archive:
        archive.writestr("service.wsdl", etree.tostring(root, xml_declaration=True))
        # Standing alone, the schema declares the prefixes its QName values use.
        alone = etree.Element(schema.tag, dict(schema.attrib), nsmap=root.nsmap)
        alone.extend(list(schema))
        archive.writestr("Schemas/Types.xsd", etree.tostring(alone, xml_declaration=True))
    with soap_gateway.client() as client:
        answer = client.put("/v1/connectors/quirky", content=upload.getvalue(),
                            headers={"content-type": "application/zip"})
        assert answer.status_code == 201, answer.text
        assert {w["rule"] for w in answer.json()["warnings"]} == {
            "wsdl-loose-schema-reference", "wsdl-location-case"}
        made = client.put("/v1/connections/quirky-conn", json={
            "connector": "quirky", "parameters": {"parameterSet": "none"}})
        assert made.status_code == 201, made.text
        added = client.post("/v1/connections/quirky-conn/operations/add",
                            json={"a": 2, "b": 40})
    assert added.status_code == 200, added.text
    assert added.json() == {"addResult": 42}
