"""The webhook rows: a callback is stored once and only while its action waits, the
unsubscribe request is sealed, and a run that ended leaves its subscription to be ended."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from gateway import Services
from runtime.store.tables import runs, webhook_callbacks
from runtime.store.webhooks import Subscription, WebhookRows

pytestmark = pytest.mark.both_backends

SECRET = "unsubscribe-password-xyz"


def action_row(run_id: str) -> Subscription:
    return Subscription(id="sub-" + run_id, workflow="wf", name="Wait", run_id=run_id,
                        action_key="Wait", version="v1", fingerprint="f",
                        status="Subscribing", response=None)


def add_run(services: Services, run_id: str, status: str) -> None:
    with services.db.write() as conn:
        conn.execute(runs.insert().values(
            id=run_id, workflow="wf", version="v1", status=status, start_time="t",
            client_tracking_id=run_id, trigger="{}", created_at=time.time()))


def test_a_callback_is_stored_once_and_only_while_the_action_waits(
        services: Services) -> None:
    rows = WebhookRows(services)
    assert rows.record_callback("r1", "Wait", {"body": 1}) == "gone"
    rows.begin(action_row("r1"))
    rows.subscribed("sub-r1", {"statusCode": 201}, {"kind": "http", "method": "POST",
                                                    "uri": "http://h/u",
                                                    "authentication": {"password": SECRET}})
    assert rows.record_callback("r1", "Wait", {"body": 1}) == "stored"
    assert rows.record_callback("r1", "Wait", {"body": 2}) == "duplicate"
    assert rows.callback("sub-r1") == {"body": 1}
    assert rows.unsubscribe_request("sub-r1")["authentication"] == {"password": SECRET}
    with services.db.engine.connect() as conn:
        dumped = "".join(str(tuple(r)) for t in ("runtime_webhook_subscriptions",
                                                 "runtime_webhook_callbacks")
                         for r in conn.execute(sa.text(f"SELECT * FROM {t}")).all())
    assert SECRET not in dumped  # sealed in the vault, not in the tables
    rows.remove("sub-r1")
    assert rows.get("sub-r1") is None and rows.unsubscribe_request("sub-r1") is None
    assert rows.record_callback("r1", "Wait", {"body": 3}) == "gone"
    with services.db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(
            webhook_callbacks)).scalar() == 0


def test_subscriptions_of_runs_that_ended_are_found_for_unsubscribing(
        services: Services) -> None:
    rows = WebhookRows(services)
    for run_id, status in (("waiting", "Waiting"), ("cancelled", "Cancelled"),
                           ("running", "Running")):
        add_run(services, run_id, status)
        rows.begin(action_row(run_id))
    rows.begin(action_row("purged"))  # its run is gone altogether
    assert sorted(s.run_id or "" for s in rows.of_ended_runs()) == ["cancelled", "purged"]
    assert rows.triggers() == []
