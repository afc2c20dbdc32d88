"""The data plane's caches: changes made behind the gateway's back are seen within two
cache periods; the control plane's own changes at once."""

from __future__ import annotations

import time
from pathlib import Path

from tests.gateway.proxy.conftest import Upstream, custom_gateway, make_env


def test_a_revoked_access_policy_is_seen_within_two_periods(
        tmp_path: Path, upstream: Upstream) -> None:
    with custom_gateway(tmp_path, proxy={"cache_seconds": 0.2}) as gateway:
        env = make_env(gateway, upstream)
        token = gateway.token("svc", None, kind="service")
        gateway.services.connections.grant_access("demo-conn", "svc")
        with env.client(token) as client:
            assert client.get(env.path("items/1")).status_code == 200
            gateway.services.connections.revoke_access("demo-conn", "svc")
            time.sleep(0.25)
            client.get(env.path("items/1"))  # stale entry served, refresh started
            time.sleep(0.25)
            refused = client.get(env.path("items/1"))
    assert refused.status_code == 403


def test_a_deleted_connection_disappears_through_the_api_at_once(
        tmp_path: Path, upstream: Upstream) -> None:
    with custom_gateway(tmp_path, proxy={"cache_seconds": 60}) as gateway:
        env = make_env(gateway, upstream)
        with env.client() as client:
            assert client.get(env.path("items/1")).status_code == 200
            assert client.delete("/v1/connections/demo-conn").status_code in (200, 204)
            gone = client.get(env.path("items/1"))
    assert gone.status_code == 404
