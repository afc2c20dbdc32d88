"""What a leaf action is to the engine: a typed handler found by the action's ``type``.

The engine (``runtime/engine``) knows no action by name. Control actions that hold other
actions (``Scope``, ``If``, ``Switch``, ``Foreach``, ``Until``) are the engine's own; every
other type is an ``ActionHandler`` registered in ``runtime/actions/registry.py``. The
engine evaluates the action's ``inputs`` before calling the handler, applies
``retryPolicy``, ``limit.timeout``, ``runtimeConfiguration.staticResult`` and
``secureData``, and records the result; the handler only does the work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from gateway import Services
    from runtime.engine.interface import ResponseRecord, WorkflowVersion


@dataclass(frozen=True)
class Finding:
    """A deploy-time problem in one action, at a JSON pointer inside the definition."""

    pointer: str
    message: str


@dataclass
class ActionResult:
    """The outcome of one execution of an action.

    Attributes:
        status: ``Succeeded``, ``Failed``, ``TimedOut``, ``Cancelled`` (the engine sets
            ``Skipped``).
        code: Logic Apps' code word: the HTTP reason in PascalCase for HTTP-like actions
            (``OK``, ``NotFound``), ``ActionFailed``, ``BadRequest``, ``NotSpecified``...
        inputs: What the run record shows as the action's inputs (defaults to the
            evaluated inputs).
        outputs: The action's outputs, read by ``outputs()``/``body()``: HTTP-like actions
            give ``{"statusCode", "headers", "body"}``; others their own shape.
        error: ``{"code", "message"}`` when it failed.
        retryable: Whether the engine's ``retryPolicy`` may try it again (HTTP 408, 429,
            5xx and connection failures are; 4xx are not).
        retry_after: The upstream's ``Retry-After`` in seconds, when it gave one.
    """

    status: str
    code: str | None = None
    inputs: Any = None
    outputs: Any = None
    error: dict[str, Any] | None = None
    retryable: bool = False
    retry_after: float | None = None


@dataclass
class Suspend:
    """A handler's request to wait durably and be resumed later (``Wait``, the 202 +
    ``Location`` polling of ``Http``, a child workflow): the engine checkpoints ``state``,
    releases the run and calls ``resume`` at ``until`` — in this process or another,
    after a restart too."""

    until: datetime
    state: Mapping[str, Any] = field(default_factory=dict)
    inputs: Any = None


class ActionContext(Protocol):
    """What a handler may see and use while its action runs."""

    @property
    def run_id(self) -> str: ...

    @property
    def action_name(self) -> str: ...

    @property
    def tracking_id(self) -> str:
        """The action's tracking id (``x-ms-tracking-id``): the same in every life of the
        run, distinct for each repetition inside loops; handlers derive ids from it that
        a replay after a crash must find again (a child run's id)."""

    @property
    def action_key(self) -> str:
        """The action's name, with its loop iteration indexes inside a ``Foreach`` or
        ``Until`` (``Name#0.2``): unique in the run."""
        ...

    @property
    def action(self) -> Mapping[str, Any]:
        """The action's JSON as written in the definition."""
        ...

    @property
    def inputs(self) -> Any:
        """The action's ``inputs``, expressions evaluated."""
        ...

    @property
    def version(self) -> WorkflowVersion: ...

    @property
    def services(self) -> Services:
        """The gateway's parts (through ``gateway``'s public face only)."""
        ...

    def now(self) -> datetime:
        """The engine's clock (injectable: tests never sleep)."""
        ...

    def evaluate(self, value: Any) -> Any:
        """Evaluate a value's expressions in this action's scope (items(), variables()...)."""
        ...

    def evaluate_for_item(self, value: Any, item: Any) -> Any:
        """Evaluate a value with ``item()`` bound to ``item`` (Query's ``where``, Select's
        ``select``, Table's column values are evaluated once per element)."""
        ...

    def workflow_headers(self) -> dict[str, str]:
        """The headers Logic Apps adds to every outbound call of this action
        (``x-ms-workflow-name``, ``x-ms-workflow-run-id``, ``x-ms-workflow-operation-name``,
        ``x-ms-client-tracking-id``, ``x-ms-tracking-id``, ...); empty with
        ``SuppressWorkflowHeaders``."""
        ...

    def set_variable(self, name: str, value: Any) -> None:
        """Change a run variable (the variable actions)."""
        ...

    def get_variable(self, name: str) -> Any:
        """A run variable's value.

        Raises:
            gateway.PortwayError: No such variable.
        """
        ...

    def respond(self, response: ResponseRecord) -> None:
        """Hand the Request trigger's caller its answer (the ``Response`` action)."""
        ...


class ActionHandler(Protocol):
    """One leaf action type."""

    #: The ``type`` it handles, lower case (``"http"``, ``"compose"``...).
    type: str
    #: Keys of ``inputs`` the engine leaves as written, because the handler evaluates them
    #: itself once per element with ``evaluate_for_item`` (Query's ``where``...).
    deferred_inputs: frozenset[str]
    #: Whether running it again has no effect outside the run (Compose, the variable
    #: actions): the engine then skips the durable "started" mark it writes before an
    #: action with side effects, which lets a crash re-run that action at most once.
    pure: bool

    def validate(self, action: Mapping[str, Any], pointer: str) -> Sequence[Finding]:
        """Deploy-time checks of the action's shape (never evaluates expressions)."""
        ...

    async def run(self, context: ActionContext) -> ActionResult | Suspend:
        """Do the work once. Failures are results, not exceptions; an exception is
        recorded as a ``Failed`` result with code ``InternalServerError``."""
        ...

    async def resume(self, context: ActionContext, state: Mapping[str, Any]
                     ) -> ActionResult | Suspend:
        """Go on after a ``Suspend``; only handlers that suspend implement it."""
        ...
