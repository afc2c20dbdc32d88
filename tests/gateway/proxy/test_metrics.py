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


def test_the_latency_histogram_counts_each_call_in_its_bucket_and_above() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from gateway.metrics import CallMetrics

    calls = CallMetrics()
    registry = CollectorRegistry()
    registry.register(calls)
    for seconds in (0.0001, 0.001, 0.0011, 120.0):  # 0.001 is its bucket's bound: in it
        calls.record("c", "op", 200, seconds)
    calls.record("c", "op", 503, 0.2)
    text = generate_latest(registry).decode()

    def sample(name: str, **labels: str) -> str:
        wanted = "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
        line = next(line for line in text.splitlines()
                    if line.startswith(name + "{") and _labels(line) == wanted)
        return line.rsplit(" ", 1)[1]

    assert sample("portway_proxy_request_duration_seconds_bucket", connector="c",
                  operation="op", le="0.0005") == "1.0"
    assert sample("portway_proxy_request_duration_seconds_bucket", connector="c",
                  operation="op", le="0.001") == "2.0"
    assert sample("portway_proxy_request_duration_seconds_bucket", connector="c",
                  operation="op", le="0.25") == "4.0"
    assert sample("portway_proxy_request_duration_seconds_bucket", connector="c",
                  operation="op", le="60.0") == "4.0"
    assert sample("portway_proxy_request_duration_seconds_bucket", connector="c",
                  operation="op", le="+Inf") == "5.0"
    assert sample("portway_proxy_request_duration_seconds_count", connector="c",
                  operation="op") == "5.0"
    assert float(sample("portway_proxy_request_duration_seconds_sum", connector="c",
                        operation="op")) == 0.0001 + 0.001 + 0.0011 + 120.0 + 0.2
    assert sample("portway_proxy_responses_total", connector="c", operation="op",
                  status="503") == "1.0"
    assert sample("portway_proxy_responses_total", connector="c", operation="op",
                  status="200") == "4.0"


def _labels(line: str) -> str:
    inside = line[line.index("{") + 1:line.index("}")]
    return "{" + ",".join(sorted(inside.split(","))) + "}"
