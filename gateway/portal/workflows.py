"""Workflow and run pages, over the runtime's HTTP API in process.

The gateway never imports the runtime: these pages call ``/v1/workflows`` and
``/v1/runs`` — routes the runtime's extension adds to the app — through
``inprocess.call_api``, exactly as a client would, so the runtime's own checks and
redaction apply. Without the runtime those routes answer 404 and the pages say so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.portal.inprocess import ApiAnswer, api_error, call_api, get_json, path
from gateway.portal.rendering import redirect, render
from gateway.portal.session import Handler, Session, checked_form

RUN_STATUSES = ("Running", "Waiting", "Succeeded", "Failed", "Cancelled")


async def list_page(request: Request, session: Session) -> Response:
    assert session.principal is not None
    answer = await call_api(request, session.principal, "GET", "/v1/workflows")
    if answer.status == 404:
        return render(request, "workflows.html", {"session": session, "missing": True})
    if not answer.ok:
        raise api_error(answer)
    return render(request, "workflows.html", {"session": session,
                                              "items": answer.json().get("value", [])})


def run_after_graph(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The actions in the order they can run (each after what its ``runAfter`` names),
    nested scopes flattened with their depth."""
    out: list[dict[str, Any]] = []

    def walk(actions: dict[str, Any], depth: int, parent: str) -> None:
        placed: list[str] = []
        pending = dict(actions)
        while pending:
            ready = [n for n, a in pending.items()
                     if all(dep in placed or dep not in actions
                            for dep in (a.get("runAfter") or {}))]
            for name in sorted(ready or pending):
                action = pending.pop(name)
                placed.append(name)
                out.append({"name": name, "type": action.get("type", ""), "depth": depth,
                            "parent": parent,
                            "runAfter": {k: list(v) for k, v in
                                         (action.get("runAfter") or {}).items()}})
                for key in ("actions", "else"):
                    inner = action.get(key)
                    inner = inner.get("actions") if key == "else" and isinstance(
                        inner, dict) else inner
                    if isinstance(inner, dict):
                        walk(inner, depth + 1, name)
                for case in (action.get("cases") or {}).values():
                    if isinstance(case, dict) and isinstance(case.get("actions"), dict):
                        walk(case["actions"], depth + 1, name)

    actions = definition.get("actions")
    if isinstance(actions, dict):
        walk(actions, 0, "")
    return out


async def workflow_page(request: Request, session: Session) -> Response:
    assert session.principal is not None
    name = request.path_params["name"]
    workflow = await get_json(request, session.principal, path("v1", "workflows", name))
    status = request.query_params.get("status", "")
    runs = await call_api(request, session.principal, "GET",
                          path("v1", "workflows", name, "runs"), query={"status": status})
    definition = workflow.get("definition") or {}
    return render(request, "workflow.html", {
        "session": session, "w": workflow, "graph": run_after_graph(definition),
        "triggers": definition.get("triggers") or {},
        "runs": runs.json().get("value", []) if runs.ok else [],
        "runs_problem": runs.error, "status": status, "statuses": RUN_STATUSES,
        "may_change": session.may("contributor", f"workflows/{name}")})


async def _post(request: Request, session: Session, form_flag: str, verbs: tuple[str, str],
                *segments: str) -> ApiAnswer:
    """A workflow or run form: CSRF check, then ``POST`` to the verb its flag chose."""
    assert session.principal is not None
    form = await checked_form(request, session, max_files=0, max_fields=5)
    verb = verbs[0] if form.get(form_flag) == "1" else verbs[1]
    answer = await call_api(request, session.principal, "POST", path(*segments, verb))
    if not answer.ok:
        raise api_error(answer)
    return answer


async def toggle(request: Request, session: Session) -> Response:
    name = request.path_params["name"]
    await _post(request, session, "enable", ("enable", "disable"), "v1", "workflows", name)
    return redirect(f"/portal/workflows/{name}")


def _seconds(start: object, end: object) -> float | None:
    try:
        begun = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        ended = datetime.fromisoformat(str(end).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (ended - begun).total_seconds()


def timeline(run: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's actions in start order, with durations."""
    rows = []
    for name, action in (run.get("actions") or {}).items():
        rows.append({"name": name, **action,
                     "duration": _seconds(action.get("startTime"), action.get("endTime")),
                     "retries": len(action.get("retryHistory") or []),
                     "repetitions": action.get("repetitions") or []})
    return sorted(rows, key=lambda r: (str(r.get("startTime") or "~"), r["name"]))


async def run_page(request: Request, session: Session) -> Response:
    assert session.principal is not None
    run_id = request.path_params["id"]
    run = await get_json(request, session.principal, path("v1", "runs", run_id))
    return render(request, "run.html", {
        "session": session, "run": run, "rows": timeline(run),
        "duration": _seconds(run.get("startTime"), run.get("endTime")),
        "may_change": session.may("contributor", f"workflows/{run.get('workflow', '')}")})


async def run_action(request: Request, session: Session) -> Response:
    run_id = request.path_params["id"]
    answer = await _post(request, session, "resubmit", ("resubmit", "cancel"), "v1", "runs",
                         run_id)
    body = answer.json() if answer.body else {}
    new_id = body.get("id") if isinstance(body, dict) else None
    return redirect(f"/portal/runs/{new_id or run_id}")


def routes(get: Callable[[str, Handler], Route], post: Callable[[str, Handler], Route]
           ) -> list[Route]:
    return [
        get("/portal/workflows", list_page),
        get("/portal/workflows/{name}", workflow_page),
        post("/portal/workflows/{name}/toggle", toggle),
        get("/portal/runs/{id}", run_page),
        post("/portal/runs/{id}/action", run_action),
    ]
