"""The data plane's HTTP face: ``ANY /apim/{connector}/{connection}/{path}`` and
``POST /v1/connections/{name}/operations/{operationId}``.

This layer authenticates the caller (the pipeline's first step), turns the HTTP request
into a ``Call``, and relays the answer: small answers in one message with their length,
large ones streamed chunk by chunk, never buffered whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, quote, unquote

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gateway.api.auth import authenticate, authenticate_scope
from gateway.api.bodies import read_json_object
from gateway.api.errors import EXCEPTION_HANDLERS, request_id_of
from gateway.errors import PortwayError
from gateway.proxy.call import Body, Call
from gateway.proxy.headers import CallerHeaders, relay_headers
from gateway.proxy.pipeline import Proxy
from gateway.proxy.upstream import UpstreamResponse

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "TRACE"})


def proxy_of(request: Request) -> Proxy:
    proxy: Proxy = request.app.state.proxy
    return proxy


def apim_target(scope: Scope) -> list[str] | None:
    """The raw path of an ``/apim/{connector}/{connection}...`` call split into ``"",
    "apim", connector, connection[, rest]`` when the data plane serves it (a method it
    serves, both names given), else None: the app's own 404 or 405 answers those.

    The raw path keeps ``%2F`` inside a name apart from a real ``/``.
    """
    if scope["method"] not in _SERVED or not scope["path"].startswith("/apim/"):
        return None
    parts = _raw_path(scope).split("/", 4)
    return parts if len(parts) >= 4 and parts[2] and parts[3] else None


async def relay(scope: Scope, receive: Receive, send: Send, send_with_id: Send,
                ids: list[tuple[bytes, bytes]], target: list[str]) -> None:
    """One ``/apim`` call from start to end (``gateway.api.front`` hands it over, with
    its ``apim_target``).

    The answer is sent with ``send`` and carries ``ids`` (the request-id headers); an
    error becomes a response through the app's exception handlers and ``send_with_id``.
    """
    try:
        response: Response = await proxied(scope, receive, ids, target)
    except ClientDisconnect:
        return  # the caller went away mid-upload: nobody to answer
    except Exception as exc:
        await answer_error(scope, receive, send_with_id, exc)
        return
    await response(scope, receive, send)


async def answer_error(scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
    """The error as the app's exception handlers answer it (audit included)."""
    handler = EXCEPTION_HANDLERS[PortwayError if isinstance(exc, PortwayError) else Exception]
    await (await handler(Request(scope, receive), exc))(scope, receive, send)


async def apim(request: Request) -> Response:
    """The route's endpoint, for what reaches the router (``relay`` takes the rest)."""
    scope = request.scope
    return await proxied(scope, request.receive, [],
                         apim_target(scope) or _raw_path(scope).split("/", 4))


async def proxied(scope: Scope, receive: Receive, ids: list[tuple[bytes, bytes]],
                  target: list[str]) -> RelayResponse:
    """The call's answer, ready to relay with ``ids``; errors raise (for the handlers).
    ``target`` is the call's ``apim_target``."""
    raw_headers: list[tuple[bytes, bytes]] = scope["headers"]
    authorization = ""
    for name, value in raw_headers:
        if name == b"authorization":
            authorization = value.decode("latin-1")
            break
    principal = await authenticate_scope(scope, authorization)
    request_id: str = scope["state"]["request_id"]
    incoming = CallerHeaders(raw_headers)
    incoming.outbound["x-ms-client-request-id"] = request_id
    method: str = scope["method"]
    call = Call(
        request_id=request_id, principal=principal, connection=unquote(target[3]),
        connector_id=unquote(target[2]), method=method,
        path="/" + (target[4] if len(target) > 4 else ""),
        query=_query_pairs(scope.get("query_string", b"").decode("latin-1")),
        headers=incoming.outbound,
        body=await _body(receive, incoming.has_body or method not in _BODYLESS),
        content_length=incoming.content_length,
        gateway_origin=_origin(scope, incoming.host),
    )
    response = await scope["app"].state.proxy.run_path(call)
    return RelayResponse(response, head=method == "HEAD", extra_headers=ids)


def _raw_path(scope: Scope) -> str:
    """The path still percent-encoded: ``%2F`` inside a parameter stays apart from ``/``."""
    raw: bytes | None = scope.get("raw_path")
    return raw.decode("latin-1") if raw else quote(scope["path"])


async def call_operation(request: Request) -> Response:
    principal = await authenticate(request)
    arguments = await read_json_object(request)
    request_id = request_id_of(request)
    response = await proxy_of(request).call_operation(
        principal, request.path_params["name"], request.path_params["operationId"],
        arguments, request_id=request_id,
        gateway_origin=_origin(request.scope, request.headers.get("host", "")))
    return RelayResponse(response)


def _query_pairs(text: str) -> list[tuple[str, str]]:
    """The query's (name, value) pairs, blank values kept, as ``parse_qsl`` gives them;
    without ``%`` or ``+`` (the usual query) nothing needs decoding."""
    if "%" in text or "+" in text:
        return parse_qsl(text, keep_blank_values=True)
    pairs = []
    for part in text.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((name, value))
    return pairs


def _origin(scope: Scope, host: str) -> str:
    """``scheme://host`` as the caller reached this gateway ("" without a Host header).

    Only the request's own scheme and Host count: ``X-Forwarded-*`` headers are anyone's
    to send, and a next link must not be pointed at a host a caller chose.
    """
    return f"{scope.get('scheme', 'http')}://{host}" if host else ""


async def _body(receive: Receive, expected: bool) -> Body:
    """None without a body; bytes when it came in one message; else a stream."""
    if not expected:
        return None
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnect()
    first: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return first or None

    async def rest() -> AsyncIterator[bytes]:
        if first:
            yield first
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk: bytes = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    return rest()


class RelayResponse(Response):
    """Hands the upstream's answer to the caller, streaming it when it is large."""

    def __init__(self, upstream: UpstreamResponse, *, head: bool = False,
                 extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.upstream = upstream
        self.status_code = upstream.status
        self.background = None
        headers, declared = relay_headers(upstream.headers)
        length = declared if head or upstream.content is None else str(len(upstream.content))
        if length is not None and upstream.status not in (204, 304):
            headers.append((b"content-length", length.encode("latin-1")))
        if extra_headers:
            headers += extra_headers
        self.raw_headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        upstream = self.upstream
        try:
            await send({"type": "http.response.start", "status": self.status_code,
                        "headers": self.raw_headers})
            if upstream.content is not None or upstream.stream is None:
                await send({"type": "http.response.body", "body": upstream.content or b""})
                return
            async for chunk in upstream.stream:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await upstream.aclose()


_SERVED = frozenset(METHODS)

routes = [
    Route("/apim/{connector}/{connection}/{path:path}", apim, methods=METHODS),
    Route("/apim/{connector}/{connection}", apim, methods=METHODS),
    Route("/v1/connections/{name}/operations/{operationId}", call_operation, methods=["POST"]),
]
