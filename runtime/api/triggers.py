"""Triggers over HTTP: the callback URL, the signed call that starts a run, and firing a
trigger by hand.

- ``POST /v1/workflows/{name}/triggers/{trigger}/callback-url`` — Logic Apps'
  listCallbackUrl shape (contributor).
- ``ANY /api/{workflow}/triggers/{trigger}/invoke[/{relativePath}]`` — a Request
  trigger's URL, and the callback URL a webhook trigger's subscription handed out (its
  call's headers and body become the run's trigger outputs). No bearer token:
  the signature names the workflow and trigger (``runtime/triggers/request.py``). A caller
  outside ``[runtime] trigger_allowed_callers`` is 403 (``runtime/triggers/callers.py``),
  a bad or stale signature 401, and nothing starts. The run's ``Response`` is the answer
  (status, headers, body bytes), or ``202 Accepted`` when the definition has none or it
  does not come within ``runtime.response_timeout_seconds``; every answer of a started run
  carries Logic Apps' headers (``x-ms-workflow-run-id``...).
- ``POST /v1/workflows/{name}/triggers/{trigger}/run`` — fire a trigger now: a Request or
  Recurrence trigger with empty outputs, a polling trigger polls once (its schedule stays
  as it was). ``202`` with ``x-ms-workflow-run-id`` (the first run, for a poll that fired
  several) when a run started or waits behind the trigger's concurrency, ``204`` when the
  poll found nothing.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway import (
    BadRequest,
    MethodNotAllowed,
    NotFound,
    Throttled,
    authenticate,
    read_body,
    require_role,
)
from runtime.actions.response import has_asynchronous_response, response_of_run
from runtime.api.common import audit, host_of_request
from runtime.engine.interface import (
    ResponseRecord,
    RunHandle,
    TriggerRecord,
    WorkflowVersion,
)
from runtime.engine.runner import new_run_id
from runtime.errors import NoResponse, WorkflowDisabled
from runtime.host import RuntimeHost
from runtime.store.workflows import WorkflowRecord
from runtime.triggers.callers import check_caller
from runtime.triggers.concurrency import TriggerLimits, limits_of
from runtime.triggers.request import (
    SIGNATURE_QUERIES,
    RequestTrigger,
    callback,
    check_schema,
    check_signature,
    parse_body,
    response_permission,
    signed_query,
    trigger_headers,
)
from runtime.triggers.scheduler import POLLING_TYPES, TriggerScheduler
from runtime.triggers.state import Fire, TriggerStates
from runtime.triggers.subscriptions import WEBHOOK_TRIGGER_TYPES
from runtime.triggers.webhooks import split_callback

#: What the 202 of an asynchronous Response asks the caller to wait between polls (s).
POLL_SECONDS = 1


def now_iso() -> str:
    """UTC with seven fractional digits, as Logic Apps writes times."""
    stamp = datetime.now(UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}0Z"


def _trigger_of(record: WorkflowRecord, name: str) -> dict[str, Any]:
    triggers = record.definition.get("triggers") or {}
    trigger = triggers.get(name)
    if not isinstance(trigger, dict):
        raise NotFound(f"the workflow {record.name!r} has no trigger {name!r}")
    return trigger


def _request_trigger(record: WorkflowRecord, name: str, *, webhooks: bool = False
                     ) -> RequestTrigger:
    """The trigger's callback settings; ``webhooks``: a webhook trigger's URL (which its
    subscription handed out) is called like a Request trigger's, with any method."""
    trigger = _trigger_of(record, name)
    kind = str(trigger.get("type", "")).lower()
    if webhooks and kind in WEBHOOK_TRIGGER_TYPES:
        return RequestTrigger.of(name, {})
    if kind != "request":
        raise BadRequest(f"the trigger {name!r} is a {trigger.get('type')} trigger, not a "
                         "Request trigger: it has no callback URL")
    return RequestTrigger.of(name, trigger)


async def callback_url(request: Request) -> Response:
    caller = await authenticate(request)
    name = request.path_params["name"]
    require_role(caller, "contributor", f"workflows/{name}", action="workflow.callbackurl")
    host = host_of_request(request)
    record = await host.services.db.run(host.workflows.get, name)
    trigger = _request_trigger(record, request.path_params["trigger"])
    key = await host.services.db.run(host.workflows.trigger_key, name)
    if key is None:
        raise NotFound(f"the workflow {name!r} has no signing key")
    return JSONResponse(callback(_base_url(request, host), name, trigger, key))


