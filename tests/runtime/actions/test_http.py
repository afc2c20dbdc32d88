"""The Http action against a real upstream on loopback, through the egress guard."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from gateway.services import Services, build_services
from runtime.actions.base import ActionResult, Suspend
from runtime.actions.http import Http
from tests.gateway.conftest import make_settings
from tests.runtime.actions.conftest import Recorder, basic, with_data_plane
from tests.runtime.actions.context import Context


def call(services: Services, action: dict[str, Any], **kwargs: Any
         ) -> tuple[ActionResult | Suspend, Context]:
    context = Context(action, services=services, **kwargs)
    result = with_data_plane(services, lambda: Http().run(context))
    return result, context


def http(inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "Http", "inputs": inputs, **extra}


def test_get_with_queries_headers_cookie_and_workflow_headers(
        services: Services, upstream: Recorder) -> None:
    result, _ = call(services, http({
        "method": "get", "uri": f"{upstream.url}/items?x=1",
        "queries": {"q": "a b", "n": 2}, "headers": {"X-Custom": "yes", "X-Num": 5},
        "cookie": "session=abc"}), name="Get_Items")
    assert isinstance(result, ActionResult)
    assert (result.status, result.code) == ("Succeeded", "OK")
    seen = upstream.seen[0]
    assert (seen["method"], seen["path"], seen["query"]) == ("GET", "/items", "x=1&q=a+b&n=2")
    headers = seen["headers"]
    assert (headers["x-custom"], headers["x-num"], headers["cookie"]) == ("yes", "5",
                                                                          "session=abc")
    assert headers["x-ms-workflow-name"] == "wf"
    assert headers["x-ms-workflow-run-id"] == "run-1"
    assert headers["x-ms-workflow-operation-name"] == "Get_Items"
    assert result.outputs["statusCode"] == 200
    assert result.outputs["body"]["path"] == "/items"
    assert result.outputs["headers"]["content-type"] == "application/json"


@pytest.mark.parametrize(("body", "given", "sent", "media"), [
    ({"b": 1, "a": None}, {}, b'{"b":1,"a":null}', "application/json; charset=utf-8"),
    ({"b": 1}, {"Content-Type": "application/json"}, b'{"b":1}', "application/json"),
    ("some text", {}, b"some text", "text/plain; charset=utf-8"),
    ({"$content-type": "image/png", "$content": "iVBORw=="}, {}, b"\x89PNG", "image/png"),
])
def test_bodies_are_sent_as_logic_apps_sends_them(services: Services, upstream: Recorder,
                                                  body: Any, given: dict[str, str],
                                                  sent: bytes, media: str) -> None:
    call(services, http({"method": "POST", "uri": f"{upstream.url}/post", "body": body,
                         "headers": given}))
    assert upstream.seen[0]["body"] == sent
    assert upstream.seen[0]["headers"]["content-type"] == media


def test_answers_become_text_binary_or_no_body(services: Services,
                                               upstream: Recorder) -> None:
    text, _ = call(services, http({"method": "GET", "uri": f"{upstream.url}/text"}))
    assert isinstance(text, ActionResult) and text.outputs["body"] == "plain words"
    binary, _ = call(services, http({"method": "GET", "uri": f"{upstream.url}/binary"}))
    assert isinstance(binary, ActionResult)
    assert bytes(binary.outputs["body"]) == b"\x89PNG\x00"
    assert binary.outputs["body"].content_type == "image/png"
    empty, _ = call(services, http({"method": "GET", "uri": f"{upstream.url}/empty"}))
    assert isinstance(empty, ActionResult) and "body" not in empty.outputs


@pytest.mark.parametrize(("status", "code", "retryable", "after"), [
    (404, "NotFound", False, None), (400, "BadRequest", False, None),
    (500, "InternalServerError", True, None), (503, "ServiceUnavailable", True, 7.0),
    (429, "TooManyRequests", True, 7.0), (408, "RequestTimeout", True, None),
])
def test_failure_statuses(services: Services, upstream: Recorder, status: int, code: str,
                          retryable: bool, after: float | None) -> None:
    result, _ = call(services, http({"method": "GET", "uri": f"{upstream.url}/status/{status}"}))
    assert isinstance(result, ActionResult)
    assert (result.status, result.code, result.retryable, result.retry_after) == (
        "Failed", code, retryable, after)
    assert result.error is not None and result.error["code"] == code
    assert result.outputs["statusCode"] == status
    assert result.outputs["body"] == {"error": f"status {status}"}


def test_basic_and_raw_authentication_and_sanitized_inputs(services: Services,
                                                            upstream: Recorder) -> None:
    result, _ = call(services, http({"method": "GET", "uri": f"{upstream.url}/a",
                                     "authentication": {"type": "Basic", "username": "u",
                                                        "password": "pw"}}))
    assert upstream.seen[0]["headers"]["authorization"] == basic("u", "pw")
    assert isinstance(result, ActionResult)
    assert result.inputs["authentication"] == {"type": "Basic", "username": "u",
                                               "password": "*sanitized*"}
    assert "pw" not in json.dumps(result.inputs)
    call(services, http({"method": "GET", "uri": f"{upstream.url}/b",
                         "authentication": {"type": "Raw", "value": "Key abc"}}))
    assert upstream.seen[1]["headers"]["authorization"] == "Key abc"


def test_managed_identity_is_refused_before_any_byte(services: Services,
                                                     upstream: Recorder) -> None:
    result, _ = call(services, http({"method": "GET", "uri": f"{upstream.url}/a",
                                     "authentication": {"type": "ManagedServiceIdentity"}}))
    assert isinstance(result, ActionResult)
    assert (result.status, result.code) == ("Failed", "AuthenticationNotSupported")
    assert upstream.seen == []


def test_active_directory_oauth_fetches_a_token_through_the_guard(
        services: Services, upstream: Recorder) -> None:
    # The echo route answers the token request; it has no access_token, so the action
    # fails clearly, after asking the configured authority (and nothing else).
    result, _ = call(services, http({"method": "GET", "uri": f"{upstream.url}/api",
                                     "authentication": {
                                         "type": "ActiveDirectoryOAuth", "tenant": "t1",
                                         "audience": "https://api", "clientId": "c",
                                         "secret": "s3", "authority": upstream.url}}))
    assert isinstance(result, ActionResult)
    assert (result.status, result.code) == ("Failed", "Unauthorized")
    assert [s["path"] for s in upstream.seen] == ["/t1/oauth2/token"]
    assert b"client_secret=s3" in upstream.seen[0]["body"]
    assert "s3" not in json.dumps(result.inputs)


def test_the_egress_guard_refuses_what_policy_does_not_allow(services: Services) -> None:
    result, _ = call(services, http({"method": "GET", "uri": "http://10.255.255.1/x"}))
    assert isinstance(result, ActionResult)
    assert (result.status, result.code) == ("Failed", "EgressDenied")


def test_202_with_location_suspends_and_polls_until_done(services: Services,
                                                         upstream: Recorder) -> None:
    action = http({"method": "POST", "uri": f"{upstream.url}/job", "body": {"go": 1}})
    first, context = call(services, action)
    assert isinstance(first, Suspend)
    assert first.until == context.now() + timedelta(seconds=3)
    assert first.state["location"] == f"{upstream.url}/job/status"
    handler = Http()
    second = with_data_plane(services, lambda: handler.resume(context, first.state))
    assert isinstance(second, Suspend)
    assert second.until == context.now() + timedelta(seconds=20)  # no Retry-After
    done = with_data_plane(services, lambda: handler.resume(context, second.state))
    assert isinstance(done, ActionResult)
    assert (done.status, done.outputs["body"]) == ("Succeeded", {"done": True})
    polls = [s for s in upstream.seen if s["path"] == "/job/status"]
    assert [p["method"] for p in polls] == ["GET", "GET"]
    assert all(p["headers"]["x-ms-workflow-run-id"] == "run-1" for p in polls)


def test_disable_async_pattern_keeps_the_202(services: Services, upstream: Recorder) -> None:
    result, _ = call(services, http({"method": "POST", "uri": f"{upstream.url}/job"},
                                    operationOptions="DisableAsyncPattern"))
    assert isinstance(result, ActionResult)
    assert (result.status, result.code) == ("Succeeded", "Accepted")
    assert result.outputs["headers"]["location"] == "/job/status"


def test_chunked_download_joins_the_ranges(services: Services, upstream: Recorder) -> None:
    chunked = {"contentTransfer": {"transferMode": "Chunked"}}
    result, _ = call(services, http({"method": "GET", "uri": f"{upstream.url}/ranged"},
                                    runtimeConfiguration=chunked))
    assert isinstance(result, ActionResult)
    assert (result.status, result.outputs["statusCode"]) == ("Succeeded", 200)
    assert result.outputs["body"] == upstream.data.decode()
    assert len(upstream.seen) == 3


def test_chunked_upload_sends_patches_with_content_ranges(services: Services,
                                                          upstream: Recorder) -> None:
    chunked = {"contentTransfer": {"transferMode": "Chunked"}}
    result, _ = call(services, http({"method": "POST", "uri": f"{upstream.url}/upload",
                                     "body": "abcdefghij"}, runtimeConfiguration=chunked))
    assert isinstance(result, ActionResult) and result.status == "Succeeded"
    start = upstream.seen[0]
    assert (start["headers"]["x-ms-transfer-mode"], start["headers"]["x-ms-content-length"],
            start["body"]) == ("chunked", "10", b"")
    assert upstream.chunks == [("bytes 0-3/10", b"abcd"), ("bytes 4-7/10", b"efgh"),
                               ("bytes 8-9/10", b"ij")]


def test_deploy_checks() -> None:
    findings = Http().validate(http({"method": "FETCH", "headers": [],
                                     "authentication": {"type": "Kerberos"}},
                                    runtimeConfiguration={
                                        "contentTransfer": {"transferMode": "Fast"}}),
                               "/actions/H")
    assert sorted(f.pointer for f in findings) == [
        "/actions/H/inputs", "/actions/H/inputs/authentication/type",
        "/actions/H/inputs/headers", "/actions/H/inputs/method",
        "/actions/H/runtimeConfiguration/contentTransfer/transferMode"]


def test_a_chunked_download_is_bounded_like_any_answer(tmp_path: Any,
                                                       upstream: Recorder) -> None:
    small = build_services(make_settings(tmp_path, f"sqlite:///{tmp_path / 'small.db'}",
                                         egress={"allow": ("127.0.0.1/32",),
                                                 "max_response_bytes": 20}))
    try:
        result, _ = call(small, http({"method": "GET", "uri": f"{upstream.url}/ranged"},
                                     runtimeConfiguration={
                                         "contentTransfer": {"transferMode": "Chunked"}}))
    finally:
        small.db.dispose()
    assert isinstance(result, ActionResult)
    assert (result.status, result.code) == ("Failed", "PayloadTooLarge")
    assert len(upstream.seen) == 2
