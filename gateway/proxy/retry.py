"""Retrying idempotent upstream calls: the policy is data, the clock is injectable.

An idempotent call (GET, HEAD, OPTIONS, PUT, DELETE, TRACE) whose body can be sent again is
retried when the error says it is ``retryable`` (a failure before anything was sent: DNS, a
refused or timed-out connect), and on answers 429, 502, 503 and 504.
Delays grow exponentially with full jitter and honour the upstream's ``Retry-After``
(seconds or an HTTP date). Retrying stops when the time spent so far plus the next wait
would exceed the budget: the last answer (or error) is then what the caller gets.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gateway.errors import UpstreamError, UpstreamTimeout
from gateway.proxy.upstream import UpstreamResponse

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How to retry.

    Attributes:
        max_retries: Retries after the first attempt (0: never retry).
        budget_seconds: The most time the attempts and waits may take together.
        base_delay: The first back-off, doubled each retry (before jitter).
        max_delay: The largest single back-off (``Retry-After`` may ask for more,
            within the budget).
    """

    max_retries: int = 2
    budget_seconds: float = 10.0
    base_delay: float = 0.1
    max_delay: float = 2.0

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Full jitter: a random wait up to ``base * 2**attempt`` (capped)."""
        return float(min(self.max_delay, self.base_delay * (2 ** attempt)) * rand())


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A ``Retry-After`` header in seconds from now, or None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    wall = time.time() if now is None else now
    return max(0.0, when.timestamp() - wall)


def retries_apply(method: str, replayable: bool, policy: RetryPolicy) -> bool:
    """Whether a call may be retried at all: idempotent, its body sent again, retries on."""
    return policy.max_retries > 0 and replayable and method in IDEMPOTENT


async def with_retries(
    attempt: Callable[[], Awaitable[UpstreamResponse]], *, method: str, replayable: bool,
    policy: RetryPolicy, on_retry: Callable[[str], None] | None = None,
    clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep,
) -> UpstreamResponse:
    """Run ``attempt`` and retry it per ``policy`` when the call is safe to repeat.

    Args:
        attempt: Sends the request once.
        method: The HTTP method (decides idempotency).
        replayable: Whether the body can be sent again (not a consumed stream).
        on_retry: Called with the reason ("429", "connect"...) before each retry.
        clock: Monotonic seconds (injectable so tests do not wait).
        sleep: Waits that many seconds (injectable).
    """
    if not retries_apply(method, replayable, policy):
        return await attempt()
    start = clock()
    retries = 0
    while True:
        try:
            response = await attempt()
        except UpstreamError as exc:
            if not _retryable_error(exc) or retries >= policy.max_retries:
                raise
            delay = policy.backoff(retries)
            if clock() - start + delay > policy.budget_seconds:
                raise
            reason = "timeout" if isinstance(exc, UpstreamTimeout) else "connect"
        else:
            if response.status not in RETRY_STATUSES or retries >= policy.max_retries:
                return response
            asked = retry_after_seconds(response.header("retry-after"))
            delay = asked if asked is not None else policy.backoff(retries)
            if clock() - start + delay > policy.budget_seconds:
                return response
            await response.aclose()
            reason = str(response.status)
        if on_retry is not None:
            on_retry(reason)
        retries += 1
        await sleep(delay)


def _retryable_error(exc: UpstreamError) -> bool:
    # The error says (PortwayError.retryable): only failures before anything was sent
    # are, so a timeout or a break after sending is not repeated, even when idempotent.
    return exc.retryable
