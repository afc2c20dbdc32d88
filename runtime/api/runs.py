"""Runs over HTTP: ``GET /v1/workflows/{name}/runs`` (newest first, ``$top``,
``$skiptoken``, a status filter as ``status=`` or Logic Apps' ``$filter=status eq 'X'``),
``GET /v1/runs/{id}``, ``POST /v1/runs/{id}/cancel``, ``POST /v1/runs/{id}/resubmit``.

A caller sees a run when it may read the run's workflow.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import BadRequest, NotFound, authenticate, require_role
from runtime.api.common import audit, caller_with, host_of_request
from runtime.host import RuntimeHost
from runtime.triggers.state import Fire, TriggerStates

RUN_STATUSES = ("Running", "Waiting", "Succeeded", "Failed", "Cancelled")
MAX_TOP = 250
_FILTER = re.compile(r"^\s*status\s+eq\s+'([A-Za-z]+)'\s*$", re.IGNORECASE)


def _status(request: Request) -> str | None:
    raw = request.query_params.get("status")
    odata = request.query_params.get("$filter")
    if odata is not None:
        match = _FILTER.match(odata)
        if match is None:
            raise BadRequest("$filter supports only status eq '<status>'")
        raw = match.group(1)
    if raw is None:
        return None
    for status in RUN_STATUSES:
        if status.lower() == raw.lower():
            return status
    raise BadRequest(f"status must be one of {', '.join(RUN_STATUSES)}")


def _top(request: Request) -> int:
    raw = request.query_params.get("$top", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TOP:
        raise BadRequest(f"$top must be a whole number from 1 to {MAX_TOP}")
    return int(raw)


async def list_runs(request: Request) -> Response:
    name = request.path_params["name"]
    await caller_with(request, "reader", f"workflows/{name}", action="run.list")
    host = host_of_request(request)
    await host.services.db.run(host.workflows.get, name)
    status, top = _status(request), _top(request)
    token = request.query_params.get("$skiptoken")
    states = TriggerStates(host.services)

    def waiting(cursor: tuple[float, str] | None, limit: int
                ) -> list[tuple[float, str, dict[str, Any]]]:
        return [(fire.fired_at, fire.run_id, fire.waiting_record())
                for fire in states.waiting_of(name, limit, cursor)]

    # Runs waiting behind their trigger's concurrency are listed too, as Waiting.
    others = waiting if status in (None, "Waiting") else None
    runs, following = await host.services.db.run(
        lambda: host.history.list(name, status=status, top=top, skiptoken=token,
                                  others=others))
    next_link = None
    if following:
        query: dict[str, Any] = {"$top": top, "$skiptoken": following}
        if status:
            query["status"] = status
        next_link = f"{str(request.url).split('?', 1)[0]}?{urlencode(query)}"
    return JSONResponse({"value": runs, "nextLink": next_link})


async def _readable_run(request: Request, needed: str, action: str
                        ) -> tuple[Any, dict[str, Any], Fire | None]:
    """The run (and, for a run waiting behind its trigger's concurrency, its fire), once
    the caller may act on its workflow."""
    caller = await authenticate(request)
    host = host_of_request(request)
    run_id = request.path_params["id"]
    fire = None
    try:
        run = await host.services.db.run(host.history.get, run_id)
    except NotFound:
        # A run fired behind its trigger's concurrency is Waiting until it starts.
        fire = await host.services.db.run(TriggerStates(host.services).waiting, run_id)
        if fire is None:
            raise
        run = fire.waiting_record()
    require_role(caller, needed, f"workflows/{run['workflow']}", action=action)
    return caller, run, fire


async def get_run(request: Request) -> Response:
    _, run, _ = await _readable_run(request, "reader", "run.read")
    return JSONResponse(run)


async def cancel_run(request: Request) -> Response:
    caller, run, fire = await _readable_run(request, "contributor", "run.cancel")
    host = host_of_request(request)
    if fire is None or not await _cancel_waiting(host, fire):
        await host.engine.cancel(run["id"])
    await audit(request, caller.name, "run.cancel", f"workflows/{run['workflow']}",
                {"run": run["id"]})
    return JSONResponse(await host.services.db.run(host.history.get, run["id"]))


async def _cancel_waiting(host: RuntimeHost, fire: Fire) -> bool:
    """Cancel a run before it starts: its record is stored ``Cancelled`` (with its trigger,
    no action ran) under its own id, so the scheduler, starting it at the same moment,
    finds the id taken and runs nothing. False when it started first (cancel it as any
    run)."""
    db = host.services.db
    version = await db.run(host.workflows.current, fire.workflow)
    stored = await host.engine.record_cancelled(version, fire.trigger_record(), fire.run_id)
    await db.run(TriggerStates(host.services).started, fire.run_id)
    return stored


async def resubmit_run(request: Request) -> Response:
    caller, run, fire = await _readable_run(request, "contributor", "run.resubmit")
    host = host_of_request(request)
    if fire is not None:
        # A new run with the waiting run's trigger, as a resubmit of any run.
        version = await host.services.db.run(host.workflows.current, fire.workflow)
        new_id = (await host.engine.start_run(version, fire.trigger_record())).run_id
    else:
        new_id = await host.engine.resubmit(run["id"])
    await audit(request, caller.name, "run.resubmit", f"workflows/{run['workflow']}",
                {"run": run["id"], "newRun": new_id})
    return JSONResponse({"id": new_id}, status_code=202,
                        headers={"x-ms-workflow-run-id": new_id})


routes = [
    Route("/v1/workflows/{name}/runs", list_runs, methods=["GET"]),
    Route("/v1/runs/{id}", get_run, methods=["GET"]),
    Route("/v1/runs/{id}/cancel", cancel_run, methods=["POST"]),
    Route("/v1/runs/{id}/resubmit", resubmit_run, methods=["POST"]),
]
