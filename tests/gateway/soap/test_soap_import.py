"""Hostile WSDL uploads through the gateway's API: refused, and nothing stored."""

from __future__ import annotations

import pytest

from tests.gateway.conftest import RunningGateway
from tests.importers.wsdl.test_hostile import BILLION_LAUGHS, WSDL_WITH_IMPORT


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
