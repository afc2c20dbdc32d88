"""The runner's assertion helpers find the differences the README's vocabulary names."""

from __future__ import annotations

from typing import Any

from tests.runtime.corpus import assertions
from tests.runtime.corpus.mock import LoggedRequest


def diffs_of(check: Any, *args: Any) -> list[str]:
    found: list[str] = []
    check(*args, found)
    return found


def test_json_equals_ordered_compares_key_order_and_number_forms() -> None:
    spec = {"json_equals": {"a": 1, "b": 120.0}, "ordered": True}
    assert diffs_of(assertions.check_body, "b", spec, b'{"a":1,"b":120.0}') == []
    assert diffs_of(assertions.check_body, "b", spec, b'{"b":120.0,"a":1}') != []
    assert diffs_of(assertions.check_body, "b", spec, b'{"a":1,"b":120}') != []
    unordered = {"json_equals": {"a": 1, "b": True}}
    assert diffs_of(assertions.check_body, "b", unordered, b'{"b":true,"a":1}') == []
    assert diffs_of(assertions.check_body, "b", unordered, b'{"b":1,"a":1}') != []


def test_volatile_paths_take_the_runtime_values_but_keep_type_and_order() -> None:
    spec = {"equals": '{"id":"old","n":1}', "json_equals": {"id": "old", "n": 1},
            "ordered": True, "volatile_json_paths": ["id"]}
    assert diffs_of(assertions.check_body, "b", spec, b'{"id":"new","n":1}') == []
    assert diffs_of(assertions.check_body, "b", spec, b'{"id": "new", "n": 1}') != []
    assert diffs_of(assertions.check_body, "b", spec, b'{"id":7,"n":1}') != []
    assert diffs_of(assertions.check_body, "b", spec, b'{"n":1}') != []


def test_header_values_by_media_type_and_charset() -> None:
    check = assertions.check_header_value
    assert diffs_of(check, "h", {"media_type_equals": "application/xml"},
                    "application/xml; charset=utf-8") == []
    assert diffs_of(check, "h", {"charset_absent": True}, "application/json; charset=utf-8")
    assert diffs_of(check, "h", {"charset_equals": "utf-8"}, "text/plain; charset=UTF-8") == []
    assert diffs_of(check, "h", {"equals": "text/plain; charset=utf-8"}, None) != []
    assert diffs_of(check, "h", {"absent": True}, None) == []


def test_recorded_headers_exact_derived_volatile_and_order() -> None:
    expected = [["Content-Length", "9", "derived: byte length of the body"],
                ["Content-Type", "application/json; charset=utf-8", "exact"],
                ["Server", "Kestrel", "host-specific"],
                ["x-ms-workflow-run-id", "R0", "volatile: the run id"]]
    good = [("content-length", "2"), ("content-type", "application/json; charset=utf-8"),
            ("server", "granian"), ("x-ms-workflow-run-id", "R1")]
    check = assertions.check_headers_in_order
    assert diffs_of(check, "h", expected, good, b"{}", "R1", None) == []
    assert diffs_of(check, "h", expected, good, b"{}", "R2", None) != []
    assert diffs_of(check, "h", expected, good[::-1], b"{}", "R1", None) != []
    assert diffs_of(check, "h", expected, good[1:], b"{}", "R1", None) != []


def run_with_loop() -> dict[str, Any]:
    def repetition(index: int, status: str) -> dict[str, Any]:
        return {"repetitionIndexes": [{"scopeName": "Loop", "itemIndex": index}],
                "status": status, "inputs": {"n": index}, "outputs": None}

    return {"status": "Failed", "error": {"code": "500", "message": "bad"}, "actions": {
        "Loop": {"type": "Until", "status": "Succeeded"},
        "Call": {"type": "Http", "status": "Failed",
                 "repetitions": [repetition(0, "Succeeded"), repetition(1, "Failed")]},
        "Stop": {"type": "Terminate", "status": "Succeeded"},
        "Start": {"type": "Expression", "status": "Succeeded", "outputs": {"body": "T"}},
        "Track": {"type": "InvokeFunction", "status": "Succeeded",
                  "inputs": {"parameters": {"startTime": "T", "name": "x"}},
                  "trackedProperties": {"id": "1"}},
    }}


def test_actions_repetitions_counts_and_tracked_properties() -> None:
    run = run_with_loop()
    ok = [{"action": "Loop", "repetition_count": 2}, {"action": "Call", "repetition_count": 2},
          {"action": "Call", "repetition": 2, "status": "Failed"},
          {"action": "Track", "tracked_properties": {"equals_entries": {"id": "1"}}},
          {"action": "Track", "inputs": {"parameters_exactly": {
              "name": "x", "startTime": {"equals_output_of": {"action": "Start",
                                                              "path": "body"}}}}}]
    assert diffs_of(assertions.check_actions, ok, run) == []
    bad = [{"action": "Call", "repetition": 1, "status": "Failed"},
           {"action": "Call", "repetition": 3},
           {"action": "Loop", "repetition_count": 5},
           {"action": "Track", "tracked_properties": {"absent": True}},
           {"action": "Track", "inputs": {"parameters_exactly": {"name": "x"}}},
           {"action": "Missing", "status": "Succeeded"}]
    assert len(diffs_of(assertions.check_actions, bad, run)) == len(bad)


def test_run_terminated_error_code_and_message() -> None:
    run = run_with_loop()
    good = {"status": "Failed", "terminated": True, "error_code": 500, "error_message": "bad"}
    assert diffs_of(assertions.check_run, good, run) == []
    bad = {"status": "Succeeded", "terminated": False, "error_code": None,
           "error_message": None}
    assert len(diffs_of(assertions.check_run, bad, run)) == 4


def test_outbound_requests_selected_by_path_and_compared() -> None:
    log = [LoggedRequest("GET", "/a/x", "", (), b""),
           LoggedRequest("PUT", "/a/x", "", (("content-type", "application/json"),
                                           ("x-api-key", "k")), b'{"b":1,"a":2}')]
    spec = [{"select": {"path_ends_with": "/x"}, "method": "GET"},
            {"select": {"path_equals": "/nowhere"}}]
    assert len(diffs_of(assertions.check_outbound, spec, log)) == 1
    put = [{"select": {"path_equals": "/a/x"}, "method": "PUT",
            "headers": {"X-Api-Key": {"equals": "k"}},
            "content_headers": {"Content-Type": {"equals": "application/json"}},
            "body": {"json_equals": {"b": 1, "a": 2}, "ordered": True}}]
    assert diffs_of(assertions.check_outbound, put, log[1:]) == []
    # The first request on the path is the one compared.
    assert len(diffs_of(assertions.check_outbound, put, log)) == 4
