"""SOAP pass-through at a connection's root: the envelope says which operation it is for.

Real spyne services behind a running gateway, called over HTTP the way SOAP clients call
one endpoint address: by hand (SOAP 1.1 and 1.2) and with a real zeep client whose
service address is the gateway's connection root.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import zeep
from zeep.transports import Transport

from tests.gateway.conftest import RunningGateway
from tests.gateway.soap.conftest import connect, envelope
from tests.gateway.soap.services import PASSWORD, USER, SoapServer

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
