"""A signed trigger call runs the workflow and answers with its Response; the run is read
back through /v1/runs and /v1/workflows/{name}/runs."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.gateway.conftest import RunningGateway
from tests.runtime.api.conftest import echo_workflow


def _deploy_and_sign(client: httpx.Client, name: str, body: dict[str, Any]
                     ) -> dict[str, Any]:
    assert client.put(f"/v1/workflows/{name}", json=body).status_code == 201
    response = client.post(f"/v1/workflows/{name}/triggers/manual/callback-url")
    assert response.status_code == 200, response.text
    callback: dict[str, Any] = response.json()
    return callback


def _wait_done(client: httpx.Client, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        run: dict[str, Any] = client.get(f"/v1/runs/{run_id}").json()
        if run.get("status") not in ("Running", "Waiting") or time.monotonic() > deadline:
            return run
        time.sleep(0.05)


@pytest.mark.both_backends
def test_the_trigger_answers_with_the_response_and_the_run_is_recorded(
        client: httpx.Client, runtime_gateway: RunningGateway) -> None:
    callback = _deploy_and_sign(client, "echo", echo_workflow())
    with httpx.Client() as anonymous:
        answer = anonymous.post(callback["value"], json={"hello": "world"},
                                headers={"x-ms-client-tracking-id": "order-7"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"hello": "world"}
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    run_id = answer.headers["x-ms-workflow-run-id"]
    assert answer.headers["x-ms-workflow-name"] == "echo"
    assert answer.headers["x-ms-client-tracking-id"] == "order-7"
    assert answer.headers["x-ms-trigger-history-name"] == run_id
    assert answer.headers["x-ms-request-id"] == ":" + answer.headers["x-ms-tracking-id"]
    run = _wait_done(client, run_id)
    assert (run["id"], run["workflow"], run["status"]) == (run_id, "echo", "Succeeded")
    assert run["clientTrackingId"] == "order-7"
    assert run["trigger"]["name"] == "manual"
    assert run["trigger"]["outputs"]["body"] == {"hello": "world"}
    assert {n: a["status"] for n, a in run["actions"].items()} == {
        "Compose": "Succeeded", "Response": "Succeeded"}
    listed = client.get("/v1/workflows/echo/runs").json()
    assert [r["id"] for r in listed["value"]] == [run_id]
    assert listed["nextLink"] is None
    assert client.get("/v1/workflows/echo/runs", params={"status": "Failed"}
                      ).json()["value"] == []


def test_bodies_are_parsed_as_logic_apps_parses_them(client: httpx.Client) -> None:
    callback = _deploy_and_sign(client, "echo", echo_workflow())
    url = callback["value"]
    with httpx.Client() as anonymous:
        text = anonymous.post(url, content=b"plain words",
                              headers={"content-type": "text/plain"})
        form = anonymous.post(url, content=b"a=1&b=two+words",
                              headers={"content-type": "application/x-www-form-urlencoded"})
        binary = anonymous.post(url, content=b"\x00\x01",
                                headers={"content-type": "application/octet-stream"})
        broken = anonymous.post(url, content=b"{oops",
                                headers={"content-type": "application/json"})
    assert text.status_code == 200 and text.text == "plain words"

    def trigger_body(answer: httpx.Response) -> Any:
        run = client.get(f"/v1/runs/{answer.headers['x-ms-workflow-run-id']}").json()
        return run["trigger"]["outputs"]["body"]

    assert trigger_body(text) == "plain words"
    assert trigger_body(form) == {
        "$content-type": "application/x-www-form-urlencoded", "$content": "YT0xJmI9dHdvK3dvcmRz",
        "$formdata": [{"key": "a", "value": "1"}, {"key": "b", "value": "two words"}]}
    assert trigger_body(binary) == {"$content-type": "application/octet-stream",
                                    "$content": "AAE="}
    # A Response whose body is content answers with the content's own bytes and type.
    assert binary.content == b"\x00\x01"
    assert binary.headers["content-type"] == "application/octet-stream"
    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "InvalidRequestContent"


def test_method_path_schema_and_disabled_checks(client: httpx.Client) -> None:
    body = echo_workflow(method="POST", relativePath="orders/{id}",
                         schema={"type": "object", "required": ["n"],
                                 "properties": {"n": {"type": "integer"}}})
    body["definition"]["triggers"]["manual"]["operationOptions"] = "EnableSchemaValidation"
    body["definition"]["actions"]["Compose"]["inputs"] = (
        "@triggerOutputs()['relativePathParameters']")
    callback = _deploy_and_sign(client, "orders", body)
    base, query = callback["basePath"], callback["queries"]
    with httpx.Client() as anonymous:
        ok = anonymous.post(f"{base}/orders/42", params=query, json={"n": 1})
        wrong_method = anonymous.get(f"{base}/orders/42", params=query)
        wrong_path = anonymous.post(f"{base}/other/42", params=query, json={"n": 1})
        bad_body = anonymous.post(f"{base}/orders/42", params=query, json={"n": "x"})
        client.post("/v1/workflows/orders/disable")
        disabled = anonymous.post(f"{base}/orders/42", params=query, json={"n": 1})
    assert ok.status_code == 200 and ok.json() == {"id": "42"}
    assert wrong_method.status_code == 405
    assert wrong_path.status_code == 404
    assert bad_body.status_code == 400
    assert bad_body.json()["error"]["details"][0]["pointer"] == "/n"
    assert disabled.status_code == 409
    assert len(client.get("/v1/workflows/orders/runs").json()["value"]) == 1


def test_a_workflow_without_response_answers_202_and_can_be_resubmitted(
        client: httpx.Client) -> None:
    body = echo_workflow()
    del body["definition"]["actions"]["Response"]
    callback = _deploy_and_sign(client, "quiet", body)
    with httpx.Client() as anonymous:
        answer = anonymous.post(callback["value"], json={"x": 1})
    assert answer.status_code == 202 and answer.content == b""
    run_id = answer.headers["x-ms-workflow-run-id"]
    assert _wait_done(client, run_id)["status"] == "Succeeded"
    again = client.post(f"/v1/runs/{run_id}/resubmit")
    assert again.status_code == 202
    new_id = again.json()["id"]
    assert new_id != run_id and again.headers["x-ms-workflow-run-id"] == new_id
    rerun = _wait_done(client, new_id)
    assert rerun["trigger"]["outputs"]["body"] == {"x": 1}
    fired = client.post("/v1/workflows/quiet/triggers/manual/run")
    assert fired.status_code == 202
    assert _wait_done(client, fired.headers["x-ms-workflow-run-id"])["status"] == "Succeeded"
    assert client.get("/v1/runs/nope").status_code == 404


def test_an_asynchronous_response_answers_202_with_a_signed_location_to_poll(
        client: httpx.Client) -> None:
    body = echo_workflow()
    actions = body["definition"]["actions"]
    actions["Wait"] = {"type": "Wait", "runAfter": {"Compose": ["Succeeded"]},
                       "inputs": {"interval": {"count": 1, "unit": "Second"}}}
    actions["Response"]["runAfter"] = {"Wait": ["Succeeded"]}
    actions["Response"]["operationOptions"] = "Asynchronous"
    callback = _deploy_and_sign(client, "later", body)
    with httpx.Client() as anonymous:
        first = anonymous.post(callback["value"], json={"done": True})
        assert first.status_code == 202, first.text
        location = first.headers["location"]
        assert first.headers["retry-after"] == "1"
        run_id = first.headers["x-ms-workflow-run-id"]
        assert f"/runs/{run_id}/response?" in location
        tampered = anonymous.get(location.replace("sig=", "sig=x"))
        assert tampered.status_code == 401
        deadline = time.monotonic() + 20
        while True:
            polled = anonymous.get(location)
            if polled.status_code != 202 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert polled.status_code == 200, polled.text
    assert polled.json() == {"done": True}
    assert polled.headers["x-ms-workflow-run-id"] == run_id


def test_the_answer_keeps_logic_apps_header_order_and_run_after_null_is_first_in_scope(
        client: httpx.Client) -> None:
    body = echo_workflow()
    body["definition"]["actions"]["Compose"]["runAfter"] = None
    callback = _deploy_and_sign(client, "ordered", body)
    with httpx.Client() as anonymous:
        answer = anonymous.post(callback["value"], json=[1])
    names = [name.lower() for name, _ in answer.headers.multi_items()]
    # (hypercorn, serving this test, appends a Date of its own; granian does not.)
    assert names.index("content-length") < names.index("content-type") \
        < names.index("date") < names.index("x-ms-workflow-run-id")
    start = names.index("x-ms-workflow-run-id")
    assert names[start:start + 10] == [
        "x-ms-workflow-run-id", "x-ms-correlation-id", "x-ms-client-tracking-id",
        "x-ms-trigger-history-name", "x-ms-workflow-system-id", "x-ms-workflow-id",
        "x-ms-workflow-version", "x-ms-workflow-name", "x-ms-tracking-id", "x-ms-request-id"]


def test_a_new_version_never_changes_a_run_in_flight(client: httpx.Client) -> None:
    def version_of(text: str) -> dict[str, Any]:
        body = echo_workflow()
        actions = body["definition"]["actions"]
        del actions["Response"]
        actions["Wait"] = {"type": "Wait", "runAfter": {},
                           "inputs": {"interval": {"count": 1, "unit": "Second"}}}
        actions["Compose"] = {"type": "Compose", "inputs": text,
                              "runAfter": {"Wait": ["Succeeded"]}}
        return body

    assert client.put("/v1/workflows/steady", json=version_of("first")).status_code == 201
    fired = client.post("/v1/workflows/steady/triggers/manual/run")
    run_id = fired.headers["x-ms-workflow-run-id"]
    assert client.put("/v1/workflows/steady", json=version_of("second")).status_code == 200
    run = _wait_done(client, run_id)
    assert run["status"] == "Succeeded"
    assert run["actions"]["Compose"]["outputs"] == "first"
    later = client.post("/v1/workflows/steady/triggers/manual/run")
    assert _wait_done(client, later.headers["x-ms-workflow-run-id"])["actions"]["Compose"][
        "outputs"] == "second"


def test_runs_are_listed_newest_first_in_pages(client: httpx.Client) -> None:
    body = echo_workflow()
    del body["definition"]["actions"]["Response"]
    assert client.put("/v1/workflows/paged", json=body).status_code == 201
    ids = []
    for _ in range(3):
        ids.append(client.post("/v1/workflows/paged/triggers/manual/run"
                               ).headers["x-ms-workflow-run-id"])
        _wait_done(client, ids[-1])
    first = client.get("/v1/workflows/paged/runs", params={"$top": 2}).json()
    assert [r["id"] for r in first["value"]] == ids[::-1][:2]
    assert first["nextLink"]
    second = client.get(first["nextLink"]).json()
    assert [r["id"] for r in second["value"]] == ids[:1]
    odata = client.get("/v1/workflows/paged/runs",
                       params={"$filter": "status eq 'Succeeded'"}).json()
    assert len(odata["value"]) == 3
    for bad in ({"$top": "0"}, {"$top": "x"}, {"status": "Sleeping"}, {"$filter": "name eq 1"}):
        assert client.get("/v1/workflows/paged/runs", params=bad).status_code == 400
    assert client.get("/v1/workflows/ghost/runs").status_code == 404


def test_a_waiting_run_is_cancelled_once(client: httpx.Client,
                                         runtime_gateway: RunningGateway) -> None:
    body = echo_workflow()
    actions = body["definition"]["actions"]
    del actions["Response"]
    actions["Wait"] = {"type": "Wait", "runAfter": {"Compose": ["Succeeded"]},
                       "inputs": {"interval": {"count": 1, "unit": "Hour"}}}
    assert client.put("/v1/workflows/sleepy", json=body).status_code == 201
    run_id = client.post("/v1/workflows/sleepy/triggers/manual/run"
                         ).headers["x-ms-workflow-run-id"]
    deadline = time.monotonic() + 10
    while client.get(f"/v1/runs/{run_id}").json()["actions"].get("Wait", {}).get(
            "status") not in ("Running", "Waiting") and time.monotonic() < deadline:
        time.sleep(0.05)
    reader = runtime_gateway.token("rita", "reader")
    with runtime_gateway.client(reader) as readonly:
        assert readonly.post(f"/v1/runs/{run_id}/cancel").status_code == 403
    cancelled = client.post(f"/v1/runs/{run_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "Cancelled"
    assert client.post(f"/v1/runs/{run_id}/cancel").status_code == 409
    assert client.post("/v1/runs/ghost/cancel").status_code == 404
