"""A Recurrence workflow deployed to the real ``portway serve`` starts runs by itself, and
stops when disabled."""

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
