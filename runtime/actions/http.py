"""The ``Http`` action: one outbound request through the gateway's egress guard.

``inputs``: ``method``, ``uri``, ``queries`` (appended to the URI), ``headers``,
``cookie``, ``body`` (``runtime/actions/http_content.py``), ``authentication``
(``runtime/actions/http_auth.py``). The workflow headers of ``ctx.workflow_headers()`` go
on every request, the definition's own headers win over them.

The answer becomes ``{"statusCode", "headers", "body"}``. A 2xx succeeds with the
status's word as code (``OK``, ``Created``); a 4xx/5xx fails with it (``NotFound``,
``InternalServerError``), the outputs kept, retryable for 408, 429 and 5xx (the engine's
``retryPolicy`` decides), carrying ``Retry-After``. A ``202`` with a ``Location`` starts
Logic Apps' asynchronous pattern unless ``operationOptions`` says ``DisableAsyncPattern``:
the action suspends (durably: a ``Suspend``, never a sleep) and polls the location with
``GET`` after ``Retry-After`` seconds (20 when absent) until the answer is not 202.
``runtimeConfiguration.contentTransfer.transferMode: Chunked`` moves the body in chunks
(``runtime/actions/http_chunked.py``).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gateway import Answer, PortwayError, send_http
from gateway.expressions import to_string
from runtime.actions import http_chunked
from runtime.actions.base import ActionContext, ActionResult, Finding, Suspend
from runtime.actions.common import (
    LeafHandler,
    check_kind,
    failed,
    is_expression_text,
    operation_options,
    require,
)
from runtime.actions.http_auth import AuthenticationError, authorization, sanitized
from runtime.actions.http_content import (
    answer_result,
    encode_request,
    header_value,
    outputs_of,
    request_headers,
    retry_after_seconds,
)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
AUTH_KINDS = ("none", "basic", "raw", "activedirectoryoauth", "clientcertificate",
              "managedserviceidentity")
#: Seconds between polls of a 202's Location when the answer gives no Retry-After (the
#: Logic Apps engine's default: 20 seconds).
DEFAULT_POLL_SECONDS = 20.0


@dataclass
class Outbound:
    """One request ready to send."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    shown: dict[str, Any]


def with_queries(uri: str, queries: Any) -> str:
    if not isinstance(queries, Mapping) or not queries:
        return uri
    pairs = urllib.parse.urlencode([(str(k), to_string(v)) for k, v in queries.items()])
    return uri + ("&" if "?" in uri else "?") + pairs


async def build_request(context: ActionContext, inputs: Mapping[str, Any]
                        ) -> Outbound | ActionResult:
    """The request an ``Http`` action's evaluated inputs describe, or the failure."""
    method = str(inputs.get("method", "")).upper()
    uri = inputs.get("uri")
    shown: dict[str, Any] = {"uri": uri, "method": method}
    for key in ("queries", "headers", "cookie", "body"):
        if key in inputs:
            shown[key] = inputs[key]
    if "authentication" in inputs:
        shown["authentication"] = sanitized(inputs["authentication"])
    if method not in METHODS:
        return failed("InvalidTemplate", f"The HTTP method '{method}' is not supported; use "
                      + ", ".join(METHODS) + ".", inputs=shown)
    parsed = urllib.parse.urlsplit(uri) if isinstance(uri, str) else None
    if parsed is None or parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        return failed("InvalidTemplate", f"The 'uri' '{to_string(uri)}' of the HTTP action is "
                      "not an absolute http or https URI.", inputs=shown)
    headers = context.workflow_headers()
    headers.update(request_headers(inputs.get("headers")))
    if isinstance(inputs.get("cookie"), str) and inputs["cookie"]:
        headers["Cookie"] = inputs["cookie"]
    try:
        auth = await authorization(context.services, inputs.get("authentication"))
    except AuthenticationError as exc:
        return failed(exc.code, str(exc), inputs=shown)
    if auth is not None:
        headers["Authorization"] = auth
    body = encode_request(inputs.get("body"), headers)
    return Outbound(method, with_queries(str(uri), inputs.get("queries")), headers, body,
                    shown)


