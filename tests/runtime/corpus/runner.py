"""Run one runtime case against a real ``portway serve`` and the corpus mock server.

The steps are the original harness's, through PRODUCT.md's HTTP surface: app settings
(``PUT /v1/appsettings``), the managed connectors an ``ApiConnection`` case calls (a small
Swagger per connector, served by the mock at the case's ``connectionRuntimeUrl``, and a
Portway connection the workflow's principal may use), the workflow
(``PUT /v1/workflows/{name}``), its callback URL, the trigger request sent byte for byte,
the asynchronous Response polled when the case waited for one, and the run record read
once the run has ended. ``observe()`` returns what was seen; ``differences()`` compares it
with the case's ``expect``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from tests.runtime.corpus import assertions
from tests.runtime.corpus.cases import Case
from tests.runtime.corpus.mock import LoggedRequest, MockServer, body_bytes
from tests.runtime.corpus.wire import WireResponse, send

FINISHED = ("Succeeded", "Failed", "Cancelled", "Skipped", "TimedOut")
RUN_WAIT_S = 180.0

# The operations of the managed connectors the cases call, as Azure's API hub addresses
# them under a connection's runtime URL (the real connectors' paths and methods).
MANAGED_OPERATIONS: dict[str, dict[str, Any]] = {
    "salesforce": {
        "/v2/datasets/{dataset}/tables/{table}/externalIdFields/{externalIdField}/{id}": {
            "patch": {"operationId": "PatchItemByExternalId", "summary": "Upsert a record",
                      "parameters": [
                          {"name": "dataset", "in": "path", "required": True, "type": "string"},
                          {"name": "table", "in": "path", "required": True, "type": "string"},
                          {"name": "externalIdField", "in": "path", "required": True,
                           "type": "string"},
                          {"name": "id", "in": "path", "required": True, "type": "string"},
                          {"name": "item", "in": "body", "required": True,
                           "schema": {"type": "object"}},
                      ],
                      "responses": {"200": {"description": "The record",
                                            "schema": {"type": "object"}}}},
        },
    },
    "outlook": {
        "/v2/Mail": {
            "post": {"operationId": "SendEmailV2", "summary": "Send an email",
                     "parameters": [{"name": "emailMessage", "in": "body", "required": True,
                                     "schema": {"type": "object"}}],
                     "responses": {"200": {"description": "Sent"}}},
        },
    },
}


@dataclass
class Observed:
    """What one case produced."""

    callback_status: int | None = None
    response: WireResponse | None = None
    run_id: str | None = None
    run: dict[str, Any] | None = None
    log: list[LoggedRequest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def managed_swagger(connector: str, runtime_url: str) -> dict[str, Any]:
    """A Swagger 2.0 document for a managed connector served at ``runtime_url``."""
    parts = urlsplit(runtime_url)
    return {
        "swagger": "2.0",
        "info": {"title": connector, "version": "1.0",
                 "description": f"The {connector} managed connector's operations the "
                                "runtime cases call, at the mock server."},
        "host": parts.netloc,
        "basePath": parts.path.rstrip("/") or "/",
        "schemes": [parts.scheme],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "paths": MANAGED_OPERATIONS[connector],
    }


def referenced_connections(definition: Any) -> set[str]:
    """The ``host.connection.referenceName``s a definition's actions use."""
    found: set[str] = set()
    if isinstance(definition, Mapping):
        connection = definition.get("connection")
        if isinstance(connection, Mapping) and isinstance(connection.get("referenceName"), str):
            found.add(connection["referenceName"])
        for value in definition.values():
            found |= referenced_connections(value)
    elif isinstance(definition, list):
        for value in definition:
            found |= referenced_connections(value)
    return found


