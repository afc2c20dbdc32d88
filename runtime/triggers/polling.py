"""One poll of a polling trigger (``Http``, ``ApiConnection``, ``ServiceProvider``), and
what it fires.

Logic Apps' polling contract: the trigger calls its endpoint when its recurrence is due;
``200`` fires, ``202`` (and any other status) does not; a ``Location`` header is the URL of
the next poll and ``Retry-After`` its time (else the recurrence's next occurrence). Both are
kept in the trigger's durable state, so a restart polls where the last poll said. A poll
carries the trigger's workflow headers (``scope.workflow_headers``: the workflow, its
version, the trigger's name as ``x-ms-workflow-operation-name``, a tracking id; no run
id, as no run exists yet) unless ``operationOptions`` is ``SuppressWorkflowHeaders``.

An ``ApiConnection`` trigger (an imported connector's ``x-ms-trigger`` operation) polls
through the gateway's whole data plane under the workflow's principal, as the
``ApiConnection`` action calls (linked access check, policies, credentials, egress guard).
Its ``Location`` is kept as given, but only its path and query are ever used, against the
same connection (a Location under Logic Apps' ``/apim/<connector>/<connection>/`` or
under the connector's base path is taken relative to it): an upstream cannot send the
connection's credentials to another host. ``x-ms-trigger: batch`` operations answer an
array; as in Logic Apps, ``splitOn`` (the designer writes ``@triggerBody()?['value']``)
makes one run per item, and without it one run gets the whole batch; a ``single``
operation's answer is one run.

On a 200, ``splitOn`` (an expression over the trigger's outputs) makes one run per item of
the array it names, each item as the run's ``triggerBody()``; ``conditions`` (every
``expression`` true, evaluated per run) decide which runs fire. Each fire's key is the
poll's sequence number and the item's index: a poll repeated after a crash (same state,
same ``Location``) gives the same run ids, so its runs start once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway import Answer, NotFound, PortwayError, call_connection, send_http
from gateway.expressions import ExpressionError, to_string
from runtime.actions.connectors import location_on_connection, reference_name
from runtime.actions.http import with_queries
from runtime.actions.http_content import (
    encode_request,
    outputs_of,
    request_headers,
    retry_after_seconds,
)
from runtime.builtins.calling import calling
from runtime.builtins.registry import PollingProvider, provider_for
from runtime.engine.interface import WorkflowVersion
from runtime.host import RuntimeHost
from runtime.triggers.scope import TriggerScope, split_and_filter, workflow_headers

__all__ = ["PollOutcome", "poll_api_connection", "poll_http", "poll_provider"]

_NO_BODY = ("GET", "HEAD", "DELETE")


@dataclass
class PollOutcome:
    """What one poll found.

    Attributes:
        fired: ``(key, outputs)`` of each run to start.
        state: The trigger's state after the poll (``location``, ``polls``, ``lastStatus``).
        retry_after: Seconds until the next poll the endpoint asked for, or None.
    """

    fired: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    retry_after: float | None = None


async def poll_http(host: RuntimeHost, version: WorkflowVersion, name: str,
                    trigger: Mapping[str, Any], state: Mapping[str, Any],
                    now: datetime) -> PollOutcome:
    """Poll an ``Http`` trigger once.

    Never raises for the endpoint's or the definition's faults: they are recorded in the
    state's ``lastError`` and nothing fires.
    """
    polls = int(state.get("polls", 0))
    after: dict[str, Any] = {**state, "polls": polls + 1}
    scope = TriggerScope(host, version, name, None, now)
    try:
        inputs = scope.evaluate(trigger.get("inputs") or {})
        if not isinstance(inputs, Mapping) or not isinstance(inputs.get("uri"), str):
            raise ExpressionError("the Http trigger's inputs need a uri")
        method = str(inputs.get("method", "GET")).upper()
        headers = workflow_headers(version, name, trigger)
        headers.update(request_headers(inputs.get("headers")))
        body = None if method in _NO_BODY else encode_request(inputs.get("body"), headers)
        url = str(state.get("location") or with_queries(inputs["uri"], inputs.get("queries")))
        answer = await send_http(host.services, method, url, headers=headers, body=body)
    except (ExpressionError, PortwayError) as exc:
        after["lastError"] = str(exc)
        return PollOutcome(state=after)
    return _outcome(host, version, name, trigger, answer, after, polls, now)


def _outcome(host: RuntimeHost, version: WorkflowVersion, name: str,
             trigger: Mapping[str, Any], answer: Answer, after: dict[str, Any], polls: int,
             now: datetime) -> PollOutcome:
    """The polling contract over an endpoint's answer: 200 fires, Location and
    Retry-After say where and when the next poll goes."""
    after.pop("lastError", None)
    after["lastStatus"] = answer.status
    location = answer.header("location")
    if location:
        after["location"] = location
    outcome = PollOutcome(state=after, retry_after=retry_after_seconds(
        answer.header("retry-after"), now.timestamp()))
    if answer.status != 200:
        return outcome
    full = outputs_of(answer.status, answer.headers, answer.body)
    outputs = {key: full[key] for key in ("headers", "body") if key in full}
    try:
        outcome.fired = split_and_filter(host, version, name, trigger, outputs, polls, now)
    except ExpressionError as exc:
        after["lastError"] = str(exc)
    return outcome


async def poll_api_connection(host: RuntimeHost, version: WorkflowVersion, name: str,
                              trigger: Mapping[str, Any], state: Mapping[str, Any],
                              now: datetime) -> PollOutcome:
    """Poll an ``ApiConnection`` trigger once, through the gateway's data plane under the
    workflow's principal.

    Never raises for the endpoint's, the gateway's or the definition's faults: they are
    recorded in the state's ``lastError`` and nothing fires.
    """
    polls = int(state.get("polls", 0))
    after: dict[str, Any] = {**state, "polls": polls + 1}
    written = trigger.get("inputs") if isinstance(trigger.get("inputs"), Mapping) else {}
    assert isinstance(written, Mapping)
    scope = TriggerScope(host, version, name, None, now)
    try:
        reference = reference_name(written.get("host"))
        connection = version.connection_references.get(reference or "")
        if connection is None:
            raise NotFound(f"the workflow has no connection reference {reference!r}")
        inputs = scope.evaluate({k: v for k, v in written.items() if k != "host"})
        method = str(inputs.get("method", "GET")).upper()
        headers = workflow_headers(version, name, trigger)
        headers.update(request_headers(inputs.get("headers")))
        body = None if method in _NO_BODY else encode_request(inputs.get("body"), headers)
        path = to_string(inputs.get("path", "/"))
        queries = inputs.get("queries")
        query = [(str(k), to_string(v)) for k, v in queries.items()] \
            if isinstance(queries, Mapping) else []
        if state.get("location"):
            path, query = await location_on_connection(host.services, connection,
                                                       str(state["location"]))
        answer = await call_connection(host.services, version.principal, connection, method,
                                       path, query=query, headers=headers, body=body)
    except (ExpressionError, PortwayError) as exc:
        after["lastError"] = str(exc)
        return PollOutcome(state=after)
    return _outcome(host, version, name, trigger, answer, after, polls, now)


async def poll_provider(host: RuntimeHost, version: WorkflowVersion, name: str,
                        trigger: Mapping[str, Any], state: Mapping[str, Any],
                        now: datetime) -> PollOutcome:
    """Poll a ``ServiceProvider`` trigger (a built-in connector's trigger operation) once;
    the provider's watermark is kept in the state under ``provider``."""
    polls = int(state.get("polls", 0))
    after: dict[str, Any] = {**state, "polls": polls + 1}
    scope = TriggerScope(host, version, name, None, now)
    try:
        inputs = scope.evaluate(trigger.get("inputs") or {})
        config = inputs.get("serviceProviderConfiguration") if isinstance(
            inputs, Mapping) else None
        if not isinstance(config, Mapping):
            raise ExpressionError("the trigger's inputs need a serviceProviderConfiguration")
        provider_id = str(config.get("serviceProviderId", ""))
        operation = str(config.get("operationId", ""))
        provider = provider_for(provider_id)
        if not isinstance(provider, PollingProvider) or operation not in provider.operations():
            raise ExpressionError(f"Portway has no built-in trigger '{operation}' of "
                                  f"'{provider_id}'")
        connection = version.service_provider_connections.get(
            str(config.get("connectionName", "")))
        if connection is None:
            raise ExpressionError("the workflow has no service provider connection "
                                  f"'{config.get('connectionName')}'")
        parameters = inputs.get("parameters") or {}
        with calling(host.services):
            outputs, watermark = await provider.poll(
                operation, connection.get("parameterValues") or {}, parameters,
                state.get("provider") or {})
    except PortwayError as exc:
        after["lastError"] = str(exc)
        return PollOutcome(state=after)
    after.pop("lastError", None)
    after["provider"] = dict(watermark)
    outcome = PollOutcome(state=after)
    if outputs is None:
        return outcome
    try:
        outcome.fired = split_and_filter(host, version, name, trigger, dict(outputs),
                                          polls, now)
    except ExpressionError as exc:
        after["lastError"] = str(exc)
    return outcome
