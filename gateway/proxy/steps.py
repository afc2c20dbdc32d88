"""The pipeline's steps, each with one job, in the order the pipeline runs them.

Every step takes the ``Call`` and reads or changes it; the pipeline (``pipeline.py``)
decides the order and nothing else. Steps raise ``PortwayError`` subclasses, which the
HTTP layer turns into the one error shape.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Protocol
from urllib.parse import quote_plus

import anyio.to_thread

from gateway.boundedjson import THREAD_THRESHOLD
from gateway.errors import BadRequest, Forbidden, PayloadTooLarge, Throttled
from gateway.logging import get_logger
from gateway.metrics import record_throttled
from gateway.origins import check_origin
from gateway.proxy.cache import ConnectionCache
from gateway.proxy.call import Call
from gateway.proxy.credentials import inject_call_credentials
from gateway.proxy.errors import OperationUnsupported
from gateway.proxy.routing import UNRESERVED
from gateway.proxy.throttle import Throttle
from gateway.proxy.upstream import UpstreamResponse
from gateway.proxy.validation import is_json
from gateway.security.access import check_connection_use
from gateway.services import Services

log = get_logger("portway.proxy")


class CompiledPolicies(Protocol):
    """A connector's policies, compiled once per connector version (gateway.policies).

    Each returns at once when it has nothing to do (None, or the response as it is) and
    otherwise an awaitable, which the step awaits.
    """

    def apply_request(self, call: Call) -> Awaitable[None] | None: ...

    def apply_response(self, call: Call, response: UpstreamResponse
                       ) -> UpstreamResponse | Awaitable[UpstreamResponse]: ...


async def check_access(call: Call, connections: ConnectionCache, services: Services) -> None:
    """Resolve the connection and check the caller may use it; audit a denial."""
    call.resolved = resolved = await connections.get(call.connection)
    record = resolved.record
    if call.principal.kind == "workflow" and call.referenced_by_workflow is None:
        references = services.workflow_references
        call.referenced_by_workflow = references is not None and bool(
            await services.db.run(references, call.principal.name, call.connection))
    try:
        check_connection_use(call.principal, call.connection, record.access_policies,
                             call.referenced_by_workflow)
    except Forbidden as denied:
        reason, checks = denied.message, denied.details
        denied.audited = True
        await services.db.run(lambda: services.audit.record(
            actor=call.principal.name, action="connection.use",
            resource=f"connections/{call.connection}", outcome="denied",
            details={"reason": reason, "checks": checks}, request_id=call.request_id))
        raise
    if call.connector_id is not None and call.connector_id != record.connector_id:
        raise BadRequest(f"connection {call.connection!r} belongs to connector "
                         f"{record.connector_id!r}, not {call.connector_id!r}")
    call.base_url = resolved.compiled.connector.base_url


def route(call: Call) -> None:
    """Find the operation by method and path template (404 or 405 otherwise)."""
    assert call.resolved is not None
    match = call.resolved.compiled.router.match(call.method, call.path)
    call.operation = match.operation
    call.path_params = match.path_params
    call.path = match.path


def check_supported(call: Call) -> None:
    """Refuse (501) an operation imported as one Portway cannot carry out, unless the
    connector opts in (``callUnsupportedOperations``): calling it would skip what its
    script does, silently."""
    assert call.resolved is not None and call.operation is not None
    reason = call.operation.unsupported
    if reason and not call.resolved.compiled.options.call_unsupported_operations:
        raise OperationUnsupported(
            f"operation {call.operation.operation_id!r} is {reason}; calling the upstream "
            "without it would skip what it does. A connector that wants the plain call "
            "sets x-portway-proxy callUnsupportedOperations: true",
            details=[{"operation": call.operation.operation_id, "reason": reason}])


async def fill_defaults(call: Call, max_body_bytes: int) -> None:
    """Add what Power Automate sends for inputs the caller left out: internal and
    required parameters' defaults, and body properties' (``gateway.proxy.defaults``)."""
    assert call.resolved is not None and call.operation is not None
    defaults = call.resolved.compiled.defaults.for_operation(call.operation)
    if defaults.empty or call.arguments is not None:
        return  # a call by operation id had its arguments filled before they were placed
    defaults.fill_request(call.query, call.headers)
    if defaults.body_schema is None:
        return
    content_type = call.headers.get("content-type")
    if call.body is None or call.body == b"":
        if (defaults.body_required and content_type is None) or is_json(content_type):
            call.body = defaults.fill_body(None)
            if call.body is not None:
                call.headers.setdefault("content-type", "application/json")
                call.content_length = None
        return
    if is_json(content_type):
        body = await read_body(call.body, max_body_bytes)
        if len(body) < THREAD_THRESHOLD:
            call.body = defaults.fill_body(body)
        else:  # parsing a long body would hold up every other call
            call.body = await anyio.to_thread.run_sync(defaults.fill_body, body)
        call.content_length = None


async def validate_request(call: Call, max_body_bytes: int) -> None:
    """Check parameters and, for JSON bodies with a schema, the body (read into memory)."""
    assert call.resolved is not None and call.operation is not None
    compiled = call.resolved.compiled
    if not compiled.options.validate_requests:
        return
    checks = compiled.validator.for_operation(call.operation)
    if compiled.connector.protocol != "rest":
        # Other protocols take their input as JSON arguments, described by the
        # operation's request schema (a SOAP message's parts...). Only a call by
        # operation id has them here; an /apim call's body (JSON or a raw envelope) is
        # the protocol handler's to read and check.
        if call.arguments is not None:
            checks.check_arguments(call.arguments)
        return
    checks.check_request(call.path_params, call.query, call.headers)
    content_type = call.headers.get("content-type")
    if checks.needs_body and is_json(content_type):
        call.body = await read_body(call.body, max_body_bytes)
        call.content_length = None
        if len(call.body) < THREAD_THRESHOLD:
            checks.check_body(content_type, call.body)
        else:  # parsing and checking a long body would hold up every other call
            await anyio.to_thread.run_sync(checks.check_body, content_type, call.body)
    elif call.body is None:
        checks.check_body(content_type, None)  # refuses a missing required body


async def throttle(call: Call, counters: Throttle) -> None:
    """Count the call against its connection's rate limit; 429 when it is used up."""
    assert call.resolved is not None
    options = call.resolved.compiled.options
    if options.rate_limit_per_principal > 0:
        # The caller's own share first: a refused call does not count against the others.
        wait = await counters.hit(
            f"principal:{call.principal.name}:connection:{call.connection}",
            options.rate_limit_per_principal, options.rate_limit_period)
        if wait is not None:
            record_throttled(call.connector_label)
            raise Throttled(
                f"{call.principal.name!r} made {options.rate_limit_per_principal} calls "
                f"through connection {call.connection!r} in {options.rate_limit_period:g} "
                f"s; try again in {wait:.0f} s", retry_after=wait,
                details=[{"limit": options.rate_limit_per_principal, "per": "principal",
                          "periodSeconds": options.rate_limit_period}])
    if options.rate_limit_calls <= 0:
        return
    wait = await counters.hit(f"connection:{call.connection}", options.rate_limit_calls,
                              options.rate_limit_period)
    if wait is not None:
        record_throttled(call.connector_label)
        raise Throttled(
            f"connection {call.connection!r} made {options.rate_limit_calls} calls in "
            f"{options.rate_limit_period:g} s; try again in {wait:.0f} s",
            retry_after=wait, details=[{"limit": options.rate_limit_calls,
                                        "periodSeconds": options.rate_limit_period}])


