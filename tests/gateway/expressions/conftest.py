"""Shared fixtures: a context whose clock and randomness are fixed."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.expressions import EvaluationContext, evaluate

FIXED_NOW = datetime(2018, 3, 1, 0, 0, 0, tzinfo=UTC)


def fixed_context(**data: Any) -> EvaluationContext:
    """A context at 2018-03-01T00:00:00Z with a seeded random source."""
    return EvaluationContext(data=data, clock=lambda: FIXED_NOW, rng=random.Random(7))


@pytest.fixture
def ev() -> Callable[..., Any]:
    """Evaluate an expression in a fixed context built from keyword data."""

    def run(expression: str, **data: Any) -> Any:
        return evaluate(expression, fixed_context(**data))

    return run
