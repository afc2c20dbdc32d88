"""The data plane's caches: changes made behind the gateway's back are seen within two
cache periods; the control plane's own changes at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gateway.errors import PortwayError
from gateway.services import Services
from tests.gateway.proxy.conftest import (
    FakeTime,
    Upstream,
    add_connection,
    build_connector,
    custom_gateway,
    direct_proxy,
    make_env,
)


def test_a_revoked_access_policy_is_seen_within_two_periods(
        services: Services, upstream: Upstream) -> None:
    """On injected time: the cache period is ``proxy.cache_seconds`` (2 s by default)."""
    add_connection(services, build_connector(upstream.url + "/api"))
    services.principals.create_token("svc", None, kind="service")
    services.connections.grant_access("demo-conn", "svc")
    svc = services.principals.get("svc")
    assert svc is not None
    time = FakeTime()

    async def go() -> list[int]:
        statuses = []
        async with direct_proxy(services, time) as (proxy, _owner):
            async def call() -> None:
                try:
                    answer = await proxy.call_operation(svc, "demo-conn", "getItem",
                                                        {"id": 1})
                except PortwayError as exc:
                    statuses.append(exc.status_code)
                else:
                    statuses.append(answer.status)
                    await answer.aclose()

            await call()
            services.connections.revoke_access("demo-conn", "svc")
            time.now += 1.9  # within one period: the cached entry still allows it
            await call()
            time.now += 0.2  # stale: served once more while one refresh runs
            await call()
            time.now += 2.0  # two periods after the revocation: refused, whichever way
            await call()
        return statuses

    assert asyncio.run(go()) == [200, 200, 200, 403]


def test_a_deleted_connection_disappears_through_the_api_at_once(
        tmp_path: Path, upstream: Upstream) -> None:
    with custom_gateway(tmp_path, proxy={"cache_seconds": 60}) as gateway:
        env = make_env(gateway, upstream)
        with env.client() as client:
            assert client.get(env.path("items/1")).status_code == 200
            assert client.delete("/v1/connections/demo-conn").status_code in (200, 204)
            gone = client.get(env.path("items/1"))
    assert gone.status_code == 404


def test_a_cache_entry_prints_no_secret() -> None:
    """An error message or a log line that shows a resolved connection shows no secret."""
    from gateway.proxy.cache import ResolvedConnection

    entry = ResolvedConnection(record=None, compiled=None,  # type: ignore[arg-type]
                               secrets={"api_key": "sk-never-printed"}, loaded=0.0)
    entry.derived["parameters_with_secrets"] = dict(entry.secrets)  # as calls fill it
    assert "sk-never-printed" not in repr(entry)
    assert "sk-never-printed" not in str(entry)
