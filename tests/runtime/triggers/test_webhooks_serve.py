"""Webhook triggers and actions on the real ``portway serve``, against a real subscriber
server on loopback: subscribe on enable, callbacks start runs, unsubscribe on disable,
update and delete, a failed subscribe's ``Error`` state, durable waits of webhook actions
across kill -9, and callbacks that must start nothing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.runtime.engine.test_kill import _kill_tree, _wait, database_env  # noqa: F401
from tests.support.servers import portway_process, serve_in_thread

pytestmark = pytest.mark.slow


class Subscriber:
    """A service that takes webhook subscriptions: ``POST /subscribe`` answers 201 with the
    subscription's ``Location``; ``DELETE /subscriptions/{id}`` and ``POST /unsubscribe``
    end one. It can be told to refuse subscriptions."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.refuse = False
        self.lock = threading.Lock()
        self.base = ""

    def app(self) -> Starlette:
        async def subscribe(request: Request) -> Response:
            body = json.loads(await request.body() or b"null")
            if self.refuse:
                self._record("refused", "", body, request)
                return JSONResponse({"error": "no more subscriptions"}, status_code=503)
            with self.lock:
                number = str(1 + sum(1 for c in self.calls if c["kind"] == "subscribe"))
            self._record("subscribe", number, body, request)
            return JSONResponse({"id": number}, status_code=201, headers={
                "location": f"{self.base}/subscriptions/{number}"})

        async def delete(request: Request) -> Response:
            self._record("delete", request.path_params["id"], None, request)
            return Response(status_code=204)

        async def unsubscribe(request: Request) -> Response:
            body = json.loads(await request.body() or b"null")
            self._record("unsubscribe", str((body or {}).get("id", "")), body, request)
            return Response(status_code=200)

        async def root(request: Request) -> Response:
            return Response("ok")

        return Starlette(routes=[
            Route("/", root), Route("/subscribe", subscribe, methods=["POST"]),
            Route("/subscriptions/{id}", delete, methods=["DELETE"]),
            Route("/unsubscribe", unsubscribe, methods=["POST"])])

    def _record(self, kind: str, number: str, body: Any, request: Request) -> None:
        with self.lock:
            self.calls.append({"kind": kind, "id": number, "body": body,
                               "headers": dict(request.headers)})

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [call for call in self.calls if call["kind"] == kind]


#: Callback URLs name this base (``runtime.public_url``): they stay the same across
#: restarts on other ports; the tests send them to the server they run.
PUBLIC = "http://portway.test"


def at(url: str, base: str) -> str:
    return base + url.removeprefix(PUBLIC)


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    hooks = Subscriber()
    with serve_in_thread(hooks.app()) as base:
        hooks.base = base
        yield hooks


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Any]:
    """Opens API clients with the owner's token (closed after the test)."""
    opened: list[httpx.Client] = []

    def open_at(base: str) -> httpx.Client:
        token = (tmp_path / "var" / "owner.token").read_text().strip()
        client = httpx.Client(base_url=base, timeout=30,
                              headers={"authorization": f"Bearer {token}"})
        opened.append(client)
        return client

    yield open_at
    for client in opened:
        client.close()

@pytest.fixture
def backend_env(database_env: dict[str, str]) -> dict[str, str]:  # noqa: F811
    """SQLite and PostgreSQL (``database_env``), triggers looked at every 0.2 s."""
    return {**database_env, "PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.2"}


def _schema() -> dict[str, Any]:
    return {"$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/"
                       "schemas/2016-06-01/workflowdefinition.json#",
            "contentVersion": "1.0.0.0"}


def hook_trigger_workflow(sub: str, topic: str = "orders") -> dict[str, Any]:
    return {"definition": {**_schema(), "triggers": {"When_an_order_comes": {
        "type": "HttpWebhook", "inputs": {
            "subscribe": {"method": "POST", "uri": f"{sub}/subscribe",
                          "body": {"callbackUrl": "@{listCallbackUrl()}", "topic": topic}},
            "unsubscribe": {"method": "DELETE",
                            "uri": "@{triggerOutputs()['headers']['Location']}"}}}},
        "actions": {"Echo": {"type": "Compose", "runAfter": {},
                             "inputs": "@triggerBody()?['order']"}}}}


