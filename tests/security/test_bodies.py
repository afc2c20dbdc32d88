"""Hostile bodies through the real ``portway serve`` (issue 13, items 1 and 4).

Huge integers, deep nesting, malformed chunked framing and uploads cut short are the
caller's fault: a 400 in the one error shape (or nothing, for a caller that left), never
a 500, and whatever happens, the log holds neither the body's secret, nor the caller's
bearer token, nor any other principal's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.security.conftest import Served, items_spec, with_items_connection

SECRET = "sk-probe-secret-7f3a9c1d2e"
HUGE = "9" * 5000
DEEP = '{"a":' * 100_000 + "1" + "}" * 100_000


@pytest.fixture(scope="module")
def ready(served: Served) -> Iterator[Served]:
    yield with_items_connection(served, SECRET)


def bad_bodies() -> list[tuple[str, str, str]]:
    with_secret = ('{"connector": "items", "parameters": {"api_key": "' + SECRET + '"}, '
                   '"n": ' + HUGE + '}')
    return [
        ("PUT", "/v1/connections/x", with_secret),
        ("PUT", "/v1/connections/x", DEEP),
        ("PATCH", "/v1/connections/conn", '{"parameters": {"api_key": "' + SECRET + '", '
         '"n": ' + HUGE + '}}'),
        ("PATCH", "/v1/connections/conn", DEEP),
        ("POST", "/v1/tokens", '{"principal": "p", "n": ' + HUGE + '}'),
        ("POST", "/v1/tokens", DEEP),
        ("POST", "/v1/connections/conn/operations/GetItem", '{"id": ' + HUGE + '}'),
        ("POST", "/v1/connections/conn/operations/GetItem", DEEP),
        ("POST", "/v1/connections/conn/operations/GetItem", '{"id": NaN}'),
    ]


@pytest.mark.parametrize(("method", "path", "body"), bad_bodies(),
                         ids=lambda v: v[:40] if isinstance(v, str) else str(v))
def test_a_hostile_json_body_is_a_400_in_the_error_shape(
        ready: Served, method: str, path: str, body: str) -> None:
    with ready.client() as owner:
        answer = owner.request(method, path, content=body,
                               headers={"content-type": "application/json"})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["requestId"] == answer.headers["x-request-id"]
    assert SECRET not in answer.text


def test_a_principal_with_no_role_gets_a_400_not_a_500(ready: Served) -> None:
    nobody = ready.token("nobody", None)
    with ready.client(nobody) as client:
        answer = client.post("/v1/connections/conn/operations/GetItem", content=DEEP,
                             headers={"content-type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "BadRequest"


@pytest.mark.parametrize("body", ['{"id": ' + HUGE + "}", DEEP])
def test_apim_answers_a_hostile_json_body_in_the_error_shape(ready: Served, body: str
                                                              ) -> None:
    spec = items_spec(ready.upstream.url, title="Posts")
    spec["paths"]["/posts"] = {"post": {
        "operationId": "AddPost", "summary": "Add a post",
        "parameters": [{"name": "post", "in": "body", "required": True,
                        "schema": {"type": "object"}}],
        "responses": {"200": {"description": "ok"}}}}
    assert ready.put_connector("posts", spec).status_code in (200, 201)
    with ready.client() as owner:
        assert owner.put("/v1/connections/posting", json={
            "connector": "posts", "parameters": {"api_key": SECRET}}).status_code in (200, 201)
        seen = len(ready.upstream.seen)
        answer = owner.post("/apim/posts/posting/posts", content=body,
                            headers={"content-type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["error"]["requestId"] == answer.headers["x-request-id"]
    assert len(ready.upstream.seen) == seen  # nothing reached the upstream


def test_a_deep_body_does_not_hold_up_other_calls(ready: Served) -> None:
    wide_and_deep = ("[" * 120 + "0" + "]" * 120 + ",") * 3000
    body = '{"parameters": {"x": [' + wide_and_deep + '0]}}'
    with ready.client() as owner:
        started = time.perf_counter()
        answer = owner.patch("/v1/connections/conn", content=body,
                             headers={"content-type": "application/json"})
        elapsed = time.perf_counter() - started
    assert answer.status_code == 400, answer.text
    assert elapsed < 5


def test_a_malformed_chunked_body_and_a_cut_upload_leave_no_secret_in_the_log(
        ready: Served) -> None:
    auth = f"Authorization: Bearer {ready.owner}\r\n"
    start = ('{"connector": "items", "parameters": {"api_key": "' + SECRET + '"}').encode()
    ready.raw(("PUT /v1/connections/chunky HTTP/1.1\r\nHost: x\r\n" + auth
               + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
               ).encode() + b"%x\r\n" % len(start) + start + b"\r\nzz-not-a-size\r\n\r\n")
    ready.raw(("PUT /v1/connections/cut HTTP/1.1\r\nHost: x\r\n" + auth
               + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
               ).encode() + start, close_early=True)
    ready.raw(("PATCH /v1/connections/conn HTTP/1.1\r\nHost: x\r\n" + auth
               + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
               ).encode() + start, close_early=True)
    time.sleep(0.5)
    with ready.client() as owner:
        for name in ("chunky", "cut"):
            assert owner.get(f"/v1/connections/{name}").status_code == 404  # nothing stored
    log = ready.log()
    assert SECRET not in log
    assert ready.owner not in log
    assert "locals" not in log


def test_the_log_never_holds_a_secret_or_a_bearer_token(ready: Served) -> None:
    # Runs after the others in this module: everything they sent is in this log by now.
    httpx.get(ready.url + "/healthz")
    log = ready.log()
    assert SECRET not in log
    assert ready.owner not in log
    assert "Traceback" not in log
