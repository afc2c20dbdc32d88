"""Webhook triggers and actions on the real ``portway serve``, against a real subscriber
server on loopback: subscribe on enable, callbacks start runs, unsubscribe on disable,
update and delete, a failed subscribe's ``Error`` state, durable waits of webhook actions
across kill -9, and callbacks that must start nothing."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import uuid
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
from tests.support.databases import create_database, drop_database
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
        #: ``GET /busy`` answers only once this is set.
        self.gate = threading.Event()
        #: While set, a subscribe call is taken (recorded, subscribed) but not answered.
        self.stall = threading.Event()

    def app(self) -> Starlette:
        def taker(kind: str, where: str) -> Any:
            """A subscribe endpoint: 201 with the new subscription's Location."""

            async def take(request: Request) -> Response:
                body = json.loads(await request.body() or b"null")
                if self.refuse:
                    self._record("refused", "", body, request)
                    return JSONResponse({"error": "no more subscriptions"}, status_code=503)
                with self.lock:
                    number = str(1 + sum(1 for c in self.calls if c["kind"] == kind))
                self._record(kind, number, body, request)
                while self.stall.is_set():
                    await asyncio.sleep(0.05)
                return JSONResponse({"id": number}, status_code=201, headers={
                    "location": f"{self.base}{where}/{number}"})

            return take

        def ender(kind: str) -> Any:
            async def end(request: Request) -> Response:
                self._record(kind, request.path_params["id"], None, request)
                return Response(status_code=204)

            return end

        subscribe, hook = taker("subscribe", "/subscriptions"), taker("hook", "/api/hooks")
        delete, unhook = ender("delete"), ender("unhook")

        async def unsubscribe(request: Request) -> Response:
            body = json.loads(await request.body() or b"null")
            self._record("unsubscribe", str((body or {}).get("id", "")), body, request)
            return Response(status_code=200)

        async def root(request: Request) -> Response:
            return Response("ok")

        async def busy(request: Request) -> Response:
            self._record("busy", "", None, request)
            for _ in range(600):
                if self.gate.is_set():
                    break
                await asyncio.sleep(0.05)
            return Response("done")

        return Starlette(routes=[
            Route("/", root), Route("/busy", busy),
            Route("/subscribe", subscribe, methods=["POST"]),
            Route("/subscriptions/{id}", delete, methods=["DELETE"]),
            Route("/unsubscribe", unsubscribe, methods=["POST"]),
            Route("/api/hooks", hook, methods=["POST"]),
            Route("/api/hooks/{id}", unhook, methods=["DELETE"])])

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


def serve_env(tmp_path: Path, **more: str) -> dict[str, str]:
    """``portway serve`` for these tests: loopback reachable, triggers and runs looked at
    often, callback URLs on ``PUBLIC``, no shipped catalogue."""
    return {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32", "PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.2",
            "PORTWAY_RUNTIME_POLL_SECONDS": "0.1", "PORTWAY_RUNTIME_PUBLIC_URL": PUBLIC,
            "PORTWAY_CATALOGUE_DIRECTORY": str(tmp_path / "no-catalogue"), **more}


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


