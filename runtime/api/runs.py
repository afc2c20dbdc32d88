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
from runtime.api.common import audit, host_of_request
from runtime.triggers.state import TriggerStates

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
    caller = await authenticate(request)
    name = request.path_params["name"]
    require_role(caller, "reader", f"workflows/{name}", action="run.list")
    host = host_of_request(request)
    await host.services.db.run(host.workflows.get, name)
    status, top = _status(request), _top(request)
    token = request.query_params.get("$skiptoken")
    runs, following = await host.services.db.run(
        lambda: host.history.list(name, status=status, top=top, skiptoken=token))
    next_link = None
    if following:
        query: dict[str, Any] = {"$top": top, "$skiptoken": following}
        if status:
            query["status"] = status
        next_link = f"{str(request.url).split('?', 1)[0]}?{urlencode(query)}"
    return JSONResponse({"value": runs, "nextLink": next_link})


async def _readable_run(request: Request, needed: str, action: str) -> tuple[Any, dict[str, Any]]:
    caller = await authenticate(request)
    host = host_of_request(request)
    run_id = request.path_params["id"]
    try:
        run = await host.services.db.run(host.history.get, run_id)
    except NotFound:
        # A run fired behind its trigger's concurrency is Waiting until it starts.
        waiting = await host.services.db.run(TriggerStates(host.services).waiting_run,
                                             run_id)
        if waiting is None or needed != "reader":
            raise
        run = waiting
    require_role(caller, needed, f"workflows/{run['workflow']}", action=action)
    return caller, run


async def get_run(request: Request) -> Response:
    _, run = await _readable_run(request, "reader", "run.read")
    return JSONResponse(run)


async def cancel_run(request: Request) -> Response:
    caller, run = await _readable_run(request, "contributor", "run.cancel")
    host = host_of_request(request)
    await host.engine.cancel(run["id"])
    await audit(request, caller.name, "run.cancel", f"workflows/{run['workflow']}",
                {"run": run["id"]})
    return JSONResponse(await host.services.db.run(host.history.get, run["id"]))


async def resubmit_run(request: Request) -> Response:
    caller, run = await _readable_run(request, "contributor", "run.resubmit")
    host = host_of_request(request)
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