def _base_url(request: Request, host: RuntimeHost) -> str:
    configured = host.settings.public_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")


def _check_caller(request: Request, host: RuntimeHost) -> None:
    check_caller(host.settings, request.client.host if request.client else None,
                 request.headers)


async def invoke(request: Request) -> Response:
    host = host_of_request(request)
    _check_caller(request, host)
    workflow = request.path_params["workflow"]
    trigger_name = request.path_params["trigger"]
    record, key, version = await host.services.db.read_quick(
        _signed_call, host, workflow, trigger_name, dict(request.query_params))
    trigger = _request_trigger(record, trigger_name, webhooks=True)
    if not record.enabled:
        raise WorkflowDisabled(f"the workflow {workflow!r} is disabled")
    if trigger.method and request.method != trigger.method:
        raise MethodNotAllowed(f"the trigger {trigger_name!r} takes {trigger.method}, not "
                               f"{request.method}")
    path_values = trigger.match_path(request.path_params.get("rest", ""))
    if path_values is None:
        raise NotFound("the path does not match the trigger's relativePath "
                       f"{trigger.relative_path!r}")
    body = await read_body(request)
    present, value = parse_body(request.headers.get("content-type"), body)
    check_schema(trigger, present, value)
    outputs: dict[str, Any] = {"headers": trigger_headers(request.headers.raw)}
    own = {k: v for k, v in request.query_params.multi_items()
           if k.lower() not in SIGNATURE_QUERIES}
    if own:
        outputs["queries"] = own
    if trigger.relative_path:
        outputs["relativePathParameters"] = path_values
    if present:
        outputs["body"] = value
    definition = _trigger_of(record, trigger_name)
    limits = limits_of(definition)
    if str(definition.get("type", "")).lower() in WEBHOOK_TRIGGER_TYPES and (
            definition.get("splitOn") or definition.get("conditions")):
        return await _fire_split(host, version, record, trigger_name, definition, outputs,
                                 limits, request)
    inputs = {"schema": trigger.schema} if trigger.schema else None
    tracking = request.headers.get("x-ms-client-tracking-id")
    if limits.runs is not None:
        queued = Fire(new_run_id(datetime.now(UTC)), workflow, trigger_name, outputs,
                      time.time(), tracking, inputs)
        await host.services.db.run(enqueue_run, host, queued, limits)
        return _accepted_only(record, _Ran(queued.run_id, client_tracking_id=tracking or ""),
                              request)
    stamp = now_iso()
    handle = await host.engine.start_run(version, TriggerRecord(
        name=trigger_name, outputs=outputs, inputs=inputs, start_time=stamp, end_time=stamp,
        client_tracking_id=tracking))
    if has_asynchronous_response(version.definition.get("actions") or {}):
        return _accepted(record, handle, request, _polling_url(request, host, workflow,
                                                               trigger_name, handle.run_id, key))
    answer = await handle.response(host.settings.response_timeout_seconds)
    return _answer(record, handle, answer, request)


def _signed_call(host: RuntimeHost, workflow: str, trigger: str, queries: dict[str, str]
                 ) -> tuple[WorkflowRecord, str, WorkflowVersion]:
    """A trigger call's one trip to the store: the workflow and its signing key read on
    one connection, the signature checked (401 before anything else is told), and the
    version a run would start on."""
    record, key = host.workflows.with_trigger_key(workflow)
    check_signature(key, workflow, trigger, queries)
    assert key is not None
    if record is None:
        raise NotFound(f"no workflow {workflow!r}")
    return record, key, host.workflows.version(record.version)


