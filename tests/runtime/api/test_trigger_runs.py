"""Firing triggers over HTTP against a running gateway with the runtime: a polling trigger
run by hand polls once (204 when it finds nothing, 202 with the run's id when it fires),
and a Request trigger with ``runtimeConfiguration.concurrency`` queues its runs — one in
flight at a time, one waiting (read as a ``Waiting`` run until it starts), the next call
refused with 429 in the one error shape."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.servers import serve_in_thread

SCHEMA = ("https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
          "2016-06-01/workflowdefinition.json#")


@dataclass
class Feed:
    url: str = ""
    ready: bool = False
    polls: list[str] = field(default_factory=list)


@pytest.fixture
def feed() -> Iterator[Feed]:
    state = Feed()

    async def items(request: Request) -> Response:
        state.polls.append(request.url.path)
        if not state.ready:
            return Response(status_code=202)
        return JSONResponse({"items": [{"n": 1}, {"n": 2}]})

    with serve_in_thread(Starlette(routes=[Route("/items", items)])) as url:
        state.url = url
        yield state


def workflow(trigger: dict[str, Any], actions: dict[str, Any] | None = None
             ) -> dict[str, Any]:
    return {"kind": "Stateful", "definition": {
        "$schema": SCHEMA, "contentVersion": "1.0.0.0", "triggers": {"t": trigger},
        "actions": actions or {"Say": {"type": "Compose", "inputs": "@triggerBody()",
                                       "runAfter": {}}}}}


def finished(client: httpx.Client, run_id: str) -> dict[str, Any]:
    """The run once it has ended (a queued run is not a run until it starts)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = client.get(f"/v1/runs/{run_id}")
        if answer.status_code == 200 and answer.json()["status"] not in ("Running",
                                                                           "Waiting"):
            run: dict[str, Any] = answer.json()
            return run
        time.sleep(0.1)
    raise AssertionError(f"the run {run_id} did not end")


def test_a_polling_trigger_run_by_hand_polls_once(client: httpx.Client, feed: Feed) -> None:
    # Its schedule starts in 2099: only the calls by hand poll.
    trigger = {"type": "Http", "inputs": {"method": "GET", "uri": f"{feed.url}/items"},
               "recurrence": {"frequency": "Hour", "interval": 1,
                              "startTime": "2099-01-01T00:00:00Z"},
               "splitOn": "@triggerBody()['items']"}
    assert client.put("/v1/workflows/feed", json=workflow(trigger)).status_code == 201
    nothing = client.post("/v1/workflows/feed/triggers/t/run")
    assert (nothing.status_code, nothing.content) == (204, b"")
    assert "x-ms-workflow-run-id" not in nothing.headers
    feed.ready = True
    fired = client.post("/v1/workflows/feed/triggers/t/run")
    assert fired.status_code == 202, fired.text
    run = finished(client, fired.headers["x-ms-workflow-run-id"])
    assert (run["status"], run["trigger"]["outputs"]["body"]) == ("Succeeded", {"n": 1})
    listed = client.get("/v1/workflows/feed/runs").json()["value"]
    assert len(listed) == 2  # one run per item
    assert feed.polls == ["/items", "/items"]


def test_a_request_trigger_with_concurrency_queues_runs_and_refuses_beyond(
        client: httpx.Client) -> None:
    trigger = {"type": "Request", "kind": "Http", "inputs": {},
               "runtimeConfiguration": {"concurrency": {"runs": 1,
                                                        "maximumWaitingRuns": 1}}}
    pause = {"Pause": {"type": "Wait", "runAfter": {},
                       "inputs": {"interval": {"count": 1, "unit": "Second"}}}}
    assert client.put("/v1/workflows/one-at-a-time",
                      json=workflow(trigger, pause)).status_code == 201
    url = client.post("/v1/workflows/one-at-a-time/triggers/t/callback-url").json()["value"]
    with httpx.Client(timeout=30) as anonymous:
        answers = [anonymous.post(url, json={"n": n}) for n in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    refused = answers[2].json()["error"]
    assert refused["code"] == "Throttled" and "retry-after" in answers[2].headers
    assert "x-ms-workflow-run-id" not in answers[2].headers
    waiting = client.get(f"/v1/runs/{answers[1].headers['x-ms-workflow-run-id']}").json()
    assert (waiting["status"], waiting["trigger"]["outputs"]["body"]) == ("Waiting", {"n": 1})
    runs = [finished(client, a.headers["x-ms-workflow-run-id"]) for a in answers[:2]]
    assert [r["status"] for r in runs] == ["Succeeded", "Succeeded"]
    assert [r["trigger"]["outputs"]["body"] for r in runs] == [{"n": 0}, {"n": 1}]
    assert runs[1]["startTime"] >= runs[0]["endTime"]  # never both in flight
    assert len(client.get("/v1/workflows/one-at-a-time/runs").json()["value"]) == 2
