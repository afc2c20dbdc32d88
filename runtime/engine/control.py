"""The engine's own actions: Scope, If, Switch, Foreach, Until and Terminate.

Each holds other actions (or ends the run) and records itself like any action. Limits
that keep a hostile definition bounded at run time, Logic Apps' documented ones for the
run's kind (``runtime.definitions.limits.KindLimits``): a ``Foreach`` takes at most
``foreach_items`` items (more fails it before any iteration) and runs at most
``MAX_CONCURRENCY`` iterations at once; an ``Until`` runs at most ``until_count``
iterations and, in a Stateless run, for at most ``until_timeout``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from gateway.expressions import ExpressionError
from runtime.definitions.limits import limits_of
from runtime.engine.clock import parse_duration
from runtime.engine.interpreter import ACTION_FAILED, Interpreter
from runtime.engine.scope import RunScope
from runtime.engine.state import Frame, key_of
from runtime.expressions import REGISTRY

__all__ = ["MAX_CONCURRENCY", "condition", "run_control"]

MAX_CONCURRENCY = 50
DEFAULT_UNTIL_COUNT = 60
DEFAULT_UNTIL_TIMEOUT = 3600.0


class _Invalid(Exception):
    """A control action's own expression failed; the action fails with InvalidTemplate."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def run_control(interp: Interpreter, name: str, action: Mapping[str, Any],
                      frames: tuple[Frame, ...], kind: str) -> str:
    key = key_of(name, frames)
    record = interp.begin(name, action, frames)
    interp.state.put(key, record)
    scope = interp.scope(frames)
    try:
        if kind == "scope":
            status = await interp.run_actions(_actions(action), frames)
        elif kind == "if":
            status = await _if(interp, action, frames, scope, record)
        elif kind == "switch":
            status = await _switch(interp, action, frames, scope, record)
        elif kind == "foreach":
            status = await _foreach(interp, name, action, frames, scope, record)
        elif kind == "until":
            status = await _until(interp, name, action, frames, scope, record)
        else:
            status = await _terminate(interp, key, action, scope, record)
            return status
    except _Invalid as exc:
        interp.end(key, record, "Failed", code="InvalidTemplate", error={
            "code": "InvalidTemplate",
            "message": f"Unable to process template language expressions for action "
                       f"'{name}' at line '0' and column '0': '{exc.message}'."})
        await interp.sink.flush(interp.state)
        return "Failed"
    except asyncio.CancelledError:
        if interp.state.stopping in ("terminate", "cancel"):
            interp.end(key, record, "Cancelled", code="Cancelled")
        raise
    if status == "Waiting":
        return status
    if status == "Cancelled" and interp.state.stopping == "shutdown":
        return status
    error = ACTION_FAILED if status == "Failed" else None
    interp.end(key, record, status, code="ActionFailed" if status == "Failed" else (
        "Cancelled" if status == "Cancelled" else "OK"), error=error)
    return status


def _actions(holder: Any) -> Mapping[str, Any]:
    found = holder.get("actions") if isinstance(holder, Mapping) else None
    return found if isinstance(found, Mapping) else {}


# -- conditions -------------------------------------------------------------------------

def condition(value: Any, scope: RunScope) -> bool:
    """An ``If``/``Until`` expression: a string expression, or a condition object
    (``{"and": [...]}``, ``{"not": {...}}``, ``{"equals": [a, b]}``, any function)."""
    try:
        result = _condition(value, scope)
    except ExpressionError as exc:
        raise _Invalid(exc.message) from exc
    if isinstance(result, str) and result.lower() in ("true", "false"):
        return result.lower() == "true"
    if not isinstance(result, bool):
        raise _Invalid("The expression must evaluate to a boolean value, not "
                       f"'{type(result).__name__}'.")
    return result


def _condition(value: Any, scope: RunScope) -> Any:
    if isinstance(value, Mapping) and len(value) == 1:
        op, args = next(iter(value.items()))
        lowered = str(op).lower()
        if lowered in ("and", "or"):
            items = args if isinstance(args, list) else [args]
            for item in items:
                truth = condition(item, scope)
                if truth != (lowered == "and"):
                    return truth
            return lowered == "and"
        if lowered == "not":
            return not condition(args, scope)
        spec = REGISTRY.lookup(str(op))
        if spec is not None:
            operands = [_operand(a, scope) for a in (args if isinstance(args, list)
                                                     else [args])]
            context = scope.context()
            if spec.lazy:
                return spec.fn(context, *[(lambda v=v: v) for v in operands])
            return spec.fn(context, *operands)
    return scope.evaluate(value)


def _operand(value: Any, scope: RunScope) -> Any:
    if isinstance(value, Mapping) and len(value) == 1 and (
            REGISTRY.lookup(str(next(iter(value)))) is not None
            or str(next(iter(value))).lower() in ("and", "or", "not")):
        return _condition(value, scope)
    return scope.evaluate(value)


# -- the actions ------------------------------------------------------------------------

async def _if(interp: Interpreter, action: Mapping[str, Any], frames: tuple[Frame, ...],
              scope: RunScope, record: dict[str, Any]) -> str:
    truth = condition(action.get("expression"), scope)
    record["inputs"] = {"expressionResult": truth}
    taken = _actions(action) if truth else _actions(action.get("else"))
    other = _actions(action.get("else")) if truth else _actions(action)
    interp.skip_all(action, frames, actions=other)
    return await interp.run_actions(taken, frames)


