"""The data plane's Prometheus metrics, served on ``/metrics`` (the default registry).

Labels are bounded: connector ids and operation ids come from stored definitions, never
from the caller's path.

The two series every call adds to, the latency histogram and the responses by status,
are tallied here in plain numbers (``CallMetrics``, read by the registry at each scrape):
a call costs a bisect and three additions instead of ``prometheus_client``'s locked
observations. Calls are recorded on the event loop's thread, the only one that runs the
data plane. The rarer series (upstream errors, retries, throttled calls) are
``prometheus_client`` counters.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                   2.5, 5.0, 10.0, 30.0, 60.0)
_BUCKET_LABELS = (*(repr(bound) for bound in LATENCY_BUCKETS), "+Inf")  # as Prometheus writes them


class _Tally:
    """One connector operation's calls: latency bucket counts, their sum, statuses."""

    __slots__ = ("buckets", "seconds", "statuses")

    def __init__(self) -> None:
        self.buckets = [0] * len(_BUCKET_LABELS)
        self.seconds = 0.0
        self.statuses: dict[int, int] = {}


class CallMetrics(Collector):
    """``portway_proxy_request_duration_seconds`` and ``portway_proxy_responses_total``."""

    def __init__(self) -> None:
        self._tallies: dict[tuple[str, str], _Tally] = {}

    def record(self, connector: str, operation: str, status: int, seconds: float) -> None:
        key = (connector, operation)
        tally = self._tallies.get(key)
        if tally is None:
            tally = self._tallies[key] = _Tally()
        tally.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1  # "le": bound included
        tally.seconds += seconds
        statuses = tally.statuses
        statuses[status] = statuses.get(status, 0) + 1

    def collect(self) -> Iterator[Metric]:
        latency = HistogramMetricFamily(
            "portway_proxy_request_duration_seconds",
            "Time from receiving a proxied call to handing back the upstream's answer.",
            labels=["connector", "operation"])
        responses = CounterMetricFamily(
            "portway_proxy_responses", "Proxied calls by the status the caller received.",
            labels=["connector", "operation", "status"])
        for (connector, operation), tally in list(self._tallies.items()):
            cumulative = 0
            buckets = []
            for label, count in zip(_BUCKET_LABELS, list(tally.buckets), strict=True):
                cumulative += count
                buckets.append((label, float(cumulative)))
            latency.add_metric([connector, operation], buckets, tally.seconds)
            for status, count in sorted(tally.statuses.items()):
                responses.add_metric([connector, operation, str(status)], count)
        yield latency
        yield responses


CALLS = CallMetrics()
REGISTRY.register(CALLS)
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

def record_call(connector: str, operation: str, status: int, seconds: float) -> None:
    """Count one finished call and its latency."""
    CALLS.record(connector, operation, status, seconds)


def record_upstream_error(connector: str, kind: str) -> None:
    UPSTREAM_ERRORS.labels(connector, kind).inc()


def record_retry(connector: str, reason: str) -> None:
    RETRIES.labels(connector, reason).inc()


def record_throttled(connector: str) -> None:
    THROTTLED.labels(connector).inc()