def hook_trigger_workflow(sub: str, topic: str = "orders", *, split: bool = False
                          ) -> dict[str, Any]:
    splitting = {"splitOn": "@triggerBody()?['value']"} if split else {}
    return {"definition": {**_schema(), "triggers": {"When_an_order_comes": {
        **splitting, "type": "HttpWebhook", "inputs": {
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
        assert first["headers"]["x-ms-workflow-operation-name"] == "When_an_order_comes"
        assert "x-ms-workflow-run-id" not in first["headers"]

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


def test_a_kill_9_during_the_subscribe_call_leaves_no_second_live_subscription(
        tmp_path: Path, subscriber: Subscriber, api: Any) -> None:
    workflow = hook_trigger_workflow(subscriber.base)
    workflow["definition"]["triggers"]["When_an_order_comes"]["inputs"]["unsubscribe"] = {
        "method": "POST", "uri": f"{subscriber.base}/unsubscribe",
        "body": {"callbackUrl": "@{listCallbackUrl()}"}}
    env = serve_env(tmp_path)
    subscriber.stall.set()
    with portway_process(tmp_path, env) as (base, process):
        client = api(base)
        assert client.put("/v1/workflows/Orders", json=workflow).status_code == 201
        [first] = _wait(lambda: subscriber.of("subscribe"))
        _kill_tree(process.pid)  # kill -9 while the subscriber has not answered yet
        process.wait(10)
    subscriber.stall.clear()
    assert subscriber.of("unsubscribe") == []
    with portway_process(tmp_path, env) as (base, _):
        client = api(base)
        [orphan] = _wait(lambda: subscriber.of("unsubscribe"))
        assert orphan["body"] == {"callbackUrl": first["body"]["callbackUrl"]}
        _wait(lambda: len(subscriber.of("subscribe")) == 2)
        time.sleep(1.0)  # several rounds: nothing more comes
        assert len(subscriber.of("subscribe")) == 2
        assert len(subscriber.of("unsubscribe")) == 1
        assert client.get("/v1/workflows/Orders").json()["state"] == "Enabled"
        # The one live subscription fires runs.
        url = subscriber.of("subscribe")[1]["body"]["callbackUrl"]
        assert httpx.post(at(url, base), json={"order": 7}, timeout=30).status_code == 202
        [run] = _wait(lambda: runs_of(client, "Orders"))
        assert run["status"] in ("Running", "Succeeded")
        assert client.delete("/v1/workflows/Orders").status_code == 204
        _wait(lambda: len(subscriber.of("unsubscribe")) == 2)


def test_a_refused_subscription_leaves_the_workflow_in_error_until_enabled(
        tmp_path: Path, subscriber: Subscriber, api: Any) -> None:
    env = serve_env(tmp_path)
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


def test_a_callback_while_its_run_is_busy_in_another_branch_wakes_it_at_once(
        tmp_path: Path, subscriber: Subscriber, backend_env: dict[str, str],
        api: Any) -> None:
    # The action's own recheck is ten minutes away: only the callback can wake it in time.
    env = {**backend_env, "PORTWAY_RUNTIME_PUBLIC_URL": PUBLIC,
           "PORTWAY_RUNTIME_WEBHOOK_RECHECK_SECONDS": "600"}
    workflow = webhook_action_workflow(subscriber.base)
    workflow["definition"]["actions"]["Busy"] = {
        "type": "Http", "runAfter": {},
        "inputs": {"method": "GET", "uri": f"{subscriber.base}/busy"}}
    with portway_process(tmp_path, env) as (base, _):
        client = api(base)
        assert client.put("/v1/workflows/Approve", json=workflow).status_code == 201
        url = client.post("/v1/workflows/Approve/triggers/manual/callback-url").json()["value"]
        started = httpx.post(at(url, base), json={"ticket": "T-3"}, timeout=30)
        run_id = started.headers["x-ms-workflow-run-id"]
        [sub] = _wait(lambda: subscriber.of("subscribe"))
        _wait(lambda: subscriber.of("busy"))
        _wait(lambda: client.get(f"/v1/runs/{run_id}").json()["actions"].get(
            "Wait_for_approval", {}).get("status") == "Waiting")
        # The callback comes while the Busy branch still holds the run in memory.
        answered = httpx.post(at(sub["body"]["callbackUrl"], base), json={"approved": True},
                              timeout=30)
        assert answered.status_code == 200, answered.text
        assert client.get(f"/v1/runs/{run_id}").json()["status"] == "Running"
        subscriber.gate.set()
        run = _wait(lambda: finished(client, run_id), timeout=30)
        assert run["status"] == "Succeeded", run
        assert run["actions"]["Busy"]["status"] == "Succeeded"
        assert run["actions"]["Decision"]["outputs"] is True
        [undone] = _wait(lambda: subscriber.of("unsubscribe"))
        assert undone["body"] == {"id": "T-3"}


def test_a_webhook_action_without_a_callback_times_out_and_unsubscribes(
        tmp_path: Path, subscriber: Subscriber, api: Any) -> None:
    env = serve_env(tmp_path)
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


def test_runs_ended_while_no_server_ran_still_unsubscribe_their_webhook_actions(
        tmp_path: Path, subscriber: Subscriber, api: Any) -> None:
    # A run timed out (the run duration limit) and a run cancelled (by the CLI, on the
    # store) while no server runs: the subscription rows outlive the run, so the next
    # server unsubscribes both, once each.
    env = serve_env(tmp_path, PORTWAY_RUNTIME_RUN_DURATION_DAYS=str(8 / 86400))

    def start(base: str, client: httpx.Client, ticket: str) -> str:
        url = client.post("/v1/workflows/Approve/triggers/manual/callback-url").json()["value"]
        run_id: str = httpx.post(at(url, base), json={"ticket": ticket},
                                 timeout=30).headers["x-ms-workflow-run-id"]
        _wait(lambda: len(subscriber.of("subscribe")) == int(ticket[-1]))
        _wait(lambda: client.get(f"/v1/runs/{run_id}").json()["status"] == "Waiting")
        return run_id

    with portway_process(tmp_path, env) as (base, process):
        client = api(base)
        assert client.put("/v1/workflows/Approve", json=webhook_action_workflow(
            subscriber.base, "P1D")).status_code == 201
        timed = start(base, client, "T-1")
        started = time.monotonic()
        cancelled = start(base, client, "T-2")
        _kill_tree(process.pid)  # kill -9 while both wait
        process.wait(10)
    ended = subprocess.run([str(Path(sys.executable).parent / "portway"), "runs", "cancel",
                            cancelled], cwd=tmp_path, capture_output=True, text=True,
                           env={"PATH": str(Path(sys.executable).parent)}, timeout=120)
    assert ended.returncode == 0, ended.stderr
    time.sleep(max(0.0, 8.5 - (time.monotonic() - started)))  # past the first's deadline
    assert subscriber.of("unsubscribe") == []
    with portway_process(tmp_path, env) as (base, _):
        client = api(base)
        run = _wait(lambda: finished(client, timed), timeout=30)
        assert (run["status"], run["error"]["code"]) == ("Failed", "RunTimedOut")
        assert client.get(f"/v1/runs/{cancelled}").json()["status"] == "Cancelled"
        _wait(lambda: len(subscriber.of("unsubscribe")) == 2)
        time.sleep(1.0)  # several rounds: nothing more
        assert sorted(c["body"]["id"] for c in subscriber.of("unsubscribe")) == ["T-1", "T-2"]
        for sub in subscriber.of("subscribe"):
            late = httpx.post(at(sub["body"]["callbackUrl"], base), json={}, timeout=30)
            assert late.status_code == 404


def relay_swagger(base: str) -> dict[str, Any]:
    """A connector with a webhook trigger (``x-ms-trigger``, ``x-ms-notification-url``,
    201 + ``Location``) and the DELETE that ends a subscription, behind basic auth."""
    return {
        "swagger": "2.0", "info": {"title": "Relay", "version": "1.0"},
        "host": base.removeprefix("http://"), "basePath": "/api", "schemes": ["http"],
        "securityDefinitions": {"basic": {"type": "basic"}}, "security": [{"basic": []}],
        "paths": {
            "/hooks": {
                "x-ms-notification-content": {"description": "A bounce",
                                              "schema": {"type": "object"}},
                "post": {
                    "operationId": "OnBounce", "x-ms-trigger": "single",
                    "consumes": ["application/json"],
                    "parameters": [{"name": "body", "in": "body", "required": True,
                                    "schema": {"type": "object", "properties": {
                                        "callbackUrl": {"type": "string",
                                                        "x-ms-notification-url": True},
                                        "event": {"type": "string"}}}}],
                    "responses": {"201": {"description": "Subscribed"}}}},
            "/hooks/{hookId}": {"delete": {
                "operationId": "DeleteHook",
                "parameters": [{"name": "hookId", "in": "path", "required": True,
                                "type": "string"}],
                "responses": {"204": {"description": "Removed"}}}}},
    }


def relay_trigger_workflow() -> dict[str, Any]:
    return {"connectionReferences": {"relay": {"connection": "relay1"}},
            "definition": {**_schema(), "triggers": {"When_a_message_bounces": {
                "type": "ApiConnectionWebhook", "inputs": {
                    "host": {"connection": {"referenceName": "relay"}},
                    "body": {"callbackUrl": "@{listCallbackUrl()}", "event": "bounce"},
                    "path": "/hooks"}}},
                "actions": {"Who": {"type": "Compose", "runAfter": {},
                                    "inputs": "@triggerBody()?['to']"}}}}


def relay_action_workflow() -> dict[str, Any]:
    return {"connectionReferences": {"relay": {"connection": "relay1"}},
            "definition": {**_schema(), "triggers": {"manual": {
                "type": "Request", "kind": "Http", "inputs": {}}},
                "actions": {"Wait_for_bounce": {
                    "type": "ApiConnectionWebhook", "runAfter": {}, "inputs": {
                        "host": {"connection": {"referenceName": "relay"}},
                        "body": {"callbackUrl": "@listCallbackUrl()", "event": "bounce"},
                        "path": "/hooks"}}}}}


def test_api_connection_webhooks_subscribe_through_the_gateway_under_the_workflow(
        tmp_path: Path, subscriber: Subscriber, api: Any) -> None:
    env = serve_env(tmp_path)
    with portway_process(tmp_path, env) as (base, _):
        client = api(base)
        assert client.put("/v1/connectors/relay",
                          json=relay_swagger(subscriber.base)).status_code in (200, 201)
        made = client.put("/v1/connections/relay1", json={
            "connector": "relay", "parameters": {"username": "relay-user",
                                                 "password": "s3cret-pw"}})
        assert made.status_code == 201, made.text

        # Not in the connection's access policies: the linked access check refuses the
        # subscribe before any byte goes upstream, and the workflow says why.
        assert client.put("/v1/workflows/Bounces",
                          json=relay_trigger_workflow()).status_code == 201
        record = _wait(lambda: (found := client.get("/v1/workflows/Bounces").json())[
            "state"] == "Error" and found)
        assert "Bounces@workflows" in record["stateMessage"]
        assert subscriber.of("hook") == []

        policy = client.put("/v1/connections/relay1/access-policies/Bounces@workflows")
        assert policy.status_code == 200, policy.text
        assert client.post("/v1/workflows/Bounces/enable").status_code == 200
        [hook] = _wait(lambda: subscriber.of("hook"))
        assert hook["body"]["event"] == "bounce"
        assert hook["headers"]["authorization"].startswith("Basic ")
        url = hook["body"]["callbackUrl"]
        assert urlsplit(url).path == "/api/Bounces/triggers/When_a_message_bounces/invoke"
        fired = httpx.post(at(url, base), json={"to": "a@example.net"}, timeout=30)
        assert fired.status_code == 202, fired.text
        run = _wait(lambda: finished(client, fired.headers["x-ms-workflow-run-id"]))
        assert run["actions"]["Who"]["outputs"] == "a@example.net"

        # Disabled: a DELETE of the subscribe's Location, through the connection.
        assert client.post("/v1/workflows/Bounces/disable").status_code == 200
        [unhook] = _wait(lambda: subscriber.of("unhook"))
        assert unhook["id"] == "1"
        assert unhook["headers"]["authorization"] == hook["headers"]["authorization"]

        # The action: subscribes through the connection, waits, unsubscribes after.
        assert client.put("/v1/workflows/Bounces", json=relay_action_workflow(
        )).status_code == 200
        assert client.post("/v1/workflows/Bounces/enable").status_code == 200
        url = client.post("/v1/workflows/Bounces/triggers/manual/callback-url").json()["value"]
        started = httpx.post(at(url, base), json={}, timeout=30)
        run_id = started.headers["x-ms-workflow-run-id"]
        second = _wait(lambda: subscriber.of("hook")[1:])[0]
        answered = httpx.post(at(second["body"]["callbackUrl"], base),
                              json={"to": "b@example.net"}, timeout=30)
        assert answered.status_code == 200, answered.text
        run = _wait(lambda: finished(client, run_id))
        assert run["status"] == "Succeeded", run
        assert run["actions"]["Wait_for_bounce"]["outputs"]["body"] == {"to": "b@example.net"}
        _wait(lambda: [c["id"] for c in subscriber.of("unhook")] == ["1", "2"])
    log = (tmp_path / "portway.log").read_text(errors="replace")
    assert "s3cret-pw" not in log and "Traceback" not in log


def test_hostile_callbacks_are_refused_store_nothing_and_the_server_stays_responsive(
        tmp_path: Path, subscriber: Subscriber, api: Any) -> None:
    env = serve_env(tmp_path, PORTWAY_LIMITS_MAX_REQUEST_BYTES="65536")
    with portway_process(tmp_path, env) as (base, _):
        client = api(base)
        assert client.put("/v1/workflows/Approve", json=webhook_action_workflow(
            subscriber.base)).status_code == 201
        url = client.post("/v1/workflows/Approve/triggers/manual/callback-url").json()["value"]
        run_id = httpx.post(at(url, base), json={"ticket": "T-3"},
                            timeout=30).headers["x-ms-workflow-run-id"]
        [sub] = _wait(lambda: subscriber.of("subscribe"))
        callback = at(sub["body"]["callbackUrl"], base)
        _wait(lambda: client.get(f"/v1/runs/{run_id}").json()["status"] == "Waiting")

        def refused(response: httpx.Response, status: int, code: str) -> None:
            assert response.status_code == status, response.text
            error = response.json()["error"]
            assert error["code"] == code and error["requestId"]

        refused(httpx.post(callback, content=b"x" * 100_000, timeout=30,
                           headers={"content-type": "application/json"}), 413,
                "PayloadTooLarge")
        refused(httpx.post(callback, content=b'{"approved": tru', timeout=30,
                           headers={"content-type": "application/json"}), 400,
                "InvalidRequestContent")
        refused(httpx.post(callback, content=b"[" * 50_000, timeout=30,
                           headers={"content-type": "application/json"}), 400,
                "InvalidRequestContent")
        refused(httpx.post(callback.split("&sig=")[0], json={}, timeout=30), 401,
                "DirectApiAuthorizationRequired")
        other = callback.replace(f"/runs/{run_id}/", "/runs/08584000000000000000000000000CU00/")
        refused(httpx.post(other, json={}, timeout=30), 401, "DirectApiAuthorizationRequired")
        refused(httpx.put(callback, json={}, timeout=30), 405, "MethodNotAllowed")

        # A bounded flood of forged callbacks: every one 401, the server keeps answering.
        forged = callback.replace("sig=", "sig=forged")
        with httpx.Client(timeout=30) as flood:
            codes = {flood.post(forged, json={"approved": True}).status_code
                     for _ in range(300)}
        assert codes == {401}
        started = time.monotonic()
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        assert time.monotonic() - started < 2.0
        run = client.get(f"/v1/runs/{run_id}").json()
        assert run["status"] == "Waiting"  # nothing was stored for it

        # A rotated trigger key makes the trigger's URL stale, not the waiting action's
        # (signed with the workflow's callback key): the run can still be called back.
        assert client.post("/v1/workflows/Approve/regenerateAccessKey").status_code in (
            200, 204)
        refused(httpx.post(at(url, base), json={"ticket": "T-4"}, timeout=30), 401,
                "DirectApiAuthorizationRequired")
        assert client.get(f"/v1/runs/{run_id}").json()["status"] == "Waiting"
        refused(httpx.post(forged, json={"approved": True}, timeout=30), 401,
                "DirectApiAuthorizationRequired")
        answered = httpx.post(callback, json={"approved": True}, timeout=30)
        assert answered.status_code == 200, answered.text
        run = _wait(lambda: finished(client, run_id), timeout=30)
        assert run["status"] == "Succeeded", run
        assert run["actions"]["Decision"]["outputs"] is True
        [undone] = _wait(lambda: subscriber.of("unsubscribe"))
        assert undone["body"] == {"id": "T-3"}
        # A new run's action signs with the same callback key, never the new trigger key.
        fresh = client.post("/v1/workflows/Approve/triggers/manual/callback-url").json()
        second = httpx.post(at(fresh["value"], base), json={"ticket": "T-5"}, timeout=30)
        assert second.status_code == 202, second.text
        [_, sub2] = _wait(lambda: len(subscriber.of("subscribe")) == 2 and
                          subscriber.of("subscribe"))
        assert client.post("/v1/workflows/Approve/regenerateAccessKey").status_code in (
            200, 204)
        assert client.post(f"/v1/runs/{second.headers['x-ms-workflow-run-id']}/cancel"
                           ).status_code == 200
        # A cancelled run's subscription is ended too; its URL then finds nothing waiting.
        _wait(lambda: len(subscriber.of("unsubscribe")) == 2)
        _wait(lambda: httpx.post(at(sub2["body"]["callbackUrl"], base), json={},
                                 timeout=30).status_code == 404)
        # Deleting the workflow drops its keys: the URL is 401.
        assert client.delete("/v1/workflows/Approve").status_code == 204
        refused(httpx.post(callback, json={"approved": True}, timeout=30), 401,
                "DirectApiAuthorizationRequired")


def test_a_rotated_key_resubscribes_webhook_triggers_with_the_new_url(
        tmp_path: Path, subscriber: Subscriber, api: Any) -> None:
    env = serve_env(tmp_path)
    with portway_process(tmp_path, env) as (base, _):
        client = api(base)
        assert client.put("/v1/workflows/Orders", json=hook_trigger_workflow(
            subscriber.base, split=True)).status_code == 201
        [first] = _wait(lambda: subscriber.of("subscribe"))
        # splitOn: a batch callback starts one run per item.
        batch = httpx.post(at(first["body"]["callbackUrl"], base), timeout=30,
                           json={"value": [{"order": 1}, {"order": 2}]})
        assert batch.status_code == 202, batch.text
        _wait(lambda: len(runs_of(client, "Orders")) == 2)
        ran = [_wait(lambda r=r: finished(client, r["id"])) for r in runs_of(client, "Orders")]
        assert sorted(r["actions"]["Echo"]["outputs"] for r in ran) == [1, 2]
        misfit = httpx.post(at(first["body"]["callbackUrl"], base), json={"value": 3},
                            timeout=30)
        assert misfit.status_code == 400, misfit.text
        assert client.post("/v1/workflows/Orders/regenerateAccessKey").status_code in (
            200, 204)
        second = _wait(lambda: subscriber.of("subscribe")[1:])[0]
        assert second["body"]["callbackUrl"] != first["body"]["callbackUrl"]
        assert [c["id"] for c in subscriber.of("delete")] == ["1"]
        stale = httpx.post(at(first["body"]["callbackUrl"], base), json={}, timeout=30)
        assert stale.status_code == 401
        fresh = httpx.post(at(second["body"]["callbackUrl"], base), timeout=30,
                           json={"value": [{"order": 3}]})
        assert fresh.status_code == 202, fresh.text


def test_two_processes_on_one_postgresql_subscribe_once_and_unsubscribe_once(
        tmp_path: Path, subscriber: Subscriber, api: Any, postgres_server_url: str) -> None:
    name = "w_" + uuid.uuid4().hex[:12]
    env = serve_env(
        tmp_path, PORTWAY_RUNTIME_LEASE_SECONDS="2",
        PORTWAY_SECURITY_MASTER_KEY_FILE=str(tmp_path / "var" / "master.key"),
        PORTWAY_SECURITY_OWNER_TOKEN_FILE=str(tmp_path / "var" / "owner.token"),
        PORTWAY_DATABASE_URL=create_database(postgres_server_url, name))
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    try:
        with portway_process(tmp_path, env) as (base, _), \
                portway_process(second_dir, env) as (other, _):
            client = api(base)
            assert client.put("/v1/workflows/Orders", json=hook_trigger_workflow(
                subscriber.base)).status_code == 201
            _wait(lambda: subscriber.of("subscribe"))
            time.sleep(2.0)  # several rounds of both processes
            assert len(subscriber.of("subscribe")) == 1
            # Either process takes the callback; one run.
            url = subscriber.of("subscribe")[0]["body"]["callbackUrl"]
            assert httpx.post(at(url, other), json={"order": 5}, timeout=30).status_code == 202
            assert client.delete("/v1/workflows/Orders").status_code == 204
            _wait(lambda: subscriber.of("delete"))
            time.sleep(1.0)
            assert len(subscriber.of("delete")) == 1
    finally:
        drop_database(postgres_server_url, name)


def test_a_webhook_action_in_a_foreach_gets_one_url_per_repetition(
        tmp_path: Path, subscriber: Subscriber, api: Any) -> None:
    wait = webhook_action_workflow(subscriber.base)["definition"]["actions"][
        "Wait_for_approval"]
    definition = {**_schema(), "triggers": {"manual": {"type": "Request", "kind": "Http",
                                                       "inputs": {}}},
                  "actions": {"Each": {"type": "Foreach", "runAfter": {},
                                       "foreach": "@triggerBody()?['tickets']",
                                       "actions": {"Wait_for_approval": wait}}}}
    with portway_process(tmp_path, serve_env(tmp_path)) as (base, _):
        client = api(base)
        assert client.put("/v1/workflows/Each", json={"definition": definition}
                          ).status_code == 201
        url = client.post("/v1/workflows/Each/triggers/manual/callback-url").json()["value"]
        run_id = httpx.post(at(url, base), json={"tickets": ["a", "b"]},
                            timeout=30).headers["x-ms-workflow-run-id"]
        subs = _wait(lambda: len(subscriber.of("subscribe")) == 2 and subscriber.of(
            "subscribe"))
        paths = sorted(urlsplit(s["body"]["callbackUrl"]).path for s in subs)
        assert paths == [f"/api/Each/runs/{run_id}/actions/Wait_for_approval%230/run",
                         f"/api/Each/runs/{run_id}/actions/Wait_for_approval%231/run"]
        for number, sub in enumerate(subs):
            answered = httpx.post(at(sub["body"]["callbackUrl"], base),
                                  json={"approved": number}, timeout=30)
            assert answered.status_code == 200, answered.text
            time.sleep(0.5)
        run = _wait(lambda: finished(client, run_id), timeout=60)
        assert run["status"] == "Succeeded", run
        repetitions = run["actions"]["Wait_for_approval"]["repetitions"]
        assert sorted(r["outputs"]["body"]["approved"] for r in repetitions) == [0, 1]
        _wait(lambda: len(subscriber.of("unsubscribe")) == 2)
