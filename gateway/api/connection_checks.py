"""POST /v1/connections/{name}/test: what decides a connection's status.

Where the connector declares a test operation (``x-ms-capabilities`` ``testConnection``)
it is called through the data plane with its declared parameters: a 2xx answer means
``Connected``, 401 or 403 ``Unauthenticated``, anything else ``Error``. Otherwise the
configured check runs: an OAuth connection must obtain a valid access token (refreshing
it when needed); any other needs the credentials of one of its connector's auth schemes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from gateway.api.auth import services_of
from gateway.errors import PortwayError
from gateway.oauth import OAUTH_MODES, ConnectionUnauthenticated, auth_mode, token_keeper
from gateway.proxy.credentials import choose_scheme
from gateway.store.principals import Principal
from importers import Connector


@dataclass(frozen=True)
class CheckOutcome:
    status: str
    reason: str
    checked_with: str


def declared_test_operation(connector: Connector) -> tuple[str, dict[str, Any]] | None:
    """The connector's declared test operation and its parameters, if any."""
    capability = connector.capabilities.get("testConnection")
    if not isinstance(capability, dict):
        return None
    operation_id = capability.get("operationId")
    if not isinstance(operation_id, str) or connector.operation(operation_id) is None:
        return None
    parameters = capability.get("parameters")
    return operation_id, dict(parameters) if isinstance(parameters, dict) else {}


async def run_test(request: Request, caller: Principal, name: str) -> CheckOutcome:
    services = services_of(request)
    record = await services.db.run(services.connections.get, name)
    connector = (await services.db.run(services.connectors.get, record.connector_id)).connector
    declared = declared_test_operation(connector)
    if declared is not None:
        operation_id, arguments = declared
        return await _call_test_operation(request, caller, name, operation_id, arguments)
    secrets = await services.db.run(services.connections.secrets, name)
    mode = auth_mode(connector, record.parameters, secrets.keys())
    if mode in OAUTH_MODES:
        try:
            await token_keeper(services).access_token(record, connector, secrets)
        except ConnectionUnauthenticated as exc:
            return CheckOutcome("Unauthenticated", exc.message, "oauth-token")
        except PortwayError as exc:
            return CheckOutcome("Error", exc.message, "oauth-token")
        return CheckOutcome("Connected", "", "oauth-token")
    if mode == "none" or not connector.auth:
        return CheckOutcome("Connected", "", "none")
    if choose_scheme(connector, secrets) is None:
        return CheckOutcome("Error", "the connection holds the credentials of none of its "
                           "connector's auth schemes", "credentials")
    return CheckOutcome("Connected", "", "credentials")


async def _call_test_operation(request: Request, caller: Principal, name: str,
                               operation_id: str, arguments: dict[str, Any]) -> CheckOutcome:
    proxy = request.app.state.proxy
    checked = f"operation {operation_id}"
    try:
        response = await proxy.call_operation(caller, name, operation_id, arguments)
    except ConnectionUnauthenticated as exc:
        return CheckOutcome("Unauthenticated", exc.message, checked)
    except PortwayError as exc:
        if exc.status_code == 403 and exc.code == "Forbidden":
            raise
        return CheckOutcome("Error", exc.message, checked)
    status = int(response.status)
    async for _chunk in response.body:
        pass  # drain, so the upstream connection is released
    if 200 <= status < 300:
        return CheckOutcome("Connected", "", checked)
    reason = f"the test operation {operation_id} answered HTTP {status}"
    if status in (401, 403):
        return CheckOutcome("Unauthenticated", reason, checked)
    return CheckOutcome("Error", reason, checked)