async def _fire_split(host: RuntimeHost, version: WorkflowVersion, record: WorkflowRecord,
                      trigger_name: str, definition: dict[str, Any], outputs: dict[str, Any],
                      limits: TriggerLimits, request: Request) -> Response:
    """A webhook callback with ``splitOn`` / ``conditions``: one run per item that passes
    (queued under the trigger's concurrency); ``202`` naming the first run, if any."""
    db = host.services.db
    batch = split_callback(host, version, trigger_name, definition, outputs)
    stamp = now_iso()
    first: RunHandle | _Ran | None = None
    for each in batch:
        if limits.runs is not None:
            queued = Fire(new_run_id(datetime.now(UTC)), record.name, trigger_name, each,
                          time.time())
            await db.run(enqueue_run, host, queued, limits)
            started: RunHandle | _Ran = _Ran(queued.run_id)
        else:
            started = await host.engine.start_run(version, TriggerRecord(
                name=trigger_name, outputs=each, start_time=stamp, end_time=stamp))
        first = first or started
    if first is None:
        return Response(status_code=202)
    return _accepted_only(record, first, request)


#: What a Request trigger's 429 asks the caller to wait when its runs' queue is full (s).
QUEUE_FULL_SECONDS = 5


def enqueue_run(host: RuntimeHost, fire: Fire, limits: TriggerLimits) -> None:
    """Queue a run behind its trigger's concurrency limit (the trigger scheduler starts it
    when there is room); refuses with 429 when the queue is full."""
    def admit(conn: sa.Connection) -> None:
        if limits.queue_full(conn, fire.workflow):
            raise Throttled(f"the workflow {fire.workflow!r} has {limits.waiting} runs "
                            "waiting, the most its trigger's concurrency allows",
                            retry_after=QUEUE_FULL_SECONDS)

    TriggerStates(host.services).enqueue(fire, admit)


def _accepted_only(record: WorkflowRecord, handle: RunHandle | _Ran, request: Request
                   ) -> Response:
    response = Response(status_code=202)
    response.headers.update(dict(run_headers(record, handle, request)))
    return response


def _polling_url(request: Request, host: RuntimeHost, workflow: str, trigger: str,
                 run_id: str, key: str) -> str:
    query = signed_query(key, workflow, trigger, response_permission(run_id))
    return (f"{_base_url(request, host)}/api/{quote(workflow, safe='')}/triggers/"
            f"{quote(trigger, safe='')}/runs/{quote(run_id, safe='')}/response?{query}")


@dataclass
class _Ran:
    """A run known by its id and record (the polling endpoint has no ``RunHandle``)."""

    run_id: str
    tracking_id: str = ""
    client_tracking_id: str = ""


async def poll_response(request: Request) -> Response:
    """``GET`` the Location of an asynchronous Response: ``202`` while the run has not
    answered, then the Response's status, headers and body."""
    host = host_of_request(request)
    _check_caller(request, host)
    workflow = request.path_params["workflow"]
    trigger = request.path_params["trigger"]
    run_id = request.path_params["run"]
    key = await host.services.db.run(host.workflows.trigger_key, workflow)
    check_signature(key, workflow, trigger, dict(request.query_params),
                    response_permission(run_id))
    assert key is not None
    record = await host.services.db.run(host.workflows.get, workflow)
    run = await host.services.db.run(host.history.get, run_id)
    if run.get("workflow") != workflow:
        raise NotFound(f"no run {run_id!r} of the workflow {workflow!r}")
    ran = _Ran(run_id, client_tracking_id=str(run.get("clientTrackingId") or run_id))
    # The answer the run record's Response action shows, rebuilt byte for byte.
    answer = response_of_run(run)
    if answer is not None:
        return _answer(record, ran, answer, request)
    if run.get("status") in ("Running", "Waiting"):
        return _accepted(record, ran, request,
                         _polling_url(request, host, workflow, trigger, run_id, key))
    raise NoResponse(f"the run {run_id!r} ended {run.get('status')} without a Response")


def _accepted(record: WorkflowRecord, handle: RunHandle | _Ran, request: Request, location: str
              ) -> Response:
    response = Response(status_code=202)
    response.headers.update({"location": location, "retry-after": str(POLL_SECONDS),
                             **dict(run_headers(record, handle, request))})
    return response


