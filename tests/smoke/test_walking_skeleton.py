"""The walking skeleton, end to end, against the real ``portway serve`` in a subprocess.

From an empty ``var/``: the first start writes the owner's token; ``portway import`` of a
Swagger 2.0 spec with an API key in a header; ``PUT /v1/connections/demo`` with the key;
``GET /apim/{connector}/demo/{path}`` reaches a real upstream on loopback that receives
the key; the key is nowhere in the database files.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support import web
from tests.support.servers import portway_process, serve_in_thread

API_KEY = "sk-walking-skeleton-0123456789abcdef"


def make_upstream(seen: list[dict[str, str]]) -> Starlette:
    async def item(request: Request) -> JSONResponse:
        seen.append(dict(request.headers))
        return JSONResponse({"id": request.path_params["id"], "name": "widget"})

    async def root(request: Request) -> JSONResponse:
        return JSONResponse({})

    return Starlette(routes=[Route("/api/items/{id}", item), Route("/", root)])


def spec_for(upstream: str) -> dict[str, object]:
    return {
        "swagger": "2.0",
        "info": {"title": "Widgets", "version": "1.0",
                 "description": "A small widget service used by the smoke test."},
        "host": upstream.removeprefix("http://"),
        "basePath": "/api",
        "schemes": ["http"],
        "securityDefinitions": {"key": {"type": "apiKey", "in": "header", "name": "X-API-Key"}},
        "security": [{"key": []}],
        "paths": {"/items/{id}": {"get": {
            "operationId": "GetItem", "summary": "Get an item",
            "parameters": [{"name": "id", "in": "path", "required": True, "type": "string"}],
            "responses": {"200": {"description": "ok", "schema": {"type": "object"}}},
        }}},
    }


def test_the_skeleton_flow_over_http(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []
    env = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32"}
    with serve_in_thread(make_upstream(seen)) as upstream, \
            portway_process(tmp_path, env) as (base, _process):
        token_file = tmp_path / "var" / "owner.token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        owner = token_file.read_text().strip()
        auth = {"authorization": f"Bearer {owner}"}

        spec = tmp_path / "widgets.json"
        spec.write_text(json.dumps(spec_for(upstream)))
        portway = Path(sys.executable).parent / "portway"
        imported = subprocess.run(
            [str(portway), "import", str(spec), "--name", "widgets", "--json"],
            cwd=tmp_path, env={**os.environ, **env}, capture_output=True, text=True,
            timeout=120)
        assert imported.returncode == 0, imported.stderr
        line = json.loads(imported.stdout.splitlines()[0])
        assert (line["status"], line["connector"], line["operations"]) == (
            "imported", "widgets", 1)

        created = web.put(f"{base}/v1/connections/demo", headers=auth, json={
            "connector": "widgets", "parameters": {"api_key": API_KEY}})
        assert created.status_code == 201, created.text
        assert API_KEY not in created.text

        response = web.get(f"{base}/apim/widgets/demo/items/42", headers=auth)
        assert response.status_code == 200, response.text
        assert response.json() == {"id": "42", "name": "widget"}
        assert seen[-1]["x-api-key"] == API_KEY
        assert owner not in json.dumps(seen[-1])

    stored = b"".join(p.read_bytes() for p in (tmp_path / "var").glob("portway.db*"))
    for encoded in (API_KEY.encode(), base64.b64encode(API_KEY.encode()),
                    API_KEY.encode().hex().encode()):
        assert encoded not in stored
