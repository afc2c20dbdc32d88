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
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.api.auth import authenticate
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


async def apim(request: Request) -> Response:
    principal = await authenticate(request)
    scope = request.scope
    request_id = request_id_of(request)
    incoming = CallerHeaders(scope["headers"])
    incoming.outbound["x-ms-client-request-id"] = request_id
    query = _query_pairs(scope.get("query_string", b"").decode("latin-1"))
    method = scope["method"]
    params = scope["path_params"]
    origin = _origin(scope, incoming.host)
    call = Call(
        request_id=request_id, principal=principal, connection=params["connection"],
        connector_id=params["connector"], method=method, path=_operation_path(scope),
        query=query, headers=incoming.outbound,
        body=await _body(request, incoming.has_body or method not in _BODYLESS),
        content_length=incoming.content_length, gateway_origin=origin,
    )
    response = await proxy_of(request).run_path(call)
    return RelayResponse(response, head=method == "HEAD")


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


def _operation_path(scope: Scope) -> str:
    """What follows ``/apim/{connector}/{connection}``, still percent-encoded.

    The raw path keeps ``%2F`` inside a parameter apart from a real ``/``.
    """
    raw: bytes | None = scope.get("raw_path")
    text = raw.decode("latin-1") if raw else quote(scope["path"])
    parts = text.split("/", 4)  # "", "apim", connector, connection, rest
    return "/" + (parts[4] if len(parts) > 4 else "")


async def _body(request: Request, expected: bool) -> Body:
    """None without a body; bytes when it came in one message; else a stream."""
    if not expected:
        return None
    receive = request.receive
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

    def __init__(self, upstream: UpstreamResponse, *, head: bool = False) -> None:
        self.upstream = upstream
        self.status_code = upstream.status
        self.background = None
        headers, declared = relay_headers(upstream.headers)
        length = declared if head or upstream.content is None else str(len(upstream.content))
        if length is not None and upstream.status not in (204, 304):
            headers.append((b"content-length", length.encode("latin-1")))
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


class DataPlaneShortcut:
    """ASGI middleware: ``/apim/...`` calls go straight to ``apim``.

    Every proxied call would otherwise walk Starlette's exception middleware, router and
    endpoint wrapper, about a sixth of its CPU time; this takes the same steps in one
    place. It sits inside the request-id middleware, and errors become responses through
    the same handlers (``gateway.api.errors``). Anything else, and methods the data plane
    does not serve, go on to the app unchanged (and get its 404/405).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/apim/") or scope["method"] not in _SERVED:
            await self.app(scope, receive, send)
            return
        # Split the raw path, as the operation path is (``_operation_path``): an encoded
        # ``%2F`` in the connection's name cannot move the split between the two.
        raw: bytes | None = scope.get("raw_path")
        parts = (raw.decode("latin-1") if raw else path).split("/", 4)
        if len(parts) < 4 or not parts[2] or not parts[3]:
            await self.app(scope, receive, send)
            return
        scope["path_params"] = {"connector": unquote(parts[2]),
                                "connection": unquote(parts[3]),
                                "path": parts[4] if len(parts) > 4 else ""}
        request = Request(scope, receive)
        try:
            response = await apim(request)
        except ClientDisconnect:
            return  # the caller went away mid-upload: nobody to answer
        except Exception as exc:
            handler = EXCEPTION_HANDLERS[
                PortwayError if isinstance(exc, PortwayError) else Exception]
            response = await handler(request, exc)
        await response(scope, receive, send)


_SERVED = frozenset(METHODS)

routes = [
    Route("/apim/{connector}/{connection}/{path:path}", apim, methods=METHODS),
    Route("/apim/{connector}/{connection}", apim, methods=METHODS),
    Route("/v1/connections/{name}/operations/{operationId}", call_operation, methods=["POST"]),
]
