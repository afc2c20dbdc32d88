"""Credentials on SOAP calls, in both modes: basic, WS-Security, API key, client cert."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.gateway.conftest import RunningGateway
from tests.gateway.soap.conftest import connect, envelope
from tests.gateway.soap.services import (
    API_KEY,
    PASSWORD,
    USER,
    WSSE,
    Pki,
    SoapServer,
    make_pki,
    soap_services,
)
from tests.support import web

BASIC = {"parameterSet": "basic", "username": USER, "password": PASSWORD}
WS_SECURITY = {"parameterSet": "wsse", "username": USER, "password": PASSWORD}


def _add(gateway: RunningGateway, connection: str) -> httpx.Response:
    with gateway.client() as client:
        return client.post(f"/v1/connections/{connection}/operations/add",
                           json={"a": 1, "b": 2})


def test_basic_auth_json_and_pass_through(soap_gateway: RunningGateway,
                                          soap_server: SoapServer) -> None:
    connection = connect(soap_gateway, soap_server, "basic11", parameters=BASIC)
    answer = _add(soap_gateway, connection)
    assert answer.json() == {"addResult": 3}
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert soap_server.requests[-1].headers["authorization"] == expected

    body = envelope("1.1", "add", "<t:a>4</t:a><t:b>5</t:b>")
    with soap_gateway.client() as client:
        passed = client.post(f"/apim/basic11/{connection}/add", content=body,
                             headers={"content-type": "text/xml", "soapaction": '"add"'})
    assert passed.status_code == 200
    assert b"<tns:addResult>9</tns:addResult>" in passed.content
    sent = soap_server.requests[-1]
    assert (sent.body, sent.headers["authorization"]) == (body, expected)


def test_wrong_credentials_are_an_upstream_error_without_the_secret(
        soap_gateway: RunningGateway, soap_server: SoapServer) -> None:
    connection = connect(soap_gateway, soap_server, "basic11",
                         parameters={**BASIC, "password": "wrong-and-secret"})
    answer = _add(soap_gateway, connection)
    assert answer.status_code == 502
    error = answer.json()["error"]
    assert error["code"] == "SoapHttpError"
    assert error["details"][0]["httpStatus"] == 401
    assert "wrong-and-secret" not in answer.text


@pytest.mark.parametrize(("route", "version"), [("wsse11", "1.1"), ("wsse12", "1.2")])
def test_ws_security_username_token(soap_gateway: RunningGateway, soap_server: SoapServer,
                                    route: str, version: str) -> None:
    connection = connect(soap_gateway, soap_server, route, parameters=WS_SECURITY)
    assert _add(soap_gateway, connection).json() == {"addResult": 3}
    sent = soap_server.requests[-1]
    assert WSSE.encode() in sent.body
    assert "authorization" not in sent.headers  # WS-Security only, not HTTP basic too

    body = envelope(version, "add", "<t:a>10</t:a><t:b>5</t:b>")
    with soap_gateway.client() as client:
        passed = client.post(
            f"/apim/{route}/{connection}/add", content=body,
            headers={"content-type": "text/xml" if version == "1.1"
                     else "application/soap+xml"})
    assert passed.status_code == 200, passed.text
    assert b"<tns:addResult>15</tns:addResult>" in passed.content
    assert b"UsernameToken" in soap_server.requests[-1].body


def test_api_key_header(soap_gateway: RunningGateway, soap_server: SoapServer) -> None:
    connection = connect(soap_gateway, soap_server, "key12",
                         parameters={"parameterSet": "apiKey", "api_key": API_KEY})
    assert _add(soap_gateway, connection).json() == {"addResult": 3}
    assert soap_server.requests[-1].headers["x-api-key"] == API_KEY


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


@pytest.fixture(scope="module")
def tls_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoapServer]:
    directory: Path = tmp_path_factory.mktemp("tls")
    with soap_services(tls=pki.server_context(str(directory))) as server:
        yield server


def test_client_certificate(soap_gateway: RunningGateway, tls_server: SoapServer,
                            pki: Pki, tmp_path: Path) -> None:
    # The test itself fetches the WSDL with the client certificate; the service refuses
    # any TLS connection without one.
    (tmp_path / "client.pem").write_text(pki.client_cert + pki.client_key)
    import ssl

    context = ssl.create_default_context(cadata=pki.ca)
    context.load_cert_chain(str(tmp_path / "client.pem"))
    wsdl = web.get(tls_server.url("soap11") + "/?wsdl", verify=context).content
    with soap_gateway.client() as client:
        put = client.put("/v1/connectors/tls11", content=wsdl,
                         headers={"content-type": "text/xml"})
        assert put.status_code in (200, 201), put.text
        made = client.put("/v1/connections/tls-conn", json={"connector": "tls11", "parameters": {
            "parameterSet": "clientCertificate",
            "certificate": pki.client_cert + pki.client_key,
            "server_ca_certificate": pki.ca}})
        assert made.status_code in (200, 201), made.text
        answer = client.post("/v1/connections/tls-conn/operations/add", json={"a": 5, "b": 6})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"addResult": 11}
        body = envelope("1.1", "add", "<t:a>1</t:a><t:b>1</t:b>")
        passed = client.post("/apim/tls11/tls-conn/add", content=body,
                             headers={"content-type": "text/xml"})
        assert passed.status_code == 200, passed.text
        assert b"<tns:addResult>2</tns:addResult>" in passed.content
        assert pki.client_key not in answer.text
