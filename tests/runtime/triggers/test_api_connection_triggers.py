"""ApiConnection polling triggers of an imported connector (``x-ms-trigger``), polled
through the gateway's whole data plane under the workflow's principal against a real
upstream on loopback: credentials added, the linked access check applied, 202 waits for
Retry-After, 200 fires (one run per item with ``splitOn``, one run for the whole batch
without), and the Location — here absolute, under the connector's base path — is the next
poll's path on the same connection."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import Services
from runtime.host import RuntimeHost
from runtime.store.tables import trigger_states
from runtime.triggers.scheduler import TriggerScheduler
from tests.runtime.engine.support import ManualClock
from tests.runtime.triggers.support import START, deploy, host_for, race, run, run_ids
from tests.support.gateways import gateway_with_connection
from tests.support.servers import serve_in_thread

KEY = "members-key-81"


@dataclass
class Members:
    url: str = ""
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)
    operations: list[str | None] = field(default_factory=list)
    ready: bool = False


@pytest.fixture
def members() -> Iterator[Members]:
    state = Members()

    async def new_members(request: Request) -> Response:
        state.seen.append((request.url.path, request.url.query,
                           request.headers.get("x-api-key")))
        state.operations.append(request.headers.get("x-ms-workflow-operation-name"))
        if not state.ready:
            return Response(status_code=202, headers={"Retry-After": "45"})
        if request.query_params.get("after") == "2":
            return Response(status_code=202)
        return JSONResponse({"value": [{"id": 1}, {"id": 2}]}, headers={
            "Location": f"{state.url}/base/trigger/lists/L1/members?after=2"})

    app = Starlette(routes=[Route("/base/trigger/lists/{list}/members", new_members)])
    with serve_in_thread(app) as url:
        state.url = url
        yield state


def members_swagger(base: str) -> dict[str, Any]:
    return {
        "swagger": "2.0", "info": {"title": "Members", "version": "1.0"},
        "host": base.removeprefix("http://"), "basePath": "/base", "schemes": ["http"],
        "securityDefinitions": {"key": {"type": "apiKey", "in": "header",
                                        "name": "X-Api-Key"}},
        "security": [{"key": []}],
        "paths": {"/trigger/lists/{list}/members": {"get": {
            "operationId": "OnNewMember", "x-ms-trigger": "batch",
            "parameters": [{"name": "list", "in": "path", "required": True,
                            "type": "string"},
                           {"name": "after", "in": "query", "type": "string"}],
            "responses": {"200": {"description": "new members"},
                          "202": {"description": "nothing new"}}}}},
    }


@pytest.fixture
def owner(services: Services, members: Members) -> Iterator[httpx.Client]:
    """A running gateway with connector ``members`` and connection ``club``."""
    with gateway_with_connection(services, "members", members_swagger(members.url), "club",
                                 {"api_key": KEY}) as owner:
        yield owner


def trigger(split: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "ApiConnection",
        "inputs": {"host": {"connection": {
            "name": "@parameters('$connections')['members']['connectionId']"}},
            "method": "get", "path": "/trigger/lists/@{encodeURIComponent('L1')}/members"},
        "recurrence": {"frequency": "Minute", "interval": 3},
    }
    if split:
        body["splitOn"] = "@triggerBody()?['value']"
    return {"When_a_member_is_added": body}


async def one_tick(host: RuntimeHost, clock: ManualClock) -> int:
    started = await TriggerScheduler(host, clock=clock).tick()
    await host.engine.aclose()
    return started


def state_of(services: Services) -> str:
    with services.db.engine.connect() as conn:
        [row] = conn.execute(trigger_states.select()).all()
    return str(row.state)


def test_polls_through_the_connection_fires_per_item_and_follows_the_location(
        services: Services, members: Members, owner: httpx.Client) -> None:
    clock = ManualClock(START)
    host = host_for(services, clock)
    deploy(host, "club-news", trigger(), references={"members": "club"})
    assert owner.put("/v1/connections/club/access-policies/club-news@workflows"
                     ).status_code == 200
    scheduler = TriggerScheduler(host, clock=clock)

    async def body() -> list[int]:
        started = [await scheduler.tick()]  # 202 Retry-After 45
        await clock.advance(44)
        started.append(await scheduler.tick())  # not due yet
        members.ready = True
        await clock.advance(1)
        started.append(await scheduler.tick())  # 200: two members
        await clock.advance(180)
        started.append(await scheduler.tick())  # the Location: 202, nothing new
        await host.engine.aclose()
        return started

    assert run(body, services) == [0, 0, 2, 0]
    assert members.seen == [("/base/trigger/lists/L1/members", "", KEY),
                            ("/base/trigger/lists/L1/members", "", KEY),
                            ("/base/trigger/lists/L1/members", "after=2", KEY)]
    # The trigger's workflow headers come through the gateway's pipeline to the upstream.
    assert members.operations == ["When_a_member_is_added"] * 3
    ids = run_ids(services, "club-news")
    assert sorted(host.history.get(i)["trigger"]["outputs"]["body"]["id"] for i in ids) \
        == [1, 2]
    assert KEY not in state_of(services)


def test_a_batch_without_split_on_is_one_run_with_the_whole_batch(
        services: Services, members: Members, owner: httpx.Client) -> None:
    clock = ManualClock(START)
    members.ready = True
    host = host_for(services, clock)
    deploy(host, "club-batch", trigger(split=False), references={"members": "club"})
    assert owner.put("/v1/connections/club/access-policies/club-batch@workflows"
                     ).status_code == 200
    assert run(lambda: one_tick(host, clock), services) == 1
    [only] = run_ids(services, "club-batch")
    assert host.history.get(only)["trigger"]["outputs"]["body"] == {
        "value": [{"id": 1}, {"id": 2}]}


def test_a_workflow_outside_the_access_policies_polls_nothing_and_says_why(
        services: Services, members: Members, owner: httpx.Client) -> None:
    clock = ManualClock(START)
    members.ready = True
    host = host_for(services, clock)
    deploy(host, "club-outsider", trigger(), references={"members": "club"})
    assert run(lambda: one_tick(host, clock), services) == 0
    assert members.seen == []
    assert run_ids(services, "club-outsider") == []
    assert "club-outsider@workflows" in state_of(services)
    assert "lastError" in state_of(services)


def test_the_advanced_schedule_decides_when_it_polls(
        services: Services, members: Members, owner: httpx.Client) -> None:
    clock = ManualClock(START)  # 10:00 UTC
    members.ready = True
    host = host_for(services, clock)
    scheduled = trigger()
    scheduled["When_a_member_is_added"]["recurrence"] = {
        "frequency": "Day", "interval": 1, "schedule": {"hours": [12], "minutes": [30]}}
    deploy(host, "club-noon", scheduled, references={"members": "club"})
    assert owner.put("/v1/connections/club/access-policies/club-noon@workflows"
                     ).status_code == 200
    scheduler = TriggerScheduler(host, clock=clock)

    async def body() -> list[int]:
        started = [await scheduler.tick()]
        await clock.advance(2 * 3600 + 29 * 60)  # 12:29
        started.append(await scheduler.tick())
        await clock.advance(60)  # 12:30
        started.append(await scheduler.tick())
        await host.engine.aclose()
        return started

    assert run(body, services) == [0, 0, 2]
    assert len(members.seen) == 1


@pytest.mark.both_backends
def test_two_processes_polling_at_once_start_each_member_once(
        services: Services, members: Members, owner: httpx.Client) -> None:
    clock = ManualClock(START)
    members.ready = True
    hosts = [host_for(services, clock) for _ in range(2)]
    deploy(hosts[0], "club-race", trigger(), references={"members": "club"})
    assert owner.put("/v1/connections/club/access-policies/club-race@workflows"
                     ).status_code == 200

    run(lambda: race(hosts, clock), services)
    assert len(run_ids(services, "club-race")) == 2
