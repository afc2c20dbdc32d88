"""``portway workflows deploy`` of a Standard project folder, its Request trigger called
over HTTP on the real ``portway serve``, and the run read with ``portway runs show``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.servers import portway_process

PORTWAY = str(Path(sys.executable).parent / "portway")


def _write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")


def make_project(root: Path) -> Path:
    project = root / "project"
    _write(project / "host.json", {"version": "2.0"})
    _write(project / "local.settings.json", {"IsEncrypted": False, "Values": {
        "Greeting": "hello", "FUNCTIONS_WORKER_RUNTIME": "node"}})
    _write(project / "parameters.json", {
        "who": {"type": "String", "value": "@appsetting('Greeting')"}})
    _write(project / "connections.json", {"managedApiConnections": {}})
    _write(project / "Greeter" / "workflow.json", {"kind": "Stateful", "definition": {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
                   "2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "triggers": {"manual": {"type": "Request", "kind": "Http",
                                "inputs": {"method": "POST"}}},
        "actions": {
            "Greet": {"type": "Compose", "runAfter": {},
                      "inputs": "@concat(parameters('who'), ', ', triggerBody()?['name'])"},
            "Answer": {"type": "Response", "kind": "Http",
                       "runAfter": {"Greet": ["Succeeded"]},
                       "inputs": {"statusCode": 200, "body": "@outputs('Greet')"}},
        },
        "outputs": {},
    }})
    return project


def _portway(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(Path(sys.executable).parent)}
    return subprocess.run([PORTWAY, *args], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.slow
def test_deploy_a_project_call_its_trigger_and_show_the_run(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    with portway_process(tmp_path) as (base, _):
        deployed = _portway(tmp_path, "workflows", "deploy", str(project), "--json")
        assert deployed.returncode == 0, deployed.stderr
        [line] = [json.loads(x) for x in deployed.stdout.splitlines()]
        assert (line["workflow"], line["status"], line["outcome"]) == (
            "Greeter", "deployed", "created")
        token = (tmp_path / "var" / "owner.token").read_text().strip()
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                          timeout=30) as client:
            assert client.get("/v1/appsettings").json()["value"] == [
                "FUNCTIONS_WORKER_RUNTIME", "Greeting"]
            url = client.post("/v1/workflows/Greeter/triggers/manual/callback-url"
                              ).json()["value"]
        answer = httpx.post(url, json={"name": "Ada"}, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.text == "hello, Ada"
        names = [name.lower() for name, _ in answer.headers.multi_items()]
        assert names[:3] == ["content-length", "content-type", "date"]
        assert names.count("date") == 1
        run_id = answer.headers["x-ms-workflow-run-id"]
        shown = _portway(tmp_path, "runs", "show", run_id)
        assert shown.returncode == 0, shown.stderr
        assert f"run {run_id} of Greeter: Succeeded" in shown.stdout
        assert "Greet" in shown.stdout and "Answer" in shown.stdout
        listed = _portway(tmp_path, "runs", "list", "Greeter", "--status", "Succeeded")
        assert listed.stdout.split("\t")[0] == run_id
        # A run resubmitted from the command line is only stored; the server's worker
        # runs it.
        resubmitted = _portway(tmp_path, "runs", "resubmit", run_id)
        assert resubmitted.returncode == 0, resubmitted.stderr
        new_id = resubmitted.stdout.strip()
        assert new_id != run_id
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                          timeout=30) as client:
            deadline = time.monotonic() + 30
            while client.get(f"/v1/runs/{new_id}").json()["status"] == "Running" \
                    and time.monotonic() < deadline:
                time.sleep(0.1)
        ended = _portway(tmp_path, "runs", "cancel", new_id)
        assert ended.returncode != 0 and "already ended" in ended.stderr
        # The same commands through the running gateway's API (--url, a token file).
        remote = ("--url", base, "--token-file", "var/owner.token")
        over_api = _portway(tmp_path, "runs", "show", new_id, "--json", *remote)
        rerun = json.loads(over_api.stdout)
        assert (rerun["status"], rerun["actions"]["Greet"]["outputs"]) == (
            "Succeeded", "hello, Ada")
        again = _portway(tmp_path, "workflows", "deploy", str(project), "--json", *remote)
        assert json.loads(again.stdout)["outcome"] == "unchanged", again.stderr
        assert _portway(tmp_path, "workflows", "disable", "Greeter", *remote).returncode == 0
        assert "Greeter\tStateful\tdisabled" in _portway(tmp_path, "workflows", "list").stdout
        refused = _portway(tmp_path, "workflows", "list", "--url", base, "--token", "nope")
        assert refused.returncode != 0 and "Unauthenticated" in refused.stderr

def test_a_project_that_does_not_validate_deploys_nothing(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    broken = json.loads((project / "Greeter" / "workflow.json").read_text())
    broken["definition"]["actions"]["Greet"]["runAfter"] = {"Nowhere": ["Succeeded"]}
    _write(project / "Greeter" / "workflow.json", broken)
    _write(project / "Second" / "workflow.json", {"kind": "Stateful", "definition": {
        "triggers": {}, "actions": {"X": {"type": "Teleport"}}}})
    assert _portway(tmp_path, "db", "upgrade").returncode == 0
    refused = _portway(tmp_path, "workflows", "deploy", str(project))
    assert refused.returncode == 1
    assert "Greeter/workflow.json#/definition/actions/Greet/runAfter/Nowhere" in refused.stderr
    assert "Second/workflow.json#/definition/actions/X/type: unknown action type" \
        in refused.stderr
    assert _portway(tmp_path, "workflows", "list").stdout == ""
