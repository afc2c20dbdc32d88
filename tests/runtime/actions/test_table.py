"""The Table action (CSV and HTML) and the host-only action types."""

from __future__ import annotations

import asyncio
from typing import Any

from runtime.actions.base import ActionResult
from runtime.actions.hosted import HANDLERS
from runtime.actions.table import Table
from tests.runtime.actions.context import Context

ROWS = [{"name": "Ann", "note": 'says "hi", then\nleaves'}, {"name": "<Bo> & 'Cy'",
                                                             "age": 7, "note": None}]


def table(inputs: dict[str, Any]) -> ActionResult:
    handler = Table()
    result = asyncio.run(handler.run(Context.for_handler(handler, {"type": "Table",
                                                                   "inputs": inputs})))
    assert isinstance(result, ActionResult)
    return result


def test_csv_with_automatic_columns_quotes_what_needs_it() -> None:
    result = table({"from": ROWS, "format": "CSV"})
    assert result.outputs == {"body": 'name,note,age\r\n'
                                      'Ann,"says ""hi"", then\nleaves",\r\n'
                                      "<Bo> & 'Cy',,7\r\n"}


def test_html_with_custom_columns_evaluated_per_row() -> None:
    result = table({"from": ROWS, "format": "HTML", "columns": [
        {"header": "Who", "value": "@item()['name']"},
        {"header": "Shout", "value": "@toUpper(item()['name'])"}]})
    assert result.outputs == {"body": (
        "<table><thead><tr><th>Who</th><th>Shout</th></tr></thead><tbody>"
        "<tr><td>Ann</td><td>ANN</td></tr>"
        "<tr><td>&lt;Bo&gt; &amp; &#39;Cy&#39;</td><td>&lt;BO&gt; &amp; &#39;CY&#39;</td></tr>"
        "</tbody></table>")}


def test_bad_inputs_fail_at_run_and_at_deploy() -> None:
    assert table({"from": {"a": 1}, "format": "CSV"}).code == "InvalidTemplate"
    assert table({"from": [], "format": "XLSX"}).status == "Failed"
    findings = Table().validate({"inputs": {"from": [], "format": "XLSX",
                                            "columns": [{"header": "x"}]}}, "/actions/T")
    assert [f.pointer for f in findings] == ["/actions/T/inputs/format",
                                             "/actions/T/inputs/columns/0"]


def test_host_only_types_deploy_and_fail_clearly_if_a_run_reaches_them() -> None:
    invoke = next(h for h in HANDLERS if h.type == "InvokeFunction")
    plain = {"type": "InvokeFunction", "inputs": {"functionName": "F"}}
    assert invoke.validate(plain, "/actions/F") == []
    result = asyncio.run(invoke.run(Context(plain, name="F")))
    assert isinstance(result, ActionResult)
    assert (result.status, result.code) == ("Failed", "ActionTypeNotSupported")
    assert "local .NET functions" in result.error["message"]
