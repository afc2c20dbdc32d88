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
