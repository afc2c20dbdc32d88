"""The data plane's Prometheus metrics, served on ``/metrics`` (the default registry).

Labels are bounded: connector ids and operation ids come from stored definitions, never
from the caller's path. Children are looked up once per label set and kept, so recording
a call costs a dictionary hit and an observation.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

LATENCY = Histogram(
    "portway_proxy_request_duration_seconds",
    "Time from receiving a proxied call to handing back the upstream's answer.",
    ["connector", "operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
             5.0, 10.0, 30.0, 60.0),
)
RESPONSES = Counter(
    "portway_proxy_responses_total",
    "Proxied calls by the status the caller received.",
    ["connector", "operation", "status"],
)
UPSTREAM_ERRORS = Counter(
    "portway_proxy_upstream_errors_total",
    "Upstream failures: timeout, unreachable, too-large, invalid-response.",
    ["connector", "kind"],
)
RETRIES = Counter(
    "portway_proxy_retries_total",
    "Retries of idempotent upstream calls, by reason (connect, 429, 502, 503, 504).",
    ["connector", "reason"],
)
THROTTLED = Counter(
    "portway_proxy_throttled_total",
    "Calls refused with 429 because a connection used up its rate limit.",
    ["connector"],
)

_latency: dict[tuple[str, str], object] = {}
_responses: dict[tuple[str, str, int], object] = {}


def record_call(connector: str, operation: str, status: int, seconds: float) -> None:
    """Count one finished call and its latency."""
    key = (connector, operation)
    latency = _latency.get(key)
    if latency is None:
        latency = _latency[key] = LATENCY.labels(connector, operation)
    latency.observe(seconds)  # type: ignore[attr-defined]
    counter_key = (connector, operation, status)
    counter = _responses.get(counter_key)
    if counter is None:
        counter = _responses[counter_key] = RESPONSES.labels(connector, operation, str(status))
    counter.inc()  # type: ignore[attr-defined]


def record_upstream_error(connector: str, kind: str) -> None:
    UPSTREAM_ERRORS.labels(connector, kind).inc()


def record_retry(connector: str, reason: str) -> None:
    RETRIES.labels(connector, reason).inc()


def record_throttled(connector: str) -> None:
    THROTTLED.labels(connector).inc()
