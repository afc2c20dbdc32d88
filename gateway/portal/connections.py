"""Connection pages: the list, a new connection's form, a connection's page (edit, test,
OAuth consent, access policies) and trying an operation through it.

The forms are generated from the connector's definition as the API shows it; every
change goes through the connection handlers of ``/v1/connections`` in process, so
validation, roles, access policies and the audit are theirs. Secret values are taken in
password fields and never put back into a page.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from gateway.connections import CREDENTIAL_NAMES
from gateway.errors import BadRequest, Forbidden
from gateway.portal.inprocess import ApiAnswer, call_api, get_json, path
from gateway.portal.rendering import redirect, render
from gateway.portal.session import FORM_KEY, Handler, Session, checked_form
from gateway.security.access import check_connection_use

_FORM_LIMITS = {"max_files": 0, "max_fields": 200}


async def list_page(request: Request, session: Session) -> Response:
    assert session.principal is not None
    answer = await get_json(request, session.principal, "/v1/connections")
    return render(request, "connections.html", {
        "session": session, "items": answer["value"],
        "may_create": session.may("contributor")})


def connection_fields(definition: dict[str, Any]) -> dict[str, Any]:
    """The form of a new connection: the connector's own parameters, one fieldset per
    parameter set, and the conventional credential names of its auth schemes."""

    def field(p: dict[str, Any]) -> dict[str, Any]:
        kind = p.get("type", "string")
        secret = kind in ("securestring", "oauthSetting", "clientCertificate") or \
            p["name"] in CREDENTIAL_NAMES
        return {"name": p["name"], "label": p.get("displayName") or p["name"],
                "description": p.get("description", ""), "required": p.get("required", False),
                "type": kind, "secret": secret, "choices": p.get("allowedValues") or [],
                "default": "" if p.get("default") is None else p.get("default")}

    fillable = ("string", "securestring", "int", "bool", "object", "array")
    common = [field(p) for p in definition.get("connectionParameters", [])
              if p.get("type", "string") in fillable]
    named = {f["name"] for f in common}
    oauth = False
    for scheme in definition.get("auth", []):
        is_oauth = scheme.get("kind") == "oauth2"
        oauth = oauth or is_oauth
        for name in scheme.get("parameters", []):
            # An OAuth token comes from consent, never from a form.
            if name not in named and not (is_oauth and name == "token"):
                common.append(field({"name": name, "required": False}))
                named.add(name)
    if oauth:
        for name in ("client_id", "client_secret"):
            if name not in named:
                common.append(field({"name": name, "description": "the OAuth client, when "
                                     "the connector names none of its own"}))
    sets = [{"name": s["name"], "label": s.get("displayName") or s["name"],
             "fields": [field(p) for p in s.get("parameters", [])
                        if p.get("type", "string") in fillable]}
            for s in definition.get("connectionParameterSets", [])]
    return {"common": common, "sets": sets, "oauth": oauth}


def _values(form: Any, fields: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        raw = form.get("p." + f["name"])
        if f["type"] == "bool":
            if raw in ("true", "false"):
                out[f["name"]] = raw == "true"
            continue
        if not isinstance(raw, str) or raw == "":
            continue
        if f["type"] == "int" and raw.strip().lstrip("-").isdigit():
            out[f["name"]] = int(raw)
        elif f["type"] in ("object", "array"):
            try:
                out[f["name"]] = json.loads(raw)
            except ValueError:
                out[f["name"]] = raw  # the API says what is wrong with it
        else:
            out[f["name"]] = raw
    return out


async def new_page(request: Request, session: Session, *, problem: dict[str, Any] | None = None,
                   kept: dict[str, Any] | None = None, status: int = 200) -> Response:
    assert session.principal is not None
    connector_id = request.query_params.get("connector", "") or (kept or {}).get("connector", "")
    context: dict[str, Any] = {"session": session, "problem": problem, "kept": kept or {},
                               "connector_id": connector_id}
    if not connector_id:
        listed = await call_api(request, session.principal, "GET", "/v1/connectors")
        context["connectors"] = listed.json()["value"] if listed.ok else []
        return render(request, "connection_new.html", context, status=status)
    context["connector"] = await get_json(request, session.principal,
                                          path("v1", "connectors", connector_id))
    context["fields"] = connection_fields(context["connector"])
    return render(request, "connection_new.html", context, status=status)


async def create(request: Request, session: Session) -> Response:
    assert session.principal is not None
    form = await checked_form(request, session, **_FORM_LIMITS)
    connector_id = str(form.get("connector", ""))
    name = str(form.get("name", "")).strip()
    fields = connection_fields(await get_json(request, session.principal,
                                              path("v1", "connectors", connector_id)))
    chosen = str(form.get("parameterSet", ""))
    every = fields["common"] + [f for s in fields["sets"] if s["name"] == chosen
                                for f in s["fields"]]
    parameters = _values(form, every)
    if chosen:
        parameters["parameterSet"] = chosen
    body = {"connector": connector_id, "parameters": parameters,
            "displayName": str(form.get("displayName", "")) or name,
            "tags": _tags(str(form.get("tags", "")))}
    answer = await call_api(request, session.principal, "PUT",
                            path("v1", "connections", name or " "), json_body=body)
    if answer.ok:
        return redirect(f"/portal/connections/{name}")
    # Never send a secret back into the page: only the public values are kept.
    kept = {"connector": connector_id, "name": name, "displayName": body["displayName"],
            "tags": form.get("tags", ""), "parameterSet": chosen,
            "values": {f["name"]: parameters.get(f["name"]) for f in every
                       if not f["secret"] and f["name"] in parameters}}
    return await new_page(request, session, problem=answer.error, kept=kept,
                          status=answer.status)


def _tags(text: str) -> dict[str, str]:
    """``key=value`` lines; a line without ``=`` is a mistake the user should see."""
    tags: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise BadRequest(f"tag line {number} is not key=value",
                             details=[{"field": "tags", "line": number}])
        tags[key.strip()] = value.strip()
    return tags


async def _connection(request: Request, session: Session, name: str) -> dict[str, Any]:
    assert session.principal is not None
    record: dict[str, Any] = await get_json(request, session.principal,
                                            path("v1", "connections", name))
    return record


def may_use(session: Session, record: dict[str, Any]) -> bool:
    """Whether to offer "try an operation": the data plane's own access rule."""
    if session.principal is None:
        return False
    try:
        check_connection_use(session.principal, record["name"], record["accessPolicies"])
    except Forbidden:
        return False
    return True