class CaseRunner:
    """Drives cases against one Portway server and one mock server."""

    def __init__(self, base: str, owner_token: str, mock: MockServer) -> None:
        self.base = base
        self.mock = mock
        self.client = httpx.Client(base_url=base, timeout=60.0,
                                   headers={"authorization": f"Bearer {owner_token}"})
        self._settings: set[str] = set()

    def close(self) -> None:
        self.client.close()

    def _ok(self, response: httpx.Response, what: str) -> httpx.Response:
        if response.status_code >= 400:
            raise AssertionError(f"{what}: {response.status_code} {response.text[:2000]}")
        return response

    def put_app_settings(self, settings: Mapping[str, str]) -> None:
        """The case's app settings, and none left over from an earlier case."""
        for stale in sorted(self._settings - set(settings)):
            self.client.delete(f"/v1/appsettings/{stale}")
        self._ok(self.client.put("/v1/appsettings", json=dict(settings)), "PUT /v1/appsettings")
        self._settings = set(settings)

    def put_managed_connection(self, reference: str, spec: Mapping[str, Any],
                               principal: str) -> None:
        connector = f"corpus-{reference}"
        self._ok(self.client.put(f"/v1/connectors/{connector}", content=json.dumps(spec),
                                 headers={"content-type": "application/json"}),
                 f"PUT /v1/connectors/{connector}")
        self._ok(self.client.put(f"/v1/connections/{reference}",
                                 json={"connector": connector, "parameters": {}}),
                 f"PUT /v1/connections/{reference}")
        self._ok(self.client.put(f"/v1/connections/{reference}/access-policies/{principal}"),
                 f"PUT /v1/connections/{reference}/access-policies/{principal}")

    def deploy(self, case: Case, files: Mapping[str, Any]) -> None:
        workflow = files["workflow.json"]
        name = case.workflow_name
        principal = f"{name}@workflows"
        managed = (files.get("connections.json") or {}).get("managedApiConnections") or {}
        used = referenced_connections(workflow["definition"])
        for reference in sorted(used):
            if reference not in managed or reference not in MANAGED_OPERATIONS:
                raise AssertionError(f"{case.id}: no managed connector for {reference!r}")
            spec = managed_swagger(reference, managed[reference]["connectionRuntimeUrl"])
            self.put_managed_connection(reference, spec, principal)
        body: dict[str, Any] = {
            "definition": workflow["definition"],
            "kind": workflow.get("kind") or case.data["workflow"].get("kind") or "Stateful",
            "parameters": files.get("parameters.json") or {},
            "connectionReferences": {ref: {"connection": ref} for ref in sorted(used)},
        }
        answer = self._ok(self.client.put(f"/v1/workflows/{name}", json=body),
                          f"PUT /v1/workflows/{name}")
        named = answer.json().get("principal") if answer.content else None
        if isinstance(named, str) and named != principal:
            for reference in sorted(used):
                self._ok(self.client.put(
                    f"/v1/connections/{reference}/access-policies/{named}"),
                    f"PUT access policy for {named}")

    def _trigger_request(self, case: Case, callback: Mapping[str, Any]
                         ) -> tuple[str, list[tuple[str, str]], bytes | None]:
        trigger = case.trigger
        signed = urlsplit(str(callback["value"]))
        path = signed.path
        relative = trigger.get("relative_path_raw") or trigger.get("relative_path")
        if relative:
            base_path = urlsplit(str(callback.get("basePath") or "")).path or path
            path = base_path.rstrip("/") + "/" + str(relative).lstrip("/")
        query = signed.query
        if trigger.get("query"):
            query += ("&" if query else "") + urlencode(trigger["query"])
        if trigger.get("extra_query_raw"):
            query += ("&" if query else "") + str(trigger["extra_query_raw"]).lstrip("&?")
        url = f"{self.base}{path}" + (f"?{query}" if query else "")
        data, content_type = body_bytes(trigger.get("body"))
        body = data if trigger.get("body") is not None else None
        if trigger.get("headers_in_order") is not None:
            return url, [(str(k), str(v)) for k, v in trigger["headers_in_order"]], body
        headers = [("Host", urlsplit(self.base).netloc)]
        headers += [(str(k), str(v)) for k, v in (trigger.get("headers") or {}).items()]
        if content_type is not None:
            headers.append(("Content-Type", content_type))
        method = str(trigger["method"]).upper()
        if body is not None or method in ("POST", "PUT", "PATCH"):
            # .NET's HttpClient sends a length even for an empty POST.
            headers.append(("Content-Length", str(len(body or b""))))
        return url, headers, body

    def _await_async_response(self, first: WireResponse, seconds: float,
                              observed: Observed) -> WireResponse:
        location = first.header("location")
        if first.status != 202 or location is None:
            observed.notes.append(f"expected 202 + Location for an asynchronous Response, "
                                  f"got {first.status} (Location {location!r})")
            return first
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            wait = first.header("retry-after")
            time.sleep(min(float(wait) if wait and wait.isdigit() else 1.0, 1.0))
            answer = httpx.get(location if "://" in location else self.base + location,
                               timeout=30.0)
            if answer.status_code != 202:
                return WireResponse(answer.status_code, tuple(answer.headers.items()),
                                    answer.content)
        observed.notes.append(f"the asynchronous Response did not come within {seconds}s")
        return first

    def _start(self, case: Case, observed: Observed) -> None:
        trigger = case.trigger
        name = case.workflow_name
        kind = trigger["kind"]
        if kind == "http_request":
            answer = self.client.post(
                f"/v1/workflows/{name}/triggers/{trigger['trigger_name']}/callback-url")
            observed.callback_status = answer.status_code
            self._ok(answer, "POST callback-url")
            url, headers, body = self._trigger_request(case, answer.json())
            response = send(url, str(trigger["method"]).upper(), headers, body)
            if trigger.get("wait_for_async_response_s"):
                observed.run_id = response.header("x-ms-workflow-run-id")
                response = self._await_async_response(
                    response, float(trigger["wait_for_async_response_s"]), observed)
            observed.response = response
            observed.run_id = observed.run_id or response.header("x-ms-workflow-run-id")
        elif kind in ("run_trigger_now", "trigger_mock"):
            # A trigger mock with empty outputs is the trigger firing now.
            answer = self.client.post(
                f"/v1/workflows/{name}/triggers/{trigger['trigger_name']}/run")
            self._ok(answer, "POST triggers/run")
            observed.run_id = answer.headers.get("x-ms-workflow-run-id")
        else:
            raise AssertionError(f"{case.id}: unknown trigger kind {kind!r}")
        if not observed.run_id:
            observed.notes.append("the trigger's answer carried no x-ms-workflow-run-id")

    def _wait_for_run(self, run_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + RUN_WAIT_S
        while True:
            answer = self.client.get(f"/v1/runs/{run_id}")
            if answer.status_code == 200:
                run: dict[str, Any] = answer.json()
                if run.get("status") in FINISHED or time.monotonic() > deadline:
                    return run
            elif time.monotonic() > deadline:
                raise AssertionError(f"GET /v1/runs/{run_id}: {answer.status_code} "
                                     f"{answer.text[:500]}")
            time.sleep(0.2)

    def observe(self, case: Case) -> Observed:
        """Deploy and run the case; what Portway and the mock saw."""
        files = case.files(self.mock.base_url)
        observed = Observed()
        self.mock.load(case.mocks_http)
        self.put_app_settings(files["appSettings"])
        self.deploy(case, files)
        self._start(case, observed)
        if observed.run_id:
            observed.run = self._wait_for_run(observed.run_id)
        observed.log = self.mock.requests
        return observed


def differences(case: Case, observed: Observed) -> list[str]:
    """Everything in the case's ``expect`` that the observed run does not show."""
    expect = case.expect
    diffs: list[str] = list(observed.notes)
    if "callback_url_status" in expect and observed.callback_status != expect[
            "callback_url_status"]:
        diffs.append(f"callback-url: {observed.callback_status} != expected "
                     f"{expect['callback_url_status']}")
    wanted = expect.get("response")
    if wanted is not None:
        response = observed.response
        if response is None:
            diffs.append("response: the trigger was not answered")
        else:
            if "status" in wanted and response.status != wanted["status"]:
                diffs.append(f"response.status: {response.status} != expected "
                             f"{wanted['status']} (body {response.body[:300]!r})")
            for name, spec in (wanted.get("headers") or {}).items():
                assertions.check_header_value(f"response header {name}", spec,
                                              response.header(name), diffs)
            if "body" in wanted:
                assertions.check_body("response.body", wanted["body"], response.body, diffs)
            if "headers_in_order" in wanted:
                assertions.check_headers_in_order(
                    "response headers", wanted["headers_in_order"], response.headers,
                    response.body, observed.run_id or "", observed.run, diffs)
    run = observed.run
    if run is None:
        if expect.get("run") or expect.get("actions"):
            diffs.append("run: no run record to compare with")
    else:
        assertions.check_run(expect.get("run") or {}, run, diffs)
        assertions.check_actions(expect.get("actions") or [], run, diffs)
    assertions.check_outbound(expect.get("outbound_requests") or [], observed.log, diffs)
    return diffs
