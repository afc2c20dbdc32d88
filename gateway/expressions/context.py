"""What an expression can see while it is evaluated: named data, a clock, randomness."""

from __future__ import annotations

import random as _random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gateway.expressions.parser import DEFAULT_LIMITS, Limits

__all__ = ["Clock", "EvaluationContext", "system_clock"]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


#: The operating system's randomness. It keeps no state, so one serves every context
#: (a policy builds a context per call).
SYSTEM_RANDOM = _random.SystemRandom()


@dataclass(frozen=True)
class EvaluationContext:
    """Named context data plus the sources of time and chance the functions use.

    The policy engine supplies ``connectionParameters``, ``headers``, ``queryParameters``,
    ``body`` and ``parameters``; the workflow runtime supplies its own names (and functions
    that read them). Tests inject ``clock`` and ``rng`` so nothing depends on the wall
    clock or on luck.

    Attributes:
        data: The named context values, read by functions through ``get``.
        clock: Returns the current time (timezone-aware); ``utcNow()`` and friends call it.
        rng: The random source for ``rand()`` and ``guid()``.
        limits: The size bounds parsing and evaluation enforce.
    """

    data: Mapping[str, Any] = field(default_factory=dict)
    clock: Clock = system_clock
    rng: _random.Random = SYSTEM_RANDOM
    limits: Limits = DEFAULT_LIMITS

    def get(self, name: str, default: Any = None) -> Any:
        """Return the context value called ``name``, or ``default`` when absent."""
        return self.data.get(name, default)

    def now(self) -> datetime:
        """The clock's current time as an aware UTC datetime."""
        moment = self.clock()
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)

    def with_data(self, **values: Any) -> EvaluationContext:
        """Return a copy with ``values`` added to (or replacing) the context data."""
        return EvaluationContext({**self.data, **values}, self.clock, self.rng, self.limits)


def as_context(context: Mapping[str, Any] | EvaluationContext | None) -> EvaluationContext:
    """Accept a plain mapping wherever a context is wanted."""
    if isinstance(context, EvaluationContext):
        return context
    return EvaluationContext(dict(context or {}))
