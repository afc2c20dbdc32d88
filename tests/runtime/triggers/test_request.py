"""The Request trigger's pieces: signatures, paths, headers and bodies as Logic Apps has them."""

from __future__ import annotations

import pytest

from runtime.errors import SignatureInvalid, TriggerRequestInvalid
from runtime.triggers.request import (
    RequestTrigger,
    check_signature,
    parse_body,
    sign,
    trigger_headers,
)


def test_signatures_bind_the_key_workflow_and_trigger() -> None:
    good = {"sp": "/triggers/manual/run", "sv": "1.0", "sig": sign("k", "wf", "manual")}
    check_signature("k", "wf", "manual", good)
    for key, workflow, trigger in (("other", "wf", "manual"), ("k", "wf2", "manual"),
                                   ("k", "wf", "other"), (None, "wf", "manual")):
        with pytest.raises(SignatureInvalid):
            check_signature(key, workflow, trigger, good)
    assert len(good["sig"]) == 43


def test_relative_paths_give_their_parameters_decoded() -> None:
    trigger = RequestTrigger.of("manual", {"inputs": {"relativePath": "/{a}/items/{b}"}})
    assert trigger.path_parameters() == ["a", "b"]
    assert trigger.match_path("x%20y/items/7") == {"a": "x y", "b": "7"}
    assert trigger.match_path("x/other/7") is None
    assert RequestTrigger.of("m", {}).match_path("") == {}
    assert RequestTrigger.of("m", {}).match_path("extra") is None


def test_headers_are_sorted_with_content_headers_last_descending() -> None:
    raw = [(b"user-agent", b"curl/8"), (b"content-type", b"application/json"),
           (b"host", b"h"), (b"content-length", b"4"), (b"accept", b"*/*"),
           (b"x-custom", b"1"), (b"x-custom", b"2")]
    assert list(trigger_headers(raw).items()) == [
        ("Accept", "*/*"), ("Host", "h"), ("User-Agent", "curl/8"), ("x-custom", "1, 2"),
        ("Content-Type", "application/json"), ("Content-Length", "4")]


def test_bodies() -> None:
    assert parse_body(None, b"") == (False, None)
    assert parse_body("application/json", b"null") == (True, None)
    assert parse_body("application/json; charset=utf-8", b"\xef\xbb\xbf{\"a\": 1}") == (
        True, {"a": 1})
    assert parse_body("application/vnd.api+json", b"[1]") == (True, [1])
    assert parse_body("text/plain; charset=latin-1", "é".encode("latin-1")) == (True, "é")
    assert parse_body("application/xml", b"<a/>") == (
        True, {"$content-type": "application/xml", "$content": "PGEvPg=="})
    boundary = "XyZ"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"f\"\r\n"
            f"Content-Type: text/plain\r\n\r\nhi\r\n--{boundary}--\r\n").encode()
    present, value = parse_body(f"multipart/form-data; boundary={boundary}", body)
    assert present and value["$content-type"].startswith("multipart/form-data")
    [part] = value["$multipart"]
    assert part["headers"]["Content-Disposition"] == 'form-data; name="f"'
    assert part["body"] == {"$content-type": "text/plain", "$content": "aGk="}
    with pytest.raises(TriggerRequestInvalid):
        parse_body("application/json", b"{")
