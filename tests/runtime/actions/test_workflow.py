"""Wait (a durable Suspend, never a sleep) and the date-time Expression actions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from runtime.actions.base import ActionResult, Suspend
from runtime.actions.workflow import Expression, Wait, Workflow, later
from tests.runtime.actions.context import Context

NOW = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)


def run(handler: Any, action: dict[str, Any]) -> ActionResult | Suspend:
    return asyncio.run(handler.run(Context(action, now=NOW)))


def test_wait_for_an_interval_suspends_until_then() -> None:
    result = run(Wait(), {"type": "Wait", "inputs": {"interval": {"count": 90,
                                                                  "unit": "Second"}}})
    assert isinstance(result, Suspend)
    assert result.until == NOW + timedelta(seconds=90)
    resumed = asyncio.run(Wait().resume(Context({"type": "Wait"}, now=result.until),
                                        result.state))
    assert isinstance(resumed, ActionResult) and resumed.status == "Succeeded"


def test_wait_until_a_timestamp_and_one_in_the_past() -> None:
    result = run(Wait(), {"type": "Wait", "inputs": {"until": {
        "timestamp": "2026-02-01T00:00:00Z"}}})
    assert isinstance(result, Suspend)
    assert result.until == datetime(2026, 2, 1, tzinfo=UTC)
    past = run(Wait(), {"type": "Wait", "inputs": {"until": {
        "timestamp": "2020-01-01T00:00:00Z"}}})
    assert isinstance(past, ActionResult) and past.status == "Succeeded"


@pytest.mark.parametrize(("count", "unit", "expected"), [
    (1, "Month", datetime(2026, 2, 28, 12, tzinfo=UTC)),
    (2, "Week", NOW + timedelta(days=14)), (3, "Hour", NOW + timedelta(hours=3)),
    (1, "Year", datetime(2027, 1, 31, 12, tzinfo=UTC)),
])
def test_units(count: int, unit: str, expected: datetime) -> None:
    assert later(NOW, count, unit) == expected


def test_a_wait_past_the_calendar_fails_clearly() -> None:
    result = run(Wait(), {"type": "Wait", "inputs": {"interval": {"count": 10**12,
                                                                  "unit": "Week"}}})
    assert isinstance(result, ActionResult)
    assert (result.status, result.code) == ("Failed", "InvalidTemplate")


def test_wait_deploy_checks() -> None:
    assert [f.pointer for f in Wait().validate({"inputs": {}}, "/actions/W")] == [
        "/actions/W/inputs"]
    bad = {"inputs": {"interval": {"count": 1, "unit": "Fortnight"}}}
    assert [f.pointer for f in Wait().validate(bad, "/actions/W")] == [
        "/actions/W/inputs/interval/unit"]


def test_expression_actions_use_the_functions_of_the_same_meaning() -> None:
    now = run(Expression(), {"type": "Expression", "kind": "CurrentTime", "inputs": {}})
    assert isinstance(now, ActionResult)
    assert now.outputs == {"body": "2026-01-31T12:00:00.0000000Z"}
    future = run(Expression(), {"type": "Expression", "kind": "GetFutureTime",
                                "inputs": {"interval": 2, "timeUnit": "Day"}})
    assert isinstance(future, ActionResult)
    assert future.outputs == {"body": "2026-02-02T12:00:00.0000000Z"}
    added = run(Expression(), {"type": "Expression", "kind": "AddToTime", "inputs": {
        "baseTime": "2026-01-01T00:00:00Z", "interval": 3, "timeUnit": "Hour",
        "formatString": "yyyy-MM-dd HH:mm"}})
    assert isinstance(added, ActionResult)
    assert added.outputs == {"body": "2026-01-01 03:00"}
    assert [f.pointer for f in Expression().validate({"kind": "Dance"}, "/actions/E")] == [
        "/actions/E/kind"]


def test_workflow_deploy_checks() -> None:
    findings = Workflow().validate({"inputs": {"host": {"workflow": {}}}}, "/actions/C")
    assert [f.pointer for f in findings] == ["/actions/C/inputs/host/workflow/id"]
