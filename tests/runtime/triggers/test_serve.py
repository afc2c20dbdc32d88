"""On the real ``portway serve``: a Recurrence workflow starts runs by itself and stops when
disabled; an ApiConnection polling trigger polls its connection (credentials added) and
starts one run per item."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.runtime.cli.test_workflows_cli import _portway, _write
from tests.support.servers import portway_process


@pytest.mark.slow
def test_a_recurrence_every_second_runs_by_itself_on_portway_serve(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _write(project / "host.json", {"version": "2.0"})
    _write(project / "Ticker" / "workflow.json", {"kind": "Stateful", "definition": {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
                   "2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "triggers": {"Every_second": {"type": "Recurrence",
                                      "recurrence": {"frequency": "Second", "interval": 1}}},
        "actions": {"Say": {"type": "Compose", "runAfter": {}, "inputs": "tick"}},
        "outputs": {},
    }})
    with portway_process(tmp_path, {"PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.2"}) as (base, _):
        deployed = _portway(tmp_path, "workflows", "deploy", str(project), "--json")
        assert deployed.returncode == 0, deployed.stderr
        token = (tmp_path / "var" / "owner.token").read_text().strip()
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                          timeout=30) as client:
            deadline = time.monotonic() + 30
            found: list[dict[str, object]] = []
            while len(found) < 3 and time.monotonic() < deadline:
                time.sleep(0.3)
                found = client.get("/v1/workflows/Ticker/runs").json()["value"]
            assert len(found) >= 3, found
            assert _portway(tmp_path, "workflows", "disable", "Ticker").returncode == 0
            time.sleep(1.5)
            settled = len(client.get("/v1/workflows/Ticker/runs").json()["value"])
            time.sleep(2.0)
            assert len(client.get("/v1/workflows/Ticker/runs").json()["value"]) == settled
    log = (tmp_path / "portway.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    assert json.loads(deployed.stdout.splitlines()[0])["workflow"] == "Ticker"


@pytest.mark.slow
def test_an_api_connection_polling_trigger_fires_once_per_item_on_portway_serve(
        tmp_path: Path) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from tests.runtime.triggers.test_api_connection_triggers import KEY, members_swagger
    from tests.support.servers import serve_in_thread

    served: list[str | None] = []

    async def members(request: Request) -> Response:
        served.append(request.headers.get("x-api-key"))
        if len(served) > 1:
            return Response(status_code=202, headers={"Retry-After": "1"})
        return JSONResponse({"value": [{"id": 7}, {"id": 8}, {"id": 9}]})

    upstream = Starlette(routes=[Route("/base/trigger/lists/{list}/members", members)])
    definition = {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
                   "2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "triggers": {"When_a_member_is_added": {
            "type": "ApiConnection",
            "inputs": {"host": {"connection": {"referenceName": "members"}},
                       "method": "get", "path": "/trigger/lists/L1/members"},
            "recurrence": {"frequency": "Second", "interval": 1},
            "splitOn": "@triggerBody()?['value']"}},
        "actions": {"Say": {"type": "Compose", "inputs": "@triggerBody()?['id']",
                            "runAfter": {}}}}
    env = {"PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.2", "PORTWAY_EGRESS_ALLOW": "127.0.0.1/32"}
    with serve_in_thread(upstream) as upstream_url, \
            portway_process(tmp_path, env) as (base, _):
        token = (tmp_path / "var" / "owner.token").read_text().strip()
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                          timeout=30) as owner:
            assert owner.put("/v1/connectors/members",
                             json=members_swagger(upstream_url)).status_code in (200, 201)
            assert owner.put("/v1/connections/club", json={
                "connector": "members", "parameters": {"api_key": KEY}}).status_code == 201
            assert owner.put("/v1/connections/club/access-policies/news@workflows"
                             ).status_code == 200
            assert owner.put("/v1/workflows/news", json={
                "definition": definition,
                "connectionReferences": {"members": {"connection": "club"}}}
            ).status_code == 201
            deadline = time.monotonic() + 30
            found: list[dict[str, object]] = []
            while time.monotonic() < deadline and (
                    len(found) < 3 or any(r["status"] == "Running" for r in found)):
                time.sleep(0.3)
                found = owner.get("/v1/workflows/news/runs").json()["value"]
            time.sleep(1.5)  # more polls: 202, nothing more fires
            found = owner.get("/v1/workflows/news/runs").json()["value"]
            bodies = sorted(owner.get(f"/v1/runs/{r['id']}").json()["actions"]["Say"]
                            ["outputs"] for r in found)
    assert bodies == [7, 8, 9]
    assert {r["status"] for r in found} == {"Succeeded"}
    assert len(served) >= 2 and set(served) == {KEY}
