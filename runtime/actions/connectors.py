"""Connector calls: ``ApiConnection`` (a managed or custom connector, through the
gateway's whole data plane) and ``ServiceProvider`` (a built-in connector, through
``runtime/builtins/registry.py``).

``ApiConnection`` names its connection by ``inputs.host.connection.referenceName`` (or
``name`` written as ``@parameters('$connections')['<ref>']['connectionId']``, the
Consumption form, or an expression that picks the ``$connections`` entry at run time);
the workflow's connection references map it to a Portway connection,
which is called under the workflow's own principal, so the linked access check,
policies, validation, credentials, throttling and the egress guard all apply. A refusal
fails the action with the gateway's error (``Forbidden`` for the access check) and sends
nothing upstream. ``host`` is read as written: the engine does not evaluate it.

A ``202 Accepted`` with a ``Location`` starts Logic Apps' asynchronous pattern, as for
``Http`` (unless ``operationOptions`` says ``DisableAsyncPattern``): the action suspends
durably and polls the Location with ``GET`` on the same connection, after
``Retry-After`` (or 20 seconds), until the answer is not 202.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from gateway import NotFound, PortwayError, Services, call_connection
from gateway.expressions import to_string
from runtime.actions.base import ActionContext, ActionResult, Finding, Suspend
from runtime.actions.common import (
    LeafHandler,
    check_kind,
    failed,
    is_expression_text,
    require,
    succeeded,
)
from runtime.actions.http import finish
from runtime.actions.http_content import (
    encode_request,
    request_headers,
)
from runtime.builtins.calling import calling
from runtime.builtins.registry import provider_for

_CONSUMPTION_REFERENCE = re.compile(
    r"parameters\(\s*'\$connections'\s*\)\s*\[\s*'([^']+)'\s*\]", re.IGNORECASE)
_CONNECTIONS_PARAMETER = re.compile(r"parameters\(\s*'\$connections'\s*\)", re.IGNORECASE)


def _connection_of(host: Any) -> Mapping[str, Any] | None:
    connection = host.get("connection") if isinstance(host, Mapping) else None
    return connection if isinstance(connection, Mapping) else None


def computed_reference(host: Any) -> str | None:
    """``host.connection.name`` when it picks its ``$connections`` entry at run time
    (``@parameters('$connections')[concat('sb_', ...)]['connectionId']``), else None."""
    connection = _connection_of(host)
    name = connection.get("name") if connection is not None else None
    if isinstance(name, str) and name.startswith("@") and _CONNECTIONS_PARAMETER.search(name):
        return name
    return None


def resolve_reference(context: ActionContext, host: Any) -> str | None:
    """The reference an action names, evaluating a computed one against the workflow's
    connection references (each ``$connections`` entry's ``connectionId`` is its own
    name)."""
    named = reference_name(host)
    if named is not None:
        return named
    expression = computed_reference(host)
    if expression is None:
        return None
    table = {ref: {"connectionId": ref, "connectionName": ref, "id": ref}
             for ref in context.version.connection_references}
    literal = "json('" + json.dumps(table).replace("'", "''") + "')"
    try:
        found = context.evaluate(_CONNECTIONS_PARAMETER.sub(lambda _: literal, expression))
    except PortwayError:
        return None
    return found if isinstance(found, str) else None


def reference_name(host: Any) -> str | None:
    """The connection reference an ``ApiConnection``'s ``host`` names, or None."""
    connection = _connection_of(host)
    if not isinstance(connection, Mapping):
        return None
    named = connection.get("referenceName")
    if isinstance(named, str) and named:
        return named
    name = connection.get("name")
    if isinstance(name, str):
        found = _CONSUMPTION_REFERENCE.search(name)
        if found:
            return found.group(1)
        if name and not name.startswith("@"):
            return name
    return None


async def location_on_connection(services: Services, connection: str, location: str
                                 ) -> tuple[str, list[tuple[str, str]]]:
    """A ``Location`` an upstream gave, as a path and query on the same connection.

    Only its path and query are used, so an upstream cannot send the connection's
    credentials to another host: a Location under Logic Apps' ``/apim/<connector>/
    <connection>/`` or under the connector's base path is taken relative to it.
    """
    parts = urlsplit(location)
    path = parts.path or "/"
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not parts.netloc:
        return path, query
    marker = "/apim/"
    if marker in path:
        rest = path.split(marker, 1)[1].split("/", 2)
        if len(rest) == 3 and rest[1] == connection:
            return "/" + rest[2], query
    try:
        record = await services.db.run(services.connections.get, connection)
        found = await services.db.run(services.connectors.get, record.connector_id)
    except NotFound:
        return path, query
    base = urlsplit(found.connector.base_url).path.rstrip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base):] or "/"
    return path, query


def error_result(error: PortwayError, shown: Any) -> ActionResult:
    """A refusal or failure of the gateway as the action's result."""
    outputs = {"statusCode": error.status_code,
               "body": {"error": {"code": error.code, "message": error.message}}}
    return failed(error.code, error.message, outputs=outputs, inputs=shown,
                  retryable=error.retryable)


