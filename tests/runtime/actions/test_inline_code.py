"""JavaScriptCode: inline scripts run in a bounded QuickJS interpreter."""

from __future__ import annotations

import asyncio
from typing import Any

from runtime.actions import inline_code
from runtime.actions.base import ActionResult
from runtime.actions.inline_code import JavaScriptCode, referenced_actions
from tests.runtime.actions.context import Context


def run(code: str, **kwargs: Any) -> ActionResult:
    action = {"type": "JavaScriptCode", "inputs": {"code": code}}
    handler = JavaScriptCode()
    result = asyncio.run(handler.run(Context.for_handler(handler, action, **kwargs)))
    assert isinstance(result, ActionResult)
    return result


def test_the_script_reads_workflow_context_and_returns_the_body() -> None:
    code = ("var skus = workflowContext.actions.Get_document.outputs.body.skus;\r\n"
            "return { n: skus.length, skus: skus.map((el) => el.sku), "
            "who: workflowContext.workflow.name, "
            "first: workflowContext.trigger.outputs.body.first };")
    result = run(code, outputs={"Get_document": {"body": {"skus": [{"sku": "a"},
                                                                    {"sku": "b"}]}}},
                 trigger_body={"first": 1})
    assert (result.status, result.outputs) == ("Succeeded", {"body": {
        "n": 2, "skus": ["a", "b"], "who": "wf", "first": 1}})


def test_scalars_and_no_result() -> None:
    assert run("return 6 * 7;").outputs == {"body": 42}
    assert run("return 'x' + 1;").outputs == {"body": "x1"}
    assert run("var a = 1;").outputs == {"body": None}


def test_a_throwing_or_endless_script_fails_the_action(monkeypatch: Any) -> None:
    thrown = run("throw new Error('no customer');")
    assert (thrown.status, thrown.code) == ("Failed", "InlineCodeScriptRuntimeFailure")
    assert "no customer" in thrown.error["message"]
    monkeypatch.setattr(inline_code, "TIME_SECONDS", 0.2)
    endless = run("while (true) {}")
    assert (endless.status, endless.code) == ("Failed", "InlineCodeScriptRuntimeFailure")
    assert "interrupted" in endless.error["message"]


def test_the_script_has_no_way_out() -> None:
    for probe in ("return typeof require;", "return typeof process;",
                  "return typeof fetch;", "return typeof XMLHttpRequest;"):
        assert run(probe).outputs == {"body": "undefined"}


def test_referenced_actions_and_deploy_checks() -> None:
    code = "workflowContext.actions.A.outputs; workflowContext.actions['B c'].outputs"
    assert referenced_actions(code, ["D", "A"]) == ["A", "B c", "D"]
    findings = JavaScriptCode().validate({"inputs": {"code": 1, "explicitDependencies": {
        "actions": "A"}}}, "/actions/J")
    assert [f.pointer for f in findings] == ["/actions/J/inputs/code",
                                             "/actions/J/inputs/explicitDependencies/actions"]