async def detail(request: Request, session: Session, *, notice: str = "",
                 problem: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
                 status: int = 200) -> Response:
    assert session.principal is not None
    name = request.path_params["name"]
    record = await _connection(request, session, name)
    connector = await call_api(request, session.principal, "GET",
                               path("v1", "connectors", record["connector"]))
    definition = connector.json() if connector.ok else {}
    scope = f"connections/{name}"
    consent = request.query_params.get("consent")
    return render(request, "connection.html", {
        "session": session, "c": record, "connector": definition,
        "oauth": connection_fields(definition)["oauth"] if definition else False,
        "operations": [op for op in definition.get("operations", [])
                       if op.get("kind") != "trigger"],
        "may_change": session.may("contributor", scope), "may_grant": session.may("owner", scope),
        "may_use": may_use(session, record),
        "notice": notice or ("Consent finished: the connection is connected."
                             if consent == "ok" else ""),
        "problem": problem, **(extra or {})}, status=status)


async def detail_page(request: Request, session: Session) -> Response:
    return await detail(request, session)


class _Failed(Exception):
    """The API refused a connection's form; the page is shown again with why."""

    def __init__(self, answer: ApiAnswer) -> None:
        super().__init__(answer.status)
        self.answer = answer


async def _act(request: Request, session: Session, method: str, *segments: str,
               json_body: Any = None) -> ApiAnswer:
    """Send a connection form's request (``/v1/connections/{name}/...segments``)."""
    assert session.principal is not None
    answer = await call_api(request, session.principal, method,
                            path("v1", "connections", request.path_params["name"], *segments),
                            json_body=json_body)
    if not answer.ok:
        raise _Failed(answer)
    return answer


def _form_action(handler: Handler) -> Handler:
    """A connection form: its CSRF check first; an API refusal shows the page again."""

    async def run(request: Request, session: Session) -> Response:
        await checked_form(request, session, **_FORM_LIMITS)
        try:
            return await handler(request, session)
        except _Failed as failed:
            return await detail(request, session, problem=failed.answer.error,
                                status=failed.answer.status)

    return run


def _form(request: Request) -> Any:
    return request.scope[FORM_KEY]


@_form_action
async def edit(request: Request, session: Session) -> Response:
    form = _form(request)
    await _act(request, session, "PATCH", json_body={
        "displayName": str(form.get("displayName", "")),
        "tags": _tags(str(form.get("tags", "")))})
    return redirect(f"/portal/connections/{request.path_params['name']}")


@_form_action
async def test(request: Request, session: Session) -> Response:
    outcome = (await _act(request, session, "POST", "test")).json()
    reason = f" ({outcome['statusReason']})" if outcome.get("statusReason") else ""
    return await detail(request, session, notice=f"Test finished: {outcome['status']}{reason}, "
                        f"checked with {outcome['checkedWith']}.")


@_form_action
async def consent(request: Request, session: Session) -> Response:
    """Ask the API for the consent link; the page then offers the button to the provider
    (a link: a form's redirect to another origin would break the form-action policy)."""
    link = (await _act(request, session, "POST", "consent")).json()["authorizeUrl"]
    return await detail(request, session, extra={"authorize_url": link})


@_form_action
async def grant(request: Request, session: Session) -> Response:
    form = _form(request)
    principal = str(form.get("principal", "")).strip() or " "
    await _act(request, session, "DELETE" if form.get("remove") == "1" else "PUT",
               "access-policies", principal)
    return redirect(f"/portal/connections/{request.path_params['name']}")


@_form_action
async def delete(request: Request, session: Session) -> Response:
    await _act(request, session, "DELETE")
    return redirect("/portal/connections")
