"""The corpus mock server follows the README's mock rules."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.runtime.corpus.mock import LoggedRequest, MockRules, body_bytes, serve_mock


def request(method: str = "GET", path: str = "/", *, query: str = "",
            headers: tuple[tuple[str, str], ...] = (), body: bytes = b"") -> LoggedRequest:
    return LoggedRequest(method, path, query, headers, body)


def rule(match: dict[str, Any], status: int, **respond: Any) -> dict[str, Any]:
    return {"match": match, "respond": {"status": status, **respond}}


def test_rules_are_tried_in_order_and_the_first_match_answers() -> None:
    rules = MockRules.of({"rules": [
        rule({"path_any_of": [{"type": "exact", "value": "/a"}]}, 201),
        rule({}, 202),
    ], "default_response": {"status": 299}})
    assert rules.answer(request(path="/a")).status == 201
    assert rules.answer(request(path="/b")).status == 202


def test_default_response_answers_when_no_rule_matches() -> None:
    rules = MockRules.of({"rules": [rule({"methods_any_of": ["POST"]}, 201)],
                          "default_response": {"status": 204, "headers": {}, "body": None}})
    assert (rules.answer(request("GET")).status, rules.answer(request("GET")).body) == (204, b"")
    assert MockRules.of(None).answer(request()).status == 200


def test_any_of_lists_are_alternatives_and_criteria_all_hold() -> None:
    rules = MockRules.of({"rules": [rule({
        "methods_any_of": ["PUT", "PATCH"],
        "path_any_of": [{"type": "ends_with", "value": "/x"},
                        {"type": "contains", "value": "/mid/"}],
        "x-ms-workflow-operation-name_any_of": ["Upsert"],
    }, 201)]})
    op = (("x-ms-workflow-operation-name", "Upsert"),)
    assert rules.answer(request("patch", "/a/x", headers=op)).status == 201
    assert rules.answer(request("PUT", "/a/mid/b", headers=op)).status == 201
    assert rules.answer(request("PUT", "/a/mid/b")).status == 200
    assert rules.answer(request("GET", "/a/x", headers=op)).status == 200
    assert rules.answer(request("PUT", "/a/y", headers=op)).status == 200


def test_paths_compare_decoded_and_case_sensitive() -> None:
    rules = MockRules.of({"rules": [
        rule({"path_any_of": [{"type": "exact", "value": "/Invoke_(a)"}]}, 201)]})
    assert rules.answer(request(path="/Invoke_%28a%29")).status == 201
    assert rules.answer(request(path="/invoke_(a)")).status == 200


def test_headers_and_query_are_all_required_and_null_means_present() -> None:
    rules = MockRules.of({"rules": [rule({
        "headers_all": {"X-Key": "k", "X-Any": None},
        "query_all": {"a": "1", "b": None},
    }, 201)]})
    both = (("x-key", "k"), ("x-any", ""))
    assert rules.answer(request(headers=both, query="a=1&b=")).status == 201
    assert rules.answer(request(headers=both, query="a=2&b=")).status == 200
    assert rules.answer(request(headers=both, query="a=1")).status == 200
    assert rules.answer(request(headers=(("x-key", "k"),), query="a=1&b=")).status == 200


def test_content_type_and_body_criteria() -> None:
    rules = MockRules.of({"rules": [rule({
        "content_type_any_of": ["application/json; charset=utf-8"],
        "body_text_contains": "Peter",
        "body_json_paths_all": [{"path": "who.name", "equals": "Peter"}],
    }, 201)]})
    json_ct = (("content-type", "application/json; charset=utf-8"),)
    good = b'\xef\xbb\xbf{"who": {"name": "Peter"}}'
    assert rules.answer(request("POST", headers=json_ct, body=good)).status == 201
    assert rules.answer(request("POST", headers=(("content-type", "application/json"),),
                                body=good)).status == 200
    assert rules.answer(request("POST", headers=json_ct,
                                body=b'{"who": {"name": "Paul"}, "x": "Peter"}')).status == 200


def test_unknown_criteria_and_respond_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown mock match criteria"):
        MockRules.of({"rules": [rule({"path_equals": "/a"}, 201)]}).answer(request())
    with pytest.raises(ValueError, match="unknown mock respond keys"):
        MockRules.of({"rules": [rule({}, 201, template="x")]}).answer(request())


def test_nth_match_counts_requests_meeting_the_other_criteria() -> None:
    # The loop case: the 4th matching call fails, the others fall through to the next rule.
    one = {"methods_any_of": ["POST"], "path_any_of": [{"type": "exact", "value": "/one"}]}
    rules = MockRules.of({"rules": [
        rule({**one, "nth_match_any_of": [4]}, 500),
        rule(one, 200),
    ]})
    statuses = [rules.answer(request("POST", "/one")).status for _ in range(5)]
    assert statuses == [200, 200, 200, 500, 200]
    assert rules.answer(request("POST", "/other")).status == 200
    assert rules.counts == [5, 4]


def test_nth_match_none_of_skips_the_listed_counts() -> None:
    two = {"path_any_of": [{"type": "exact", "value": "/two"}]}
    rules = MockRules.of({"rules": [
        rule({**two, "nth_match_none_of": [1, 4, 5]}, 400),
        rule(two, 200),
    ]})
    assert [rules.answer(request(path="/two")).status for _ in range(5)] == [
        200, 400, 400, 200, 200]


def test_a_request_answered_earlier_never_reaches_a_later_counter() -> None:
    rules = MockRules.of({"rules": [
        rule({"methods_any_of": ["GET"]}, 201),
        rule({"nth_match_any_of": [2]}, 500),
    ]})
    answers = [rules.answer(request(m)).status for m in ("GET", "POST", "GET", "POST")]
    assert answers == [201, 200, 201, 500]


def test_respond_builds_status_headers_body_and_delay() -> None:
    rules = MockRules.of({"rules": [
        rule({}, 400, headers={"X-A": "1"}, delay_s=5,
             body={"content_type": "application/json", "utf8_bom": True, "text": "{}"}),
    ]})
    reply = rules.answer(request())
    assert (reply.status, reply.body, reply.delay) == (400, b"\xef\xbb\xbf{}", 5.0)
    assert reply.headers == (("X-A", "1"), ("Content-Type", "application/json"))


def test_random_delay_stays_within_bounds() -> None:
    rules = MockRules.of({"rules": [rule({}, 200, delay_s={"random_between": [1, 5]})]})
    delays = {rules.answer(request()).delay for _ in range(50)}
    assert all(1 <= d <= 5 for d in delays)
    assert len(delays) > 1


def test_from_exception_answers_500_with_an_empty_body() -> None:
    rules = MockRules.of({"rules": [rule({}, 500, from_exception="Boom()", body={
        "content_type": "text/plain", "text": "ignored"})]})
    reply = rules.answer(request())
    assert (reply.status, reply.body, reply.headers) == (500, b"", ())


def test_body_bytes_of_each_form() -> None:
    assert body_bytes(None) == (b"", None)
    assert body_bytes({"content_type": "text/plain", "text": "é"}) == (
        "é".encode(), "text/plain")
    assert body_bytes({"content_type": "application/octet-stream", "base64": "AAE="}) == (
        b"\x00\x01", "application/octet-stream")


def test_the_served_mock_logs_requests_exactly_and_answers_by_rules() -> None:
    with serve_mock() as mock:
        mock.load({"rules": [
            rule({"path_any_of": [{"type": "exact", "value": "/slow"}]}, 201, delay_s=0.3,
                 body={"content_type": "text/plain; charset=utf-8", "text": "late"}),
            rule({}, 500, from_exception="X()"),
        ]})
        started = time.monotonic()
        slow = httpx.post(f"{mock.base_url}/slow?a=1&b=%20", content=b"\xef\xbb\xbfhi",
                          headers=[("X-First", "1"), ("X-Second", "2"), ("X-First", "3")])
        assert time.monotonic() - started >= 0.3
        assert (slow.status_code, slow.text, slow.headers["content-type"]) == (
            201, "late", "text/plain; charset=utf-8")
        boom = httpx.get(f"{mock.base_url}/boom")
        assert (boom.status_code, boom.content) == (500, b"")

        first, second = mock.requests
        assert (first.method, first.path, first.query, first.body) == (
            "POST", "/slow", "a=1&b=%20", b"\xef\xbb\xbfhi")
        names = [k.lower() for k, _ in first.headers]
        assert [n for n in names if n.startswith("x-")] == ["x-first", "x-second", "x-first"]
        assert first.header("X-FIRST") == "1"
        assert (second.method, second.path) == ("GET", "/boom")

        mock.load(None)
        assert mock.requests == []
