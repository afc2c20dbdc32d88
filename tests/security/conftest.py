"""The real ``portway serve`` in a subprocess, as a black-box probe meets it.

``served`` starts one gateway per test module (loopback upstreams allowed) with a
recording upstream beside it; tests talk to it over HTTP only and read its log file.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.servers import portway_process, raw_exchange, serve_in_thread


@dataclass
class Recorder:
    """A real upstream that records each request exactly as it arrived."""

    url: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)

    def last(self) -> dict[str, Any]:
        assert self.seen, "the upstream saw no request"
        return self.seen[-1]


def recorder_app(recorder: Recorder) -> Starlette:
    async def record(request: Request) -> JSONResponse:
        body = await request.body()
        entry = {"method": request.method,
                 "raw_path": request.scope.get("raw_path", b"").decode("latin-1"),
                 "query": request.scope.get("query_string", b"").decode("latin-1"),
                 "headers": [(k.decode("latin-1"), v.decode("latin-1"))
                             for k, v in request.scope["headers"]],
                 "body": body.decode("utf-8", "replace")}
        recorder.seen.append(entry)
        return JSONResponse({"ok": True, "path": entry["raw_path"]})

    return Starlette(routes=[Route("/{path:path}", record,
                                   methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])


@dataclass
class Served:
    url: str
    workdir: Path
    owner: str
    upstream: Recorder

    def client(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30,
                            headers={"authorization": f"Bearer {token or self.owner}"})

    def token(self, principal: str, role: str | None, scope: str = "*") -> str:
        with self.client() as owner:
            made = owner.post("/v1/tokens", json={"principal": principal, "role": role or "",
                                                  "scope": scope})
        assert made.status_code == 201, made.text
        return str(made.json()["token"])

    def put_connector(self, connector_id: str, spec: dict[str, Any],
                      token: str | None = None, **params: str) -> httpx.Response:
        with self.client(token) as client:
            return client.put(f"/v1/connectors/{connector_id}", params=params,
                              content=json.dumps(spec),
                              headers={"content-type": "application/json"})

    def raw(self, request: bytes, *, close_early: bool = False) -> bytes:
        """Send ``request`` as it is on one socket; the whole answer, until it closes."""
        host, port = self.url.removeprefix("http://").split(":")
        if close_early:
            with socket.create_connection((host, int(port)), timeout=10) as sock:
                sock.sendall(request)
            return b""
        return raw_exchange(host, int(port), request)

    def raw_get(self, target: str, *headers: str) -> tuple[int, bytes]:
        """``GET target`` exactly as spelt (no client normalises it); status and body."""
        head = [f"GET {target} HTTP/1.1", "Host: gateway", f"Authorization: Bearer {self.owner}",
                "Connection: close", *headers]
        answer = self.raw(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        status_line, _, rest = answer.partition(b"\r\n")
        return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]

    def log(self) -> str:
        return (self.workdir / "portway.log").read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("served")
    recorder = Recorder()
    with serve_in_thread(recorder_app(recorder)) as upstream, \
            portway_process(workdir, {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32"}) as (base, _):
        recorder.url = upstream
        recorder.seen.clear()
        owner = (workdir / "var" / "owner.token").read_text().strip()
        yield Served(base, workdir, owner, recorder)


def with_items_connection(served: Served, api_key: str) -> Served:
    """``served`` with connector ``items`` (``items_spec`` over the recording upstream)
    and its connection ``conn`` holding ``api_key``."""
    made = served.put_connector("items", items_spec(served.upstream.url))
    assert made.status_code == 201, made.text
    with served.client() as owner:
        created = owner.put("/v1/connections/conn", json={
            "connector": "items", "parameters": {"api_key": api_key}})
        assert created.status_code == 201, created.text
    return served


def items_spec(upstream: str, *, title: str = "Items",
               security: str = "header") -> dict[str, Any]:
    """Swagger 2.0: ``GET /items/{id}`` and ``GET /items/{id}/parts/{part}`` behind an API
    key sent in a header (or in the query, ``security="query"``)."""
    scheme = {"type": "apiKey", "in": security, "name": "api_key" if security == "query"
              else "X-API-Key"}
    path_param = {"name": "id", "in": "path", "required": True, "type": "string"}
    ok = {"200": {"description": "ok", "schema": {"type": "object"}}}
    return {
        "swagger": "2.0",
        "info": {"title": title, "version": "1.0", "description": "Items for the probe."},
        "host": upstream.removeprefix("http://"), "basePath": "/api", "schemes": ["http"],
        "securityDefinitions": {"key": scheme}, "security": [{"key": []}],
        "paths": {
            "/items/{id}": {"get": {"operationId": "GetItem", "summary": "Get an item",
                                    "parameters": [path_param], "responses": ok}},
            "/items/{id}/parts/{part}": {"get": {
                "operationId": "GetPart", "summary": "Get a part",
                "parameters": [path_param, {"name": "part", "in": "path", "required": True,
                                            "type": "string"}],
                "responses": ok}},
            "/search": {"get": {"operationId": "Search", "summary": "Search",
                                "parameters": [{"name": "q", "in": "query",
                                                "type": "string"}],
                                "responses": ok}},
        },
    }
