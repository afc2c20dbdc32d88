"""The data plane's hook: ``compile_policies(connector)`` for ``gateway.proxy``.

The proxy pipeline calls ``apply_request(call)`` before credentials and the upstream call
and ``apply_response(call, response)`` after it (``gateway.proxy.steps``). This adapter
moves the call's fields into a ``PolicyRequest``, runs the ``PolicySet``, and writes the
changes back. Bodies are read into memory only when a body policy applies to the
operation, so other calls keep streaming; JSON bodies are parsed for the policies and
serialised again afterwards.

The call and the response are used by the attributes the pipeline gives them (duck
typing), so this module does not depend on the proxy's internals.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from gateway import boundedjson
from gateway.errors import BadRequest, PayloadTooLarge
from gateway.policies.engine import REQUEST, PolicySet, response_sections
from gateway.policies.request import PolicyRequest, PolicyResponse
from importers.model import Connector

__all__ = ["CallPolicies", "compile_policies"]

DEFAULT_MAX_BODY = 16 * 1024 * 1024


def compile_policies(connector: Connector) -> CallPolicies | None:
    """Compile a connector's policies for the proxy; None when it has none to run.

    Raises:
        PolicyDefinitionError: A policy's parameters are unusable.
    """
    policies = PolicySet.compile(connector.policies)
    return CallPolicies(policies) if len(policies) else None


def _is_json(content_type: str | None) -> bool:
    return bool(content_type) and "json" in (content_type or "").lower()


def _parse(raw: bytes, content_type: str | None) -> tuple[Any, bool]:
    if not raw or not _is_json(content_type):
        return raw, False
    try:
        return boundedjson.loads(raw), True
    except BadRequest:
        return raw, False


async def _read(body: bytes | AsyncIterator[bytes] | None, limit: int) -> bytes:
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        data = bytes(body)
    else:
        chunks: list[bytes] = []
        size = 0
        async for chunk in body:
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"a body policy needs the request body in memory, "
                                      f"and it is larger than {limit} bytes")
            chunks.append(chunk)
        data = b"".join(chunks)
    if len(data) > limit:
        raise PayloadTooLarge(f"a body policy needs the request body in memory, and it is "
                              f"larger than {limit} bytes")
    return data


def _apply_header_changes(headers: list[tuple[str, str]], before: dict[str, str],
                          after: dict[str, str]) -> list[tuple[str, str]]:
    changed = {name for name in before.keys() | after.keys()
               if before.get(name) != after.get(name)}
    if not changed:
        return headers
    kept = [(k, v) for k, v in headers if k.lower() not in changed]
    return kept + [(name, after[name]) for name in sorted(changed) if name in after]


class CallPolicies:
    """A ``PolicySet`` shaped for the proxy pipeline's ``Call`` and upstream response.

    ``apply_request`` and ``apply_response`` return None (or the response) at once when
    no policy of the section runs for the call's operation, and an awaitable when one
    does, which the pipeline awaits: most calls of most connectors then cost a lookup.
    """

    def __init__(self, policies: PolicySet, *, max_body_bytes: int = DEFAULT_MAX_BODY) -> None:
        self.policies = policies
        self.max_body_bytes = max_body_bytes

    def __len__(self) -> int:
        return len(self.policies)

    @staticmethod
    def _operation_id(call: Any) -> str:
        operation = call.operation
        return operation.operation_id if operation is not None else ""

    def _request(self, call: Any, body: Any, operation_id: str,
                 headers: dict[str, str] | None = None) -> PolicyRequest:
        """The call as policies see it. The headers, query and path parameters are the
        call's own (policies change them in place); the connection's parameters merged
        with its secrets are made once per cache entry, and never changed."""
        resolved = getattr(call, "resolved", None)
        parameters: dict[str, Any] = {}
        memo: dict[Any, Any] | None = None
        if resolved is not None:
            merge = getattr(resolved, "parameters_with_secrets", None)
            derived = getattr(resolved, "derived", None)
            if merge is not None and isinstance(derived, dict):
                parameters = merge()
                # Values read from the parameters alone live as long as this entry.
                memo = derived.get("policy_values")
                if memo is None:
                    memo = derived["policy_values"] = {}
            else:
                parameters.update(getattr(resolved.record, "parameters", {}) or {})
                parameters.update(getattr(resolved, "secrets", {}) or {})
        return PolicyRequest(
            method=call.method, base_url=call.base_url, path=call.path,
            query=call.query, headers=call.headers if headers is None else headers,
            body=body, operation_id=operation_id,
            path_parameters=getattr(call, "path_params", None) or {},
            connection_parameters=parameters,
            gateway_base_url=str(getattr(call, "gateway_base_url", "") or ""), memo=memo)

    def apply_request(self, call: Any) -> Awaitable[None] | None:
        """Run the request policies on ``call`` and write their changes back to it."""
        operation_id = self._operation_id(call)
        selection = self.policies.selection(operation_id, REQUEST)
        if not selection.policies:
            return None
        if selection.uses_body and call.body is not None:
            return self._apply_request_to_body(call, operation_id)
        fixed = self._fixed_headers(call, operation_id) if selection.fixed_headers else None
        if fixed is not None:
            call.headers.update(fixed)
        else:
            self._run_request(call, operation_id, None, False)
        return None

    def _fixed_headers(self, call: Any, operation_id: str) -> dict[str, str] | None:
        """The headers an operation's fixed-header policies set, worked out on the first
        call through the cache entry (the policies run on a request with no headers) and
        kept with it; None without a cache entry to keep them in."""
        derived = getattr(call.resolved, "derived", None)
        if not isinstance(derived, dict):
            return None
        by_operation: dict[str, dict[str, str]] | None = derived.get("policy_headers")
        if by_operation is None:
            by_operation = derived["policy_headers"] = {}
        fixed = by_operation.get(operation_id)
        if fixed is None:
            request = self._request(call, None, operation_id, headers={})
            self.policies.apply_request(request)
            fixed = by_operation[operation_id] = request.headers
        return fixed

    async def _apply_request_to_body(self, call: Any, operation_id: str) -> None:
        raw = await _read(call.body, self.max_body_bytes)
        call.body = raw
        body, parsed = _parse(raw, call.headers.get("content-type"))
        self._run_request(call, operation_id, body, parsed)

    def _run_request(self, call: Any, operation_id: str, body: Any, parsed: bool) -> None:
        request = self._request(call, body, operation_id)
        self.policies.apply_request(request)
        call.method = request.method
        call.base_url = request.base_url
        call.path = request.path
        if request.query is not call.query:
            call.query[:] = request.query
        if request.headers is not call.headers:
            call.headers.clear()
            call.headers.update(request.headers)
        if parsed:
            call.body = json.dumps(request.body, separators=(",", ":")).encode()
            call.headers.pop("content-length", None)
            if hasattr(call, "content_length"):
                call.content_length = None

    def apply_response(self, call: Any, response: Any) -> Any:
        """Run the response policies on ``response``; return it, changed in place (or an
        awaitable of it)."""
        operation_id = self._operation_id(call)
        if not self.policies.selection(operation_id,
                                       response_sections(int(response.status))).policies:
            return response
        return self._apply_response(call, response, operation_id)

    async def _apply_response(self, call: Any, response: Any, operation_id: str) -> Any:
        status = int(response.status)
        parsed = False
        body: Any = None
        if self.policies.needs_response_body(operation_id, status):
            raw = await response.read(self.max_body_bytes)
            body, parsed = _parse(raw, response.header("content-type"))
        before = {k.lower(): v for k, v in response.headers}
        reply = PolicyResponse(status, dict(before), body)
        self.policies.apply_response(self._request(call, None, operation_id), reply)
        response.headers = _apply_header_changes(list(response.headers), before, reply.headers)
        if parsed:
            response.content = json.dumps(reply.body, separators=(",", ":")).encode()
            response.stream = None
            response.headers = [(k, v) for k, v in response.headers
                                if k.lower() != "content-length"]
        return response
