"""Catalogue pages: search and filter, a connector's page, and uploading a spec.

Everything is read and written through the API in process (``inprocess.call_api``):
filters are checked, versions stored and breaking changes refused by the same handlers
that serve ``/v1/connectors``. An upload is first a dry run (and the lint of
``/v1/connectors/validate``) whose findings are shown; publishing sends it again, with
``allowBreaking`` only when the breaking changes were confirmed.
"""

from __future__ import annotations

import base64
import binascii
import math
import secrets
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

import importers
from gateway.api.auth import services_of
from gateway.api.connectors import builtins_of
from gateway.catalogue import KINDS, NETWORKS, TIERS
from gateway.errors import BadRequest, PortwayError
from gateway.portal.inprocess import call_api, get_json, path
from gateway.portal.rendering import redirect, render
from gateway.portal.session import Session, checked_form
from gateway.security.access import require_role
from gateway.store.principals import Principal

PAGE_SIZE = 20
#: Versions compared on a connector's page (the newest ones).
SHOWN_VERSIONS = 10
_MEDIA_TYPES = {".json": "application/json", ".yaml": "application/yaml",
                ".yml": "application/yaml", ".wsdl": "application/xml",
                ".xml": "application/xml", ".zip": "application/zip"}


async def catalogue(request: Request, session: Session) -> Response:
    assert session.principal is not None
    query = request.query_params
    filters = {name: query.get(name, "") for name in ("q", "kind", "tier", "network")}
    answer = await call_api(request, session.principal, "GET", "/v1/connectors", query=filters)
    items: list[dict[str, Any]] = answer.json()["value"] if answer.ok else []
    pages = max(1, math.ceil(len(items) / PAGE_SIZE))
    page_text = query.get("page", "1")
    page = min(pages, int(page_text)) if page_text.isdigit() and int(page_text) > 0 else 1
    return render(request, "catalogue.html", {
        "session": session, "filters": filters, "problem": answer.error,
        "items": items[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], "total": len(items),
        "page": page, "pages": pages, "kinds": KINDS, "tiers": TIERS, "networks": NETWORKS,
        "may_upload": session.may("contributor")}, status=200 if answer.ok else answer.status)


def version_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed from one version's definition to the next, in words."""
    changes: list[str] = []
    before = {op["operationId"]: op for op in old.get("operations", [])}
    after = {op["operationId"]: op for op in new.get("operations", [])}
    changes += [f"added operation {name}" for name in sorted(set(after) - set(before))]
    changes += [f"removed operation {name}" for name in sorted(set(before) - set(after))]
    for name in sorted(set(before) & set(after)):
        if before[name] != after[name]:
            changes.append(f"changed operation {name}")
    params_before = {p["name"] for p in old.get("connectionParameters", [])}
    params_after = {p["name"] for p in new.get("connectionParameters", [])}
    changes += [f"added connection parameter {n}" for n in sorted(params_after - params_before)]
    changes += [f"removed connection parameter {n}"
                for n in sorted(params_before - params_after)]
    for key, label in (("displayName", "display name"), ("description", "description"),
                       ("baseUrl", "base URL"), ("auth", "authentication"),
                       ("policies", "policies")):
        if old.get(key) != new.get(key):
            changes.append(f"changed {label}")
    return changes or ["no change to operations or connection parameters"]


async def connector_page(request: Request, session: Session) -> Response:
    assert session.principal is not None
    connector_id = request.path_params["id"]
    version = request.query_params.get("version", "")
    definition = await get_json(request, session.principal,
                                path("v1", "connectors", connector_id),
                                query={"version": version})
    versions = await get_json(request, session.principal,
                              path("v1", "connectors", connector_id, "versions"))
    history = []
    numbers = [v["version"] for v in versions["value"]][-SHOWN_VERSIONS:]
    bodies: dict[int, dict[str, Any]] = {definition["versionNumber"]: definition}
    for number in numbers:
        if number not in bodies:
            got = await call_api(request, session.principal, "GET",
                                 path("v1", "connectors", connector_id),
                                 query={"version": str(number)})
            bodies[number] = got.json() if got.ok else {}
    for index, entry in enumerate(v for v in versions["value"] if v["version"] in numbers):
        previous = bodies.get(numbers[index - 1]) if index > 0 else None
        history.append({**entry, "changes": version_changes(previous, bodies[entry["version"]])
                        if previous is not None else ["first version"]})
    operations = definition.get("operations", [])
    return render(request, "connector.html", {
        "session": session, "c": definition, "history": list(reversed(history)),
        "actions": [op for op in operations if op.get("kind") != "trigger"],
        "triggers": [op for op in operations if op.get("kind") == "trigger"],
        "lint": await _lint(request, session, definition),
        "current": versions["current"],
        "metadata": {k: v for k, v in definition.get("metadata", {}).items()
                     if isinstance(v, str | int | float)},
        "may_connect": session.may("contributor")})


