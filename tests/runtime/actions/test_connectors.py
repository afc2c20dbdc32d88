"""ApiConnection through the gateway's whole data plane under the workflow's principal
(linked access check included), and ServiceProvider dispatch to built-in connectors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway import PortwayError, WorkflowIdentities
from gateway.services import Services
from runtime.actions.base import ActionResult, Suspend
from runtime.actions.connectors import (
    ApiConnection,
    ServiceProvider,
    reference_name,
    resolve_reference,
)
from runtime.builtins.registry import ProviderOperation, register_provider
from runtime.engine.interface import WorkflowVersion
from tests.runtime.actions.conftest import Recorder, with_data_plane
from tests.runtime.actions.context import Context
from tests.support.gateways import gateway_with_connection

KEY = "k-123-secret"


def mail_swagger(base: str) -> dict[str, Any]:
    host = base.removeprefix("http://")
    return {
        "swagger": "2.0", "info": {"title": "Mailer", "version": "1.0"},
        "host": host, "basePath": "/", "schemes": ["http"],
        "securityDefinitions": {"key": {"type": "apiKey", "in": "header",
                                        "name": "X-Api-Key"}},
        "security": [{"key": []}],
        "paths": {"/v2/Mail": {"post": {
            "operationId": "SendEmail", "consumes": ["application/json"],
            "parameters": [{"name": "body", "in": "body", "required": True,
                            "schema": {"type": "object",
                                       "properties": {"To": {"type": "string"}}}}],
            "responses": {"200": {"description": "sent"}}}}},
    }


@pytest.fixture
def mailer(services: Services, upstream: Recorder) -> Iterator[httpx.Client]:
    """A running gateway with connector ``mailer`` and connection ``mail1``."""
    with gateway_with_connection(services, "mailer", mail_swagger(upstream.url), "mail1",
                                 {"api_key": KEY}) as owner:
        upstream.seen.clear()
        yield owner


def version(references: Mapping[str, str]) -> WorkflowVersion:
    return WorkflowVersion(workflow="wf", version="v1", definition={},
                           connection_references=references, principal="wf@workflows")


SEND = {"type": "ApiConnection", "inputs": {
    "host": {"connection": {"referenceName": "mailer"}}, "method": "post",
    "path": "/v2/Mail", "body": {"To": "@concat('a', '@example.net')"}}}


def send(services: Services, references: Mapping[str, str]) -> ActionResult:
    context = Context.for_handler(ApiConnection(), SEND, services=services,
                                  version=version(references), name="Send_mail")
    result = with_data_plane(services, lambda: ApiConnection().run(context))
    assert isinstance(result, ActionResult)
    return result


def denials(owner: httpx.Client) -> list[tuple[str, str]]:
    entries = owner.get("/v1/audit", params={"outcome": "denied",
                                             "action": "connection.use"}).json()["value"]
    return [(e["actor"], e["resource"]) for e in entries]


def test_succeeds_when_referenced_and_in_the_access_policies(
        services: Services, upstream: Recorder, mailer: httpx.Client) -> None:
    WorkflowIdentities(services.db).put("wf", {"mailer": "mail1"})
    assert mailer.put("/v1/connections/mail1/access-policies/wf@workflows").status_code == 200
    result = send(services, {"mailer": "mail1"})
    assert (result.status, result.code) == ("Succeeded", "OK"), result.error
    assert [(s["method"], s["path"]) for s in upstream.seen] == [("POST", "/v2/Mail")]
    seen = upstream.seen[0]
    assert json.loads(seen["body"]) == {"To": "a@example.net"}
    assert seen["headers"]["x-api-key"] == KEY
    assert seen["headers"]["x-ms-workflow-operation-name"] == "Send_mail"
    assert result.outputs["statusCode"] == 200
    assert KEY not in json.dumps(result.inputs)


def test_refused_when_the_principal_is_not_in_the_access_policies(
        services: Services, upstream: Recorder, mailer: httpx.Client) -> None:
    WorkflowIdentities(services.db).put("wf", {"mailer": "mail1"})
    result = send(services, {"mailer": "mail1"})
    assert (result.status, result.code) == ("Failed", "Forbidden")
    assert result.outputs["statusCode"] == 403
    assert upstream.seen == []
    assert denials(mailer) == [("wf@workflows", "connections/mail1")]


def test_refused_when_the_workflow_does_not_reference_the_connection(
        services: Services, upstream: Recorder, mailer: httpx.Client) -> None:
    # Named in the policies, but its stored definition references another connection.
    WorkflowIdentities(services.db).put("wf", {"other": "mail2"})
    assert mailer.put("/v1/connections/mail1/access-policies/wf@workflows").status_code == 200
    result = send(services, {"mailer": "mail1"})
    assert (result.status, result.code) == ("Failed", "Forbidden")
    assert result.error["message"] == \
        "workflow 'wf@workflows' does not reference connection 'mail1'"
    assert upstream.seen == []
    assert denials(mailer) == [("wf@workflows", "connections/mail1")]


def test_power_platform_defaults_are_filled_for_an_api_connection(
        services: Services, upstream: Recorder, corpus: Path) -> None:
    # BulkSMS as published: a required query parameter with a default, an internal body
    # property and a required one with defaults; the action sends neither.
    spec = json.loads((corpus / "powerplatform/certified-connectors/BulkSMS"
                       / "apiDefinition.swagger.json").read_text())
    spec.update(host=upstream.url.removeprefix("http://"), schemes=["http"])
    with gateway_with_connection(services, "bulksms", spec, "sms1",
                                 {"username": "u", "password": "p"}) as owner:
        assert owner.put("/v1/connections/sms1/access-policies/wf@workflows"
                         ).status_code == 200
    WorkflowIdentities(services.db).put("wf", {"sms": "sms1"})
    upstream.seen.clear()
    action = {"type": "ApiConnection", "inputs": {
        "host": {"connection": {"referenceName": "sms"}}, "method": "post",
        "path": "/v1/messages", "body": {"to": "+441", "body": "hi"}}}
    context = Context.for_handler(ApiConnection(), action, services=services,
                                  version=version({"sms": "sms1"}), name="Send_SMS")
    result = with_data_plane(services, lambda: ApiConnection().run(context))
    assert isinstance(result, ActionResult)
    assert result.status == "Succeeded", result.error
    [seen] = upstream.seen
    assert seen["query"] == "auto-unicode=true"
    assert json.loads(seen["body"]) == {"to": "+441", "body": "hi",
                                        "userSuppliedId": "BLKTM.GWPF.01.00.00",
                                        "longMessageMaxParts": 10}


def test_an_unknown_reference_fails_before_any_call(services: Services,
                                                    upstream: Recorder) -> None:
    result = send(services, {})
    assert (result.status, result.code) == ("Failed", "ConnectionNotFound")
    assert upstream.seen == []


def test_a_reference_chosen_at_run_time_among_the_connections() -> None:
    host = {"connection": {"name": "@parameters('$connections')[concat('sb_', "
                                   "string(add(1, 1)))]['connectionId']"}}
    action = {"type": "ApiConnection", "inputs": {"host": host, "method": "get",
                                                  "path": "/x"}}
    assert ApiConnection().validate(action, "/actions/A") == []
    context = Context.for_handler(ApiConnection(), action,
                                  version=version({"sb_1": "c1", "sb_2": "c2"}))
    assert resolve_reference(context, host) == "sb_2"
    assert resolve_reference(Context.for_handler(ApiConnection(), action,
                                                 version=version({})), host) is None


def test_references_in_both_forms_and_deploy_checks() -> None:
    assert reference_name({"connection": {"referenceName": "sf"}}) == "sf"
    assert reference_name({"connection": {
        "name": "@parameters('$connections')['office365']['connectionId']"}}) == "office365"
    findings = ApiConnection().validate({"type": "ApiConnection", "inputs": {"host": {}}},
                                        "/actions/A")
    assert sorted(f.pointer for f in findings) == ["/actions/A/inputs", "/actions/A/inputs",
                                                   "/actions/A/inputs/host"]


class Echoing:
    """A built-in connector for the test: echoes its parameters, fails on demand."""

    id = "/serviceProviders/testEcho"
    display_name = "Test echo"
    connection_parameters: Mapping[str, Any] = {}

    def operations(self) -> Mapping[str, ProviderOperation]:
        return {"echo": ProviderOperation("echo", "Echo")}

    async def invoke(self, operation_id: str, connection: Mapping[str, Any],
                     parameters: Mapping[str, Any]) -> Any:
        if parameters.get("fail"):
            raise PortwayError("the echo was asked to fail", code="EchoFailed")
        return {"body": {"parameters": dict(parameters), "where": connection.get("where")}}


def test_service_provider_dispatch_and_deploy_findings(services: Services) -> None:
    register_provider(Echoing())
    action = {"type": "ServiceProvider", "inputs": {
        "parameters": {"text": "@concat('hi', '!')"},
        "serviceProviderConfiguration": {"connectionName": "echo1", "operationId": "echo",
                                         "serviceProviderId": "/serviceProviders/testEcho"}}}
    known = WorkflowVersion(workflow="wf", version="v1", definition={},
                            service_provider_connections={
                                "echo1": {"serviceProvider": {"id": Echoing.id},
                                          "parameterValues": {"where": "here"}}})
    result = asyncio.run(ServiceProvider().run(Context(action, version=known,
                                                       services=services)))
    assert isinstance(result, ActionResult)
    assert result.outputs == {"body": {"parameters": {"text": "hi!"}, "where": "here"}}
    assert result.inputs == {  # the run record shows what the action was given
        "parameters": {"text": "hi!"},
        "serviceProviderConfiguration": action["inputs"]["serviceProviderConfiguration"]}
    assert "where" not in str(result.inputs)  # the connection's values are not shown
    failing = {**action, "inputs": {**action["inputs"], "parameters": {"fail": True}}}
    result = asyncio.run(ServiceProvider().run(Context(failing, version=known,
                                                       services=services)))
    assert isinstance(result, ActionResult)
    assert (result.status, result.code) == ("Failed", "EchoFailed")
    assert result.inputs["parameters"] == {"fail": True}
    assert ServiceProvider().validate(action, "/actions/S") == []
    unknown = {"type": "ServiceProvider", "inputs": {"serviceProviderConfiguration": {
        "connectionName": "c", "operationId": "nope",
        "serviceProviderId": "/serviceProviders/testEcho"}}}
    assert [f.pointer for f in ServiceProvider().validate(unknown, "/actions/S")] == [
        "/actions/S/inputs/serviceProviderConfiguration/operationId"]
    unknown["inputs"]["serviceProviderConfiguration"]["serviceProviderId"] = "/x/sql"
    assert [f.pointer for f in ServiceProvider().validate(unknown, "/actions/S")] == [
        "/actions/S/inputs/serviceProviderConfiguration/serviceProviderId"]


def jobs_swagger(base: str) -> dict[str, Any]:
    spec = mail_swagger(base)
    spec["info"]["title"] = "Jobs"
    spec["paths"] = {
        "/job": {"post": {"operationId": "StartJob",
                          "responses": {"202": {"description": "started"}}}},
        "/job/status": {"get": {"operationId": "JobStatus",
                                "responses": {"200": {"description": "done"}}}}}
    return spec


START = {"type": "ApiConnection", "inputs": {
    "host": {"connection": {"referenceName": "jobs"}}, "method": "post", "path": "/job"}}


@pytest.fixture
def jobs(services: Services, upstream: Recorder) -> Iterator[Context]:
    """A gateway with connector ``jobs`` and connection ``jobs1`` the workflow may use;
    yields the context of an ApiConnection action that starts a job."""
    with gateway_with_connection(services, "jobs", jobs_swagger(upstream.url), "jobs1",
                                 {"api_key": KEY}) as owner:
        assert owner.put("/v1/connections/jobs1/access-policies/wf@workflows"
                         ).status_code == 200
    WorkflowIdentities(services.db).put("wf", {"jobs": "jobs1"})
    upstream.seen.clear()
    yield Context.for_handler(ApiConnection(), START, services=services,
                              version=version({"jobs": "jobs1"}), name="Start_job")


def test_a_202_with_location_polls_the_location_on_the_same_connection_until_done(
        services: Services, upstream: Recorder, jobs: Context) -> None:
    handler = ApiConnection()
    first = with_data_plane(services, lambda: handler.run(jobs))
    assert isinstance(first, Suspend)  # Retry-After: 3
    assert first.until == jobs.now() + timedelta(seconds=3)
    assert first.state == {"location": "/job/status", "polls": 1}
    second = with_data_plane(services, lambda: handler.resume(jobs, first.state))
    assert isinstance(second, Suspend)  # no Retry-After: Logic Apps' 20 seconds
    assert second.until == jobs.now() + timedelta(seconds=20)
    done = with_data_plane(services, lambda: handler.resume(jobs, second.state))
    assert isinstance(done, ActionResult)
    assert (done.status, done.code, done.outputs["body"]) == ("Succeeded", "OK",
                                                              {"done": True})
    assert [(s["method"], s["path"]) for s in upstream.seen] == [
        ("POST", "/job"), ("GET", "/job/status"), ("GET", "/job/status")]
    # Every poll went through the pipeline: the connection's credential, the workflow's
    # headers.
    assert all(s["headers"]["x-api-key"] == KEY for s in upstream.seen)
    assert all(s["headers"]["x-ms-workflow-operation-name"] == "Start_job"
               for s in upstream.seen)


def test_a_location_on_another_host_is_polled_by_its_path_on_the_connection(
        services: Services, upstream: Recorder, jobs: Context) -> None:
    state = {"location": "http://198.51.100.7/job/status?token=x", "polls": 1}
    result = with_data_plane(services, lambda: ApiConnection().resume(jobs, state))
    assert isinstance(result, Suspend)  # the recorder's first status poll is a 202
    assert [(s["method"], s["path"]) for s in upstream.seen] == [("GET", "/job/status")]


def test_disable_async_pattern_keeps_an_api_connection_202(
        services: Services, upstream: Recorder, jobs: Context) -> None:
    action = dict(START, operationOptions="DisableAsyncPattern")
    context = Context.for_handler(ApiConnection(), action, services=services,
                                  version=version({"jobs": "jobs1"}), name="Start_job")
    result = with_data_plane(services, lambda: ApiConnection().run(context))
    assert isinstance(result, ActionResult)
    assert (result.status, result.code) == ("Succeeded", "Accepted")
    assert result.outputs["headers"]["location"] == "/job/status"
