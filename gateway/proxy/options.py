"""Per-connector proxy options: the ``proxy.*`` settings, overridden by the connector.

A connector overrides them in ``Connector.metadata["proxy"]`` (camelCase keys)::

    {"connectTimeout": 2, "readTimeout": 10, "totalTimeout": 20,
     "rateLimitCalls": 600, "rateLimitPeriod": 60,
     "maxRetries": 3, "retryBudgetSeconds": 5,
     "strictResponses": true, "validateRequests": true}

Unknown keys and values of the wrong type are ignored (the connector was accepted on
import; a bad option must not make it uncallable), and logged once per connector version.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from gateway.logging import get_logger
from gateway.proxy.retry import RetryPolicy
from gateway.proxy.upstream import Timeouts
from gateway.settings import ProxySettings
from importers import Connector

log = get_logger("portway.proxy")

_KEYS = {
    "connectTimeout": ("connect_timeout", float),
    "readTimeout": ("read_timeout", float),
    "totalTimeout": ("total_timeout", float),
    "rateLimitCalls": ("rate_limit_calls", int),
    "rateLimitPerPrincipal": ("rate_limit_per_principal", int),
    "rateLimitPeriod": ("rate_limit_period", float),
    "maxRetries": ("max_retries", int),
    "retryBudgetSeconds": ("retry_budget_seconds", float),
    "strictResponses": ("strict_responses", bool),
    "validateRequests": ("validate_requests", bool),
    "callUnsupportedOperations": ("call_unsupported_operations", bool),
}


@dataclass(frozen=True)
class ConnectorOptions:
    """How the proxy treats calls through one connector version.

    Attributes:
        connect_timeout: Seconds to open the upstream connection.
        read_timeout: Seconds between two reads from the upstream.
        total_timeout: Seconds for the whole upstream exchange, retries included.
        rate_limit_calls: Calls allowed per connection in each period (0: unlimited).
        rate_limit_period: The throttling window, in seconds.
        rate_limit_per_principal: Calls one principal may make through one connection in
            each period (0: no limit of its own), so no caller uses up the others' share.
        max_retries: Retries of an idempotent call (0: none).
        retry_budget_seconds: The most time spent waiting between retries.
        strict_responses: Validate the upstream's answers against the operation's schemas.
        validate_requests: Validate requests against the operation (default on).
        call_unsupported_operations: Call operations imported as ones Portway cannot
            carry out (a ``script.csx`` implements them) anyway, without what the script
            would have done; off by default: they answer 501.
    """

    # No defaults for the ``proxy.*`` settings' fields: ``connector_options`` takes them
    # from ``ProxySettings``, which holds the one set of defaults.
    connect_timeout: float
    read_timeout: float
    total_timeout: float
    rate_limit_calls: int
    rate_limit_period: float
    rate_limit_per_principal: int
    max_retries: int
    retry_budget_seconds: float
    strict_responses: bool = False
    validate_requests: bool = True
    call_unsupported_operations: bool = False

    # Made once per connector version, not once per call.
    @cached_property
    def timeouts(self) -> Timeouts:
        """The upstream client's timeouts for a call's first attempt."""
        return Timeouts(self.connect_timeout, self.read_timeout, self.total_timeout)

    @cached_property
    def retry(self) -> RetryPolicy:
        """How idempotent calls are retried (waits within the total timeout)."""
        return RetryPolicy(max_retries=self.max_retries,
                           budget_seconds=min(self.retry_budget_seconds, self.total_timeout))


def connector_options(settings: ProxySettings, connector: Connector) -> ConnectorOptions:
    """The options for ``connector``: settings first, then its ``metadata["proxy"]``."""
    base = ConnectorOptions(
        connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout,
        total_timeout=settings.total_timeout, rate_limit_calls=settings.rate_limit_calls,
        rate_limit_period=settings.rate_limit_period,
        rate_limit_per_principal=settings.rate_limit_per_principal,
        max_retries=settings.max_retries,
        retry_budget_seconds=settings.retry_budget_seconds,
    )
    given = connector.metadata.get("proxy")
    if not isinstance(given, dict):
        return base
    changes: dict[str, Any] = {}
    for key, value in given.items():
        known = _KEYS.get(key)
        converted = _convert(value, known[1]) if known else None
        if known is None or converted is None:
            log.warning("ignoring a connector proxy option", connector=connector.id, key=key)
            continue
        changes[known[0]] = converted
    return dataclasses.replace(base, **changes)


def _convert(value: Any, kind: type) -> Any:
    if kind is bool:
        return value if isinstance(value, bool) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return kind(value)
