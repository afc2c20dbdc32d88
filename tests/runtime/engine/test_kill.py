"""Kill -9 of the real ``portway serve`` mid-run: the next process resumes the run, no
completed action calls its upstream again, and the action in flight at the kill runs
again once, with the same run id and action tracking id."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.databases import create_database, drop_database
from tests.support.servers import portway_process, serve_in_thread

pytestmark = pytest.mark.slow


class Upstream:
    """Counts hits per step; the first hit of step 2 hangs until released."""

    def __init__(self) -> None:
        self.hits: list[dict[str, str]] = []
        self.hanging = threading.Event()
        self.release = threading.Event()

    def app(self) -> Starlette:
        async def step(request: Request) -> JSONResponse:
            import asyncio

            n = request.path_params["n"]
            self.hits.append({"step": n,
                              "run": request.headers.get("x-ms-workflow-run-id", ""),
                              "tracking": request.headers.get("x-ms-tracking-id", ""),
                              "query": request.url.query})
            if n == "2" and not self.hanging.is_set():
                self.hanging.set()
                for _ in range(600):
                    if self.release.is_set():
                        break
                    await asyncio.sleep(0.05)
            return JSONResponse({"step": n})

        return Starlette(routes=[Route("/step/{n}", step)])

    def count(self, n: str) -> int:
        return sum(1 for hit in self.hits if hit["step"] == n)


def _workflow(base: str) -> dict[str, Any]:
    def http(n: int, after: str | None) -> dict[str, Any]:
        action: dict[str, Any] = {"type": "Http", "inputs": {
            "method": "GET", "uri": f"{base}/step/{n}", "retryPolicy": {"type": "none"}}}
        if after:
            action["runAfter"] = {after: ["Succeeded"]}
        return action

    return {"kind": "Stateful", "definition": {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
                   "2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": {"Step1": http(1, None), "Step2": http(2, "Step1"),
                    "Step3": http(3, "Step2")}}}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32", "PORTWAY_RUNTIME_LEASE_SECONDS": "2",
           "PORTWAY_RUNTIME_POLL_SECONDS": "0.1",
           "PORTWAY_CATALOGUE_DIRECTORY": str(tmp_path / "no-catalogue")}
    if request.param == "sqlite":
        yield env
        return
    server: str = request.getfixturevalue("postgres_server_url")
    name = "k_" + uuid.uuid4().hex[:12]
    yield {**env, "PORTWAY_DATABASE_URL": create_database(server, name)}
    drop_database(server, name)


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and every descendant (granian serves from worker processes)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    family, todo = [], [pid]
    while todo:
        current = todo.pop()
        family.append(current)
        todo.extend(children.get(current, []))
    for member in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)


def _wait(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


def _deploy_and_call(base: str, auth: dict[str, str], workflows: dict[str, Any],
                     call: str) -> str:
    """Deploy the workflows (in order), call ``call``'s Request trigger; its run id."""
    for name, body in workflows.items():
        deployed = httpx.put(f"{base}/v1/workflows/{name}", headers=auth, json=body,
                             timeout=30)
        assert deployed.status_code == 201, deployed.text
    url = httpx.post(f"{base}/v1/workflows/{call}/triggers/manual/callback-url",
                     headers=auth, timeout=30).json()["value"]
    started = httpx.post(url, json={}, timeout=30)
    assert started.status_code == 202, started.text
    return started.headers["x-ms-workflow-run-id"]


def _ended(base: str, auth: dict[str, str], run_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        run = httpx.get(f"{base}/v1/runs/{run_id}", headers=auth, timeout=30).json()
        return run if run.get("status") not in ("Running", "Waiting") else None

    found: dict[str, Any] = _wait(done)
    return found


def test_a_run_killed_mid_action_resumes_and_runs_no_completed_action_twice(
        tmp_path: Path, database_env: dict[str, str]) -> None:
    upstream = Upstream()
    with serve_in_thread(upstream.app()) as up:
        with portway_process(tmp_path, database_env) as (base, process):
            owner = (tmp_path / "var" / "owner.token").read_text().strip()
            auth = {"authorization": f"Bearer {owner}"}
            run_id = _deploy_and_call(base, auth, {"killme": _workflow(up)}, "killme")
            assert upstream.hanging.wait(30)
            _kill_tree(process.pid)  # kill -9 of the server and its workers, mid Step2
            process.wait(10)
        upstream.release.set()
        with portway_process(tmp_path, database_env) as (base, _):
            run = _ended(base, auth, run_id)
    assert run["status"] == "Succeeded", run
    assert [upstream.count(n) for n in ("1", "2", "3")] == [1, 2, 1], upstream.hits
    second = [hit for hit in upstream.hits if hit["step"] == "2"]
    assert {hit["run"] for hit in second} == {run_id}
    assert second[0]["tracking"] == second[1]["tracking"] != ""


def _parent_and_child(base: str) -> tuple[dict[str, Any], dict[str, Any]]:
    child = {"kind": "Stateful", "definition": {
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": {
            "Work": {"type": "Http", "inputs": {"method": "GET", "uri": f"{base}/step/2",
                                                "retryPolicy": {"type": "none"}}},
            "Answer": {"type": "Response", "inputs": {"statusCode": 200,
                                                      "body": "@body('Work')"},
                       "runAfter": {"Work": ["Succeeded"]}}}}}
    parent = {"kind": "Stateful", "definition": {
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": {
            "Child": {"type": "Workflow", "inputs": {
                "host": {"workflow": {"id": "child"}, "triggerName": "manual"},
                "body": {"from": "parent"}}},
            "After": {"type": "Compose", "inputs": "@body('Child')",
                      "runAfter": {"Child": ["Succeeded"]}}}}}
    return parent, child