async def _lint(request: Request, session: Session, definition: dict[str, Any]
                ) -> list[dict[str, Any]]:
    """The stored import's findings plus the certification lint over the stored version."""
    assert session.principal is not None
    found = list(definition.get("warnings", []))
    services = services_of(request)
    connector = builtins_of(request).get(definition["id"])
    if connector is None:
        try:
            stored = await services.db.run(services.connectors.get, definition["id"],
                                           definition["versionNumber"])
        except PortwayError:
            return found
        connector = stored.connector
    # The certification lint that /v1/connectors/validate runs, over the stored version
    # (or the built-in connector's definition).
    seen = {(f.get("rule"), f.get("pointer")) for f in found}
    for finding in await services.db.run(importers.lint, connector):
        if (finding.rule, finding.pointer) not in seen:
            found.append(finding.model_dump(exclude_none=True))
    return found


async def upload_page(request: Request, session: Session) -> Response:
    return render(request, "upload.html", {"session": session, "form": {}})


async def upload(request: Request, session: Session) -> Response:
    """Check an upload (dry run + lint) and show its findings; or publish a checked one."""
    assert session.principal is not None
    services = services_of(request)
    limit = services.settings.limits.max_spec_bytes
    form = await checked_form(request, session, max_files=2, max_fields=12,
                              max_part_size=2 * limit)
    # An empty id still goes to the API, whose name rule answers it (" " is no name).
    connector_id = str(form.get("connector", "")).strip() or " "
    context: dict[str, Any] = {"session": session, "form": {"connector": connector_id,
                                                            "url": form.get("url", "")}}
    try:
        spec, filename, properties = await _document(request, form, limit, session.principal,
                                                     connector_id)
    except PortwayError as exc:
        return render(request, "upload.html", {**context, "problem": {
            "code": exc.code, "message": exc.message, "details": exc.details}},
            status=exc.status_code)
    body, content_type = _body(spec, filename, properties)
    publish = form.get("publish") == "1"
    query = {"dryRun": "" if publish else "true",
             "allowBreaking": "true" if (not publish or form.get("confirm") == "yes") else ""}
    answer = await call_api(request, session.principal, "PUT",
                            path("v1", "connectors", connector_id), query=query,
                            body=body, content_type=content_type)
    if publish and answer.ok:
        return redirect(f"/portal/connectors/{connector_id}")
    lint = await call_api(request, session.principal, "POST", "/v1/connectors/validate",
                          query={"name": connector_id}, body=body, content_type=content_type)
    result = answer.json() if answer.ok else {}
    return render(request, "upload.html", {
        **context, "problem": answer.error, "result": result,
        "lint": (lint.json() or {}).get("warnings", []) + (lint.json() or {}).get("errors", [])
        if lint.ok else [],
        "breaking": result.get("breakingChanges", []) or [
            d for d in answer.error.get("details", []) if answer.error.get("code") ==
            "BreakingChanges"],
        "checked": {"spec": base64.b64encode(spec).decode("ascii"), "filename": filename,
                    "properties": base64.b64encode(properties).decode("ascii")
                    if properties else ""}},
        status=200 if answer.ok else answer.status)


async def _document(request: Request, form: Any, limit: int, principal: Principal,
                    connector_id: str) -> tuple[bytes, str, bytes | None]:
    """The spec's bytes, its file name and the apiProperties.json bytes, from the form:
    a file, a URL (fetched through the egress guard), or a checked upload sent back."""
    if form.get("checked_spec"):
        try:
            spec = base64.b64decode(str(form["checked_spec"]), validate=True)
            props_text = str(form.get("checked_properties", ""))
            props = base64.b64decode(props_text, validate=True) if props_text else None
        except (binascii.Error, ValueError):
            raise BadRequest("the checked upload was damaged; upload the file again") from None
        return spec, str(form.get("checked_filename", "spec")), props
    upload_file = form.get("file")
    props_file = form.get("properties")
    props = None
    if isinstance(props_file, UploadFile) and props_file.filename:
        props = await props_file.read(limit + 1)
    if isinstance(upload_file, UploadFile) and upload_file.filename:
        data = await upload_file.read(limit + 1)
        if len(data) > limit:
            raise BadRequest(f"the file is over {limit} bytes")
        if not data.strip():
            raise BadRequest("the file is empty", details=[{"field": "file"}])
        return data, upload_file.filename, props
    url = str(form.get("url", "")).strip()
    if url:
        # Only a principal who may upload makes the gateway fetch anything.
        require_role(principal, "contributor", f"connectors/{connector_id}",
                     action="connector.put")
        services = services_of(request)
        data = await services.db.run(services.fetcher, url)
        return data, url.rsplit("/", 1)[-1].split("?")[0] or "spec", props
    raise BadRequest("choose a file or give a URL", details=[{"field": "file"}])


def _body(spec: bytes, filename: str, properties: bytes | None) -> tuple[bytes, str]:
    """The PUT body the API takes: the document alone, or multipart with apiProperties."""
    if properties is None:
        suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        return spec, _MEDIA_TYPES.get(suffix, "application/octet-stream")
    boundary = "portway-" + secrets.token_hex(16)
    parts = []
    for name, data, file_name in (("spec", spec, filename),
                                  ("apiProperties", properties, "apiProperties.json")):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{_quoted(file_name)}"\r\nContent-Type: application/octet-stream'
            f"\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _quoted(name: str) -> str:
    return "".join(c for c in name if c.isprintable() and c not in '"\\\r\n')[:200] or "spec"
