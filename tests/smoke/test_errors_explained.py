"""Errors that say what happened, through the real ``portway serve``: a host that does not
resolve is a 502 ``UpstreamUnreachable``; 502 and 504 log lines name the connector, the
connection, the operation, the URL and which timeout fired; a start that cannot succeed
prints one clear error and no "serving" line; ``validate`` shows its warnings."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.cli import main
from tests.support import web
from tests.support.servers import portway_process, serve_in_thread

PORTWAY = str(Path(sys.executable).parent / "portway")


def _spec(host: str, *, read_timeout: float | None = None) -> dict[str, object]:
    spec: dict[str, object] = {
        "swagger": "2.0", "info": {"title": "Slow", "version": "1"}, "host": host,
        "basePath": "/", "schemes": ["http"],
        "paths": {"/slow": {"get": {"operationId": "GetSlow", "parameters": [
            {"name": "key", "in": "query", "type": "string"}],
            "responses": {"200": {"description": "ok"}}}}}}
    if read_timeout is not None:
        spec["x-portway-proxy"] = {"readTimeout": read_timeout, "maxRetries": 0}
    return spec


def _slow_upstream() -> Starlette:
    async def slow(request: Request) -> JSONResponse:
        await asyncio.sleep(2)
        return JSONResponse({})

    async def root(request: Request) -> JSONResponse:
        return JSONResponse({})

    return Starlette(routes=[Route("/slow", slow), Route("/", root)])


@pytest.mark.slow
def test_502_and_504_say_what_happened_and_the_log_says_where(tmp_path: Path) -> None:
    env = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32",
           "PORTWAY_CATALOGUE_DIRECTORY": str(tmp_path / "none")}
    with serve_in_thread(_slow_upstream()) as upstream, \
            portway_process(tmp_path, env) as (base, _process):
        owner = (tmp_path / "var" / "owner.token").read_text().strip()
        with web.Client(base_url=base, headers={"authorization": f"Bearer {owner}"},
                        timeout=30) as client:
            for name, spec in (("slow", _spec(upstream.removeprefix("http://"),
                                              read_timeout=0.3)),
                               ("nowhere", _spec("no-such-host.invalid"))):
                assert client.put(f"/v1/connectors/{name}", json=spec).status_code == 201
                assert client.put(f"/v1/connections/{name}-conn",
                                  json={"connector": name}).status_code == 201
            timed_out = client.get("/apim/slow/slow-conn/slow", params={"key": "k-123"})
            unresolved = client.get("/apim/nowhere/nowhere-conn/slow")
    assert timed_out.status_code == 504
    assert unresolved.status_code == 502, unresolved.text
    error = unresolved.json()["error"]
    assert error["code"] == "UpstreamUnreachable"
    assert "'no-such-host.invalid' does not resolve" in error["message"]
    log = (tmp_path / "portway.log").read_text()
    lines = [line for line in log.splitlines() if "upstream call failed" in line]
    assert len(lines) == 2, log
    slow, nowhere = lines
    for expected in ("code=UpstreamTimeout", "connector=slow", "connection=slow-conn",
                     "operation=GetSlow", f"url={upstream}/slow", "timeout=read_timeout",
                     "timeout_seconds=0.3"):
        assert expected in slow, slow
    assert "k-123" not in slow  # the query is left out: it may carry a credential
    for expected in ("code=UpstreamUnreachable", "connector=nowhere",
                     "connection=nowhere-conn", "url=http://no-such-host.invalid/slow"):
        assert expected in nowhere, nowhere


def test_a_start_that_cannot_succeed_prints_one_error_and_no_serving(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTWAY_")}
    env["PORTWAY_SECURITY_MODE"] = "production"
    result = subprocess.run([PORTWAY, "serve", "--port", "0"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "no master key" in result.stderr
    assert "serving" not in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_validate_shows_its_warnings_in_text_mode(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    spec = tmp_path / "slow.json"
    spec.write_text(json.dumps(_spec("api.example.com")))
    assert main(["validate", str(spec), "--json"]) == 1  # it has errors too
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert warnings
    assert main(["validate", str(spec)]) == 1
    err = capsys.readouterr().err
    for warning in warnings:
        assert f"warning [{warning['rule']}]" in err
        assert warning["message"] in err
