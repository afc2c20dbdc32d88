"""A webhook action's callback URL and the keys that sign it: the workflow's callback
key, which ``regenerateAccessKey`` leaves alone, and — for URLs handed out before
actions had a key of their own — the trigger key, until it is rotated."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from runtime.host import host_of
from runtime.triggers.subscriptions import action_callback_url
from tests.gateway.conftest import RunningGateway
from tests.runtime.api.conftest import echo_workflow

RUN = "08584000000000000000000000000CU00"


def _post(gateway: RunningGateway, url: str) -> httpx.Response:
    parts = urlsplit(url)
    with httpx.Client(base_url=gateway.url, timeout=30) as anonymous:
        return anonymous.post(parts.path, params=dict(parse_qsl(parts.query)), json={})


@pytest.mark.both_backends
def test_a_rotated_trigger_key_leaves_action_callback_urls_valid(
        client: httpx.Client, runtime_gateway: RunningGateway) -> None:
    assert client.put("/v1/workflows/echo", json=echo_workflow()).status_code == 201
    host = host_of(runtime_gateway.services)
    workflows = host.workflows
    callback_key = workflows.callback_key("echo")
    trigger_key = workflows.trigger_key("echo")
    assert callback_key and trigger_key and callback_key != trigger_key
    assert workflows.callback_key("echo") == callback_key  # made once, then kept
    assert workflows.callback_key("ghost") is None
    own = action_callback_url(host, "echo", RUN, "Wait", callback_key)
    earlier = action_callback_url(host, "echo", RUN, "Wait", trigger_key)
    forged = action_callback_url(host, "echo", RUN, "Wait", "not-a-key")
    # A valid signature gets past the check: nothing waits, so 404 (not 401).
    assert _post(runtime_gateway, own).status_code == 404
    assert _post(runtime_gateway, earlier).status_code == 404
    assert _post(runtime_gateway, forged).status_code == 401
    other_run = own.replace(f"/runs/{RUN}/", "/runs/08584000000000000000000000001CU00/")
    assert _post(runtime_gateway, other_run).status_code == 401

    workflows.rotate_trigger_key("echo")
    assert workflows.callback_key("echo") == callback_key
    assert _post(runtime_gateway, own).status_code == 404
    refused = _post(runtime_gateway, earlier)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "DirectApiAuthorizationRequired"

    assert client.delete("/v1/workflows/echo").status_code == 204
    assert _post(runtime_gateway, own).status_code == 401
    assert workflows.callback_key("echo") is None
