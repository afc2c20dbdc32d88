"""What an action sees of its run: the workflow functions' scope and the handler's context.

``RunScope`` answers the workflow functions (``runtime/expressions.py``) at one place in
the run (inside which loop iterations, for which action); ``HandlerContext`` is the
``ActionContext`` a leaf handler gets.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gateway import NotFound
from gateway.expressions import EvaluationContext, MissingPropertyError, evaluate_value
from runtime.engine.clock import Clock
from runtime.engine.interface import AppSettings, ResponseRecord, WorkflowVersion
from runtime.engine.state import Frame, RunState, public
from runtime.expressions import REGISTRY, SCOPE_KEY

if TYPE_CHECKING:
    from gateway import Services
    from runtime.engine.definition import Index

#: The loop name of the frame ``evaluate_for_item`` adds for ``item()``.
ITEM_FRAME = "$item"

_RECORD_VIEW = ("name", "inputs", "outputs", "startTime", "endTime", "status", "code",
                "error", "trackingId", "clientTrackingId", "trackedProperties")


@dataclass
class Env:
    """The parts every run of one engine shares."""

    services: Services
    clock: Clock
    app_settings: AppSettings
    foreach_concurrency: int = 20
    callback_url: Any = None  # Callable[[str, str], str | None] | None


class RunScope:
    """The workflow functions' view of a run at one place in it."""

    def __init__(self, state: RunState, env: Env, index: Index,
                 frames: tuple[Frame, ...] = (), current: dict[str, Any] | None = None
                 ) -> None:
        self.state = state
        self.env = env
        self.index = index
        self.frames = frames
        self.current = current
        self._context: EvaluationContext | None = None

    def context(self) -> EvaluationContext:
        if self._context is None:
            self._context = EvaluationContext({SCOPE_KEY: self}, self.env.clock.now, _RNG)
        return self._context

    def evaluate(self, value: Any) -> Any:
        """Evaluate every expression in a JSON value here."""
        return evaluate_value(value, self.context(), REGISTRY)

    # -- WorkflowScope ----------------------------------------------------------------

    def trigger(self) -> Mapping[str, Any]:
        return self.state.trigger

    def action(self, name: str | None) -> Mapping[str, Any] | None:
        record = self.current if name is None else self.state.record_for(name, self.frames)
        if record is None:
            return None
        return {key: record[key] for key in _RECORD_VIEW if key in record}

    def scope_results(self, name: str) -> list[Mapping[str, Any]]:
        if name not in self.index.actions:
            raise MissingPropertyError(f"The scope '{name}' is not defined.",
                                       function="result")
        found: list[Mapping[str, Any]] = []
        for child in self.index.children(name):
            record = self.state.record_for(child, self.frames)
            if record is not None:
                found.append(public(record))
        return found

    def item(self, loop: str | None) -> Any:
        for frame in reversed(self.frames):
            if (loop is None and (frame.loop == ITEM_FRAME
                                  or self.index.type_of(frame.loop) == "foreach")) or (
                    loop is not None and frame.loop.lower() == loop.lower()):
                return frame.item
        where = "a Foreach" if loop is None else f"the loop '{loop}'"
        raise MissingPropertyError(f"The expression is not inside {where}.",
                                   function="items" if loop else "item")

    def iteration_index(self, loop: str) -> int:
        for frame in reversed(self.frames):
            if frame.loop.lower() == loop.lower():
                return frame.index
        raise MissingPropertyError(f"The expression is not inside the loop '{loop}'.",
                                   function="iterationIndexes")

    def variable(self, name: str) -> Any:
        variables = self.state.variables
        if name in variables:
            return variables[name]
        for known, value in variables.items():
            if known.lower() == name.lower():
                return value
        raise MissingPropertyError(f"The variable '{name}' is not initialized.",
                                   function="variables")

    def parameter(self, name: str) -> Any:
        values = self.state.version.parameters
        if name in values:
            return values[name]
        declared = self.state.version.definition.get("parameters")
        if isinstance(declared, Mapping) and isinstance(declared.get(name), Mapping) and (
                "defaultValue" in declared[name]):
            return declared[name]["defaultValue"]
        raise MissingPropertyError(f"The workflow parameter '{name}' is not found.",
                                   function="parameters")

    def appsetting(self, name: str) -> str | None:
        return self.env.app_settings.get(name)

    def workflow(self) -> Mapping[str, Any]:
        version = self.state.version
        return {
            "id": f"/workflows/{version.workflow}",
            "name": version.workflow,
            "type": "Microsoft.Logic/workflows",
            "version": version.version,
            "run": {"id": f"/workflows/{version.workflow}/runs/{self.state.run_id}",
                    "name": self.state.run_id, "type": "Microsoft.Logic/workflows/runs"},
        }

    def callback_url(self) -> str | None:
        hook = self.env.callback_url
        return hook(self.state.version.workflow, self.state.trigger.get("name", ""))  \
            if hook is not None else None


_RNG = random.SystemRandom()


class HandlerContext:
    """The ``ActionContext`` of one execution of a leaf action."""

    def __init__(self, scope: RunScope, name: str, action: Mapping[str, Any], key: str,
                 inputs: Any) -> None:
        self._scope = scope
        self._name = name
        self._action = action
        self._key = key
        self._inputs = inputs
        self.response: ResponseRecord | None = None

    @property
    def run_id(self) -> str:
        return self._scope.state.run_id

    @property
    def action_name(self) -> str:
        return self._name

    @property
    def tracking_id(self) -> str:
        return self._scope.state.tracking_id(self._key)

    @property
    def action_key(self) -> str:
        return self._key

    @property
    def action(self) -> Mapping[str, Any]:
        return self._action

    @property
    def inputs(self) -> Any:
        return self._inputs

    @property
    def version(self) -> WorkflowVersion:
        return self._scope.state.version

    @property
    def services(self) -> Services:
        return self._scope.env.services

    def now(self) -> datetime:
        return self._scope.env.clock.now()

    def evaluate(self, value: Any) -> Any:
        return self._scope.evaluate(value)

    def evaluate_for_item(self, value: Any, item: Any) -> Any:
        scope = self._scope
        inner = RunScope(scope.state, scope.env, scope.index,
                         (*scope.frames, Frame(ITEM_FRAME, -1, item)), scope.current)
        return inner.evaluate(value)

    def workflow_headers(self) -> dict[str, str]:
        options = self._action.get("operationOptions")
        if isinstance(options, str) and "suppressworkflowheaders" in options.lower():
            return {}
        state = self._scope.state
        return {
            "x-ms-workflow-name": state.version.workflow,
            "x-ms-workflow-run-id": state.run_id,
            "x-ms-workflow-version": state.version.version,
            "x-ms-workflow-operation-name": self._name,
            "x-ms-client-tracking-id": state.client_tracking_id,
            "x-ms-tracking-id": state.tracking_id(self._key),
            "x-ms-action-tracking-id": state.tracking_id(self._key),
        }

    def set_variable(self, name: str, value: Any) -> None:
        self._scope.state.changed = True
        variables = self._scope.state.variables
        for known in variables:
            if known.lower() == name.lower():
                variables[known] = value
                return
        variables[name] = value

    def get_variable(self, name: str) -> Any:
        try:
            return self._scope.variable(name)
        except MissingPropertyError as exc:
            raise NotFound(exc.message) from exc

    def respond(self, response: ResponseRecord) -> None:
        self.response = response
