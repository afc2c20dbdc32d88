"""Fixtures for SOAP through the gateway: the spyne services and a gateway that has the
SOAP handler installed, on SQLite (the suite-wide default)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gateway.soap.protocol import SoapProtocolHandler
from tests.gateway.conftest import RunningGateway
from tests.gateway.soap.services import SoapServer, soap_services
from tests.support import web


@pytest.fixture(scope="session")
def soap_server() -> Iterator[SoapServer]:
    with soap_services() as server:
        yield server



@pytest.fixture
def soap_gateway(gateway: RunningGateway) -> RunningGateway:
    """The running gateway; the app installs the SOAP handler itself on start."""
    assert isinstance(gateway.services.protocols["soap"], SoapProtocolHandler)
    return gateway


def handler_of(gateway: RunningGateway) -> SoapProtocolHandler:
    handler: SoapProtocolHandler = gateway.services.protocols["soap"]
    return handler


def connect(gateway: RunningGateway, server: SoapServer, route: str, *,
            parameters: dict[str, Any] | None = None, name: str | None = None) -> str:
    """Import the WSDL the spyne service at ``route`` publishes, and open a connection.

    Returns:
        The connection's name (the connector's id is ``route``).
    """
    wsdl = web.get(server.url(route) + "/?wsdl", timeout=10).content
    with gateway.client() as client:
        answer = client.put(f"/v1/connectors/{route}", content=wsdl,
                            headers={"content-type": "text/xml"})
        assert answer.status_code in (200, 201), answer.text
        connection = name or f"{route}-conn"
        answer = client.put(f"/v1/connections/{connection}",
                            json={"connector": route,
                                  "parameters": parameters or {"parameterSet": "none"}})
        assert answer.status_code in (200, 201), answer.text
    return connection


def envelope(version: str, operation: str, inner: str) -> bytes:
    """A hand-written SOAP request envelope, as a caller that speaks SOAP sends it."""
    namespace = ("http://schemas.xmlsoap.org/soap/envelope/" if version == "1.1"
                 else "http://www.w3.org/2003/05/soap-envelope")
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<e:Envelope xmlns:e="{namespace}" '
            f'xmlns:t="urn:portway:test"><e:Body><t:{operation}>{inner}</t:{operation}>'
            f"</e:Body></e:Envelope>").encode()
