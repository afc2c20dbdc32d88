"""The Response action: status, headers and the exact bytes Logic Apps sends."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from runtime.actions.base import ActionResult
from runtime.actions.response import (
    Response,
    has_asynchronous_response,
    render,
    response_of_run,
)
from runtime.engine.interface import ResponseRecord
from tests.runtime.actions.context import Context


def respond(inputs: dict[str, Any], **kwargs: Any) -> tuple[ActionResult, ResponseRecord]:
    context = Context({"type": "Response", "kind": "Http", "inputs": inputs}, **kwargs)
    result = asyncio.run(Response().run(context))
    assert isinstance(result, ActionResult)
    assert len(context.responses) == 1
    return result, context.responses[0]


@pytest.mark.parametrize(("body", "data", "media"), [
    ("Hello from Logic Apps!", b"Hello from Logic Apps!", "text/plain; charset=utf-8"),
    ("caf\u00e9", "caf\u00e9".encode(), "text/plain; charset=utf-8"),
    ({"b": 1, "a": [1.5, None, True]}, b'{"b":1,"a":[1.5,null,true]}',
     "application/json; charset=utf-8"),
    ([1, 2], b"[1,2]", "application/json; charset=utf-8"),
    (42, b"42", "application/json; charset=utf-8"),
    (False, b"false", "application/json; charset=utf-8"),
    ({"$content-type": "image/png", "$content": "iVBORw=="}, b"\x89PNG", "image/png"),
])
def test_body_bytes_and_content_type(body: Any, data: bytes, media: str) -> None:
    _, record = respond({"statusCode": 200, "body": body})
    assert (record.status, record.body) == (200, data)
    assert list(record.headers) == [("Content-Type", media)]


def test_no_body_sends_no_bytes_and_no_content_type() -> None:
    _, record = respond({"statusCode": 204})
    assert (record.status, record.body, list(record.headers)) == (204, b"", [])


def test_interpolated_objects_are_compact_json_text() -> None:
    _, record = respond({"statusCode": 200, "body": "got @{variables('o')}"},
                        variables={"o": {"a": 1, "b": "x"}})
    assert record.body == b'got {"a":1,"b":"x"}'


def test_definition_headers_and_a_status_given_as_text() -> None:
    result, record = respond({"statusCode": "@string(500)",
                              "headers": {"Content-Type": "application/json", "X-N": 3},
                              "body": {"k": "v"}})
    assert record.status == 500
    assert list(record.headers) == [("Content-Type", "application/json"), ("X-N", "3")]
    assert record.body == b'{"k":"v"}'
    assert result.outputs == {"statusCode": 500, "headers": {
        "Content-Type": "application/json", "X-N": 3}, "body": {"k": "v"}}


def test_render_rebuilds_the_answer_from_the_recorded_outputs() -> None:
    result, record = respond({"statusCode": 201, "body": "made"})
    assert render(result.outputs) == record


def test_a_status_that_is_not_http_fails() -> None:
    context = Context({"type": "Response", "inputs": {"statusCode": 99, "body": "x"}})
    result = asyncio.run(Response().run(context))
    assert isinstance(result, ActionResult)
    assert (result.status, result.code, context.responses) == ("Failed", "InvalidTemplate",
                                                               [])


def test_deploy_checks() -> None:
    handler = Response()
    assert [f.pointer for f in handler.validate({"inputs": {}}, "/actions/R")] == [
        "/actions/R/inputs"]
    assert [f.pointer for f in handler.validate(
        {"inputs": {"statusCode": 700, "headers": []}}, "/actions/R")] == [
        "/actions/R/inputs/statusCode", "/actions/R/inputs/headers"]
    assert handler.validate({"inputs": {"statusCode": "@outputs('x')"}}, "/actions/R") == []


def test_asynchronous_responses_are_found_in_nested_branches() -> None:
    nested = {"If": {"type": "If", "actions": {}, "else": {"actions": {
        "R": {"type": "Response", "operationOptions": "Asynchronous"}}}}}
    assert has_asynchronous_response(nested) is True
    assert has_asynchronous_response({"R": {"type": "Response"}}) is False


def test_the_answer_of_a_run_from_its_record() -> None:
    result, record = respond({"statusCode": 202, "body": {"queued": True}})
    run = {"actions": {"Compose": {"type": "Compose", "status": "Succeeded", "outputs": 1},
                       "Later": {"type": "Response", "status": "Skipped", "outputs": None},
                       "Reply": {"type": "Response", "status": "Succeeded",
                                 "outputs": result.outputs}}}
    assert response_of_run(run) == record
    assert response_of_run({"actions": {"Reply": {"type": "Response",
                                                  "status": "Running"}}}) is None
