"""The interpreter of a definition's ``runAfter`` graph, one run at a time.

Within one scope (the root, a ``Scope``, a branch, a loop iteration) every action whose
predecessors have all ended is decided: it runs when each predecessor ended with a
status its ``runAfter`` accepts, and is ``Skipped`` otherwise. Independent actions run
at once (parallel branches). A scope's own status follows from its *terminal* actions —
those no other action in the scope runs after: it is ``Failed`` when one of them failed,
timed out, or was skipped because of a failure before it (a failure branch that answered
does not make up for a success-only sibling that was skipped), ``Succeeded`` otherwise.

Leaf actions go to their handler (``runtime.actions.registry``); the engine's control
actions are in ``control.py``. Each result is checkpointed through the ``Sink`` before
the run moves on; a record found in ``state.replay`` is reused instead of running the
action again.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Protocol

from gateway.expressions import ExpressionError
from runtime.actions.base import ActionResult, Suspend
from runtime.actions.registry import handler_for
from runtime.engine.clock import iso
from runtime.engine.definition import CONTROL_TYPES, Index, copy_json, run_after
from runtime.engine.policies import (
    retry_policy_of,
    secured_parts,
    static_result_of,
    timeout_of,
)
from runtime.engine.scope import Env, HandlerContext, RunScope
from runtime.engine.state import FAILED_STATUSES, FINAL_STATUSES, Frame, RunState, key_of

__all__ = ["ACTION_FAILED", "Interpreter", "Sink", "scope_outcome"]

ACTION_FAILED = {"code": "ActionFailed",
                 "message": "An action failed. No dependent actions succeeded."}

_RNG = random.SystemRandom()
#: The key of the suspended state the engine keeps for a retry's wait.
RETRY_WAIT = "_retryWait"


class Sink(Protocol):
    """Where records go to be durable (the checkpoint writer, or nowhere for Stateless)."""

    #: Whether what is recorded survives the process: then waits (Wait, a retry's
    #: interval) are durable timers; else they are waited in the process.
    durable: bool

    def record(self, state: RunState, key: str, record: dict[str, Any],
               handler_state: Mapping[str, Any] | None = None) -> None:
        """Queue a record (and a suspended handler's state) for the next checkpoint."""
        ...

    async def flush(self, state: RunState) -> None:
        """Return once everything queued for this run is durable.

        Raises:
            LeaseLost: Another process owns the run now; stop without writing more.
        """
        ...


def scope_outcome(actions: Mapping[str, Any],
                  ended: Mapping[str, tuple[str, bool]]) -> str:
    """A scope's status from its actions' (status, skipped-because-of-a-failure)."""
    followed = {before for action in actions.values() if isinstance(action, Mapping)
                for before in run_after(action)}
    outcome = "Succeeded"
    for name in actions:
        if name in followed or name not in ended:
            continue
        status, by_failure = ended[name]
        if status in FAILED_STATUSES or (status == "Skipped" and by_failure):
            return "Failed"
        if status == "Cancelled":
            outcome = "Cancelled"
    return outcome


class Interpreter:
    """Runs one run's definition against its state."""

    def __init__(self, state: RunState, env: Env, index: Index, sink: Sink) -> None:
        self.state = state
        self.env = env
        self.index = index
        self.sink = sink

    def scope(self, frames: tuple[Frame, ...], current: dict[str, Any] | None = None
              ) -> RunScope:
        return RunScope(self.state, self.env, self.index, frames, current)

    def now(self) -> str:
        return iso(self.env.clock.now())

    # -- records ------------------------------------------------------------------------

    def begin(self, name: str, action: Mapping[str, Any], frames: tuple[Frame, ...]
              ) -> dict[str, Any]:
        key = key_of(name, frames)
        record: dict[str, Any] = {
            "name": name, "type": action.get("type"), "status": "Running", "code": None,
            "startTime": self.now(), "endTime": None, "inputs": None, "outputs": None,
            "error": None, "trackedProperties": None, "retryHistory": [],
            "trackingId": self.state.tracking_id(key),
            "clientTrackingId": self.state.client_tracking_id,
        }
        secured = secured_parts(action)
        if secured:
            record["_secured"] = sorted(secured)
        if frames:
            record["repetitionIndexes"] = [{"scopeName": f.loop, "itemIndex": f.index}
                                           for f in frames]
        return record

    def end(self, key: str, record: dict[str, Any], status: str, *,
            code: str | None = None, error: Mapping[str, Any] | None = None,
            by_failure: bool = False) -> None:
        record["status"] = status
        record["endTime"] = self.now()
        if code is not None or record.get("code") is None:
            record["code"] = code if code is not None else (
                "NotSpecified" if status != "Succeeded" else "OK")
        if error is not None:
            record["error"] = dict(error)
        if by_failure:
            record["_byFailure"] = True
        self.state.put(key, record)
        self.sink.record(self.state, key, record)

    def skip(self, name: str, action: Mapping[str, Any], frames: tuple[Frame, ...],
             error: Mapping[str, Any], by_failure: bool) -> None:
        """Record an action (and everything inside it) as ``Skipped``."""
        record = self.begin(name, action, frames)
        self.end(key_of(name, frames), record, "Skipped", code="ActionSkipped", error=error,
                 by_failure=by_failure)
        self.skip_all(action, frames, branch=False)

    def skip_all(self, holder: Mapping[str, Any], frames: tuple[Frame, ...], *,
                 branch: bool = True, actions: Mapping[str, Any] | None = None) -> None:
        """Skip every action inside ``holder`` (or in ``actions``): a branch not taken."""
        inner = actions if actions is not None else None
        maps = [inner] if inner is not None else _branches(holder)
        for found in maps:
            for name, action in self.index.descendants(found):
                key = key_of(name, frames)
                if key in self.state.records:
                    continue
                record = self.begin(name, action, frames)
                self.end(key, record, "Skipped", code="ActionSkipped", error={
                    "code": "ActionBranchingConditionNotSatisfied",
                    "message": f"The execution of template action '{name}' is skipped: the "
                               "branching condition for this action is not satisfied."})

    # -- the graph ----------------------------------------------------------------------

    async def run_actions(self, actions: Mapping[str, Any], frames: tuple[Frame, ...]
                          ) -> str:
        """Run one scope's actions; its status, or ``Waiting`` when something suspended."""
        ended: dict[str, tuple[str, bool]] = {}
        pending = {name: action for name, action in actions.items()
                   if isinstance(action, Mapping)}
        running: dict[asyncio.Task[str], str] = {}
        waiting = False
        try:
            while self.state.stopping is None:
                ready = self._decide(actions, pending, ended, frames,
                                     self.index.scope_after(actions))
                if not running and len(ready) == 1:
                    name, action = ready[0]
                    status = await self.run_action(name, action, frames)
                    waiting = waiting or status == "Waiting"
                    if status != "Waiting":
                        ended[name] = (status, False)
                    continue
                for name, action in ready:
                    task = asyncio.create_task(self.run_action(name, action, frames))
                    running[task] = name
                if not running:
                    break
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    name = running.pop(task)
                    status = task.result()
                    waiting = waiting or status == "Waiting"
                    if status != "Waiting":
                        ended[name] = (status, False)
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)
        if self.state.stopping == "terminate":
            for name, action in pending.items():
                self.skip(name, action, frames, {
                    "code": "ActionSkipped",
                    "message": f"The execution of template action '{name}' is skipped: the "
                               "run was terminated."}, False)
            return scope_outcome(actions, ended)
        if self.state.stopping is not None:
            return "Cancelled"
        if waiting:
            return "Waiting"
        return scope_outcome(actions, ended)

    def _decide(self, actions: Mapping[str, Any], pending: dict[str, Mapping[str, Any]],
                ended: dict[str, tuple[str, bool]], frames: tuple[Frame, ...],
                afters: dict[str, dict[str, frozenset[str]]]
                ) -> list[tuple[str, Mapping[str, Any]]]:
        """Take every pending action whose predecessors ended: skip it, or return it."""
        ready: list[tuple[str, Mapping[str, Any]]] = []
        progressed = True
        while progressed:
            progressed = False
            for name in list(pending):
                action = pending[name]
                after = afters[name]
                if any(before not in ended for before in after):
                    continue
                del pending[name]
                progressed = True
                unmet = [(before, wanted) for before, wanted in after.items()
                         if ended[before][0] not in wanted]
                if not unmet:
                    ready.append((name, action))
                    continue
                before, wanted = unmet[0]
                by_failure = any(ended[b][0] in FAILED_STATUSES or ended[b][1]
                                 for b, _ in unmet)
                expected = "', '".join(sorted(wanted))
                self.skip(name, action, frames, {
                    "code": "ActionConditionFailed",
                    "message": f"The execution of template action '{name}' is skipped: the "
                               f"'runAfter' condition for action '{before}' is not satisfied."
                               f" Expected status values '{expected}' and actual value "
                               f"'{ended[before][0]}'."}, by_failure)
                ended[name] = ("Skipped", by_failure)
        return ready

    async def run_action(self, name: str, action: Mapping[str, Any],
                         frames: tuple[Frame, ...]) -> str:
        key = key_of(name, frames)
        previous = self.state.replay.get(key)
        if previous is not None and previous.get("status") in FINAL_STATUSES:
            self.state.put(key, previous)
            return str(previous["status"])
        kind = str(action.get("type", "")).lower()
        if kind in CONTROL_TYPES:
            from runtime.engine.control import run_control

            return await run_control(self, name, action, frames, kind)
        return await self.run_leaf(name, action, frames, key, previous)

    # -- leaf actions -------------------------------------------------------------------

    async def run_leaf(self, name: str, action: Mapping[str, Any], frames: tuple[Frame, ...],
                       key: str, previous: Mapping[str, Any] | None) -> str:
        record = self.begin(name, action, frames)
        if previous is not None:
            record["startTime"] = previous.get("startTime", record["startTime"])
            record["retryHistory"] = list(previous.get("retryHistory") or [])
        scope = self.scope(frames)
        try:
            inputs = _evaluate_inputs(scope, action, self.index)
        except ExpressionError as exc:
            self.end(key, record, "Failed", code="InvalidTemplate", error={
                "code": "InvalidTemplate",
                "message": f"Unable to process template language expressions in action "
                           f"'{name}' inputs at line '0' and column '0': '{exc.message}'."})
            await self.sink.flush(self.state)
            return "Failed"
        record["inputs"] = inputs
        try:
            outcome = await self._execute(name, action, key, record, scope, inputs, previous)
        except asyncio.CancelledError:
            if self.state.stopping in ("terminate", "cancel"):
                self.end(key, record, "Cancelled", code="Cancelled")
            raise
        if isinstance(outcome, Suspend):
            # A retry's wait keeps the action Running (with its retryHistory), as Logic
            # Apps shows it; a handler's own suspension makes it Waiting.
            record["status"] = "Running" if RETRY_WAIT in outcome.state else "Waiting"
            if outcome.inputs is not None:
                record["inputs"] = outcome.inputs
            wake = outcome.until.timestamp()
            self.state.suspended[key] = dict(outcome.state)
            self.state.wake_at = wake if self.state.wake_at is None else min(
                self.state.wake_at, wake)
            record["_wakeAt"] = wake
            self.state.put(key, record)
            self.sink.record(self.state, key, record, outcome.state)
            await self.sink.flush(self.state)
            return "Waiting"
        result, context = outcome
        if result.inputs is not None:
            record["inputs"] = result.inputs
        record["outputs"] = result.outputs
        record["code"] = result.code
        self._track(action, record, frames, result.status)
        self.end(key, record, result.status, code=result.code or _default_code(result.status),
                 error=result.error)
        if context is not None and context.response is not None:
            self.state.response = context.response
            self.state.changed = True
        await self.sink.flush(self.state)
        if context is not None and context.response is not None:
            self.state.response_ready.set()
        return result.status

    async def _execute(self, name: str, action: Mapping[str, Any], key: str,
                       record: dict[str, Any], scope: RunScope, inputs: Any,
                       previous: Mapping[str, Any] | None
                       ) -> tuple[ActionResult, HandlerContext | None] | Suspend:
        static = static_result_of(action, self.state.version.definition)
        if static is not None:
            return _static(static), None
        kind = str(action.get("type", ""))
        handler = handler_for(kind)
        if handler is None:
            return ActionResult("Failed", "NotSupported", error={
                "code": "NotSupported",
                "message": f"The action type '{kind}' is not supported."}), None
        context = HandlerContext(scope, name, action, key, inputs)
        retrying = False
        wake = previous.get("_wakeAt") if previous is not None else None
        if previous is not None and isinstance(wake, int | float) and previous.get(
                "status") in ("Waiting", "Running"):
            if wake > self.env.clock.now().timestamp():
                from datetime import UTC, datetime

                return Suspend(datetime.fromtimestamp(wake, UTC),
                               self.state.suspended.get(key, {}))
            state = self.state.suspended.pop(key, {})
            if RETRY_WAIT not in state:
                return await self._attempts(handler, context, action, record, inputs,
                                            resume=state)
            retrying = True  # a retry's durable wait is over: the next try, afresh
        if not getattr(handler, "pure", False):
            # A side effect: say so durably first, so a crash re-runs it at most once.
            attempts = (0 if retrying else int((previous or {}).get("_attempts", 0))) + 1
            if attempts > 2:
                return ActionResult("Failed", "ActionInterrupted", error={
                    "code": "ActionInterrupted",
                    "message": f"The action '{name}' was interrupted twice by a restart of "
                               "the runtime and is not run again."}), None
            record["_attempts"] = attempts
            self.state.put(key, record)
            self.sink.record(self.state, key, record)
            await self.sink.flush(self.state)
        return await self._attempts(handler, context, action, record, inputs)

    async def _attempts(self, handler: Any, context: HandlerContext,
                        action: Mapping[str, Any], record: dict[str, Any], inputs: Any,
                        resume: Mapping[str, Any] | None = None
                        ) -> tuple[ActionResult, HandlerContext] | Suspend:
        policy = retry_policy_of(action, inputs)
        timeout = timeout_of(action)
        retry = len(record["retryHistory"])
        while True:
            started = self.now()
            outcome = await self._once(handler, context, timeout, resume)
            resume = None
            if isinstance(outcome, Suspend):
                if getattr(self.sink, "durable", False):
                    return outcome
                # A run without checkpoints cannot leave memory (nothing would resume
                # it): it waits here for the handler's time, then resumes the handler.
                await self.env.clock.sleep(max(0.0, (
                    outcome.until - self.env.clock.now()).total_seconds()))
                resume = outcome.state
                continue
            if outcome.status != "Failed" or not outcome.retryable or retry >= policy.count:
                return outcome, context
            retry += 1
            record["retryHistory"].append({
                "startTime": started, "endTime": self.now(), "code": outcome.code,
                "clientRequestId": record["trackingId"], "error": outcome.error})
            delay = policy.delay(retry, _RNG, outcome.retry_after)
            if not getattr(self.sink, "durable", False):
                await self.env.clock.sleep(delay)  # a run without checkpoints waits here
                continue
            # A durable timer, as Wait: the run leaves memory and any process resumes
            # it when due, with the next try.
            return Suspend(self.env.clock.now() + timedelta(seconds=delay),
                           {RETRY_WAIT: retry})

    async def _once(self, handler: Any, context: HandlerContext, timeout: float | None,
                    resume: Mapping[str, Any] | None) -> ActionResult | Suspend:
        work = handler.resume(context, resume) if resume is not None else handler.run(context)
        try:
            if timeout is None:
                result: ActionResult | Suspend = await work
                return result
            return await _within(work, timeout, self.env)
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            return ActionResult("TimedOut", "ActionTimedOut", error={
                "code": "ActionTimedOut",
                "message": f"The execution of template action '{context.action_name}' "
                           "exceeded the timeout limit of its 'limit.timeout' setting."})
        except Exception as exc:  # a handler's bug fails its action, not the run
            return ActionResult("Failed", "InternalServerError", error={
                "code": "InternalServerError",
                "message": f"The action failed unexpectedly: {type(exc).__name__}."})

    def _track(self, action: Mapping[str, Any], record: dict[str, Any],
               frames: tuple[Frame, ...], status: str) -> None:
        tracked = action.get("trackedProperties")
        if not isinstance(tracked, Mapping):
            return
        view = dict(record)
        view["status"] = status
        try:
            record["trackedProperties"] = self.scope(frames, view).evaluate(dict(tracked))
        except ExpressionError as exc:
            record["trackedProperties"] = {"error": exc.message}


