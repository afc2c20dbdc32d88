"""The Http polling trigger against a real upstream on loopback, on a clock the tests move:
202 does not fire and Retry-After sets the next poll, 200 fires, Location is the next
poll's URL, splitOn makes one run per item, conditions drop runs, and two processes
polling at once start each item's run once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import Services
from runtime.store.tables import trigger_states
from runtime.triggers.scheduler import TriggerScheduler
from tests.runtime.engine.support import ManualClock
from tests.runtime.triggers.support import START, deploy, host_for, race, run, run_ids
from tests.support.servers import serve_in_thread

pytestmark = pytest.mark.both_backends


@dataclass
class Feed:
    url: str = ""
    seen: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    ready: bool = False


@pytest.fixture
def feed() -> Iterator[Feed]:
    state = Feed()

    async def first(request: Request) -> Response:
        state.seen.append(f"{request.url.path}?{request.url.query}")
        state.headers.append(dict(request.headers))
        if not state.ready:
            return Response(status_code=202, headers={"Retry-After": "30"})
        return JSONResponse({"items": [{"id": 1}, {"id": 2, "skip": True}, {"id": 3}]},
                            headers={"Location": f"{state.url}/feed/after-3"})

    async def after(request: Request) -> Response:
        state.seen.append(request.url.path)
        return JSONResponse({"items": []})

    app = Starlette(routes=[Route("/feed", first), Route("/feed/after-3", after)])
    with serve_in_thread(app) as url:
        state.url = url
        yield state


def http_trigger(feed: Feed) -> dict[str, Any]:
    return {"poll": {
        "type": "Http",
        "inputs": {"method": "GET", "uri": f"{feed.url}/feed",
                   "queries": {"who": "@parameters('who')"}},
        "recurrence": {"frequency": "Minute", "interval": 1},
        "splitOn": "@triggerBody()['items']",
        "conditions": [{"expression": "@not(equals(triggerBody()?['skip'], true))"}],
    }}


def deploy_with_parameter(host: Any, feed: Feed, name: str = "poller") -> None:
    deploy(host, name, http_trigger(feed),
           {"who": {"type": "String", "defaultValue": "portway"}})


def test_202_waits_for_retry_after_200_fires_per_item_and_location_is_the_next_poll(
        services: Services, feed: Feed) -> None:
    clock = ManualClock(START)
    host = host_for(services, clock)
    deploy_with_parameter(host, feed)
    scheduler = TriggerScheduler(host, clock=clock)

    async def body() -> list[int]:
        started = [await scheduler.tick()]  # 202 Retry-After 30
        await clock.advance(29)
        started.append(await scheduler.tick())  # not due yet: no poll
        feed.ready = True
        await clock.advance(1)
        started.append(await scheduler.tick())  # 200: three items, one skipped
        await clock.advance(60)
        started.append(await scheduler.tick())  # polls the Location: nothing new
        await host.engine.aclose()
        return started

    assert run(body, services) == [0, 0, 2, 0]
    assert feed.seen == ["/feed?who=portway", "/feed?who=portway", "/feed/after-3"]
    bodies = sorted(host.history.get(i)["trigger"]["outputs"]["body"]["id"]
                    for i in run_ids(services, "poller"))
    assert bodies == [1, 3]
    with services.db.engine.connect() as conn:
        [row] = conn.execute(trigger_states.select()).all()
    assert '"location"' in row.state and "after-3" in row.state


def test_two_processes_polling_at_once_start_each_item_once(
        services: Services, feed: Feed) -> None:
    clock = ManualClock(START)
    feed.ready = True
    hosts = [host_for(services, clock) for _ in range(2)]
    deploy_with_parameter(hosts[0], feed, "race")

    run(lambda: race(hosts, clock), services)
    assert len(run_ids(services, "race")) == 2


def test_a_poll_carries_the_workflow_headers_of_a_trigger_and_no_run_id(
        services: Services, feed: Feed) -> None:
    clock = ManualClock(START)
    host = host_for(services, clock)
    deploy_with_parameter(host, feed)
    quiet = http_trigger(feed)
    quiet["poll"]["operationOptions"] = "SuppressWorkflowHeaders"
    quiet["poll"]["inputs"]["headers"] = {"x-ms-workflow-name": "mine"}
    deploy(host, "quiet", quiet, {"who": {"type": "String", "defaultValue": "q"}})
    scheduler = TriggerScheduler(host, clock=clock)

    async def body() -> None:
        await scheduler.tick()
        await clock.advance(60)
        await scheduler.tick()
        await host.engine.aclose()

    run(body, services)
    polls = [h for h in feed.headers if h.get("x-ms-workflow-name") == "poller"]
    assert len(polls) == 2
    version = host.workflows.current("poller").version
    for headers in polls:
        assert headers["x-ms-workflow-version"] == version
        assert headers["x-ms-workflow-operation-name"] == "poll"
        assert "x-ms-workflow-run-id" not in headers  # no run yet
        assert headers["x-ms-tracking-id"] == headers["x-ms-client-request-id"]
    assert polls[0]["x-ms-tracking-id"] != polls[1]["x-ms-tracking-id"]  # one per poll
    # SuppressWorkflowHeaders: only what the definition itself sends.
    [first, *_] = [h for h in feed.headers if h.get("x-ms-workflow-name") == "mine"]
    assert not any(name.startswith("x-ms-") for name in first
                   if name != "x-ms-workflow-name")
