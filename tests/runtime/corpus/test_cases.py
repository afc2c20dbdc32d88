"""The case loader reads every case in place and prepares what the runner deploys."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.corpus.cases import (
    ORIGINAL_MOCK_BASE,
    case_paths,
    load_case,
    substitute,
    with_static_results,
)

pytestmark = pytest.mark.corpus


def test_every_case_loads_and_points_at_the_given_mock(corpus: Path) -> None:
    paths = case_paths(corpus)
    assert len(paths) == 30
    for path in paths:
        case = load_case(path)
        files = case.files("http://127.0.0.1:1")
        assert ORIGINAL_MOCK_BASE not in repr(files), case.id
        assert "definition" in files["workflow.json"], case.id
        assert all(isinstance(v, str) for v in files["appSettings"].values()), case.id


def test_only_host_only_cases_are_skipped(corpus: Path) -> None:
    skipped = {load_case(p).id for p in case_paths(corpus) if load_case(p).skip_reason()}
    assert skipped == {"lau__CallDataMapperWorkflowTest_When_Successful",
                       "lau__InlineScriptWorkflowTest_When_Successful"}


def test_the_test_override_of_an_app_setting_wins(corpus: Path) -> None:
    case = load_case(corpus / "runtime-cases" / "lau__HttpWorkflowTest_When_Successful.json")
    settings = case.files("http://mock")["appSettings"]
    assert settings["ServiceTwo-DefaultAddressType"] == "physical"
    assert settings["ServiceOne-Url"] == "http://mock/api/v1"


def test_action_mocks_become_static_results() -> None:
    workflow = {"definition": {"actions": {"Scope": {"type": "Scope", "actions": {
        "HTTP": {"type": "Http", "runtimeConfiguration": {"contentTransfer": {}}},
        "Fn": {"type": "InvokeFunction"}}}}}}
    mocked = with_static_results(workflow, [
        {"action": "HTTP", "status": "Failed", "outputs": {"statusCode": 503}}])
    definition = mocked["definition"]
    assert definition["staticResults"]["HTTP0"] == {
        "status": "Failed", "outputs": {"statusCode": 503}}
    # A host-only action the test does not mock fails loudly if it ever executes.
    assert definition["staticResults"]["Fn1"]["error"]["code"] == "ActionNotMocked"
    assert definition["actions"]["Scope"]["actions"]["HTTP"]["runtimeConfiguration"] == {
        "contentTransfer": {}, "staticResult": {"name": "HTTP0",
                                                "staticResultOptions": "Enabled"}}
    assert "staticResults" not in workflow["definition"]
    with pytest.raises(ValueError, match="names no action"):
        with_static_results(workflow, [{"action": "Nope", "status": "Succeeded"}])


def test_substitute_reaches_every_string() -> None:
    assert substitute({"a": ["x http://o/y", 1, None], "b": {"c": "http://o"}},
                      "http://o", "N") == {"a": ["x N/y", 1, None], "b": {"c": "N"}}


# Every key the runner reads in ``expect``, and the notes it may pass over (``compare``
# texts and recordings kept for information say how the original compared).
UNDERSTOOD = {
    "expect": {"run", "response", "actions", "outbound_requests", "callback_url_status"},
    "run": {"status", "terminated", "error_code", "error_message", "clientTrackingId"},
    "response": {"status", "body", "headers", "headers_in_order", "headers_compare",
                 "recorded_headers_not_compared"},
    "body": {"equals", "json_equals", "ordered", "compare", "volatile_json_paths",
             "json_paths", "xml_c14n_equals"},
    "header": {"equals", "media_type_equals", "charset_equals", "charset_absent", "absent"},
    "action": {"action", "trigger", "status", "repetition", "repetition_count",
               "tracked_properties", "inputs", "outputs", "has_inputs", "has_outputs",
               "has_properties"},
    "io": {"json_paths", "json_equals", "ordered", "compare", "parameters_exactly"},
    "json_path": {"path", "equals", "contains", "equals_text"},
    "tracked": {"equals_entries", "absent"},
    "outbound": {"select", "method", "headers", "content_headers", "body"},
    "select": {"path_equals", "path_ends_with", "which"},
}


def _unknown(kind: str, value: dict[str, object]) -> set[str]:
    return {f"{kind}.{key}" for key in value} - {f"{kind}.{key}" for key in UNDERSTOOD[kind]}


def test_every_expectation_of_every_case_is_one_the_runner_checks(corpus: Path) -> None:
    unknown: set[str] = set()
    for path in case_paths(corpus):
        expect = load_case(path).expect
        unknown |= _unknown("expect", dict(expect))
        unknown |= _unknown("run", expect.get("run") or {})
        response = expect.get("response") or {}
        unknown |= _unknown("response", response)
        unknown |= _unknown("body", response.get("body") or {})
        for spec in (response.get("headers") or {}).values():
            unknown |= _unknown("header", spec)
        for json_path in (response.get("body") or {}).get("json_paths") or []:
            unknown |= _unknown("json_path", json_path)
        for action in expect.get("actions") or []:
            unknown |= _unknown("action", action)
            unknown |= _unknown("tracked", action.get("tracked_properties") or {})
            for key in ("inputs", "outputs"):
                unknown |= _unknown("io", action.get(key) or {})
                for json_path in (action.get(key) or {}).get("json_paths") or []:
                    unknown |= _unknown("json_path", json_path)
        for outbound in expect.get("outbound_requests") or []:
            unknown |= _unknown("outbound", outbound)
            unknown |= _unknown("select", outbound["select"])
            assert outbound["select"].get("which", "first") == "first"
            unknown |= _unknown("body", outbound.get("body") or {})
            for group in ("headers", "content_headers"):
                for spec in (outbound.get(group) or {}).values():
                    unknown |= _unknown("header", spec)
    assert unknown == set()
