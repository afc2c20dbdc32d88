"""The workflow runtime's public surface as an attacker meets it, through the real
``portway serve``: signed trigger callback URLs and the run records they leave."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.security.conftest import Served

WORKFLOW = {"kind": "Stateful", "definition": {
    "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
               "2016-06-01/workflowdefinition.json#",
    "contentVersion": "1.0.0.0",
    "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {}}},
    "actions": {"Response": {"type": "Response", "kind": "Http", "runAfter": {},
                             "inputs": {"statusCode": 200, "body": "@triggerBody()"}}},
    "outputs": {}}}


@pytest.fixture(scope="module")
def callback(served: Served) -> Iterator[str]:
    with served.client() as owner:
        assert owner.put("/v1/workflows/probe", json=WORKFLOW).status_code == 201
        made = owner.post("/v1/workflows/probe/triggers/manual/callback-url")
    assert made.status_code == 200, made.text
    yield str(made.json()["value"])


def _forgeries(url: str) -> list[str]:
    sig = url.split("sig=")[1]
    return [url.replace("sig=" + sig, "sig=" + ("A" if sig[0] != "A" else "B") + sig[1:]),
            url.split("&sig=")[0],
            url.replace("sp=", "sp=%2Ftriggers%2Fother%2F"),
            url.replace("/triggers/manual/", "/triggers/other/"),
            url.replace("/api/probe/", "/api/other/"),
            url.replace("sv=1.0", "sv=2.0")]


def test_a_forged_signature_starts_nothing(callback: str) -> None:
    for forged in _forgeries(callback):
        answer = httpx.post(forged, json={})
        assert answer.status_code == 401, forged
        assert "x-ms-workflow-run-id" not in answer.headers


def test_a_callback_url_goes_stale_when_the_workflow_is_made_again(served: Served) -> None:
    with served.client() as owner:
        assert owner.put("/v1/workflows/again", json=WORKFLOW).status_code == 201
        url = owner.post("/v1/workflows/again/triggers/manual/callback-url").json()["value"]
        assert owner.delete("/v1/workflows/again").status_code == 204
        assert owner.put("/v1/workflows/again", json=WORKFLOW).status_code == 201
    assert httpx.post(url, json={}).status_code == 401


def test_a_reader_cannot_mint_a_callback_url(served: Served, callback: str) -> None:
    reader = served.token("runreader", "reader")
    with served.client(reader) as client:
        assert client.post("/v1/workflows/probe/triggers/manual/callback-url"
                           ).status_code == 403


def test_the_caller_s_credentials_stay_out_of_the_run_record(served: Served,
                                                             callback: str) -> None:
    started = httpx.post(callback, json={"hello": "x"}, headers={
        "authorization": "Bearer pw_CallerTokenNeverStored0123456789",
        "cookie": "session=cookie-never-stored-42"})
    assert started.status_code == 200, started.text
    run_id = started.headers["x-ms-workflow-run-id"]
    with served.client() as owner:
        record = owner.get(f"/v1/runs/{run_id}")
    assert record.status_code == 200, record.text
    assert "CallerTokenNeverStored" not in record.text
    assert "cookie-never-stored-42" not in record.text
    assert record.json()["trigger"]["outputs"]["headers"]["Authorization"] == "*sanitized*"


@pytest.mark.parametrize("body", ['{"n": ' + "9" * 5000 + "}",
                                  '{"a":' * 100_000 + "1" + "}" * 100_000])
def test_a_hostile_trigger_body_is_a_400(callback: str, body: str) -> None:
    answer = httpx.post(callback, content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["requestId"] == answer.headers["x-request-id"]
