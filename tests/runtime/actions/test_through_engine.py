"""The leaf handlers run by the real engine: variables, Query, Http to a real upstream,
a child Workflow run and Response, as one run records them."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.proxy.pipeline import Proxy
from gateway.services import Services
from runtime.actions.base import ActionResult
from runtime.actions.response import response_of_run
from runtime.actions.workflow import Workflow
from runtime.host import RuntimeHost, attach, detach
from runtime.settings import RuntimeSettings
from tests.runtime.actions.conftest import Recorder
from tests.runtime.actions.context import Context
from tests.runtime.engine.support import Harness, statuses


async def _run(services: Services, upstream: Recorder) -> tuple[dict[str, Any], Any]:
    services.proxy = Proxy(services)
    harness = Harness(services)
    source = harness.source
    # The harness's source serves the last version as every workflow's current one.
    source.current = lambda name: [  # type: ignore[method-assign]
        v for v in source.versions.values() if v.workflow == name][-1]
    host = RuntimeHost(services, RuntimeSettings(), harness.source, harness.app_settings,
                       harness.engine, harness.engine)
    attach(host)
    try:
        harness.source.add({"triggers": {"manual": {"type": "Request", "kind": "Http"}},
                            "actions": {"Answer": {"type": "Response", "inputs": {
                                "statusCode": 201,
                                "body": {"child got": "@triggerBody()?['n']"}}}}},
                           workflow="child")
        run_id = await harness.start({
            "Init": {"type": "InitializeVariable", "inputs": {"variables": [
                {"name": "total", "type": "integer", "value": 0}]}},
            "Big": {"type": "Query", "runAfter": {"Init": ["Succeeded"]}, "inputs": {
                "from": "@triggerBody()?['items']", "where": "@greater(item(), 2)"}},
            "Add": {"type": "IncrementVariable", "runAfter": {"Big": ["Succeeded"]},
                    "inputs": {"name": "total", "value": "@length(body('Big'))"}},
            "Call": {"type": "Http", "runAfter": {"Add": ["Succeeded"]}, "inputs": {
                "method": "POST", "uri": f"{upstream.url}/count",
                "body": {"total": "@variables('total')"}}},
            "Child": {"type": "Workflow", "runAfter": {"Call": ["Succeeded"]}, "inputs": {
                "host": {"workflow": {"id": "child"}, "triggerName": "manual"},
                "body": {"n": "@variables('total')"}}},
            "Reply": {"type": "Response", "runAfter": {"Child": ["Succeeded"]}, "inputs": {
                "statusCode": 200,
                "body": "total @{variables('total')}, child @{body('Child')}"}},
        }, {"items": [1, 2, 3, 4, 5]})
        handle_response = await harness.engine.wait_response(run_id, 10)
        record = await harness.finish(run_id)
        # A Workflow action that suspended reads the child's answer from its run record.
        children = harness.engine.list("child")[0]
        assert len(children) == 1
        resumed = await Workflow().resume(Context({"type": "Workflow", "inputs": {}},
                                                  services=services),
                                          {"child": children[0]["id"]})
        assert isinstance(resumed, ActionResult)
        assert (resumed.code, resumed.outputs["body"]) == ("Created", {"child got": 3})
        return record, handle_response
    finally:
        detach(services)
        await harness.close()
        await services.proxy.aclose()
        services.proxy = None


def test_a_run_of_leaf_actions(services: Services, upstream: Recorder) -> None:
    record, response = asyncio.run(_run(services, upstream))
    assert statuses(record) == {name: "Succeeded" for name in
                                ("Init", "Big", "Add", "Call", "Child", "Reply")}
    assert record["status"] == "Succeeded"
    assert record["actions"]["Big"]["outputs"] == {"body": [3, 4, 5]}
    call = record["actions"]["Call"]
    assert (call["code"], call["outputs"]["statusCode"]) == ("OK", 200)
    assert [s["path"] for s in upstream.seen] == ["/count"]
    assert upstream.seen[0]["body"] == b'{"total":3}'
    assert upstream.seen[0]["headers"]["x-ms-workflow-operation-name"] == "Call"
    assert upstream.seen[0]["headers"]["x-ms-workflow-run-id"] == record["id"]
    child = record["actions"]["Child"]
    assert (child["code"], child["outputs"]["statusCode"]) == ("Created", 201)
    assert child["outputs"]["body"] == {"child got": 3}
    assert response is not None
    assert response.body == b'total 3, child {"child got":3}'
    assert list(response.headers) == [("Content-Type", "text/plain; charset=utf-8")]
    # The stored run record gives the same answer (an asynchronous Response's polling).
    again = response_of_run(record)
    assert again is not None
    assert (again.status, again.body, list(again.headers)) == (
        response.status, response.body, list(response.headers))
