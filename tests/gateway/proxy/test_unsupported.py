"""Operations imported as ones Portway cannot carry out (a script.csx implements them) are
refused with 501 in the error shape, saying why, unless the connector opts in."""

from __future__ import annotations

from importers import Connector
from importers.common import SCRIPT_UNSUPPORTED
from tests.gateway.api.test_errors import assert_error_shape
from tests.gateway.conftest import RunningGateway
from tests.gateway.proxy.conftest import Upstream, add_connection, build_connector


def _scripted(upstream: Upstream, connector_id: str, **proxy: object) -> Connector:
    connector = build_connector(upstream.url + "/api", connector_id=connector_id,
                                proxy={"rateLimitCalls": 0, **proxy})
    for operation in connector.operations:
        if operation.operation_id == "getItem":
            operation.unsupported = SCRIPT_UNSUPPORTED
    return connector


def test_a_script_operation_is_501_saying_why(
        gateway: RunningGateway, upstream: Upstream) -> None:
    add_connection(gateway.services, _scripted(upstream, "scripted"), name="scripted-conn")
    with gateway.client() as client:
        refused = client.get("/apim/scripted/scripted-conn/items/1")
        by_id = client.post("/v1/connections/scripted-conn/operations/getItem",
                            json={"id": 1})
        other = client.delete("/apim/scripted/scripted-conn/items/1")
    for answer in (refused, by_id):
        assert_error_shape(answer, 501, "OperationUnsupported")
        assert "script.csx" in answer.json()["error"]["message"]
        assert "callUnsupportedOperations" in answer.json()["error"]["message"]
    assert other.status_code == 200  # the connector's other operations are callable


def test_a_connector_may_opt_in_to_calling_them(gateway: RunningGateway,
                                                upstream: Upstream) -> None:
    add_connection(gateway.services,
                   _scripted(upstream, "optin", callUnsupportedOperations=True),
                   name="optin-conn")
    with gateway.client() as client:
        assert client.get("/apim/optin/optin-conn/items/1").status_code == 200
