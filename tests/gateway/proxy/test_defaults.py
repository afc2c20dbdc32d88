"""Power Platform defaults: internal and required inputs a caller leaves out get their
``default`` as Power Automate sends them, on both data-plane entries, with real corpus
connectors in front of a loopback upstream that records what reached it; validation
errors point at the field."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.proxy.defaults import (
    fill_value,
    fills_parameter,
    operation_defaults,
    without_filled_required,
)
from importers import Connector, ImportResult, Operation, Parameter, import_sources
from tests.gateway.conftest import RunningGateway
from tests.support.servers import serve_in_thread

FUNCTION_KEY = "ZeBVvhUSY/fpGA2uJTOKvIRTYkNXNQEl2TaHJO9Wq39wQB8ZXdYPWA=="


@dataclass
class Recorder:
    url: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    recorder = Recorder()

    async def record(request: Request) -> JSONResponse:
        recorder.seen.append({
            "method": request.method, "path": request.url.path,
            "query": list(request.query_params.multi_items()),
            "headers": dict(request.headers), "body": (await request.body()).decode()})
        return JSONResponse({"ok": True}, status_code=201)

    app = Starlette(routes=[Route("/{path:path}", record,
                                  methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])
    with serve_in_thread(app) as url:
        recorder.url = url
        yield recorder


def corpus_connector(corpus: Path, folder: str, connector_id: str, base_url: str
                     ) -> Connector:
    """A corpus connector, imported as published, pointed at the loopback upstream."""
    [result] = list(import_sources([str(corpus / "powerplatform" / folder)],
                                   connector_id=connector_id))
    assert result.connector is not None, result.findings
    result.connector.base_url = base_url
    return result.connector


def connect(gateway: RunningGateway, connector: Connector, connection: str,
            parameters: dict[str, Any]) -> None:
    gateway.services.connectors.save(connector, source="test")
    with gateway.client() as client:
        made = client.put(f"/v1/connections/{connection}",
                          json={"connector": connector.id, "parameters": parameters})
    assert made.status_code == 201, made.text


@pytest.fixture
def bulksms(gateway: RunningGateway, recorder: Recorder, corpus: Path) -> str:
    connect(gateway, corpus_connector(corpus, "certified-connectors/BulkSMS", "bulksms",
                                      recorder.url), "sms",
            {"username": "u", "password": "p"})
    recorder.seen.clear()
    return "sms"


def test_an_internal_body_property_and_required_defaults_are_filled_on_apim(
        gateway: RunningGateway, recorder: Recorder, bulksms: str) -> None:
    with gateway.client() as client:
        sent = client.post("/apim/bulksms/sms/v1/messages", json={"to": "+441", "body": "hi"})
    assert sent.status_code == 201, sent.text
    [seen] = recorder.seen
    assert seen["query"] == [("auto-unicode", "true")]  # required, default true
    # userSuppliedId is internal (hidden in Power Automate), longMessageMaxParts required;
    # the optional "from" is not invented, and the object's sample default is not used.
    assert json.loads(seen["body"]) == {"to": "+441", "body": "hi",
                                        "userSuppliedId": "BLKTM.GWPF.01.00.00",
                                        "longMessageMaxParts": 10}
    assert seen["headers"]["content-length"] == str(len(seen["body"].encode()))


def test_the_same_defaults_are_filled_for_a_call_by_operation_id(
        gateway: RunningGateway, recorder: Recorder, bulksms: str) -> None:
    with gateway.client() as client:
        sent = client.post("/v1/connections/sms/operations/SendSmsMessage",
                           json={"body": {"to": "+441", "body": "hi"}})
    assert sent.status_code == 201, sent.text
    [seen] = recorder.seen
    assert seen["query"] == [("auto-unicode", "true")]
    assert json.loads(seen["body"])["userSuppliedId"] == "BLKTM.GWPF.01.00.00"
    assert json.loads(seen["body"])["longMessageMaxParts"] == 10


def test_what_the_caller_sends_wins_over_a_default(
        gateway: RunningGateway, recorder: Recorder, bulksms: str) -> None:
    body = {"to": "+441", "body": "hi", "userSuppliedId": "mine", "longMessageMaxParts": 2}
    with gateway.client() as client:
        by_path = client.post("/apim/bulksms/sms/v1/messages",
                              params={"auto-unicode": "false"}, json=body)
        by_id = client.post("/v1/connections/sms/operations/SendSmsMessage",
                            json={"auto-unicode": False, "body": body})
    assert (by_path.status_code, by_id.status_code) == (201, 201)
    for seen in recorder.seen:
        assert seen["query"] == [("auto-unicode", "false")]
        assert json.loads(seen["body"]) == body


def test_a_validation_error_points_at_the_missing_field(
        gateway: RunningGateway, recorder: Recorder, bulksms: str) -> None:
    with gateway.client() as client:
        by_path = client.post("/apim/bulksms/sms/v1/messages", json={"body": "hi"})
        by_id = client.post("/v1/connections/sms/operations/SendSmsMessage",
                            json={"body": {"to": 7, "body": "hi"}})
        unknown = client.post("/v1/connections/sms/operations/SendSmsMessage",
                              json={"body": {"to": "+441", "body": "hi"}, "tpyo": 1})
    assert by_path.status_code == 400
    assert [(d["in"], d["pointer"]) for d in by_path.json()["error"]["details"]] == [
        ("body", "/to")]
    assert by_id.status_code == 400
    assert [(d["in"], d["pointer"]) for d in by_id.json()["error"]["details"]] == [
        ("body", "/to")]
    assert unknown.status_code == 400
    assert [d["pointer"] for d in unknown.json()["error"]["details"]] == ["/tpyo"]
    assert recorder.seen == []  # nothing was sent


def test_internal_query_and_header_parameters_are_filled(
        gateway: RunningGateway, recorder: Recorder, corpus: Path) -> None:
    connect(gateway, corpus_connector(corpus, "certified-connectors/DBF2XML", "dbf2xml",
                                      recorder.url), "dbf", {})
    recorder.seen.clear()
    body = {"conten_type": "x", "encoding": "utf-8"}
    with gateway.client() as client:
        by_id = client.post("/v1/connections/dbf/operations/Dbf2XmlConvert",
                            json={"body": body})
        by_path = client.post("/apim/dbf2xml/dbf/api/DBF2XML", json=body)
    assert (by_id.status_code, by_path.status_code) == (201, 201), by_id.text
    for seen in recorder.seen:
        # The function key a published connector hides as an internal query parameter.
        assert seen["query"] == [("code", FUNCTION_KEY)]
        assert seen["headers"]["content-type"] == "application/json"
        assert json.loads(seen["body"]) == body


def test_required_path_parameters_take_their_defaults_by_operation_id(
        gateway: RunningGateway, recorder: Recorder, corpus: Path) -> None:
    connect(gateway, corpus_connector(corpus, "independent-publisher-connectors/HTTP Garden",
                                      "garden", recorder.url), "garden", {})
    recorder.seen.clear()
    with gateway.client() as client:
        answer = client.post("/v1/connections/garden/operations/StatusGet", json={})
        chosen = client.post("/v1/connections/garden/operations/StatusGet",
                             json={"code": 404})
    assert (answer.status_code, chosen.status_code) == (201, 201), answer.text
    paths = [seen["path"] for seen in recorder.seen]
    assert paths[0].startswith("/200.") and paths[1].startswith("/404.")


def test_optional_inputs_that_are_not_internal_are_never_filled() -> None:
    operation = Operation(operation_id="o", method="POST", path="/o", parameters=[
        Parameter(name="page", location="query", default=1),
        Parameter(name="hidden", location="query", default="h", visibility="internal"),
        Parameter(name="needed", location="header", required=True, default="n"),
        Parameter(name="nothing", location="query", required=True),
        Parameter(name="body", location="body", json_schema={
            "type": "object", "required": ["inner"], "properties": {
                "optional": {"type": "string", "default": "o"},
                "inner": {"type": "object", "properties": {
                    "kind": {"type": "string", "default": "k", "x-ms-visibility": "internal"},
                }},
                "items": {"type": "array", "items": {
                    "type": "object", "required": ["n"],
                    "properties": {"n": {"type": "integer", "default": 1}}}},
            }})])
    defaults = operation_defaults(operation)
    assert [(p.name, p.value) for p in defaults.parameters] == [("hidden", "h"),
                                                                ("needed", "n")]
    assert defaults.body_schema is not None
    assert fill_value(defaults.body_schema, {"items": [{}, {"n": 5}]}) == {
        "inner": {"kind": "k"}, "items": [{"n": 1}, {"n": 5}]}
    assert fill_value(defaults.body_schema, {"inner": None}) == {"inner": None}
    assert defaults.fill_arguments({"hidden": None}) == {"hidden": None, "needed": "n"}


def test_what_is_filled_is_not_required_of_a_caller() -> None:
    schema: dict[str, Any] = {"type": "object", "required": ["to", "meta", "kind"],
                              "properties": {
        "to": {"type": "string"},
        "kind": {"type": "string", "default": "sms"},
        "meta": {"type": "object", "required": ["source"], "properties": {
            "source": {"type": "string", "default": "portway"}}}}}
    without_filled_required(schema)
    assert schema["required"] == ["to"]
    assert "required" not in schema["properties"]["meta"]
    assert fills_parameter({"name": "v", "in": "query", "required": True,
                            "schema": {"type": "string", "default": "1"}})
    assert not fills_parameter({"name": "id", "in": "path", "required": True, "default": 1})
    assert not fills_parameter({"name": "page", "in": "query", "default": 1})


def test_a_hostile_body_gets_the_error_validation_gives_and_nothing_is_sent(
        gateway: RunningGateway, recorder: Recorder, bulksms: str) -> None:
    deep = b'{"to": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    with gateway.client() as client:
        too_deep = client.post("/apim/bulksms/sms/v1/messages", content=deep,
                               headers={"content-type": "application/json"})
        not_json = client.post("/apim/bulksms/sms/v1/messages", content=b"{nope",
                               headers={"content-type": "application/json"})
        untouched = client.post("/apim/bulksms/sms/v1/messages", content=(
            b'{ "to": "+441",  "body": "hi", "userSuppliedId": "x", '
            b'"longMessageMaxParts": 1 }'), headers={"content-type": "application/json"})
    assert (too_deep.status_code, not_json.status_code) == (400, 400)
    assert untouched.status_code == 201
    # Nothing to fill: the caller's bytes go on exactly as sent.
    assert [seen["body"] for seen in recorder.seen] == [
        '{ "to": "+441",  "body": "hi", "userSuppliedId": "x", "longMessageMaxParts": 1 }']


@pytest.mark.corpus
def test_every_corpus_operation_works_out_its_defaults(
        corpus_imports: Callable[[str], list[ImportResult]]) -> None:
    filled_operations = 0
    for result in corpus_imports("powerplatform"):
        for operation in result.connector.operations if result.connector else []:
            defaults = operation_defaults(operation)
            arguments = defaults.fill_arguments({})
            json.dumps(arguments)  # plain JSON, whatever the spec wrote
            assert set(arguments) <= {p.name for p in operation.parameters}
            filled_operations += not defaults.empty
    # 3,093 operations of 416 connectors on the development machine's corpus.
    assert filled_operations > 2000
