"""The contracts between the runtime's parts: what the engine is given, what it answers.

The HTTP layer (``runtime/api``), the triggers and the CLI hand the engine a
``WorkflowVersion`` and a ``TriggerRecord``; the engine runs the definition durably and
answers through ``RunHandle`` (the synchronous ``Response``) and ``RunHistory`` (the run
record of PRODUCT.md). Keeping these small lets a second backend (Temporal, say) run the
same interpreter behind the same ``Engine`` protocol (docs/workflows.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

RunStatus = Literal["Running", "Waiting", "Succeeded", "Failed", "Cancelled"]
ActionStatus = Literal["Running", "Waiting", "Succeeded", "Failed", "Skipped", "TimedOut",
                       "Cancelled"]


@dataclass(frozen=True)
class WorkflowVersion:
    """One deployed version of a workflow, everything a run needs and nothing more.

    A run keeps the version it started with: deploying a new version never changes a run
    in flight.

    Attributes:
        workflow: The workflow's name.
        version: An opaque id, new on every deploy that changes anything.
        definition: The WDL definition (``triggers``, ``actions``, ``parameters``,
            ``outputs``, ``staticResults``...), as deployed.
        kind: ``Stateful`` (durable, with history) or ``Stateless`` (in memory).
        parameters: The workflow parameters' values, resolved (``parameters.json`` and the
            definition's defaults, ``@appsetting()`` references read); secure values are
            plain here, in memory only.
        secure_parameters: Names of ``securestring``/``secureobject`` parameters, whose
            values are redacted wherever they would be recorded.
        connection_references: Reference name (``host.connection.referenceName``, or the
            ``managedApiConnections`` key) to the Portway connection's name.
        service_provider_connections: ``serviceProviderConnections`` of connections.json,
            by name: ``{"serviceProvider": {"id": ...}, "parameterValues": {...}}`` with
            app settings resolved; secrets plain here, in memory only.
        principal: The workflow's own principal (``<name>@workflows``); its connector
            calls go through the gateway under this identity.
    """

    workflow: str
    version: str
    definition: Mapping[str, Any]
    kind: Literal["Stateful", "Stateless"] = "Stateful"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    secure_parameters: frozenset[str] = frozenset()
    connection_references: Mapping[str, str] = field(default_factory=dict)
    service_provider_connections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    principal: str = ""


@dataclass(frozen=True)
class TriggerRecord:
    """What the trigger produced: it becomes ``trigger()`` / ``triggerOutputs()``.

    Attributes:
        name: The trigger's name in the definition.
        outputs: ``{"headers": {...}, "body": ..., "queries": {...},
            "relativePathParameters": {...}}`` for a Request trigger; the trigger's own
            shape for others (``splitOn`` already applied: one item per run).
        inputs: What the trigger was given (a Request trigger's ``schema``, a poll's
            request), for the run record.
        status: The trigger's status word; ``Succeeded`` for a trigger that fired.
        code: ``OK`` and friends, as Logic Apps writes them.
        start_time: ISO 8601 UTC with seven fractional digits, as Logic Apps writes times.
        end_time: Likewise.
        client_tracking_id: From ``x-ms-client-tracking-id`` of the request, or the
            trigger's ``correlation.clientTrackingId``; the run id when absent.
    """

    name: str
    outputs: Mapping[str, Any]
    inputs: Any = None
    status: str = "Succeeded"
    code: str | None = "OK"
    start_time: str = ""
    end_time: str = ""
    client_tracking_id: str | None = None


@dataclass(frozen=True)
class ResponseRecord:
    """A ``Response`` action's answer to the caller of a Request trigger.

    ``body`` is the exact bytes to send; ``headers`` hold Content-Type as Logic Apps
    chose it (``application/json; charset=utf-8``, ``text/plain; charset=utf-8``...).
    """

    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes


class RunHandle(Protocol):
    """A run just started."""

    run_id: str

    async def response(self, timeout: float) -> ResponseRecord | None:
        """Wait for the run's ``Response`` action (or the run's end).

        Returns the Response, or None when the run ended (or ``timeout`` passed, or the
        Response is asynchronous) without one: the caller then answers ``202 Accepted``
        with ``x-ms-workflow-run-id`` (and a ``Location`` to poll, for asynchronous
        Responses).
        """
        ...


class Engine(Protocol):
    """Runs workflow versions durably. One per process; several share one database."""

    async def start_run(self, version: WorkflowVersion, trigger: TriggerRecord, *,
                        run_id: str | None = None) -> RunHandle:
        """Accept a run: it is stored (Stateful) before this returns, so it is never lost.

        ``run_id`` lets a trigger give deterministic ids (a unique constraint makes a
        second start of the same id a no-op returning the existing run).
        """
        ...

    async def cancel(self, run_id: str) -> None:
        """Cancel a running or waiting run; its running actions end ``Cancelled``."""
        ...

    async def resubmit(self, run_id: str) -> str:
        """Start a new run of the same version from the same trigger outputs."""
        ...


#: Run records kept outside the runs' table (runs waiting for their start):
#: ``(cursor, limit) -> [(created, id, record)]``, newest first, at most ``limit``, only
#: those before the cursor ``(created, id)`` when it is given.
OtherRuns = Callable[[tuple[float, str] | None, int], list[tuple[float, str, dict[str, Any]]]]


class RunHistory(Protocol):
    """Reads run records in PRODUCT.md's shape (secrets redacted)."""

    def get(self, run_id: str) -> dict[str, Any]:
        """``{"id", "workflow", "status", "startTime", "endTime", "clientTrackingId",
        "error", "outputs", "trigger": {...}, "actions": {"<name>": {...}}}``.

        Raises:
            gateway.PortwayError (NotFound): No such run.
        """
        ...

    def list(self, workflow: str, *, status: str | None = None, top: int = 50,
             skiptoken: str | None = None, others: OtherRuns | None = None,
             ) -> tuple[list[dict[str, Any]], str | None]:
        """Runs of a workflow, newest first, and the skiptoken of the next page;
        ``others``' records (runs kept elsewhere) merged in the same order."""
        ...


class AppSettings(Protocol):
    """The app settings ``appsetting()`` reads (``local.settings.json``'s ``Values``)."""

    def get(self, name: str) -> str | None: ...
