"""Fixtures for the leaf actions' tests: the gateway's parts on SQLite, and a real
upstream on loopback that records every request and answers as each route says."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from gateway.proxy.pipeline import Proxy
from gateway.services import Services, build_services
from tests.gateway.conftest import make_settings
from tests.support.servers import serve_in_thread

T = TypeVar("T")


@dataclass
class Recorder:
    url: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 0
    chunks: list[tuple[str, bytes]] = field(default_factory=list)
    data: bytes = b"0123456789" * 3


def _app(recorder: Recorder) -> Starlette:
    async def record(request: Request) -> dict[str, Any]:
        entry = {"method": request.method, "path": request.url.path,
                 "query": request.url.query, "headers": dict(request.headers),
                 "body": await request.body()}
        recorder.seen.append(entry)
        return entry

    async def echo(request: Request) -> Response:
        entry = await record(request)
        return JSONResponse({"method": entry["method"], "path": entry["path"],
                             "query": entry["query"],
                             "body": entry["body"].decode("utf-8", "replace")})

    async def status(request: Request) -> Response:
        await record(request)
        code = int(request.path_params["code"])
        headers = {"Retry-After": "7"} if code in (429, 503) else {}
        return JSONResponse({"error": f"status {code}"}, status_code=code, headers=headers)

    async def text(request: Request) -> Response:
        await record(request)
        return PlainTextResponse("plain words")

    async def binary(request: Request) -> Response:
        await record(request)
        return Response(b"\x89PNG\x00", media_type="image/png")

    async def empty(request: Request) -> Response:
        await record(request)
        return Response(status_code=200)

    async def job(request: Request) -> Response:
        await record(request)
        return Response(status_code=202, headers={"Location": "/job/status",
                                                  "Retry-After": "3"})

    async def job_status(request: Request) -> Response:
        await record(request)
        recorder.polls += 1
        if recorder.polls < 2:
            return Response(status_code=202, headers={"Location": "/job/status"})
        return JSONResponse({"done": True})

    async def ranged(request: Request) -> Response:
        await record(request)
        first, last = request.headers["range"].removeprefix("bytes=").split("-")
        start, end = int(first), min(int(last), len(recorder.data) - 1, int(first) + 11)
        part = recorder.data[start:end + 1]
        return Response(part, status_code=206, media_type="text/plain", headers={
            "Content-Range": f"bytes {start}-{end}/{len(recorder.data)}"})

    async def upload(request: Request) -> Response:
        await record(request)
        if request.headers.get("x-ms-transfer-mode") == "chunked":
            return Response(status_code=200, headers={"Location": "/upload/chunks",
                                                      "x-ms-chunk-size": "4"})
        return Response(status_code=400)

    async def upload_chunk(request: Request) -> Response:
        entry = await record(request)
        recorder.chunks.append((request.headers["content-range"], entry["body"]))
        return Response(status_code=200)

    return Starlette(routes=[
        Route("/status/{code:int}", status, methods=["GET", "POST"]),
        Route("/text", text), Route("/binary", binary), Route("/empty", empty),
        Route("/job", job, methods=["POST"]), Route("/job/status", job_status),
        Route("/ranged", ranged), Route("/upload", upload, methods=["POST"]),
        Route("/upload/chunks", upload_chunk, methods=["PATCH"]),
        Route("/{path:path}", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    ])


@pytest.fixture
def upstream() -> Iterator[Recorder]:
    recorder = Recorder()
    with serve_in_thread(_app(recorder)) as url:
        recorder.url = url
        recorder.seen.clear()
        yield recorder


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    built = build_services(make_settings(tmp_path, f"sqlite:///{tmp_path / 'portway.db'}"))
    yield built
    built.db.dispose()


def with_data_plane(services: Services, work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` in a fresh event loop with the gateway's data plane started in it."""

    async def main() -> T:
        services.proxy = Proxy(services)
        try:
            return await work()
        finally:
            await services.proxy.aclose()
            services.proxy = None

    return asyncio.run(main())


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
