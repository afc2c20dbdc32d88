"""On the real ``portway serve``, on SQLite and PostgreSQL: runs waiting behind a Request
trigger's ``runtimeConfiguration.concurrency`` are runs like any other before they start.
They are listed ``Waiting`` in the workflow's runs (newest first, paged), keep the call's
``x-ms-client-tracking-id`` and the trigger's ``inputs``; cancelling one stores it
``Cancelled`` and it never starts; resubmitting one starts a new run with its trigger;
the others start in turn, with what they were queued with."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.servers import portway_process

pytestmark = [pytest.mark.slow, pytest.mark.both_backends]

SCHEMA = ("https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
          "2016-06-01/workflowdefinition.json#")
BODY_SCHEMA = {"type": "object", "properties": {"seconds": {"type": "integer"}}}
DEFINITION = {
    "$schema": SCHEMA, "contentVersion": "1.0.0.0",
    "triggers": {"manual": {
        "type": "Request", "kind": "Http", "inputs": {"schema": BODY_SCHEMA},
        "runtimeConfiguration": {"concurrency": {"runs": 1, "maximumWaitingRuns": 5}}}},
    # The first run waits long (it holds the only place); the others a second.
    "actions": {"Pause": {"type": "Wait", "runAfter": {}, "inputs": {"interval": {
        "count": "@triggerBody()?['seconds']", "unit": "Second"}}}},
}


def wait_for(client: httpx.Client, run_id: str, statuses: tuple[str, ...], *,
             in_action: str | None = None) -> dict[str, Any]:
    """Until the run's status is one of ``statuses`` (and, given ``in_action``, it has
    reached that action)."""
    deadline = time.monotonic() + 30
    run: dict[str, Any] = {}
    while time.monotonic() < deadline:
        answer = client.get(f"/v1/runs/{run_id}")
        assert answer.status_code == 200, answer.text
        run = answer.json()
        if run["status"] in statuses and (in_action is None or in_action in run["actions"]):
            return run
        time.sleep(0.1)
    raise AssertionError(f"the run {run_id} is {run.get('status')}, not in {statuses}")


def test_waiting_runs_are_listed_cancelled_and_resubmitted_on_portway_serve(
        tmp_path: Path, database_url: str) -> None:
    env = {"PORTWAY_DATABASE_URL": database_url, "PORTWAY_RUNTIME_TRIGGER_SECONDS": "0.2"}
    with portway_process(tmp_path, env) as (base, _):
        token = (tmp_path / "var" / "owner.token").read_text().strip()
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                          timeout=30) as owner, httpx.Client(timeout=30) as anonymous:
            assert owner.put("/v1/workflows/queued", json={"definition": DEFINITION}
                             ).status_code == 201
            url = owner.post("/v1/workflows/queued/triggers/manual/callback-url"
                             ).json()["value"]
            first = anonymous.post(url, json={"seconds": 600})
            assert first.status_code == 202, first.text
            holder = first.headers["x-ms-workflow-run-id"]
            # In its Wait: the only place is taken. A run still queued behind the trigger's
            # concurrency reads Waiting too, with no actions; it starts on the trigger
            # loop's next turn and is then listed by its start, which would come after
            # the calls below if they were made first.
            wait_for(owner, holder, ("Waiting",), in_action="Pause")
            queued = []
            for n in range(3):
                answer = anonymous.post(url, json={"seconds": 1, "n": n},
                                        headers={"x-ms-client-tracking-id": f"order-{n}"})
                assert answer.status_code == 202, answer.text
                assert answer.headers["x-ms-client-tracking-id"] == f"order-{n}"
                queued.append(answer.headers["x-ms-workflow-run-id"])

            listed = owner.get("/v1/workflows/queued/runs").json()["value"]
            assert [r["id"] for r in listed] == [*reversed(queued), holder]  # newest first
            assert [r["status"] for r in listed] == ["Waiting"] * 4
            assert [r["clientTrackingId"] for r in listed[:3]] == [
                "order-2", "order-1", "order-0"]
            assert listed[2]["trigger"]["inputs"] == {"schema": BODY_SCHEMA}
            assert listed[2]["trigger"]["outputs"]["body"] == {"seconds": 1, "n": 0}
            only_waiting = owner.get("/v1/workflows/queued/runs",
                                     params={"status": "Waiting"}).json()["value"]
            assert len(only_waiting) == 4
            assert owner.get("/v1/workflows/queued/runs",
                             params={"status": "Cancelled"}).json()["value"] == []
            page = owner.get("/v1/workflows/queued/runs", params={"$top": 3}).json()
            assert [r["id"] for r in page["value"]] == list(reversed(queued))
            rest = owner.get(page["nextLink"]).json()
            assert ([r["id"] for r in rest["value"]], rest["nextLink"]) == ([holder], None)

            reader = owner.post("/v1/tokens", json={"principal": "ro", "role": "reader"})
            as_reader = {"authorization": f"Bearer {reader.json()['token']}"}
            for verb in ("cancel", "resubmit"):
                refused = owner.post(f"/v1/runs/{queued[0]}/{verb}", headers=as_reader)
                assert refused.status_code == 403, refused.text
            assert owner.get(f"/v1/runs/{queued[0]}", headers=as_reader
                             ).json()["status"] == "Waiting"
            assert owner.post("/v1/runs/08584000000000000000000000000CU00/cancel"
                              ).status_code == 404

            cancelled = owner.post(f"/v1/runs/{queued[0]}/cancel")
            assert cancelled.status_code == 200, cancelled.text
            assert cancelled.json()["status"] == "Cancelled"
            assert cancelled.json()["clientTrackingId"] == "order-0"
            assert owner.post(f"/v1/runs/{queued[0]}/cancel").status_code == 409
            resubmitted = owner.post(f"/v1/runs/{queued[1]}/resubmit")
            assert resubmitted.status_code == 202, resubmitted.text
            again = wait_for(owner, resubmitted.json()["id"], ("Succeeded", "Failed"))
            assert again["trigger"]["outputs"]["body"] == {"seconds": 1, "n": 1}

            # The holder ends: the two still waiting start in turn, as they were queued.
            assert owner.post(f"/v1/runs/{holder}/cancel").status_code == 200
            ran = [wait_for(owner, run_id, ("Succeeded", "Failed")) for run_id in queued[1:]]
            assert [r["status"] for r in ran] == ["Succeeded", "Succeeded"]
            assert [r["clientTrackingId"] for r in ran] == ["order-1", "order-2"]
            assert [r["trigger"]["inputs"] for r in ran] == [{"schema": BODY_SCHEMA}] * 2
            assert ran[1]["startTime"] >= ran[0]["endTime"]  # one at a time

            never = owner.get(f"/v1/runs/{queued[0]}").json()
            assert (never["status"], never["actions"]) == ("Cancelled", {})
            assert never["trigger"]["outputs"]["body"] == {"seconds": 1, "n": 0}
            statuses = {r["id"]: r["status"] for r in
                        owner.get("/v1/workflows/queued/runs").json()["value"]}
            assert statuses[queued[0]] == "Cancelled" and len(statuses) == 5
    log = (tmp_path / "portway.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
