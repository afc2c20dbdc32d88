"""``portway keys rotate`` with a run waiting that holds sealed values (a ``secureData``
action's outputs, variables holding a secure parameter): the CLI re-seals them under the
new key before it retires the old one, so the run resumed by a restarted ``portway serve``
sends the real values upstream while its record stays hidden."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.runtime.engine.test_kill import _ended, _wait
from tests.support.servers import portway_process, serve_in_thread

pytestmark = pytest.mark.slow

PORTWAY = str(Path(sys.executable).parent / "portway")
HIDDEN = "Content not shown due to security configuration."


def _workflow(up: str) -> dict[str, Any]:
    secure = {"runtimeConfiguration": {"secureData": {"properties": ["inputs", "outputs"]}}}
    return {"kind": "Stateful", "parameters": {"apiKey": {"type": "securestring",
                                                          "value": "sk-0042-key"}},
            "definition": {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
                   "2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"apiKey": {"type": "securestring"}},
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": {
            "Secret": {"type": "Compose", "inputs": "tok-4711", **secure},
            "Key": {"type": "InitializeVariable", "runAfter": {"Secret": ["Succeeded"]},
                    "inputs": {"variables": [{"name": "key", "type": "string",
                                              "value": "@parameters('apiKey')"}]}},
            "Nap": {"type": "Wait", "runAfter": {"Key": ["Succeeded"]},
                    "inputs": {"interval": {"count": 3, "unit": "Second"}}},
            "Use": {"type": "Http", "runAfter": {"Nap": ["Succeeded"]}, "inputs": {
                "method": "POST", "uri": f"{up}/use", "retryPolicy": {"type": "none"},
                "body": {"token": "@{outputs('Secret')}", "key": "@{variables('key')}"}}}}}}


def test_a_waiting_run_s_sealed_values_survive_a_key_rotation_that_retires_the_old_key(
        tmp_path: Path) -> None:
    seen: list[Any] = []

    async def use(request: Request) -> JSONResponse:
        seen.append(json.loads(await request.body()))
        return JSONResponse({"ok": True})

    env = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32", "PORTWAY_RUNTIME_POLL_SECONDS": "0.1",
           "PORTWAY_CATALOGUE_DIRECTORY": str(tmp_path / "no-catalogue")}
    with serve_in_thread(Starlette(routes=[Route("/use", use, methods=["POST"])])) as up:
        with portway_process(tmp_path, env) as (base, _):
            owner = (tmp_path / "var" / "owner.token").read_text().strip()
            auth = {"authorization": f"Bearer {owner}"}
            assert httpx.put(f"{base}/v1/workflows/sealed", headers=auth, timeout=30,
                             json=_workflow(up)).status_code == 201
            url = httpx.post(f"{base}/v1/workflows/sealed/triggers/manual/callback-url",
                             headers=auth, timeout=30).json()["value"]
            run_id = httpx.post(url, json={}, timeout=30).headers["x-ms-workflow-run-id"]
            _wait(lambda: httpx.get(f"{base}/v1/runs/{run_id}", headers=auth,
                                    timeout=30).json()["status"] == "Waiting")
        keyring = json.loads((tmp_path / "var" / "master.key").read_text())
        rotated = subprocess.run([PORTWAY, "keys", "rotate"], cwd=tmp_path, text=True,
                                 capture_output=True, timeout=120,
                                 env={"PATH": str(Path(sys.executable).parent)})
        assert rotated.returncode == 0, rotated.stderr
        after = json.loads((tmp_path / "var" / "master.key").read_text())
        assert set(after["keys"]).isdisjoint(keyring["keys"])  # the old key is retired
        assert seen == []
        with portway_process(tmp_path, env) as (base, _):
            run = _ended(base, auth, run_id)
            shown = httpx.get(f"{base}/v1/runs/{run_id}", headers=auth, timeout=30).text
    assert run["status"] == "Succeeded", run
    assert seen == [{"token": "tok-4711", "key": "sk-0042-key"}]
    assert run["actions"]["Secret"]["outputs"] == HIDDEN
    # (The Http action's own inputs show what it sent, as in Logic Apps.)
    assert "sk-0042-key" not in shown
    assert "tok-4711" not in json.dumps(run["actions"]["Secret"])
