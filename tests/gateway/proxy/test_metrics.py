"""The data plane's metrics on /metrics: latency by connector and operation, statuses,
upstream errors."""

from __future__ import annotations

from tests.gateway.conftest import RunningGateway
from tests.gateway.proxy.conftest import Upstream, add_connection, build_connector, make_env
from tests.support.servers import free_port


def test_calls_show_up_by_connector_operation_and_status(
        gateway: RunningGateway, upstream: Upstream) -> None:
    env = make_env(gateway, upstream)
    dead = build_connector(f"http://127.0.0.1:{free_port()}/api", connector_id="gone",
                           proxy={"rateLimitCalls": 0, "maxRetries": 0})
    add_connection(gateway.services, dead, name="gone-conn")
    with env.client() as client:
        client.get(env.path("items/5"))
        client.get(env.path("status/418"))
        client.get("/apim/gone/gone-conn/items/1")
        text = client.get("/metrics").text
    assert ('portway_proxy_request_duration_seconds_count{connector="demo",'
            'operation="getItem"}') in text
    assert ('portway_proxy_responses_total{connector="demo",operation="status",'
            'status="418"}') in text
    assert ('portway_proxy_upstream_errors_total{connector="gone",'
            'kind="UpstreamUnreachable"}') in text
