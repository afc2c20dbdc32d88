"""SOAP pass-through at a connection's root: the envelope says which operation it is for.

Real spyne services behind a running gateway, called over HTTP the way SOAP clients call
one endpoint address: by hand (SOAP 1.1 and 1.2) and with a real zeep client whose
service address is the gateway's connection root.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import make_server

import pytest
import requests
import zeep
from zeep.transports import Transport

from tests.gateway.conftest import RunningGateway
from tests.gateway.soap.conftest import connect, envelope
from tests.gateway.soap.services import PASSWORD, USER, SoapServer, _Quiet
from tests.support import web

SOAP11 = "text/xml; charset=utf-8"
SOAP12 = "application/soap+xml; charset=utf-8"


@pytest.mark.parametrize("suffix", ["", "/"])
def test_soap11_action_header_routes_a_root_call(
        soap_gateway: RunningGateway, soap_server: SoapServer, suffix: str) -> None:
    connection = connect(soap_gateway, soap_server, "soap11")
    body = envelope("1.1", "add", "<t:a>20</t:a><t:b>22</t:b>")
    with soap_gateway.client() as client:
        answer = client.post(f"/apim/soap11/{connection}{suffix}", content=body,
                             headers={"content-type": SOAP11, "soapaction": '"add"'})
    assert answer.status_code == 200, answer.text
    assert b"<tns:addResult>42</tns:addResult>" in answer.content
    sent = soap_server.requests[-1]
    assert sent.path == "/soap11/"
    assert sent.body == body  # byte for byte
    assert sent.headers["soapaction"] == '"add"'


def test_soap12_action_parameter_routes_a_root_call(
        soap_gateway: RunningGateway, soap_server: SoapServer) -> None:
    connection = connect(soap_gateway, soap_server, "soap12")
    body = envelope("1.2", "divide", "<t:a>84</t:a><t:b>2</t:b>")
    with soap_gateway.client() as client:
        answer = client.post(f"/apim/soap12/{connection}", content=body,
                             headers={"content-type": f'{SOAP12}; action="divide"'})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/soap+xml")
    assert b"<tns:divideResult>42</tns:divideResult>" in answer.content
    assert soap_server.requests[-1].body == body


@pytest.mark.parametrize(("route", "version", "content_type"),
                         [("soap11", "1.1", SOAP11), ("soap12", "1.2", SOAP12)])
def test_without_an_action_the_body_element_decides(
        soap_gateway: RunningGateway, soap_server: SoapServer, route: str, version: str,
        content_type: str) -> None:
    connection = connect(soap_gateway, soap_server, route)
    body = envelope(version, "list_items", "<t:n>2</t:n>")
    with soap_gateway.client() as client:
        answer = client.post(f"/apim/{route}/{connection}/", content=body,
                             headers={"content-type": content_type, "soapaction": '""'})
    assert answer.status_code == 200, answer.text
    assert b"item1" in answer.content
    assert soap_server.requests[-1].body == body


def test_credentials_are_added_to_a_root_call(
        soap_gateway: RunningGateway, soap_server: SoapServer) -> None:
    connection = connect(soap_gateway, soap_server, "basic11", parameters={
        "parameterSet": "basic", "username": USER, "password": PASSWORD})
    body = envelope("1.1", "add", "<t:a>1</t:a><t:b>2</t:b>")
    with soap_gateway.client() as client:
        answer = client.post(f"/apim/basic11/{connection}", content=body,
                             headers={"content-type": SOAP11, "soapaction": "add"})
    assert answer.status_code == 200, answer.text
    assert b"<tns:addResult>3</tns:addResult>" in answer.content
    sent = soap_server.requests[-1]
    assert sent.headers["authorization"].startswith("Basic ")
    assert soap_gateway.owner_token not in str(sent.headers)  # the caller's token stays
    assert sent.body == body


@pytest.mark.parametrize(("action", "inner", "why"), [
    ('"nope"', "add", "SOAP action 'nope'"),
    ('""', "nope", "element '{urn:portway:test}nope'"),
])
def test_an_unknown_action_is_a_404_naming_the_operations(
        soap_gateway: RunningGateway, soap_server: SoapServer, action: str, inner: str,
        why: str) -> None:
    connection = connect(soap_gateway, soap_server, "soap11")
    sent_before = len(soap_server.requests)
    with soap_gateway.client() as client:
        answer = client.post(f"/apim/soap11/{connection}", content=envelope("1.1", inner, ""),
                             headers={"content-type": SOAP11, "soapaction": action})
    assert answer.status_code == 404, answer.text
    error = answer.json()["error"]
    assert error["code"] == "NotFound"
    assert why in error["message"]
    assert "add" in error["details"][0]["operations"]
    assert error["requestId"] == answer.headers["x-request-id"]
    assert len(soap_server.requests) == sent_before  # nothing went out


def test_a_doctype_at_the_root_is_refused_before_sending(
        soap_gateway: RunningGateway, soap_server: SoapServer) -> None:
    connection = connect(soap_gateway, soap_server, "soap11")
    body = (b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x "y">]>'
            + envelope("1.1", "add", "<t:a>&x;</t:a>").split(b"?>", 1)[1])
    sent_before = len(soap_server.requests)
    with soap_gateway.client() as client:
        answer = client.post(f"/apim/soap11/{connection}", content=body,
                             headers={"content-type": SOAP11})
    assert answer.status_code == 400, answer.text
    assert "DOCTYPE" in answer.json()["error"]["message"]
    assert len(soap_server.requests) == sent_before


@pytest.mark.parametrize("doctype", [b'<!DOCTYPE e [<!ENTITY x "y">]>', b"<!DOCTYPE e>"])
def test_a_doctype_in_an_envelope_routed_by_its_action_is_the_caller_s_fault(
        soap_gateway: RunningGateway, soap_server: SoapServer, doctype: bytes) -> None:
    # The action names the operation, so the Body is not read to route: the envelope is
    # first parsed on its way out, and a DOCTYPE there is still a 400, never a 502.
    connection = connect(soap_gateway, soap_server, "soap11")
    body = (b'<?xml version="1.0"?>' + doctype
            + envelope("1.1", "add", "<t:a>1</t:a><t:b>2</t:b>").split(b"?>", 1)[1])
    sent_before = len(soap_server.requests)
    with soap_gateway.client() as client:
        answer = client.post(f"/apim/soap11/{connection}", content=body,
                             headers={"content-type": SOAP11, "soapaction": '"add"'})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "BadRequest"
    assert "DOCTYPE" in answer.json()["error"]["message"]
    assert len(soap_server.requests) == sent_before


def test_a_json_call_to_the_root_still_names_the_operations(
        soap_gateway: RunningGateway, soap_server: SoapServer) -> None:
    connection = connect(soap_gateway, soap_server, "soap11")
    with soap_gateway.client() as client:
        answer = client.post(f"/apim/soap11/{connection}", json={"a": 1})
    assert answer.status_code == 404
    assert "add" in answer.json()["error"]["details"][0]["operations"]


@pytest.mark.parametrize("route", ["soap11", "soap12"])
def test_a_zeep_client_pointed_at_the_connection_root(
        soap_gateway: RunningGateway, soap_server: SoapServer, route: str,
        tmp_path: Path) -> None:
    connection = connect(soap_gateway, soap_server, route)
    stored = soap_gateway.services.connectors.get(route).connector
    wsdl = tmp_path / "service.wsdl"
    wsdl.write_text(next(text for text in stored.documents.values() if "definitions" in text))
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: the gateway is on loopback
    session.headers["Authorization"] = f"Bearer {soap_gateway.owner_token}"
    client = zeep.Client(str(wsdl),  # type: ignore[no-untyped-call]
                         transport=Transport(session=session))  # type: ignore[no-untyped-call]
    binding = next(iter(client.wsdl.bindings))
    service = client.create_service(  # type: ignore[no-untyped-call]
        binding, f"{soap_gateway.url}/apim/{route}/{connection}")
    before = len(soap_server.requests)
    assert service.add(a=40, b=2) == 42
    assert list(service.list_items(n=3)) == ["item0", "item1", "item2"]
    person = service.echo_person(person={"name": "Ada", "age": 36,
                                         "tags": {"string": ["math"]}})
    assert (person.name, person.age, list(person.tags.string)) == ("Ada", 36, ["math"])
    with pytest.raises(zeep.exceptions.Fault) as fault:
        service.divide(a=1, b=0)
    assert fault.value.message == "division by zero"
    assert len(soap_server.requests) == before + 4
    assert all(r.path == f"/{route}/" for r in soap_server.requests[before:])


def _strict_app() -> Any:
    """A spyne SOAP 1.1 service whose input elements are required (minOccurs=1)."""
    from spyne import Application, Integer, ServiceBase, rpc
    from spyne.protocol.soap import Soap11
    from spyne.server.wsgi import WsgiApplication

    class StrictService(ServiceBase):
        @rpc(Integer(min_occurs=1, nillable=False), Integer(min_occurs=1, nillable=False),
             _returns=Integer)
        def multiply(ctx, a, b):  # type: ignore[no-untyped-def]
            return a * b

    return WsgiApplication(Application([StrictService], "urn:portway:strict",
                                       name="StrictService", in_protocol=Soap11(),
                                       out_protocol=Soap11()))


@pytest.fixture(scope="module")
def strict_service() -> Iterator[str]:
    httpd = make_server("127.0.0.1", 0, _strict_app(), handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def test_an_envelope_for_required_inputs_is_not_checked_as_json(
        soap_gateway: RunningGateway, strict_service: str) -> None:
    """Raw envelopes are the service's to check; the JSON schema's ``required`` is not."""
    wsdl = web.get(strict_service + "?wsdl", timeout=10).content
    body = (b'<?xml version="1.0"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/'
            b'envelope/" xmlns:s="urn:portway:strict"><e:Body><s:multiply><s:a>6</s:a>'
            b"<s:b>7</s:b></s:multiply></e:Body></e:Envelope>")
    with soap_gateway.client() as client:
        put = client.put("/v1/connectors/strict", content=wsdl,
                         headers={"content-type": "text/xml"})
        assert put.status_code in (200, 201), put.text
        definition = client.get("/v1/connectors/strict").json()
        (operation,) = definition["operations"]
        assert operation["requestSchema"]["required"] == ["a", "b"]
        opened = client.put("/v1/connections/strict-conn",
                            json={"connector": "strict", "parameters": {"parameterSet": "none"}})
        assert opened.status_code in (200, 201), opened.text
        root = client.post("/apim/strict/strict-conn", content=body,
                           headers={"content-type": SOAP11, "soapaction": '"multiply"'})
        by_id = client.post("/apim/strict/strict-conn/multiply", content=body,
                            headers={"content-type": SOAP11})
        as_json = client.post("/apim/strict/strict-conn/multiply", json={"a": 6, "b": 7})
        missing = client.post("/v1/connections/strict-conn/operations/multiply",
                              json={"a": 6})
    for answer in (root, by_id):
        assert answer.status_code == 200, answer.text
        assert b">42</" in answer.content
    assert as_json.status_code == 200, as_json.text
    assert as_json.json() == {"multiplyResult": 42}
    assert missing.status_code == 400  # calls by operation id are still checked