async def apply_request_policies(call: Call) -> None:
    """Run the connector's request policies (setheader, routerequesttoendpoint...)."""
    assert call.resolved is not None
    policies: CompiledPolicies | None = call.resolved.compiled.policies
    if policies is not None:
        outcome = policies.apply_request(call)
        if outcome is not None:
            await outcome


def check_secrets_origin(call: Call) -> None:
    """Refuse (409) to put secrets on a call to an origin they were not entered for."""
    assert call.resolved is not None and call.operation is not None
    if not call.resolved.secrets:
        return
    soap = call.operation.soap
    url = soap.address if soap is not None and soap.address else call.base_url
    check_origin(call.connection, call.resolved.record.secrets_origins, url)


async def inject_credentials(call: Call, services: Services) -> None:
    """Put the connection's credentials on the request: the one place they are added.

    ``gateway.proxy.credentials`` (the connections area) decides how, and refreshes
    OAuth access tokens there.
    """
    await inject_call_credentials(services, call)


def upstream_url(call: Call) -> str:
    """The upstream URL: base URL, the operation's path, the query."""
    if not call.base_url:
        raise BadRequest("this connector has no host; a policy or its connection must set one")
    url = call.base_url.rstrip("/") + "/" + call.path.lstrip("/")
    if call.query:
        # What urlencode does, without its cost for the usual plain names and values.
        plain = UNRESERVED.fullmatch
        url += "?" + "&".join(
            (k if plain(k) else quote_plus(k)) + "=" + (v if plain(v) else quote_plus(v))
            for k, v in call.query)
    return url


async def apply_response_policies(call: Call, response: UpstreamResponse
                                  ) -> UpstreamResponse:
    """Run the connector's response policies (convertobjecttoarray, updatenextlink...)."""
    assert call.resolved is not None
    policies: CompiledPolicies | None = call.resolved.compiled.policies
    if policies is None:
        return response
    outcome = policies.apply_response(call, response)
    if isinstance(outcome, UpstreamResponse):
        return outcome
    return await outcome


async def validate_response(call: Call, response: UpstreamResponse, limit: int) -> None:
    """In a connector's strict mode, check a JSON answer against its declared schema."""
    assert call.resolved is not None and call.operation is not None
    if not call.resolved.compiled.options.strict_responses:
        return
    content_type = response.header("content-type")
    if not is_json(content_type):
        return
    body = await response.read(limit)
    checks = call.resolved.compiled.validator.for_operation(call.operation)
    checks.check_response(response.status, content_type, body)


async def read_body(body: bytes | AsyncIterator[bytes] | None, limit: int) -> bytes:
    """The whole request body, refusing more than ``limit`` bytes."""
    if body is None or isinstance(body, bytes):
        return body or b""
    chunks: list[bytes] = []
    size = 0
    async for chunk in body:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
