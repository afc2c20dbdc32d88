"""A small real upstream for the proxy tests: echo, slow, flapping, redirecting, huge.

Served on loopback with ``serve_in_thread``; every route answers what the tests check.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

CHUNK = b"x" * 65536


class UpstreamState:
    """What the upstream saw, for assertions."""

    def __init__(self) -> None:
        self.flap_failures: dict[str, int] = {}
        self.hits: dict[str, int] = {}
        self.uploads: list[int] = []
        self.last_headers: dict[str, str] = {}


def build_upstream(state: UpstreamState) -> Starlette:
    def count(name: str) -> int:
        state.hits[name] = state.hits.get(name, 0) + 1
        return state.hits[name]

    async def echo(request: Request) -> Response:
        body = await request.body()
        state.last_headers = dict(request.headers)
        return JSONResponse({
            "method": request.method, "path": request.url.path,
            "rawPath": request.scope.get("raw_path", b"").decode(),
            "query": list(request.query_params.multi_items()),
            "headers": dict(request.headers), "body": body.decode("latin-1"),
        }, headers={"set-cookie": "upstream-session=abc", "www-authenticate": "Basic",
                    "x-upstream": "yes", "x-request-id": "upstream-id"})

    async def slow(request: Request) -> Response:
        await asyncio.sleep(float(request.query_params.get("seconds", "5")))
        return JSONResponse({"slow": True})

    async def flap(request: Request) -> Response:
        key = request.query_params.get("key", "default")
        failures = int(request.query_params.get("failures", "2"))
        status = int(request.query_params.get("status", "503"))
        seen = count("flap:" + key)
        if seen <= failures:
            headers = {}
            if "retryAfter" in request.query_params:
                headers["retry-after"] = request.query_params["retryAfter"]
            return JSONResponse({"attempt": seen}, status_code=status, headers=headers)
        return JSONResponse({"attempt": seen})

    async def status(request: Request) -> Response:
        count("status")
        return JSONResponse({"status": True}, status_code=int(request.path_params["code"]))

    async def redirect(request: Request) -> Response:
        return Response(status_code=302, headers={"location": "http://169.254.169.254/latest"})

    async def huge(request: Request) -> Response:
        size = int(request.query_params.get("bytes", str(100 * 1024 * 1024)))

        async def chunks() -> AsyncIterator[bytes]:
            left = size
            while left > 0:
                piece = CHUNK[:min(left, len(CHUNK))]
                left -= len(piece)
                yield piece

        headers = {"content-length": str(size)} if "length" in request.query_params else {}
        return StreamingResponse(chunks(), media_type="application/octet-stream",
                                 headers=headers)

    async def upload(request: Request) -> Response:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
        state.uploads.append(total)
        return JSONResponse({"received": total})

    async def typed(request: Request) -> Response:
        value: Any = {"id": "not-a-number"} if "bad" in request.query_params else {"id": 7}
        return JSONResponse(value)

    async def page(request: Request) -> Response:
        base = f"{request.url.scheme}://{request.url.netloc}"
        return JSONResponse({"value": [1, 2], "nextLink": f"{base}/api/items/2?skip=2"})

    return Starlette(routes=[
        Route("/api/page", page, methods=["GET"]),
        Route("/api/items/{id}", echo, methods=["GET", "PUT", "POST", "DELETE", "PATCH"]),
        Route("/api/echo/{rest:path}", echo, methods=["GET", "POST"]),
        Route("/api/slow", slow, methods=["GET"]),
        Route("/api/flap", flap, methods=["GET", "POST"]),
        Route("/api/status/{code}", status, methods=["GET", "POST"]),
        Route("/api/redirect", redirect, methods=["GET"]),
        Route("/api/huge", huge, methods=["GET"]),
        Route("/api/upload", upload, methods=["PUT", "POST"]),
        Route("/api/typed", typed, methods=["GET"]),
        Route("/", lambda r: JSONResponse({"ok": True}), methods=["GET"]),
    ])
