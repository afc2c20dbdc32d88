"""SOAP-to-REST and pass-through through a running gateway, to real spyne services.

Each test calls the gateway over HTTP the way a client would, over SOAP 1.1 and 1.2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gateway.conftest import RunningGateway
from tests.gateway.soap.conftest import connect, envelope, handler_of
from tests.gateway.soap.services import SoapServer
from tests.support import web

VERSIONS = [("soap11", "1.1"), ("soap12", "1.2")]


@pytest.mark.parametrize(("route", "version"), VERSIONS)
def test_json_call_by_operation_id(soap_gateway: RunningGateway, soap_server: SoapServer,
                                   route: str, version: str) -> None:
    connection = connect(soap_gateway, soap_server, route)
    with soap_gateway.client() as client:
        answer = client.post(f"/v1/connections/{connection}/operations/add",
                             json={"a": 2, "b": 40})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"addResult": 42}
    sent = soap_server.requests[-1]
    if version == "1.1":
        assert sent.headers["soapaction"] == '"add"'
        assert sent.headers["content-type"].startswith("text/xml")
    else:
        assert sent.headers["content-type"].startswith("application/soap+xml")
        assert 'action="add"' in sent.headers["content-type"]


@pytest.mark.parametrize(("route", "version"), VERSIONS)
def test_json_call_through_apim(soap_gateway: RunningGateway, soap_server: SoapServer,
                                route: str, version: str) -> None:
    connection = connect(soap_gateway, soap_server, route)
    person = {"name": "Ada", "age": 36, "tags": {"string": ["math", "engines"]},
              "address": {"street": "St James's Sq", "city": "London"}}
    with soap_gateway.client() as client:
        answer = client.post(f"/apim/{route}/{connection}/echo_person", json={"person": person})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"echo_personResult": person}
    sent = soap_server.requests[-1].headers
    assert sent["x-ms-client-request-id"] == answer.headers["x-request-id"]
    assert "application/json" not in sent["content-type"]


@pytest.mark.parametrize(("route", "version"), VERSIONS)
def test_zero_one_and_many_element_arrays_round_trip(
        soap_gateway: RunningGateway, soap_server: SoapServer, route: str, version: str) -> None:
    connection = connect(soap_gateway, soap_server, route)
    with soap_gateway.client() as client:
        def call(operation: str, body: dict[str, object]) -> object:
            answer = client.post(f"/v1/connections/{connection}/operations/{operation}",
                                 json=body)
            assert answer.status_code == 200, answer.text
            return answer.json()

        assert call("count", {"items": {"string": []}}) == {"countResult": 0}
        assert call("count", {"items": {"string": ["one"]}}) == {"countResult": 1}
        assert call("count", {"items": {"string": ["a", "b", "c"]}}) == {"countResult": 3}
        assert call("list_items", {"n": 0}) == {"list_itemsResult": {"string": []}}
        assert call("list_items", {"n": 1}) == {"list_itemsResult": {"string": ["item0"]}}
        assert call("list_items", {"n": 2}) == {
            "list_itemsResult": {"string": ["item0", "item1"]}}


@pytest.mark.parametrize(("route", "version"), VERSIONS)
def test_soap_headers(soap_gateway: RunningGateway, soap_server: SoapServer, route: str,
                      version: str) -> None:
    connection = connect(soap_gateway, soap_server, route)
    with soap_gateway.client() as client:
        with_header = client.post(f"/v1/connections/{connection}/operations/whoami",
                                  json={"_soapheaders": {"AuthHeader": {"token": "t-77"}}})
        without = client.post(f"/v1/connections/{connection}/operations/whoami", json={})
    assert with_header.json() == {"whoamiResult": "t-77"}
    assert without.json() == {"whoamiResult": "anonymous"}


@pytest.mark.parametrize(("route", "version", "code"), [
    ("soap11", "1.1", "soap11env:Client.DivideByZero"), ("soap12", "1.2", "soap12env:Sender")])
def test_a_fault_becomes_the_error_shape(soap_gateway: RunningGateway, soap_server: SoapServer,
                                         route: str, version: str, code: str) -> None:
    connection = connect(soap_gateway, soap_server, route)
    with soap_gateway.client() as client:
        answer = client.post(f"/v1/connections/{connection}/operations/divide",
                             json={"a": 7, "b": 0})
    assert answer.status_code == 502
    error = answer.json()["error"]
    assert error["code"] == "SoapFault"
    assert error["message"] == "the SOAP service answered with a fault: division by zero"
    fault = error["details"][0]
    assert (fault["faultCode"], fault["faultString"]) == (code, "division by zero")
    assert fault["detail"] == {"dividend": "7"}


def test_input_that_does_not_fit_is_a_400(soap_gateway: RunningGateway,
                                          soap_server: SoapServer) -> None:
    connection = connect(soap_gateway, soap_server, "soap11")
    with soap_gateway.client() as client:
        answer = client.post(f"/v1/connections/{connection}/operations/add",
                             json={"a": 1, "nope": 2})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "SoapRequestInvalid"
    assert "nope" in answer.json()["error"]["message"]


@pytest.mark.parametrize(("route", "version"), VERSIONS)
def test_pass_through_forwards_the_envelope_unchanged(
        soap_gateway: RunningGateway, soap_server: SoapServer, route: str, version: str) -> None:
    connection = connect(soap_gateway, soap_server, route)
    body = envelope(version, "add", "<t:a>20</t:a><t:b>22</t:b>")
    content_type = "text/xml; charset=utf-8" if version == "1.1" else \
        'application/soap+xml; charset=utf-8; action="add"'
    with soap_gateway.client() as client:
        answer = client.post(f"/apim/{route}/{connection}/add", content=body,
                             headers={"content-type": content_type, "soapaction": '"add"'})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(content_type.split(";")[0])
    assert b"<tns:addResult>42</tns:addResult>" in answer.content
    assert soap_server.requests[-1].body == body


@pytest.mark.parametrize(("route", "version"), VERSIONS)
def test_pass_through_returns_faults_as_they_are(
        soap_gateway: RunningGateway, soap_server: SoapServer, route: str, version: str) -> None:
    connection = connect(soap_gateway, soap_server, route)
    body = envelope(version, "divide", "<t:a>1</t:a><t:b>0</t:b>")
    with soap_gateway.client() as client:
        answer = client.post(f"/apim/{route}/{connection}/divide", content=body,
                             headers={"content-type": "text/xml" if version == "1.1"
                                      else "application/soap+xml"})
    assert answer.status_code == 500
    assert b"division by zero" in answer.content
    assert b"Fault" in answer.content


def test_the_zeep_client_is_built_once_per_connector_version(
        soap_gateway: RunningGateway, soap_server: SoapServer) -> None:
    connection = connect(soap_gateway, soap_server, "soap11")
    with soap_gateway.client() as client:
        for n in range(5):
            answer = client.post(f"/v1/connections/{connection}/operations/add",
                                 json={"a": n, "b": 1})
            assert answer.json() == {"addResult": n + 1}
    assert handler_of(soap_gateway).clients.builds == 1
    # A new version of the connector (here: its SOAP 1.2 WSDL) gets a client of its own.
    wsdl = web.get(soap_server.url("soap12") + "/?wsdl", timeout=10).content
    with soap_gateway.client() as client:
        put = client.put("/v1/connectors/soap11", content=wsdl,
                         headers={"content-type": "text/xml"})
        assert put.status_code == 200, put.text
        soap_gateway.services.proxy.forget()
        answer = client.post(f"/v1/connections/{connection}/operations/add",
                             json={"a": 1, "b": 1})
    assert answer.json() == {"addResult": 2}
    assert soap_server.requests[-1].path == "/soap12/"
    assert handler_of(soap_gateway).clients.builds == 2


def test_wsdl_http_get_and_post_bindings(soap_gateway: RunningGateway,
                                         soap_server: SoapServer) -> None:
    wsdl = (Path(__file__).parent / "fixtures" / "http_binding.wsdl").read_text()
    wsdl = wsdl.replace("ADDRESS", soap_server.url("http"))
    with soap_gateway.client() as client:
        put = client.put("/v1/connectors/httpcalc", content=wsdl.encode(),
                         headers={"content-type": "text/xml"})
        assert put.status_code in (200, 201), put.text
        made = client.put("/v1/connections/httpcalc", json={
            "connector": "httpcalc", "parameters": {"parameterSet": "none"}})
        assert made.status_code in (200, 201), made.text
        operations = client.get("/v1/connectors/httpcalc").json()["operations"]
        assert sorted(op["operationId"] for op in operations) == [
            "CalcHttpGet_Add", "CalcHttpPost_Add"]
        got = client.post("/v1/connections/httpcalc/operations/CalcHttpGet_Add",
                          json={"a": 2, "b": 3})
        assert got.status_code == 200, got.text
        assert got.json() == {"int": 5}
        assert (soap_server.requests[-1].method, soap_server.requests[-1].path) == (
            "GET", "/http/Add?a=2&b=3")
        posted = client.post("/v1/connections/httpcalc/operations/CalcHttpPost_Add",
                             json={"a": 20, "b": 22})
        assert posted.status_code == 200, posted.text
        assert posted.json() == {"int": 42}
        sent = soap_server.requests[-1]
        assert (sent.method, sent.body) == ("POST", b"a=20&b=22")
        assert sent.headers["content-type"] == "application/x-www-form-urlencoded"


def test_a_service_that_declares_no_security_connects_with_no_parameters(
        soap_gateway: RunningGateway, soap_server: SoapServer) -> None:
    wsdl = web.get(soap_server.url("soap11") + "/?wsdl", timeout=10).content
    with soap_gateway.client() as client:
        assert client.put("/v1/connectors/open", content=wsdl,
                          headers={"content-type": "text/xml"}).status_code == 201
        created = client.put("/v1/connections/open-conn",
                             json={"connector": "open", "parameters": {}})
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "Connected"
        answer = client.post("/v1/connections/open-conn/operations/add",
                             json={"a": 1, "b": 2})
        half = client.put("/v1/connections/half-conn", json={
            "connector": "open", "parameters": {"username": "u"}})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"addResult": 3}
    assert "authorization" not in soap_server.requests[-1].headers
    # Something given that fits no way fully is still a question, not a guess.
    assert half.status_code == 400


def test_input_that_does_not_fit_points_at_the_field(soap_gateway: RunningGateway,
                                                     soap_server: SoapServer) -> None:
    connection = connect(soap_gateway, soap_server, "soap11")
    before = len(soap_server.requests)
    with soap_gateway.client() as client:
        unknown = client.post(f"/v1/connections/{connection}/operations/add",
                              json={"a": 2, "b": 40, "c": 1})
        nested = client.post(f"/v1/connections/{connection}/operations/echo_person",
                             json={"person": {"name": 3}})
        wrong = client.post(f"/v1/connections/{connection}/operations/add",
                            json={"a": "x", "b": 1})
    assert unknown.status_code == 400
    assert [(d["name"], d["pointer"]) for d in unknown.json()["error"]["details"]] == [
        ("c", "/c")]
    # A nillable field that is neither null nor its type: the field inside is named.
    assert nested.status_code == 400
    assert [d["pointer"] for d in nested.json()["error"]["details"]] == ["/person/name"]
    assert wrong.json()["error"]["details"][0]["pointer"] == "/a"
    assert "integer" in wrong.json()["error"]["details"][0]["message"]
    assert len(soap_server.requests) == before  # nothing reached the service