def _evaluate_inputs(scope: RunScope, action: Mapping[str, Any], index: Index) -> Any:
    """The action's inputs evaluated, but for the keys its handler evaluates per item."""
    raw = action.get("inputs")
    if not index.has_expressions(raw):
        return copy_json(raw)
    handler = handler_for(str(action.get("type", "")))
    deferred: frozenset[str] = getattr(handler, "deferred_inputs", frozenset()) \
        if handler else frozenset()
    if not deferred or not isinstance(raw, Mapping):
        return scope.evaluate(raw)
    kept = {key: value for key, value in raw.items() if key in deferred}
    evaluated = scope.evaluate({k: v for k, v in raw.items() if k not in deferred})
    return {key: kept[key] if key in kept else evaluated[key] for key in raw}


async def _within(work: Any, timeout: float, env: Env) -> ActionResult | Suspend:
    task: asyncio.Task[Any] = asyncio.ensure_future(work)
    timer = asyncio.ensure_future(env.clock.sleep(timeout))
    try:
        done, _ = await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            result: ActionResult | Suspend = task.result()
            return result
        raise TimeoutError
    finally:
        for pending in (task, timer):
            if not pending.done():
                pending.cancel()


def _default_code(status: str) -> str:
    return {"Succeeded": "OK", "TimedOut": "ActionTimedOut"}.get(status, "NotSpecified")


def _static(static: Mapping[str, Any]) -> ActionResult:
    status = str(static.get("status", "Succeeded"))
    outputs = static.get("outputs")
    code = static.get("code")
    if code is None and isinstance(outputs, Mapping) and isinstance(
            outputs.get("statusCode"), int | str):
        code = _reason(outputs["statusCode"])
    error = static.get("error")
    if status != "Succeeded" and not isinstance(error, Mapping):
        error = {"code": code or "NotSpecified", "message": "A static result failed."}
    return ActionResult(status, str(code) if code is not None else None, outputs=outputs,
                        error=dict(error) if isinstance(error, Mapping) else None)


def _reason(status: int | str) -> str:
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(int(status)).phrase
    except ValueError:
        return str(status)
    if phrase == "OK":
        return phrase
    return "".join(word[:1].upper() + word[1:] for word in phrase.replace("-", " ").split())


def _branches(action: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    from runtime.engine.definition import branches_of

    return list(branches_of(action))