def runs_of(client: httpx.Client, name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get(f"/v1/workflows/{name}/runs").json()["value"]
    return found


def finished(client: httpx.Client, run_id: str) -> dict[str, Any] | None:
    run: dict[str, Any] = client.get(f"/v1/runs/{run_id}").json()
    return run if run.get("status") not in ("Running", "Waiting") else None


def test_an_http_webhook_trigger_subscribes_fires_and_unsubscribes(
        tmp_path: Path, subscriber: Subscriber, backend_env: dict[str, str],
        api: Any) -> None:
    env = {**backend_env, "PORTWAY_RUNTIME_PUBLIC_URL": PUBLIC}
    with portway_process(tmp_path, env) as (base, _):
        client = api(base)
        put = client.put("/v1/workflows/Orders", json=hook_trigger_workflow(subscriber.base))
        assert put.status_code == 201, put.text
        [first] = _wait(lambda: subscriber.of("subscribe"))
        url = first["body"]["callbackUrl"]
        assert first["body"]["topic"] == "orders"
        parts = urlsplit(url)
        assert parts.path == "/api/Orders/triggers/When_an_order_comes/invoke"
        query = parse_qs(parts.query)
        assert query["sp"] == ["/triggers/When_an_order_comes/run"]
        assert query["sv"] == ["1.0"] and query["api-version"] == ["2022-05-01"]
        assert first["headers"]["x-ms-workflow-name"] == "Orders"

        # A callback to the URL starts a run with its body as the trigger's outputs.
        called = httpx.post(at(url, base), json={"order": 7}, timeout=30)
        assert called.status_code == 202, called.text
        run = _wait(lambda: finished(client, called.headers["x-ms-workflow-run-id"]))
        assert run["status"] == "Succeeded", run
        assert run["trigger"]["outputs"]["body"] == {"order": 7}
        assert run["actions"]["Echo"]["outputs"] == 7
        assert client.get("/v1/workflows/Orders").json()["state"] == "Enabled"

        # Disabled: unsubscribed with the Location the subscribe answered; callbacks refused.
        assert client.post("/v1/workflows/Orders/disable").status_code == 200
        [gone] = _wait(lambda: subscriber.of("delete"))
        assert gone["id"] == "1"
        refused = httpx.post(at(url, base), json={"order": 8}, timeout=30)
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "WorkflowDisabled"

        # Enabled again: subscribed again (once).
        assert client.post("/v1/workflows/Orders/enable").status_code == 200
        _wait(lambda: len(subscriber.of("subscribe")) == 2)

    # The subscription is durable: a restarted server neither subscribes again nor drops it.
    with portway_process(tmp_path, env) as (base, _):
        client = api(base)
        time.sleep(1.5)
        assert len(subscriber.of("subscribe")) == 2
        assert len(subscriber.of("delete")) == 1

        # A new version: the old subscription ends, the new one begins.
        put = client.put("/v1/workflows/Orders",
                         json=hook_trigger_workflow(subscriber.base, "refunds"))
        assert put.status_code == 200, put.text
        third = _wait(lambda: subscriber.of("subscribe")[2:])[0]
        assert third["body"]["topic"] == "refunds"
        assert [c["id"] for c in subscriber.of("delete")] == ["1", "2"]

        # Deleted while subscribed: unsubscribed; a late callback is 401 and starts nothing.
        assert client.delete("/v1/workflows/Orders").status_code == 204
        _wait(lambda: [c["id"] for c in subscriber.of("delete")] == ["1", "2", "3"])
        late = httpx.post(at(third["body"]["callbackUrl"], base), json={"order": 9}, timeout=30)
        assert late.status_code == 401
        assert late.json()["error"]["code"] == "DirectApiAuthorizationRequired"
        assert "x-ms-workflow-run-id" not in late.headers
    log = (tmp_path / "portway.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    assert "sig=" not in log


def test_a_refused_subscription_leaves_the_workflow_in_error_until_enabled(
        tmp_path: Path, subscriber: Subscriber, api: Any) -> None:
    env = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32", "PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.2",
           "PORTWAY_RUNTIME_PUBLIC_URL": PUBLIC,
           "PORTWAY_CATALOGUE_DIRECTORY": str(tmp_path / "no-catalogue")}
    subscriber.refuse = True
    with portway_process(tmp_path, env) as (base, _):
        client = api(base)
        assert client.put("/v1/workflows/Orders",
                          json=hook_trigger_workflow(subscriber.base)).status_code == 201
        record = _wait(lambda: (found := client.get("/v1/workflows/Orders").json())[
            "state"] == "Error" and found)
        assert record["stateMessage"] == ("The subscription of the trigger "
                                          "'When_an_order_comes' failed: the subscriber "
                                          "answered 503")
        time.sleep(1.0)
        assert len(subscriber.of("refused")) == 1  # not retried on its own
        subscriber.refuse = False
        enabled = client.post("/v1/workflows/Orders/enable").json()
        assert enabled["state"] == "Enabled" and "stateMessage" not in enabled
        _wait(lambda: subscriber.of("subscribe"))
        time.sleep(0.6)
        assert client.get("/v1/workflows/Orders").json()["state"] == "Enabled"


def webhook_action_workflow(sub: str, timeout: str = "PT1H") -> dict[str, Any]:
    return {"definition": {**_schema(), "triggers": {"manual": {
        "type": "Request", "kind": "Http", "inputs": {}}},
        "actions": {
            "Wait_for_approval": {"type": "HttpWebhook", "runAfter": {},
                                  "limit": {"timeout": timeout}, "inputs": {
                "subscribe": {"method": "POST", "uri": f"{sub}/subscribe",
                              "body": {"callbackUrl": "@{listCallbackUrl()}",
                                       "run": "@{workflow()['run']['name']}"}},
                "unsubscribe": {"method": "POST", "uri": f"{sub}/unsubscribe",
                                "body": {"id": "@{triggerBody()?['ticket']}"}}}},
            "Decision": {"type": "Compose", "runAfter": {"Wait_for_approval": ["Succeeded"]},
                         "inputs": "@body('Wait_for_approval')?['approved']"}}}}


def test_a_webhook_action_waits_durably_across_kill_9_for_its_callback(
        tmp_path: Path, subscriber: Subscriber, backend_env: dict[str, str],
        api: Any) -> None:
    env = {**backend_env, "PORTWAY_RUNTIME_PUBLIC_URL": PUBLIC}
    with portway_process(tmp_path, env) as (base, process):
        client = api(base)
        assert client.put("/v1/workflows/Approve", json=webhook_action_workflow(
            subscriber.base)).status_code == 201
        url = client.post("/v1/workflows/Approve/triggers/manual/callback-url").json()["value"]
        started = httpx.post(at(url, base), json={"ticket": "T-1"}, timeout=30)
        assert started.status_code == 202, started.text
        run_id = started.headers["x-ms-workflow-run-id"]
        [sub] = _wait(lambda: subscriber.of("subscribe"))
        assert sub["body"]["run"] == run_id
        callback = sub["body"]["callbackUrl"]
        parts = urlsplit(callback)
        assert parts.path == f"/api/Approve/runs/{run_id}/actions/Wait_for_approval/run"
        assert parse_qs(parts.query)["sp"] == [
            f"/runs/{run_id}/actions/Wait_for_approval/run,"
            f"/runs/{run_id}/actions/Wait_for_approval/read"]
        _wait(lambda: client.get(f"/v1/runs/{run_id}").json()["status"] == "Waiting")
        _kill_tree(process.pid)  # kill -9 while the run waits
        process.wait(10)
    with portway_process(tmp_path, env) as (base, _):
        client = api(base)
        run = client.get(f"/v1/runs/{run_id}").json()
        assert run["status"] == "Waiting"
        assert run["actions"]["Wait_for_approval"]["status"] == "Waiting"
        # A wrong signature is refused and stores nothing.
        forged = at(callback, base).replace("sig=", "sig=x")
        assert httpx.post(forged, json={"approved": False}, timeout=30).status_code == 401
        answered = httpx.post(at(callback, base), json={"approved": True}, timeout=30)
        assert answered.status_code == 200, answered.text
        run = _wait(lambda: finished(client, run_id), timeout=30)
        assert run["status"] == "Succeeded", run
        assert run["actions"]["Wait_for_approval"]["outputs"]["body"] == {"approved": True}
        assert run["actions"]["Decision"]["outputs"] is True
        [undone] = _wait(lambda: subscriber.of("unsubscribe"))
        assert undone["body"] == {"id": "T-1"}
        # A replayed callback finds nothing waiting: 404, nothing stored, no second run.
        again = httpx.post(at(callback, base), json={"approved": False}, timeout=30)
        assert again.status_code == 404
        assert again.json()["error"]["code"] == "NotFound"
        assert len(runs_of(client, "Approve")) == 1
    assert len(subscriber.of("subscribe")) == 1


def test_a_webhook_action_without_a_callback_times_out_and_unsubscribes(
        tmp_path: Path, subscriber: Subscriber, api: Any) -> None:
    env = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32", "PORTWAY_RUNTIME_POLL_SECONDS": "0.1",
           "PORTWAY_RUNTIME_PUBLIC_URL": PUBLIC,
           "PORTWAY_CATALOGUE_DIRECTORY": str(tmp_path / "no-catalogue")}
    with portway_process(tmp_path, env) as (base, _):
        client = api(base)
        assert client.put("/v1/workflows/Approve", json=webhook_action_workflow(
            subscriber.base, "PT2S")).status_code == 201
        url = client.post("/v1/workflows/Approve/triggers/manual/callback-url").json()["value"]
        started = httpx.post(at(url, base), json={"ticket": "T-2"}, timeout=30)
        run_id = started.headers["x-ms-workflow-run-id"]
        run = _wait(lambda: finished(client, run_id), timeout=30)
        assert run["status"] == "Failed", run
        action = run["actions"]["Wait_for_approval"]
        assert (action["status"], action["code"]) == ("TimedOut", "ActionTimedOut")
        assert run["actions"]["Decision"]["status"] == "Skipped"
        [undone] = _wait(lambda: subscriber.of("unsubscribe"))
        assert undone["body"] == {"id": "T-2"}
        late = httpx.post(at(subscriber.of("subscribe")[0]["body"]["callbackUrl"], base),
                          json={"approved": True}, timeout=30)
        assert late.status_code == 404
