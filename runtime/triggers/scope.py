"""What a trigger's expressions see, and the runs a trigger's outputs make.

A trigger's ``inputs``, ``recurrence``, ``splitOn`` and ``conditions`` are evaluated
outside any run: ``parameters()``, ``appsetting()``, ``workflow()`` and, once the trigger
has outputs (a poll's answer, a webhook's callback), ``trigger()`` and its kin. Polling
triggers (``polling.py``), the scheduler (``scheduler.py``) and webhook triggers
(``webhooks.py``) all evaluate here, so a trigger's expressions mean the same whatever
fires it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gateway.expressions import EvaluationContext, ExpressionError, evaluate_value
from runtime.engine.interface import WorkflowVersion
from runtime.expressions import REGISTRY, workflow_context
from runtime.host import RuntimeHost

__all__ = ["TriggerScope", "evaluate_in_trigger", "split_and_filter", "workflow_headers"]


def workflow_headers(version: WorkflowVersion, name: str, trigger: Mapping[str, Any]
                     ) -> dict[str, str]:
    """The workflow headers a trigger's own call carries (a poll, a webhook trigger's
    subscribe and unsubscribe), as Logic Apps sends them: the workflow and its version,
    the trigger as the operation, and a tracking id of this call — no run headers, as no
    run exists yet. None under ``operationOptions: SuppressWorkflowHeaders``."""
    options = trigger.get("operationOptions")
    if isinstance(options, str) and "suppressworkflowheaders" in options.lower():
        return {}
    tracking = str(uuid.uuid4())
    return {"x-ms-workflow-name": version.workflow,
            "x-ms-workflow-version": version.version,
            "x-ms-workflow-operation-name": name,
            "x-ms-tracking-id": tracking, "x-ms-client-request-id": tracking}


class TriggerScope:
    """The workflow functions a trigger's inputs, ``splitOn`` and ``conditions`` may use:
    ``parameters()``, ``appsetting()``, ``workflow()`` and ``trigger*()`` of the outputs
    given (None before the trigger has any: ``trigger()`` then fails)."""

    def __init__(self, host: RuntimeHost, version: WorkflowVersion, name: str,
                 outputs: Mapping[str, Any] | None, now: datetime) -> None:
        self.host, self.version, self.name, self.now = host, version, name, now
        self.outputs = outputs

    def trigger(self) -> Mapping[str, Any]:
        if self.outputs is None:
            raise ExpressionError("trigger() has no outputs before the trigger has polled")
        return {"name": self.name, "outputs": self.outputs, "status": "Succeeded"}

    def action(self, name: str | None) -> Mapping[str, Any] | None:
        return None

    def scope_results(self, name: str) -> list[Mapping[str, Any]]:
        return []

    def item(self, loop: str | None) -> Any:
        raise ExpressionError("items() cannot be used in a trigger")

    def iteration_index(self, loop: str) -> int:
        raise ExpressionError("iterationIndexes() cannot be used in a trigger")

    def variable(self, name: str) -> Any:
        raise ExpressionError("variables() cannot be used in a trigger")

    def parameter(self, name: str) -> Any:
        if name not in self.version.parameters:
            raise ExpressionError(f"the workflow has no parameter {name!r}")
        return self.version.parameters[name]

    def appsetting(self, name: str) -> str | None:
        return self.host.app_settings.get(name)

    def workflow(self) -> Mapping[str, Any]:
        return {"id": self.version.workflow, "name": self.version.workflow,
                "type": "workflows"}

    def callback_url(self) -> str | None:
        return None

    def evaluate(self, value: Any) -> Any:
        """Evaluate ``value`` (any JSON, expressions in its strings) in this scope.

        Raises:
            ExpressionError: An expression fails.
        """
        context = workflow_context(self, EvaluationContext(clock=lambda: self.now))
        return evaluate_value(value, context, REGISTRY)


def evaluate_in_trigger(host: RuntimeHost, version: WorkflowVersion, name: str, value: Any,
                        now: datetime) -> Any:
    """Evaluate a trigger's value (its ``recurrence``, say) before it has outputs:
    ``parameters()``, ``appsetting()`` and the library's functions.

    Raises:
        ExpressionError: An expression fails.
    """
    return TriggerScope(host, version, name, None, now).evaluate(value)


def split_and_filter(host: RuntimeHost, version: WorkflowVersion, name: str,
                     trigger: Mapping[str, Any], outputs: dict[str, Any], polls: int,
                     now: datetime) -> list[tuple[str, dict[str, Any]]]:
    """The runs one set of trigger outputs makes, as ``(key, outputs)``: one per item of
    the array ``splitOn`` names (that item the run's ``triggerBody()``), else one for the
    whole; only those for which every ``conditions`` expression is true. ``key`` is
    ``poll:<polls>`` or ``poll:<polls>:<index>``, so the same outputs give the same keys.

    Raises:
        ExpressionError: ``splitOn`` does not name an array, or an expression fails.
    """
    runs: list[tuple[str, dict[str, Any]]] = [(f"poll:{polls}", outputs)]
    split = trigger.get("splitOn")
    if split:
        items = TriggerScope(host, version, name, outputs, now).evaluate(split)
        if not isinstance(items, list):
            raise ExpressionError("splitOn must name an array of the trigger's outputs")
        runs = [(f"poll:{polls}:{index}", {**outputs, "body": item})
                for index, item in enumerate(items)]
    conditions = trigger.get("conditions") or []
    if not isinstance(conditions, list):
        raise ExpressionError("conditions must be an array")
    kept = []
    for key, each in runs:
        scope = TriggerScope(host, version, name, each, now)
        if all(scope.evaluate(c.get("expression")) is True for c in conditions
               if isinstance(c, Mapping)):
            kept.append((key, each))
    return kept
