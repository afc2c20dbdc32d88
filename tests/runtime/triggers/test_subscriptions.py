"""The pieces of a webhook subscription: ``listCallbackUrl()`` put in place, the request
blocks read, and a connector's unsubscribe made from the subscribe's ``Location``."""

from __future__ import annotations

import pytest

from gateway import BadRequest
from gateway.expressions import DEFAULT, EvaluationContext, evaluate_value
from runtime.engine.interface import WorkflowVersion
from runtime.triggers.subscriptions import (
    action_permission,
    connection_request,
    http_request,
    unsubscribe_at_location,
    with_callback_url,
)

URL = "https://portway.test/api/wf/triggers/t/invoke?sp=%2Ftriggers%2Ft%2Frun&sig=a'b"


def test_list_callback_url_becomes_the_url_in_every_expression_form() -> None:
    block = {"whole": "@listCallbackUrl()", "inside": "Call @{listCallbackUrl()} back",
             "spaced": "@concat('<', listcallbackurl( ), '>')", "plain": "listCallbackUrl()",
             "escaped": "@@listCallbackUrl()", "list": ["@{listCallbackUrl()}"], "n": 3}
    replaced = with_callback_url(block, URL)
    value = evaluate_value(replaced, EvaluationContext(), DEFAULT)
    assert value == {"whole": URL, "inside": f"Call {URL} back", "spaced": f"<{URL}>",
                     "plain": "listCallbackUrl()", "escaped": "@listCallbackUrl()",
                     "list": [URL], "n": 3}


def test_an_http_block_needs_an_absolute_http_uri_and_a_method() -> None:
    assert http_request({"uri": "https://hooks.example/s", "body": {"a": 1}},
                        "subscribe") == {"kind": "http", "method": "POST",
                                         "uri": "https://hooks.example/s", "body": {"a": 1}}
    assert http_request({"method": "delete", "url": "http://h/x"}, "unsubscribe")[
        "method"] == "DELETE"
    for bad in ({"uri": "/relative"}, {"uri": "ftp://h/x"}, {"method": "FETCH", "uri": "http://h"},
                "not an object"):
        with pytest.raises(BadRequest):
            http_request(bad, "subscribe")


def test_a_connection_block_names_the_portway_connection_of_its_reference() -> None:
    version = WorkflowVersion(workflow="wf", version="v", definition={},
                              connection_references={"relay": "relay1"})
    host = {"connection": {"name": "@parameters('$connections')['relay']['connectionId']"}}
    assert connection_request(version, {"path": "/hooks", "body": {"u": URL}}, host) == {
        "kind": "connection", "connection": "relay1", "method": "POST", "path": "/hooks",
        "body": {"u": URL}}
    with pytest.raises(BadRequest, match="no connection reference 'other'"):
        connection_request(version, {"path": "/hooks"},
                           {"connection": {"referenceName": "other"}})


@pytest.mark.parametrize(("location", "path", "queries"), [
    ("https://relay.example/api/hooks/42", "/hooks/42", None),
    ("https://relay.example/hooks/42?v=2", "/hooks/42", {"v": "2"}),
    ("/hooks/7", "/hooks/7", None),
    ("https://relay.example/elsewhere/9", "/elsewhere/9", None),
])
def test_a_connector_unsubscribes_with_a_delete_of_the_location(
        location: str, path: str, queries: dict[str, str] | None) -> None:
    subscribe = {"kind": "connection", "connection": "relay1", "path": "/hooks"}
    request = unsubscribe_at_location(subscribe, {"headers": {"Location": location}})
    expected = {"kind": "connection", "connection": "relay1", "method": "DELETE",
                "path": path, **({"queries": queries} if queries else {})}
    assert request == expected


def test_no_location_no_unsubscribe() -> None:
    assert unsubscribe_at_location({"connection": "c", "path": "/h"}, {"headers": {}}) is None


def test_an_action_callback_grants_calling_back_and_reading_that_action_only() -> None:
    assert action_permission("0858R", "Wait#1") == (
        "/runs/0858R/actions/Wait#1/run,/runs/0858R/actions/Wait#1/read")
