"""An action's run-time policies as data: retry, timeout, static results, secure data.

Retry follows Logic Apps' documented policies (``inputs.retryPolicy``):

- *default* — exponential, 4 retries, intervals scaling by 7.5 s, capped between 5 s and
  45 s;
- ``none``; ``fixed`` (``count``, ``interval``); ``exponential`` (``count``, ``interval``,
  ``minimumInterval`` default 5 s, ``maximumInterval`` default 1 day), where retry *n*
  waits a random time between ``max(interval·2^(n-2), minimumInterval)`` and
  ``min(interval·2^(n-1), maximumInterval)``.

At most 90 retries; intervals between 5 seconds and 1 day (values outside are clamped:
deploy-time validation refuses them first). An upstream's ``Retry-After`` is honoured
when it asks for longer.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.engine.clock import parse_duration

__all__ = [
    "SECURED",
    "RetryPolicy",
    "retry_policy_of",
    "secured_parts",
    "static_result_of",
    "timeout_of",
]

MAX_RETRIES = 90
MIN_INTERVAL = 5.0
MAX_INTERVAL = 86400.0
#: What the run record shows in place of secured inputs or outputs.
SECURED = "Content not shown due to security configuration."


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long apart a retryable failure is tried again."""

    kind: str = "exponential"  # none | fixed | exponential
    count: int = 4
    interval: float = 7.5
    minimum: float = 5.0
    maximum: float = 45.0

    def delay(self, retry: int, rng: random.Random, retry_after: float | None = None
              ) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        if self.kind == "fixed":
            wait = self.interval
        else:
            low = max(self.interval * 2 ** (retry - 2) if retry > 1 else 0.0, self.minimum)
            high = max(min(self.interval * 2 ** (retry - 1), self.maximum), low)
            wait = rng.uniform(low, high)
        if retry_after is not None and retry_after > wait:
            wait = min(retry_after, MAX_INTERVAL)
        return wait


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(kind="none", count=0)


def _seconds(value: Any, default: float) -> float:
    found = parse_duration(value)
    if found is None:
        return default
    return min(max(found, MIN_INTERVAL), MAX_INTERVAL)


def retry_policy_of(action: Mapping[str, Any], inputs: Any) -> RetryPolicy:
    """The action's retry policy (``inputs.retryPolicy``, evaluated), or the default."""
    raw = inputs.get("retryPolicy") if isinstance(inputs, Mapping) else None
    if raw is None and isinstance(action.get("retryPolicy"), Mapping):
        raw = action["retryPolicy"]
    if not isinstance(raw, Mapping):
        return DEFAULT_RETRY
    kind = str(raw.get("type", "")).lower()
    if kind == "none":
        return NO_RETRY
    count = raw.get("count", 4)
    count = min(max(count, 0), MAX_RETRIES) if isinstance(count, int) else 4
    if kind == "fixed":
        return RetryPolicy("fixed", count, _seconds(raw.get("interval"), 7.5))
    if kind == "exponential":
        return RetryPolicy("exponential", count, _seconds(raw.get("interval"), 7.5),
                           _seconds(raw.get("minimumInterval"), MIN_INTERVAL),
                           _seconds(raw.get("maximumInterval"), MAX_INTERVAL))
    return DEFAULT_RETRY


def timeout_of(action: Mapping[str, Any]) -> float | None:
    """``limit.timeout`` in seconds, or None."""
    limit = action.get("limit")
    return parse_duration(limit.get("timeout")) if isinstance(limit, Mapping) else None


def static_result_of(action: Mapping[str, Any], definition: Mapping[str, Any]
                     ) -> Mapping[str, Any] | None:
    """The definition's ``staticResults`` entry replacing this action, when enabled."""
    config = action.get("runtimeConfiguration")
    static = config.get("staticResult") if isinstance(config, Mapping) else None
    if not isinstance(static, Mapping):
        return None
    if str(static.get("staticResultOptions", "Disabled")).lower() != "enabled":
        return None
    results = definition.get("staticResults")
    found = results.get(static.get("name")) if isinstance(results, Mapping) else None
    return found if isinstance(found, Mapping) else None


def secured_parts(action: Mapping[str, Any]) -> frozenset[str]:
    """``{"inputs", "outputs"}`` or part of it: what ``secureData`` hides from history."""
    config = action.get("runtimeConfiguration")
    secure = config.get("secureData") if isinstance(config, Mapping) else None
    parts = secure.get("properties") if isinstance(secure, Mapping) else None
    if not isinstance(parts, list):
        return frozenset()
    return frozenset(str(p).lower() for p in parts) & {"inputs", "outputs"}
