"""Workflows and runs in a browser, over the runtime's API: the list, enable and
disable, the runAfter graph, runs by status, a run's timeline (loops, redaction),
resubmit and cancel — and the page that says when no runtime is installed."""

from __future__ import annotations

import time
from typing import Any

import pytest

from runtime.extension import RuntimeExtension
from tests.portal.conftest import Portal, shot, sign_in
from tests.support import web

pytestmark = pytest.mark.browser

EXTENSIONS = [RuntimeExtension()]
SECRET = "hush-" + "Vb4k" * 5


def definition(*, wait: bool = False) -> dict[str, Any]:
    actions: dict[str, Any] = {
        "Hidden": {"type": "Compose", "inputs": SECRET, "runAfter": {},
                   "runtimeConfiguration": {"secureData": {"properties": ["inputs",
                                                                          "outputs"]}}},
        "Each": {"type": "Foreach", "foreach": "@createArray(1, 2, 3)",
                 "runAfter": {"Hidden": ["Succeeded"]},
                 "actions": {"Double": {"type": "Compose", "inputs": "@mul(item(), 2)",
                                        "runAfter": {}}}},
        "Response": {"type": "Response", "kind": "Http",
                     "runAfter": {"Each": ["Succeeded"]},
                     "inputs": {"statusCode": 200, "body": "@triggerBody()"}},
    }
    if wait:
        actions = {"Pause": {"type": "Wait", "runAfter": {},
                             "inputs": {"interval": {"count": 10, "unit": "Minute"}}}}
    return {"definition": {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
                   "2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {}}},
        "actions": actions, "outputs": {}}, "kind": "Stateful"}


def deploy_and_run(portal: Portal, name: str, **options: bool) -> str:
    owner = {"authorization": f"Bearer {portal.owner_token}"}
    put = web.put(f"{portal.url}/v1/workflows/{name}", json=definition(**options),
                  headers=owner)
    assert put.status_code in (200, 201), put.text
    link = web.post(f"{portal.url}/v1/workflows/{name}/triggers/manual/callback-url",
                    headers=owner)
    assert link.status_code == 200, link.text
    fired = web.post(link.json()["value"], json={"hello": "<i>portal</i>"}, timeout=30)
    assert fired.status_code in (200, 202), fired.text
    return str(fired.headers["x-ms-workflow-run-id"])


def wait_for_status(portal: Portal, run_id: str, *statuses: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        run = web.get(f"{portal.url}/v1/runs/{run_id}",
                      headers={"authorization": f"Bearer {portal.owner_token}"}).json()
        if run["status"] in statuses or time.monotonic() > deadline:
            return dict(run)
        time.sleep(0.1)


def test_workflows_their_graph_and_enable_disable(portal: Portal, page: Any) -> None:
    deploy_and_run(portal, "orders")
    sign_in(page, portal)
    page.click("header >> text=Workflows")
    assert "orders" in page.locator("#workflows").inner_text()
    assert "manual: Request" in page.locator("#workflows").inner_text()
    page.click("#workflows >> text=orders")
    graph = page.locator("#graph li").all_inner_texts()
    assert [item.split()[0] for item in graph] == ["Hidden", "Each", "Double", "Response"]
    assert "after Each (Succeeded)" in graph[3]
    assert "first in Each" in graph[2]
    shot(page, "workflow")
    page.click("#toggle")
    page.wait_for_url("**/portal/workflows/orders")
    assert page.locator("#toggle").inner_text() == "Enable"
    page.click("#toggle")
    assert page.locator("#toggle").inner_text() == "Disable"


def test_runs_by_status_and_a_runs_timeline(portal: Portal, page: Any) -> None:
    run_id = deploy_and_run(portal, "timeline")
    assert wait_for_status(portal, run_id, "Succeeded")["status"] == "Succeeded"
    sign_in(page, portal)
    page.goto(portal.url + "/portal/workflows/timeline?status=Failed")
    assert "No runs." in page.locator("#runs").inner_text()
    page.select_option("#status", "Succeeded")
    page.click(".filters button[type=submit]")
    page.click(f"#runs >> text={run_id}")
    timeline = page.locator("#timeline")
    text = timeline.inner_text()
    for action in ("Hidden", "Each", "Double", "Response"):
        assert action in text
    double = timeline.locator("tr", has_text="Double")
    double.locator("details").first.locator("summary").click()
    assert double.locator("details").first.inner_text().startswith("3")  # repetitions
    assert SECRET not in page.content()  # secureData stays hidden
    assert page.locator("main i").count() == 0  # the trigger's HTML body is text
    assert page.dialogs == []
    shot(page, "run")
    page.click("#resubmit")
    page.wait_for_url("**/portal/runs/**")
    assert run_id not in page.url
    assert page.locator("h1").inner_text().startswith("Run ")


def test_cancel_a_waiting_run(portal: Portal, page: Any) -> None:
    run_id = deploy_and_run(portal, "sleepy", wait=True)
    sign_in(page, portal)
    wait_for_status(portal, run_id, "Running", "Waiting")
    page.goto(f"{portal.url}/portal/runs/{run_id}")
    page.click("#cancel")
    page.wait_for_url(f"**/portal/runs/{run_id}")
    assert wait_for_status(portal, run_id, "Cancelled")["status"] == "Cancelled"


def test_a_reader_sees_workflows_but_cannot_change_them(portal: Portal, page: Any) -> None:
    deploy_and_run(portal, "watched")
    sign_in(page, portal, portal.token("wendy", "reader"))
    page.goto(portal.url + "/portal/workflows/watched")
    assert page.locator("#toggle").count() == 0
    csrf = page.locator("header input[name=csrf]").get_attribute("value")
    refused = page.request.post(portal.url + "/portal/workflows/watched/toggle",
                                form={"enable": "0", "csrf": csrf})
    assert refused.status == 403
    assert "needs the contributor role" in refused.text()