class ApiConnection(LeafHandler):
    type = "ApiConnection"
    deferred_inputs = frozenset({"host"})

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        host = inputs.get("host")
        if reference_name(host) is None and computed_reference(host) is None:
            findings.append(Finding(f"{pointer}/inputs/host",
                                    "'inputs.host.connection' must name a connection "
                                    "reference ('referenceName')"))
        require(inputs, "method", pointer, findings, kinds=(str,))
        require(inputs, "path", pointer, findings, kinds=(str,))
        for key in ("headers", "queries"):
            check_kind(inputs, key, pointer, findings, kinds=(dict,))

    async def run(self, context: ActionContext) -> ActionResult | Suspend:
        request = self._request(context)
        if isinstance(request, ActionResult):
            return request
        connection, shown, headers = request
        inputs = context.inputs if isinstance(context.inputs, Mapping) else {}
        body = encode_request(inputs.get("body"), headers)
        queries = inputs.get("queries")
        query = [(str(k), to_string(v)) for k, v in queries.items()] \
            if isinstance(queries, Mapping) else []
        return await self._call(context, connection, shown, headers, str(
            inputs.get("method", "")).upper(), to_string(inputs.get("path", "")), query, body)

    async def resume(self, context: ActionContext, state: Mapping[str, Any]
                     ) -> ActionResult | Suspend:
        """Poll a 202's Location once more: a GET on the same connection, with the same
        headers, through the same pipeline (Logic Apps' asynchronous pattern)."""
        request = self._request(context)
        if isinstance(request, ActionResult):
            return request
        connection, shown, headers = request
        path, query = await location_on_connection(context.services, connection,
                                                   str(state.get("location", "")))
        return await self._call(context, connection, shown, headers, "GET", path, query,
                                None, polls=int(state.get("polls", 0)))

    @staticmethod
    def _request(context: ActionContext
                 ) -> tuple[str, dict[str, Any], dict[str, str]] | ActionResult:
        """The connection, the inputs as shown, and the headers of a call."""
        inputs = context.inputs if isinstance(context.inputs, Mapping) else {}
        reference = resolve_reference(context, context.action.get("inputs", {}).get("host"))
        shown = {key: inputs[key] for key in ("method", "path", "queries", "headers", "body")
                 if key in inputs}
        shown["host"] = {"connection": {"referenceName": reference}}
        connection = context.version.connection_references.get(reference or "")
        if connection is None:
            return failed("ConnectionNotFound",
                          f"The workflow has no connection reference '{reference}'.",
                          inputs=shown)
        headers = context.workflow_headers()
        headers.update(request_headers(inputs.get("headers")))
        return connection, shown, headers

    @staticmethod
    async def _call(context: ActionContext, connection: str, shown: dict[str, Any],
                    headers: dict[str, str], method: str, path: str,
                    query: list[tuple[str, str]], body: bytes | None, polls: int = 0
                    ) -> ActionResult | Suspend:
        try:
            answer = await call_connection(
                context.services, context.version.principal, connection, method,
                path, query=query, headers=headers, body=body,
                request_id=headers.get("x-ms-tracking-id", ""))
        except PortwayError as exc:
            return error_result(exc, shown)
        # The Location of a 202 is kept as given; only its path is ever called.
        return finish(context, answer, shown, url="", polls=polls)


class ServiceProvider(LeafHandler):
    type = "ServiceProvider"

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        config = require(inputs, "serviceProviderConfiguration", pointer, findings,
                         kinds=(dict,))
        check_kind(inputs, "parameters", pointer, findings, kinds=(dict,))
        if not isinstance(config, Mapping):
            return
        where = f"{pointer}/inputs/serviceProviderConfiguration"
        for key in ("connectionName", "operationId", "serviceProviderId"):
            if not isinstance(config.get(key), str) or not config[key]:
                findings.append(Finding(f"{where}/{key}", f"'{key}' is required"))
        provider_id, operation = config.get("serviceProviderId"), config.get("operationId")
        if not isinstance(provider_id, str) or is_expression_text(provider_id):
            return
        provider = provider_for(provider_id)
        if provider is None:
            findings.append(Finding(f"{where}/serviceProviderId",
                                    f"Portway has no built-in connector '{provider_id}'"))
        elif isinstance(operation, str) and operation not in provider.operations():
            findings.append(Finding(f"{where}/operationId",
                                    f"the built-in connector '{provider_id}' has no "
                                    f"operation '{operation}'"))

    async def run(self, context: ActionContext) -> ActionResult:
        inputs = context.inputs if isinstance(context.inputs, Mapping) else {}
        config = inputs.get("serviceProviderConfiguration") or {}
        parameters = inputs.get("parameters") or {}
        provider_id = str(config.get("serviceProviderId", ""))
        operation = str(config.get("operationId", ""))
        connection_name = str(config.get("connectionName", ""))
        # The run record shows what the action was given, as Logic Apps' run history does.
        shown = {"parameters": parameters, "serviceProviderConfiguration": config}
        provider = provider_for(provider_id)
        if provider is None or operation not in provider.operations():
            return failed("NotFound", f"Portway has no built-in connector '{provider_id}' "
                                      f"with an operation '{operation}'.", inputs=shown)
        connection = context.version.service_provider_connections.get(connection_name)
        if connection is None:
            return failed("ConnectionNotFound",
                          f"The workflow has no service provider connection "
                          f"'{connection_name}'.", inputs=shown)
        values = connection.get("parameterValues") or {}
        try:
            with calling(context.services):
                outputs = await provider.invoke(operation, values, parameters)
        except PortwayError as exc:
            return failed(exc.code, exc.message, retryable=exc.retryable, inputs=shown)
        return succeeded(outputs, inputs=shown)