async def _switch(interp: Interpreter, action: Mapping[str, Any], frames: tuple[Frame, ...],
                  scope: RunScope, record: dict[str, Any]) -> str:
    try:
        value = scope.evaluate(action.get("expression"))
    except ExpressionError as exc:
        raise _Invalid(exc.message) from exc
    record["inputs"] = {"expressionValue": value}
    found = action.get("cases")
    cases: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    chosen: Mapping[str, Any] | None = None
    for case in cases.values():
        if isinstance(case, Mapping) and chosen is None and _same(case.get("case"), value):
            chosen = case
    if chosen is None:
        chosen = action.get("default") if isinstance(action.get("default"), Mapping) else {}
    for case in [*cases.values(), action.get("default")]:
        if case is not chosen and isinstance(case, Mapping):
            interp.skip_all(action, frames, actions=_actions(case))
    return await interp.run_actions(_actions(chosen), frames)


def _same(case: Any, value: Any) -> bool:
    if isinstance(case, bool) or isinstance(value, bool):
        return case is value
    return bool(case == value)


def _concurrency(action: Mapping[str, Any], default: int) -> int:
    options = action.get("operationOptions")
    if isinstance(options, str) and "sequential" in options.lower():
        return 1
    config = action.get("runtimeConfiguration")
    concurrency = config.get("concurrency") if isinstance(config, Mapping) else None
    wanted = concurrency.get("repetitions") if isinstance(concurrency, Mapping) else None
    if isinstance(wanted, int) and not isinstance(wanted, bool):
        return min(max(wanted, 1), MAX_CONCURRENCY)
    return min(max(default, 1), MAX_CONCURRENCY)


async def _foreach(interp: Interpreter, name: str, action: Mapping[str, Any],
                   frames: tuple[Frame, ...], scope: RunScope, record: dict[str, Any]) -> str:
    try:
        items = scope.evaluate(action.get("foreach"))
    except ExpressionError as exc:
        raise _Invalid(exc.message) from exc
    if not isinstance(items, list):
        raise _Invalid(f"The result of the evaluation of 'foreach' expression is of type "
                       f"'{type(items).__name__}'. The result must be a valid array.")
    most = limits_of(interp.state.version.kind).foreach_items
    if len(items) > most:
        raise _Invalid(f"The 'foreach' expression gives {len(items)} items, more than the "
                       f"limit of {most} of a {interp.state.version.kind} workflow.")
    body = _actions(action)
    statuses: list[str] = [""] * len(items)
    cursor = iter(range(len(items)))

    async def worker() -> None:
        for index in cursor:
            if interp.state.stopping is not None:
                return
            inner = (*frames, Frame(name, index, items[index]))
            statuses[index] = await interp.run_actions(body, inner)

    workers = min(_concurrency(action, interp.env.foreach_concurrency), len(items)) or 0
    if workers == 1:
        await worker()
    elif workers:
        await asyncio.gather(*(worker() for _ in range(workers)))
    if interp.state.stopping is not None:
        return "Cancelled"
    if "Waiting" in statuses:
        return "Waiting"
    return "Failed" if "Failed" in statuses else "Succeeded"


async def _until(interp: Interpreter, name: str, action: Mapping[str, Any],
                 frames: tuple[Frame, ...], scope: RunScope, record: dict[str, Any]) -> str:
    found = action.get("limit")
    limit: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    count = limit.get("count", DEFAULT_UNTIL_COUNT)
    if isinstance(count, str):
        try:
            count = scope.evaluate(count)
        except ExpressionError as exc:
            raise _Invalid(exc.message) from exc
    kind = limits_of(interp.state.version.kind)
    count = min(max(count, 1), kind.until_count) if isinstance(count, int) else \
        min(DEFAULT_UNTIL_COUNT, kind.until_count)
    timeout = parse_duration(limit.get("timeout")) or DEFAULT_UNTIL_TIMEOUT
    if kind.until_timeout is not None:
        timeout = min(timeout, kind.until_timeout)
    started = interp.env.clock.now().timestamp()
    body = _actions(action)
    status = "Succeeded"
    for index in range(count):
        inner = (*frames, Frame(name, index))
        status = await interp.run_actions(body, inner)
        if status in ("Waiting", "Cancelled"):
            return status
        if condition(action.get("expression"), interp.scope(inner)):
            break
        if interp.env.clock.now().timestamp() - started >= timeout:
            break
    return "Failed" if status == "Failed" else "Succeeded"


async def _terminate(interp: Interpreter, key: str, action: Mapping[str, Any],
                     scope: RunScope, record: dict[str, Any]) -> str:
    try:
        inputs = scope.evaluate(action.get("inputs"))
    except ExpressionError as exc:
        raise _Invalid(exc.message) from exc
    inputs = inputs if isinstance(inputs, Mapping) else {}
    record["inputs"] = dict(inputs)
    wanted = str(inputs.get("runStatus", "Failed")).lower()
    status = {"succeeded": "Succeeded", "cancelled": "Cancelled"}.get(wanted, "Failed")
    error = inputs.get("runError")
    run_error: dict[str, Any] | None = None
    if status == "Failed":
        run_error = {"code": "Terminated", "message": ""}
        if isinstance(error, Mapping):
            run_error = {"code": error.get("code", "Terminated"),
                         "message": error.get("message", "")}
    interp.end(key, record, "Succeeded", code="OK")
    interp.state.terminated = (status, run_error)
    interp.state.stopping = "terminate"
    await interp.sink.flush(interp.state)
    return "Succeeded"
