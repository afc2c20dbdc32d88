"""Actions that wait or hand work to another run: ``Workflow`` (a child run), ``Wait``
(a durable timer) and the date-time ``Expression`` actions (``CurrentTime``,
``GetFutureTime``, ``GetPastTime``, ``AddToTime``, ``SubtractFromTime``,
``ConvertTimeZone``).

``Workflow`` starts a run of another workflow's current version through the host's
engine, the action's ``body`` and ``headers`` being the child's trigger outputs. The
child's ``Response`` becomes the action's outputs (``{"statusCode", "headers", "body"}``;
a 4xx/5xx fails the action as an HTTP answer would); a child without a Response is
answered ``202 Accepted`` at once, as Logic Apps does. When the Response takes longer
than a moment the action suspends and reads the child's run record when it resumes.
The child's run id is derived from the parent's run id and the action's tracking id
(which includes its loop repetition), so the action in flight at a crash, run again (at
most once), finds the child it started instead of starting a second one.

``Wait`` suspends until ``interval`` (``count``, ``unit``) from now or ``until.timestamp``:
a ``Suspend`` the engine turns into a durable timer, never a sleeping task.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from gateway import PortwayError
from gateway.expressions import to_string
from runtime.actions.base import ActionContext, ActionResult, Finding, Suspend
from runtime.actions.common import (
    LeafHandler,
    check_kind,
    failed,
    is_expression_text,
    require,
    succeeded,
)
from runtime.actions.http_content import answer_result, outputs_of, request_headers
from runtime.actions.response import response_of_run
from runtime.engine.interface import ResponseRecord, TriggerRecord
from runtime.engine.runner import derived_run_id
from runtime.host import host_of

#: How long a Workflow action waits in place for the child's Response before it
#: suspends and looks again later.
CHILD_RESPONSE_WAIT_SECONDS = 2.0
CHILD_POLL_SECONDS = 2.0
_FINISHED = {"Succeeded", "Failed", "Cancelled"}


def _children_with_response(actions: Any) -> bool:
    if not isinstance(actions, Mapping):
        return False
    for action in actions.values():
        if not isinstance(action, Mapping):
            continue
        if str(action.get("type", "")).lower() == "response":
            return True
        branches = [action.get("actions"), (action.get("else") or {}).get("actions"),
                    (action.get("default") or {}).get("actions"),
                    *[(case or {}).get("actions")
                      for case in (action.get("cases") or {}).values()]]
        if any(_children_with_response(branch) for branch in branches):
            return True
    return False


def _record_outputs(record: ResponseRecord) -> dict[str, Any]:
    return outputs_of(record.status, list(record.headers), record.body)


class Workflow(LeafHandler):
    type = "Workflow"

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        host = require(inputs, "host", pointer, findings, kinds=(dict,))
        workflow = host.get("workflow") if isinstance(host, Mapping) else None
        if isinstance(host, Mapping) and not (isinstance(workflow, Mapping)
                                              and isinstance(workflow.get("id"), str)):
            findings.append(Finding(f"{pointer}/inputs/host/workflow/id",
                                    "'inputs.host.workflow.id' must name the child workflow"))
        check_kind(inputs, "headers", pointer, findings, kinds=(dict,))

    async def run(self, context: ActionContext) -> ActionResult | Suspend:
        inputs = context.inputs if isinstance(context.inputs, Mapping) else {}
        host = inputs.get("host") or {}
        child_name = str((host.get("workflow") or {}).get("id", "")).rsplit("/", 1)[-1]
        runtime = host_of(context.services)
        try:
            version = runtime.workflows.current(child_name)
        except PortwayError as exc:
            return failed("WorkflowNotFound", f"The child workflow '{child_name}' cannot be "
                                              f"run: {exc.message}")
        triggers = version.definition.get("triggers") or {}
        trigger_name = str(host.get("triggerName") or next(iter(triggers), "manual"))
        outputs = {"headers": request_headers(inputs.get("headers"))}
        if "body" in inputs:
            outputs["body"] = inputs["body"]
        started = context.now().isoformat()
        # The child's id follows from the parent run and this action (repetition
        # included): the action run again after a crash finds the child it started.
        handle = await runtime.engine.start_run(
            version, TriggerRecord(name=trigger_name, outputs=outputs, start_time=started,
                                   end_time=started),
            run_id=derived_run_id(context.run_id, context.tracking_id))
        if not _children_with_response(version.definition.get("actions")):
            return succeeded({"statusCode": 202,
                              "headers": {"x-ms-workflow-run-id": handle.run_id}},
                             code="Accepted")
        record = await handle.response(CHILD_RESPONSE_WAIT_SECONDS)
        if record is not None:
            return answer_result(_record_outputs(record), inputs)
        return Suspend(until=context.now() + timedelta(seconds=CHILD_POLL_SECONDS),
                       state={"child": handle.run_id}, inputs=inputs)

    async def resume(self, context: ActionContext, state: Mapping[str, Any]
                     ) -> ActionResult | Suspend:
        child = str(state.get("child", ""))
        run = host_of(context.services).history.get(child)
        record = response_of_run(run)
        if record is not None:
            return answer_result(_record_outputs(record), context.inputs)
        if run.get("status") in _FINISHED:
            error = run.get("error") or {}
            return failed(str(error.get("code") or "ChildWorkflowFailed"),
                          f"The child run '{child}' ended {run.get('status')} without a "
                          f"Response: {error.get('message', '')}".rstrip(": "))
        return Suspend(until=context.now() + timedelta(seconds=CHILD_POLL_SECONDS),
                       state=dict(state), inputs=context.inputs)


_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def later(moment: datetime, count: float, unit: str) -> datetime:
    """``moment`` plus ``count`` ``unit``s (Second ... Week, Month, Year).

    Raises:
        ValueError: An unknown unit.
    """
    key = unit.lower().rstrip("s")
    if key == "month":
        return _add_months(moment, int(count))
    if key == "year":
        return _add_months(moment, 12 * int(count))
    if key not in _UNITS:
        raise ValueError(f"unknown time unit '{unit}'")
    return moment + timedelta(seconds=count * _UNITS[key])


class Wait(LeafHandler):
    type = "Wait"

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        interval = check_kind(inputs, "interval", pointer, findings, kinds=(dict,))
        until = check_kind(inputs, "until", pointer, findings, kinds=(dict,))
        if interval is None and until is None:
            findings.append(Finding(f"{pointer}/inputs",
                                    "a Wait needs 'inputs.interval' or 'inputs.until'"))
        if isinstance(interval, Mapping):
            unit = interval.get("unit")
            if isinstance(unit, str) and not is_expression_text(unit) and \
                    unit.lower().rstrip("s") not in {*_UNITS, "month", "year"}:
                findings.append(Finding(f"{pointer}/inputs/interval/unit",
                                        f"unknown time unit '{unit}'"))

    async def run(self, context: ActionContext) -> ActionResult | Suspend:
        inputs = context.inputs if isinstance(context.inputs, Mapping) else {}
        try:
            wake = self._wake(context.now(), inputs)
        except (ValueError, OverflowError) as exc:
            return failed("InvalidTemplate", f"The Wait action's inputs are not valid: {exc}")
        if wake <= context.now():
            return succeeded(None, code=None)
        return Suspend(until=wake, state={"until": wake.isoformat()}, inputs=inputs)

    async def resume(self, context: ActionContext, state: Mapping[str, Any]
                     ) -> ActionResult | Suspend:
        return succeeded(None, code=None)

    @staticmethod
    def _wake(now: datetime, inputs: Mapping[str, Any]) -> datetime:
        until = inputs.get("until")
        if isinstance(until, Mapping):
            stamp = datetime.fromisoformat(to_string(until.get("timestamp")).replace("Z",
                                                                                    "+00:00"))
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=now.tzinfo)
        interval = inputs.get("interval") or {}
        count = interval.get("count")
        if isinstance(count, str) and count.strip().lstrip("-").isdigit():
            count = int(count)
        if not isinstance(count, (int, float)) or isinstance(count, bool):
            raise ValueError("'interval.count' must be a number")
        return later(now, count, to_string(interval.get("unit", "")))


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + to_string(value).replace("'", "''") + "'"


_EXPRESSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "currenttime": ("utcNow", ()),
    "getfuturetime": ("getFutureTime", ("interval", "timeUnit")),
    "getpasttime": ("getPastTime", ("interval", "timeUnit")),
    "addtotime": ("addToTime", ("baseTime", "interval", "timeUnit")),
    "subtractfromtime": ("subtractFromTime", ("baseTime", "interval", "timeUnit")),
    "converttimezone": ("convertTimeZone", ("baseTime", "sourceTimeZone",
                                            "destinationTimeZone")),
}


class Expression(LeafHandler):
    """The date-time actions Logic Apps writes as ``"type": "Expression"`` with a ``kind``:
    each is the expression function of the same meaning."""

    type = "Expression"
    pure = True

    def validate(self, action: Mapping[str, Any], pointer: str) -> Sequence[Finding]:
        kind = action.get("kind")
        if not isinstance(kind, str) or kind.lower() not in _EXPRESSIONS:
            return [Finding(f"{pointer}/kind", "an Expression action's 'kind' is one of "
                            "CurrentTime, GetFutureTime, GetPastTime, AddToTime, "
                            "SubtractFromTime, ConvertTimeZone")]
        return []

    async def run(self, context: ActionContext) -> ActionResult:
        function, names = _EXPRESSIONS[str(context.action.get("kind", "")).lower()]
        inputs = context.inputs if isinstance(context.inputs, Mapping) else {}
        missing = [name for name in names if inputs.get(name) is None]
        if missing:
            return failed("InvalidTemplate", "The action's inputs need "
                          + ", ".join(f"'{name}'" for name in missing) + ".")
        arguments = [_literal(inputs[name]) for name in names]
        if inputs.get("formatString"):
            arguments.append(_literal(inputs["formatString"]))
        try:
            value = context.evaluate("@" + function + "(" + ", ".join(arguments) + ")")
        except PortwayError as exc:
            return failed("InvalidTemplate", exc.message)
        return succeeded({"body": value})
