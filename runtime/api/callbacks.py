"""A webhook action's callback: ``POST /api/{workflow}/runs/{run}/actions/{action}/run``.

A caller outside ``[runtime] trigger_allowed_callers`` is 403 before anything is read, as
for trigger URLs. No bearer token: the signature (``runtime/triggers/subscriptions.py``)
names the workflow, the run and the action, keyed with the workflow's callback key (not
the trigger key: ``regenerateAccessKey`` leaves waiting actions reachable), so only a
deleted workflow makes the URL answer 401. A URL signed with the trigger key (handed out
before actions had a key of their own) is taken while that key is unchanged. The
callback's headers and body (parsed as a Request trigger's are, within the request size
limit) are stored once, only while the action waits for them — a second callback is
409, one for an action that no longer waits 404, and neither stores anything — and the
run is woken to go on. The answer is ``200`` with no body.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway import Conflict, NotFound, read_body
from runtime.api.common import host_of_request
from runtime.errors import SignatureInvalid
from runtime.store.webhooks import WebhookRows
from runtime.triggers.callers import check_caller
from runtime.triggers.request import check_signature, parse_body, trigger_headers
from runtime.triggers.subscriptions import action_permission


async def action_callback(request: Request) -> Response:
    host = host_of_request(request)
    check_caller(host.settings, request.client.host if request.client else None,
                 request.headers)
    workflow = request.path_params["workflow"]
    run_id = request.path_params["run"]
    action = request.path_params["action"]
    db = host.services.db
    queries = dict(request.query_params)
    granted = action_permission(run_id, action)
    try:
        check_signature(await db.run(host.workflows.callback_key, workflow), workflow,
                        action, queries, granted)
    except SignatureInvalid:
        # A URL handed out before actions had a key of their own was signed with the
        # trigger key: valid until that key is rotated.
        check_signature(await db.run(host.workflows.trigger_key, workflow), workflow,
                        action, queries, granted)
    body = await read_body(request)
    present, value = parse_body(request.headers.get("content-type"), body)
    outputs = {"headers": trigger_headers(request.headers.raw)}
    if present:
        outputs["body"] = value
    outcome = await db.run(WebhookRows(host.services).record_callback, run_id, action,
                           outputs)
    if outcome == "gone":
        raise NotFound(f"the action {action!r} of the run {run_id!r} is not waiting for a "
                       "callback")
    if outcome == "duplicate":
        raise Conflict(f"the action {action!r} of the run {run_id!r} was called back "
                       "already")
    await host.engine.wake(run_id, action)
    return Response(status_code=200)


routes = [
    Route("/api/{workflow}/runs/{run}/actions/{action}/run", action_callback,
          methods=["POST"]),
]