async def send(context: ActionContext, request: Outbound) -> Answer | ActionResult:
    """Send through the egress guard; a refused or failed exchange is a failed result."""
    try:
        if http_chunked.wanted(context.action):
            return await http_chunked.send(context.services, request.method, request.url,
                                           request.headers, request.body)
        return await send_http(context.services, request.method, request.url,
                               headers=request.headers, body=request.body)
    except PortwayError as exc:
        return failed(exc.code, exc.message, inputs=request.shown, retryable=exc.retryable)


def finish(context: ActionContext, answer: Answer, shown: Any, *, url: str,
           polls: int = 0) -> ActionResult | Suspend:
    """The action's result for an answer: success, failure or a 202 to poll (its
    Location resolved against ``url``; kept as given when ``url`` is empty)."""
    outputs = outputs_of(answer.status, answer.headers, answer.body)
    retry_after = retry_after_seconds(header_value(outputs["headers"], "retry-after"),
                                      context.now().timestamp())
    location = header_value(outputs["headers"], "location")
    if (answer.status == 202 and location
            and "disableasyncpattern" not in operation_options(context.action)):
        delay = DEFAULT_POLL_SECONDS if retry_after is None else retry_after
        return Suspend(until=context.now() + timedelta(seconds=delay),
                       state={"location": urllib.parse.urljoin(url, location),
                              "polls": polls + 1},
                       inputs=shown)
    return answer_result(outputs, shown, retry_after=retry_after)


class Http(LeafHandler):
    type = "Http"

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        method = require(inputs, "method", pointer, findings, kinds=(str,))
        if isinstance(method, str) and not is_expression_text(method) \
                and method.upper() not in METHODS:
            findings.append(Finding(f"{pointer}/inputs/method",
                                    f"'{method}' is not an HTTP method: use "
                                    + ", ".join(METHODS)))
        require(inputs, "uri", pointer, findings, kinds=(str,))
        for key in ("headers", "queries"):
            check_kind(inputs, key, pointer, findings, kinds=(dict,))
        check_kind(inputs, "cookie", pointer, findings, kinds=(str,))
        auth = check_kind(inputs, "authentication", pointer, findings, kinds=(dict,))
        if isinstance(auth, Mapping):
            kind = auth.get("type")
            if isinstance(kind, str) and not is_expression_text(kind) \
                    and kind.lower() not in AUTH_KINDS:
                findings.append(Finding(f"{pointer}/inputs/authentication/type",
                                        f"unknown authentication type '{kind}'"))
        findings.extend(http_chunked.validate(action, pointer))

    async def run(self, context: ActionContext) -> ActionResult | Suspend:
        inputs = context.inputs if isinstance(context.inputs, Mapping) else {}
        request = await build_request(context, inputs)
        if isinstance(request, ActionResult):
            return request
        answer = await send(context, request)
        if isinstance(answer, ActionResult):
            return answer
        return finish(context, answer, request.shown, url=request.url)

    async def resume(self, context: ActionContext, state: Mapping[str, Any]
                     ) -> ActionResult | Suspend:
        """Poll the 202's Location once more (the same workflow headers and
        authentication as the first request)."""
        inputs = context.inputs if isinstance(context.inputs, Mapping) else {}
        location = str(state.get("location", ""))
        request = await build_request(context, {**_without_body(inputs), "method": "GET",
                                                "uri": location})
        if isinstance(request, ActionResult):
            return request
        answer = await send(context, request)
        if isinstance(answer, ActionResult):
            return answer
        shown = {key: value for key, value in request.shown.items() if key != "uri"}
        shown = {"uri": inputs.get("uri"), **shown, "method": inputs.get("method")}
        return finish(context, answer, shown, url=location,
                      polls=int(state.get("polls", 0)))


def _without_body(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in inputs.items()
            if key not in ("body", "queries", "uri", "method")}
