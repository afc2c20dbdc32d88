"""A small ``ActionContext`` for the handlers' unit tests: a test double of the
interface (``runtime/actions/base.py``), evaluating with the gateway's expression engine
and a few workflow functions of its own."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gateway import NotFound, Services
from gateway.expressions import DEFAULT, EvaluationContext, evaluate_value
from runtime.actions.base import ActionHandler
from runtime.engine.interface import ResponseRecord, WorkflowVersion


class Context:
    def __init__(self, action: Mapping[str, Any], *, name: str = "Act",
                 services: Services | None = None, version: WorkflowVersion | None = None,
                 variables: dict[str, Any] | None = None,
                 outputs: dict[str, Any] | None = None, trigger_body: Any = None,
                 now: datetime | None = None, headers: dict[str, str] | None = None,
                 deferred: frozenset[str] = frozenset()) -> None:
        self._action = action
        self._name = name
        self._services = services
        self._version = version or WorkflowVersion(workflow="wf", version="v1",
                                                   definition={}, principal="wf@workflows")
        self.variables = dict(variables or {})
        self.outputs = dict(outputs or {})
        self.trigger_body = trigger_body
        self.clock = now or datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        self.headers = headers if headers is not None else {
            "x-ms-workflow-name": "wf", "x-ms-workflow-run-id": "run-1",
            "x-ms-workflow-operation-name": name, "x-ms-tracking-id": "track-1",
            "x-ms-client-tracking-id": "run-1"}
        self.responses: list[ResponseRecord] = []
        self._item: list[Any] = []
        raw = action.get("inputs")
        if isinstance(raw, Mapping) and deferred:
            kept = {k: v for k, v in raw.items() if k not in deferred}
            self._inputs = {**self.evaluate(kept), **{k: raw[k] for k in raw if k in deferred}}
        else:
            self._inputs = self.evaluate(raw)

    @classmethod
    def for_handler(cls, handler: ActionHandler, action: Mapping[str, Any],
                    **kwargs: Any) -> Context:
        return cls(action, deferred=handler.deferred_inputs, **kwargs)

    run_id = "run-1"

    @property
    def action_name(self) -> str:
        return self._name

    @property
    def action_key(self) -> str:
        return self._name

    @property
    def action(self) -> Mapping[str, Any]:
        return self._action

    @property
    def inputs(self) -> Any:
        return self._inputs

    @property
    def version(self) -> WorkflowVersion:
        return self._version

    @property
    def services(self) -> Services:
        assert self._services is not None, "this test gave no services"
        return self._services

    def now(self) -> datetime:
        return self.clock

    def _registry(self) -> Any:
        registry = DEFAULT.extend()
        registry.register("variables", lambda ctx, n: self.get_variable(n), 1, 1)
        registry.register("item", lambda ctx: self._item[-1], 0, 0)
        registry.register("outputs", lambda ctx, n: self.outputs[n], 1, 1)
        registry.register("body", lambda ctx, n: (self.outputs[n] or {}).get("body"), 1, 1)
        registry.register("triggerBody", lambda ctx: self.trigger_body, 0, 0)
        registry.register("trigger", lambda ctx: {"name": "manual", "outputs": {
            "body": self.trigger_body}}, 0, 0)
        registry.register("actions", lambda ctx, n: {
            "name": n, "status": "Succeeded", "outputs": self.outputs[n]}, 1, 1)
        registry.register("workflow", lambda ctx: {"name": self._version.workflow}, 0, 0)
        registry.register("parameters", lambda ctx, n: self._version.parameters[n], 1, 1)
        return registry

    def evaluate(self, value: Any) -> Any:
        return evaluate_value(value, EvaluationContext(clock=lambda: self.clock),
                              self._registry())

    def evaluate_for_item(self, value: Any, item: Any) -> Any:
        self._item.append(item)
        try:
            return self.evaluate(value)
        finally:
            self._item.pop()

    def workflow_headers(self) -> dict[str, str]:
        return dict(self.headers)

    def set_variable(self, name: str, value: Any) -> None:
        self.variables[name] = value

    def get_variable(self, name: str) -> Any:
        if name not in self.variables:
            raise NotFound(f"no variable {name!r}")
        return self.variables[name]

    def respond(self, response: ResponseRecord) -> None:
        self.responses.append(response)