def test_a_parent_killed_after_starting_its_child_finds_the_same_child_on_replay(
        tmp_path: Path, database_env: dict[str, str]) -> None:
    upstream = Upstream()
    with serve_in_thread(upstream.app()) as up:
        parent, child = _parent_and_child(up)
        with portway_process(tmp_path, database_env) as (base, process):
            owner = (tmp_path / "var" / "owner.token").read_text().strip()
            auth = {"authorization": f"Bearer {owner}"}
            run_id = _deploy_and_call(base, auth, {"child": child, "parent": parent},
                                      "parent")
            assert upstream.hanging.wait(30)  # the child runs; the parent waits for it
            before = httpx.get(f"{base}/v1/runs/{run_id}", headers=auth, timeout=30).json()
            _kill_tree(process.pid)  # kill -9 before the parent's Child is checkpointed
            process.wait(10)
        assert before["actions"]["Child"]["status"] == "Running", before
        upstream.release.set()
        with portway_process(tmp_path, database_env) as (base, _):
            run = _ended(base, auth, run_id)
            children = httpx.get(f"{base}/v1/workflows/child/runs", headers=auth,
                                 timeout=30).json()["value"]
    assert run["status"] == "Succeeded", run
    assert run["actions"]["After"]["outputs"] == {"step": "2"}
    assert len(children) == 1, [c["id"] for c in children]
    assert {hit["run"] for hit in upstream.hits} == {children[0]["id"]}


def test_a_secure_output_read_after_kill_9_is_the_real_value_and_stays_hidden(
        tmp_path: Path, database_env: dict[str, str]) -> None:
    upstream = Upstream()
    secure = {"runtimeConfiguration": {"secureData": {"properties": ["inputs", "outputs"]}}}
    with serve_in_thread(upstream.app()) as up:
        workflow = _workflow(up)
        actions = workflow["definition"]["actions"]
        actions["Secret"] = {"type": "Compose", "inputs": "tok-4711", **secure}
        actions["Step1"]["runAfter"] = {"Secret": ["Succeeded"]}
        actions["Step3"]["inputs"]["uri"] += "?token=@{outputs('Secret')}"
        with portway_process(tmp_path, database_env) as (base, process):
            owner = (tmp_path / "var" / "owner.token").read_text().strip()
            auth = {"authorization": f"Bearer {owner}"}
            run_id = _deploy_and_call(base, auth, {"secure": workflow}, "secure")
            assert upstream.hanging.wait(30)
            _kill_tree(process.pid)  # kill -9 between the secure action and its reader
            process.wait(10)
        upstream.release.set()
        with portway_process(tmp_path, database_env) as (base, _):
            run = _ended(base, auth, run_id)
            shown = httpx.get(f"{base}/v1/runs/{run_id}", headers=auth, timeout=30).text
    assert run["status"] == "Succeeded", run
    assert [hit["query"] for hit in upstream.hits if hit["step"] == "3"] == ["token=tok-4711"]
    assert run["actions"]["Secret"]["outputs"] == "Content not shown due to security " \
                                                   "configuration."
    assert "tok-4711" not in shown.replace("token=tok-4711", "")


def test_a_run_asleep_when_killed_is_timed_out_at_its_deadline_by_the_next_process(
        tmp_path: Path, database_env: dict[str, str]) -> None:
    # A run may last 6 seconds here; it waits an hour on a durable timer, so only its
    # deadline, computed from what the killed process stored, can end it.
    env = {**database_env, "PORTWAY_RUNTIME_RUN_DURATION_DAYS": str(6 / 86400)}
    sleepy = {"kind": "Stateful", "definition": {
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": {"Nap": {"type": "Wait", "inputs": {"interval": {"count": 1,
                                                                    "unit": "Hour"}}},
                    "After": {"type": "Compose", "inputs": 1,
                              "runAfter": {"Nap": ["Succeeded"]}}}}}
    with portway_process(tmp_path, env) as (base, process):
        owner = (tmp_path / "var" / "owner.token").read_text().strip()
        auth = {"authorization": f"Bearer {owner}"}
        run_id = _deploy_and_call(base, auth, {"sleepy": sleepy}, "sleepy")
        _wait(lambda: httpx.get(f"{base}/v1/runs/{run_id}", headers=auth,
                                timeout=30).json().get("status") == "Waiting")
        _kill_tree(process.pid)
        process.wait(10)
    with portway_process(tmp_path, env) as (base, _):
        run = _ended(base, auth, run_id)
    assert run["status"] == "Failed", run
    assert run["error"]["code"] == "RunTimedOut"
    assert run["actions"]["Nap"]["status"] == "Cancelled"
    assert "After" not in run["actions"]
    started = datetime.fromisoformat(run["startTime"][:26])
    ended = datetime.fromisoformat(run["endTime"][:26])
    assert 6 <= (ended - started).total_seconds() < 40