def workflow_id(name: str) -> str:
    """A stable 32-hex id per workflow name (Logic Apps' ``x-ms-workflow-id``)."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:32]


def run_headers(record: WorkflowRecord, handle: RunHandle | _Ran, request: Request
                ) -> list[tuple[str, str]]:
    """The headers Logic Apps puts on every answer of a started run, in its order."""
    run_id = handle.run_id
    tracking = str(getattr(handle, "tracking_id", "") or uuid.uuid4())
    client = str(getattr(handle, "client_tracking_id", "") or
                 request.headers.get("x-ms-client-tracking-id") or run_id)
    wid = workflow_id(record.name)
    return [
        ("x-ms-workflow-run-id", run_id),
        ("x-ms-correlation-id", tracking),
        ("x-ms-client-tracking-id", client),
        ("x-ms-trigger-history-name", run_id),
        ("x-ms-workflow-system-id", f"/scaleunits/prod-00/workflows/{wid}"),
        ("x-ms-workflow-id", wid),
        ("x-ms-workflow-version", record.version),
        ("x-ms-workflow-name", record.name),
        ("x-ms-tracking-id", tracking),
        ("x-ms-request-id", f":{tracking}"),
    ]


def _answer(record: WorkflowRecord, handle: RunHandle | _Ran, answer: ResponseRecord | None,
            request: Request) -> Response:
    if answer is None:
        return _accepted_only(record, handle, request)
    extra = run_headers(record, handle, request)
    response = Response(content=answer.body, status_code=answer.status)
    # Logic Apps' order: Content-Length, the Response's own headers (Content-Type first),
    # Date, then the run's headers. Date is written here so the server adds none after.
    raw = [(k, v) for k, v in response.raw_headers if k.lower() == b"content-length"]
    own = [(n, v) for n, v in answer.headers
           if n.lower() not in ("content-length", "transfer-encoding", "connection", "date")]
    content_type = [(n, v) for n, v in own if n.lower() == "content-type"]
    others = [(n, v) for n, v in own if n.lower() != "content-type"]
    date = [("date", formatdate(usegmt=True))]
    for name, value in [*content_type, *others, *date, *extra]:
        raw.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    response.raw_headers = raw
    return response


async def run_trigger(request: Request) -> Response:
    caller = await authenticate(request)
    name = request.path_params["name"]
    require_role(caller, "contributor", f"workflows/{name}", action="workflow.run")
    host = host_of_request(request)
    record = await host.services.db.run(host.workflows.get, name)
    trigger_name = request.path_params["trigger"]
    definition = _trigger_of(record, trigger_name)
    kind = str(definition.get("type", "")).lower()
    if kind not in _BY_HAND:
        raise BadRequest(f"the trigger {trigger_name!r} ({kind}) cannot be fired by hand "
                         "here: Request, Recurrence and polling triggers can")
    if not record.enabled:
        raise WorkflowDisabled(f"the workflow {name!r} is disabled")
    limits = limits_of(definition)
    if kind in POLLING_TYPES:
        fired = await TriggerScheduler(host).poll_now(name, trigger_name)
        run_id = fired[0] if fired else None
    elif limits.runs is not None:
        outputs: dict[str, Any] = {"headers": {}} if kind != "recurrence" else {}
        queued = Fire(new_run_id(datetime.now(UTC)), name, trigger_name, outputs, time.time())
        await host.services.db.run(enqueue_run, host, queued, limits)
        run_id = queued.run_id
    else:
        version = await host.services.db.run(host.workflows.version, record.version)
        stamp = now_iso()
        handle = await host.engine.start_run(version, TriggerRecord(
            name=trigger_name, outputs={"headers": {}} if kind != "recurrence" else {},
            start_time=stamp, end_time=stamp))
        run_id = handle.run_id
    await audit(request, caller.name, "workflow.run", f"workflows/{name}",
                {"trigger": trigger_name, "run": run_id})
    if run_id is None:
        return Response(status_code=204)  # the poll found nothing to fire
    return _accepted_only(record, _Ran(run_id), request)


_BY_HAND = frozenset({"request", "recurrence", "manual", *POLLING_TYPES})
_INVOKE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
routes = [
    Route("/v1/workflows/{name}/triggers/{trigger}/callback-url", callback_url,
          methods=["POST"]),
    Route("/v1/workflows/{name}/triggers/{trigger}/run", run_trigger, methods=["POST"]),
    Route("/api/{workflow}/triggers/{trigger}/invoke", invoke, methods=_INVOKE_METHODS),
    Route("/api/{workflow}/triggers/{trigger}/invoke/{rest:path}", invoke,
          methods=_INVOKE_METHODS),
    Route("/api/{workflow}/triggers/{trigger}/runs/{run}/response", poll_response,
          methods=["GET"]),
]
