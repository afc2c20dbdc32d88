"""The data plane's HTTP face: /apim/{connector}/{connection}/{path} and
POST /v1/connections/{name}/operations/{operationId}."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from gateway.api.auth import authenticate
from gateway.api.bodies import read_json_object
from gateway.proxy.pipeline import Proxy, clean_response_headers
from gateway.proxy.upstream import UpstreamResponse

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def proxy_of(request: Request) -> Proxy:
    proxy: Proxy = request.app.state.proxy
    return proxy


async def apim(request: Request) -> Response:
    principal = await authenticate(request)
    params = request.path_params
    has_body = request.method not in ("GET", "HEAD", "DELETE", "OPTIONS") or (
        request.headers.get("content-length") not in (None, "0"))
    response = await proxy_of(request).call_path(
        principal, params["connector"], params["connection"], request.method,
        params.get("path", ""), list(request.query_params.multi_items()),
        [(k, v) for k, v in request.headers.items()],
        request.stream() if has_body else None,
    )
    return _relay(response)


async def call_operation(request: Request) -> Response:
    principal = await authenticate(request)
    arguments = await read_json_object(request)
    response = await proxy_of(request).call_operation(
        principal, request.path_params["name"], request.path_params["operationId"], arguments)
    return _relay(response)


def _relay(response: UpstreamResponse) -> Response:
    return StreamingResponse(response.body, status_code=response.status,
                             headers=dict(clean_response_headers(response.headers)))


routes = [
    Route("/apim/{connector}/{connection}/{path:path}", apim, methods=METHODS),
    Route("/apim/{connector}/{connection}", apim, methods=METHODS),
    Route("/v1/connections/{name}/operations/{operationId}", call_operation, methods=["POST"]),
]
